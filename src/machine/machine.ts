// A bare machine: one hart (vCPU 0 of a core) on a QEMU-virt-compatible board, so programs
// built for `qemu-system-riscv32 -M virt -bios none` run unmodified.
//
//   0x0010_0000  SiFive test finisher        0x1000_0000  NS16550A UART
//   0x0200_0000  CLINT (msip/mtimecmp/mtime) 0x8000_0000  RAM (ramBytes)
//
// The machine owns the run loop around the core: it plans slices so the core stops at the next
// timer deadline, serves device exits, skips idle time in WFI (deterministically: the clock jumps
// to the next deadline), and reports how the guest ended. Runs are deterministic: the same image
// and the same input give the same output and the same instruction count, on either core.

import { createCore, type Core, type CoreKind } from "../core/core.js";
import {
  SYS_HOST_REQ, SYS_RETIRED, SYS_TRAPS, SYS_WATCH_ADDR, HOSTREQ_STOP, HOSTREQ_IRQ,
  EXIT_WFI, EXIT_WATCH, PHYSMAP_BASE, PHYSMAP_ENTRY, PHYSMAP_MAX, PM_BASE, PM_SIZE, PM_KIND,
  PM_TARGET, PM_RAM, PM_MMIO, PM_RAM_WATCH, RAM_HOST_BASE, V_IRQ_LINES, HART_X, V_PC,
  V_PRIV, V_WFI, vcpuAddr,
} from "../../assembly/layout.js";
import type { MmioDevice } from "../devices/device.js";
import { Uart16550 } from "../devices/uart16550.js";
import { Clint } from "../devices/clint.js";
import { TestFinisher, type FinisherEvent } from "../devices/finisher.js";
import { Htif } from "../devices/htif.js";
import { parseElf, type ElfImage } from "../loader/elf.js";
import { VirtualTime } from "./time.js";

export const RAM_BASE = 0x8000_0000;
export const FINISHER_BASE = 0x0010_0000;
export const CLINT_BASE = 0x0200_0000;
export const UART0_BASE = 0x1000_0000;
export const DEFAULT_RAM_BYTES = 128 * 1024 * 1024;
/** RAM is limited by the host addresses the core can use (below 2 GiB) and Sv32's 32-bit map. */
export const MAX_RAM_BYTES = 1024 * 1024 * 1024;
/** mtime ticks at 10 MHz; at 10 cycles per tick the virtual hart runs at 100 MHz. */
export const DEFAULT_CYCLES_PER_TICK = 10;

// mip bits driven by devices.
const MIP_MSIP = 1 << 3;
const MIP_MTIP = 1 << 7;

/**
 * Largest slice handed to the core in one run() call. Small enough that V8's optimised code
 * takes over early (a Wasm function tiers up between calls, not inside one), large enough that
 * the call costs nothing (about 5 ms of guest time at 200 MIPS).
 */
const SLICE_MAX = 1 << 20;
/** Instructions allowed between an HTIF low-word write and its high word. */
const HTIF_GRACE = 16;

/** How a run ended. */
export type Halt =
  | { kind: "pass"; status: 0; message: string }
  | { kind: "fail"; status: number; message: string }
  | { kind: "reset"; status: 0; message: string }
  | { kind: "htif"; status: number; message: string }
  | { kind: "limit"; status: number; message: string }
  | { kind: "idle"; status: number; message: string };

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
}

export interface RegisterState {
  x: number[];
  pc: number;
  priv: number;
}

export class Machine {
  readonly ramBytes: number;
  readonly uart: Uart16550;
  readonly clint: Clint;
  readonly time: VirtualTime;
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly devices: MmioDevice[] = [];
  private readonly vcpu = vcpuAddr(0);
  private htif: Htif | null = null;
  private outBuf = new Uint8Array(4096);
  private outLen = 0;
  private readonly onOutput: (bytes: Uint8Array) => void;
  private halt: Halt | null = null;
  private loaded = false;
  /** Instructions retired since the image was loaded. */
  retired = 0;
  /** Work done since the image was loaded: instructions retired plus traps taken. */
  work = 0;

  private constructor(readonly core: Core, options: MachineOptions, ramBytes: number) {
    this.ramBytes = ramBytes;
    this.words = new Int32Array(core.memory);
    this.bytes = new Uint8Array(core.memory);
    this.onOutput = options.onOutput ?? (() => {});
    this.time = new VirtualTime(core.memory, core.exports);
    const output = (b: number) => this.emit(b);
    this.uart = new Uart16550("uart0", output);
    this.clint = new Clint("clint", this.time, {
      setMsip: (level) => this.setLine(MIP_MSIP, level),
      setMtip: (level) => this.setLine(MIP_MTIP, level),
      deadlineChanged: () => this.requestStop(),
    });
    this.devices.push(new TestFinisher("finisher", (e) => this.finish(e)), this.clint, this.uart);
    core.exports.systemReset(options.cyclesPerTick ?? DEFAULT_CYCLES_PER_TICK);
  }

  static async create(options: MachineOptions = {}): Promise<Machine> {
    const ramBytes = options.ramBytes ?? DEFAULT_RAM_BYTES;
    if (!Number.isInteger(ramBytes) || ramBytes < 4096 || ramBytes % 4096 !== 0 || ramBytes > MAX_RAM_BYTES) {
      throw new RangeError(`RAM size of ${ramBytes} bytes is not valid: use a multiple of 4 KiB from 4 KiB to ${MAX_RAM_BYTES / 1048576} MiB (e.g. --ram 64M)`);
    }
    const cpt = options.cyclesPerTick ?? DEFAULT_CYCLES_PER_TICK;
    if (!Number.isInteger(cpt) || cpt < 1 || cpt > 1_000_000) {
      throw new RangeError(`cyclesPerTick ${cpt} is not valid: use an integer from 1 to 1000000`);
    }
    let machine: Machine | null = null;
    const core = await createCore({
      kind: options.core ?? "wasm",
      memoryBytes: RAM_HOST_BASE + ramBytes,
      wasmModule: options.wasmModule,
      host: {
        mmioRead: (d, o, s) => machine!.mmioRead(d, o, s),
        mmioWrite: (d, o, s, v) => machine!.mmioWrite(d, o, s, v),
      },
    });
    machine = new Machine(core, options, ramBytes);
    return machine;
  }

  // ── Loading ───────────────────────────────────────────────────────────────────────────────

  /** Load an ELF image (bytes) into RAM and reset the hart at its entry point. */
  loadElf(bytes: Uint8Array, name = "image"): ElfImage {
    const image = parseElf(bytes, name);
    this.loadImage(image, name);
    return image;
  }

  /**
   * Load segments into RAM (everything else zeroed), set up HTIF if the image has a `tohost`
   * symbol, and reset the hart at the entry point.
   */
  loadImage(image: ElfImage, name = "image"): void {
    for (const [i, seg] of image.segments.entries()) {
      if (seg.paddr < RAM_BASE || seg.paddr + seg.memsz > RAM_BASE + this.ramBytes) {
        const end = (seg.paddr + seg.memsz - 1) >>> 0;
        throw new RangeError(
          `${name}: segment ${i} (0x${seg.paddr.toString(16)}-0x${end.toString(16)}) lies outside RAM ` +
          `(0x${RAM_BASE.toString(16)}-0x${(RAM_BASE + this.ramBytes - 1).toString(16)}); ` +
          `link the program for RAM at 0x80000000 or give more RAM (--ram)`);
      }
    }
    // A fresh memory is already zero; only a reload must clear what the last run left.
    if (this.loaded) this.bytes.fill(0, RAM_HOST_BASE, RAM_HOST_BASE + this.ramBytes);
    this.loaded = true;
    for (const seg of image.segments) {
      this.bytes.set(seg.data, RAM_HOST_BASE + (seg.paddr - RAM_BASE));
    }
    const tohost = image.symbols.get("tohost");
    const fromhost = image.symbols.get("fromhost");
    this.htif = null;
    if (tohost !== undefined) {
      if (tohost < RAM_BASE || tohost + 8 > RAM_BASE + this.ramBytes || tohost % 8 !== 0) {
        throw new RangeError(`${name}: symbol tohost (0x${tohost.toString(16)}) must be an 8-byte-aligned address in RAM`);
      }
      this.htif = new Htif(tohost, fromhost ?? null, {
        read32: (pa) => this.words[(RAM_HOST_BASE + pa - RAM_BASE) >> 2],
        write32: (pa, v) => { this.words[(RAM_HOST_BASE + pa - RAM_BASE) >> 2] = v; },
      }, {
        output: (b) => this.emit(b),
        input: () => (this.uart.pendingInput > 0 ? this.uart.read(0, 1) : -1),
        exit: (code) => this.stop({
          kind: "htif", status: code,
          message: code === 0 ? "guest passed (HTIF tohost = 1)" : `guest failed (HTIF exit code ${code})`,
        }),
      });
    }
    this.mapMemory();
    this.reset(image.entry);
  }

  /** Reset the hart (M-mode, pc = entry, a0 = hart id 0, a1 = 0) and the run state. */
  reset(entry: number): void {
    this.core.exports.vcpuReset(0, entry | 0, 0, PHYSMAP_BASE, this.regionCount);
    this.halt = null;
    this.retired = 0;
    this.work = 0;
    this.clint.update();
  }

  private regionCount = 0;

  /** Write the physical map: devices, then RAM (split around the HTIF page if there is one). */
  private mapMemory(): void {
    const regions: Array<[number, number, number, number]> = [
      [FINISHER_BASE, this.devices[0].size, PM_MMIO, 0],
      [CLINT_BASE, this.devices[1].size, PM_MMIO, 1],
      [UART0_BASE, this.devices[2].size, PM_MMIO, 2],
    ];
    if (this.htif) {
      const page = (this.htif.tohost & ~0xfff) >>> 0;
      const host = (pa: number) => RAM_HOST_BASE + (pa - RAM_BASE);
      if (page > RAM_BASE) regions.push([RAM_BASE, page - RAM_BASE, PM_RAM, host(RAM_BASE)]);
      regions.push([page, 0x1000, PM_RAM_WATCH, host(page)]);
      const after = page + 0x1000;
      if (after < RAM_BASE + this.ramBytes) regions.push([after, RAM_BASE + this.ramBytes - after, PM_RAM, host(after)]);
    } else {
      regions.push([RAM_BASE, this.ramBytes, PM_RAM, RAM_HOST_BASE]);
    }
    if (regions.length > PHYSMAP_MAX) throw new Error("physical map overflow");
    regions.forEach(([base, size, kind, target], i) => {
      const e = (PHYSMAP_BASE + i * PHYSMAP_ENTRY) >> 2;
      this.words[e + (PM_BASE >> 2)] = base | 0;
      this.words[e + (PM_SIZE >> 2)] = size | 0;
      this.words[e + (PM_KIND >> 2)] = kind;
      this.words[e + (PM_TARGET >> 2)] = target | 0;
    });
    this.regionCount = regions.length;
  }

  // ── Devices ───────────────────────────────────────────────────────────────────────────────

  private mmioRead(device: number, offset: number, size: number): number {
    this.time.inMmio = true;
    try {
      return this.devices[device].read(offset, size);
    } finally {
      this.time.inMmio = false;
    }
  }

  private mmioWrite(device: number, offset: number, size: number, value: number): void {
    this.time.inMmio = true;
    try {
      this.devices[device].write(offset, size, value);
    } finally {
      this.time.inMmio = false;
    }
  }

  /** Drive a device interrupt line into the hart's mip (the core re-evaluates at its next boundary). */
  private setLine(bit: number, level: boolean): void {
    const i = (this.vcpu + V_IRQ_LINES) >> 2;
    const old = this.words[i];
    const next = level ? old | bit : old & ~bit;
    if (next === old) return;
    this.words[i] = next;
    this.words[SYS_HOST_REQ >> 2] |= HOSTREQ_IRQ;
  }

  /** Make the core return to this loop at its next boundary. */
  private requestStop(): void {
    this.words[SYS_HOST_REQ >> 2] |= HOSTREQ_STOP;
  }

  private finish(e: FinisherEvent): void {
    if (e.kind === "pass") this.stop({ kind: "pass", status: 0, message: "guest passed (test finisher 0x5555)" });
    else if (e.kind === "fail") this.stop({ kind: "fail", status: e.code, message: `guest failed with code ${e.code} (test finisher)` });
    else this.stop({ kind: "reset", status: 0, message: "guest requested a reset (test finisher 0x7777); stopped" });
  }

  private stop(halt: Halt): void {
    if (!this.halt) this.halt = halt;
    this.requestStop();
  }

  private emit(byte: number): void {
    if (this.outLen === this.outBuf.length) this.flushOutput();
    this.outBuf[this.outLen++] = byte;
  }

  /** Hand buffered console output to onOutput. */
  flushOutput(): void {
    if (this.outLen === 0) return;
    const chunk = this.outBuf.slice(0, this.outLen);
    this.outLen = 0;
    this.onOutput(chunk);
  }

  /** Queue console input for the guest (UART receive, HTIF getchar). */
  pushInput(bytes: Uint8Array | number[]): void {
    this.uart.pushInput(bytes);
    this.htif?.poll();
  }

  // ── Running ───────────────────────────────────────────────────────────────────────────────

  get halted(): Halt | null {
    return this.halt;
  }

  /**
   * Run until the guest halts, exactly `budget` units of work are done (an instruction retired
   * or a trap taken), or the guest idles waiting for input that may still come (`inputOpen`).
   * Returns the work done. Synchronous.
   */
  step(budget: number, inputOpen = false): number {
    let done = 0;
    const exports = this.core.exports;
    while (done < budget && !this.halt) {
      let slice = Math.min(budget - done, SLICE_MAX);
      const deadline = this.clint.nextDeadline();
      if (deadline !== null) {
        const ahead = deadline - this.time.clock();
        if (ahead <= 0n) this.clint.update();
        else if (ahead < BigInt(slice)) slice = Number(ahead);
      }
      if (this.htif?.pendingLow) slice = Math.min(slice, HTIF_GRACE);
      const reason = exports.run(slice);
      const n = this.words[SYS_RETIRED >> 2];
      // Progress is instructions retired plus traps taken (each trap consumes budget too).
      const work = n + this.words[SYS_TRAPS >> 2];
      done += work;
      this.work += work;
      this.retired += n;
      if (this.htif?.pendingLow && reason !== EXIT_WATCH) this.htif.flushPendingLow();
      if (reason === EXIT_WATCH) {
        this.htif?.onStore(this.words[SYS_WATCH_ADDR >> 2] >>> 0);
      } else if (reason === EXIT_WFI && !this.halt) {
        // Idle: skip virtual time to the next timer deadline.
        const next = this.clint.nextDeadline();
        if (next !== null) {
          this.time.advance(next - this.time.clock());
          this.clint.update();
        } else if (inputOpen) {
          break; // the caller waits for input, then calls again
        } else {
          this.stop({
            kind: "idle", status: STATUS_IDLE,
            message: "the guest waits for an interrupt (WFI) that nothing can raise: no timer is armed and no input is pending",
          });
        }
      }
    }
    this.flushOutput();
    return done;
  }

  /** True when the hart sits in WFI. */
  get waiting(): boolean {
    return this.words[(this.vcpu + V_WFI) >> 2] !== 0;
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
    const base = HART_X >> 2; // vCPU 0 is the running one
    return {
      x: Array.from(this.words.subarray(base, base + 32)),
      pc: this.words[(this.vcpu + V_PC) >> 2] >>> 0,
      priv: this.words[(this.vcpu + V_PRIV) >> 2],
    };
  }

  /** Read guest RAM (physical addresses). */
  readRam(pa: number, length: number): Uint8Array {
    const off = pa - RAM_BASE;
    if (off < 0 || off + length > this.ramBytes) throw new RangeError(`0x${pa.toString(16)}+${length} is outside RAM`);
    return this.bytes.slice(RAM_HOST_BASE + off, RAM_HOST_BASE + off + length);
  }
}
