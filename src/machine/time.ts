// Virtual time as the host sees it. The clock (cycles) advances with retired instructions and
// with idle time skipped in WFI; mtime = clock / cyclesPerTick + offset, computed by the core
// (assembly/kernel/counters.ts) so both sides agree to the tick. During an MMIO access the core
// publishes the exact clock of the accessing instruction in SYS_NOW; between run() calls the
// committed clock is current.

import type { CoreExports } from "../core/core.js";
import { SYS_CLOCK_LO, SYS_CLOCK_HI, SYS_NOW_LO, SYS_NOW_HI, SYS_TIME_OFFSET_LO, SYS_TIME_OFFSET_HI, SYS_CYCLES_PER_TICK } from "../../assembly/layout.js";

const U64 = (1n << 64n) - 1n;

export class VirtualTime {
  private readonly words: Int32Array;
  /** True while the core is inside an MMIO callback (SYS_NOW is the current clock). */
  inMmio = false;

  constructor(memory: ArrayBuffer, private readonly core: CoreExports) {
    this.words = new Int32Array(memory);
  }

  private pair(lo: number, hi: number): bigint {
    return (BigInt(this.words[hi >> 2] >>> 0) << 32n) | BigInt(this.words[lo >> 2] >>> 0);
  }

  get cyclesPerTick(): number {
    return this.words[SYS_CYCLES_PER_TICK >> 2];
  }

  /** The clock, in cycles, at the current instruction. */
  clock(): bigint {
    return this.inMmio ? this.pair(SYS_NOW_LO, SYS_NOW_HI) : this.pair(SYS_CLOCK_LO, SYS_CLOCK_HI);
  }

  /** The committed clock as a number (exact below 2^53 cycles: 28 years at 10 GHz). */
  clockNumber(): number {
    return Number(this.pair(SYS_CLOCK_LO, SYS_CLOCK_HI));
  }

  /** Advance the committed clock (idle time skipped while the hart waits in WFI). */
  advance(cycles: bigint): void {
    const next = (this.pair(SYS_CLOCK_LO, SYS_CLOCK_HI) + cycles) & U64;
    this.words[SYS_CLOCK_LO >> 2] = Number(next & 0xffffffffn) | 0;
    this.words[SYS_CLOCK_HI >> 2] = Number(next >> 32n) | 0;
  }

  /** mtime at the current instruction. */
  mtime(): bigint {
    const c = this.clock();
    const hi = Number(c >> 32n) | 0;
    const lo = Number(c & 0xffffffffn) | 0;
    return (BigInt(this.core.mtimeAt(hi, lo, 1) >>> 0) << 32n) | BigInt(this.core.mtimeAt(hi, lo, 0) >>> 0);
  }

  /** Make mtime read `value` now (a guest wrote mtime): only the offset changes. */
  setMtime(value: bigint): void {
    const offset = (this.pair(SYS_TIME_OFFSET_LO, SYS_TIME_OFFSET_HI) + (value & U64) - this.mtime()) & U64;
    this.words[SYS_TIME_OFFSET_LO >> 2] = Number(offset & 0xffffffffn) | 0;
    this.words[SYS_TIME_OFFSET_HI >> 2] = Number(offset >> 32n) | 0;
  }

  /**
   * The first clock value at which mtime >= `compare`, or null if that never happens within
   * 2^64 cycles. Returns the current clock if it already holds.
   */
  clockWhenMtimeReaches(compare: bigint): bigint | null {
    const now = this.clock();
    if (this.mtime() >= compare) return now;
    const offset = this.pair(SYS_TIME_OFFSET_LO, SYS_TIME_OFFSET_HI);
    const ticks = (compare - offset) & U64;
    const target = ticks * BigInt(this.cyclesPerTick);
    return target > U64 ? null : target;
  }
}
