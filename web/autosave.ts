// The page's autosave: the latest snapshot of the running system, kept in IndexedDB (one record,
// replaced each time). The worker writes it (every 30 s of running, and when the page is hidden
// or left); the page reads it at load to offer "resume the autosaved system". IndexedDB is
// available to both the page and its worker, so the snapshot's bytes never cross postMessage.

const DB = "wasmvisor";
const STORE = "autosave";
const KEY = "latest";

export interface Autosave {
  bytes: Uint8Array;
  /** When it was taken (ISO 8601), the system's title, the core it ran on. */
  created: string;
  title: string;
  core: "wasm" | "ts";
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("IndexedDB could not be opened"));
  });
}

async function transact<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
      tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
    });
  } finally {
    db.close();
  }
}

export function writeAutosave(a: Autosave): Promise<unknown> {
  return transact("readwrite", (store) => store.put(a, KEY));
}

/** The autosaved snapshot, or null (none, or IndexedDB unavailable: private windows may refuse it). */
export async function readAutosave(): Promise<Autosave | null> {
  if (typeof indexedDB === "undefined") return null;
  try {
    const a = (await transact("readonly", (store) => store.get(KEY))) as Autosave | undefined;
    return a && a.bytes instanceof Uint8Array ? a : null;
  } catch {
    return null;
  }
}

export function clearAutosave(): Promise<unknown> {
  return transact("readwrite", (store) => store.delete(KEY));
}
