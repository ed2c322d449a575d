// Wall-clock pacing: keeps virtual time (src/machine/time.ts: cycles, advancing with retired
// instructions and jumping over idle time in WFI) from running ahead of real time, for
// interactive runs. Deterministic runs do not use it: there an idle guest's time jumps straight
// to its next deadline, so an interactive shell would see minutes pass in a second. One place
// for the rule, used by the hypervisor's run loop (src/api/hypervisor.ts) and by the bare
// machine's (`wasmvisor run-elf --wall-clock`, src/cli/main.ts).

/** At most this much virtual time (ms) passes between turns of the host's event loop, so
 *  input and output move promptly. */
export const WALL_CLOCK_STEP_MS = 5;
/** When the run has fallen further behind real time than this (ms) — a stall, a throttled tab,
 *  a core slower than the virtual hart — pacing starts afresh instead of racing to catch up. */
export const WALL_CLOCK_SLACK_MS = 250;

export class WallClockPacer {
  private startReal: number;
  private startClock: number;

  /** `clock` is the virtual clock now, in cycles; `cyclesPerSecond` its rate. */
  constructor(clock: number, private readonly cyclesPerSecond: number, private readonly now: () => number = () => performance.now()) {
    this.startReal = now();
    this.startClock = clock;
  }

  /** Cycles of virtual time to run between turns of the event loop (WALL_CLOCK_STEP_MS). */
  get step(): number {
    return Math.max(1, Math.round(this.cyclesPerSecond * WALL_CLOCK_STEP_MS / 1000));
  }

  /** How long (ms) to wait before running on, with the virtual clock at `clock`; 0 when the run
   *  is not ahead of real time (and it restarts pacing when it is far behind). */
  delay(clock: number): number {
    const ahead = (clock - this.startClock) / this.cyclesPerSecond * 1000 - (this.now() - this.startReal);
    if (ahead > 1) return ahead;
    if (ahead < -WALL_CLOCK_SLACK_MS) {
      this.startReal = this.now(); // far behind: follow real time from here on
      this.startClock = clock;
    }
    return 0;
  }
}
