// virtio-blk (Virtual I/O Device specification v1.1, §5.2): a disk behind one request queue.
// Requests are served at once from a BlockStorage: a host file in Node (src/node/disk-file.ts,
// or RapiLog's buffered log disk, src/node/rapilog-disk.ts), a byte array in the browser and in
// tests (MemoryDisk below). Every request is checked against the disk's size; a read-only disk
// refuses writes with an I/O error; a storage error becomes an I/O error for the guest.
//
// The write cache (§5.2.5, VIRTIO_BLK_F_CONFIG_WCE): the device offers FLUSH and lets the driver
// see and switch its cache mode in the `writeback` configuration byte. Writeback (1, the default
// for a host file): a completed write may sit in the host's page cache until the guest's FLUSH,
// which the storage turns into fdatasync. Writethrough (0, the default for storage whose writes
// are stable once accepted, like RapiLog's buffer): the guest need not flush; if it switches a
// host file to writethrough, every write is made durable before it completes.

import type { GuestMemory, Virtqueue, VirtioBackend, VirtioChain } from "./virtio-mmio.js";
import { VirtqueueError, WORK_PER_EXIT } from "./virtio-mmio.js";
import type { StateReader, StateValue } from "../snapshot/state.js";

export const SECTOR = 512;
/** The most data one request may move (larger ones fail with an I/O error, bounding the host
 *  work of one request; Linux sends at most 1.25 MiB unless max_sectors_kb is raised). */
export const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

/** A disk's contents: `size` bytes, a multiple of 512. */
export interface BlockStorage {
  readonly size: number;
  readonly readOnly: boolean;
  /** A write is as durable as this storage makes anything once write() returns (no volatile
   *  cache in front of it): the device then tells the guest its cache is writethrough. */
  readonly stableWrites?: boolean;
  read(offset: number, into: Uint8Array): void;
  write(offset: number, data: Uint8Array): void;
  /** The guest's FLUSH: when it returns, what was written is durable (or, for RapiLog, held
   *  by the hypervisor until it is). */
  flush(): void;
  /** Make everything written durable in the backing store (the partition stopped, restarts,
   *  or the system ends). */
  sync?(): void;
  /** Sync, then release the host resources. */
  close?(): void;
  /** Host syncs (fdatasync) done so far, where the storage has a host file. */
  readonly hostSyncs?: number;
  /** Bytes acknowledged to the guest and not yet durable in the host file (RapiLog). */
  readonly pendingBytes?: number;
}

/** Check a disk size, returning a message if it cannot be used (null when it is fine). */
export function diskSizeProblem(size: number): string | null {
  if (size === 0) return "the disk image is empty";
  if (size % SECTOR !== 0) return `the disk image is ${size} bytes, not a whole number of ${SECTOR}-byte sectors`;
  if (size > 2 ** 41) return `the disk image is ${size} bytes; at most 2 TiB`;
  return null;
}

/** A disk held in memory. */
export class MemoryDisk implements BlockStorage {
  /** Nothing here is more durable than memory: flushing changes nothing. */
  readonly stableWrites: boolean = true;
  constructor(readonly bytes: Uint8Array, readonly readOnly = false) {
    const problem = diskSizeProblem(bytes.length);
    if (problem) throw new RangeError(problem);
  }
  get size(): number {
    return this.bytes.length;
  }
  read(offset: number, into: Uint8Array): void {
    into.set(this.bytes.subarray(offset, offset + into.length));
  }
  write(offset: number, data: Uint8Array): void {
    this.bytes.set(data, offset);
  }
  flush(): void {}
}

// Request types and status values (§5.2.6).
const T_IN = 0;
const T_OUT = 1;
const T_FLUSH = 4;
const T_GET_ID = 8;
const S_OK = 0;
const S_IOERR = 1;
const S_UNSUPP = 2;

const F_RO = 1n << 5n;
const F_FLUSH = 1n << 9n;
const F_CONFIG_WCE = 1n << 11n;

/** Configuration space (§5.2.4): capacity (le64) at 0, the writeback byte at 32. */
const CONFIG_CAPACITY = 0;
const CONFIG_WRITEBACK = 32;
const CONFIG_SIZE = 36;

export class VirtioBlk implements VirtioBackend {
  readonly deviceId = 2;
  readonly queueSizes = [128];
  private queue: Virtqueue | null = null;
  private interrupt: (cause: number) => void = () => {};
  private mem: GuestMemory | null = null;
  /** The cache mode the guest sees (1 writeback, 0 writethrough); the driver may switch it. */
  private writeback: number;
  /** Whether the driver negotiated FLUSH (without it every write must be durable). */
  private flushNegotiated = false;
  /** Requests served, by kind (for statistics). */
  readonly counts = { reads: 0, writes: 0, flushes: 0, errors: 0, bytesRead: 0, bytesWritten: 0 };
  /** The last storage error, for diagnostics (the guest saw an I/O error). */
  lastStorageError: string | null = null;

  constructor(private readonly storage: BlockStorage, private readonly serial = "wasmvisor-disk") {
    this.writeback = this.defaultWriteback;
  }

  saveState(): StateValue {
    return { writeback: this.writeback, counts: { ...this.counts }, lastStorageError: this.lastStorageError };
  }

  /** (After the transport attached it again, when the driver had.) */
  loadState(r: StateReader): void {
    this.writeback = r.int("writeback", 0, 1);
    const c = r.child("counts");
    for (const k of Object.keys(this.counts) as Array<keyof typeof this.counts>) this.counts[k] = c.int(k, 0, Number.MAX_SAFE_INTEGER);
    this.lastStorageError = r.strOrNull("lastStorageError");
  }

  private get defaultWriteback(): number {
    return this.storage.stableWrites ? 0 : 1;
  }

  get features(): bigint {
    return F_FLUSH | F_CONFIG_WCE | (this.storage.readOnly ? F_RO : 0n);
  }

  /** The cache mode the guest sees: "writeback" (it must flush) or "writethrough". */
  get cacheMode(): "writeback" | "writethrough" {
    return this.writeback ? "writeback" : "writethrough";
  }

  readConfig(offset: number, size: number): number {
    const config = new Uint8Array(CONFIG_SIZE);
    const view = new DataView(config.buffer);
    view.setBigUint64(CONFIG_CAPACITY, BigInt(this.storage.size / SECTOR), true);
    config[CONFIG_WRITEBACK] = this.writeback;
    let v = 0;
    for (let i = 0; i < size; i++) v |= (config[offset + i] ?? 0) << (8 * i);
    return v;
  }

  writeConfig(offset: number, size: number, value: number): void {
    // Only the writeback byte is writable (§5.2.5: with VIRTIO_BLK_F_CONFIG_WCE).
    if (offset === CONFIG_WRITEBACK && size === 1) {
      const before = this.writeback;
      this.writeback = value & 1;
      // Going to writethrough: what the cache holds must be durable from now on, too.
      if (before && !this.writeback) this.guardedStorage(() => this.storage.flush());
    }
  }

  attach(queues: Virtqueue[], interrupt: (cause: number) => void, mem: GuestMemory, features: bigint): void {
    this.flushNegotiated = (features & F_FLUSH) !== 0n;
    this.queue = queues[0];
    this.interrupt = interrupt;
    this.mem = mem;
  }

  reset(): void {
    this.queue = null;
    this.writeback = this.defaultWriteback;
  }

  /** Run a storage operation; false (and the error kept) if the storage failed. */
  private guardedStorage(op: () => void): boolean {
    try {
      op();
      return true;
    } catch (err) {
      this.lastStorageError = err instanceof Error ? err.message : String(err);
      return false;
    }
  }

  /** Serve the requests the driver made available, up to WORK_PER_EXIT bytes (at least one
   *  request); false if some are left for the next attempt. */
  notify(q: number): boolean {
    if (q !== 0 || !this.queue) return true;
    let served = 0;
    let work = 0;
    let done = true;
    while (true) {
      if (work >= WORK_PER_EXIT) {
        done = !this.queue.hasAvailable();
        break;
      }
      const chain = this.queue.pop();
      if (!chain) break;
      const written = this.serve(chain);
      this.queue.push(chain.head, written);
      work += chain.buffers.reduce((n, b) => n + b.length, 0);
      served++;
    }
    if (served > 0) this.interrupt(1);
    return done;
  }

  /** A buffer of the request, through the partition's memory gate (the queue checked it; a
   *  buffer that is not there after all is a malformed request, never a host exception). */
  private dma(mem: GuestMemory, gpa: number, length: number, access: "read" | "write"): Uint8Array {
    const view = mem.view(gpa, length, access);
    if (!view) throw new VirtqueueError(`virtio-blk: buffer 0x${gpa.toString(16)}+${length} is outside the partition's RAM`);
    return view;
  }

  /** Serve one request; returns the bytes written into the driver's buffers. */
  private serve(chain: VirtioChain): number {
    const mem = this.mem!;
    const bufs = chain.buffers;
    // Header (16 bytes, device-readable) … data … status (1 byte, device-writable) (§5.2.6).
    if (bufs.length < 2 || bufs[0].writable || bufs[0].length < 16) throw new VirtqueueError("virtio-blk: malformed request header");
    const status = bufs[bufs.length - 1];
    if (!status.writable || status.length < 1) throw new VirtqueueError("virtio-blk: no status byte");
    const header = new DataView(this.dma(mem, bufs[0].gpa, 16, "read").slice().buffer);
    const type = header.getUint32(0, true);
    const sector = Number(header.getBigUint64(8, true));
    const data = bufs.slice(1, -1);
    let result = S_OK;
    let written = 0;
    const statusByte = this.dma(mem, status.gpa, 1, "write");
    const setStatus = (s: number) => {
      statusByte[0] = s;
      if (s !== S_OK) this.counts.errors++;
    };
    if (type === T_IN || type === T_OUT) {
      const length = data.reduce((n, b) => n + b.length, 0);
      const offset = sector * SECTOR;
      if (length % SECTOR !== 0 || offset + length > this.storage.size || !Number.isSafeInteger(offset) || length > MAX_REQUEST_BYTES) {
        result = S_IOERR; // out of bounds, not whole sectors, or larger than one request may be
      } else if (type === T_OUT && this.storage.readOnly) {
        result = S_IOERR;
      } else if (data.some((b) => b.writable !== (type === T_IN))) {
        throw new VirtqueueError("virtio-blk: data buffer with the wrong direction");
      } else {
        let at = offset;
        const ok = this.guardedStorage(() => {
          for (const b of data) {
            const view = this.dma(mem, b.gpa, b.length, type === T_IN ? "write" : "read");
            if (type === T_IN) this.storage.read(at, view);
            else this.storage.write(at, view);
            at += b.length;
          }
          // A writethrough cache (as the guest sees it) over storage that is not stable: the
          // write is durable before it completes.
          if (type === T_OUT && (!this.writeback || !this.flushNegotiated) && !this.storage.stableWrites) this.storage.flush();
        });
        if (!ok) {
          result = S_IOERR;
        } else if (type === T_IN) {
          written += length;
          this.counts.reads++;
          this.counts.bytesRead += length;
        } else {
          this.counts.writes++;
          this.counts.bytesWritten += length;
        }
      }
    } else if (type === T_FLUSH) {
      if (this.guardedStorage(() => this.storage.flush())) this.counts.flushes++;
      else result = S_IOERR;
    } else if (type === T_GET_ID) {
      // A 20-byte serial number, NUL-padded (§5.2.6.1).
      const id = new TextEncoder().encode(this.serial).slice(0, 20);
      const out = data.find((b) => b.writable);
      if (out) {
        const view = this.dma(mem, out.gpa, Math.min(out.length, 20), "write");
        view.fill(0);
        view.set(id.subarray(0, view.length));
        written += view.length;
      }
    } else {
      result = S_UNSUPP;
    }
    setStatus(result);
    return written + 1;
  }
}

/**
 * A disk whose writes are remembered while `tracking` is on (4 KiB blocks): live migration sends
 * a disk's contents while the guest runs on, then the blocks written since (src/node/migrate.ts).
 * Everything else passes through to the storage it wraps.
 */
export class WriteTrackingDisk implements BlockStorage {
  tracking = false;
  private dirty = new Set<number>();
  constructor(readonly inner: BlockStorage) {}
  get size(): number { return this.inner.size; }
  get readOnly(): boolean { return this.inner.readOnly; }
  get stableWrites(): boolean | undefined { return this.inner.stableWrites; }
  get hostSyncs(): number | undefined { return this.inner.hostSyncs; }
  get pendingBytes(): number | undefined { return this.inner.pendingBytes; }
  read(offset: number, into: Uint8Array): void {
    this.inner.read(offset, into);
  }
  write(offset: number, data: Uint8Array): void {
    this.inner.write(offset, data);
    if (!this.tracking || data.length === 0) return;
    for (let b = Math.floor(offset / 4096), last = Math.floor((offset + data.length - 1) / 4096); b <= last; b++) this.dirty.add(b);
  }
  flush(): void {
    this.inner.flush();
  }
  sync(): void {
    this.inner.sync?.();
  }
  close(): void {
    if (this.inner.close) this.inner.close();
    else this.inner.sync?.();
  }
  /** The 4 KiB blocks written since the last call (ascending); tracking goes on. */
  takeDirty(): number[] {
    const blocks = [...this.dirty].sort((a, b) => a - b);
    this.dirty.clear();
    return blocks;
  }
}
