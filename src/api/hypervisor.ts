// The hypervisor: several isolated partitions on one core, each on its own QEMU-virt-compatible
// board (src/vmm/board.ts), scheduled by the kernel in the core (assembly/kernel/sched.ts).
//
//   const hv = new Hypervisor(description, { loadImage });   // validates; throws ConfigError
//   hv.on("output", (e) => …); hv.on("halted", (e) => …);
//   const result = await hv.run();                             // until every partition stops
//
// Nothing here imports Node modules: images come from the caller (src/node/system-file.ts reads
// them from disk), so the class runs in browsers too.

import { createCore, type Core, type CoreHost, type CoreKind } from "../core/core.js";
import {
  SYS_HV_MODE, SYS_PAGING, SYS_EXIT_VCPU, SYS_WATCH_ADDR, SYS_CLOCK_LO, SYS_CLOCK_HI, SYS_HOST_REQ,
  SYS_STAT_TLB_FILLS, SYS_STAT_SWITCHES, SYS_STAT_WALKS, SYS_STAT_SHADOW_HITS, SYS_STAT_MMIO,
  SYS_STAT_SBI, SCHED_FRAME, SCHED_WINDOW_COUNT, SCHED_VCPU_COUNT, SCHED_QUANTUM, SCHED_WINDOWS,
  SCHED_WINDOW_ENTRY, SW_START, SW_LENGTH, SW_MASK, V_PRIORITY, V_BUDGET, V_PERIOD, V_STATE,
  V_HALT_REASON, V_HALT_STATUS, V_STAT_RETIRED_LO, V_STAT_RETIRED_HI, V_STAT_CYCLES_LO,
  V_STAT_CYCLES_HI, V_STAT_TRAPS, V_STAT_MMIO, V_STAT_SBI, V_STAT_SYSTEM, V_STAT_WALKS,
  V_STAT_SHADOW_FILLS, V_STAT_SHADOW_HITS, V_STAT_SWITCHES_IN, V_MTVEC, V_STVEC, V_PRIV, V_PC,
  EXIT_BUDGET, EXIT_HOST, EXIT_WATCH, EXIT_HALT, EXIT_ALL_HALTED, EXIT_IDLE, EXIT_BREAK, EXIT_STEP, EXIT_RETRY, HOSTREQ_STOP,
  PAGING_SHADOW, PAGING_NESTED, RAM_HOST_BASE, STAGE2_BASE, STAGE2_END, VS_HALTED, HALT_SHUTDOWN,
  HALT_RESET, HALT_TRAP_LOOP, HALT_NONE, SYS_HC_ERROR, SYS_HC_VALUE, SYS_IPC_FAST, IPC_CHANNEL_COUNT, IPC_CHANNELS,
  IPC_CHANNEL_ENTRY, IPC_CHANNELS_MAX, CH_VCPU0, CH_ID0, CH_VCPU1, CH_ID1, CH_PP_END, V_CHANNELS,
  V_IPC_SERVER, V_IPC_CLIENT, V_PASSIVE, V_STAT_IPC_CALLS, V_STAT_IPC_SERVED, SYS_STAT_IPC_CALLS,
  SYS_STAT_IPC_FAST_CALLS, SYS_STAT_IPC_FAST_REPLIES, SYS_STAT_IPC_NOTIFIES, SYS_CUR_VCPU, SYS_HOME,
  V_ELSEWHERE, DOMAIN_SYS_BASE, THREAD_SYS_SIZE,
  SYS_NOW_LO, SYS_NOW_HI, SYS_TL_COUNT, SYS_TL_READ, SYS_TL_STALL, EXIT_TIMELINE, TIMELINE_BASE,
  TIMELINE_ENTRIES, TIMELINE_ENTRY, TL_CLOCK_LO, TL_CLOCK_HI, TL_VCPU, TL_REASON, TL_SCHEDULE, TL_IDLE,
  TL_IPC_CALL, TL_IPC_REPLY, SYS_TL_RUNNING, V_IPC_STATE, SYS_DIRTY_ON, DIRTY_BASE, DIRTY_PAGES, vcpuAddr,
  V_PREVIRT, V_STAT_VCSR_FAST, V_STAT_VCSR_SLOW, V_STAT_EXIT_KINDS, JIT_AREA_BYTES, SYS_JIT_BASE, SYS_JIT_HOT,
} from "../../assembly/layout.js";
import { JsBackend } from "../jit/js-backend.js";
import { WasmBackend } from "../jit/wasm-backend.js";
import { elfSiteTable, sidecarSiteTable, patchSites, EXIT_KIND_NAMES, type SiteTable, type PatchReport } from "../loader/previrt.js";
import { Board, DeviceBus, Stage2Allocator, RAM_BASE, STATUS_FAULT, type Halt, type MappedRegion } from "../vmm/board.js";
import { VirtualTime } from "../machine/time.js";
import { layoutWords, wholeMachine, jitArea, nodeTableBytes } from "../vmm/guest-memory.js";
import { TriggerUnit } from "../debug/triggers.js";
import { parseBootImage, isLinuxImage } from "../loader/linux.js";
import { parseFirmware } from "../loader/firmware-boot.js";
import type { BlockStorage } from "../devices/virtio-blk.js";
import { WallClockPacer } from "../machine/wall-clock.js";
import { HartThreads } from "../machine/parallel.js";
import { jitHotValue, jitOn } from "../jit/hot.js";
import { VnumaError, type NodeLink, type VnumaStats } from "../machine/vnuma/home.js";
import { blockPlacement, nodeRamRange } from "../machine/vnuma/placement.js";

/** wasmvisor's hypercall extension and its notify function (assembly/kernel/sbi.ts, ipc.ts). */
const EID_WASMVISOR = 0x08574d56;
const FID_NOTIFY = 3;
import type { SemihostFiles } from "../devices/semihosting.js";
import { validateSystem, describeSystem, hartVcpus, ConfigError, type SystemConfig, type DiskConfig } from "../config/system.js";
import { MemoryDisk, WriteTrackingDisk } from "../devices/virtio-blk.js";
import type { ElfImage } from "../loader/elf.js";
import { SnapshotError, StateReader, encode, type StateValue } from "../snapshot/state.js";
import { ByteRing } from "../devices/byte-queue.js";

/** Console output kept per partition for a snapshot to redraw a terminal with. */
export const CONSOLE_HISTORY = 64 * 1024;
import { captureSnapshot, decodeSnapshot, SnapshotCache, type SnapshotInfo, type SnapshotContents } from "../snapshot/format.js";
import { checkCoreState } from "../snapshot/core-check.js";
import { userDeviceProblem, type UserDevice } from "../devices/user-device.js";
import { initrdWithFiles, newcArchive, type GuestFile } from "../loader/cpio.js";
import { FileAgent } from "./files.js";

/** A partition's boot files, read and parsed, and their fingerprint (SHA-256, hex). */
interface BootFiles {
  /** The boot image, or the firmware of a firmware boot. */
  image: ElfImage;
  /** The kernel of a firmware boot. */
  kernel?: { bytes: Uint8Array; name: string };
  initrd?: { bytes: Uint8Array; name: string };
  hash: string;
  /** The image's pre-virtualization site table, when the partition enables previrt and the
   *  image has one (src/loader/previrt.ts). */
  sites?: SiteTable;
}

/** What Hypervisor.restore hands to build(): the core's memory (null: written into the core
 *  already), the host-side state, the disks. */
interface RestoredSystem {
  memory: Uint8Array | null;
  state: StateReader;
  disks: Array<BlockStorage | undefined>;
}

/** The options of Hypervisor.restore: those of a new Hypervisor, except what the snapshot says. */
export interface RestoreOptions extends Omit<HypervisorOptions, "loadImage" | "openDisk" | "paging" | "ipcFastPath"> {
  /** Only needed to restart a partition from its image later (checked against the snapshot's). */
  loadImage?: HypervisorOptions["loadImage"];
  /** Must match the snapshot's paging mode if given (the core's tables are in the snapshot). */
  paging?: PagingMode;
  /** The storage a restored disk runs on, holding `contents` (the disk as the snapshot saw it).
   *  Default: in memory (a MemoryDisk), so restoring never writes over a host file. */
  restoreDisk?: (disk: DiskConfig, contents: Uint8Array) => BlockStorage | Promise<BlockStorage>;
}

/** The largest disk a snapshot embeds. */
export const MAX_SNAPSHOT_DISK = 1024 * 1024 * 1024;
const HALT_KINDS = ["pass", "fail", "reset", "htif", "semihosting", "shutdown", "fault", "limit", "idle", "stopped", "killed"] as const;

/** SHA-256 (hex) of some byte arrays, one after the other. */
async function fileHash(parts: Uint8Array[]): Promise<string> {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

export type PagingMode = "shadow" | "nested";

export interface HypervisorOptions {
  /** Which build of the core runs the system (default "wasm"). */
  core?: CoreKind;
  /** Shadow page tables (default) or nested paging with a two-stage walk on each TLB miss. */
  paging?: PagingMode;
  /** Compiled build/core.wasm, required for the Wasm core. */
  wasmModule?: WebAssembly.Module;
  /** The threaded build (build/core-mt.wasm), compiled, for a system with partitions on threads
   *  ("parallel": true; default: the core loads it). `wasmModule` is then not used. */
  threadedWasmModule?: WebAssembly.Module;
  /** The translator (docs/jit.md): hot guest code of every partition runs as translated
   *  functions (Wasm modules on the Wasm core, JavaScript on the pure-TS core); guests see no
   *  difference. Default true (WASMVISOR_JIT=off in the environment turns it off). A snapshot does not hold translations: it restores with the
   *  translator on or off. Not with partitions on threads (the threaded build has no translator:
   *  the option is then ignored). */
  jit?: boolean;
  /** Probes of a branch target before the translator translates it (default: 16384 on the Wasm
   *  core, 131072 on the pure-TS core; docs/jit.md). */
  jitHot?: number;
  /** Bytes of an image or initrd named in the description (as written there). */
  loadImage: (image: string) => Uint8Array | Promise<Uint8Array>;
  /** The storage behind a partition's "disk" (Node: src/node/system-file.ts opens host files;
   *  a browser can hand in a MemoryDisk). Required when a partition has a disk. */
  openDisk?: (disk: DiskConfig) => BlockStorage | Promise<BlockStorage>;
  /** The directory behind a partition's semihosting "dir" (Node: src/node/semihost-dir.ts, its
   *  files confined to it). Required when a partition names one. */
  openSemihostDir?: (dir: string) => SemihostFiles;
  /** Keep virtual time from running ahead of real time (for interactive use). Default: off, so
   *  runs are deterministic and as fast as the host allows. */
  wallClock?: boolean;
  /** Name of the description for messages (default "system.json"). */
  file?: string;
  /** Let protected procedure calls take the IPC fast path when they can (default true). With
   *  false every call and reply takes the slow path; guests see the same results. */
  ipcFastPath?: boolean;
  /** While someone listens to "switch": pause a run to hand over the core's schedule timeline
   *  before it fills (default true), so no switch is lost; guests see no difference. With false
   *  the timeline keeps the latest 4096 switches of each step of the run and the first event
   *  after a gap says how many were `lost` (less host work when switches are very frequent). */
  switchBackpressure?: boolean;
  /** Device models of one's own, by partition name: each on that partition's bus with the same
   *  isolation as the built-in devices (src/devices/user-device.ts; docs/api.md). */
  devices?: Record<string, readonly UserDevice[]>;
  /** Files put into a partition's initial root filesystem at boot, by partition name: appended
   *  to its initrd as a second cpio archive (src/loader/cpio.ts; docs/files.md). The partition
   *  needs an initrd. They are there again after a restart. */
  addFiles?: Record<string, readonly GuestFile[]>;
  /** vNUMA (docs/vnuma.md): the links to the other nodes of the partition described with
   *  "nodes": K (K - 1 of them: src/node/vnuma.ts startNodes makes them on Node). Its harts are
   *  spread over the nodes in blocks (hart 0 here); the nodes end with the first run(). */
  vnuma?: { links: readonly NodeLink[] };
}

export interface OutputEvent { partition: string; data: Uint8Array }
export interface HaltEvent { partition: string; halt: Halt }
/**
 * What runs changed: from virtual time `at` (cycles since start) on, `partition` runs (null:
 * nothing, the system is idle). Emitted in time order, after each step of a run (and before an
 * "exit" event, so the two interleave in time order too).
 */
export interface SwitchEvent {
  at: number;
  partition: string | null;
  /** "schedule" (the scheduler chose it: a window, budget, quantum, preemption, or the one before
   *  waited, blocked or halted), "idle", "ipc-call" / "ipc-reply" (the IPC fast path switched
   *  inside a slice: a call to a passive server, the reply back to the caller). */
  reason?: SwitchReason;
  /** Switches before this one that were overwritten before the host read them (only with
   *  switchBackpressure false); the previous event's partition did not run all the way to `at`. */
  lost?: number;
}
export type SwitchReason = "schedule" | "idle" | "ipc-call" | "ipc-reply";
/**
 * A partition's exit to the host at virtual time `at`: a device access ("mmio", including HTIF
 * tohost stores), a hypercall the kernel forwards to the host ("hypercall": SBI console,
 * notifications), or the partition halting ("halt"). Only computed while someone listens.
 */
export interface ExitEvent {
  at: number;
  partition: string;
  kind: "mmio" | "hypercall" | "halt";
  detail?: string;
}
type Listeners = {
  output: (e: OutputEvent) => void; halted: (e: HaltEvent) => void; fault: (e: HaltEvent) => void;
  switch: (e: SwitchEvent) => void; exit: (e: ExitEvent) => void;
};
const SWITCH_REASONS: Record<number, SwitchReason> = {
  [TL_SCHEDULE]: "schedule", [TL_IDLE]: "idle", [TL_IPC_CALL]: "ipc-call", [TL_IPC_REPLY]: "ipc-reply",
};

export interface PartitionStats {
  name: string;
  instructions: number;
  /** Cycles the partition ran (instructions + traps) and its share of all cycles run. */
  cycles: number;
  share: number;
  exits: { mmio: number; sbi: number; trapAndEmulate: number; traps: number; switchesIn: number };
  /** Pre-virtualization (docs/previrt.md), when its sites were patched: how many, and how often
   *  a patched site completed in the interpreter's fast loop or took the trap-and-emulate path
   *  (those are in exits.trapAndEmulate too). */
  previrt?: { sites: number; fast: number; slow: number };
  paging: { walks: number; shadowFills: number; shadowHits: number };
  /** Protected calls this partition made, and calls it served. */
  ipc: { calls: number; served: number };
  /** Its virtio disk, if it has one: requests since the partition (re)started, the cache mode
   *  the guest sees, and what the host did: fdatasyncs, and bytes acknowledged but not yet in
   *  the file (RapiLog's buffer; 0 for writethrough). */
  disk?: DiskStats;
  /** vNUMA (docs/vnuma.md): its harts ran on several nodes; the shared memory's figures of the
   *  last run. */
  vnuma?: VnumaStats;
  halted: Halt | null;
}

export interface DiskStats {
  reads: number;
  writes: number;
  flushes: number;
  errors: number;
  bytesRead: number;
  bytesWritten: number;
  cache: "writeback" | "writethrough";
  hostSyncs: number;
  pendingBytes: number;
}

export interface HypervisorStats {
  /** Virtual time elapsed, in cycles and seconds (includes time when nothing ran). */
  cycles: number;
  seconds: number;
  instructions: number;
  worldSwitches: number;
  exits: { mmio: number; sbi: number };
  /** Protected calls made, how many calls and replies took the fast path, notifications. */
  ipc: { calls: number; fastCalls: number; fastReplies: number; notifications: number };
  /** "switch" events emitted, and switches lost before the host read them (see SwitchEvent). */
  switchEvents: { emitted: number; lost: number };
  tlbFills: number;
  walks: number;
  shadowHits: number;
  partitions: PartitionStats[];
}

export interface SystemResult {
  /** Every partition's halt (null for a partition that was still running when the run ended). */
  partitions: Array<{ name: string; halt: Halt | null }>;
  /** 0 when every partition stopped successfully, else the first failing status. */
  status: number;
  /** Why the run ended: "halted" (all stopped), "limit", "idle", "stopped". */
  reason: "halted" | "limit" | "idle" | "stopped";
}

/** Cycles of virtual time per call into the core (hvRun): small enough that the slowest core
 *  returns within a few milliseconds of real time. */
const CHUNK = 1 << 20;
/** run() gives the host's event loop a turn at least this often (ms of real time), so input,
 *  signals (Ctrl-C, SIGTERM) and stop() act promptly; advance() returns after this long too. */
const YIELD_MS = 20;

/** One turn of the host's event loop, without timer clamping: setImmediate in Node, a
 *  MessageChannel message in browsers and workers (which lack setImmediate). */
export const yieldToHost: () => Promise<void> = (() => {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  if (typeof immediate === "function") return () => new Promise<void>((resolve) => immediate(resolve));
  const channel = new MessageChannel();
  const queue: Array<() => void> = [];
  channel.port1.onmessage = () => queue.shift()?.();
  return () => new Promise<void>((resolve) => {
    queue.push(resolve);
    channel.port2.postMessage(null);
  });
})();
const HTIF_GRACE = 16;
export { STATUS_FAULT } from "../vmm/board.js";

export class Hypervisor {
  readonly config: SystemConfig;
  readonly options: HypervisorOptions;
  private core: Core | null = null;
  private words!: Int32Array;
  private boards: Board[] = [];
  private halts: Array<Halt | null> = [];
  /** Each partition's harts as vCPUs of the core, hart 0 first (config/system.ts hartVcpus). */
  private get hartVcpus(): number[][] {
    return (this.hartMap ??= hartVcpus(this.config.partitions));
  }
  private hartMap: number[][] | null = null;
  /** The partition whose hart vCPU `vcpu` is. */
  private partitionOf(vcpu: number): number {
    if (vcpu < this.config.partitions.length) return vcpu;
    return this.hartVcpus.findIndex((h) => h.includes(vcpu));
  }
  private readonly listeners: { [K in keyof Listeners]: Array<Listeners[K]> } = { output: [], halted: [], fault: [], switch: [], exit: [] };
  private bus: DeviceBus | null = null;
  /** Timeline entries consumed (SYS_TL_COUNT's value when last drained, mod 2^32). */
  private timelineRead = 0;
  private switchesEmitted = 0;
  private switchesLost = 0;
  private readonly inputListeners = new Map<string, Array<(d: Uint8Array) => void>>();
  private starting: Promise<void> | null = null;
  private makeBoard: ((i: number) => Board) | null = null;
  private disks: Array<WriteTrackingDisk | undefined> = [];
  private time: VirtualTime | null = null;
  private stopRequested = false;
  /** True while advance() runs (a snapshot is taken between steps, never inside one). */
  private advancing = false;
  /** run() keeps virtual time from running ahead of real time (options.wallClock; setWallClock). */
  private pacedByWallClock: boolean;

  /** `config` is a system description (validated here; throws ConfigError) or a SystemConfig. */
  constructor(config: unknown, options: HypervisorOptions) {
    this.options = options;
    this.pacedByWallClock = options.wallClock === true;
    this.config = isSystemConfig(config) ? config : validateSystem(config, options.file ?? "system.json");
    this.halts = this.config.partitions.map(() => null);
    for (const [name, list] of Object.entries(options.devices ?? {})) {
      this.partitionIndex(name); // (a RangeError naming the partitions)
      if (!Array.isArray(list)) throw new RangeError(`devices of "${name}": an array of devices`);
      for (const d of list) {
        const problem = userDeviceProblem(d);
        if (problem) throw new RangeError(`devices of "${name}": ${problem}`);
      }
    }
    for (const [name, files] of Object.entries(options.addFiles ?? {})) {
      const p = this.config.partitions[this.partitionIndex(name)];
      if (p.initrd === undefined) throw new RangeError(`addFiles of "${name}": the partition has no initrd to add files to (files go into the initial root filesystem)`);
      newcArchive(files); // (a RangeError naming the bad path or the size, before anything starts)
    }
  }

  on<K extends keyof Listeners>(type: K, listener: Listeners[K]): () => void {
    (this.listeners[type] as Array<Listeners[K]>).push(listener);
    return () => {
      const list = this.listeners[type] as Array<Listeners[K]>;
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** Someone listens to "exit" (checked on every exit: the only cost when no one does). */
  private get tracingExits(): boolean {
    return this.listeners.exit.length !== 0;
  }

  /** Cycles of virtual time per second: cyclesPerTick × the 10 MHz mtime timebase. */
  get cyclesPerSecond(): number {
    return this.config.cyclesPerTick * 10_000_000;
  }

  /** A partition's console: its output, and input to its UART (or SBI console). */
  console(name: string): { onData: (cb: (d: Uint8Array) => void) => () => void; write: (d: Uint8Array | string) => void } {
    const index = this.partitionIndex(name);
    return {
      onData: (cb) => this.on("output", (e) => { if (e.partition === name) cb(e.data); }),
      write: (d) => {
        const bytes = typeof d === "string" ? new TextEncoder().encode(d) : d;
        if (this.boards[index]) this.boards[index].pushInput(bytes);
        else {
          const queue = (this.pendingInput[index] ??= []);
          for (const b of bytes) queue.push(b); // (no spread: input may be megabytes)
        }
      },
    };
  }
  private readonly pendingInput: number[][] = [];

  /**
   * Files into and out of a running partition, through the guest's file agent (the partition
   * needs the "file-agent" device; the project's Linux userland starts the agent):
   * `await hv.files("linux").write("/root/a.txt", "hi")`, `.read(path)`, `.list(dir)`. Each
   * promise settles as the guest runs (hv.run/step). docs/files.md.
   */
  files(name: string): FileAgent {
    const i = this.partitionIndex(name);
    return (this.fileAgents[i] ??= new FileAgent(name, this.config.partitions[i].devices.includes("file-agent"),
      (bytes) => this.boards[i]?.fileAgent?.pushInput(bytes), () => this.clock(), this.cyclesPerSecond,
      () => (this.halts[i] ? `the partition has stopped (${this.halts[i]!.message})` : null),
      () => this.boards[i]?.fileAgent?.discardInput()));
  }
  private readonly fileAgents: Array<FileAgent | undefined> = [];

  partitionIndex(name: string): number {
    const i = this.config.partitions.findIndex((p) => p.name === name);
    if (i < 0) throw new RangeError(`no partition "${name}"; the partitions are ${this.config.partitions.map((p) => p.name).join(", ")}`);
    return i;
  }

  /** Instantiate the core, build the boards and load every image (run() does it on demand). */
  start(): Promise<void> {
    this.starting ??= this.build();
    return this.starting;
  }

  /** This system's core (created once): its memory holds every partition's RAM after the layout. */
  private async coreFor(): Promise<Core> {
    if (this.core) return this.core;
    const cfg = this.config;
    const ramTotal = cfg.partitions.reduce((n, p) => n + p.ramBytes, 0) + cfg.regions.reduce((n, r) => n + r.size, 0);
    const threaded = cfg.partitions.some((p) => p.parallel);
    this.memoryEnd = RAM_HOST_BASE + ramTotal;
    this.core = await createCore({
      kind: this.options.core ?? "wasm",
      // (the translator's area follows everything a snapshot holds; vNUMA's rights table too)
      memoryBytes: this.memoryEnd + (this.jitUsed ? JIT_AREA_BYTES : 0) + (cfg.partitions.some((p) => p.nodes > 1) ? nodeTableBytes(ramTotal) : 0),
      // (harts on threads: the threaded build, which finds its own module unless given one)
      wasmModule: threaded ? this.options.threadedWasmModule : this.options.wasmModule,
      threaded,
      host: (this.coreHost = {
        jitCompile: (ir) => (this.jitBackend as JsBackend | null)?.compile(ir) ?? null,
        jitWasm: null,
        mmioRead: (d, o, s) => {
          if (this.tracingExits) this.mmioExit(d, o, s, "read");
          return this.bus!.read(d, o, s);
        },
        mmioWrite: (d, o, s, v) => {
          if (this.tracingExits) this.mmioExit(d, o, s, "write");
          this.bus!.write(d, o, s, v);
        },
        hypercall: (vcpu, e, f) => {
          // (Only hart 0 of a partition holds its channels: kernel/ipc.ts refuses the others'.)
          const v = this.partitionOf(vcpu);
          if (this.tracingExits) this.hypercallExit(v, e, f);
          if (e === EID_WASMVISOR && f === FID_NOTIFY) this.notifyFrom(v, this.boards[v].callerRegister(10));
          else this.boards[v].hypercall(e, f);
        },
      }),
    });
    if (this.jitUsed) {
      const area = jitArea(this.core.memory, this.memoryEnd);
      this.jitBackend = this.core.kind === "ts" ? new JsBackend(area, this.memoryEnd) : new WasmBackend(area, this.memoryEnd, this.core.wasmMemory!, this.core.wasmTable!);
      this.coreHost!.jitWasm = this.jitBackend instanceof WasmBackend ? this.jitBackend : null;
    }
    return this.core;
  }

  /** Is the translator on (docs/jit.md)? */
  private get jitUsed(): boolean {
    // (the threaded build has no translator: a system with partitions on threads runs without)
    return jitOn(this.options.jit) && !this.config.partitions.some((p) => p.parallel);
  }

  /** The end of what a snapshot holds of the core's memory: the layout and every partition's
   *  and region's RAM (the translator's area, after it, is never saved). */
  private memoryEnd = 0;
  /** The translator's back end when it is on. */
  private jitBackend: JsBackend | WasmBackend | null = null;
  /** The callbacks the core was given (the Wasm back end joins them once the core exists). */
  private coreHost: CoreHost | null = null;

  /**
   * The translator's area anew (when it is on): no translation, no count. After a restore (the
   * layout's SYS_JIT_BASE is the source's: forgotten, not flushed, for its handles were never
   * this core's) and a partition's restart.
   */
  private resetTranslations(words: Int32Array, restored: boolean): void {
    if (restored) words[SYS_JIT_BASE >> 2] = 0;
    // (the host's choice, not a snapshot's; first: jitReset reads it)
    words[SYS_JIT_HOT >> 2] = this.jitUsed ? jitHotValue(this.options.jitHot, this.core!.kind) : 0;
    this.core!.exports.jitReset(this.jitUsed ? this.memoryEnd : 0);
  }

  /** Translator statistics (null: off): regions translated, guest instructions in them, the
   *  back end's time and source bytes. */
  jitStats(): { regions: number; sourceBytes: number; milliseconds: number } | null {
    const b = this.jitBackend;
    return b ? { regions: b.regions, sourceBytes: b instanceof JsBackend ? b.sourceBytes : b.codeBytes, milliseconds: b.milliseconds } : null;
  }

  /**
   * Live migration's destination (src/node/migrate.ts): the core of this not yet started system,
   * its memory (all zero) to write the arriving pages into; Hypervisor.restoreContents(…, this)
   * then takes the rest of the state without copying the memory again.
   */
  async coreMemoryForMigration(): Promise<Uint8Array> {
    if (this.starting) throw new Error("coreMemoryForMigration: the system has started");
    return wholeMachine((await this.coreFor()).memory).subarray(0, this.memoryEnd);
  }

  /** A partition's image and initrd, read and parsed (once; kept for restarts and snapshots). */
  private bootFiles(i: number): Promise<BootFiles> {
    this.boot[i] ??= (async () => {
      const p = this.config.partitions[i];
      if (!this.options.loadImage) throw new RangeError(`partition "${p.name}": its image is needed (a restart) but the Hypervisor was given no loadImage option`);
      const bytes = await this.options.loadImage(p.image);
      const image = p.firmware ? parseFirmware(bytes, p.image, RAM_BASE) : parseBootImage(bytes, p.image, RAM_BASE);
      const kernel = p.kernel === undefined ? undefined : { bytes: await this.options.loadImage(p.kernel), name: p.kernel };
      let initrd = p.initrd === undefined ? undefined : { bytes: await this.options.loadImage(p.initrd), name: p.initrd };
      const added = this.options.addFiles?.[p.name];
      if (initrd && added?.length) initrd = { bytes: initrdWithFiles(initrd.bytes, added), name: `${p.initrd} with ${added.length} added file${added.length === 1 ? "" : "s"}` };
      const files: BootFiles = { image, kernel, initrd, hash: await fileHash([bytes, ...(kernel ? [kernel.bytes] : []), ...(initrd ? [initrd.bytes] : [])]) };
      if (p.previrt && !p.firmware) files.sites = await this.siteTable(p.image, bytes, image);
      const expected = this.restoredHashes?.[i];
      if (expected !== undefined && files.hash !== expected) {
        throw new SnapshotError(`partition "${p.name}": ${p.image}${p.initrd ? ` (with ${p.initrd})` : ""} is not the image this snapshot's system ran: it cannot be started again from it`);
      }
      return files;
    })();
    return this.boot[i];
  }
  private boot: Array<Promise<BootFiles> | undefined> = [];

  /** An image's site table: an ELF's .wvsites section, or a Linux Image's sidecar file
   *  `<image>.wvsites` (none: undefined, and the image runs unpatched). */
  private async siteTable(name: string, bytes: Uint8Array, image: ElfImage): Promise<SiteTable | undefined> {
    if (!isLinuxImage(bytes)) return elfSiteTable(bytes, image, name) ?? undefined;
    let sidecar: Uint8Array;
    try {
      sidecar = await this.options.loadImage!(`${name}.wvsites`);
    } catch {
      return undefined;
    }
    const seg = image.segments[0];
    return sidecarSiteTable(sidecar, seg.paddr, seg.data.length, `${name}.wvsites`);
  }

  /** Per partition: what pre-virtualization patched (undefined: nothing; previrt off or no
   *  table). The originals let a debugger show the image as it was. */
  private previrtReports: Array<PatchReport | undefined> = [];

  /** Partition `name`'s trap-and-emulate exits by kind (docs/previrt.md: where the exits
   *  pre-virtualization leaves come from); they add up to stats().partitions[i].exits.trapAndEmulate. */
  exitProfile(name: string): Record<string, number> {
    const v = vcpuAddr(this.partitionIndex(name));
    const out: Record<string, number> = {};
    EXIT_KIND_NAMES.forEach((k, i) => { out[k] = this.words[(v + V_STAT_EXIT_KINDS + 4 * i) >> 2] >>> 0; });
    return out;
  }

  /** What pre-virtualization patched in partition `name`'s memory (docs/previrt.md). */
  previrtReport(name: string): PatchReport | undefined {
    const i = this.config.partitions.findIndex((p) => p.name === name);
    return i < 0 ? undefined : this.previrtReports[i];
  }
  private restoredHashes: string[] | null = null;
  /** A partition's boot files once read (the sync path of a restart after start()). */
  private bootReady: Array<BootFiles | undefined> = [];

  private async build(restored?: RestoredSystem): Promise<void> {
    const cfg = this.config;
    if (!restored) {
      this.bootReady = await Promise.all(cfg.partitions.map((_, i) => this.bootFiles(i)));
    }
    const opened = restored ? restored.disks : await Promise.all(cfg.partitions.map(async (p) => {
      if (!p.disk) return undefined;
      if (!this.options.openDisk) throw new RangeError(`partition "${p.name}" has a disk (${p.disk.file}) but the Hypervisor was given no openDisk option`);
      return this.options.openDisk(p.disk);
    }));
    // (Each disk remembers what is written while live migration tracks it.)
    const disks = opened.map((d) => d && new WriteTrackingDisk(d));
    const core = await this.coreFor();
    const words = (this.words = layoutWords(core.memory));
    const nested = this.options.paging === "nested";
    if (restored) {
      // The whole machine as it was: harts, kernel, memory maps, IPC, schedule, guest RAM
      // (already in the core when live migration wrote it there page by page).
      if (restored.memory) {
        if (restored.memory.length !== this.memoryEnd) {
          throw new SnapshotError(`snapshot: its memory is ${restored.memory.length} bytes; this system's core has ${this.memoryEnd}`);
        }
        wholeMachine(core.memory).set(restored.memory);
      }
      this.resetTranslations(words, true);
      if (words[SYS_PAGING >> 2] !== (nested ? PAGING_NESTED : PAGING_SHADOW) || words[SYS_HV_MODE >> 2] !== 1) {
        throw new SnapshotError("snapshot: its core's paging mode is not the one it says");
      }
    } else {
      core.exports.systemReset(cfg.cyclesPerTick);
      this.resetTranslations(words, false);
      words[SYS_HV_MODE >> 2] = 1;
      words[SYS_PAGING >> 2] = nested ? PAGING_NESTED : PAGING_SHADOW;
    }
    const time = (this.time = new VirtualTime(core.memory, core.exports));
    const bus = (this.bus = new DeviceBus(time));
    const stage2 = nested ? new Stage2Allocator(words, STAGE2_BASE, STAGE2_END) : undefined;

    // Host memory: each partition's RAM, then the shared regions.
    let host = RAM_HOST_BASE;
    const ramHosts = cfg.partitions.map((p) => { const h = host; host += p.ramBytes; return h; });
    const regionHosts = cfg.regions.map((r) => { const h = host; host += r.size; return h; });

    // Each partition's channels: its id for the channel, the channel, the shared region there.
    const channelsOf = cfg.partitions.map((_, i) => cfg.channels.flatMap((c) => c.ends.filter((e) => e.partition === i).map((e) => {
      const m = c.region === undefined ? undefined : cfg.partitions[i].mappings.find((x) => x.region === c.region);
      return { id: e.id, name: c.name, ...(m ? { region: { gpa: m.address, size: cfg.regions[c.region!].size } } : {}) };
    })));
    /** A partition's board with its devices (nothing loaded). */
    const newBoard = (i: number): Board => {
      const p = cfg.partitions[i];
      const regions: MappedRegion[] = p.mappings.map((m) => ({
        name: cfg.regions[m.region].name, gpa: m.address, size: cfg.regions[m.region].size,
        host: regionHosts[m.region], read: m.read, write: m.write, exec: m.exec,
      }));
      const sh = p.semihosting;
      if (sh?.dir !== undefined && !this.options.openSemihostDir) {
        throw new RangeError(`partition "${p.name}" has a semihosting directory (${sh.dir}) but the Hypervisor was given no openSemihostDir option`);
      }
      const semihosting = sh && { files: sh.dir === undefined ? null : this.options.openSemihostDir!(sh.dir), userspace: sh.userspace, cmdline: sh.cmdline };
      // A partition on threads keeps time of its own (its harts' clock, src/machine/parallel.ts):
      // its devices see that clock, through a bus of their own.
      const domain = p.parallel ? this.timeDomain(core, i) : null;
      const board = new Board({
        core, bus: domain?.bus ?? bus, time: domain?.time ?? time, index: i, hartVcpus: this.hartVcpus[i], name: p.name, mode: p.mode, ramBytes: p.ramBytes, ramHost: ramHosts[i],
        devices: p.devices, regions, stage2, bootargs: p.bootargs, disk: disks[i], htif: p.htif, fpu: p.fpu, firmwareBoot: p.firmware,
        channels: channelsOf[i], onNotify: (id) => this.notifyFrom(i, id), fileAgentOutput: (b) => this.files(p.name).received(b),
        rtcEpoch: cfg.rtcEpoch, wallClock: this.options.wallClock, userDevices: this.options.devices?.[p.name], semihosting,
        // vNUMA: the device tree shows the nodes, their harts and their parts of the RAM.
        ...(p.nodes > 1 ? {
          numa: { hartNodes: blockPlacement(p.harts, p.nodes), memory: Array.from({ length: p.nodes }, (_, k) => nodeRamRange(p.ramBytes, p.nodes, k)) },
        } : {}),
        onOutput: (data) => {
          (this.history[i] ??= new ByteRing(CONSOLE_HISTORY)).push(data);
          this.lastOutput = i;
          this.emit("output", { partition: p.name, data });
        },
        onHalt: (halt) => this.partitionHalted(i, halt),
      });
      return board;
    };
    /** A partition's board with its devices, loaded and its vCPU configured (again after a restart). */
    this.makeBoard = (i: number): Board => {
      const p = cfg.partitions[i];
      const files = this.bootReady[i];
      if (!files) throw new Error(`partition "${p.name}": its image has not been read`);
      const board = newBoard(i);
      board.clearRam(); // (a restart reuses the memory)
      if (p.firmware) board.loadFirmwareBoot(files.image, p.image, files.kernel, files.initrd);
      else board.loadImage(files.image, p.image, files.initrd);
      const v = vcpuAddr(i);
      // Pre-virtualization: patch the image's sites, and let the kernel run the patched form.
      this.previrtReports[i] = files.sites ? patchSites(board.memory, files.sites) : undefined;
      board.previrtOriginals = this.previrtReports[i]?.originals;
      words[(v + V_PREVIRT) >> 2] = files.sites ? 1 : 0;
      words[(v + V_IPC_SERVER) >> 2] = -1;
      words[(v + V_IPC_CLIENT) >> 2] = -1;
      configureVcpu(i);
      return board;
    };
    /** What the description decides of a vCPU: priority, budget, period, passive, channels, F and D. */
    const configureVcpu = (i: number): void => {
      const p = cfg.partitions[i];
      const v = vcpuAddr(i);
      core.exports.vcpuSetFpu(i, p.fpu ? 1 : 0);
      words[(v + V_PRIORITY) >> 2] = p.priority;
      words[(v + V_BUDGET) >> 2] = p.budget;
      words[(v + V_PERIOD) >> 2] = p.period;
      words[(v + V_PASSIVE) >> 2] = p.passive ? 1 : 0;
      for (const hart of this.hartVcpus[i]) words[(vcpuAddr(hart) + V_ELSEWHERE) >> 2] = p.parallel ? 1 : 0;
      words.fill(0, (v + V_CHANNELS) >> 2, (v + V_IPC_STATE) >> 2);
      cfg.channels.forEach((c, k) => {
        for (const end of c.ends) if (end.partition === i) words[(v + V_CHANNELS + 4 * end.id) >> 2] = k + 1;
      });
    };
    this.disks = disks;
    this.boards = [];
    if (restored) {
      // What the description decides is written again (not taken from the file), and the rest
      // of the kernel state checked (src/snapshot/core-check.ts).
      checkCoreState(words, cfg, this.memoryEnd);
      this.writeSystemTables();
      const host = restored.state;
      const boards = host.list("boards", cfg.partitions.length);
      if (boards.length !== cfg.partitions.length) throw new SnapshotError("snapshot: one board per partition expected");
      cfg.partitions.forEach((_, i) => {
        this.boards[i] = newBoard(i);
        this.boards[i].loadState(boards[i]);
        this.boards[i].rebuildMap();
        configureVcpu(i);
      });
      this.loadHostState(host);
      return;
    }
    cfg.partitions.forEach((_, i) => {
      this.boards[i] = this.makeBoard!(i);
      if (this.pendingInput[i]) this.boards[i].pushInput(this.pendingInput[i]);
    });

    this.writeSystemTables();
    core.exports.schedReset();
  }

  /** The channel table and the schedule, as the description says (a new system, a restored one). */
  private writeSystemTables(): void {
    const cfg = this.config;
    const words = this.words;
    // IPC: the channel table, each vCPU's channel ids, passive partitions, the fast path switch.
    if (cfg.channels.length > IPC_CHANNELS_MAX) throw new RangeError(`${cfg.channels.length} channels: at most ${IPC_CHANNELS_MAX}`);
    words[IPC_CHANNEL_COUNT >> 2] = cfg.channels.length;
    cfg.channels.forEach((c, k) => {
      const e = (IPC_CHANNELS + k * IPC_CHANNEL_ENTRY) >> 2;
      words[e + (CH_VCPU0 >> 2)] = c.ends[0].partition;
      words[e + (CH_ID0 >> 2)] = c.ends[0].id;
      words[e + (CH_VCPU1 >> 2)] = c.ends[1].partition;
      words[e + (CH_ID1 >> 2)] = c.ends[1].id;
      words[e + (CH_PP_END >> 2)] = c.ends[0].pp ? 0 : c.ends[1].pp ? 1 : -1;
    });
    words[SYS_IPC_FAST >> 2] = this.options.ipcFastPath === false ? 0 : 1;

    // The schedule.
    words[SCHED_FRAME >> 2] = cfg.schedule.majorFrame;
    words[SCHED_WINDOW_COUNT >> 2] = cfg.schedule.windows.length;
    words[SCHED_VCPU_COUNT >> 2] = cfg.partitions.length;
    words[SCHED_QUANTUM >> 2] = cfg.quantum;
    cfg.schedule.windows.forEach((w, i) => {
      const e = (SCHED_WINDOWS + i * SCHED_WINDOW_ENTRY) >> 2;
      words[e + (SW_START >> 2)] = w.start;
      words[e + (SW_LENGTH >> 2)] = w.length;
      words[e + (SW_MASK >> 2)] = w.partitions.reduce((m, p) => m | (1 << p), 0);
    });
  }

  /** Each partition's console output, its last CONSOLE_HISTORY bytes (for a snapshot to
   *  redraw a terminal), and the partition that printed last. */
  private readonly history: ByteRing[] = [];
  private lastOutput = -1;

  /** The last bytes (at most CONSOLE_HISTORY) partition `name` printed, restored with a snapshot:
   *  enough to redraw its terminal. */
  consoleHistory(name: string): Uint8Array {
    return this.history[this.partitionIndex(name)]?.bytes() ?? new Uint8Array(0);
  }

  /** The partition that printed last (null: none yet): a console multiplexer restored from a
   *  snapshot goes on in that partition's line. */
  get lastConsole(): string | null {
    return this.lastOutput < 0 ? null : this.config.partitions[this.lastOutput].name;
  }

  private emit<K extends keyof Listeners>(type: K, event: Parameters<Listeners[K]>[0]): void {
    for (const l of this.listeners[type]) (l as (e: typeof event) => void)(event);
  }

  /**
   * Emit the core's schedule timeline entries written since the last drain as "switch" events
   * (or skip them when no one listens). Entries overwritten before this drain are counted as
   * lost and reported on the first event after the gap.
   */
  private drainTimeline(): void {
    const W = this.words;
    const count = W[SYS_TL_COUNT >> 2] >>> 0;
    const unread = (count - this.timelineRead) >>> 0;
    if (unread === 0) return;
    this.timelineRead = count;
    W[SYS_TL_READ >> 2] = count | 0;
    if (this.listeners.switch.length === 0) return;
    const kept = Math.min(unread, TIMELINE_ENTRIES);
    let lost = unread - kept;
    this.switchesLost += lost;
    const names = this.config.partitions;
    for (let j = 0; j < kept; j++) {
      const e = (TIMELINE_BASE + (((count - kept + j) & (TIMELINE_ENTRIES - 1)) * TIMELINE_ENTRY)) >> 2;
      const v = W[e + (TL_VCPU >> 2)];
      const event: SwitchEvent = {
        at: (W[e + (TL_CLOCK_HI >> 2)] >>> 0) * 0x1_0000_0000 + (W[e + (TL_CLOCK_LO >> 2)] >>> 0),
        partition: v < 0 ? null : names[this.partitionOf(v)].name,
        reason: SWITCH_REASONS[W[e + (TL_REASON >> 2)]],
      };
      if (lost > 0) {
        event.lost = lost;
        lost = 0;
      }
      this.switchesEmitted++;
      this.emit("switch", event);
    }
  }

  /** An exit for "exit" listeners; switches before it are emitted first, so the two interleave in
   *  time order. */
  private emitExit(at: number, vcpu: number, kind: ExitEvent["kind"], detail: string): void {
    this.drainTimeline();
    this.emit("exit", { at, partition: this.config.partitions[vcpu].name, kind, detail });
  }

  /** The exact time of the current device access or forwarded hypercall (the core publishes it). */
  private now(): number {
    return (this.words[SYS_NOW_HI >> 2] >>> 0) * 0x1_0000_0000 + (this.words[SYS_NOW_LO >> 2] >>> 0);
  }

  private mmioExit(device: number, offset: number, size: number, access: "read" | "write"): void {
    this.emitExit(this.now(), this.partitionOf(this.words[SYS_CUR_VCPU >> 2]), "mmio",
      `${access} ${this.bus!.deviceName(device)}+0x${offset.toString(16)} (${size} byte${size > 1 ? "s" : ""})`);
  }

  private hypercallExit(vcpu: number, eid: number, fid: number): void {
    this.emitExit(this.now(), vcpu, "hypercall", hypercallName(eid >>> 0, fid));
  }

  private partitionHalted(i: number, halt: Halt): void {
    if (this.halts[i]) return;
    // Whatever the partition's disk acknowledged is made durable before anything else happens
    // to it (a restart attaches the same disk to fresh devices). A host that cannot (its disk
    // failed) says so in the halt; it never throws into the guest's access that halted it.
    try {
      this.disks[i]?.sync?.();
    } catch (err) {
      halt = { ...halt, message: `${halt.message}; its disk could not be made durable: ${err instanceof Error ? err.message : String(err)}` };
    }
    this.halts[i] = halt;
    this.boards[i]?.closeFiles(); // (its semihosting files: no host file outlives a partition)
    this.fileAgents[i]?.reset(`the partition stopped (${halt.message})`);
    if (this.words) for (const hart of this.hartVcpus[i]) this.words[(vcpuAddr(hart) + V_STATE) >> 2] = VS_HALTED;
    this.boards[i]?.flushOutput();
    if (this.tracingExits) this.emitExit(this.clock(), i, "halt", halt.message);
    this.emit("halted", { partition: this.config.partitions[i].name, halt });
    if (halt.kind === "fault") this.emit("fault", { partition: this.config.partitions[i].name, halt });
  }

  /** A halt the kernel decided (SBI SRST, HSM stop, a trap loop) on partition i's hart `vcpu`
   *  (default its hart 0). */
  private kernelHalt(i: number, vcpu = i): void {
    const v = vcpuAddr(vcpu);
    const reason = this.words[(v + V_HALT_REASON) >> 2];
    const status = this.words[(v + V_HALT_STATUS) >> 2];
    if (reason === HALT_SHUTDOWN) {
      this.partitionHalted(i, status === 0
        ? { kind: "shutdown", status: 0, message: "shut down (SBI system reset)" }
        : { kind: "shutdown", status: 1, message: "shut down reporting a system failure (SBI system reset)" });
    } else if (reason === HALT_RESET) {
      this.partitionHalted(i, { kind: "reset", status: 0, message: "requested a reboot (SBI system reset); stopped" });
    } else if (reason === HALT_NONE && this.config.partitions[i].passive) {
      this.partitionHalted(i, { kind: "stopped", status: 0, message: "stopped: a passive server with no partition left to call it" });
    } else if (reason === HALT_TRAP_LOOP) {
      const hex = (x: number) => `0x${(x >>> 0).toString(16)}`;
      this.partitionHalted(i, {
        kind: "fault", status: STATUS_FAULT,
        message: this.words[(v + V_PRIV) >> 2] === 1
          ? `stopped by a fatal fault: it traps without end (scause ${hex(status)}, stvec ${hex(this.words[(v + V_STVEC) >> 2])}, pc ${hex(this.words[(v + V_PC) >> 2])})`
          : `stopped by a fatal fault: it traps without end (mcause ${hex(status)}, mtvec ${hex(this.words[(v + V_MTVEC) >> 2])}, pc ${hex(this.words[(v + V_PC) >> 2])})`,
      });
    }
  }

  /**
   * Partition `from` notified on its channel id `id` (hypercall or doorbell): raise the
   * channel's interrupt at the other end. The core has checked a hypercall's channel; a doorbell
   * page exists only for channels the partition holds.
   */
  private notifyFrom(from: number, id: number): void {
    const W = this.words;
    const channel = this.config.channels.find((c) => c.ends.some((e) => e.partition === from && e.id === id));
    if (!channel) {
      W[SYS_HC_ERROR >> 2] = -3;
      return;
    }
    const other = channel.ends[0].partition === from && channel.ends[0].id === id ? channel.ends[1] : channel.ends[0];
    if (!this.halts[other.partition]) this.boards[other.partition].channelInterrupt(other.id);
    W[SYS_HC_ERROR >> 2] = 0;
    W[SYS_HC_VALUE >> 2] = 0;
  }

  /**
   * Stop partition `name` at once, as a crash would: it halts (kind "killed", status 137)
   * wherever it is. Its disk keeps what it acknowledged; the other partitions go on.
   */
  kill(name: string, message = "killed by the host"): void {
    const i = this.partitionIndex(name);
    if (!this.words) throw new RangeError("the system has not started: nothing to kill");
    this.partitionHalted(i, { kind: "killed", status: 137, message });
    this.words[SYS_HOST_REQ >> 2] |= HOSTREQ_STOP; // leave the running slice, if it is this one's
  }

  /**
   * Start partition `name` again from its image, as after a reset: RAM cleared, fresh devices,
   * its vCPU and scheduling state anew, the same disk (made durable first). The others go on.
   */
  async restart(name: string): Promise<void> {
    await this.start();
    const i = this.partitionIndex(name);
    this.bootReady[i] = await this.bootFiles(i);
    this.disks[i]?.sync?.();
    this.fileAgents[i]?.reset("the partition restarted");
    this.boards[i] = this.makeBoard!(i);
    // (the loader's writes dropped what was translated of the old image already, through the
    // memory gate; all of it goes, for a restart is rare and a fresh start is simplest to trust)
    if (this.jitUsed) this.resetTranslations(this.words!, false);
    this.halts[i] = null;
  }

  /** Make every disk durable and close the host files (the hypervisor is done). */
  close(): void {
    for (const b of this.boards) b?.closeFiles();
    for (const a of this.fileAgents) a?.reset("the hypervisor was closed");
    let failure: unknown = null;
    for (const d of this.disks) {
      try {
        if (d?.close) d.close();
        else d?.sync?.();
      } catch (err) {
        failure ??= err; // close the others, then report the first failure
      }
    }
    this.disks = [];
    if (failure) throw failure;
  }

  /**
   * Pace run() by real time (true) or let it run as fast as the host allows (false), from the
   * next run() on (the browser page's speed control: stop(), then run() again). Only the pacing
   * changes: each partition's RTC keeps the source it was built with (options.wallClock: the
   * host's date; otherwise virtual time from rtcEpoch).
   */
  setWallClock(on: boolean): void {
    this.pacedByWallClock = on;
  }

  /** Stop the run at the next opportunity (run() then resolves with reason "stopped"). */
  stop(): void {
    this.stopRequested = true;
    if (this.words) this.words[SYS_HOST_REQ >> 2] |= HOSTREQ_STOP;
  }

  get halted(): ReadonlyArray<Halt | null> {
    return this.halts;
  }

  private allHalted(): boolean {
    return this.halts.every((h) => h !== null);
  }

  /** What stopped the last advance() that returned "debug": a partition's breakpoint (an
   *  EBREAK with DEBUG_BREAK set, or a trigger of its debugger's: debugTriggers says which) or
   *  the end of its single step (DEBUG_STEP). src/debug/. */
  debugStop: { partition: number; kind: "break" | "step" } | null = null;

  /** The trigger module of a partition's vCPU, for its debugger's hardware breakpoints and
   *  watchpoints (src/debug/triggers.ts). After start(). */
  debugTriggers(partition: string): TriggerUnit {
    if (!this.core) throw new Error("debugTriggers: the hypervisor has not started");
    return new TriggerUnit(this.core.exports, this.words, this.partitionIndex(partition));
  }

  /**
   * Advance the system by up to `cycles` cycles of virtual time (synchronously, after start()),
   * or fewer if `maxMs` milliseconds of real time pass first. Returns why it stopped: "budget",
   * "halted", "idle", "stopped", or "debug" (debugStop).
   */
  advance(cycles: number, maxMs = Infinity): "budget" | "halted" | "idle" | "stopped" | "debug" {
    if (!this.threadsRunning && this.config.partitions.some((p, i) => p.parallel && !this.halts[i])) {
      throw new Error("advance(): this system has partitions on threads (\"parallel\": true), which only run() runs");
    }
    this.advancing = true;
    try {
      return this.advanceSteps(cycles, maxMs);
    } finally {
      this.advancing = false;
    }
  }

  private advanceSteps(cycles: number, maxMs: number): "budget" | "halted" | "idle" | "stopped" | "debug" {
    const exports = this.core!.exports;
    let left = cycles;
    const started = maxMs === Infinity ? 0 : performance.now();
    while (left > 0) {
      // With maxMs the host keeps control: after that much real time the caller gets a turn
      // (what the guests see does not depend on how the host slices the run).
      if (maxMs !== Infinity && left !== cycles && performance.now() - started > maxMs) break;
      if (this.allHalted()) return "halted";
      if (this.stopRequested) return "stopped";
      const before = this.clock();
      const pendingLow = this.boards.some((b) => b.htifPendingLow);
      this.words[SYS_TL_STALL >> 2] = this.listeners.switch.length !== 0 && this.options.switchBackpressure !== false ? 1 : 0;
      let slice = Math.min(left, pendingLow ? HTIF_GRACE : CHUNK);
      // A device deadline (a UART timeout, an RTC alarm) ends the slice exactly where it falls.
      const untilDevice = this.untilDeviceEvent();
      if (untilDevice !== null) slice = Math.min(slice, Math.max(1, untilDevice));
      let reason: number;
      try {
        reason = exports.hvRun(slice);
      } catch (err) {
        // The core met a state it cannot run (only a wasmvisor bug, or a crafted snapshot that
        // passed every check, gets here): the system stops with a clear fault, never a crash.
        const message = `stopped by a fatal fault: the core failed (${err instanceof Error ? err.message : String(err)}); a wasmvisor bug or a corrupted snapshot`;
        this.halts.forEach((h, i) => { if (!h) this.partitionHalted(i, { kind: "fault", status: STATUS_FAULT, message }); });
        return "halted";
      }
      this.drainTimeline();
      // A pause for the timeline may come before any time passed; every other exit counts as
      // progress, so a run always ends.
      left -= reason === EXIT_TIMELINE ? this.clock() - before : Math.max(1, this.clock() - before);
      const exitVcpu = this.words[SYS_EXIT_VCPU >> 2];
      const v = this.partitionOf(exitVcpu);
      // A low word of tohost left alone past its grace period is the whole command — except on
      // the board whose store (the high word, surely) this exit is: that one completes the
      // command below, as on the bare machine (src/machine/machine.ts).
      if (pendingLow) {
        this.boards.forEach((b, i) => { if (reason !== EXIT_WATCH || i !== v) b.flushHtifLow(); });
      }
      switch (reason) {
        case EXIT_BUDGET:
        case EXIT_TIMELINE:
        case EXIT_RETRY: // a device's access goes on at the vCPU's next turn (bounded work per exit)
          break;
        case EXIT_WATCH:
          if (this.tracingExits) this.emitExit(this.clock(), v, "mmio", `${this.config.partitions[v].name} HTIF tohost store`);
          this.boards[v].onWatch(this.words[SYS_WATCH_ADDR >> 2] >>> 0);
          break;
        case EXIT_HALT:
          this.kernelHalt(v, exitVcpu);
          break;
        case EXIT_HOST:
          // A device halted its partition (recorded by the board), or stop() was called.
          break;
        case EXIT_ALL_HALTED:
          // (partitions on threads are not the scheduler's: they end on their own)
          for (let i = 0; i < this.halts.length; i++) if (!this.halts[i] && !this.config.partitions[i].parallel) this.kernelHalt(i);
          return "halted";
        case EXIT_IDLE: {
          // Every partition waits with no timer armed; a device's deadline may still wake one.
          const until = this.untilDeviceEvent();
          if (until === null) return "idle";
          const skip = Math.min(left, Math.max(1, until));
          this.idleFor(skip);
          left -= skip;
          break;
        }
        case EXIT_BREAK:
        case EXIT_STEP:
          for (const b of this.boards) b.flushOutput();
          this.debugStop = { partition: v, kind: reason === EXIT_BREAK ? "break" : "step" };
          return "debug";
      }
    }
    for (const b of this.boards) b.flushOutput();
    return "budget";
  }

  /** Fire the device deadlines of every board that are due; cycles until the next one (null:
   *  none). */
  private untilDeviceEvent(): number | null {
    let next: bigint | null = null;
    for (const b of this.boards) {
      const at = b.deviceEvents();
      if (at !== null && (next === null || at < next)) next = at;
    }
    // (the file agents' request timeouts are deadlines of the same kind)
    for (const agent of this.fileAgents) {
      const at = agent?.expire(this.clock());
      if (at != null && (next === null || BigInt(at) < next)) next = BigInt(at);
    }
    return next === null ? null : Math.max(0, Number(next) - this.clock());
  }

  /** Let `cycles` of virtual time pass with nothing running (as the scheduler's own idle skips
   *  do, with the same record in the schedule timeline). */
  private idleFor(cycles: number): void {
    const W = this.words;
    if (W[SYS_TL_RUNNING >> 2] !== 1) { // (runner -1, stored as runner + 2)
      W[SYS_TL_RUNNING >> 2] = 1;
      const count = W[SYS_TL_COUNT >> 2];
      const e = (TIMELINE_BASE + (count & (TIMELINE_ENTRIES - 1)) * TIMELINE_ENTRY) >> 2;
      W[e + (TL_CLOCK_LO >> 2)] = W[SYS_CLOCK_LO >> 2];
      W[e + (TL_CLOCK_HI >> 2)] = W[SYS_CLOCK_HI >> 2];
      W[e + (TL_VCPU >> 2)] = -1;
      W[e + (TL_REASON >> 2)] = TL_IDLE;
      W[SYS_TL_COUNT >> 2] = (count + 1) | 0;
      this.drainTimeline();
    }
    this.time!.advance(BigInt(cycles));
  }

  /** Virtual clock in cycles (exact below 2^53). Inside an event (output, halted) raised by a
   *  device access, it is the time of that access. */
  clock(): number {
    if (!this.words) return 0; // (not started: no time has passed)
    if (this.time?.inMmio) return Number(this.time.clock());
    return (this.words[SYS_CLOCK_HI >> 2] >>> 0) * 0x1_0000_0000 + (this.words[SYS_CLOCK_LO >> 2] >>> 0);
  }

  /** Instructions plus traps run by all partitions so far. */
  work(): number {
    let n = 0;
    for (let i = 0; i < this.boards.length; i++) {
      for (const hart of this.hartVcpus[i]) {
        const v = vcpuAddr(hart);
        n += (this.words[(v + V_STAT_CYCLES_HI) >> 2] >>> 0) * 0x1_0000_0000 + (this.words[(v + V_STAT_CYCLES_LO) >> 2] >>> 0);
      }
    }
    return n;
  }

  /**
   * Run `n` cycles of virtual time (or until every partition has stopped). Resolves with the
   * cycles that passed.
   */
  async step(n: number): Promise<number> {
    await this.start();
    const before = this.clock();
    this.advance(n);
    for (const b of this.boards) b.flushOutput();
    return this.clock() - before;
  }

  /**
   * Run the system until `promise` settles (an answer of hv.files(), say), then settle with it:
   * for a host that steps the system itself rather than leaving hv.run() going. Refuses (with
   * the system as it is) after `maxCycles` of virtual time, or when every partition has stopped.
   */
  async runUntil<T>(promise: Promise<T>, maxCycles = 10_000_000_000): Promise<T> {
    let settled = false;
    promise.then(() => { settled = true; }, () => { settled = true; });
    await Promise.resolve(); // (a promise settled already is seen before anything runs)
    let spent = 0;
    while (!settled) {
      if (this.allHalted()) throw new Error("runUntil: every partition has stopped, and the promise has not settled");
      if (spent >= maxCycles) throw new Error(`runUntil: the promise has not settled after ${maxCycles} cycles of virtual time`);
      spent += await this.step(Math.min(1_000_000, maxCycles - spent));
    }
    return promise;
  }

  /**
   * Run until every partition has stopped, `maxInsns` instructions have run in all (counting
   * traps), stop() is called, or every partition waits for input that `inputOpen()` says can
   * still come (the run then waits for `waitForInput()`). Resolves with each partition's halt.
   */
  async run(opts: {
    maxInsns?: number; inputOpen?: () => boolean; waitForInput?: () => Promise<void>;
    /** Stop (reason "limit") when the virtual clock reaches this many cycles. */
    maxClock?: number;
    /** Back-pressure from the console's consumer: a promise while it cannot take more output
     *  (e.g. stdout's buffer is full), resolved when it can; the run waits, so a guest that
     *  prints without end cannot fill the host's memory. Guests see no difference. */
    outputBlocked?: () => Promise<void> | undefined;
  } = {}): Promise<SystemResult> {
    await this.start();
    this.stopRequested = false;
    if (this.config.partitions.some((p, i) => p.parallel && !this.halts[i])) return this.runWithThreads(opts);
    const limit = opts.maxInsns ?? Infinity;
    const clockLimit = opts.maxClock ?? Infinity;
    // In wall-clock mode virtual time is kept from running ahead of real time (src/machine/wall-clock.ts).
    const pacer = this.pacedByWallClock ? new WallClockPacer(this.clock(), this.cyclesPerSecond) : null;
    const chunk = pacer ? Math.min(CHUNK, pacer.step) : CHUNK;
    let reason: SystemResult["reason"] = "halted";
    let lastYield = performance.now();
    while (true) {
      if (this.allHalted()) break;
      const done = this.work();
      const now = this.clock();
      if (done >= limit || now >= clockLimit) {
        reason = "limit";
        break;
      }
      const blocked = opts.outputBlocked?.();
      if (blocked) {
        await blocked;
        lastYield = performance.now();
        continue;
      }
      const r = this.advance(Math.min(chunk, limit === Infinity ? chunk : Math.max(1, limit - done), clockLimit - now), YIELD_MS);
      if (r === "halted") break;
      if (r === "stopped" || r === "debug") { // (a debugger's stop: only src/debug/ asks for those)
        reason = "stopped";
        break;
      }
      if (r === "idle") {
        if (opts.inputOpen?.() && opts.waitForInput) {
          await opts.waitForInput();
          continue;
        }
        reason = "idle";
        break;
      }
      if (pacer) {
        const delay = pacer.delay(this.clock());
        await (delay > 0 ? new Promise((resolve) => setTimeout(resolve, delay)) : yieldToHost());
      } else if (opts.inputOpen?.() || performance.now() - lastYield > YIELD_MS) {
        // Let input arrive, and the host's own events (a signal handler calling stop()).
        await yieldToHost();
        lastYield = performance.now();
      }
    }
    for (const b of this.boards) b.flushOutput();
    const partitions = this.config.partitions.map((p, i) => ({ name: p.name, halt: this.halts[i] }));
    const failed = partitions.find((p) => p.halt && p.halt.status !== 0);
    const status = failed ? failed.halt!.status : reason === "halted" ? 0 : 1;
    return { partitions, status, reason };
  }

  /**
   * run() for a system with partitions on threads (docs/smp.md): their harts run on host threads
   * of their own for the length of the run, while this thread runs the others in short slices,
   * paced by real time, and serves the threads' device accesses in between. The limits
   * (instructions in all, the clock) end the run within a slice; the run is not deterministic.
   */
  private async runWithThreads(opts: Parameters<Hypervisor["run"]>[0] & object): Promise<SystemResult> {
    const cfg = this.config;
    const limit = opts.maxInsns ?? Infinity;
    const clockLimit = opts.maxClock ?? Infinity;
    const started = { real: performance.now(), clocks: cfg.partitions.map((_, i) => this.domains[i]?.time.clockNumber() ?? 0) };
    // vNUMA: a partition on several nodes runs with the links it was given, once (they end with
    // the run, as the bare machine's do).
    const nodesOf = (i: number) => {
      const p = cfg.partitions[i];
      if (p.nodes <= 1) return undefined;
      const links = this.options.vnuma?.links ?? [];
      if (this.vnumaRan) throw new VnumaError(`partition "${p.name}" ran on its nodes already: they ended with that run() (docs/vnuma.md)`);
      if (links.length !== p.nodes - 1) {
        throw new VnumaError(`partition "${p.name}" runs on ${p.nodes} nodes: the Hypervisor needs the vnuma option with links to ${p.nodes - 1} other node(s), not ${links.length}`);
      }
      // (the partition's RAM where its board has it in host memory)
      const shared = { offset: this.boards[i].ramHost - RAM_HOST_BASE, bytes: p.ramBytes };
      return { placement: blockPlacement(p.harts, p.nodes), links, ramBytes: this.memoryEnd - RAM_HOST_BASE, shared };
    };
    if (cfg.partitions.filter((p, i) => p.nodes > 1 && p.parallel && !this.halts[i]).length > 1) {
      throw new VnumaError("only one partition of a system may run on several nodes");
    }
    const sets = cfg.partitions.flatMap((p, i) => (p.parallel && !this.halts[i] ? [{ i, threads: new HartThreads({
      core: this.core!, board: this.boards[i], bus: this.domains[i]!.bus, time: this.domains[i]!.time, harts: this.hartVcpus[i],
      clockBase: this.domains[i]!.base,
      halted: () => this.halts[i], halt: (h) => this.partitionHalted(i, h), kernelHalt: (vcpu) => this.kernelHalt(i, vcpu),
      flushOutput: () => this.boards[i].flushOutput(),
    }, {
      stopped: () => this.stopRequested,
      // (its idle time passes as real time does, as the other partitions' does: it starts now)
      idleClockCap: () => started.clocks[i] + (performance.now() - started.real) * this.cyclesPerSecond / 1000,
      nodes: nodesOf(i),
    }) }] : []));
    if (sets.some((t) => cfg.partitions[t.i].nodes > 1)) this.vnumaRan = true;
    // The home thread's own hart must not be one of theirs (its registers are the threads' now).
    const cur = this.words[SYS_CUR_VCPU >> 2];
    const home = cfg.partitions.findIndex((p) => !p.parallel);
    if (home >= 0 && sets.some((t) => this.hartVcpus[t.i].includes(cur))) this.core!.exports.vcpuSwitch(home);
    let reason: SystemResult["reason"] = "halted";
    const homeLive = () => cfg.partitions.some((p, i) => !p.parallel && !this.halts[i]);
    const pacer = new WallClockPacer(this.clock(), this.cyclesPerSecond);
    this.threadsRunning = true;
    let lastFlush = performance.now();
    try {
      for (const t of sets) await t.threads.start();
      let homeIdle = false;
      while (true) {
        let served = false;
        const states = sets.map((t) => t.threads.poll());
        served = sets.some((t) => t.threads.served);
        const threadsDone = states.every((st) => st === "done");
        if (threadsDone && !homeLive()) break;
        if (this.stopRequested) reason = "stopped";
        if (this.work() >= limit || this.clock() >= clockLimit) reason = "limit";
        if (reason !== "halted") {
          for (const t of sets) t.threads.stop(reason === "limit" ? "limit" : "stopped");
          if (threadsDone) break;
        }
        // Every thread asleep with nothing but input to wake it, and nothing else to run.
        const threadsAsleep = states.every((st) => st !== "running");
        if (threadsAsleep && (homeIdle || !homeLive()) && reason === "halted") {
          if (opts.inputOpen?.() && opts.waitForInput) {
            await opts.waitForInput();
            for (const t of sets) t.threads.ringAll();
            homeIdle = false;
            continue;
          }
          for (const t of sets) {
            if (!this.halts[t.i]) this.partitionHalted(t.i, { kind: "idle", status: 125, message: "its harts wait for an interrupt (WFI) that nothing can raise: no timer is armed and no input is pending" } as Halt);
            t.threads.stop("halted");
          }
        }
        const blocked = opts.outputBlocked?.();
        if (blocked) {
          await blocked;
          continue;
        }
        if (homeLive() && reason === "halted") {
          // The other partitions, in short slices paced by real time (their virtual time keeps
          // to real time, as the threads' does roughly: neither races ahead of the other). While
          // they are ahead of real time, only the threads are served.
          const delay = pacer.delay(this.clock());
          if (delay <= 0) {
            const r = this.advance(Math.min(pacer.step, CHUNK), 2);
            homeIdle = r === "idle";
            if (r === "stopped" || r === "debug") reason = "stopped";
            if (!served) await yieldToHost();
          } else if (!served) {
            await Promise.race([new Promise((resolve) => setTimeout(resolve, Math.min(delay, 5))), ...sets.map((t) => t.threads.activity(5))]);
          }
        } else if (!served) {
          await Promise.race(sets.map((t) => t.threads.activity(5)));
        }
        // Output a line at a time, and what is left of a line when the threads have been quiet
        // for a moment (a prompt), as the one-thread run loop hands it on when it pauses.
        if (performance.now() - lastFlush > YIELD_MS) {
          for (const t of sets) this.boards[t.i].flushOutput();
          lastFlush = performance.now();
        }
      }
      // (vNUMA: the other nodes' harts and the pages they hold come home, and the nodes end)
      for (const t of sets) {
        await t.threads.end();
        const figures = t.threads.vnumaStats();
        if (figures) this.vnumaFigures[t.i] = figures;
      }
    } finally {
      this.threadsRunning = false;
      for (const t of sets) t.threads.dispose();
    }
    for (const b of this.boards) b.flushOutput();
    const partitions = cfg.partitions.map((p, i) => ({ name: p.name, halt: this.halts[i] }));
    const failed = partitions.find((p) => p.halt && p.halt.status !== 0);
    const status = failed ? failed.halt!.status : reason === "halted" ? 0 : 1;
    return { partitions, status, reason };
  }

  /** Partition i's time domain (its harts on threads): a clock block of its own, its devices' bus. */
  private timeDomain(core: Core, i: number): { base: number; time: VirtualTime; bus: DeviceBus } {
    const base = DOMAIN_SYS_BASE + i * THREAD_SYS_SIZE;
    const words = layoutWords(core.memory);
    // Its clock starts where the system's is, at the system's rate.
    words.copyWithin(base >> 2, SYS_HOME >> 2, (SYS_HOME + THREAD_SYS_SIZE) >> 2);
    const time = new VirtualTime(core.memory, core.exports, base);
    const domain = { base, time, bus: new DeviceBus(time) };
    this.domains[i] = domain;
    return domain;
  }
  private domains: Array<{ base: number; time: VirtualTime; bus: DeviceBus } | undefined> = [];
  /** vNUMA: a partition ran on its nodes (they end with the run); its figures. */
  private vnumaRan = false;
  private vnumaFigures: Array<VnumaStats | undefined> = [];
  /** True while runWithThreads() runs (advance() is its to call then). */
  private threadsRunning = false;

  private diskStats(i: number): DiskStats {
    const blk = this.boards[i].virtioBlk!;
    const storage = this.disks[i];
    return {
      ...blk.counts, cache: blk.cacheMode,
      hostSyncs: storage?.hostSyncs ?? 0, pendingBytes: storage?.pendingBytes ?? 0,
    };
  }

  /** Statistics: instructions, exits by kind, paging work and time per partition. */
  stats(): HypervisorStats {
    const w = this.words;
    // (An SMP partition's figures are the sums over its harts.)
    const sum = (i: number, at: (v: number) => number) => this.hartVcpus[i].reduce((n, hart) => n + at(vcpuAddr(hart)), 0);
    const word1 = (a: number) => w[a >> 2] >>> 0;
    const pair1 = (lo: number, hi: number) => word1(hi) * 0x1_0000_0000 + word1(lo);
    const parts = this.config.partitions.map((p, i): PartitionStats => {
      const v = 0; // (the fields below are offsets into each hart's block, summed)
      const word = (a: number) => sum(i, (h) => word1(h + a));
      const pair = (lo: number, hi: number) => sum(i, (h) => pair1(h + lo, h + hi));
      return {
        name: p.name,
        instructions: pair(v + V_STAT_RETIRED_LO, v + V_STAT_RETIRED_HI),
        cycles: pair(v + V_STAT_CYCLES_LO, v + V_STAT_CYCLES_HI),
        share: 0,
        exits: {
          mmio: word(v + V_STAT_MMIO), sbi: word(v + V_STAT_SBI), trapAndEmulate: word(v + V_STAT_SYSTEM),
          traps: word(v + V_STAT_TRAPS), switchesIn: word(v + V_STAT_SWITCHES_IN),
        },
        ...(this.previrtReports[i] ? {
          previrt: { sites: this.previrtReports[i]!.patched, fast: word(v + V_STAT_VCSR_FAST), slow: word(v + V_STAT_VCSR_SLOW) },
        } : {}),
        paging: { walks: word(v + V_STAT_WALKS), shadowFills: word(v + V_STAT_SHADOW_FILLS), shadowHits: word(v + V_STAT_SHADOW_HITS) },
        ipc: { calls: word(v + V_STAT_IPC_CALLS), served: word(v + V_STAT_IPC_SERVED) },
        ...(this.boards[i]?.virtioBlk ? { disk: this.diskStats(i) } : {}),
        ...(this.vnumaFigures[i] ? { vnuma: this.vnumaFigures[i] } : {}),
        halted: this.halts[i],
      };
    });
    const cycles = this.clock();
    for (const p of parts) p.share = cycles > 0 ? p.cycles / cycles : 0;
    return {
      cycles,
      seconds: cycles / this.cyclesPerSecond,
      instructions: parts.reduce((n, p) => n + p.instructions, 0),
      worldSwitches: word1(SYS_STAT_SWITCHES),
      exits: { mmio: word1(SYS_STAT_MMIO), sbi: word1(SYS_STAT_SBI) },
      ipc: {
        calls: word1(SYS_STAT_IPC_CALLS), fastCalls: word1(SYS_STAT_IPC_FAST_CALLS),
        fastReplies: word1(SYS_STAT_IPC_FAST_REPLIES), notifications: word1(SYS_STAT_IPC_NOTIFIES),
      },
      switchEvents: { emitted: this.switchesEmitted, lost: this.switchesLost },
      tlbFills: word1(SYS_STAT_TLB_FILLS),
      walks: word1(SYS_STAT_WALKS),
      shadowHits: word1(SYS_STAT_SHADOW_HITS),
      partitions: parts,
    };
  }

  // ── Snapshots (src/snapshot/) ───────────────────────────────────────────────────────────

  /**
   * The whole running system as one file (src/snapshot/format.ts): the core's memory (every
   * hart, the kernel, every partition's RAM), every device, the disks' contents, the system
   * description. Take it between steps of a run (await hv.step(n), or while run() yields to the
   * host); the system may go on at once, the file is what it was at the call. Hypervisor.restore
   * continues it exactly, on either core, in Node or a browser.
   */
  async snapshot(): Promise<Uint8Array> {
    return (await this.capture(true)).encode!();
  }

  /**
   * A snapshot's parts, for live migration (src/node/migrate.ts): its header, the host-side
   * state, and the blobs — the core's memory as a live view (migration sends it page by page),
   * then copies of the disks' contents. Captured between steps of a run.
   */
  async snapshotParts(withDisks = true): Promise<{ info: SnapshotInfo; state: StateValue; blobs: Uint8Array[] }> {
    const { info, state, blobs } = await this.capture(false, withDisks);
    return { info, state, blobs };
  }

  /** 4 KiB blocks of partition `i`'s disk, one after the other (the last one of a disk whose
   *  size is not a multiple of 4 KiB padded with zeros). */
  diskBlocks(i: number, blocks: number[]): Uint8Array {
    const d = this.disks[i];
    if (!d) throw new RangeError(`partition ${i} has no disk`);
    const out = new Uint8Array(blocks.length * 4096);
    blocks.forEach((b, k) => {
      const end = Math.min(d.size, (b + 1) * 4096);
      if (b * 4096 < end) d.read(b * 4096, out.subarray(k * 4096, k * 4096 + (end - b * 4096)));
    });
    return out;
  }

  /** The regions of the last snapshot, compressed: the next one compresses only what changed. */
  private readonly snapshotCache = new SnapshotCache();

  /** The state of a snapshot, captured synchronously once the fingerprints are known; with
   *  `pack` its memory's non-zero pages are copied out at once, for encode() to write. */
  private async capture(pack: boolean, withDisks = true): Promise<{ info: SnapshotInfo; state: StateValue; blobs: Uint8Array[]; encode: (() => Promise<Uint8Array>) | null }> {
    if (this.config.partitions.some((p) => p.parallel)) {
      throw new SnapshotError("snapshot: this system has partitions on threads (\"parallel\": true), whose state is not kept still for a snapshot: not offered");
    }
    await this.start();
    const hashes = this.restoredHashes ?? (await Promise.all(this.config.partitions.map((_, i) => this.bootFiles(i)))).map((f) => f.hash);
    if (this.advancing || this.time!.inMmio) throw new Error("snapshot: not inside a step of the run (take it between steps, e.g. after await hv.step(n))");
    const description = describeSystem(this.config);
    if (JSON.stringify(validateSystem(description, "snapshot")) !== JSON.stringify(this.config)) {
      throw new Error("snapshot: the system description does not describe this system again (a field describeSystem does not write)");
    }
    const disks: Array<{ partition: number; size: number; readOnly: boolean }> = [];
    const blobs = [wholeMachine(this.core!.memory).subarray(0, this.memoryEnd)];
    this.disks.forEach((d, i) => {
      if (!d) return;
      if (d.size > MAX_SNAPSHOT_DISK) {
        throw new RangeError(`snapshot: partition "${this.config.partitions[i].name}"'s disk is ${d.size} bytes; a snapshot embeds disks of at most ${MAX_SNAPSHOT_DISK} bytes`);
      }
      disks.push({ partition: i, size: d.size, readOnly: d.readOnly });
      if (!withDisks) return;
      const contents = new Uint8Array(d.size);
      d.read(0, contents); // (what the guest would read: RapiLog's buffered writes included)
      blobs.push(contents);
    });
    const info: SnapshotInfo = {
      format: "wasmvisor snapshot", system: this.config.name, partitions: this.config.partitions.map((p) => p.name),
      clock: this.clock(), instructions: this.stats().instructions, core: this.core!.kind,
      paging: this.options.paging ?? "shadow", created: new Date().toISOString(),
    };
    const state = {
      description, paging: info.paging, ipcFastPath: this.options.ipcFastPath !== false,
      images: hashes, disks, host: this.saveHostState(),
    } as StateValue;
    return { info, state, blobs, encode: pack ? captureSnapshot(info, state, blobs, this.snapshotCache) : null };
  }

  // ── Dirty pages (live migration: src/node/migrate.ts) ───────────────────────────────────

  /** Where the core's memory has its layout (harts, kernel, tables: pages [0, layoutEnd)) and
   *  guest RAM (pages [layoutEnd, end)), in 4 KiB pages. */
  memoryPages(): { layoutEnd: number; end: number } {
    if (!this.core) throw new Error("memoryPages: the hypervisor has not started");
    return { layoutEnd: RAM_HOST_BASE >>> 12, end: this.memoryEnd >>> 12 };
  }

  /** Mark every page of guest RAM written from now on (the core's stores, its page-table A/D
   *  updates, and the host's through the memory gate), or stop. */
  trackDirtyPages(on: boolean): void {
    if (!this.core) throw new Error("trackDirtyPages: the hypervisor has not started");
    this.words[SYS_DIRTY_ON >> 2] = on ? 1 : 0;
    this.core.exports.dirtyRearm(this.config.partitions.length);
    for (const d of this.disks) {
      if (!d) continue;
      d.tracking = on;
      d.takeDirty();
    }
  }

  /** Each disk's 4 KiB blocks written since tracking began or the last call (partition index →
   *  ascending block numbers); tracking goes on. */
  takeDirtyDiskBlocks(): Map<number, number[]> {
    const out = new Map<number, number[]>();
    this.disks.forEach((d, i) => { if (d) out.set(i, d.takeDirty()); });
    return out;
  }

  /** The pages of the core's memory (4 KiB, counted from its start) written since tracking began
   *  or since the last call; tracking goes on. Between steps of a run only. */
  takeDirtyPages(): number[] {
    if (this.advancing) throw new Error("takeDirtyPages: not inside a step of the run");
    const pages: number[] = [];
    const w = this.words;
    const first = RAM_HOST_BASE >>> 12;
    const last = Math.min(DIRTY_PAGES, (this.memoryEnd - RAM_HOST_BASE) >>> 12);
    for (let k = 0; k < last; k += 32) {
      const bits = w[(DIRTY_BASE >> 2) + (k >>> 5)];
      if (bits === 0) continue;
      for (let b = 0; b < 32 && k + b < last; b++) if (bits & (1 << b)) pages.push(first + k + b);
    }
    this.core!.exports.dirtyRearm(this.config.partitions.length);
    return pages;
  }

  /**
   * A system from a snapshot (hv.snapshot(), a file `wasmvisor run --snapshot-…` wrote): it goes
   * on exactly where the snapshot was taken, on the core `options.core` names. The file is
   * checked whole first (format, version, checksum, the system description, every device's
   * state); a bad one throws a SnapshotError and nothing starts.
   */
  static async restore(file: Uint8Array, options: RestoreOptions = {}): Promise<Hypervisor> {
    return Hypervisor.restoreContents(await decodeSnapshot(file), options);
  }

  /** restore() from a snapshot's parts (live migration assembles them page by page). */
  static async restoreContents(contents: SnapshotContents, options: RestoreOptions = {}, prepared?: Hypervisor): Promise<Hypervisor> {
    const r = new StateReader(contents.state, "state");
    let config: SystemConfig;
    try {
      config = validateSystem(r.raw("description"), "the snapshot's system description");
    } catch (err) {
      if (err instanceof ConfigError) throw new SnapshotError(`snapshot: ${err.message}`);
      throw err;
    }
    const paging = r.oneOf("paging", ["shadow", "nested"] as const);
    if (options.paging && options.paging !== paging) {
      throw new SnapshotError(`snapshot: it was taken with ${paging} paging and restores only so (the core's tables are part of it), not with ${options.paging}`);
    }
    const { restoreDisk, ...rest } = options;
    if (prepared && (JSON.stringify(prepared.config) !== JSON.stringify(config) || (prepared.options.paging ?? "shadow") !== paging ||
      (prepared.options.ipcFastPath !== false) !== r.bool("ipcFastPath"))) {
      throw new SnapshotError("migration: the system's state is not the system announced");
    }
    const hv = prepared ?? new Hypervisor(config, {
      ...rest, paging, ipcFastPath: r.bool("ipcFastPath"),
      loadImage: options.loadImage as HypervisorOptions["loadImage"],
    });
    // A decoded file's memory goes straight into the new core's (zeroed) memory.
    let inCore = prepared !== undefined;
    if (!prepared && contents.memory) {
      const memory = await hv.coreMemoryForMigration();
      if (contents.memory.total !== memory.length) {
        throw new SnapshotError(`snapshot: its memory is ${contents.memory.total} bytes; this system's core has ${memory.length}`);
      }
      contents.memory.writeInto(memory);
      inCore = true;
    }
    const images = r.list("images", config.partitions.length);
    if (images.length !== config.partitions.length) throw new SnapshotError("snapshot: one image fingerprint per partition expected");
    hv.restoredHashes = images.map((x) => x.asStr(64));
    const diskList = r.list("disks", config.partitions.length);
    if (contents.blobs.length !== 1 + diskList.length) throw new SnapshotError("snapshot: the disks listed and the disks embedded differ");
    const disks: Array<BlockStorage | undefined> = config.partitions.map(() => undefined);
    for (const [k, d] of diskList.entries()) {
      const i = d.int("partition", 0, config.partitions.length - 1);
      const disk = config.partitions[i].disk;
      const bytes = contents.blobs[1 + k];
      if (!disk || disks[i] || bytes.length !== d.int("size", 1, MAX_SNAPSHOT_DISK) || d.bool("readOnly") !== disk.readOnly) {
        throw new SnapshotError(`snapshot: state.disks[${k}] does not match the partitions' disks`);
      }
      disks[i] = restoreDisk ? await restoreDisk(disk, bytes) : new MemoryDisk(bytes, disk.readOnly);
    }
    config.partitions.forEach((p, i) => {
      if (p.disk && !disks[i]) throw new SnapshotError(`snapshot: partition "${p.name}"'s disk is missing`);
    });
    hv.starting = hv.build({ memory: inCore ? null : contents.blobs[0], state: r.child("host"), disks });
    await hv.starting;
    // (its next snapshot compresses only the regions that differ from this file's)
    if (contents.regions) hv.snapshotCache.seed(contents.regions);
    return hv;
  }

  /** The hypervisor's own state besides the boards (halts, the timeline's reader, counters). */
  private saveHostState(): StateValue {
    return {
      halts: this.halts.map((h) => (h ? { kind: h.kind, status: h.status, message: h.message } : null)),
      timelineRead: this.timelineRead, switchesEmitted: this.switchesEmitted, switchesLost: this.switchesLost,
      history: this.config.partitions.map((_, i) => encode.bytes(this.history[i]?.bytes() ?? new Uint8Array(0))),
      lastOutput: this.lastOutput,
      boards: this.boards.map((b) => b.saveState()),
    };
  }

  private loadHostState(r: StateReader): void {
    const halts = r.list("halts", this.config.partitions.length);
    if (halts.length !== this.config.partitions.length) throw new SnapshotError("snapshot: one halt per partition expected");
    this.halts = halts.map((h) => h.isNull() ? null
      : ({ kind: h.oneOf("kind", HALT_KINDS), status: h.int("status", 0, Number.MAX_SAFE_INTEGER), message: h.str("message") } as Halt));
    this.timelineRead = r.int("timelineRead", 0, 0xffff_ffff);
    this.switchesEmitted = r.int("switchesEmitted", 0, Number.MAX_SAFE_INTEGER);
    this.switchesLost = r.int("switchesLost", 0, Number.MAX_SAFE_INTEGER);
    const history = r.list("history", this.config.partitions.length);
    if (history.length !== this.config.partitions.length) throw new SnapshotError("snapshot: one console history per partition expected");
    history.forEach((h, i) => (this.history[i] = new ByteRing(CONSOLE_HISTORY)).push(h.asBytes(CONSOLE_HISTORY)));
    this.lastOutput = r.int("lastOutput", -1, this.config.partitions.length - 1);
  }

  // ── A tool's access to a partition (between steps of a run) ─────────────────────────────

  private reachable(name: string, what: string): Board {
    if (!this.core) throw new Error(`${what}: the hypervisor has not started`);
    if (this.advancing) throw new Error(`${what}: not inside a step of the run`);
    return this.boards[this.partitionIndex(name)];
  }

  /** A copy of guest-physical [gpa, gpa + length) of partition `name` (its RAM or a region
   *  mapped into it, whatever the guest's permissions), or null if any byte is not there. */
  readMemory(name: string, gpa: number, length: number): Uint8Array | null {
    return this.reachable(name, "readMemory").memory.read(gpa, length, "debug");
  }

  /** Write `data` at guest-physical gpa of partition `name`, all or nothing: false if any byte
   *  is not its memory. (The core caches translations, not contents: the guest sees it at once.) */
  writeMemory(name: string, gpa: number, data: Uint8Array): boolean {
    return this.reachable(name, "writeMemory").memory.write(gpa, data, "debug");
  }

  /** Partition `name`'s hart: x0-x31, pc and privilege level (0 U, 1 S, 3 M). */
  registers(name: string): { x: number[]; pc: number; priv: number } {
    return this.reachable(name, "registers").registers();
  }

  /** Set register x`r` (1-31) of partition `name`'s hart. */
  setRegister(name: string, r: number, value: number): void {
    if (!Number.isInteger(r) || r < 1 || r > 31) throw new RangeError(`setRegister: x${r} is not a writable register (x1-x31)`);
    this.reachable(name, "setRegister").setRegister(r, value);
  }

  /** Set partition `name`'s pc (where its hart goes on). */
  setPc(name: string, pc: number): void {
    this.reachable(name, "setPc").pc = pc >>> 0;
  }

  /** The board of a partition (for tests and tools: registers, RAM). */
  board(name: string): Board {
    return this.boards[this.partitionIndex(name)];
  }

  /** Mark remaining partitions as stopped with `halt` (e.g. an instruction limit). */
  stopRemaining(halt: Halt): void {
    this.halts.forEach((h, i) => { if (!h) this.partitionHalted(i, halt); });
  }
}

/** A forwarded hypercall's name for "exit" events. */
function hypercallName(eid: number, fid: number): string {
  if (eid === EID_WASMVISOR) return fid === FID_NOTIFY ? "wasmvisor notify" : `wasmvisor fid ${fid}`;
  if (eid === 0x4442434e) return `SBI DBCN ${["write", "read", "write_byte"][fid] ?? `fid ${fid}`}`;
  if (eid === 0x01) return "SBI legacy console_putchar";
  if (eid === 0x02) return "SBI legacy console_getchar";
  return `SBI eid 0x${eid.toString(16)} fid ${fid}`;
}

function isSystemConfig(v: unknown): v is SystemConfig {
  return typeof v === "object" && v !== null && Array.isArray((v as SystemConfig).partitions) &&
    typeof (v as SystemConfig).cyclesPerTick === "number" && typeof (v as SystemConfig).schedule?.majorFrame === "number" &&
    (v as SystemConfig).partitions.every((p) => typeof p.ramBytes === "number");
}
