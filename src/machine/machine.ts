// A bare machine: one hart (vCPU 0 of a core) on one QEMU-virt-compatible board
// (src/vmm/board.ts), so programs built for `qemu-system-riscv32 -M virt -bios none` run
// unmodified. This is the machine without the hypervisor: no scheduler, no partitions, the
// guest's M-mode is the machine's.
//
// The machine owns the run loop around the core: it serves device exits, skips idle time in WFI
// (deterministically: the clock jumps to the next timer deadline, which the core raises), and
// reports how the guest ended. Runs are deterministic: the same image and the same input give
// the same output and the same instruction count, on either core.

import { createCore, type Core, type CoreHost, type CoreKind } from "../core/core.js";
import {
  SYS_RETIRED, SYS_TRAPS, SYS_WATCH_ADDR, EXIT_WFI, EXIT_WATCH, EXIT_BREAK, EXIT_RETRY, RAM_HOST_BASE, JIT_AREA_BYTES,
  V_WFI, HARTS_MAX, SYS_DIRTY_ON, DIRTY_BASE, SYS_JIT_HOT, vcpuAddr,
} from "../../assembly/layout.js";
import { Board, DeviceBus, RAM_BASE, type Halt, type SemihostingOptions } from "../vmm/board.js";
import type { Uart16550 } from "../devices/uart16550.js";
import { parseElf, dropHeadersBelow, type ElfImage } from "../loader/elf.js";
import { parseFirmware } from "../loader/firmware-boot.js";
import { VirtualTime } from "./time.js";
import { layoutWords, jitArea, nodeTableBytes } from "../vmm/guest-memory.js";
import { JsBackend } from "../jit/js-backend.js";
import { WasmBackend } from "../jit/wasm-backend.js";
import { jitHotValue, jitOn } from "../jit/hot.js";
import { runParallel, type ParallelOptions, type ParallelResult } from "./parallel.js";
import { blockPlacement, nodeRamRange } from "./vnuma/placement.js";

export { RAM_BASE, type Halt } from "../vmm/board.js";
export const DEFAULT_RAM_BYTES = 128 * 1024 * 1024;
/** RAM is limited by the host addresses the core can use (below 2 GiB) and Sv32's 32-bit map. */
export const MAX_RAM_BYTES = 1024 * 1024 * 1024;
/** mtime ticks at 10 MHz; at 10 cycles per tick the virtual hart runs at 100 MHz. */
export const DEFAULT_CYCLES_PER_TICK = 10;

/** Largest slice handed to the core in one run() call. Small enough that V8's optimised code
 *  takes over early (a Wasm function tiers up between calls, not inside one), large enough that
 *  the call costs nothing (about 5 ms of guest time at 200 MIPS). */
const SLICE_MAX = 1 << 20;
/** Instructions allowed between an HTIF low-word write and its high word. */
const HTIF_GRACE = 16;
/** The core reports "no timer armed" as this many cycles or more. */
const TIMER_FAR = 0x40000000;

/** Exit status for a run stopped by the instruction limit (as GNU timeout uses 124). */
export const STATUS_LIMIT = 124;
/** Exit status for a guest waiting in WFI with nothing that could wake it. */
export const STATUS_IDLE = 125;

export interface MachineOptions {
  /** Which build of the core runs the guest (default "wasm"). */
  core?: CoreKind;
  /** Compiled build/core.wasm, required for the Wasm core (src/node/core-file.ts loads it). */
  wasmModule?: WebAssembly.Module;
  /** Guest RAM in bytes at 0x8000_0000 (default 128 MiB, at most 1 GiB, a multiple of 4 KiB). */
  ramBytes?: number;
  /** Clock cycles (retired instructions) per 10 MHz mtime tick (default 10). */
  cyclesPerTick?: number;
  /** Receives the guest's UART output (and HTIF console output). */
  onOutput?: (bytes: Uint8Array) => void;
  /** Boot the QEMU way (loadFirmwareBoot): the board gets QEMU's boot ROM at 0x1000. */
  firmwareBoot?: boolean;
  /** The kernel command line of a firmware boot (QEMU's -append), in the device tree. */
  bootargs?: string;
  /** Where the RTC starts, in seconds since 1970 (default DEFAULT_RTC_EPOCH, 2026-01-01): it
   *  then advances with virtual time. */
  rtcEpoch?: number;
  /** The F and D extensions (default true: RV32GC; false: an RV32IMAC hart, docs/machine.md). */
  fpu?: boolean;
  /** The RTC follows the host's clock (wall-clock runs, which pace step() with
   *  src/machine/wall-clock.ts). Default false. */
  wallClock?: boolean;
  /** RISC-V semihosting (absent: off; the sequence's EBREAK is an ordinary breakpoint). */
  semihosting?: SemihostingOptions;
  /** Harts (default 1, at most HARTS_MAX): every hart starts at the entry in M-mode with a0 = its
   *  hart id, as QEMU's `-smp N` (docs/smp.md); they take turns of SMP_QUANTUM cycles. */
  harts?: number;
  /** Harts on parallel threads (runParallel; src/machine/parallel.ts): the threaded build of
   *  the core over a shared memory. step() still runs the harts deterministically. */
  parallel?: boolean;
  /** vNUMA (docs/vnuma.md): the harts will run on this many nodes (processes), the guest's RAM
   *  shared page by page; needs `parallel`. The memory gets the shared memory's rights table
   *  after guest RAM. Default 1. */
  nodes?: number;
  /** The translator (docs/jit.md): hot guest code runs as translated functions (the pure-TS
   *  core: JavaScript; the Wasm core: Wasm modules). Default true (WASMVISOR_JIT=off in the
   *  environment turns it off). Harts on parallel threads ignore it. */
  jit?: boolean;
  /** Probes of a branch target before the translator translates it (default: 16384 on the Wasm
   *  core, 131072 on the pure-TS core — src/jit/hot.ts; a kernel's code run a few hundred times
   *  costs more to translate than to interpret). */
  jitHot?: number;
}

/** Whether the translator runs: asked for, and a back end exists for this core. */
function jitUsed(options: MachineOptions): boolean {
  return jitOn(options.jit) && !options.parallel;
}

export function checkHarts(harts: number): void {
  if (!Number.isInteger(harts) || harts < 1 || harts > HARTS_MAX) {
    throw new RangeError(`${harts} harts is not valid: use an integer from 1 to ${HARTS_MAX} (e.g. --harts 2)`);
  }
}

export interface RegisterState {
  x: number[];
  pc: number;
  priv: number;
}

export function checkRamSize(ramBytes: number): void {
  if (!Number.isInteger(ramBytes) || ramBytes < 4096 || ramBytes % 4096 !== 0 || ramBytes > MAX_RAM_BYTES) {
    throw new RangeError(`RAM size of ${ramBytes} bytes is not valid: use a multiple of 4 KiB from 4 KiB to ${MAX_RAM_BYTES / 1048576} MiB (e.g. --ram 64M)`);
  }
}

export function checkCyclesPerTick(cpt: number): void {
  if (!Number.isInteger(cpt) || cpt < 1 || cpt > 1_000_000) {
    throw new RangeError(`cyclesPerTick ${cpt} is not valid: use an integer from 1 to 1000000`);
  }
}

export class Machine {
  readonly ramBytes: number;
  readonly board: Board;
  readonly time: VirtualTime;
  private readonly words: Int32Array;
  private readonly vcpu = vcpuAddr(0);
  private halt: Halt | null = null;
  /** Instructions retired since the image was loaded. */
  retired = 0;
  /** Work done since the image was loaded: instructions retired plus traps taken. */
  work = 0;

  private constructor(readonly core: Core, options: MachineOptions, ramBytes: number) {
    this.ramBytes = ramBytes;
    this.words = layoutWords(core.memory);
    this.time = new VirtualTime(core.memory, core.exports);
    core.exports.systemReset(options.cyclesPerTick ?? DEFAULT_CYCLES_PER_TICK);
    // vNUMA: every page written from now on (by the loader through the guest-memory gate, or by
    // a hart) is marked, so the other nodes' memory can be placed without reading it
    // (runParallel's `written`).
    this.nodes = options.nodes ?? 1;
    if (this.nodes > 1) this.words[SYS_DIRTY_ON >> 2] = 1;
    if (jitUsed(options)) {
      // The translator's area follows guest RAM (Machine.create reserved it).
      const base = RAM_HOST_BASE + ramBytes;
      this.jit = core.kind === "ts" ? new JsBackend(jitArea(core.memory, base), base) : new WasmBackend(jitArea(core.memory, base), base, core.wasmMemory!, core.wasmTable!);
      this.words[SYS_JIT_HOT >> 2] = jitHotValue(options.jitHot, core.kind); // (first: jitReset reads it)
      core.exports.jitReset(base);
    }
    this.bus = new DeviceBus(this.time);
    this.board = new Board({
      core, bus: this.bus, time: this.time, index: 0, hartVcpus: Array.from({ length: options.harts ?? 1 }, (_, i) => i),
      name: "machine", mode: "machine",
      ramBytes, ramHost: RAM_HOST_BASE, htif: true, rtcEpoch: options.rtcEpoch, wallClock: options.wallClock, fpu: options.fpu,
      semihosting: options.semihosting, firmwareBoot: options.firmwareBoot, bootargs: options.bootargs,
      // vNUMA: the device tree (a firmware boot's) shows the nodes, their harts and memory.
      ...((options.nodes ?? 1) > 1 ? {
        numa: {
          hartNodes: blockPlacement(options.harts ?? 1, options.nodes!),
          memory: Array.from({ length: options.nodes! }, (_, k) => nodeRamRange(ramBytes, options.nodes!, k)),
        },
      } : {}),
      onOutput: options.onOutput ?? (() => {}),
      onHalt: (h) => { if (!this.halt) this.halt = { ...h, message: `guest ${h.message}` } as Halt; },
    });
  }

  private readonly bus: DeviceBus;
  /** The nodes the harts will run on (vNUMA, docs/vnuma.md): 1 without. */
  private readonly nodes: number;
  /** vNUMA: the node of each hart (in blocks: blockPlacement), as the device tree tells a guest;
   *  runParallel's `nodes.placement`. All 0 on one node. */
  get hartNodes(): number[] {
    return blockPlacement(this.board.hartVcpus.length, this.nodes);
  }
  /** The translator's back end, when it is on (docs/jit.md). */
  readonly jit: JsBackend | WasmBackend | null = null;

  static async create(options: MachineOptions = {}): Promise<Machine> {
    const ramBytes = options.ramBytes ?? DEFAULT_RAM_BYTES;
    checkRamSize(ramBytes);
    checkCyclesPerTick(options.cyclesPerTick ?? DEFAULT_CYCLES_PER_TICK);
    checkHarts(options.harts ?? 1);
    const nodes = options.nodes ?? 1;
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > (options.harts ?? 1)) {
      throw new RangeError(`${nodes} nodes is not valid: use an integer from 1 to the number of harts (${options.harts ?? 1})`);
    }
    if (nodes > 1 && !options.parallel) throw new RangeError("harts on several nodes (vNUMA) run in parallel: make the machine with `parallel: true`");
    let machine: Machine | null = null;
    const host: CoreHost = {
      mmioRead: (d, o, s) => machine!.bus.read(d, o, s),
      mmioWrite: (d, o, s, v) => machine!.bus.write(d, o, s, v),
      hypercall: (_v, e, f) => machine!.board.hypercall(e, f), // (semihosting: no SBI here)
      jitCompile: (ir) => (machine!.jit as JsBackend | null)?.compile(ir) ?? null,
    };
    const core = await createCore({
      kind: options.core ?? "wasm",
      memoryBytes: RAM_HOST_BASE + ramBytes + (jitUsed(options) ? JIT_AREA_BYTES : 0) + ((options.nodes ?? 1) > 1 ? nodeTableBytes(ramBytes) : 0),
      wasmModule: options.wasmModule,
      threaded: options.parallel,
      host,
    });
    machine = new Machine(core, options, ramBytes);
    if (machine.jit instanceof WasmBackend) host.jitWasm = machine.jit;
    return machine;
  }

  get uart(): Uart16550 {
    return this.board.uart!;
  }

  // ── Loading ───────────────────────────────────────────────────────────────────────────────

  /** Load an ELF image (bytes) into RAM and reset the hart at its entry point. */
  loadElf(bytes: Uint8Array, name = "image"): ElfImage {
    const image = dropHeadersBelow(parseElf(bytes, name), RAM_BASE);
    this.loadImage(image, name);
    return image;
  }

  /** Load segments into RAM (everything else zeroed) and reset the hart at the entry point. */
  loadImage(image: ElfImage, name = "image"): void {
    this.board.loadImage(image, name);
    this.halt = null;
    this.retired = 0;
    this.work = 0;
  }

  /**
   * Boot the QEMU way (`-bios FIRMWARE -kernel KERNEL -initrd INITRD`, the machine made with
   * firmwareBoot): the firmware (ELF or raw binary), the kernel, the initrd and the device tree
   * where QEMU's virt board puts them, the hart in M-mode at the firmware's entry with a0 = 0,
   * a1 = the device tree, a2 = fw_dynamic_info (src/loader/firmware-boot.ts).
   */
  loadFirmwareBoot(firmware: Uint8Array, name: string, kernel?: { bytes: Uint8Array; name: string }, initrd?: { bytes: Uint8Array; name: string }): ElfImage {
    const image = parseFirmware(firmware, name, RAM_BASE);
    this.board.loadFirmwareBoot(image, name, kernel, initrd);
    this.halt = null;
    this.retired = 0;
    this.work = 0;
    return image;
  }

  /** Reset the hart (M-mode, pc = entry, a0 = hart id 0) and the run state. */
  reset(entry: number): void {
    this.board.reset(entry);
    this.halt = null;
    this.retired = 0;
    this.work = 0;
  }

  /** Queue console input for the guest (UART receive, HTIF getchar). */
  pushInput(bytes: Uint8Array | number[]): void {
    this.board.pushInput(bytes);
  }

  /** Hand buffered console output to onOutput. */
  flushOutput(): void {
    this.board.flushOutput();
  }

  // ── Running ───────────────────────────────────────────────────────────────────────────────

  get halted(): Halt | null {
    return this.halt;
  }

  private stop(halt: Halt): void {
    if (!this.halt) this.halt = halt;
    this.board.closeFiles();
  }

  /** Close the guest's host files (semihosting): the run is over, however it ended. */
  close(): void {
    this.board.closeFiles();
  }

  /** Cycles of virtual time per second: cyclesPerTick × the 10 MHz mtime timebase. */
  get cyclesPerSecond(): number {
    return this.time.cyclesPerTick * 10_000_000;
  }

  /**
   * Run until the guest halts, exactly `budget` units of work are done (an instruction retired
   * or a trap taken), or the guest idles waiting for input that may still come (`inputOpen`).
   * With `idleUntil` (a clock value, in cycles; wall-clock runs), time skipped while the guest
   * idles in WFI stops there, and the step ends: the caller lets real time catch up.
   * Returns the work done. Synchronous.
   */
  step(budget: number, inputOpen = false, idleUntil?: number): number {
    let done = 0;
    const exports = this.core.exports;
    this.atBreakpoint = false;
    this.awaitingInput = false;
    this.board.inputOpen = inputOpen;
    const smp = this.board.hartVcpus.length > 1;
    while (done < budget && !this.halt) {
      let slice = Math.min(budget - done, SLICE_MAX);
      if (this.board.htifPendingLow) slice = Math.min(slice, HTIF_GRACE);
      // A device deadline (UART timeout, RTC alarm) ends the slice exactly where it falls.
      const untilDevice = this.untilDeviceEvent();
      if (untilDevice !== null) slice = Math.min(slice, Math.max(untilDevice, 1));
      let reason: number;
      if (smp) {
        // SMP: the hart whose turn it is runs the rest of its turn (kernel/smp.ts); when none
        // can run, every hart waits in WFI (or is stopped), as a lone hart's EXIT_WFI says.
        exports.smpCheckTimers(0);
        const hart = exports.smpPick(0);
        if (hart >= 0) {
          exports.vcpuSwitch(hart);
          slice = Math.min(slice, exports.smpSliceLimit(0));
          reason = exports.run(slice);
          exports.smpCharge(0, this.words[SYS_RETIRED >> 2] + this.words[SYS_TRAPS >> 2]);
        } else {
          this.words[SYS_RETIRED >> 2] = 0;
          this.words[SYS_TRAPS >> 2] = 0;
          reason = EXIT_WFI;
        }
      } else {
        reason = exports.run(slice);
      }
      const n = this.words[SYS_RETIRED >> 2];
      // Progress is instructions retired plus traps taken (each trap consumes budget too).
      const work = n + this.words[SYS_TRAPS >> 2];
      done += work;
      this.work += work;
      this.retired += n;
      if (this.board.htifPendingLow && reason !== EXIT_WATCH) this.board.flushHtifLow();
      if (reason === EXIT_RETRY && inputOpen && this.board.semihosting?.waitingForInput) {
        break; // a semihosting read waits for console input: the caller waits for it, then calls again
      } else if (reason === EXIT_BREAK) {
        this.atBreakpoint = true; // a debugger's breakpoint (src/debug/): the hart stays on it
        break;
      } else if (reason === EXIT_WATCH) {
        this.board.onWatch(this.words[SYS_WATCH_ADDR >> 2] >>> 0);
      } else if (reason === EXIT_WFI && !this.halt) {
        // Idle: skip virtual time to the hart's next timer deadline (the core raises it), or to
        // a device's, whichever comes first.
        let next = smp ? exports.smpTimerNext(0) : exports.vcpuNextTimer(0);
        const untilDevice = this.untilDeviceEvent();
        // A device deadline just raised an interrupt (SMP: or another hart can run).
        if (smp ? exports.smpPick(0) >= 0 : exports.vcpuCanWake(0)) continue;
        if (untilDevice !== null && untilDevice <= next) next = untilDevice;
        if (next < TIMER_FAR || untilDevice !== null) {
          const skip = Math.max(next, 1);
          if (idleUntil !== undefined && this.time.clockNumber() + skip > idleUntil) {
            // Wall-clock pacing: idle only up to idleUntil; the caller waits for real time.
            const left = Math.ceil(idleUntil - this.time.clockNumber());
            if (left > 0) this.time.advance(BigInt(left));
            break;
          }
          this.time.advance(BigInt(skip));
        } else if (inputOpen) {
          this.awaitingInput = true;
          break; // the caller waits for input, then calls again
        } else {
          this.stop({
            kind: "idle", status: STATUS_IDLE,
            message: "the guest waits for an interrupt (WFI) that nothing can raise: no timer is armed and no input is pending",
          });
        }
      }
    }
    this.board.flushOutput();
    return done;
  }

  /**
   * Run the harts in parallel, each on its own host thread (the machine made with `parallel`),
   * until the guest halts, `maxWork` units of work are done (checked while the harts run: the
   * run ends within a slice per hart of it), or `stopped()` says so. Not deterministic: see
   * docs/smp.md. Afterwards the machine is as after step(): registers, counts and halt are set.
   */
  async runParallel(options: ParallelOptions = {}): Promise<ParallelResult> {
    const before = this.work;
    const words = this.words;
    const nodes = options.nodes && this.nodes > 1 && words[SYS_DIRTY_ON >> 2] === 1
      ? { ...options.nodes, written: (i: number) => ((words[(DIRTY_BASE >> 2) + (i >>> 5)] >>> (i & 31)) & 1) === 1 }
      : options.nodes;
    const result = await runParallel({
      core: this.core, board: this.board, bus: this.bus, time: this.time, harts: this.board.hartVcpus,
      halted: () => this.halt, halt: (h) => this.stop(h), flushOutput: () => this.board.flushOutput(),
    }, { ...options, nodes, maxWork: options.maxWork === undefined ? undefined : Math.max(0, options.maxWork - before) });
    this.retired += result.retired.reduce((a, b) => a + b, 0);
    this.work += result.work.reduce((a, b) => a + b, 0);
    return result;
  }

  /** Fire the device deadlines that are due; cycles until the next one (null: none, or too far
   *  to matter before the core's own far limit). */
  private untilDeviceEvent(): number | null {
    const next = this.board.deviceEvents();
    if (next === null) return null;
    const d = next - this.time.clock();
    return d >= BigInt(TIMER_FAR) ? TIMER_FAR : Number(d);
  }

  /** True when the last step() ended on an EBREAK a debugger asked to stop at (DEBUG_BREAK). */
  atBreakpoint = false;
  /** True when the last step() ended because the guest idles in WFI with nothing but console
   *  input to wake it (step's `inputOpen`): the caller waits for input, then steps again. */
  awaitingInput = false;

  /** End the run with `status` (a debugger's kill). */
  kill(message: string, status: number): void {
    this.stop({ kind: "stopped", status, message });
  }

  /** True when the hart sits in WFI, or a semihosting read waits for console input. */
  get waiting(): boolean {
    return this.words[(this.vcpu + V_WFI) >> 2] !== 0 || (this.board.semihosting?.waitingForInput ?? false);
  }

  /** Stop with the instruction-limit status (used by run loops that enforce --max-insns). */
  stopAtLimit(limit: number): void {
    this.stop({
      kind: "limit", status: STATUS_LIMIT,
      message: `stopped after ${this.work} instructions: the --max-insns limit of ${limit} was reached`,
    });
  }

  /** Registers, pc and privilege level of the hart. */
  registers(): RegisterState {
    return this.board.registers();
  }

  /** Read guest RAM (physical addresses). */
  readRam(pa: number, length: number): Uint8Array {
    return this.board.readRam(pa, length);
  }
}
