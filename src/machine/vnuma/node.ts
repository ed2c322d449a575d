// A vNUMA node other than the home node (docs/vnuma.md): some harts of the machine, each on a
// thread of this process (src/machine/hart-thread.mjs, exactly as harts on parallel threads),
// over a memory of the node's own. The node has no devices: its harts' device accesses and
// their idle state go to the home node, which answers them as it answers its own threads
// (src/machine/parallel.ts); the pages of guest RAM come and go through the shared memory
// protocol (dsm.ts), whose node side runs here.
//
// Portable: the messages go through `send` and arrive at receive() (src/node/vnuma.ts carries
// them over a socket).

import {
  SYS_HOME, SYS_HOST_REQ, SYS_NOW_LO, SYS_NOW_HI, SYS_CLOCK_LO, SYS_CLOCK_HI, HOSTREQ_STOP, HOSTREQ_END, HOSTREQ_IRQ, THREAD_SYS_BASE,
  THREAD_SYS_SIZE, V_IRQ_LINES, V_TIMER_LO, V_TIMER_HI, VCPU_SIZE, V_FENCE_REQ, FENCE_ALL, DIRTY_BASE, DIRTY_BYTES,
  SYS_DIRTY_ON, HART_X, SYS_HC_ERROR, SYS_HC_VALUE, V_ELSEWHERE, ELSEWHERE_THREAD, ELSEWHERE_NODE, VCPU_MAX, vcpuAddr,
} from "../../../assembly/layout.js";
import { createCore, type Core } from "../../core/core.js";
import { layoutWords, nodeMemory, type NodeMemory } from "../../vmm/guest-memory.js";
import { PROTOCOL, CONTROL_WORDS, startThread, threadLayout, waitForBell } from "../parallel.js";
import { DsmNode, DSM_WRITE, type Right } from "./dsm.js";
import { CoreRights, type LocalHart } from "./rights.js";
import { HartOps, askedOp, checkOp } from "./harts.js";
import type { HomeMessage, NodeMessage } from "./wire.js";

const MTIP = 1 << 7;

/** A copy of `bytes` bytes of the layout from `addr` (words.slice copies). */
function copyWords(words: Int32Array, addr: number, bytes: number): Uint8Array {
  return new Uint8Array(words.slice(addr >> 2, (addr + bytes) >> 2).buffer);
}

type HartStatus = Extract<NodeMessage, { kind: "status" }>;

interface Hart {
  vcpu: number;
  sysBase: number;
  control: Int32Array;
  dispose(): void;
  /** Its request went to the home node (or to the directory) and waits for the answer. */
  forwarded: boolean;
  /** The home node's door count last applied here. */
  homeDoor: number;
  /** The status last sent (a key), and when. */
  sent: string;
  sentAt: number;
}

export class NodeRunner {
  private core: Core | null = null;
  private mem: NodeMemory | null = null;
  private words: Int32Array | null = null;
  private rights: CoreRights | null = null;
  private dsm: DsmNode | null = null;
  private hartOps: HartOps | null = null;
  private readonly harts: Hart[] = [];
  private readonly bell = new Int32Array(new SharedArrayBuffer(4));
  private readonly devNext = new BigInt64Array(new SharedArrayBuffer(8));
  private clockBase = SYS_HOME;
  private running = false;
  private ended = false;
  private wake: (() => void) | null = null;
  /** Set when the node has sent its last message: the caller may close the connection. */
  finished: Promise<void>;
  private finish!: () => void;

  constructor(private readonly send: (m: NodeMessage) => void) {
    this.finished = new Promise((resolve) => { this.finish = resolve; });
  }

  private fail(err: unknown): void {
    this.send({ kind: "error", message: err instanceof Error ? err.message : String(err) });
  }

  /** A message from the home node. */
  receive(m: HomeMessage): void {
    try {
      this.handle(m);
    } catch (err) {
      this.fail(err);
    }
  }

  private handle(m: HomeMessage): void {
    if (m.kind === "init") {
      this.init(m).catch((err) => this.fail(err));
      return;
    }
    const words = this.words;
    if (!words) throw new Error(`vNUMA: ${m.kind} before init`);
    const hart = (vcpu: number) => {
      const h = this.harts.find((x) => x.vcpu === vcpu);
      if (!h) throw new Error(`vNUMA: vCPU ${vcpu} is not on this node`);
      return h;
    };
    const P = PROTOCOL;
    switch (m.kind) {
      case "go":
        this.running = true;
        for (const h of this.harts) {
          Atomics.store(h.control, P.GO, 1);
          Atomics.notify(h.control, P.GO);
        }
        void this.pump();
        break;
      case "answer": {
        const h = hart(m.vcpu);
        if (m.hostReq) Atomics.or(words, (h.sysBase + SYS_HOST_REQ - SYS_HOME) >> 2, m.hostReq);
        Atomics.store(this.devNext, 0, BigInt(m.devNext));
        // (a hypercall's result, which the core copies into the hart's registers)
        if (m.hc) {
          words[(h.sysBase + SYS_HC_ERROR - SYS_HOME) >> 2] = m.hc[0] | 0;
          words[(h.sysBase + SYS_HC_VALUE - SYS_HOME) >> 2] = m.hc[1] | 0;
        }
        h.forwarded = false;
        h.control[P.RESULT] = m.result | 0;
        Atomics.store(h.control, P.STATE, P.ANSWERED);
        Atomics.notify(h.control, P.STATE);
        break;
      }
      case "ring": {
        const h = hart(m.vcpu);
        if (m.hostReq) Atomics.or(words, (h.sysBase + SYS_HOST_REQ - SYS_HOME) >> 2, m.hostReq);
        h.homeDoor = m.door;
        this.ring(h);
        break;
      }
      case "stop": {
        const h = hart(m.vcpu);
        Atomics.store(h.control, P.STOP, 1);
        Atomics.or(words, (h.sysBase + SYS_HOST_REQ - SYS_HOME) >> 2, HOSTREQ_STOP | HOSTREQ_END);
        this.ring(h);
        break;
      }
      case "lines": {
        const h = hart(m.vcpu);
        const v = vcpuAddr(m.vcpu);
        if (m.set) Atomics.or(words, (v + V_IRQ_LINES) >> 2, m.set);
        if (m.clear) Atomics.and(words, (v + V_IRQ_LINES) >> 2, ~m.clear);
        const timerChanged = words[(v + V_TIMER_LO) >> 2] !== m.timerLo || words[(v + V_TIMER_HI) >> 2] !== m.timerHi;
        words[(v + V_TIMER_LO) >> 2] = m.timerLo;
        words[(v + V_TIMER_HI) >> 2] = m.timerHi;
        if (m.set || m.clear || timerChanged) {
          Atomics.or(words, (h.sysBase + SYS_HOST_REQ - SYS_HOME) >> 2, HOSTREQ_IRQ);
          this.ring(h);
        }
        break;
      }
      case "clock": {
        // (the threads read hi, lo, hi: hi last here keeps a torn read from passing)
        Atomics.store(words, (this.clockBase + SYS_CLOCK_LO - SYS_HOME) >> 2, m.lo);
        Atomics.store(words, (this.clockBase + SYS_CLOCK_HI - SYS_HOME) >> 2, m.hi);
        Atomics.store(this.devNext, 0, BigInt(m.devNext));
        for (const h of this.harts) this.ring(h);
        break;
      }
      case "dsm":
        this.dsm!.receive(m.m);
        break;
      case "hart":
        checkOp(m.m);
        this.hartOps!.serve(m.m);
        break;
      case "hart-done":
        hart(m.from);
        HartOps.complete(words, m.from, m.result);
        break;
      case "end":
        this.end();
        break;
      default:
        throw new Error(`vNUMA: the home node sent ${(m as { kind: string }).kind}`);
    }
    this.wake?.();
  }

  private ring(h: Hart): void {
    Atomics.add(h.control, PROTOCOL.DOOR, 1);
    Atomics.notify(h.control, PROTOCOL.DOOR);
  }

  private async init(m: Extract<HomeMessage, { kind: "init" }>): Promise<void> {
    const core = await createCore({
      kind: m.core, memoryBytes: m.memoryBytes, threaded: true,
      // (this thread's core only drops a waiting hart's translations and does what other nodes'
      // harts ask of this one's: it never runs a hart; its HC_FENCED needs no answer, for the
      // pump looks at the fences it serves)
      host: { mmioRead: () => 0, mmioWrite: () => {}, hypercall: () => {} },
    });
    this.core = core;
    const mem = nodeMemory(core.memory, m.ramBytes);
    mem.setLayout(m.bytes);
    this.mem = mem;
    const words = layoutWords(core.memory);
    this.words = words;
    // The harts' translations in the copied layout were the home node's: gone before they run.
    // And every page the harts write from now on is marked (the end sends those home).
    for (const vcpu of m.vcpus) Atomics.or(words, (vcpuAddr(vcpu) + V_FENCE_REQ) >> 2, FENCE_ALL);
    // A partition's harts (V_ELSEWHERE set: each on a thread of its own) are here on threads or
    // on other nodes: what the SBI does to one of the others is a message (harts.ts).
    for (let vcpu = 0; vcpu < VCPU_MAX; vcpu++) {
      const at = (vcpuAddr(vcpu) + V_ELSEWHERE) >> 2;
      if (words[at] !== 0) words[at] = m.vcpus.includes(vcpu) ? ELSEWHERE_THREAD : ELSEWHERE_NODE;
    }
    words.fill(0, DIRTY_BASE >> 2, (DIRTY_BASE + DIRTY_BYTES) >> 2);
    words[SYS_DIRTY_ON >> 2] = 1;
    this.clockBase = m.clockBase;
    Atomics.store(this.devNext, 0, -1n);
    // Every page starts at the home node (the rights table is zero: DSM_NONE) but this node's
    // own memory, whose pages are zero here as they were there.
    for (const [first, count] of m.owned) {
      if (!Number.isInteger(count) || count < 1) throw new Error(`vNUMA: ${count} pages is not a run of pages`);
      const from = mem.pageIndex(first);
      mem.pageIndex(first + count - 1); // (the whole run is guest RAM)
      mem.rights.fill(DSM_WRITE, from, from + count);
    }
    this.rights = new CoreRights(mem, words, () => this.localHarts(), (vcpu) => core.exports.threadService(vcpu));
    this.dsm = new DsmNode(this.rights, (d) => this.send({ kind: "dsm", m: d }));
    this.hartOps = new HartOps(core, words, () => this.localHarts(), (from, result) => {
      if (this.harts.some((h) => h.vcpu === from)) HartOps.complete(words, from, result);
      else this.send({ kind: "hart-done", from, result });
    });
    const threads = core.threads!;
    const controls = m.vcpus.map(() => new SharedArrayBuffer(CONTROL_WORDS * 4));
    const doors = Object.fromEntries(m.vcpus.map((vcpu, k) => [vcpu, controls[k]]));
    const budget = new SharedArrayBuffer(8);
    new BigInt64Array(budget)[0] = -1n;
    let ready = 0;
    const errors: string[] = [];
    for (const [k, vcpu] of m.vcpus.entries()) {
      const sysBase = THREAD_SYS_BASE + vcpu * THREAD_SYS_SIZE;
      const dispose = await startThread({
        hartThread: true, vcpu, vcpuAddr: vcpuAddr(vcpu), sysBase, memory: threads.memory, wasmModule: threads.wasmModule, tsUrl: threads.tsUrl,
        words, control: controls[k], doors, bell: this.bell.buffer as SharedArrayBuffer, budget, devNext: this.devNext.buffer as SharedArrayBuffer,
        slice: m.slice, htifGrace: m.htifGrace, proto: { ...PROTOCOL }, layout: threadLayout(m.clockBase),
      }, (r) => {
        if (r.ready) ready++;
        if (r.error) errors.push(`vCPU ${vcpu}: ${r.error}`);
        this.wake?.();
      });
      this.harts.push({ vcpu, sysBase, control: new Int32Array(controls[k]), dispose, forwarded: false, homeDoor: 0, sent: "", sentAt: 0 });
    }
    while (ready < m.vcpus.length && errors.length === 0) await waitForBell(this.bell, (w) => { this.wake = w; }, 20);
    if (errors.length) throw new Error(`a hart's thread failed to start: ${errors[0]}`);
    this.send({ kind: "ready", node: m.node });
  }

  /** This node's harts as the page store and the hart operations need them. */
  private localHarts(): LocalHart[] {
    return this.harts.map((h) => ({
      vcpu: h.vcpu,
      ring: () => this.ring(h),
      // (waiting for a page itself, or its thread ended: a run that ends while the directory
      // still takes pages from this node must not wait for a thread that is gone)
      parked: () => Atomics.load(h.control, PROTOCOL.DONE) === 1 || (h.forwarded && h.control[PROTOCOL.OP] === PROTOCOL.OP_DSM),
    }));
  }

  /** Serve the threads until the run ends: their requests, and their state for the home node. */
  private async pump(): Promise<void> {
    const P = PROTOCOL;
    const words = this.words!;
    while (this.running) {
      for (const h of this.harts) {
        const c = h.control;
        if (!h.forwarded && Atomics.load(c, P.STATE) === P.REQUEST) {
          h.forwarded = true;
          if (c[P.OP] === P.OP_DSM) {
            const page = c[P.A] >>> 0;
            this.dsm!.fault(page, c[P.B] as Right).then(() => {
              h.forwarded = false;
              c[P.RESULT] = 0;
              Atomics.store(c, P.STATE, P.ANSWERED);
              Atomics.notify(c, P.STATE);
            }, (err) => this.fail(err));
          } else if (c[P.OP] === P.OP_HART) {
            // (the hart's core waits for the answer itself, if there is one: the thread goes on)
            this.send({ kind: "hart", m: askedOp(words, h.vcpu, c[P.A]) });
            h.forwarded = false;
            Atomics.store(c, P.STATE, P.ANSWERED);
            Atomics.notify(c, P.STATE);
          } else {
            this.sendStatuses(h); // (the home node sees the hart's clock before the access)
            this.send({
              kind: "request", vcpu: h.vcpu, op: c[P.OP], a: c[P.A], b: c[P.B], c: c[P.C], d: c[P.D],
              nowLo: words[(h.sysBase + SYS_NOW_LO - SYS_HOME) >> 2], nowHi: words[(h.sysBase + SYS_NOW_HI - SYS_HOME) >> 2],
              clockLo: words[(h.sysBase + SYS_CLOCK_LO - SYS_HOME) >> 2], clockHi: words[(h.sysBase + SYS_CLOCK_HI - SYS_HOME) >> 2],
              mtip: words[(vcpuAddr(h.vcpu) + V_IRQ_LINES) >> 2] & MTIP,
              // (a halt: why is in the hart's vCPU block, which the home node reads; a hypercall:
              // its arguments are the hart's registers)
              ...(c[P.OP] === P.OP_HALT ? { bytes: copyWords(words, vcpuAddr(h.vcpu), VCPU_SIZE) } : {}),
              ...(c[P.OP] === P.OP_HYPERCALL ? { bytes: copyWords(words, h.sysBase + HART_X - SYS_HOME, 128) } : {}),
            });
          }
        }
      }
      this.sendStatuses(false);
      this.hartOps!.poll();
      if (this.dsm!.error) {
        this.fail(this.dsm!.error);
        return;
      }
      await waitForBell(this.bell, (w) => { this.wake = w; }, 2);
    }
  }

  /** Hart h's state for the home node, as it is now. */
  private status(h: Hart): HartStatus {
    const P = PROTOCOL;
    const c = h.control;
    const words = this.words!;
    const door = Atomics.load(c, P.DOOR);
    const count = (lo: number, hi: number) => (c[hi] >>> 0) * 0x1_0000_0000 + (c[lo] >>> 0);
    return {
      kind: "status", vcpu: h.vcpu,
      clockLo: words[(h.sysBase + SYS_CLOCK_LO - SYS_HOME) >> 2], clockHi: words[(h.sysBase + SYS_CLOCK_HI - SYS_HOME) >> 2],
      idle: Atomics.load(c, P.IDLE), seen: Atomics.load(c, P.SEEN) === door ? h.homeDoor : -1,
      wakeLo: c[P.WAKE_LO], wakeHi: c[P.WAKE_HI],
      retired: count(P.RETIRED_LO, P.RETIRED_HI), work: count(P.WORK_LO, P.WORK_HI),
      done: Atomics.load(c, P.DONE), limited: Atomics.load(c, P.LIMITED),
      mtip: words[(vcpuAddr(h.vcpu) + V_IRQ_LINES) >> 2] & MTIP,
    };
  }

  /**
   * Send the harts' states when something the home node decides on changed (or, for their
   * clocks and counts, every 2 ms; `force`: all of them now, or that one hart's). The home node skips the clock
   * when it finds every hart asleep and settled, so what it is sent must be a picture the harts
   * were all in at once: a hart that rang another's door (an IPI, hart_start, here on its own
   * node) and then went to sleep must not arrive asleep beside the other's state from before
   * the ring. Read twice alike, the picture is such a one (a ring only counts up); and the harts
   * that are awake or have not looked yet go first.
   */
  private sendStatuses(force: boolean | Hart): void {
    const key = (s: HartStatus) => `${s.idle},${s.seen},${s.wakeLo},${s.wakeHi},${s.done},${s.limited},${s.mtip}`;
    let now = this.harts.map((h) => this.status(h));
    for (let tries = 0; tries < 8; tries++) {
      const again = this.harts.map((h) => this.status(h));
      const same = again.every((s, k) => key(s) === key(now[k]));
      now = again;
      if (same) break;
    }
    const settled = (s: HartStatus) => (s.done || (s.idle && s.seen !== -1) ? 1 : 0);
    const order = now.map((_, k) => k).sort((a, b) => settled(now[a]) - settled(now[b]));
    const t = performance.now();
    for (const k of order) {
      const h = this.harts[k];
      const s = now[k];
      if (force !== true && force !== h && key(s) === h.sent && t - h.sentAt < 2) continue;
      h.sent = key(s);
      h.sentAt = t;
      this.send(s);
    }
  }

  /** The run is over (every hart stopped): the harts' vCPU blocks and the pages this node owns
   *  go home, and the node ends. */
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.running = false;
    this.sendStatuses(true);
    for (const h of this.harts) h.dispose();
    const layout = this.mem!.layout();
    const blocks = new Uint8Array(this.harts.length * VCPU_SIZE);
    this.harts.forEach((h, k) => blocks.set(layout.subarray(vcpuAddr(h.vcpu), vcpuAddr(h.vcpu) + VCPU_SIZE), k * VCPU_SIZE));
    // The pages it owns and its harts wrote: the home node's copies of those are stale. (One it
    // owns and nobody wrote is as the home node has it: zero if it started here, else as granted.)
    const owned: number[] = [];
    const mem = this.mem!;
    const words = this.words!;
    for (let i = 0; i < mem.pageCount; i++) {
      if (Atomics.load(mem.rights, i) !== DSM_WRITE) continue;
      const dirty = (words[(DIRTY_BASE >> 2) + (i >>> 5)] >>> (i & 31)) & 1;
      if (dirty) owned.push(mem.firstPage + i);
    }
    const all = new Uint8Array(blocks.length + owned.length * 4096);
    all.set(blocks);
    owned.forEach((p, k) => all.set(mem.readPage(p), blocks.length + k * 4096));
    this.send({ kind: "ended", vcpus: this.harts.map((h) => h.vcpu), owned, bytes: all, fences: this.rights!.fences, fenceMs: this.rights!.fenceMs });
    this.finish();
  }
}
