// Timer interrupts of a vCPU, kept in the core so that a timer firing never needs the host.
//
// Two deadlines per vCPU, as clock values (cycles): V_TIMER raises MTIP (the CLINT's mtimecmp,
// programmed by the host's CLINT device), V_STIMER raises STIP (the S-level timer: Sstc's
// stimecmp, which SBI set_timer also writes; below). All ones means "not armed". When the clock reaches a deadline the line is
// raised and the deadline disarmed; MTIP stays up until the guest rewrites mtimecmp (the CLINT
// then lowers it), STIP until the guest calls set_timer again. Deadlines are values of the
// global virtual clock; each partition's mtime is that clock seen through its own offset
// (counters.ts), which the host's CLINT and SBI set_timer take into account when they program them.

import { load32, store32, mul32, mulhu, udiv64Lo, udiv64Hi, atomicOr32 } from "../shim";
import {
  V_TIMER_LO, V_TIMER_HI, V_STIMER_LO, V_STIMER_HI, V_IRQ_LINES, V_MIP, SYS_CLOCK_LO, SYS_CLOCK_HI,
  SYS_CYCLES_PER_TICK, V_STIMECMP_LO, V_STIMECMP_HI, V_MENVCFGH, THREADED,
} from "../layout";
import { counterLo, counterHi, clockLo, clockHi, timeAtLo, timeAtHi } from "./counters";
import { mipUpdate } from "./threads";

const MIP_MTIP: i32 = 1 << 7;
const MIP_STIP: i32 = 1 << 5;
/** Longest wait reported (cycles): keeps every count within an i32. */
export const TIMER_FAR: i32 = 0x40000000;

/** Cycles from clock {hi,lo} to the deadline at addr, 0 if reached, TIMER_FAR if far or unarmed. */
function untilDeadline(addr: i32, hi: i32, lo: i32): i32 {
  const dlo = load32(addr);
  const dhi = load32(addr + 4);
  if (dhi == -1 && dlo == -1) return TIMER_FAR;
  if (u32(hi) > u32(dhi) || (hi == dhi && u32(lo) >= u32(dlo))) return 0;
  // Difference of two 64-bit values; only its low word matters when the high words are close.
  const borrow = u32(dlo) < u32(lo) ? 1 : 0;
  const diffHi = i32(dhi - hi - borrow);
  const diffLo = i32(dlo - lo);
  if (diffHi != 0 || diffLo < 0 || diffLo >= TIMER_FAR) return TIMER_FAR;
  return diffLo;
}

/**
 * Raise the lines of the deadlines that clock {hi,lo} has reached (and disarm them). Returns the
 * cycles until the next armed deadline (at least 1), or TIMER_FAR.
 */
export function timerCheck(vcpu: i32, hi: i32, lo: i32): i32 {
  let next = untilDeadline(vcpu + V_TIMER_LO, hi, lo);
  if (next == 0) {
    // (the threaded build: the host thread sets other lines of this word at the same time)
    if (THREADED) atomicOr32(vcpu + V_IRQ_LINES, MIP_MTIP);
    else store32(vcpu + V_IRQ_LINES, load32(vcpu + V_IRQ_LINES) | MIP_MTIP);
    store32(vcpu + V_TIMER_LO, -1);
    store32(vcpu + V_TIMER_HI, -1);
    next = TIMER_FAR;
  }
  let snext = untilDeadline(vcpu + V_STIMER_LO, hi, lo);
  if (snext == 0) {
    mipUpdate(vcpu, 0, MIP_STIP);
    store32(vcpu + V_STIMER_LO, -1);
    store32(vcpu + V_STIMER_HI, -1);
    snext = TIMER_FAR;
  }
  return snext < next ? snext : next;
}

/** timerCheck() at the committed clock plus `ahead` cycles (run() passes its slice position). */
export function timerCheckAt(vcpu: i32, ahead: i32): i32 {
  return timerCheck(vcpu, counterHi(SYS_CLOCK_LO, ahead), counterLo(SYS_CLOCK_LO, ahead));
}

/** Cycles from the committed clock until the vCPU's next armed deadline, or TIMER_FAR. */
export function timerNext(vcpu: i32): i32 {
  const hi = load32(SYS_CLOCK_HI);
  const lo = load32(SYS_CLOCK_LO);
  const a = untilDeadline(vcpu + V_TIMER_LO, hi, lo);
  const b = untilDeadline(vcpu + V_STIMER_LO, hi, lo);
  return a < b ? a : b;
}

/** Arm the STIP deadline at clock {hi,lo}; lowers STIP. */
function stimerSet(vcpu: i32, hi: i32, lo: i32): void {
  mipUpdate(vcpu, MIP_STIP, 0);
  store32(vcpu + V_STIMER_LO, lo);
  store32(vcpu + V_STIMER_HI, hi);
}

// ── The S-level timer: stimecmp (Sstc) and SBI set_timer ─────────────────────────────────────
// One compare value per vCPU, in its own mtime ticks (V_STIMECMP). With menvcfg.STCE set it
// drives STIP as Sstc says: STIP = (mtime >= stimecmp), read-only in mip; SBI set_timer (the
// firmware's timer, which the hypervisor is for supervisor-mode partitions) writes the same
// register. With STCE clear, stimecmp is only storage (M-mode may still read and write it) and
// STIP is M-mode software's, as without Sstc.

/** menvcfgh.STCE. */
export const MENVCFGH_STCE: i32 = i32(0x80000000);

/** Does stimecmp drive STIP for this vCPU (menvcfg.STCE)? */
export function sstcActive(vcpu: i32): bool {
  return (load32(vcpu + V_MENVCFGH) & MENVCFGH_STCE) != 0;
}

/**
 * Write the S-level timer's compare value {hi, lo} (ticks of the vCPU's mtime). `arm`: SBI
 * set_timer always arms it; a stimecmp write arms it when Sstc is active. Arming lowers STIP
 * and raises it again when mtime reaches the value (at once if it already has).
 */
export function stimecmpSet(vcpu: i32, hi: i32, lo: i32, arm: bool): void {
  store32(vcpu + V_STIMECMP_LO, lo);
  store32(vcpu + V_STIMECMP_HI, hi);
  if (arm || sstcActive(vcpu)) stimerArmTicks(vcpu, hi, lo);
}

/**
 * The vCPU's mtime moved (its partition wrote its CLINT's mtime), or STCE was set: with Sstc the
 * STIP level is recomputed from stimecmp; an SBI timer still armed falls due when the new mtime
 * reaches its compare value (one that has fired stays fired, as when firmware raised STIP).
 */
export function stimerRearm(vcpu: i32): void {
  const armed = load32(vcpu + V_STIMER_LO) != -1 || load32(vcpu + V_STIMER_HI) != -1;
  if (!armed && !sstcActive(vcpu)) return;
  stimerArmTicks(vcpu, load32(vcpu + V_STIMECMP_HI), load32(vcpu + V_STIMECMP_LO));
}

/**
 * Arm the STIP deadline at the clock value at which the vCPU's mtime reaches {hi,lo} ticks;
 * lowers STIP. From the current instruction on, mtime counts up from its current value m, so the
 * deadline is (clock / cycles-per-tick + ({hi,lo} - m)) × cycles-per-tick; at once if m already
 * reached it; never if that is beyond 2^64 cycles. (Working from the offset instead would wrap
 * when the partition has moved its mtime backwards.)
 */
function stimerArmTicks(vcpu: i32, hi: i32, lo: i32): void {
  const chi = clockHi();
  const clo = clockLo();
  const mlo = timeAtLo(vcpu, chi, clo);
  const mhi = timeAtHi(vcpu, chi, clo);
  if (u32(hi) < u32(mhi) || (hi == mhi && u32(lo) <= u32(mlo))) {
    stimerSet(vcpu, 0, 0); // reached: fires at once
    return;
  }
  // delta = {hi,lo} - m (> 0); q = clock / cycles-per-tick; target = (q + delta) × cpt.
  const dlo = i32(lo - mlo);
  const dhi = i32(hi - mhi - (u32(lo) < u32(mlo) ? 1 : 0));
  const cpt = load32(SYS_CYCLES_PER_TICK);
  const qlo = udiv64Lo(chi, clo, cpt);
  const qhi = udiv64Hi(chi, clo, cpt);
  const slo = i32(qlo + dlo);
  const carry = u32(slo) < u32(qlo) ? 1 : 0;
  const shi = i32(qhi + dhi + carry);
  if (u32(shi) < u32(qhi) || (carry != 0 && shi == qhi)) {
    stimerSet(vcpu, -1, -1); // beyond 2^64 ticks: never
    return;
  }
  const tlo = mul32(slo, cpt);
  const tcarry = mulhu(slo, cpt);
  const thigh = mulhu(shi, cpt);
  const thi = i32(mul32(shi, cpt) + tcarry);
  if (thigh != 0 || u32(thi) < u32(tcarry)) {
    stimerSet(vcpu, -1, -1); // beyond 2^64 cycles: never
    return;
  }
  stimerSet(vcpu, thi, tlo);
}

/** Sstc switched off: stimecmp no longer drives STIP (the level stays as it is, now M's). */
export function stimerDisarm(vcpu: i32): void {
  store32(vcpu + V_STIMER_LO, -1);
  store32(vcpu + V_STIMER_HI, -1);
}

