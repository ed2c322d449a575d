// CLINT (SiFive core-local interruptor, the ACLINT MSWI + MTIMER pair) for a partition's harts,
// at the QEMU virt layout: hart i's msip at +0x0 + 4i, its mtimecmp at +0x4000 + 8i, the one
// mtime at +0xbff8. mtime is this
// partition's own 10 MHz view of the virtual clock (src/machine/time.ts, PartitionTime): a write
// to mtime moves this partition's time only; MTIP = mtime >= mtimecmp, MSIP = msip bit 0.
// The core raises MTIP itself when the clock reaches the deadline this device programs
// (assembly/kernel/timer.ts), so a timer interrupt never needs the host; the device lowers MTIP
// when the guest moves mtimecmp (or mtime) past the current time.

import type { MmioDevice } from "./device.js";
import type { PartitionTime } from "../machine/time.js";
import { encode, SnapshotError, type StateReader, type StateValue } from "../snapshot/state.js";

export interface ClintLines {
  /** Drive the machine software interrupt (mip.MSIP) or timer interrupt (mip.MTIP) line. */
  setMsip(level: boolean): void;
  setMtip(level: boolean): void;
  /** Program the clock value at which the core raises MTIP (null: never). */
  setDeadline(clock: bigint | null): void;
  /** The guest wrote mtime: what else follows the partition's time (its RTC) must follow. */
  timeChanged?(): void;
}

const MSIP = 0x0000;
const MTIMECMP = 0x4000;
const MTIME = 0xbff8;
const ALL_ONES = (1n << 64n) - 1n;

export class Clint implements MmioDevice {
  readonly size = 0x10000;
  private readonly msip: number[];
  /** Reset value: all ones, so no timer interrupt until software programs it. */
  private readonly mtimecmp: bigint[];

  /** `lines[i]` are hart i's lines (one entry: a single-hart partition). */
  constructor(readonly name: string, private readonly time: PartitionTime, private readonly lines: readonly ClintLines[]) {
    this.msip = lines.map(() => 0);
    this.mtimecmp = lines.map(() => ALL_ONES);
  }

  private get harts(): number {
    return this.lines.length;
  }

  read(offset: number, _size: number): number {
    if (offset < MSIP + 4 * this.harts && (offset & 3) === 0) return this.msip[offset >> 2];
    if (offset >= MTIMECMP && offset < MTIMECMP + 8 * this.harts) {
      const cmp = this.mtimecmp[(offset - MTIMECMP) >> 3];
      switch (offset & 7) {
        case 0: return Number(cmp & 0xffffffffn);
        case 4: return Number(cmp >> 32n);
      }
      return 0;
    }
    switch (offset) {
      case MTIME: return Number(this.time.mtime() & 0xffffffffn);
      case MTIME + 4: return Number(this.time.mtime() >> 32n);
      default: return 0;
    }
  }

  write(offset: number, _size: number, value: number): void {
    const v = BigInt(value >>> 0);
    if (offset < MSIP + 4 * this.harts && (offset & 3) === 0) {
      const hart = offset >> 2;
      this.msip[hart] = value & 1;
      this.lines[hart].setMsip(this.msip[hart] !== 0);
      return;
    }
    if (offset >= MTIMECMP && offset < MTIMECMP + 8 * this.harts && (offset & 3) === 0) {
      const hart = (offset - MTIMECMP) >> 3;
      const cmp = this.mtimecmp[hart];
      this.mtimecmp[hart] = (offset & 4) === 0 ? (cmp & ~0xffffffffn) | v : (cmp & 0xffffffffn) | (v << 32n);
      this.updateHart(hart);
      return;
    }
    switch (offset) {
      case MTIME:
        this.time.setMtime((this.time.mtime() & ~0xffffffffn) | v);
        break;
      case MTIME + 4:
        this.time.setMtime((this.time.mtime() & 0xffffffffn) | (v << 32n));
        break;
      default:
        return;
    }
    this.lines[0].timeChanged?.();
    this.update();
  }

  /** One hart: {msip, mtimecmp} as before SMP; several: {harts: [{msip, mtimecmp}, …]}. */
  saveState(): StateValue {
    if (this.harts === 1) return { msip: this.msip[0], mtimecmp: encode.big(this.mtimecmp[0]) };
    return { harts: this.msip.map((m, i) => ({ msip: m, mtimecmp: encode.big(this.mtimecmp[i]) })) };
  }

  /** (The lines and the core's deadlines are in the core's memory, restored with it.) */
  loadState(r: StateReader): void {
    const harts = this.harts === 1 ? [r] : r.list("harts", this.harts);
    if (harts.length !== this.harts) throw new SnapshotError(`snapshot: ${r.path}.harts must list ${this.harts} harts`);
    harts.forEach((h, i) => {
      this.msip[i] = h.int("msip", 0, 1);
      this.mtimecmp[i] = h.big("mtimecmp");
    });
  }

  /** Re-evaluate every hart's MTIP against the current time and program the core's deadlines. */
  update(): void {
    for (let i = 0; i < this.harts; i++) this.updateHart(i);
  }

  private updateHart(hart: number): void {
    const lines = this.lines[hart];
    const cmp = this.mtimecmp[hart];
    if (this.time.mtime() >= cmp) {
      lines.setMtip(true);
      lines.setDeadline(null);
    } else {
      lines.setMtip(false);
      lines.setDeadline(this.time.clockWhenMtimeReaches(cmp));
    }
  }
}
