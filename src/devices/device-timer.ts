// Virtual time for devices that act at a moment of it on their own: the UART's character
// timeout, the RTC's alarm. The core knows only the hart's own timers (assembly/kernel/timer.ts),
// so a device's deadline lives on the host: its board collects the deadlines of its devices
// (Board.deviceEvents) and the run loop (src/machine/machine.ts, src/api/hypervisor.ts) ends the
// core's slice exactly at the earliest one and fires it there. Since the core takes nothing at a
// slice's end and everything at the next slice's start at the same clock, a device interrupt
// raised at its deadline is taken exactly there, whatever else the host does: deterministic on
// both cores.

/** Virtual time as a device sees it. */
export interface DeviceClock {
  /** The clock (cycles) at the current instruction (during a device access: that access's). */
  now(): bigint;
  /** Clock cycles per second of virtual time (cyclesPerTick × the 10 MHz mtime timebase). */
  cyclesPerSecond(): number;
}

/** One deadline of one device: `fire` runs once the clock reaches it. */
export class DeviceTimer {
  private when: bigint | null = null;

  /** `changed` tells the board that the deadline moved (it may now come before the moment the
   *  run loop planned to look again). */
  constructor(private readonly fire: () => void, private readonly changed: (timer: DeviceTimer) => void = () => {}) {}

  /** The clock at which the timer fires, or null when it is not armed. */
  get deadline(): bigint | null {
    return this.when;
  }

  /** Arm the timer for clock value `clock` (null: disarm). */
  set(clock: bigint | null): void {
    if (clock === this.when) return;
    this.when = clock;
    this.changed(this);
  }

  /** Fire if the deadline has been reached at clock `now` (the timer disarms first: `fire` may
   *  arm it again). */
  poll(now: bigint): void {
    if (this.when === null || now < this.when) return;
    this.when = null;
    this.fire();
  }
}
