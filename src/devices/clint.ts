// CLINT (SiFive core-local interruptor, the ACLINT MSWI + MTIMER pair) for one hart, at the
// QEMU virt layout: msip at +0x0, mtimecmp at +0x4000, mtime at +0xbff8. mtime is this
// partition's own 10 MHz view of the virtual clock (src/machine/time.ts, PartitionTime): a write
// to mtime moves this partition's time only; MTIP = mtime >= mtimecmp, MSIP = msip bit 0.
// The core raises MTIP itself when the clock reaches the deadline this device programs
// (assembly/kernel/timer.ts), so a timer interrupt never needs the host; the device lowers MTIP
// when the guest moves mtimecmp (or mtime) past the current time.

import type { MmioDevice } from "./device.js";
import type { PartitionTime } from "../machine/time.js";
import { encode, type StateReader, type StateValue } from "../snapshot/state.js";

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
  private msip = 0;
  /** Reset value: all ones, so no timer interrupt until software programs it. */
  private mtimecmp = ALL_ONES;

  constructor(readonly name: string, private readonly time: PartitionTime, private readonly lines: ClintLines) {}

  read(offset: number, _size: number): number {
    switch (offset) {
      case MSIP: return this.msip;
      case MTIMECMP: return Number(this.mtimecmp & 0xffffffffn);
      case MTIMECMP + 4: return Number(this.mtimecmp >> 32n);
      case MTIME: return Number(this.time.mtime() & 0xffffffffn);
      case MTIME + 4: return Number(this.time.mtime() >> 32n);
      default: return 0;
    }
  }

  write(offset: number, _size: number, value: number): void {
    const v = BigInt(value >>> 0);
    switch (offset) {
      case MSIP:
        this.msip = value & 1;
        this.lines.setMsip(this.msip !== 0);
        return;
      case MTIMECMP:
        this.mtimecmp = (this.mtimecmp & ~0xffffffffn) | v;
        break;
      case MTIMECMP + 4:
        this.mtimecmp = (this.mtimecmp & 0xffffffffn) | (v << 32n);
        break;
      case MTIME:
        this.time.setMtime((this.time.mtime() & ~0xffffffffn) | v);
        this.lines.timeChanged?.();
        break;
      case MTIME + 4:
        this.time.setMtime((this.time.mtime() & 0xffffffffn) | (v << 32n));
        this.lines.timeChanged?.();
        break;
      default:
        return;
    }
    this.update();
  }

  saveState(): StateValue {
    return { msip: this.msip, mtimecmp: encode.big(this.mtimecmp) };
  }

  /** (The lines and the core's deadline are in the core's memory, restored with it.) */
  loadState(r: StateReader): void {
    this.msip = r.int("msip", 0, 1);
    this.mtimecmp = r.big("mtimecmp");
  }

  /** Re-evaluate MTIP against the current time and program the core's deadline. */
  update(): void {
    if (this.time.mtime() >= this.mtimecmp) {
      this.lines.setMtip(true);
      this.lines.setDeadline(null);
    } else {
      this.lines.setMtip(false);
      this.lines.setDeadline(this.time.clockWhenMtimeReaches(this.mtimecmp));
    }
  }
}
