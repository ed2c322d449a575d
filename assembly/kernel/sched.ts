// The scheduler of the partitioned system, and its run loop hvRun().
//
// Time partitioning (ARINC 653): a major frame of SCHED_FRAME cycles repeats; its windows
// (layout.ts, SCHED_WINDOWS: start, length, mask of partitions) are the only times the
// partitions they list may run. Inside a window the highest-priority partition that is runnable
// (not halted, not waiting in WFI with nothing pending) and has budget runs (seL4 MCS: a budget
// of cycles per period, replenished at each period boundary counted from time 0; period 0 means
// no budget limit). Partitions of equal priority take turns, a quantum at a time; a partition
// alone at its priority in the window is not sliced by the quantum.
//
// Frames, periods and budgets are below 2^30 cycles (src/config validates that).
//
// A slice ends at the earliest of: the window's end, the running partition's budget, the
// quantum (when a live partition of equal priority shares the window), the moment a
// higher-priority partition of the window can run again (its timer deadline or its
// replenishment), and the caller's budget. Budgets are exact (cpu/exec.ts), so a
// partition that spins with interrupts disabled cannot delay another's window at all. When no
// partition of the window can run, the clock skips ahead to the next event, so runs are
// deterministic: time is the global virtual clock (retired instructions, traps and skipped idle
// time), the same for every partition.

import { load32, store32 } from "../shim";
import {
  SCHED_FRAME, SCHED_WINDOW_COUNT, SCHED_VCPU_COUNT, SCHED_QUANTUM, SCHED_WINDOWS,
  SCHED_WINDOW_ENTRY, SW_START, SW_LENGTH, SW_MASK, SCHED_BASE, SYS_CLOCK_LO, SYS_CLOCK_HI,
  SYS_RETIRED, SYS_TRAPS, SYS_EXIT_VCPU, SYS_CUR_VCPU, SYS_YIELDED, V_STATE, V_WFI, V_PRIORITY, V_BUDGET, V_PERIOD,
  V_BUDGET_LEFT, V_REPLENISH_LO, V_REPLENISH_HI, V_PASSIVE, VS_HALTED, EXIT_BUDGET, EXIT_WFI, V_ELSEWHERE,
  EXIT_ALL_HALTED, EXIT_IDLE, EXIT_STEP, V_DEBUG, DEBUG_STEP, TL_SCHEDULE, TL_IDLE, vcpuAddr,
} from "../layout";
import { run } from "../cpu/exec";
import { TIMER_FAR } from "./timer";
import { wfiWake } from "./trap";
import { counterAdd } from "./counters";
import { vcpuSwitch } from "./vcpu";
import { ipcRunner, ipcPassive, ipcServerHalted } from "./ipc";
import { timelineRecord } from "./timeline";
import { smpHarts, smpPick, smpTimerCheck, smpTimerNext, smpSliceLimit, smpCharge, smpEndTurn } from "./smp";

/** Clock value at which the current major frame started, and the last partition that ran. */
const SCHED_FRAME_START_LO: i32 = SCHED_BASE + 0x10;
const SCHED_FRAME_START_HI: i32 = SCHED_BASE + 0x14;
const SCHED_LAST: i32 = SCHED_BASE + 0x18;
/** The partition whose round-robin turn is in progress (-1: none) and the quantum it has left.
 *  A turn ends when its quantum is used up, not when a slice ends early for an IPC: a call or a
 *  reply switches what runs on the partition's time but not whose turn it is, so the slow path
 *  (which returns here) and the fast path (which does not) schedule the same way. */
const SCHED_TURN: i32 = SCHED_BASE + 0x1c;
const SCHED_TURN_LEFT: i32 = SCHED_BASE + 0x20;

/** Cycles from the clock to {hi, lo}: negative when past; clamped to ±TIMER_FAR. */
function untilClock(hi: i32, lo: i32): i32 {
  const nlo = load32(SYS_CLOCK_LO);
  const nhi = load32(SYS_CLOCK_HI);
  const dlo = i32(lo - nlo);
  const dhi = i32(hi - nhi - (u32(lo) < u32(nlo) ? 1 : 0));
  if (dhi == 0 && dlo >= 0) return dlo < TIMER_FAR ? dlo : TIMER_FAR;
  if (dhi == -1 && dlo < 0) return dlo > -TIMER_FAR ? dlo : -TIMER_FAR;
  return dhi < 0 ? -TIMER_FAR : TIMER_FAR;
}

function add64(addr: i32, delta: i32): void {
  counterAdd(addr, delta);
}

/** Start the schedule at the current clock: a new frame, every budget full. */
export function schedReset(): void {
  store32(SCHED_FRAME_START_LO, load32(SYS_CLOCK_LO));
  store32(SCHED_FRAME_START_HI, load32(SYS_CLOCK_HI));
  store32(SCHED_LAST, -1);
  store32(SCHED_TURN, -1);
  store32(SCHED_TURN_LEFT, 0);
  const count = load32(SCHED_VCPU_COUNT);
  for (let v = 0; v < count; v++) {
    const vcpu = vcpuAddr(v);
    store32(vcpu + V_BUDGET_LEFT, load32(vcpu + V_BUDGET));
    store32(vcpu + V_REPLENISH_LO, load32(SYS_CLOCK_LO));
    store32(vcpu + V_REPLENISH_HI, load32(SYS_CLOCK_HI));
    add64(vcpu + V_REPLENISH_LO, load32(vcpu + V_PERIOD));
  }
}

/** Skip `cycles` of idle time. */
function idle(cycles: i32): void {
  timelineRecord(-1, 0, TL_IDLE);
  add64(SYS_CLOCK_LO, cycles);
}

/** Refill a partition's budget for every period boundary that has passed; cycles to the next. */
function replenish(vcpu: i32): i32 {
  const period = load32(vcpu + V_PERIOD);
  if (period <= 0) return TIMER_FAR;
  let d = untilClock(load32(vcpu + V_REPLENISH_HI), load32(vcpu + V_REPLENISH_LO));
  if (d <= 0) {
    store32(vcpu + V_BUDGET_LEFT, load32(vcpu + V_BUDGET));
    // Catch up over whole periods (after long idle skips or a halted stretch).
    const behind = -d;
    const periods = i32(behind / period) + 1;
    add64(vcpu + V_REPLENISH_LO, i32(periods * period));
    d = untilClock(load32(vcpu + V_REPLENISH_HI), load32(vcpu + V_REPLENISH_LO));
  }
  return d;
}

function hasBudget(vcpu: i32): bool {
  return load32(vcpu + V_PERIOD) <= 0 || load32(vcpu + V_BUDGET_LEFT) > 0;
}

/**
 * Run the partitioned system for up to `budget` cycles of virtual time (instructions, traps and
 * idle time). Returns EXIT_BUDGET, EXIT_ALL_HALTED, EXIT_IDLE (every live partition waits for an
 * interrupt no timer will raise: only the host's devices can wake one), or the exit of the
 * partition named in SYS_EXIT_VCPU (EXIT_HOST, EXIT_WATCH, EXIT_HALT).
 */
export function hvRun(budget: i32): i32 {
  const count = load32(SCHED_VCPU_COUNT);
  const frame = load32(SCHED_FRAME);
  const windows = load32(SCHED_WINDOW_COUNT);
  if (frame <= 0 || windows <= 0) return EXIT_IDLE; // no schedule: nothing may run
  let spent = 0;
  while (true) {
    if (spent >= budget) return EXIT_BUDGET;

    // ── Where are we in the major frame? ─────────────────────────────────────────────────
    let pos = -untilClock(load32(SCHED_FRAME_START_HI), load32(SCHED_FRAME_START_LO));
    if (pos >= frame) {
      const frames = i32(pos / frame);
      add64(SCHED_FRAME_START_LO, i32(frames * frame));
      pos = i32(pos - frames * frame);
    }
    let w = 0;
    while (w < windows) {
      const e = SCHED_WINDOWS + w * SCHED_WINDOW_ENTRY;
      if (i32(load32(e + SW_START) + load32(e + SW_LENGTH)) > pos) break;
      w++;
    }
    let mask = 0;
    let untilWindowEnd = i32(frame - pos); // a gap up to the frame's end
    if (w < windows) {
      const e = SCHED_WINDOWS + w * SCHED_WINDOW_ENTRY;
      const start = load32(e + SW_START);
      if (start > pos) {
        untilWindowEnd = i32(start - pos); // a gap before this window
      } else {
        mask = load32(e + SW_MASK);
        untilWindowEnd = i32(start + load32(e + SW_LENGTH) - pos);
      }
    }

    // ── Bring every partition up to date; pick the one to run ──────────────────────────
    // Candidates are scheduling contexts: a partition's own time. What runs on it is the
    // partition, or the passive server serving its call (ipcRunner: seL4 MCS donation), at the
    // higher of the two priorities. A passive partition that has finished its initialisation has
    // no time of its own; before that, it runs in the background of whatever window is current:
    // below every partition of the window (priority -1), so it only ever takes time nobody else
    // there wants — a passive partition that never waits for a call cannot take a window.
    let best = -1;
    let bestRunner = -1;
    let bestPriority = 0;
    let alive = 0;
    let wakeable = 0;
    const last = load32(SCHED_LAST);
    const turn = load32(SCHED_TURN);
    for (let v = 0; v < count; v++) {
      const vcpu = vcpuAddr(v);
      if (load32(vcpu + V_ELSEWHERE) != 0) continue; // (its harts run on threads of their own)
      if (load32(vcpu + V_STATE) == VS_HALTED) {
        ipcServerHalted(v);
        continue;
      }
      const untilTimer = smpTimerCheck(v, load32(SYS_CLOCK_HI), load32(SYS_CLOCK_LO));
      if (ipcPassive(v)) continue;
      alive++;
      const runner = ipcRunner(v);
      const runnerAddr = vcpuAddr(runner < 0 ? v : runner);
      // (An SMP partition running on its own time: one of its harts runs, kernel/smp.ts.)
      const runnable = runner >= 0 && (runner == v && smpHarts(v) > 1 ? smpPick(v) >= 0
        : load32(runnerAddr + V_WFI) == 0 || wfiWake(runnerAddr));
      if (runnable || untilTimer < TIMER_FAR) wakeable++;
      const passiveStarting = load32(vcpu + V_PASSIVE) != 0;
      if ((mask & (1 << v)) == 0 && !passiveStarting) continue;
      const untilRefill = replenish(vcpu);
      if (runnable && hasBudget(vcpu)) {
        let priority = load32(vcpu + V_PRIORITY);
        if (load32(runnerAddr + V_PRIORITY) > priority) priority = load32(runnerAddr + V_PRIORITY);
        if (passiveStarting) priority = -1;
        // Highest priority wins; among equals the one whose turn it is, else the first after
        // the last one to run (round robin).
        const better = best < 0 || priority > bestPriority ||
          (priority == bestPriority && best != turn && (v == turn || (best <= last && v > last)));
        if (better) {
          best = v;
          bestRunner = runner;
          bestPriority = priority;
        }
      } else {
        // It may become runnable: at its replenishment, or when its timer fires.
        const when = !hasBudget(vcpu) ? untilRefill : untilTimer;
        if (when < untilWindowEnd) untilWindowEnd = when > 0 ? when : 1;
      }
    }
    if (alive == 0) return EXIT_ALL_HALTED;
    if (wakeable == 0) return EXIT_IDLE;
    const remaining = i32(budget - spent);

    if (best < 0) {
      // Nothing can run in this window now: skip to the next event.
      const skip = untilWindowEnd < remaining ? untilWindowEnd : remaining;
      idle(skip > 0 ? skip : 1);
      spent = i32(spent + (skip > 0 ? skip : 1));
      continue;
    }

    // ── Run it for one slice ─────────────────────────────────────────────────────────────
    let slice = untilWindowEnd < remaining ? untilWindowEnd : remaining;
    const bestVcpu = vcpuAddr(best);
    if (load32(bestVcpu + V_PERIOD) > 0) {
      const left = load32(bestVcpu + V_BUDGET_LEFT);
      if (left < slice) slice = left;
    }
    // A higher-priority partition of this window that waits or has no budget may preempt; a
    // live one of equal priority gets its turn after a quantum. (Alone at its priority, the
    // partition runs on to the window's end: slicing it would only cost time.)
    let peers = false;
    for (let v = 0; v < count; v++) {
      if ((mask & (1 << v)) == 0 || v == best) continue;
      const vcpu = vcpuAddr(v);
      if (load32(vcpu + V_STATE) == VS_HALTED) continue;
      const priority = load32(vcpu + V_PRIORITY);
      if (priority == bestPriority) peers = true;
      if (priority <= bestPriority) continue;
      let when = smpTimerNext(v);
      if (!hasBudget(vcpu)) when = replenish(vcpu);
      if (when < slice) slice = when > 0 ? when : 1;
    }
    const quantum = load32(SCHED_QUANTUM);
    // The turn's quantum: what is left of it if this partition's turn goes on, else a new one.
    if (best != turn) {
      store32(SCHED_TURN, best);
      store32(SCHED_TURN_LEFT, quantum);
    }
    const turnLeft = load32(SCHED_TURN_LEFT);
    if (peers && quantum > 0 && turnLeft < slice) slice = turnLeft > 0 ? turnLeft : 1;
    // An SMP partition on its own time: the hart whose turn it is, for the rest of its turn.
    const smp = bestRunner == best && smpHarts(best) > 1;
    if (smp) {
      bestRunner = smpPick(best);
      const limit = smpSliceLimit(best);
      if (limit < slice) slice = limit;
    }
    // A debugger's single step: this vCPU does one unit of work, then hvRun returns.
    const runnerAddr = vcpuAddr(bestRunner);
    const stepping = (load32(runnerAddr + V_DEBUG) & DEBUG_STEP) != 0;
    if (stepping) slice = 1;
    timelineRecord(bestRunner, 0, TL_SCHEDULE);
    vcpuSwitch(bestRunner);
    store32(SCHED_LAST, best);
    const reason = run(slice);
    const consumed = i32(load32(SYS_RETIRED) + load32(SYS_TRAPS));
    spent = i32(spent + consumed);
    if (smp) {
      smpCharge(best, consumed);
      if (load32(SYS_YIELDED) != 0) smpEndTurn(best);
    }
    const left = i32(load32(SCHED_TURN_LEFT) - consumed);
    store32(SCHED_TURN_LEFT, left);
    if ((peers && quantum > 0 && left <= 0) || load32(SYS_YIELDED) != 0) store32(SCHED_TURN, -1); // the turn is over
    store32(SYS_YIELDED, 0);
    if (load32(bestVcpu + V_PERIOD) > 0) {
      store32(bestVcpu + V_BUDGET_LEFT, i32(load32(bestVcpu + V_BUDGET_LEFT) - consumed));
    }
    if (stepping && consumed > 0 && reason == EXIT_BUDGET) {
      store32(runnerAddr + V_DEBUG, load32(runnerAddr + V_DEBUG) & ~DEBUG_STEP);
      store32(SYS_EXIT_VCPU, bestRunner);
      return EXIT_STEP;
    }
    if (reason != EXIT_BUDGET && reason != EXIT_WFI) {
      // The vCPU that ran when the slice ended (the runner, or whom the IPC fast path switched to).
      store32(SYS_EXIT_VCPU, load32(SYS_CUR_VCPU));
      return reason;
    }
  }
  return EXIT_BUDGET; // (not reached)
}
