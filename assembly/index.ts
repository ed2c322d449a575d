// The core's exports: the flat interface the host sees (numbers in, numbers out; bulk state is
// read and written through the linear memory, whose map is layout.ts).

import { load32, store32, memFill } from "./shim";
import {
  VCPU_SIZE, V_PC, V_PRIV, V_MHARTID, V_PHYSMAP, V_PHYSMAP_COUNT, V_MSTATUS, PRIV_M, SYS_BASE,
  SYS_SIZE, SYS_CYCLES_PER_TICK, SYS_CLOCK_LO, SYS_CLOCK_HI, PHYSMAP_BASE, GUEST_MACHINE, TRIGGER_COUNT,
  vcpuAddr,
} from "./layout";
import { tlbFlushAll } from "./mmu/tlb";
import { vcpuResetTo } from "./kernel/vcpu";
import { timerNext, timerCheck } from "./kernel/timer";
import { pendingInterrupt, wfiWake } from "./kernel/trap";
import { timeAtLo, timeAtHi } from "./kernel/counters";
import { stimerRearm } from "./kernel/timer";
import { triggerRead, triggerWrite } from "./kernel/trigger";

export { run } from "./cpu/exec";

/** Clear the system block and set the clock rate (cycles per 10 MHz mtime tick). */
export function systemReset(cyclesPerTick: i32): void {
  memFill(SYS_BASE, 0, SYS_SIZE);
  store32(SYS_CYCLES_PER_TICK, cyclesPerTick);
}

/**
 * Reset vCPU `index` (a bare machine's hart) to the state after hart reset: M-mode, mstatus.MIE
 * = 0, everything zero, starting at `pc`, using `count` physical-map regions at `physmap`.
 */
export function vcpuReset(index: i32, pc: i32, hartId: i32, physmap: i32, count: i32): void {
  vcpuResetTo(index, GUEST_MACHINE, pc, hartId, physmap, count, 0);
}

export { vcpuResetTo, vcpuSwitch } from "./kernel/vcpu";
export { hvRun, schedReset } from "./kernel/sched";

/** Cycles from the clock until vCPU `index`'s next timer deadline, or a large number (2^30). */
export function vcpuNextTimer(index: i32): i32 {
  return timerNext(vcpuAddr(index));
}

/** Raise the timer lines of vCPU `index` whose deadlines the clock has reached. */
export function vcpuCheckTimers(index: i32): void {
  timerCheck(vcpuAddr(index), load32(SYS_CLOCK_HI), load32(SYS_CLOCK_LO));
}

/** Drop every cached translation of vCPU `index` (after the host changes its physical map). */
export function vcpuFlushTlb(index: i32): void {
  tlbFlushAll(vcpuAddr(index));
}

/** The interrupt vCPU `index` would take now, or -1. */
export function vcpuPendingInterrupt(index: i32): i32 {
  return pendingInterrupt(vcpuAddr(index));
}

/** 1 if vCPU `index` may leave WFI (an interrupt is pending and enabled in mie). */
export function vcpuCanWake(index: i32): i32 {
  return wfiWake(vcpuAddr(index)) ? 1 : 0;
}

/**
 * vCPU `index`'s mtime (low or high word) at virtual clock {clockHi, clockLo}: clock /
 * cycles-per-tick + the vCPU's time offset. The core's one definition of time; the host's CLINT
 * calls it with SYS_NOW.
 */
export function mtimeAt(index: i32, clockHi: i32, clockLo: i32, wantHigh: i32): i32 {
  const vcpu = vcpuAddr(index);
  return wantHigh != 0 ? timeAtHi(vcpu, clockHi, clockLo) : timeAtLo(vcpu, clockHi, clockLo);
}

/** vCPU `index`'s time offset changed (its partition wrote mtime): re-arm its SBI timer. */
export function vcpuTimeChanged(index: i32): void {
  stimerRearm(vcpuAddr(index));
}

/** Start of the default physical map table (the host may place others in the same area). */
export function physmapBase(): i32 {
  return PHYSMAP_BASE;
}

/**
 * A debugger's write (as from Debug Mode) of tdata`reg` (1: tdata1, 2: tdata2) of trigger
 * `trigger` of vCPU `index`: it may set dmode and the action "enter Debug Mode" (the run stops
 * with EXIT_BREAK when the trigger fires). Read the value back: the registers are WARL.
 */
export function vcpuTriggerWrite(index: i32, trigger: i32, reg: i32, value: i32): void {
  if (u32(trigger) < u32(TRIGGER_COUNT)) triggerWrite(vcpuAddr(index), trigger, reg, value, true);
}

/** tdata`reg` (1-3) of trigger `trigger` of vCPU `index`, or tinfo (reg 4); 0 for no trigger. */
export function vcpuTriggerRead(index: i32, trigger: i32, reg: i32): i32 {
  return u32(trigger) < u32(TRIGGER_COUNT) ? triggerRead(vcpuAddr(index), trigger, reg) : 0;
}

export { dirtyRearm } from "./mmu/dirty";
