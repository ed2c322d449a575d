// 64-bit counters without 64-bit arithmetic, exact in the middle of a run() slice.
//
// The interpreter counts retired instructions in a local and commits them when run() returns.
// A stored counter S therefore means: value = S + (counting ? k : 0), k = instructions retired
// in the current slice before the current one. The interpreter publishes k in `sliceRetired`
// before it calls into the kernel (CSR instructions, MMIO), so counter reads and the time a
// device sees are exact to the instruction, on both cores.

import { load32, store32, udiv64Lo, udiv64Hi } from "../shim";
import {
  SYS_CLOCK_LO, SYS_CYCLES_PER_TICK, V_TIME_OFFSET_LO, V_TIME_OFFSET_HI, V_MCOUNTINHIBIT,
  V_MCYCLE_LO,
} from "../layout";

/** Instructions retired in the current slice before the instruction being executed. */
export let sliceRetired: i32 = 0;

export function setSliceRetired(k: i32): void {
  sliceRetired = k;
}

/** sliceRetired when the current vCPU took over the slice (the IPC fast path switches vCPUs
 *  inside a slice): a vCPU's own counters advance by sliceRetired - sliceBase. */
export let sliceBase: i32 = 0;

export function setSliceBase(k: i32): void {
  sliceBase = k;
}

/** Low word of the 64-bit counter at addr, advanced by `delta`. */
export function counterLo(addr: i32, delta: i32): i32 {
  return i32(load32(addr) + delta);
}

/** High word of the 64-bit counter at addr, advanced by `delta` (carry included). */
export function counterHi(addr: i32, delta: i32): i32 {
  const lo = load32(addr);
  const sum = i32(lo + delta);
  return i32(load32(addr + 4) + (u32(sum) < u32(lo) ? 1 : 0));
}

/** counter += delta (delta ≥ 0). */
export function counterAdd(addr: i32, delta: i32): void {
  const lo = load32(addr);
  const sum = i32(lo + delta);
  store32(addr, sum);
  if (u32(sum) < u32(lo)) store32(addr + 4, i32(load32(addr + 4) + 1));
}

/** counter -= delta (delta ≥ 0). */
export function counterSub(addr: i32, delta: i32): void {
  const lo = load32(addr);
  store32(addr, i32(lo - delta));
  if (u32(lo) < u32(delta)) store32(addr + 4, i32(load32(addr + 4) - 1));
}

/**
 * A trap takes one cycle: the clock and mcycle advance at once (instret does not), so time
 * moves on even for a guest that does nothing but trap.
 */
export function chargeTrap(vcpu: i32): void {
  counterAdd(SYS_CLOCK_LO, 1);
  if ((load32(vcpu + V_MCOUNTINHIBIT) & 1) == 0) counterAdd(vcpu + V_MCYCLE_LO, 1);
}

/** The virtual clock, in cycles, at the current instruction. */
export function clockLo(): i32 {
  return counterLo(SYS_CLOCK_LO, sliceRetired);
}
export function clockHi(): i32 {
  return counterHi(SYS_CLOCK_LO, sliceRetired);
}

/**
 * vCPU `vcpu`'s mtime at virtual clock {hi, lo}: clock / cycles-per-tick + the vCPU's own time
 * offset (10 MHz timebase). Time is per partition: a guest that writes its CLINT's mtime moves
 * only its own offset.
 */
export function timeAtLo(vcpu: i32, hi: i32, lo: i32): i32 {
  return i32(udiv64Lo(hi, lo, load32(SYS_CYCLES_PER_TICK)) + load32(vcpu + V_TIME_OFFSET_LO));
}
export function timeAtHi(vcpu: i32, hi: i32, lo: i32): i32 {
  const cpt = load32(SYS_CYCLES_PER_TICK);
  const qlo = udiv64Lo(hi, lo, cpt);
  const sum = i32(qlo + load32(vcpu + V_TIME_OFFSET_LO));
  return i32(udiv64Hi(hi, lo, cpt) + load32(vcpu + V_TIME_OFFSET_HI) + (u32(sum) < u32(qlo) ? 1 : 0));
}

/** vCPU `vcpu`'s mtime at the current instruction (the time and timeh CSRs). */
export function timeLo(vcpu: i32): i32 {
  return timeAtLo(vcpu, clockHi(), clockLo());
}
export function timeHi(vcpu: i32): i32 {
  return timeAtHi(vcpu, clockHi(), clockLo());
}
