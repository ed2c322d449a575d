// Virtual time as the host sees it. The clock (cycles) advances with retired instructions and
// with idle time skipped in WFI; it is the system's and the scheduler's, and no guest can change
// it. Each partition sees its own mtime = clock / cyclesPerTick + its own offset (PartitionTime),
// computed by the core (assembly/kernel/counters.ts) so both sides agree to the tick: a guest
// that writes its CLINT's mtime moves its own offset, never another partition's. During an MMIO
// access the core publishes the exact clock of the accessing instruction in SYS_NOW; between
// run() calls the committed clock is current.

import type { CoreExports } from "../core/core.js";
import { SYS_HOME, SYS_CLOCK_LO, SYS_CLOCK_HI, SYS_NOW_LO, SYS_NOW_HI, V_TIME_OFFSET_LO, V_TIME_OFFSET_HI, SYS_CYCLES_PER_TICK, vcpuAddr } from "../../assembly/layout.js";
import { layoutWords } from "../vmm/guest-memory.js";

const U64 = (1n << 64n) - 1n;

export class VirtualTime {
  private readonly words: Int32Array;
  /** Where this clock's words are, relative to the home block (0: the system's clock; a time
   *  domain of harts on threads keeps its own block, src/machine/parallel.ts). */
  private readonly shift: number;
  /** True while the core is inside an MMIO callback (SYS_NOW is the current clock). */
  inMmio = false;

  /** The clock of the system block at `base` (default: the home block, the system's clock). */
  constructor(memory: ArrayBuffer, readonly core: CoreExports, base = SYS_HOME) {
    this.words = layoutWords(memory);
    this.shift = base - SYS_HOME;
  }

  get cyclesPerTick(): number {
    return this.words[(this.shift + SYS_CYCLES_PER_TICK) >> 2];
  }

  /** The clock, in cycles, at the current instruction. */
  clock(): bigint {
    return this.inMmio ? this.pair(this.shift + SYS_NOW_LO, this.shift + SYS_NOW_HI) : this.pair(this.shift + SYS_CLOCK_LO, this.shift + SYS_CLOCK_HI);
  }

  /** The committed clock as a number (exact below 2^53 cycles: 28 years at 10 GHz). */
  clockNumber(): number {
    return Number(this.pair(this.shift + SYS_CLOCK_LO, this.shift + SYS_CLOCK_HI));
  }

  /** Advance the committed clock (idle time skipped while the hart waits in WFI). */
  advance(cycles: bigint): void {
    this.setPair(this.shift + SYS_CLOCK_LO, this.shift + SYS_CLOCK_HI, (this.pair(this.shift + SYS_CLOCK_LO, this.shift + SYS_CLOCK_HI) + cycles) & U64);
  }

  /** Partition (vCPU) `index`'s view of time; `harts`: the vCPUs of all its harts, which share
   *  it (default [index]). */
  partition(index: number, harts: readonly number[] = [index]): PartitionTime {
    return new PartitionTime(this, index, harts);
  }

  /** A 64-bit value stored as {lo, hi} words at `lo`/`hi` of the layout. */
  pair(lo: number, hi: number): bigint {
    return (BigInt(this.words[hi >> 2] >>> 0) << 32n) | BigInt(this.words[lo >> 2] >>> 0);
  }

  setPair(lo: number, hi: number, value: bigint): void {
    this.words[lo >> 2] = Number(value & 0xffffffffn) | 0;
    this.words[hi >> 2] = Number((value >> 32n) & 0xffffffffn) | 0;
  }
}

/** One partition's mtime: the clock seen through its own offset (V_TIME_OFFSET). */
export class PartitionTime {
  private readonly offsetLo: number;
  private readonly offsetHi: number;

  constructor(private readonly time: VirtualTime, private readonly index: number, private readonly harts: readonly number[] = [index]) {
    this.offsetLo = vcpuAddr(index) + V_TIME_OFFSET_LO;
    this.offsetHi = vcpuAddr(index) + V_TIME_OFFSET_HI;
  }

  /** The clock, in cycles, at the current instruction (the same for every partition). */
  clock(): bigint {
    return this.time.clock();
  }

  /** This partition's mtime at the current instruction. */
  mtime(): bigint {
    const c = this.time.clock();
    const hi = Number(c >> 32n) | 0;
    const lo = Number(c & 0xffffffffn) | 0;
    const core = this.time.core;
    return (BigInt(core.mtimeAt(this.index, hi, lo, 1) >>> 0) << 32n) | BigInt(core.mtimeAt(this.index, hi, lo, 0) >>> 0);
  }

  /** Make this partition's mtime read `value` now (it wrote mtime): only its offset changes. */
  setMtime(value: bigint): void {
    const offset = (this.time.pair(this.offsetLo, this.offsetHi) + (value & U64) - this.mtime()) & U64;
    // Every hart of the partition sees the same mtime; their SBI timers follow it.
    for (const hart of this.harts) {
      this.time.setPair(vcpuAddr(hart) + V_TIME_OFFSET_LO, vcpuAddr(hart) + V_TIME_OFFSET_HI, offset);
      this.time.core.vcpuTimeChanged(hart);
    }
  }

  /**
   * The first clock value at which this partition's mtime >= `compare`, or null if that never
   * happens within 2^64 cycles. Returns the current clock if it already holds.
   */
  clockWhenMtimeReaches(compare: bigint): bigint | null {
    const now = this.time.clock();
    const mtime = this.mtime();
    if (mtime >= compare) return now;
    // From now on mtime counts up from its current value (whatever offset the partition gave
    // it): it reaches `compare` after (compare - mtime) more ticks. (Computing from the offset
    // instead would wrap when the partition has moved its time backwards.)
    const cpt = BigInt(this.time.cyclesPerTick);
    const target = (now / cpt + (compare - mtime)) * cpt;
    return target > U64 ? null : target;
  }
}
