// The core's exports: the flat interface the host sees (numbers in, numbers out; bulk state is
// read and written through the linear memory, whose map is layout.ts).

import { load32, store32, memFill } from "./shim";
import {
  VCPU_SIZE, V_PC, V_PRIV, V_MHARTID, V_PHYSMAP, V_PHYSMAP_COUNT, V_MSTATUS, PRIV_M, SYS_BASE,
  SYS_SIZE, SYS_CYCLES_PER_TICK, SYS_CLOCK_LO, SYS_CLOCK_HI, PHYSMAP_BASE, GUEST_MACHINE, TRIGGER_COUNT,
  vcpuAddr,
} from "./layout";
import { tlbFlushAll } from "./mmu/tlb";
import { vcpuResetTo, vcpuFpuSet } from "./kernel/vcpu";
import { timerNext, timerCheck } from "./kernel/timer";
import { pendingInterrupt, wfiWake } from "./kernel/trap";
import { timeAtLo, timeAtHi } from "./kernel/counters";
import { stimerRearm } from "./kernel/timer";
import { smpTimerCheck } from "./kernel/smp";
import { triggerRead, triggerWrite } from "./kernel/trigger";
import { fpBegin, fpFlags, rHi, rLo } from "./fpu/ieee";
import { fpAdd, fpMul, fpDiv, fpSqrt, fpFma } from "./fpu/arith";
import { fpToInt, fpFromInt, fpConvert } from "./fpu/convert";
import { fpCompare, fpMinMax, fpClass, fpSignInject, CMP_EQ, CMP_LT, CMP_LE } from "./fpu/compare";

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
/** The translator on, its area at `base` (0: off), empty (docs/jit.md). */
export { jitReset } from "./jit/frontend";
/** The host wrote (or is about to write) [host, host + size): drop translated code there. */
export { jitWrote } from "./jit/frontend";

/** F and D on (1) or off (0) for vCPU `index`, after its reset (a partition's "fpu"). */
export function vcpuSetFpu(index: i32, on: i32): void {
  vcpuFpuSet(index, on != 0);
}
export { hvRun, schedReset } from "./kernel/sched";
export { smpJoin, smpPick, smpSliceLimit, smpCharge, smpTimerNext } from "./kernel/smp";

/** Raise the timer lines of every hart of the partition whose hart 0 is vCPU `leader` that the
 *  clock has reached (the bare machine's loop: the running hart's own are checked by run()). */
export function smpCheckTimers(leader: i32): void {
  smpTimerCheck(leader, load32(SYS_CLOCK_HI), load32(SYS_CLOCK_LO));
}

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

// ── The software floating point, operation by operation (tests and tools) ─────────────────
// The arithmetic of cpu/fpu.ts without an instruction around it: test/fpu.test.ts checks it on
// both cores against a reference written from the standard.

/** fpOperate's operations. */
export const FPOP_ADD = 0, FPOP_SUB = 1, FPOP_MUL = 2, FPOP_DIV = 3, FPOP_SQRT = 4, FPOP_FMADD = 5,
  FPOP_FMSUB = 6, FPOP_FNMSUB = 7, FPOP_FNMADD = 8, FPOP_TO_INT = 9, FPOP_TO_UINT = 10,
  FPOP_FROM_INT = 11, FPOP_FROM_UINT = 12, FPOP_CONVERT = 13, FPOP_MIN = 14, FPOP_MAX = 15,
  FPOP_EQ = 16, FPOP_LT = 17, FPOP_LE = 18, FPOP_CLASS = 19, FPOP_SGNJ = 20, FPOP_SGNJN = 21,
  FPOP_SGNJX = 22;

let fpOpHi: i32 = 0;

/**
 * One operation in format `fmt` (0 binary32 in the low words, 1 binary64) with rounding mode rm
 * on operands a, b, c: returns the result's low word (or the integer result); fpOperateHi() and
 * fpOperateFlags() give its high word and the flags raised. FPOP_CONVERT converts to `fmt` from
 * the other format; FPOP_FROM_* take the integer in al.
 */
export function fpOperate(op: i32, fmt: i32, rm: i32, ah: i32, al: i32, bh: i32, bl: i32, ch: i32, cl: i32): i32 {
  fpBegin(rm);
  let int = 0;
  let isInt = false;
  switch (op) {
    case FPOP_ADD: fpAdd(fmt, ah, al, bh, bl, 0); break;
    case FPOP_SUB: fpAdd(fmt, ah, al, bh, bl, 1); break;
    case FPOP_MUL: fpMul(fmt, ah, al, bh, bl); break;
    case FPOP_DIV: fpDiv(fmt, ah, al, bh, bl); break;
    case FPOP_SQRT: fpSqrt(fmt, ah, al); break;
    case FPOP_FMADD: fpFma(fmt, ah, al, bh, bl, ch, cl, 0, 0); break;
    case FPOP_FMSUB: fpFma(fmt, ah, al, bh, bl, ch, cl, 0, 1); break;
    case FPOP_FNMSUB: fpFma(fmt, ah, al, bh, bl, ch, cl, 1, 0); break;
    case FPOP_FNMADD: fpFma(fmt, ah, al, bh, bl, ch, cl, 1, 1); break;
    case FPOP_TO_INT: int = fpToInt(fmt, ah, al, false); isInt = true; break;
    case FPOP_TO_UINT: int = fpToInt(fmt, ah, al, true); isInt = true; break;
    case FPOP_FROM_INT: fpFromInt(fmt, al, false); break;
    case FPOP_FROM_UINT: fpFromInt(fmt, al, true); break;
    case FPOP_CONVERT: fpConvert(fmt, ah, al); break;
    case FPOP_MIN: fpMinMax(fmt, ah, al, bh, bl, 0); break;
    case FPOP_MAX: fpMinMax(fmt, ah, al, bh, bl, 1); break;
    case FPOP_EQ: int = fpCompare(fmt, ah, al, bh, bl, CMP_EQ); isInt = true; break;
    case FPOP_LT: int = fpCompare(fmt, ah, al, bh, bl, CMP_LT); isInt = true; break;
    case FPOP_LE: int = fpCompare(fmt, ah, al, bh, bl, CMP_LE); isInt = true; break;
    case FPOP_CLASS: int = fpClass(fmt, ah, al); isInt = true; break;
    default: fpSignInject(fmt, ah, al, bh, bl, op - FPOP_SGNJ); break;
  }
  fpOpHi = isInt ? 0 : fmt == 0 ? 0 : rHi;
  return isInt ? int : rLo;
}

export function fpOperateHi(): i32 {
  return fpOpHi;
}

export function fpOperateFlags(): i32 {
  return fpFlags;
}

export { dirtyRearm } from "./mmu/dirty";
export { threadAttach, threadDetach, threadReload, threadClockAtLeast, threadService } from "./kernel/threads";
export { hartServe } from "./kernel/sbi";
