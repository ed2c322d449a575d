// vNUMA's distributed shared memory protocol (src/machine/vnuma/dsm.ts) on its own: nodes
// without cores, a transport that delays every message by a random time (so messages pass each
// other), and revocations that take a random time (a hart finishing its slice). Every node's
// workers increment shared counters and read them; the invariants of docs/vnuma.md are checked
// at every change of a right, and no increment may be lost.
import { describe, expect, it } from "vitest";
import { rng } from "./support/random-program.ts";
import { Directory, DsmNode, DSM_NONE, DSM_READ, DSM_WRITE, PAGE_BYTES, type DsmMessage, type PageStore, type Right } from "../src/machine/vnuma/dsm.js";

const PAGES = 6;
const FIRST = 0x400; // page numbers as the core's host addresses give them

class MemStore implements PageStore {
  readonly rights = new Map<number, Right>();
  readonly bytes = new Map<number, Uint8Array>();
  constructor(readonly id: number, private readonly all: MemStore[], private readonly random: () => number, home: boolean) {
    for (let p = FIRST; p < FIRST + PAGES; p++) {
      this.rights.set(p, home ? DSM_WRITE : DSM_NONE);
      this.bytes.set(p, new Uint8Array(PAGE_BYTES));
    }
  }
  right(page: number): Right {
    return this.rights.get(page) ?? DSM_NONE;
  }
  grant(page: number, right: Right): void {
    // Single writer or many readers, at every moment.
    for (const other of this.all) {
      if (other === this) continue;
      const r = other.right(page);
      if (right === DSM_WRITE && r !== DSM_NONE) throw new Error(`node ${this.id} got page ${page} to write while node ${other.id} holds right ${r}`);
      if (right === DSM_READ && r === DSM_WRITE) throw new Error(`node ${this.id} got a read copy of ${page} while node ${other.id} owns it`);
    }
    this.rights.set(page, right);
  }
  revoke(page: number, to: Right): Promise<void> {
    // The harts see the old right until their translations are gone: a while later.
    const delay = Math.floor(this.random() * 3);
    return new Promise((resolve) => setTimeout(() => {
      if (to < this.right(page)) this.rights.set(page, to);
      resolve();
    }, delay));
  }
  read(page: number): Uint8Array {
    return this.bytes.get(page)!.slice();
  }
  write(page: number, bytes: Uint8Array): void {
    this.bytes.get(page)!.set(bytes);
  }
  counter(page: number): number {
    return new DataView(this.bytes.get(page)!.buffer).getUint32(0, true);
  }
  setCounter(page: number, v: number): void {
    new DataView(this.bytes.get(page)!.buffer).setUint32(0, v, true);
  }
}

interface Counts { messages: number; faults: number; remoteFaults: number }

async function campaign(seed: number, nodes: number, workers: number, ops: number, maxDelayMs: number): Promise<Counts> {
  const random = rng(seed);
  const stores: MemStore[] = [];
  for (let n = 0; n < nodes; n++) stores.push(new MemStore(n, stores, random, n === 0));
  // The transport: each message arrives after its own random delay (so they reorder).
  const deliver = (fn: () => void) => setTimeout(fn, Math.floor(random() * (maxDelayMs + 1)));
  let directory: Directory;
  const remote: DsmNode[] = [];
  const failures: Error[] = [];
  const guard = (fn: () => void) => () => { try { fn(); } catch (err) { failures.push(err as Error); } };
  directory = new Directory(stores[0], (node: number, m: DsmMessage) => deliver(guard(() => remote[node].receive(m))));
  for (let n = 1; n < nodes; n++) remote[n] = new DsmNode(stores[n], (m) => deliver(guard(() => directory.receive(n, m))));
  const need = (n: number, page: number, want: Right) => (n === 0 ? directory.request(0, page, want) : remote[n].fault(page, want));
  const increments = new Array(PAGES).fill(0);
  const worker = async (n: number, w: number) => {
    const mine = rng(seed * 31 + n * 7 + w);
    const seen = new Array(PAGES).fill(0);
    for (let i = 0; i < ops; i++) {
      const k = Math.floor(mine() * PAGES);
      const page = FIRST + k;
      const write = mine() < 0.5;
      const want = write ? DSM_WRITE : DSM_READ;
      // As a hart: try; without the right, fault and try again.
      while (stores[n].right(page) < want) await need(n, page, want);
      const v = stores[n].counter(page);
      // Data-value invariant: a copy one may read holds the latest write, and never goes back.
      expect(v, `node ${n} read page ${k}`).toBe(increments[k]);
      expect(v).toBeGreaterThanOrEqual(seen[k]);
      seen[k] = v;
      if (write) {
        stores[n].setCounter(page, v + 1);
        increments[k]++;
      }
      if (mine() < 0.3) await new Promise((r) => setTimeout(r, 0));
    }
  };
  const all: Promise<void>[] = [];
  for (let n = 0; n < nodes; n++) for (let w = 0; w < workers; w++) all.push(worker(n, w));
  await Promise.all(all);
  expect(failures).toEqual([]);
  expect(directory.error).toBeNull();
  for (const r of remote.slice(1)) expect(r.error).toBeNull();
  // Every increment is in the memory the directory hands out.
  for (let k = 0; k < PAGES; k++) {
    while (stores[0].right(FIRST + k) < DSM_READ) await directory.request(0, FIRST + k, DSM_READ);
    expect(stores[0].counter(FIRST + k), `page ${k}`).toBe(increments[k]);
  }
  const s = directory.stats;
  return { messages: Object.values(s.messages).reduce((a, b) => a + b, 0), faults: s.faults, remoteFaults: s.remoteFaults };
}

describe("vNUMA's shared memory protocol (docs/vnuma.md)", () => {
  it("two nodes, messages delivered at once, in order: no increment lost, every read current", async () => {
    const c = await campaign(1, 2, 2, 300, 0);
    expect(c.remoteFaults).toBeGreaterThan(10);
  });

  it("four nodes under injected delay and reordering (0-4 ms a message, revocations 0-2 ms), five seeds", async () => {
    for (const seed of [7, 11, 23, 42, 99]) {
      const c = await campaign(seed, 4, 3, 120, 4);
      expect(c.faults).toBeGreaterThan(50);
    }
  }, 60_000);

  it("a request that crossed its grant is confirmed, not served twice", async () => {
    const stores: MemStore[] = [];
    const random = rng(5);
    for (let n = 0; n < 2; n++) stores.push(new MemStore(n, stores, random, n === 0));
    const toNode: DsmMessage[] = [];
    const directory = new Directory(stores[0], (_n, m) => toNode.push(m));
    const node = new DsmNode(stores[1], (m) => directory.receive(1, m));
    const first = node.fault(FIRST, DSM_WRITE);
    await new Promise((r) => setTimeout(r, 5));
    // The node asks again (another hart) before the grant arrives: the directory queues it.
    directory.receive(1, { kind: "get", page: FIRST, want: DSM_WRITE });
    expect(toNode.map((m) => m.kind)).toEqual(["grant"]);
    node.receive(toNode.shift()!);
    await first;
    await new Promise((r) => setTimeout(r, 5));
    expect(toNode).toEqual([{ kind: "grant", page: FIRST, right: DSM_WRITE }]); // no bytes: its copy is current
    node.receive(toNode.shift()!);
    await new Promise((r) => setTimeout(r, 5));
    expect(directory.state(FIRST)).toEqual({ owner: 1, readers: [] });
    expect(stores[0].right(FIRST)).toBe(DSM_NONE);
  });

  it("a message nothing waits for is a protocol error, not a silent change", () => {
    const stores: MemStore[] = [];
    stores.push(new MemStore(0, stores, rng(3), true));
    const directory = new Directory(stores[0], () => {});
    expect(() => directory.receive(1, { kind: "data", page: FIRST, bytes: new Uint8Array(PAGE_BYTES) })).toThrow(/nothing waits for/);
  });
});
