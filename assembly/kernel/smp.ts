// SMP partitions: several harts of one partition interleaved on one host thread, deterministically.
//
// A partition's harts are vCPUs sharing its physical map (layout.ts, V_LEADER...): hart 0 is the
// partition's own vCPU, the others follow the partitions' vCPUs. The scheduler (kernel/sched.ts)
// and the bare machine (src/machine/machine.ts) schedule the partition as one scheduling context
// (its window, priority and budget are hart 0's); which hart runs on it is decided here: the
// runnable harts take turns of SMP_QUANTUM cycles of virtual time, round robin in hart order. A
// hart that waits in WFI with nothing pending, is stopped (SBI HSM) or halted is skipped, and a
// hart that starts waiting ends its turn at once. Every hart's mtime is its partition's clock, so
// while two harts are busy each advances at half the clock's rate: the partition's virtual time
// (and its budget) is consumed by the sum of what its harts retire.
//
// LR/SC: only one hart runs at a time, and a world switch drops the outgoing hart's reservation
// (kernel/vcpu.ts), so another hart's store can never land between a hart's LR and its SC
// without breaking the reservation; AMOs are atomic for the same reason.
//
// A single-hart partition (V_HART_COUNT <= 1) takes none of these paths: it schedules exactly as
// before SMP existed.

import { load32, store32 } from "../shim";
import {
  V_LEADER, V_HART_COUNT, V_HART_FIRST, V_HART_TURN, V_HART_LEFT, V_STATE, V_WFI, VS_RUNNABLE,
  SMP_QUANTUM, vcpuAddr,
} from "../layout";
import { wfiWake } from "./trap";
import { timerCheck, timerNext, TIMER_FAR } from "./timer";

/** Number of harts of the partition whose hart 0 is vCPU `leader` (at least 1). */
export function smpHarts(leader: i32): i32 {
  const n = load32(vcpuAddr(leader) + V_HART_COUNT);
  return n > 1 ? n : 1;
}

/** vCPU index of hart `hart` of the partition whose hart 0 is vCPU `leader`. */
export function smpHartVcpu(leader: i32, hart: i32): i32 {
  return hart == 0 ? leader : i32(load32(vcpuAddr(leader) + V_HART_FIRST) + hart - 1);
}

/** The vCPU index of hart 0 of vCPU `index`'s partition. */
export function smpLeader(index: i32): i32 {
  return load32(vcpuAddr(index) + V_LEADER);
}

/** Make vCPU `index` hart `hart` of the partition whose hart 0 is `leader` (after its reset). */
export function smpJoin(leader: i32, hart: i32, index: i32): void {
  store32(vcpuAddr(index) + V_LEADER, leader);
  if (hart == 0) {
    store32(vcpuAddr(leader) + V_HART_COUNT, 1);
    store32(vcpuAddr(leader) + V_HART_FIRST, leader);
    store32(vcpuAddr(leader) + V_HART_TURN, 0);
    store32(vcpuAddr(leader) + V_HART_LEFT, 0);
  } else {
    if (hart == 1) store32(vcpuAddr(leader) + V_HART_FIRST, index);
    store32(vcpuAddr(leader) + V_HART_COUNT, i32(hart + 1));
    store32(vcpuAddr(leader) + V_HART_TURN, hart); // (so the first turn is hart 0's)
  }
}

/** May hart `vcpu` (an address) run now? Started, not halted, and not waiting in WFI. */
function hartRunnable(vcpu: i32): bool {
  return load32(vcpu + V_STATE) == VS_RUNNABLE && (load32(vcpu + V_WFI) == 0 || wfiWake(vcpu));
}

/**
 * Raise the timer lines of every hart of the partition (hart 0 `leader`) whose deadlines clock
 * {hi, lo} has reached; cycles until the next armed deadline of any of them, or TIMER_FAR.
 */
export function smpTimerCheck(leader: i32, hi: i32, lo: i32): i32 {
  const n = smpHarts(leader);
  let next = timerCheck(vcpuAddr(leader), hi, lo);
  for (let h = 1; h < n; h++) {
    const t = timerCheck(vcpuAddr(smpHartVcpu(leader, h)), hi, lo);
    if (t < next) next = t;
  }
  return next;
}

/** Cycles from the committed clock to the next timer deadline of any hart of the partition. */
export function smpTimerNext(leader: i32): i32 {
  const n = smpHarts(leader);
  let next = timerNext(vcpuAddr(leader));
  for (let h = 1; h < n; h++) {
    const t = timerNext(vcpuAddr(smpHartVcpu(leader, h)));
    if (t < next) next = t;
  }
  return next;
}

/**
 * The hart of the partition (hart 0 `leader`) that runs next, as a vCPU index, or -1 if none
 * can run. The hart whose turn it is goes on while it is runnable and has quantum left; else the
 * turn passes to the next runnable hart in order, with a full quantum. (One hart: itself.)
 */
export function smpPick(leader: i32): i32 {
  const n = smpHarts(leader);
  const l = vcpuAddr(leader);
  if (n == 1) return hartRunnable(l) ? leader : -1;
  const turn = load32(l + V_HART_TURN);
  if (load32(l + V_HART_LEFT) > 0 && hartRunnable(vcpuAddr(smpHartVcpu(leader, turn)))) {
    return smpHartVcpu(leader, turn);
  }
  for (let k = 1; k <= n; k++) {
    let h = i32(turn + k);
    if (h >= n) h = i32(h - n);
    const v = smpHartVcpu(leader, h);
    if (hartRunnable(vcpuAddr(v))) {
      store32(l + V_HART_TURN, h);
      store32(l + V_HART_LEFT, SMP_QUANTUM);
      return v;
    }
  }
  return -1;
}

/** Longest slice the hart smpPick() chose may run: the rest of its turn (TIMER_FAR alone). */
export function smpSliceLimit(leader: i32): i32 {
  if (smpHarts(leader) == 1) return TIMER_FAR;
  const left = load32(vcpuAddr(leader) + V_HART_LEFT);
  return left > 0 ? left : 1;
}

/** The hart that ran used `cycles` of its turn. */
export function smpCharge(leader: i32, cycles: i32): void {
  if (smpHarts(leader) == 1) return;
  const l = vcpuAddr(leader);
  store32(l + V_HART_LEFT, i32(load32(l + V_HART_LEFT) - cycles));
}

/** The running hart gave up its turn (the yield hypercall): the next runnable hart goes on. */
export function smpEndTurn(leader: i32): void {
  if (smpHarts(leader) > 1) store32(vcpuAddr(leader) + V_HART_LEFT, 0);
}
