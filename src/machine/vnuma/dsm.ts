// vNUMA's distributed shared memory: page-granular, single writer or many readers, with write-
// invalidate, and a directory on the home node (node 0, the one with the devices). Every node
// has the whole guest memory at the same host addresses; what it may do with a page is its byte
// in the core's rights table (assembly/layout.ts SYS_DSM_BASE): DSM_NONE, DSM_READ (a read copy)
// or DSM_WRITE (the node owns the page). A hart that touches a page its node lacks the right for
// leaves run() (EXIT_RETRY, the page and the right it wants in its system block); the node asks
// the directory, and the hart goes on when the right has come. A hit in the hart's translation
// caches checks nothing: a TLB entry (or shadow entry) is only filled with the right the table
// gives, and a node drops its harts' translations before it tells the directory a right is gone.
//
// The protocol (docs/vnuma.md states it with its invariants):
//   GET(page, want)        node → home   a hart needs DSM_READ or DSM_WRITE
//   RECALL(page, keep)     home → owner  give the page back, keeping DSM_READ or nothing
//   DATA(page, bytes)      owner → home  its contents, sent once its harts can no longer write
//   INV(page)              home → reader drop the read copy
//   INV_ACK(page)          reader → home dropped (its harts can no longer read it)
//   GRANT(page, right, bytes?) home → node  the page's contents (unless the node's copy is
//                                           current) and the node's right from now on
//   ACK(page)              node → home   the grant is installed
// The directory runs one transaction per page at a time (requests wait in order) and a
// transaction ends only when every message it sent has been answered, so no two messages about
// one page are ever in flight to one node: the protocol needs no ordering from the transport,
// and messages about different pages may pass each other freely.
//
// Portable: no Node API. The transport is a function per node (src/node/vnuma.ts puts it on
// sockets; the tests on a shuffling in-memory link).

export const DSM_NONE = 0;
export const DSM_READ = 1;
export const DSM_WRITE = 2;
export type Right = typeof DSM_NONE | typeof DSM_READ | typeof DSM_WRITE;
export const PAGE_BYTES = 4096;

export type DsmMessage =
  | { kind: "get"; page: number; want: Right }
  | { kind: "recall"; page: number; keep: Right }
  | { kind: "data"; page: number; bytes: Uint8Array }
  | { kind: "inv"; page: number }
  | { kind: "inv-ack"; page: number }
  | { kind: "grant"; page: number; right: Right; bytes?: Uint8Array }
  | { kind: "ack"; page: number };

/** A node's own memory and rights (its core's memory and rights table). */
export interface PageStore {
  right(page: number): Right;
  /** Raise the right (after the page's bytes are in place). */
  grant(page: number, right: Right): void;
  /** Lower the right to `to`, and resolve once no hart of this node can use the old one (their
   *  translations of the page are gone). */
  revoke(page: number, to: Right): Promise<void>;
  read(page: number): Uint8Array;
  write(page: number, bytes: Uint8Array): void;
}

/** Message counts by kind, both directions, and the faults served. */
export interface DsmStats {
  messages: Record<DsmMessage["kind"], number>;
  /** Pages' bytes sent (DATA and GRANT with contents). */
  pagesMoved: number;
  /** GETs the directory served (from every node, the home node's own harts included). */
  faults: number;
  /** Of those, the ones that needed another node (a recall or invalidation). */
  remoteFaults: number;
}

export function emptyStats(): DsmStats {
  return { messages: { get: 0, recall: 0, data: 0, inv: 0, "inv-ack": 0, grant: 0, ack: 0 }, pagesMoved: 0, faults: 0, remoteFaults: 0 };
}

interface PageState {
  /** The node with DSM_WRITE, or -1: the page is shared (the home node's copy is current). */
  owner: number;
  /** Nodes with a read copy (a bit each), when shared. */
  readers: number;
}

/**
 * The directory, on the home node (node 0): who has which page. `local` is the home node's
 * own memory; `send(node, message)` reaches a node (never node 0). Every page starts owned by
 * the home node, which loaded the guest.
 */
export class Directory {
  readonly stats = emptyStats();
  private readonly pages = new Map<number, PageState>();
  /** Per page, the transactions waiting for it (the first one runs). */
  private readonly queues = new Map<number, Array<() => void>>();
  /** The answer a transaction waits for, by `${node}:${page}`. */
  private readonly waiting = new Map<string, (m: DsmMessage) => void>();
  private failed: Error | null = null;

  constructor(private readonly local: PageStore, private readonly send: (node: number, m: DsmMessage) => void) {}

  /**
   * Before the run: `page` starts owned by node `node` instead of the home node (its memory's
   * own pages, whose contents are zero on both sides). The caller sets both nodes' rights.
   */
  place(page: number, node: number): void {
    if (this.queues.has(page)) throw new Error(`vNUMA: page ${page.toString(16)} is in use: it cannot be placed`);
    this.page(page).owner = node;
  }

  /** Node `node` (0: the home node's own harts) needs `want` on `page`. Resolves once it has it. */
  request(node: number, page: number, want: Right): Promise<void> {
    return this.locked(page, () => this.serve(node, page, want));
  }

  /** A message from node `from`. */
  receive(from: number, m: DsmMessage): void {
    this.stats.messages[m.kind]++;
    if (m.kind === "get") {
      this.request(from, m.page, m.want).catch((err) => { this.failed ??= err as Error; });
      return;
    }
    const key = `${from}:${m.page}`;
    const answer = this.waiting.get(key);
    if (!answer) throw new Error(`vNUMA: node ${from} sent ${m.kind} for page ${m.page.toString(16)}, which nothing waits for`);
    this.waiting.delete(key);
    answer(m);
  }

  /** The state of `page` (for tests and statistics): owner (-1: shared) and readers. */
  state(page: number): { owner: number; readers: number[] } {
    const s = this.page(page);
    const readers: number[] = [];
    for (let n = 0; n < 32; n++) if ((s.readers >>> n) & 1) readers.push(n);
    return { owner: s.owner, readers };
  }

  /** An error a transaction met (a node's protocol violation), if any. */
  get error(): Error | null {
    return this.failed;
  }

  private page(page: number): PageState {
    let s = this.pages.get(page);
    if (!s) {
      s = { owner: 0, readers: 0 };
      this.pages.set(page, s);
    }
    return s;
  }

  private async locked<T>(page: number, body: () => Promise<T>): Promise<T> {
    let queue = this.queues.get(page);
    if (!queue) {
      queue = [];
      this.queues.set(page, queue);
    } else {
      await new Promise<void>((go) => queue!.push(go));
    }
    try {
      return await body();
    } finally {
      const next = queue.shift();
      if (next) next();
      else this.queues.delete(page);
    }
  }

  /** Send `m` to `node` and wait for its answer about the same page. */
  private ask(node: number, m: DsmMessage): Promise<DsmMessage> {
    const key = `${node}:${m.page}`;
    if (this.waiting.has(key)) throw new Error(`vNUMA: a second message about page ${m.page.toString(16)} to node ${node}`);
    return new Promise((resolve) => {
      this.waiting.set(key, resolve);
      this.count(m);
      this.send(node, m);
    });
  }

  private count(m: DsmMessage): void {
    this.stats.messages[m.kind]++;
    if ((m.kind === "grant" || m.kind === "data") && m.bytes) this.stats.pagesMoved++;
  }

  /** Take the page from its owner `o` (keeping `keep` there); its bytes are then in the home
   *  node's memory. */
  private async recall(o: number, page: number, keep: Right): Promise<void> {
    if (o === 0) {
      await this.local.revoke(page, keep);
      return;
    }
    const answer = await this.ask(o, { kind: "recall", page, keep });
    if (answer.kind !== "data") throw new Error(`vNUMA: node ${o} answered a recall of page ${page.toString(16)} with ${answer.kind}`);
    this.local.write(page, answer.bytes);
  }

  private async invalidate(r: number, page: number): Promise<void> {
    if (r === 0) {
      await this.local.revoke(page, DSM_NONE);
      return;
    }
    const answer = await this.ask(r, { kind: "inv", page });
    if (answer.kind !== "inv-ack") throw new Error(`vNUMA: node ${r} answered an invalidation of page ${page.toString(16)} with ${answer.kind}`);
  }

  /** Give `node` the right `right`, with the page's bytes (from the home node's memory) unless
   *  its copy is current. */
  private async give(node: number, page: number, right: Right, withBytes: boolean): Promise<void> {
    if (node === 0) {
      this.local.grant(page, right);
      return;
    }
    const m: DsmMessage = withBytes ? { kind: "grant", page, right, bytes: this.local.read(page) } : { kind: "grant", page, right };
    const answer = await this.ask(node, m);
    if (answer.kind !== "ack") throw new Error(`vNUMA: node ${node} answered a grant of page ${page.toString(16)} with ${answer.kind}`);
  }

  private async serve(n: number, page: number, want: Right): Promise<void> {
    this.stats.faults++;
    const s = this.page(page);
    const bit = 1 << n;
    if (s.owner === n || (want === DSM_READ && s.owner < 0 && (s.readers & bit) !== 0)) {
      // It has the right already (a request that crossed the grant): confirm it.
      await this.give(n, page, s.owner === n ? DSM_WRITE : DSM_READ, false);
      return;
    }
    if (want === DSM_READ) {
      if (s.owner >= 0) {
        // Owned elsewhere: the owner keeps a read copy; the home node gets one too (it then
        // answers the next readers itself).
        this.stats.remoteFaults++;
        const o = s.owner;
        await this.recall(o, page, DSM_READ);
        if (o !== 0) this.local.grant(page, DSM_READ);
        s.owner = -1;
        s.readers = 1 | (1 << o);
      }
      await this.give(n, page, DSM_READ, true);
      s.readers |= bit;
      return;
    }
    // DSM_WRITE: every other copy goes first.
    if (s.owner >= 0) {
      this.stats.remoteFaults++;
      await this.recall(s.owner, page, DSM_NONE);
      s.owner = -1;
      s.readers = 0;
      await this.give(n, page, DSM_WRITE, true);
    } else {
      const had = (s.readers & bit) !== 0;
      const others: number[] = [];
      for (let r = 0; r < 32; r++) if (r !== n && ((s.readers >>> r) & 1)) others.push(r);
      if (others.some((r) => r !== 0)) this.stats.remoteFaults++;
      // (the home node's copy stays current when it is dropped: nobody could write it)
      await Promise.all(others.map((r) => this.invalidate(r, page)));
      await this.give(n, page, DSM_WRITE, !had);
      s.readers = 0;
    }
    s.owner = n;
  }
}

/**
 * A node other than the home node: asks the directory for pages its harts need and answers its
 * recalls and invalidations. `send` reaches the home node.
 */
export class DsmNode {
  readonly stats = emptyStats();
  /** Pages asked for, by page: the right asked and who waits. */
  private readonly asked = new Map<number, { want: Right; waiters: Array<() => void> }>();
  private failed: Error | null = null;

  constructor(private readonly store: PageStore, private readonly send: (m: DsmMessage) => void) {}

  /** A hart of this node needs `want` on `page`: resolves once the node has it (or a grant of
   *  something else for the page came: the hart then tries again, and may ask again). */
  fault(page: number, want: Right): Promise<void> {
    if (this.store.right(page) >= want) return Promise.resolve();
    return new Promise((resolve) => {
      const a = this.asked.get(page);
      if (a && a.want >= want) {
        a.waiters.push(resolve);
        return;
      }
      if (a) {
        // A read is under way and a write is wanted: ask again once it is answered.
        a.waiters.push(resolve);
        return;
      }
      this.asked.set(page, { want, waiters: [resolve] });
      this.out({ kind: "get", page, want });
    });
  }

  get error(): Error | null {
    return this.failed;
  }

  private out(m: DsmMessage): void {
    this.stats.messages[m.kind]++;
    if ((m.kind === "grant" || m.kind === "data") && m.bytes) this.stats.pagesMoved++;
    this.send(m);
  }

  /** A message from the home node. */
  receive(m: DsmMessage): void {
    this.stats.messages[m.kind]++;
    switch (m.kind) {
      case "grant": {
        if (m.bytes) this.store.write(m.page, m.bytes);
        if (m.right > this.store.right(m.page)) this.store.grant(m.page, m.right);
        this.out({ kind: "ack", page: m.page });
        const a = this.asked.get(m.page);
        this.asked.delete(m.page);
        for (const w of a?.waiters ?? []) w();
        break;
      }
      case "recall":
        this.store.revoke(m.page, m.keep).then(() => this.out({ kind: "data", page: m.page, bytes: this.store.read(m.page) }),
          (err) => { this.failed ??= err as Error; });
        break;
      case "inv":
        this.store.revoke(m.page, DSM_NONE).then(() => this.out({ kind: "inv-ack", page: m.page }),
          (err) => { this.failed ??= err as Error; });
        break;
      default:
        this.failed ??= new Error(`vNUMA: the home node sent ${m.kind}`);
    }
  }
}
