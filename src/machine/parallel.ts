// Harts on parallel threads: each hart of a bare machine runs on its own host thread (a Node
// worker; a module Web Worker in a cross-origin isolated page) over one shared memory, so a
// parallel guest runs up to N times as fast. Determinism is given up in this mode only: which
// hart's store lands first depends on the host, as on real hardware. docs/smp.md describes it.
//
// Threads (src/machine/hart-thread.mjs) run the threaded build of the core
// (build/core-mt.wasm, core-mt-ts.js): the same source as the other cores, with its own system
// block per thread, LR/SC as a compare-and-exchange on the reserved value, AMOs as atomic
// read-modify-writes and FENCE as a full barrier (assembly/cpu/exec.ts). This thread, the home
// thread, keeps everything else — the devices, the machine's clock, output, the end of the
// run — and serves the harts' device accesses, which wait for its answer.
//
// Time: every hart's clock counts its own cycles; the machine's clock (the home block's) is the
// latest of them, and a hart's clock is moved up to it before each slice, so time never goes
// back for any hart and the harts stay within a slice of each other. When every hart waits in
// WFI the machine's clock skips to the earliest timer or device deadline, as the deterministic
// machine does.

import {
  SYS_HOME, SYS_CUR_VCPU, SYS_CLOCK_LO, SYS_CLOCK_HI, SYS_NOW_LO, SYS_NOW_HI, SYS_RETIRED, SYS_TRAPS, SYS_WATCH_ADDR, SYS_HOST_REQ,
  EXIT_WFI, EXIT_WATCH, EXIT_HALT, HOSTREQ_STOP, HOSTREQ_END, HOSTREQ_IRQ, THREAD_SYS_BASE, THREAD_SYS_SIZE, THREADS_MAX,
  V_STATE, V_STARTS, VS_RUNNABLE, HC_THREAD_WAKE, HC_HART_REMOTE, HC_FENCED, EXIT_RETRY, SYS_DSM_PAGE, SYS_DSM_WANT, vcpuAddr,
} from "../../assembly/layout.js";
import type { Core } from "../core/core.js";
import type { Board, DeviceBus, Halt } from "../vmm/board.js";
import type { VirtualTime } from "./time.js";
import { layoutWords } from "../vmm/guest-memory.js";
import { HomeNodes, type VnumaPlacement, type VnumaStats, type RemoteThread } from "./vnuma/home.js";
import type { Right } from "./vnuma/dsm.js";
import { askedOp } from "./vnuma/harts.js";

/** The control block of one hart's thread: words of a SharedArrayBuffer (hart-thread.mjs). */
export const PROTOCOL = {
  STATE: 0, OP: 1, A: 2, B: 3, C: 4, D: 5, RESULT: 6, DOOR: 7, STOP: 8, IDLE: 9, WAKE_LO: 10, WAKE_HI: 11,
  RETIRED_LO: 12, RETIRED_HI: 13, WORK_LO: 14, WORK_HI: 15, DONE: 16, GO: 17, LIMITED: 18, SEEN: 19,
  IDLE_STATE: 0, REQUEST: 1, ANSWERED: 2,
  OP_READ: 1, OP_WRITE: 2, OP_WATCH: 3, OP_HTIF_FLUSH: 4, OP_HALT: 5, OP_HYPERCALL: 6, OP_EVENTS: 7, OP_DSM: 8, OP_HART: 9,
} as const;
export const CONTROL_WORDS = 32;
/** Cycles a hart runs between two looks at the machine's clock and its stop flag. */
export const SLICE = 1 << 16;
/** Instructions allowed between an HTIF low-word write and its high word (as machine.ts). */
export const HTIF_GRACE = 16;
/** The core reports "no timer armed" as this many cycles or more. */
const TIMER_FAR = 0x40000000;

/** The start message of a hart's thread (hart-thread.mjs reads these fields). */
export interface HartThreadStart {
  hartThread: true;
  vcpu: number;
  /** Its vCPU block's address. */
  vcpuAddr: number;
  /** The control blocks of the set's threads by vCPU (the core wakes them: HC_THREAD_WAKE). */
  doors: Record<number, SharedArrayBuffer>;
  sysBase: number;
  memory: WebAssembly.Memory | SharedArrayBuffer;
  wasmModule?: WebAssembly.Module;
  tsUrl?: string;
  /** The layout's words (layoutWords of the shared memory), for the thread's own bookkeeping. */
  words: Int32Array;
  control: SharedArrayBuffer;
  bell: SharedArrayBuffer;
  /** The run's work budget left (a BigInt64 word; -1: no limit), shared by the threads. */
  budget: SharedArrayBuffer;
  /** The earliest device deadline, a clock value (a BigInt64 word; -1: none). */
  devNext: SharedArrayBuffer;
  slice: number;
  htifGrace: number;
  proto: typeof PROTOCOL & { IDLE: number };
  layout: Record<string, number>;
}

/** What the parallel run needs of the machine (src/machine/machine.ts). */
export interface ParallelHost {
  core: Core;
  board: Board;
  bus: DeviceBus;
  time: VirtualTime;
  /** vCPU indices of the harts, hart 0 first. */
  harts: readonly number[];
  /** The block whose clock is the harts' machine clock (default SYS_HOME, the system's; a
   *  partition on threads has a time domain of its own: DOMAIN_SYS_BASE + index × size). */
  clockBase?: number;
  halted(): Halt | null;
  halt(halt: Halt): void;
  /** The kernel halted hart `vcpu` (its halt reason is in its vCPU block); default: halt(). */
  kernelHalt?(vcpu: number): void;
  flushOutput(): void;
}

export interface ParallelOptions {
  /** Stop once the harts together have done exactly this much work (instructions + traps):
   *  the threads share it as a budget, slice by slice. */
  maxWork?: number;
  /** Console input may still come: a machine whose harts all wait then waits for it. */
  inputOpen?: () => boolean;
  waitForInput?: () => Promise<void>;
  /** The caller wants the run to end (a signal, Ctrl-A x). */
  stopped?: () => boolean;
  /** How far the clock may skip while every hart sleeps (a clock value; default: no limit, to
   *  the next deadline as the deterministic machine does). A partition on threads beside others
   *  paced by real time keeps to real time so (src/api/hypervisor.ts). */
  idleClockCap?: () => number;
  /** Back-pressure from the console's consumer (as Hypervisor.run's): while it returns a
   *  promise, device accesses wait, so a flooding guest cannot fill the host's memory. */
  outputBlocked?: () => Promise<void> | undefined;
  /** vNUMA (docs/vnuma.md): some harts run on other nodes — other processes — with the guest's
   *  RAM shared page by page. Absent: every hart on a thread of this process. */
  nodes?: VnumaPlacement;
}

export interface ParallelResult {
  /** Instructions retired and work done (instructions + traps), per hart. */
  retired: number[];
  work: number[];
  /** Why the run ended: the machine halted, the work limit, or the caller stopped it. */
  reason: "halted" | "limit" | "stopped";
  /** Real time to start the threads (each instantiates its core) before the harts ran (ms). */
  startMs: number;
  /** vNUMA runs: the shared memory's figures. */
  vnuma?: VnumaStats;
}

interface Thread {
  vcpu: number;
  control: Int32Array;
  sysBase: number;
  done: boolean;
  dispose(): void;
  /** vNUMA: the hart runs on another node; this control block mirrors its thread's. */
  remote?: boolean;
  /** vNUMA: the hart waits for a page the directory is getting (OP_DSM). */
  dsmPending?: boolean;
}

/** The layout's offsets a hart's thread uses (hart-thread.mjs `start.layout`). */
export function threadLayout(clockBase: number): Record<string, number> {
  return {
    SYS_HOME, CLOCK_BASE: clockBase, CLOCK_LO: SYS_CLOCK_LO - SYS_HOME, CLOCK_HI: SYS_CLOCK_HI - SYS_HOME, RETIRED: SYS_RETIRED - SYS_HOME,
    TRAPS: SYS_TRAPS - SYS_HOME, WATCH_ADDR: SYS_WATCH_ADDR - SYS_HOME,
    EXIT_WFI, EXIT_WATCH, EXIT_HALT, EXIT_RETRY, TIMER_FAR, V_STATE, V_STARTS, VS_RUNNABLE, HC_THREAD_WAKE, HC_HART_REMOTE, HC_FENCED,
    DSM_PAGE: SYS_DSM_PAGE - SYS_HOME, DSM_WANT: SYS_DSM_WANT - SYS_HOME,
  };
}

/** A thread running hart-thread.mjs: Node's worker_threads, or a module Web Worker. */
export async function startThread(start: HartThreadStart, onMessage: (m: { ready?: boolean; error?: string }) => void): Promise<() => void> {
  const url = new URL("./hart-thread.mjs", import.meta.url);
  if (typeof process !== "undefined" && process.versions?.node) {
    const { Worker } = await import(/* @vite-ignore */ "node:worker_threads");
    const worker = new Worker(url, { workerData: start });
    worker.on("message", onMessage);
    worker.on("error", (err: Error) => onMessage({ error: err.stack ?? String(err) }));
    worker.on("exit", (code: number) => { if (code !== 0) onMessage({ error: `the thread of vCPU ${start.vcpu} exited with code ${code}` }); });
    return () => { void worker.terminate(); };
  }
  const worker = new Worker(url, { type: "module" });
  worker.onmessage = (e: MessageEvent) => onMessage(e.data);
  worker.onerror = (e: ErrorEvent) => onMessage({ error: e.message });
  worker.postMessage(start);
  return () => worker.terminate();
}

const pair = (words: Int32Array, lo: number, hi: number): number => (words[hi >> 2] >>> 0) * 0x1_0000_0000 + (words[lo >> 2] >>> 0);

/** What HartThreads.poll() found: the threads all ended; every hart asleep with nothing but
 *  input (or the caller) to wake it; or running. */
export type PollState = "done" | "asleep" | "running";

/**
 * A set of harts running on threads, served by the home thread: the bare machine's whole run
 * (runParallel) or one partition's harts beside the others (src/api/hypervisor.ts). start()
 * starts the threads; poll() serves them once (device accesses, the clock, device deadlines,
 * idle skips, the limit) and never blocks; activity() waits until a thread asks for something.
 */
export class HartThreads {
  private readonly words: Int32Array;
  private readonly bell = new Int32Array(new SharedArrayBuffer(4));
  private readonly budget = new SharedArrayBuffer(8);
  private readonly devNext = new BigInt64Array(new SharedArrayBuffer(8));
  private readonly list: Thread[] = [];
  private readonly errors: string[] = [];
  private wakeHome: (() => void) | null = null;
  private stopping = false;
  /** Why the run ended (halted unless the limit or the caller ended it). */
  reason: ParallelResult["reason"] = "halted";
  /** Real time the threads took to start (ms). */
  startMs = 0;
  /** The home thread's own hart before the threads took theirs (restored by dispose()). */
  private homeVcpu = -1;
  /** vNUMA: the other nodes and the shared memory's directory. */
  private vnuma: HomeNodes | null = null;

  constructor(private readonly host: ParallelHost, private readonly options: ParallelOptions = {}) {
    if (!host.core.threads) throw new Error("harts on parallel threads need the machine's core made with `threaded: true`");
    if (host.harts.length > THREADS_MAX) throw new RangeError(`at most ${THREADS_MAX} harts run on threads`);
    if (options.nodes && options.nodes.placement.length !== host.harts.length) {
      throw new RangeError(`vNUMA: a node for each of the ${host.harts.length} harts is needed, not ${options.nodes.placement.length}`);
    }
    this.words = layoutWords(host.core.memory);
    new BigInt64Array(this.budget)[0] = options.maxWork === undefined ? -1n : BigInt(Math.max(0, Math.floor(options.maxWork)));
  }

  private get clockBase(): number {
    return this.host.clockBase ?? SYS_HOME;
  }

  /** Start a thread per hart (each instantiates its core and attaches its vCPU), then let them run. */
  async start(): Promise<void> {
    const threads = this.host.core.threads!;
    const words = this.words;
    // The hart the home thread holds goes home to its vCPU block first: the threads start from
    // the vCPU blocks (the loader may have set its registers in the home block only).
    this.homeVcpu = words[SYS_CUR_VCPU >> 2];
    this.host.core.exports.threadDetach();
    this.host.core.exports.threadAttach(this.homeVcpu);
    const P = PROTOCOL;
    const layout = threadLayout(this.clockBase);
    const t0 = performance.now();
    let ready = 0;
    // Every thread gets every other's door: the core wakes a hart's thread itself (HC_THREAD_WAKE).
    const controls = this.host.harts.map(() => new SharedArrayBuffer(CONTROL_WORDS * 4));
    const nodes = this.options.nodes;
    const here = (hart: number) => !nodes || nodes.placement[hart] === 0;
    // (the doors of this process's threads: a hart on another node is woken through the home node)
    const doors = Object.fromEntries(this.host.harts.map((vcpu, k) => [vcpu, controls[k]]).filter((_, k) => here(k)));
    // vNUMA: the core checks page rights from now on (set before any thread copies the home block).
    if (nodes) {
      this.vnuma = new HomeNodes(this.host.core, nodes, () => this.list.filter((t) => !t.remote).map((t) => ({
        vcpu: t.vcpu,
        ring: () => this.ring(t),
        parked: () => t.done || Atomics.load(t.control, P.DONE) === 1 || (Atomics.load(t.control, P.STATE) === P.REQUEST && t.control[P.OP] === P.OP_DSM),
      })));
    }
    const remote: Array<RemoteThread & { node: number }> = [];
    for (const [hart, vcpu] of this.host.harts.entries()) {
      const control = controls[hart];
      const sysBase = THREAD_SYS_BASE + vcpu * THREAD_SYS_SIZE; // (a vCPU's own: at most 8 in a system)
      if (!here(hart)) {
        const t: Thread = { vcpu, control: new Int32Array(control), sysBase, done: false, dispose: () => {}, remote: true };
        this.list.push(t);
        remote.push({ vcpu, control: t.control, sysBase, node: nodes!.placement[hart], ring: () => this.ring(t) });
        continue;
      }
      const dispose = await startThread({
        hartThread: true, vcpu, vcpuAddr: vcpuAddr(vcpu), sysBase, memory: threads.memory, wasmModule: threads.wasmModule, tsUrl: threads.tsUrl,
        words, control, doors, bell: this.bell.buffer as SharedArrayBuffer, budget: this.budget, devNext: this.devNext.buffer as SharedArrayBuffer,
        slice: SLICE, htifGrace: HTIF_GRACE, proto: { ...P, IDLE: P.IDLE }, layout,
      }, (m) => {
        if (m.ready) ready++;
        if (m.error) this.errors.push(`hart ${hart}: ${m.error}`);
        Atomics.add(this.bell, 0, 1);
        Atomics.notify(this.bell, 0);
        this.wakeHome?.();
      });
      this.list.push({ vcpu, control: new Int32Array(control), sysBase, done: false, dispose });
    }
    // Every thread attached before any hart runs.
    const locals = this.list.filter((t) => !t.remote).length;
    while (ready < locals && this.errors.length === 0) await this.activity(50);
    if (this.errors.length) throw new Error(`a hart's thread failed to start: ${this.errors[0]}`);
    if (this.vnuma) {
      this.vnuma.attach(remote, () => this.bellRing());
      await this.vnuma.start({ kind: this.host.core.kind, slice: SLICE, htifGrace: HTIF_GRACE, clockBase: this.clockBase }, () => this.activity(50));
    }
    this.publishDevices();
    for (const t of this.list) {
      Atomics.store(t.control, P.GO, 1);
      Atomics.notify(t.control, P.GO);
    }
    this.vnuma?.go();
    this.startMs = performance.now() - t0;
  }

  /** End the threads (after the run: they have stopped) and give the home thread its hart back. */
  dispose(): void {
    for (const t of this.list) t.dispose();
    this.vnuma?.release(); // (a run that ended before its end(): the home core must not keep checking)
    if (this.homeVcpu >= 0) this.host.core.exports.threadAttach(this.homeVcpu);
    this.homeVcpu = -1;
  }

  private bellRing(): void {
    Atomics.add(this.bell, 0, 1);
    Atomics.notify(this.bell, 0);
    this.wakeHome?.();
  }

  /**
   * After the run (every hart stopped): the other nodes' harts' state and pages come home and
   * the nodes end (vNUMA); nothing otherwise.
   */
  async end(): Promise<void> {
    if (!this.vnuma) return;
    await this.vnuma.end(() => this.activity(20));
    if (this.vnuma.failure) this.errors.push(this.vnuma.failure);
  }

  /** vNUMA runs: the shared memory's figures. */
  vnumaStats(): VnumaStats | undefined {
    return this.vnuma?.stats();
  }

  /** Wait (without blocking the home thread) until a thread rings or `ms` pass. */
  activity(ms: number): Promise<void> {
    return waitForBell(this.bell, (w) => { this.wakeHome = w; }, ms);
  }

  /** Instructions retired and work done, per hart. */
  counts(): { retired: number[]; work: number[] } {
    const P = PROTOCOL;
    return {
      retired: this.list.map((t) => count(t, P.RETIRED_LO, P.RETIRED_HI)),
      work: this.list.map((t) => count(t, P.WORK_LO, P.WORK_HI)),
    };
  }

  /** Stop every hart (at its next device access or slice end); poll() until "done". */
  stop(reason: ParallelResult["reason"] = "stopped"): void {
    if (this.stopping) return;
    this.stopping = true;
    this.reason = reason;
    const P = PROTOCOL;
    for (const t of this.list) {
      Atomics.store(t.control, P.STOP, 1);
      if (t.remote) {
        this.vnuma!.stopped(t.vcpu);
        continue;
      }
      // (ends its slice at the next device access; a wait for another hart gives up)
      Atomics.or(this.words, (t.sysBase + SYS_HOST_REQ - SYS_HOME) >> 2, HOSTREQ_STOP | HOSTREQ_END);
      this.ring(t);
    }
  }

  /** Wake every sleeping hart: something outside the threads may have raised a line (input). */
  ringAll(): void {
    for (const t of this.list) this.ring(t);
  }

  /** Wake thread t, asking its core for `hostReq` (HOSTREQ_*) too. */
  private ring(t: Thread, hostReq = 0): void {
    if (hostReq) Atomics.or(this.words, (t.sysBase + SYS_HOST_REQ - SYS_HOME) >> 2, hostReq);
    const door = Atomics.add(t.control, PROTOCOL.DOOR, 1) + 1;
    Atomics.notify(t.control, PROTOCOL.DOOR);
    if (t.remote) this.vnuma!.rang(t.vcpu, door, hostReq);
  }

  private threadClock(t: Thread): number {
    const words = this.words;
    let c: number;
    let hi: number;
    do {
      hi = Atomics.load(words, (t.sysBase + SYS_CLOCK_HI - SYS_HOME) >> 2);
      c = pair(words, t.sysBase + SYS_CLOCK_LO - SYS_HOME, t.sysBase + SYS_CLOCK_HI - SYS_HOME);
    } while (Atomics.load(words, (t.sysBase + SYS_CLOCK_HI - SYS_HOME) >> 2) !== hi);
    return c;
  }

  /** The harts' machine clock (the domain's: the home block's for a bare machine). */
  private clock(): number {
    return pair(this.words, this.clockBase + SYS_CLOCK_LO - SYS_HOME, this.clockBase + SYS_CLOCK_HI - SYS_HOME);
  }

  private setClock(c: number): void {
    Atomics.store(this.words, (this.clockBase + SYS_CLOCK_LO - SYS_HOME) >> 2, c % 0x1_0000_0000 | 0);
    Atomics.store(this.words, (this.clockBase + SYS_CLOCK_HI - SYS_HOME) >> 2, Math.floor(c / 0x1_0000_0000) | 0);
  }

  /** Fire the device deadlines the machine's clock has reached; publish the next one. */
  private publishDevices(): bigint | null {
    const next = this.host.board.deviceEvents();
    Atomics.store(this.devNext, 0, next === null ? -1n : next);
    return next;
  }

  /** Answer thread t's request (a device access, a hypercall, HTIF, a halt). */
  private answer(t: Thread): void {
    const { host, words } = this;
    const P = PROTOCOL;
    const c = t.control;
    let result = 0;
    // The home block's requests word is the accessing core's during the access (what a device
    // asks: stop after it, a deadline armed; retry it, more work than one exit): what the home
    // core had pending stays.
    const pending = Atomics.exchange(words, SYS_HOST_REQ >> 2, 0);
    try {
      if (t.remote && (c[P.OP] === P.OP_WATCH || c[P.OP] === P.OP_HTIF_FLUSH)) {
        host.halt({
          kind: "stopped", status: 1,
          message: `hart ${this.list.indexOf(t)} runs on another node (vNUMA), where HTIF (tohost) is not served: use the UART and the test finisher`,
        } as Halt);
      } else if (!host.halted()) {
        // The device sees the clock of the accessing instruction (the thread's SYS_NOW).
        words[(this.clockBase + SYS_NOW_LO - SYS_HOME) >> 2] = words[(t.sysBase + SYS_NOW_LO - SYS_HOME) >> 2];
        words[(this.clockBase + SYS_NOW_HI - SYS_HOME) >> 2] = words[(t.sysBase + SYS_NOW_HI - SYS_HOME) >> 2];
        switch (c[P.OP]) {
          case P.OP_READ: result = host.bus.read(c[P.A], c[P.B], c[P.C]); break;
          case P.OP_WRITE: host.bus.write(c[P.A], c[P.B], c[P.C], c[P.D]); break;
          case P.OP_WATCH: host.board.onWatch(c[P.A] >>> 0); result = host.board.htifPendingLow ? 1 : 0; break;
          case P.OP_HTIF_FLUSH: host.board.flushHtifLow(); break;
          case P.OP_EVENTS: this.setClock(Math.max(this.clock(), this.threadClock(t))); break; // (fired below)
          case P.OP_HYPERCALL: {
            // The calling hart's registers and the results are in its thread's block.
            host.board.callerShift = t.sysBase - SYS_HOME;
            try {
              host.board.hypercall(c[P.B], c[P.C]);
            } finally {
              host.board.callerShift = 0;
            }
            break;
          }
          case P.OP_HALT: // (the kernel halted the hart: SBI system reset, a trap loop)
            if (host.kernelHalt) host.kernelHalt(c[P.A]);
            else host.halt({ kind: "stopped", status: 1, message: `hart ${this.list.indexOf(t)} stopped: the core halted it` } as Halt);
            break;
          default: break;
        }
      }
    } catch (err) {
      host.halt({ kind: "stopped", status: 1, message: `stopped by a fatal fault: ${err instanceof Error ? err.message : String(err)}` } as Halt);
    }
    this.publishDevices();
    const asked = Atomics.exchange(words, SYS_HOST_REQ >> 2, pending);
    if (asked !== 0) Atomics.or(words, (t.sysBase + SYS_HOST_REQ - SYS_HOME) >> 2, asked);
    // The access halted the machine (a finisher, HTIF exit): the hart stops right after it, as
    // on the one-thread machine (the core looks at its requests after every device access).
    if (host.halted()) this.stop("halted");
    c[P.RESULT] = result | 0;
    Atomics.store(c, P.STATE, P.ANSWERED);
    Atomics.notify(c, P.STATE);
    if (t.remote) this.vnuma!.answered(t.vcpu, result | 0, asked, Atomics.load(this.devNext, 0), c[P.OP] === P.OP_HYPERCALL);
  }

  /** vNUMA: a hart of this node waits for a page; the directory gets it, then it goes on. */
  private fetchPage(t: Thread): void {
    if (t.dsmPending) return;
    t.dsmPending = true;
    const c = t.control;
    const P = PROTOCOL;
    this.vnuma!.fault(c[P.A] >>> 0, c[P.B] as Right).then(() => {
      if (!t.dsmPending) return; // (abandoned: the run ended without it)
      t.dsmPending = false;
      c[P.RESULT] = 0;
      Atomics.store(c, P.STATE, P.ANSWERED);
      Atomics.notify(c, P.STATE);
    }, (err) => { this.errors.push(`the shared memory: ${err instanceof Error ? err.message : String(err)}`); }).finally(() => this.bellRing());
  }

  /**
   * Serve the threads once: answer their requests, move the machine's clock up to the latest
   * hart's, fire device deadlines, end the run at a halt, the limit or the caller's stop, wake
   * harts whose deadline came, and when every hart sleeps skip the clock to the earliest
   * deadline. Never blocks. "asleep": every hart sleeps with nothing but input to wake it (the
   * caller waits for input and calls ringAll(), or ends the run).
   */
  poll(): PollState {
    const { host, options, list } = this;
    const P = PROTOCOL;
    let served = false;
    for (const t of list) {
      if (Atomics.load(t.control, P.STATE) === P.REQUEST) {
        if (this.vnuma && !t.remote && t.control[P.OP] === P.OP_DSM) {
          this.fetchPage(t);
        } else if (this.vnuma && !t.remote && t.control[P.OP] === P.OP_HART) {
          // (the hart's core waits for the answer itself, if there is one: the thread goes on)
          this.vnuma.hartOp(askedOp(this.words, t.vcpu, t.control[P.A]));
          Atomics.store(t.control, P.STATE, P.ANSWERED);
          Atomics.notify(t.control, P.STATE);
        } else {
          this.answer(t);
          served = true;
        }
      }
      if (!t.done && Atomics.load(t.control, P.DONE) === 1) t.done = true;
    }
    this.served = served;
    if (list.every((t) => t.done)) return "done";
    if (this.vnuma?.failure) {
      if (!this.errors.includes(this.vnuma.failure)) this.errors.push(this.vnuma.failure);
      // A page that may never come (its node is gone): the hart goes on and sees the stop.
      for (const t of list) {
        if (!t.dsmPending) continue;
        t.dsmPending = false;
        Atomics.store(t.control, P.STATE, P.ANSWERED);
        Atomics.notify(t.control, P.STATE);
      }
    }
    if (this.vnuma?.directory.error && this.errors.length === 0) this.errors.push(`the shared memory: ${this.vnuma.directory.error.message}`);
    if (this.errors.length && !this.stopping) {
      host.halt({ kind: "stopped", status: 1, message: `stopped by a fatal fault: ${this.errors[0]}` } as Halt);
    }
    let clock = this.clock();
    for (const t of list) clock = Math.max(clock, this.threadClock(t));
    this.setClock(clock);
    const next = this.publishDevices(); // (fires what is due at the machine's clock)
    this.vnuma?.sync(clock, next, served);
    if (host.halted()) this.stop("halted");
    // The limit: its budget spent, every hart has stopped for it (or sleeps).
    if (!this.stopping && options.maxWork !== undefined &&
      list.every((t) => t.done || Atomics.load(t.control, P.LIMITED) === 1 || Atomics.load(t.control, P.IDLE) === 1) &&
      list.some((t) => Atomics.load(t.control, P.LIMITED) === 1)) {
      this.stop("limit");
    }
    if (!this.stopping && options.stopped?.()) this.stop("stopped");
    if (this.stopping) return "running";
    // Harts asleep in WFI: wake those whose deadline the clock has reached, and when every hart
    // sleeps skip the clock to the earliest deadline (a timer's or a device's).
    const live = list.filter((t) => !t.done);
    const asleep = live.filter((t) => Atomics.load(t.control, P.IDLE) === 1 && Atomics.load(t.control, P.STATE) !== P.REQUEST);
    const wakeAt = (t: Thread) => (t.control[P.WAKE_LO] === -1 && t.control[P.WAKE_HI] === -1 ? Infinity : count(t, P.WAKE_LO, P.WAKE_HI));
    if (served) {
      // A device access may have raised a line (an IPI, a device interrupt): every hart looks (a
      // running one at its next device access or slice, a sleeping one now).
      for (const t of list) this.ring(t, HOSTREQ_IRQ);
    }
    for (const t of asleep) if (wakeAt(t) <= clock) this.ring(t);
    if (asleep.length === live.length && live.length > 0 && !served && settled(list)) {
      let earliest = Math.min(...asleep.map(wakeAt));
      if (next !== null) earliest = Math.min(earliest, Number(next));
      if (earliest === Infinity) return "asleep";
      const to = Math.min(earliest, options.idleClockCap?.() ?? Infinity);
      if (to >= earliest || to > clock) {
        // (a device's deadline may raise a line: every sleeping hart looks)
        if (to > clock) this.setClock(to);
        const due = this.publishDevices();
        this.vnuma?.sync(this.clock(), due, false, true);
        for (const t of asleep) this.ring(t);
      }
    }
    return "running";
  }

  /** Whether the last poll() answered a request (the caller may poll again at once). */
  served = false;
}

function count(t: Thread, lo: number, hi: number): number {
  return (t.control[hi] >>> 0) * 0x1_0000_0000 + (t.control[lo] >>> 0);
}

/**
 * Run the harts on threads until the machine halts, the work limit is reached or the caller
 * stops the run. The machine's state is complete afterwards (registers back in the vCPU
 * blocks), so it can be inspected as after a deterministic run.
 */
export async function runParallel(host: ParallelHost, options: ParallelOptions = {}): Promise<ParallelResult> {
  const threads = new HartThreads(host, options);
  try {
    await threads.start();
    while (true) {
      const state = threads.poll();
      if (state === "done") break;
      if (state === "asleep") {
        if (options.inputOpen?.() && options.waitForInput) {
          host.flushOutput();
          await options.waitForInput();
          threads.ringAll();
          continue;
        }
        host.halt({
          kind: "idle", status: 125,
          message: "the guest waits for an interrupt (WFI) that nothing can raise: no timer is armed and no input is pending",
        } as Halt);
        threads.stop("halted");
      }
      host.flushOutput();
      const blocked = options.outputBlocked?.();
      if (blocked) await blocked;
      else if (!threads.served) await threads.activity(5);
    }
    await threads.end();
    host.flushOutput();
    const vnuma = threads.vnumaStats();
    return { ...threads.counts(), reason: threads.reason, startMs: threads.startMs, ...(vnuma ? { vnuma } : {}) };
  } finally {
    threads.dispose();
  }
}

/** Wait (without blocking the home thread) until the bell rings or `ms` pass. */
export async function waitForBell(bell: Int32Array, setWake: (w: (() => void) | null) => void, ms: number): Promise<void> {
  const seen = Atomics.load(bell, 0);
  const waitAsync = (Atomics as unknown as { waitAsync?: (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: Promise<string> | string } }).waitAsync;
  if (waitAsync) {
    const r = waitAsync(bell, 0, seen, ms);
    if (r.async) await r.value;
    return;
  }
  // (no Atomics.waitAsync: a timer, cut short by the thread messages that poke the home thread)
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => { setWake(null); resolve(); }, Math.min(ms, 1));
    setWake(() => { clearTimeout(timer); setWake(null); resolve(); });
  });
}

/**
 * Every hart asleep, each having looked for a wake-up after the latest ring of its door (so it
 * saw every line raised before): nothing can wake the machine but time or input.
 */
function settled(list: Thread[]): boolean {
  const P = PROTOCOL;
  return list.every((t) => t.done || (Atomics.load(t.control, P.IDLE) === 1 && Atomics.load(t.control, P.STATE) !== P.REQUEST &&
    Atomics.load(t.control, P.SEEN) === Atomics.load(t.control, P.DOOR)));
}
