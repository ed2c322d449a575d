// vCPUs: reset to a guest mode, the world switch, and which traps the kernel keeps for itself.
//
// A partition's vCPU holds all of its hart's state in its block (layout.ts); only the integer
// registers of the running vCPU live at HART_X. The guest's privilege levels are virtual: the
// interpreter executes unprivileged instructions directly and hands every sensitive one to the
// kernel (kernel/system.ts), which emulates it against the vCPU's virtual CSRs and delivers traps
// through the guest's own vectors (kernel/trap.ts).
//
// Guest modes:
//   GUEST_MACHINE     the guest starts in (virtual) M-mode and owns mtvec, mstatus, mie/mip and
//                     its CLINT, and every ECALL (they trap into the guest itself). Its M-mode
//                     reaches the hypervisor only through WVCALL (kernel/sbi.ts), an encoding
//                     no unmodified guest produces.
//   GUEST_SUPERVISOR  the guest starts in S-mode with a0 = hart id and a1 = its device tree; all
//                     exceptions and S-level interrupts are delegated to S, as OpenSBI sets up,
//                     and ECALL from S is an SBI call the kernel answers (kernel/sbi.ts); its
//                     S-mode may use WVCALL as well.

import { load32, store32, memFill, memCopy } from "../shim";
import {
  SYS_CUR_VCPU, SYS_HV_MODE, SYS_STAT_SWITCHES, HART_X, V_X, V_PC, V_PRIV, V_MSTATUS, V_MHARTID,
  V_PHYSMAP, V_PHYSMAP_COUNT, V_STAGE2, V_MODE, V_MEDELEG, V_MIDELEG, V_MCOUNTEREN, V_RES_VALID,
  V_TIMER_LO, V_TIMER_HI, V_STIMER_LO, V_STIMER_HI, V_STAT_SWITCHES_IN, VCPU_SIZE, PRIV_M, PRIV_S,
  V_SCOUNTEREN, V_STIMECMP_LO, V_STIMECMP_HI, V_MENVCFGH, V_MISA,
  GUEST_SUPERVISOR, V_LEADER, V_HART_COUNT, vcpuAddr,
} from "../layout";
import { CAUSE_ECALL_S } from "../cpu/fault";
import { tlbFlushAll } from "../mmu/tlb";
import { shadowReset } from "../mmu/shadow";
import { MENVCFGH_STCE } from "./timer";
import { triggerReset } from "./trigger";
import { MISA_VALUE, MISA_FD_VALUE, MSTATUS_FS, MSTATUS_FS_DIRTY } from "./bits";

/** Exceptions a supervisor-mode vCPU delegates to S: all but ECALL from S (the SBI). */
const SUPERVISOR_MEDELEG: i32 = 0xb1ff;
/** S-level interrupts (SSI, STI, SEI) go to S. */
const SUPERVISOR_MIDELEG: i32 = 0x222;

/**
 * Reset vCPU `index` to the state after hart reset, in guest mode `mode`, starting at `pc` with
 * the physical map of `count` regions at `physmap` and stage-2 root `stage2` (0: none).
 */
export function vcpuResetTo(index: i32, mode: i32, pc: i32, hartId: i32, physmap: i32, count: i32, stage2: i32): void {
  const vcpu = vcpuAddr(index);
  memFill(vcpu, 0, VCPU_SIZE);
  store32(vcpu + V_PC, pc);
  store32(vcpu + V_MHARTID, hartId);
  store32(vcpu + V_PHYSMAP, physmap);
  store32(vcpu + V_PHYSMAP_COUNT, count);
  store32(vcpu + V_STAGE2, stage2);
  store32(vcpu + V_MODE, mode);
  store32(vcpu + V_LEADER, index); // a partition of one hart until smpJoin says otherwise
  store32(vcpu + V_HART_COUNT, 1);
  store32(vcpu + V_TIMER_LO, -1);
  store32(vcpu + V_TIMER_HI, -1);
  store32(vcpu + V_STIMER_LO, -1);
  store32(vcpu + V_STIMER_HI, -1);
  store32(vcpu + V_STIMECMP_LO, -1); // stimecmp: no S-level timer until software sets one
  store32(vcpu + V_STIMECMP_HI, -1);
  store32(vcpu + V_MSTATUS, 0);
  // RV32GC: F and D on (vcpuFpuSet turns them off). The FP registers and fcsr start at zero.
  store32(vcpu + V_MISA, MISA_FD_VALUE);
  if (mode == GUEST_SUPERVISOR) {
    store32(vcpu + V_PRIV, PRIV_S);
    // The FPU enabled (mstatus.FS = Dirty), as OpenSBI leaves a kernel.
    store32(vcpu + V_MSTATUS, MSTATUS_FS_DIRTY);
    store32(vcpu + V_MEDELEG, SUPERVISOR_MEDELEG);
    store32(vcpu + V_MIDELEG, SUPERVISOR_MIDELEG);
    // What OpenSBI leaves a kernel: every counter readable from S (mcounteren all ones) and
    // cycle, time and instret from U (scounteren = 7), so rdtime works in Linux user programs.
    store32(vcpu + V_MCOUNTEREN, -1);
    store32(vcpu + V_SCOUNTEREN, 7);
    // Sstc enabled for S (menvcfg.STCE), as OpenSBI does when the hart has it.
    store32(vcpu + V_MENVCFGH, MENVCFGH_STCE);
  } else {
    store32(vcpu + V_PRIV, PRIV_M);
  }
  triggerReset(vcpu);
  tlbFlushAll(vcpu);
  shadowReset(vcpu);
  if (index == load32(SYS_CUR_VCPU)) memFill(HART_X, 0, 128); // it is the running vCPU
}

/**
 * The world switch: make vCPU `to` the running one. Its integer registers move to HART_X; the
 * outgoing vCPU's go home and its LR/SC reservation is dropped (a context switch may break a
 * reservation). TLBs and shadow tables are per vCPU, so nothing else is flushed. Callers record
 * the change in the schedule timeline first (kernel/timeline.ts: they know the exact clock).
 */
export function vcpuSwitch(to: i32): void {
  const from = load32(SYS_CUR_VCPU);
  if (from == to) return;
  const fromAddr = vcpuAddr(from);
  const toAddr = vcpuAddr(to);
  memCopy(fromAddr + V_X, HART_X, 128);
  memCopy(HART_X, toAddr + V_X, 128);
  store32(fromAddr + V_RES_VALID, 0);
  store32(SYS_CUR_VCPU, to);
  store32(SYS_STAT_SWITCHES, i32(load32(SYS_STAT_SWITCHES) + 1));
  store32(toAddr + V_STAT_SWITCHES_IN, i32(load32(toAddr + V_STAT_SWITCHES_IN) + 1));
}

/**
 * Does the kernel take this ECALL (cause) itself instead of delivering it to the guest? Only an
 * SBI call from a supervisor-mode guest in the partitioned system: the SBI is the firmware's,
 * and the firmware is the hypervisor. A machine-mode guest owns all of its ECALLs.
 */
export function ecallIntercepted(vcpu: i32, cause: i32): bool {
  return load32(SYS_HV_MODE) != 0 && load32(vcpu + V_MODE) == GUEST_SUPERVISOR && cause == CAUSE_ECALL_S;
}

/**
 * May the running vCPU make a hypercall (WVCALL) now? In the partitioned system, from the
 * guest's most privileged level: M-mode of a machine-mode guest, S-mode of a supervisor-mode
 * guest. Anywhere else (its user mode, or the bare machine) WVCALL is an illegal instruction,
 * as on hardware.
 */
export function hypercallAllowed(vcpu: i32): bool {
  if (load32(SYS_HV_MODE) == 0) return false;
  const priv = load32(vcpu + V_PRIV);
  return load32(vcpu + V_MODE) == GUEST_SUPERVISOR ? priv == PRIV_S : priv == PRIV_M;
}

/**
 * F and D on or off for a vCPU (a partition's "fpu"; after vcpuResetTo). Off: misa without F
 * and D, mstatus.FS reads 0 and cannot be set, so every F/D instruction and fcsr access is an
 * illegal instruction, as on an RV32IMAC hart.
 */
export function vcpuFpuSet(index: i32, on: bool): void {
  const vcpu = vcpuAddr(index);
  store32(vcpu + V_MISA, on ? MISA_FD_VALUE : MISA_VALUE);
  if (!on) store32(vcpu + V_MSTATUS, load32(vcpu + V_MSTATUS) & ~MSTATUS_FS);
}
