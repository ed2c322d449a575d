// The schedule timeline: every change of what runs, at its exact virtual time, in a ring in
// linear memory (layout.ts, TIMELINE_BASE) that the host drains after hvRun() returns.
//
// Three places change what runs: the scheduler's slices (kernel/sched.ts, before the world
// switch), its idle skips, and the IPC fast path, which switches vCPUs inside run()
// (cpu/exec.ts). Each calls timelineRecord() with the clock's lead over SYS_CLOCK: run()
// commits the instructions of a slice only when it returns, so in the middle of a slice the
// clock is SYS_CLOCK plus what the slice has retired (traps are charged to SYS_CLOCK at once).
//
// A record costs one compare when nothing changed (a new slice of the same vCPU) and six stores
// when something did. The ring overwrites its oldest entries; SYS_TL_COUNT tells the host how
// many it missed. With back-pressure on (SYS_TL_STALL), the core asks the host to drain it before
// it fills (HOSTREQ_TIMELINE: run() returns EXIT_TIMELINE at its next block boundary, a point
// where the host may split a run without changing anything the guests see).

import { load32, store32 } from "../shim";
import {
  SYS_CLOCK_LO, SYS_CLOCK_HI, SYS_TL_COUNT, SYS_TL_READ, SYS_TL_STALL, SYS_TL_RUNNING, SYS_HOST_REQ,
  HOSTREQ_TIMELINE, TIMELINE_BASE, TIMELINE_ENTRIES, TIMELINE_ENTRY, TIMELINE_SLACK, TL_CLOCK_LO, TL_CLOCK_HI,
  TL_VCPU, TL_REASON,
} from "../layout";

/**
 * vCPU `runner` (-1: none) runs from the clock + `ahead` cycles on, for `reason` (TL_*). Nothing is
 * recorded if the latest entry already says so.
 */
export function timelineRecord(runner: i32, ahead: i32, reason: i32): void {
  const running = i32(runner + 2);
  if (load32(SYS_TL_RUNNING) == running) return;
  store32(SYS_TL_RUNNING, running);
  const count = load32(SYS_TL_COUNT);
  const e = TIMELINE_BASE + (count & (TIMELINE_ENTRIES - 1)) * TIMELINE_ENTRY;
  const lo = load32(SYS_CLOCK_LO);
  const at = i32(lo + ahead);
  store32(e + TL_CLOCK_LO, at);
  store32(e + TL_CLOCK_HI, i32(load32(SYS_CLOCK_HI) + (u32(at) < u32(lo) ? 1 : 0)));
  store32(e + TL_VCPU, runner);
  store32(e + TL_REASON, reason);
  store32(SYS_TL_COUNT, i32(count + 1));
  if (load32(SYS_TL_STALL) != 0 && i32(count + 1 - load32(SYS_TL_READ)) >= TIMELINE_ENTRIES - TIMELINE_SLACK) {
    store32(SYS_HOST_REQ, load32(SYS_HOST_REQ) | HOSTREQ_TIMELINE);
  }
}
