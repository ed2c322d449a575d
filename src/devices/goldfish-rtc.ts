// Goldfish real-time clock ("google,goldfish-rtc"), as on QEMU's virt board at 0x0010_1000 (PLIC
// source 11). Its time is nanoseconds since 1970-01-01T00:00:00Z, 64 bits. Registers (32-bit):
//
//   +0x00 TIME_LOW         read: the time's low word; latches its high word for TIME_HIGH
//                          write: sets the low word of the time (the high word stays)
//   +0x04 TIME_HIGH        read: the high word latched by the last read of TIME_LOW
//                          write: sets the high word of the time (the low word stays)
//   +0x08 ALARM_LOW        the alarm's low word; a write arms the alarm for ALARM_HIGH:ALARM_LOW
//   +0x0c ALARM_HIGH       the alarm's high word (a write does not arm)
//   +0x10 IRQ_ENABLED      bit 0: the alarm interrupt reaches the line
//   +0x14 CLEAR_ALARM      write: disarm the alarm
//   +0x18 ALARM_STATUS     1 while the alarm is armed and has not fired
//   +0x1c CLEAR_INTERRUPT  write: clear the interrupt the alarm raised
//
// An alarm fires when the time reaches it (at once if it already has): it disarms and raises
// the interrupt, which stays until CLEAR_INTERRUPT; the line is up while it is raised and
// enabled. (The register set is the one Linux's rtc-goldfish driver programs; the behaviour of
// each register is what QEMU's board shows.)
//
// Where the time comes from (RtcTimeSource): in deterministic runs, a fixed epoch plus the
// partition's own virtual time (its mtime, 10 MHz: 100 ns a tick), so a run gives the same dates
// every time; in wall-clock runs, the host's clock. A guest that writes the time moves its own
// RTC only (an offset kept here); the alarm is a deadline in virtual time (device-timer.ts),
// computed again whenever the time is moved (by a write here or of the partition's mtime).
// Accesses of other sizes read 0 and are ignored (QEMU raises an access fault for them).

import type { IrqLine, MmioDevice } from "./device.js";
import { DeviceTimer } from "./device-timer.js";
import { encode, type StateReader, type StateValue } from "../snapshot/state.js";

/** The default epoch of deterministic runs: 2026-01-01T00:00:00Z, in seconds since 1970. */
export const DEFAULT_RTC_EPOCH = 1_767_225_600;

/** The time an RTC starts from, and when (in clock cycles) it will reach a given time. */
export interface RtcTimeSource {
  /** Nanoseconds since 1970 now (before the guest's own changes). */
  nowNs(): bigint;
  /** The clock value at which nowNs() reaches `ns` (the current clock if it already has), or
   *  null if never. */
  clockAt(ns: bigint): bigint | null;
}

const TIME_LOW = 0x00;
const TIME_HIGH = 0x04;
const ALARM_LOW = 0x08;
const ALARM_HIGH = 0x0c;
const IRQ_ENABLED = 0x10;
const CLEAR_ALARM = 0x14;
const ALARM_STATUS = 0x18;
const CLEAR_INTERRUPT = 0x1c;
const U64 = (1n << 64n) - 1n;
const LOW = 0xffffffffn;

export class GoldfishRtc implements MmioDevice {
  readonly size = 0x1000;
  /** What the guest's writes added to the source's time (mod 2^64). */
  private offset = 0n;
  private latchedHigh = 0;
  /** ALARM_HIGH:ALARM_LOW as written. */
  private alarm = 0n;
  /** The armed alarm's time (the registers when ALARM_LOW was written), or null. */
  private armed: bigint | null = null;
  private irqEnabled = false;
  private irqPending = false;
  private irqLevel = false;
  private readonly timer: DeviceTimer;

  constructor(
    readonly name: string,
    private readonly source: RtcTimeSource,
    private readonly irq: IrqLine,
    makeTimer: (fire: () => void) => DeviceTimer = (fire) => new DeviceTimer(fire),
  ) {
    this.timer = makeTimer(() => this.check());
  }

  saveState(): StateValue {
    return {
      offset: encode.big(this.offset), latchedHigh: this.latchedHigh, alarm: encode.big(this.alarm),
      armed: encode.bigOrNull(this.armed), irqEnabled: this.irqEnabled, irqPending: this.irqPending,
      irqLevel: this.irqLevel, deadline: encode.bigOrNull(this.timer.deadline),
    };
  }

  loadState(r: StateReader): void {
    this.offset = r.big("offset");
    this.latchedHigh = r.int("latchedHigh", 0, 0xffff_ffff);
    this.alarm = r.big("alarm");
    this.armed = r.bigOrNull("armed");
    this.irqEnabled = r.bool("irqEnabled");
    this.irqPending = r.bool("irqPending");
    this.irqLevel = r.bool("irqLevel");
    this.timer.set(r.bigOrNull("deadline"));
  }

  /** The RTC's time now, in nanoseconds since 1970. */
  time(): bigint {
    return (this.source.nowNs() + this.offset) & U64;
  }

  read(offset: number, size: number): number {
    if (size !== 4) return 0;
    switch (offset) {
      case TIME_LOW: {
        const t = this.time();
        this.latchedHigh = Number(t >> 32n);
        return Number(t & LOW);
      }
      case TIME_HIGH: return this.latchedHigh;
      case ALARM_LOW: return Number(this.alarm & LOW);
      case ALARM_HIGH: return Number(this.alarm >> 32n);
      case IRQ_ENABLED: return this.irqEnabled ? 1 : 0;
      case ALARM_STATUS: return this.armed !== null ? 1 : 0;
      default: return 0;
    }
  }

  write(offset: number, size: number, value: number): void {
    if (size !== 4) return;
    const v = BigInt(value >>> 0);
    switch (offset) {
      case TIME_LOW:
      case TIME_HIGH: {
        const now = this.time();
        const next = offset === TIME_LOW ? (now & ~LOW) | v : (now & LOW) | (v << 32n);
        this.offset = (this.offset + next - now) & U64;
        this.timeChanged();
        return;
      }
      case ALARM_LOW:
        this.alarm = (this.alarm & ~LOW) | v;
        this.armed = this.alarm;
        this.check();
        return;
      case ALARM_HIGH:
        this.alarm = (this.alarm & LOW) | (v << 32n);
        return;
      case IRQ_ENABLED:
        this.irqEnabled = (value & 1) !== 0;
        break;
      case CLEAR_ALARM:
        this.armed = null;
        this.timer.set(null);
        return;
      case CLEAR_INTERRUPT:
        this.irqPending = false;
        break;
      default:
        return;
    }
    this.updateLine();
  }

  /** The time moved (a write here, or of the partition's mtime): the alarm's deadline follows. */
  timeChanged(): void {
    this.check();
  }

  /** Fire the alarm if its time has come; otherwise set the deadline at which it will. */
  private check(): void {
    if (this.armed === null) {
      this.timer.set(null);
      return;
    }
    if (this.time() >= this.armed) {
      this.armed = null;
      this.timer.set(null);
      this.irqPending = true;
      this.updateLine();
      return;
    }
    // The source's time at which the RTC shows the alarm time.
    this.timer.set(this.source.clockAt((this.armed - this.offset) & U64));
  }

  private updateLine(): void {
    const level = this.irqPending && this.irqEnabled;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq(level);
    }
  }
}

/**
 * The time source of deterministic runs: `epochSeconds` plus the partition's mtime (10 MHz
 * ticks of 100 ns). `mtime()` is the partition's mtime now; `clockWhenMtimeReaches(t)` the clock
 * at which it reaches t (src/machine/time.ts PartitionTime).
 */
export function virtualRtcSource(
  epochSeconds: number,
  time: { mtime(): bigint; clockWhenMtimeReaches(compare: bigint): bigint | null },
): RtcTimeSource {
  const epochNs = BigInt(epochSeconds) * 1_000_000_000n;
  return {
    nowNs: () => epochNs + time.mtime() * 100n,
    clockAt: (ns) => {
      const ticks = ns <= epochNs ? 0n : (ns - epochNs + 99n) / 100n;
      return time.clockWhenMtimeReaches(ticks);
    },
  };
}

/** The time source of wall-clock runs: the host's clock; a deadline is as far ahead in virtual
 *  time as the alarm is in real time (wall-clock runs keep the two together). */
export function hostRtcSource(clock: { now(): bigint; cyclesPerSecond(): number }): RtcTimeSource {
  const hostNs = () => BigInt(Date.now()) * 1_000_000n;
  return {
    nowNs: hostNs,
    clockAt: (ns) => {
      const ahead = ns - hostNs();
      const now = clock.now();
      if (ahead <= 0n) return now;
      return now + (ahead * BigInt(clock.cyclesPerSecond()) + 999_999_999n) / 1_000_000_000n;
    },
  };
}
