// The core's exports: the flat interface the host sees (numbers in, numbers out; bulk state is
// read and written through the linear memory, whose map is layout.ts).

import { load32, store32, memFill } from "./shim";
import {
  VCPU_SIZE, V_PC, V_PRIV, V_MHARTID, V_PHYSMAP, V_PHYSMAP_COUNT, V_MSTATUS, PRIV_M, SYS_BASE,
  SYS_SIZE, SYS_CYCLES_PER_TICK, SYS_CUR_VCPU, HART_X, PHYSMAP_BASE,
  vcpuAddr,
} from "./layout";
import { tlbFlushAll } from "./mmu/tlb";
import { pendingInterrupt, wfiWake } from "./kernel/trap";
import { timeAtLo, timeAtHi } from "./kernel/counters";

export { run } from "./cpu/exec";

/** Clear the system block and set the clock rate (cycles per 10 MHz mtime tick). */
export function systemReset(cyclesPerTick: i32): void {
  memFill(SYS_BASE, 0, SYS_SIZE);
  store32(SYS_CYCLES_PER_TICK, cyclesPerTick);
}

/**
 * Reset vCPU `index` to the state after hart reset (M-mode, mstatus.MIE = 0, everything zero),
 * starting at `pc`, using `count` physical-map regions at `physmap`.
 */
export function vcpuReset(index: i32, pc: i32, hartId: i32, physmap: i32, count: i32): void {
  const vcpu = vcpuAddr(index);
  memFill(vcpu, 0, VCPU_SIZE);
  if (index == load32(SYS_CUR_VCPU)) memFill(HART_X, 0, 128); // it is the running vCPU
  store32(vcpu + V_PC, pc);
  store32(vcpu + V_PRIV, PRIV_M);
  store32(vcpu + V_MSTATUS, 0);
  store32(vcpu + V_MHARTID, hartId);
  store32(vcpu + V_PHYSMAP, physmap);
  store32(vcpu + V_PHYSMAP_COUNT, count);
  tlbFlushAll(vcpu);
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
 * mtime (low or high word) at virtual clock {clockHi, clockLo}: clock / cycles-per-tick +
 * offset. The core's one definition of time; the host's CLINT calls it with SYS_NOW.
 */
export function mtimeAt(clockHi: i32, clockLo: i32, wantHigh: i32): i32 {
  return wantHigh != 0 ? timeAtHi(clockHi, clockLo) : timeAtLo(clockHi, clockLo);
}

/** Start of the default physical map table (the host may place others in the same area). */
export function physmapBase(): i32 {
  return PHYSMAP_BASE;
}
