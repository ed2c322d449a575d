// The threaded build's entry points (docs/smp.md, "Harts on parallel threads"): each host thread
// runs one hart for good, with its own instance of the core over the one shared memory and its
// own system block (SYS_BASE, given at instantiation; layout.ts). The home block (SYS_HOME) is
// the machine's: the host thread that owns the devices keeps it; a hart's thread starts from a
// copy of it (clock rate, mode, paging, clock) and then keeps its own clock and exit state.
//
// In the one-thread cores SYS_BASE is SYS_HOME: threadAttach() of the running vCPU changes
// nothing there, and nothing calls these functions.

import { load32, store32, memCopy } from "../shim";
import {
  SYS_BASE, SYS_HOME, SYS_SIZE, SYS_CUR_VCPU, SYS_HOST_REQ, SYS_CLOCK_LO, SYS_CLOCK_HI, HART_X, V_X,
  V_RES_VALID, vcpuAddr,
} from "../layout";

/**
 * Make vCPU `index` this thread's hart: the system block from the home block's, the hart's
 * registers into this thread's HART_X. (Nothing is saved: the thread ran no hart before.)
 */
export function threadAttach(index: i32): void {
  if (SYS_BASE != SYS_HOME) memCopy(SYS_BASE, SYS_HOME, SYS_SIZE);
  store32(SYS_CUR_VCPU, index);
  store32(SYS_HOST_REQ, 0);
  memCopy(HART_X, vcpuAddr(index) + V_X, 128);
}

/** Save this thread's hart's registers in its vCPU block (the host reads them there). */
export function threadDetach(): void {
  const vcpu = vcpuAddr(load32(SYS_CUR_VCPU));
  memCopy(vcpu + V_X, HART_X, 128);
  store32(vcpu + V_RES_VALID, 0);
}

/**
 * Move this thread's clock forward to {hi, lo} if that is later (the machine's clock is the
 * latest of the harts' clocks: each hart sees time go forward, never back).
 */
export function threadClockAtLeast(hi: i32, lo: i32): void {
  const myHi = load32(SYS_CLOCK_HI);
  if (hi > myHi || (hi == myHi && u32(lo) > u32(load32(SYS_CLOCK_LO)))) {
    store32(SYS_CLOCK_LO, lo);
    store32(SYS_CLOCK_HI, hi);
  }
}
