// The home node of a vNUMA machine (docs/vnuma.md): the node with the devices, the machine's
// clock and the shared memory's directory. Its own harts run on threads as harts on parallel
// threads do; the harts of the other nodes appear to the home node's HartThreads
// (src/machine/parallel.ts) as threads too — a control block on this side, kept up to date from
// their node's messages — so one piece of code answers every hart's device accesses, fires the
// device deadlines, decides when the machine is idle and ends the run. What that code changes
// of a remote hart (an answer, a ring, a stop, its interrupt lines and timer) goes to its node
// from here.

import {
  SYS_HOME, SYS_DSM_BASE, SYS_DSM_PAGES, V_FENCE_REQ, FENCE_ALL, SYS_NOW_LO, SYS_NOW_HI, SYS_CLOCK_LO, SYS_CLOCK_HI, V_IRQ_LINES, V_TIMER_LO, V_TIMER_HI, VCPU_SIZE,
  V_ELSEWHERE, ELSEWHERE_THREAD, ELSEWHERE_NODE, HART_X, SYS_HC_ERROR, SYS_HC_VALUE, vcpuAddr,
} from "../../../assembly/layout.js";
import type { Core } from "../../core/core.js";
import { layoutWords, nodeMemory, type NodeMemory } from "../../vmm/guest-memory.js";
import { Directory, DSM_NONE, DSM_WRITE, emptyStats, type DsmStats, type Right } from "./dsm.js";
import { CoreRights, type LocalHart } from "./rights.js";
import { nodeRamRange } from "./placement.js";
import type { HomeMessage, NodeMessage } from "./wire.js";
import { PROTOCOL as P } from "../parallel.js";
import { HartOps, checkOp, type HartOp } from "./harts.js";

const MTIP = 1 << 7;

/** A vNUMA machine could not start or go on: a node failed, went away or broke the protocol. */
export class VnumaError extends Error {
  override name = "VnumaError";
}

/** A connection to another node (src/node/vnuma.ts makes them from sockets). */
export interface NodeLink {
  send(m: HomeMessage): void;
  onMessage(handler: (m: NodeMessage) => void): void;
  /** The connection ended (the node's process exited, the socket closed). */
  onClose(handler: (why: string) => void): void;
}

/** Where the harts run: the node of each hart (its index in the machine), and the links to
 *  nodes 1 … K-1 (links[k - 1] is node k). Node 0 is this one. */
export interface VnumaPlacement {
  placement: readonly number[];
  links: readonly NodeLink[];
  ramBytes: number;
  /** Whether guest RAM's page `index` (0: the first) may have been written since the memory
   *  was made — by the loader or a guest (absent: any page may have been; each is looked at).
   *  A page nobody wrote is zero, and may start at its own node without a look. */
  written?: (index: number) => boolean;
  /** The part of guest RAM the nodes share out — each node's own memory is its k-th part of it
   *  — as a byte offset into RAM and a length (default: all of it; a partition's RAM). */
  shared?: { offset: number; bytes: number };
}

/** What the home node's thread bookkeeping shows of a remote hart (parallel.ts's Thread). */
export interface RemoteThread {
  vcpu: number;
  control: Int32Array;
  sysBase: number;
  /** Ring its door as the home node's threads ring theirs (HartThreads.ring: its door count here
   *  moves, and the hart's node is told): until the node says the hart has looked, the home node
   *  does not count it as settled. */
  ring: () => void;
}

/** Figures of a vNUMA run (docs/vnuma.md). */
export interface VnumaStats {
  nodes: number;
  /** The directory's: messages by kind, pages moved, faults served, faults that needed another
   *  node. */
  dsm: DsmStats;
  /** Revocations on every node that waited for harts to drop translations, and the time. */
  fences: number;
  fenceMs: number;
  /** Pages that started at their own node (its memory, zero) instead of the home node. */
  placed: number;
}

export class HomeNodes {
  readonly directory: Directory;
  readonly rights: CoreRights;
  private readonly mem: NodeMemory;
  private readonly words: Int32Array;
  private readonly remote = new Map<number, { node: number; t: RemoteThread; lines: number; timerLo: number; timerHi: number }>();
  private readonly ready = new Set<number>();
  private readonly endedNodes = new Set<number>();
  private sentClock = -1;
  private sentDevNext = -2n;
  private sentAt = 0;
  private fences = 0;
  private placed = 0;
  private fenceMs = 0;
  /** A node failed or its connection ended: the run stops with this message. */
  failure: string | null = null;
  private onEvent: () => void = () => {};
  /** The hypervisor's SBI between harts of different nodes (harts.ts): this node's side. */
  private readonly hartOps: HartOps;

  constructor(
    private readonly core: Core,
    private readonly o: VnumaPlacement,
    /** The home node's own harts (the page store fences them). */
    private readonly local: () => readonly LocalHart[],
  ) {
    this.words = layoutWords(core.memory);
    this.mem = nodeMemory(core.memory, o.ramBytes);
    // The home node loaded the guest: every page is its own; the core checks from now on.
    this.mem.rights.fill(DSM_WRITE);
    this.words[SYS_DSM_PAGES >> 2] = this.mem.pageCount;
    this.words[SYS_DSM_BASE >> 2] = this.mem.tableBase;
    this.rights = new CoreRights(this.mem, this.words, local, (vcpu) => core.exports.threadService(vcpu));
    this.directory = new Directory(this.rights, (node, m) => this.link(node).send({ kind: "dsm", m }));
    this.hartOps = new HartOps(core, this.words, local, (from, result) => this.hartAnswer(from, result));
  }

  private link(node: number): NodeLink {
    const l = this.o.links[node - 1];
    if (!l) throw new Error(`vNUMA: there is no node ${node}`);
    return l;
  }

  get nodeCount(): number {
    return this.o.links.length + 1;
  }

  /** Connect the remote harts' threads; `event` is called whenever a node's message changed
   *  something (the home loop then polls). */
  attach(threads: ReadonlyArray<RemoteThread & { node: number }>, event: () => void): void {
    this.onEvent = event;
    for (const t of threads) {
      const node = t.node; // (placement is by hart; a partition's harts are other vCPUs)
      const v = vcpuAddr(t.vcpu);
      this.remote.set(t.vcpu, { node, t, lines: this.words[(v + V_IRQ_LINES) >> 2], timerLo: this.words[(v + V_TIMER_LO) >> 2], timerHi: this.words[(v + V_TIMER_HI) >> 2] });
      // A partition's hart (on a thread of its own, V_ELSEWHERE set) is on another node now:
      // what the SBI does to it becomes a message (kernel/threads.ts hartOnNode).
      if (this.words[(v + V_ELSEWHERE) >> 2] !== 0) this.words[(v + V_ELSEWHERE) >> 2] = ELSEWHERE_NODE;
    }
    this.o.links.forEach((l, k) => {
      const node = k + 1;
      l.onMessage((m) => {
        try {
          this.receive(node, m);
        } catch (err) {
          this.failure ??= `node ${node}: ${err instanceof Error ? err.message : String(err)}`;
        }
        this.onEvent();
      });
      l.onClose((why) => {
        if (!this.endedNodes.has(node)) {
          this.failure ??= `node ${node} went away: ${why}`;
          // Its harts are gone: the home node's run can end (they count as done).
          for (const r of this.remote.values()) if (r.node === node) Atomics.store(r.t.control, P.DONE, 1);
        }
        this.onEvent();
      });
    });
  }

  /**
   * Node k's own memory: the k-th of K equal parts of guest RAM (or of the part shared: a
   * partition's RAM; whole pages), as the device tree's memory nodes describe it (numa-node-id k).
   */
  nodeRange(node: number): { first: number; count: number } {
    const shared = this.o.shared ?? { offset: 0, bytes: this.o.ramBytes };
    const r = nodeRamRange(shared.bytes, this.nodeCount, node);
    return { first: this.mem.firstPage + (shared.offset + r.offset) / 4096, count: r.bytes / 4096 };
  }

  /** Send every node its harts, the machine's layout and its own memory; resolves when all are
   *  ready. A page of a node's memory that the loader left zero starts at that node: a hart that
   *  works in its node's memory never waits for it. */
  async start(o: { kind: "wasm" | "ts"; slice: number; htifGrace: number; clockBase: number }, wait: () => Promise<void>): Promise<void> {
    const layout = this.mem.layout();
    this.o.links.forEach((l, k) => {
      const node = k + 1;
      const vcpus = [...this.remote.values()].filter((r) => r.node === node).map((r) => r.t.vcpu);
      const owned: Array<[number, number]> = [];
      const { first, count } = this.nodeRange(node);
      for (let page = first; page < first + count; page++) {
        if ((!this.o.written || this.o.written(page - this.mem.firstPage)) && !this.mem.zeroPage(page)) continue;
        this.directory.place(page, node);
        this.placed++;
        this.mem.rights[this.mem.pageIndex(page)] = DSM_NONE; // (the home node's harts have not run yet)
        const last = owned[owned.length - 1];
        if (last && last[0] + last[1] === page) last[1]++;
        else owned.push([page, 1]);
      }
      // (a translation the home node's harts made before this run must not outlive the right)
      for (const h of this.local()) Atomics.or(this.words, (vcpuAddr(h.vcpu) + V_FENCE_REQ) >> 2, FENCE_ALL);
      l.send({
        kind: "init", node, core: o.kind, memoryBytes: this.core.memory.byteLength, ramBytes: this.o.ramBytes, vcpus,
        slice: o.slice, htifGrace: o.htifGrace, clockBase: o.clockBase, bytes: layout, owned,
      });
    });
    while (this.ready.size < this.o.links.length && !this.failure) await wait();
    if (this.failure) throw new VnumaError(this.failure);
  }

  go(): void {
    for (const l of this.o.links) l.send({ kind: "go" });
  }

  isRemote(vcpu: number): boolean {
    return this.remote.has(vcpu);
  }

  private receive(node: number, m: NodeMessage): void {
    const words = this.words;
    const hart = (vcpu: number) => {
      const r = this.remote.get(vcpu);
      if (!r || r.node !== node) throw new Error(`vCPU ${vcpu} is not on node ${node}`);
      return r;
    };
    switch (m.kind) {
      case "ready":
        this.ready.add(node);
        break;
      case "request": {
        const r = hart(m.vcpu);
        // (a halt: the hart's vCPU block says why, and the home node's copy follows it; a
        // hypercall: the hart's registers, where Board.callerRegister reads them)
        if (m.bytes && m.op === P.OP_HALT) this.takeBlock(m.vcpu, m.bytes);
        if (m.bytes && m.op === P.OP_HYPERCALL) {
          if (m.bytes.length !== 128) throw new Error(`vNUMA: a hypercall's registers in ${m.bytes.length} bytes`);
          const regs = new Int32Array(m.bytes.buffer.slice(m.bytes.byteOffset, m.bytes.byteOffset + 128));
          words.set(regs, (r.t.sysBase + HART_X - SYS_HOME) >> 2);
        }
        const sys = (off: number) => (r.t.sysBase + off - SYS_HOME) >> 2;
        words[sys(SYS_NOW_LO)] = m.nowLo;
        words[sys(SYS_NOW_HI)] = m.nowHi;
        this.setThreadClock(r.t, m.clockLo, m.clockHi);
        this.mergeMtip(r, m.mtip);
        const c = r.t.control;
        c[P.OP] = m.op;
        c[P.A] = m.a;
        c[P.B] = m.b;
        c[P.C] = m.c;
        c[P.D] = m.d;
        Atomics.store(c, P.STATE, P.REQUEST);
        break;
      }
      case "status": {
        const r = hart(m.vcpu);
        const c = r.t.control;
        this.setThreadClock(r.t, m.clockLo, m.clockHi);
        this.mergeMtip(r, m.mtip);
        c[P.WAKE_LO] = m.wakeLo;
        c[P.WAKE_HI] = m.wakeHi;
        c[P.RETIRED_LO] = m.retired % 0x1_0000_0000;
        c[P.RETIRED_HI] = Math.floor(m.retired / 0x1_0000_0000);
        c[P.WORK_LO] = m.work % 0x1_0000_0000;
        c[P.WORK_HI] = Math.floor(m.work / 0x1_0000_0000);
        c[P.LIMITED] = m.limited;
        c[P.SEEN] = m.seen;
        Atomics.store(c, P.IDLE, m.idle);
        Atomics.store(c, P.DONE, m.done);
        break;
      }
      case "dsm":
        this.directory.receive(node, m.m);
        break;
      case "hart": {
        checkOp(m.m);
        hart(m.m.from);
        this.hartOp(m.m);
        break;
      }
      case "hart-done":
        // (from a hart's node, answering what `from` asked of it)
        if (!Number.isInteger(m.from) || !Number.isInteger(m.result)) throw new Error("vNUMA: a hart-done message names no hart");
        this.hartAnswer(m.from, m.result);
        break;
      case "ended": {
        let at = 0;
        for (const vcpu of m.vcpus) {
          hart(vcpu);
          this.takeBlock(vcpu, m.bytes.subarray(at, at + VCPU_SIZE));
          at += VCPU_SIZE;
        }
        for (const page of m.owned) {
          this.mem.writePage(page, m.bytes.slice(at, at + 4096));
          at += 4096;
        }
        this.fences += m.fences;
        this.fenceMs += m.fenceMs;
        this.endedNodes.add(node);
        break;
      }
      case "error":
        this.failure ??= `node ${node}: ${m.message}`;
        break;
      default:
        throw new Error(`unknown message ${(m as { kind: string }).kind}`);
    }
  }

  /** A remote hart's vCPU block (registers, CSRs, counters, why it halted) as its node has it;
   *  its interrupt lines stay the home node's (the devices drive them here). */
  private takeBlock(vcpu: number, bytes: Uint8Array): void {
    if (bytes.length !== VCPU_SIZE) throw new Error(`vNUMA: a vCPU block of ${bytes.length} bytes`);
    const words = this.words;
    const v = vcpuAddr(vcpu);
    const lines = words[(v + V_IRQ_LINES) >> 2];
    const block = new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + VCPU_SIZE));
    for (let i = 0; i < block.length; i++) words[(v >> 2) + i] = block[i];
    words[(v + V_IRQ_LINES) >> 2] = lines;
  }

  /** A hart asks an operation of another (harts.ts): done here, or sent to the target's node. */
  hartOp(m: HartOp): void {
    const r = this.remote.get(m.target);
    if (r) {
      this.link(r.node).send({ kind: "hart", m });
      // The target's state changes there (started, an IPI pending), but its last status here
      // still says it sleeps: without the ring, the home node could find every hart asleep and
      // skip the clock ahead — past a secondary CPU's whole bring-up, which its caller then
      // gives up on — before the node's next status arrives. (The ring goes after the
      // operation on the same link, so the node has done the operation when the hart looks.)
      r.t.ring();
    } else if (this.local().some((h) => h.vcpu === m.target)) this.hartOps.serve(m);
    else throw new Error(`vNUMA: vCPU ${m.from} asked an operation of vCPU ${m.target}, which is no hart of this machine`);
  }

  /** The answer to what hart `from` asked: to its node, or to its core here. */
  private hartAnswer(from: number, result: number): void {
    const r = this.remote.get(from);
    if (r) this.link(r.node).send({ kind: "hart-done", from, result });
    else if (this.local().some((h) => h.vcpu === from)) HartOps.complete(this.words, from, result);
    else throw new Error(`vNUMA: an answer for vCPU ${from}, which is no hart of this machine`);
  }

  private setThreadClock(t: RemoteThread, lo: number, hi: number): void {
    const w = this.words;
    Atomics.store(w, (t.sysBase + SYS_CLOCK_LO - SYS_HOME) >> 2, lo);
    Atomics.store(w, (t.sysBase + SYS_CLOCK_HI - SYS_HOME) >> 2, hi);
  }

  /** The remote hart's core raises its own timer line (MTIP): the home copy follows it. */
  private mergeMtip(r: { t: RemoteThread; lines: number }, mtip: number): void {
    const i = (vcpuAddr(r.t.vcpu) + V_IRQ_LINES) >> 2;
    if (mtip) Atomics.or(this.words, i, MTIP);
    else Atomics.and(this.words, i, ~MTIP);
    r.lines = (r.lines & ~MTIP) | (mtip & MTIP);
  }

  // ── What the home node's thread code does to a remote hart ─────────────────────────────────

  answered(vcpu: number, result: number, hostReq: number, devNext: bigint, hypercall: boolean): void {
    const r = this.remote.get(vcpu)!;
    this.syncLines(true);
    const sys = (off: number) => this.words[(r.t.sysBase + off - SYS_HOME) >> 2];
    // (with the deadline as it is now: a hart that asked for the devices' events must not find
    // the old one again and ask at every slice)
    this.link(r.node).send({
      kind: "answer", vcpu, result, hostReq, devNext: Number(devNext),
      ...(hypercall ? { hc: [sys(SYS_HC_ERROR), sys(SYS_HC_VALUE)] as [number, number] } : {}),
    });
  }

  rang(vcpu: number, door: number, hostReq: number): void {
    const r = this.remote.get(vcpu)!;
    this.link(r.node).send({ kind: "ring", vcpu, door, hostReq });
  }

  stopped(vcpu: number): void {
    const r = this.remote.get(vcpu)!;
    this.link(r.node).send({ kind: "stop", vcpu });
  }

  /** Send what changed of the remote harts' lines and timers (`timers`: their timer words even
   *  if unchanged: a device access may have rewritten the same deadline), and the machine's
   *  clock and next device deadline (at most every millisecond unless the deadline moved, or
   *  `force`: the clock skipped over idle time, and sleeping harts must see it to wake). */
  sync(clock: number, devNext: bigint | null, timers = false, force = false): void {
    this.syncLines(timers);
    this.hartOps.poll();
    const next = devNext === null ? -1n : devNext;
    const now = performance.now();
    if (clock !== this.sentClock && (force || next !== this.sentDevNext || now - this.sentAt >= 1)) {
      this.sentClock = clock;
      this.sentDevNext = next;
      this.sentAt = now;
      for (const l of this.o.links) l.send({ kind: "clock", lo: clock % 0x1_0000_0000 | 0, hi: Math.floor(clock / 0x1_0000_0000) | 0, devNext: Number(next) });
    }
  }

  private syncLines(timers: boolean): void {
    const w = this.words;
    for (const r of this.remote.values()) {
      const v = vcpuAddr(r.t.vcpu);
      const lines = Atomics.load(w, (v + V_IRQ_LINES) >> 2);
      const lo = w[(v + V_TIMER_LO) >> 2];
      const hi = w[(v + V_TIMER_HI) >> 2];
      if (lines === r.lines && lo === r.timerLo && hi === r.timerHi && !timers) continue;
      const set = lines & ~r.lines;
      const clear = r.lines & ~lines;
      r.lines = lines;
      r.timerLo = lo;
      r.timerHi = hi;
      this.link(r.node).send({ kind: "lines", vcpu: r.t.vcpu, set, clear, timerLo: lo, timerHi: hi });
    }
  }

  /** A home hart needs a page (its thread waits, OP_DSM). */
  fault(page: number, want: Right): Promise<void> {
    return this.directory.request(0, page, want);
  }

  /**
   * The run is over (every hart stopped): collect each node's harts' vCPU blocks and the pages
   * it owns, end the nodes, and give the home node every page back (its core stops checking).
   */
  async end(wait: () => Promise<void>): Promise<void> {
    for (const l of this.o.links) l.send({ kind: "end" });
    const t0 = performance.now();
    while (this.endedNodes.size < this.o.links.length && !this.failure && performance.now() - t0 < 30_000) await wait();
    this.release();
    if (this.endedNodes.size < this.o.links.length && !this.failure) this.failure = "a node did not report the end of the run within 30 s";
  }

  /** The home node has every page again and its core stops checking (after the run, or a run
   *  that failed to start or went wrong: what another node held is then lost with it). */
  release(): void {
    this.mem.rights.fill(DSM_WRITE);
    this.words[SYS_DSM_BASE >> 2] = 0;
    for (const vcpu of this.remote.keys()) {
      const at = (vcpuAddr(vcpu) + V_ELSEWHERE) >> 2;
      if (this.words[at] === ELSEWHERE_NODE) this.words[at] = ELSEWHERE_THREAD;
    }
  }

  stats(): VnumaStats {
    const s = this.directory.stats;
    return {
      nodes: this.nodeCount,
      dsm: { ...emptyStats(), ...s, messages: { ...s.messages } },
      fences: this.fences + this.rights.fences,
      fenceMs: this.fenceMs + this.rights.fenceMs,
      placed: this.placed,
    };
  }
}
