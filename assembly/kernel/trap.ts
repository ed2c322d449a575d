// Trap entry, interrupt selection and trap return for a vCPU (privileged spec 1.12 §3.1.7-3.1.9,
// §3.3.2). This is the single place where privilege rises: every exception and interrupt goes
// through trapEnter(), which applies medeleg/mideleg delegation.

import { load32, store32 } from "../shim";
import {
  V_PRIV, V_MSTATUS, V_MIE, V_MIDELEG, V_MEDELEG, V_MCAUSE, V_MEPC, V_MTVAL, V_MTVEC,
  V_SCAUSE, V_SEPC, V_STVAL, V_STVEC, V_RES_VALID, V_WFI, PRIV_M, PRIV_S, PRIV_U, SYS_STAT_TRAPS,
  V_IPC_STATE, IPC_RECEIVING, IPC_NONE, V_TRIG_SUMMARY,
} from "../layout";
import {
  MSTATUS_SIE, MSTATUS_MIE, MSTATUS_SPIE, MSTATUS_MPIE, MSTATUS_SPP, MSTATUS_MPP, MSTATUS_MPP_SHIFT,
  MSTATUS_MPRV,
} from "./bits";
import { IRQ_MEI, IRQ_MSI, IRQ_MTI, IRQ_SEI, IRQ_SSI, IRQ_STI } from "../cpu/fault";
import { mipRead } from "./csr";
import { icountEvent, TRIG_ICOUNT } from "./trigger";

/** Target pc for a trap vector register value (vectored mode applies to interrupts only). */
function vectorTarget(tvec: i32, isInterrupt: bool, code: i32): i32 {
  const base = tvec & -4;
  return (tvec & 1) != 0 && isInterrupt ? i32(base + (code << 2)) : base;
}

/**
 * The hart leaves WFI (an interrupt is pending, or it is being taken). A wait for an IPC call
 * (recv, reply_recv: kernel/ipc.ts) that ends this way is over too: the call returned "an
 * interrupt is pending", and a call that arrives later must wait for the next recv instead of
 * landing in registers the guest is using for something else.
 */
export function wfiEnd(vcpu: i32): void {
  store32(vcpu + V_WFI, 0);
  if (load32(vcpu + V_IPC_STATE) == IPC_RECEIVING) store32(vcpu + V_IPC_STATE, IPC_NONE);
}

/**
 * Take a trap: `cause` is an exception code, or an interrupt number with bit 31 set; `pc` is the
 * address of the trapping instruction (or the next one to run, for interrupts). Returns the pc
 * of the handler. The LR/SC reservation is dropped and WFI ends.
 */
export function trapEnter(vcpu: i32, cause: i32, tval: i32, pc: i32): i32 {
  const priv = load32(vcpu + V_PRIV);
  // Sdtrig icount: every trap taken from a mode counts like an instruction there.
  if ((load32(vcpu + V_TRIG_SUMMARY) & TRIG_ICOUNT) != 0) icountEvent(vcpu, priv, load32(vcpu + V_MSTATUS), false);
  const isInterrupt = cause < 0;
  const code = cause & 0x7fffffff;
  const deleg = load32(vcpu + (isInterrupt ? V_MIDELEG : V_MEDELEG));
  let mstatus = load32(vcpu + V_MSTATUS);
  store32(vcpu + V_RES_VALID, 0);
  wfiEnd(vcpu);
  store32(SYS_STAT_TRAPS, i32(load32(SYS_STAT_TRAPS) + 1));
  if (priv <= PRIV_S && ((deleg >> code) & 1) != 0) {
    store32(vcpu + V_SCAUSE, cause);
    store32(vcpu + V_SEPC, pc);
    store32(vcpu + V_STVAL, tval);
    mstatus = (mstatus & ~(MSTATUS_SPIE | MSTATUS_SIE | MSTATUS_SPP)) |
      ((mstatus & MSTATUS_SIE) != 0 ? MSTATUS_SPIE : 0) | (priv == PRIV_S ? MSTATUS_SPP : 0);
    store32(vcpu + V_MSTATUS, mstatus);
    store32(vcpu + V_PRIV, PRIV_S);
    return vectorTarget(load32(vcpu + V_STVEC), isInterrupt, code);
  }
  store32(vcpu + V_MCAUSE, cause);
  store32(vcpu + V_MEPC, pc);
  store32(vcpu + V_MTVAL, tval);
  mstatus = (mstatus & ~(MSTATUS_MPIE | MSTATUS_MIE | MSTATUS_MPP)) |
    ((mstatus & MSTATUS_MIE) != 0 ? MSTATUS_MPIE : 0) | (priv << MSTATUS_MPP_SHIFT);
  store32(vcpu + V_MSTATUS, mstatus);
  store32(vcpu + V_PRIV, PRIV_M);
  return vectorTarget(load32(vcpu + V_MTVEC), isInterrupt, code);
}

/** The highest-priority interrupt in `bits` (§3.1.9: MEI, MSI, MTI, SEI, SSI, STI). */
function highestInterrupt(bits: i32): i32 {
  if ((bits & (1 << IRQ_MEI)) != 0) return IRQ_MEI;
  if ((bits & (1 << IRQ_MSI)) != 0) return IRQ_MSI;
  if ((bits & (1 << IRQ_MTI)) != 0) return IRQ_MTI;
  if ((bits & (1 << IRQ_SEI)) != 0) return IRQ_SEI;
  if ((bits & (1 << IRQ_SSI)) != 0) return IRQ_SSI;
  return IRQ_STI;
}

/**
 * The interrupt to take now, or -1. An interrupt destined for M is taken when the hart runs
 * below M or mstatus.MIE is set; one delegated to S when the hart runs in U, or in S with
 * mstatus.SIE. M-level interrupts win over S-level ones.
 */
export function pendingInterrupt(vcpu: i32): i32 {
  const pending = mipRead(vcpu) & load32(vcpu + V_MIE);
  if (pending == 0) return -1;
  const priv = load32(vcpu + V_PRIV);
  const mstatus = load32(vcpu + V_MSTATUS);
  const mideleg = load32(vcpu + V_MIDELEG);
  const toM = pending & ~mideleg;
  if (toM != 0 && (priv < PRIV_M || (mstatus & MSTATUS_MIE) != 0)) return highestInterrupt(toM);
  const toS = pending & mideleg;
  if (toS != 0 && (priv < PRIV_S || (priv == PRIV_S && (mstatus & MSTATUS_SIE) != 0))) return highestInterrupt(toS);
  return -1;
}

/** True when WFI may complete: some interrupt is pending and enabled in mie (§3.3.3). */
export function wfiWake(vcpu: i32): bool {
  return (mipRead(vcpu) & load32(vcpu + V_MIE)) != 0;
}

/** MRET (caller checked privilege): returns the pc to resume at. */
export function mret(vcpu: i32): i32 {
  const mstatus = load32(vcpu + V_MSTATUS);
  const target = (mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;
  let next = (mstatus & ~(MSTATUS_MIE | MSTATUS_MPP)) | MSTATUS_MPIE |
    ((mstatus & MSTATUS_MPIE) != 0 ? MSTATUS_MIE : 0) | (PRIV_U << MSTATUS_MPP_SHIFT);
  if (target != PRIV_M) next &= ~MSTATUS_MPRV;
  store32(vcpu + V_MSTATUS, next);
  store32(vcpu + V_PRIV, target);
  store32(vcpu + V_RES_VALID, 0);
  return load32(vcpu + V_MEPC);
}

/** SRET (caller checked privilege and TSR): returns the pc to resume at. */
export function sret(vcpu: i32): i32 {
  const mstatus = load32(vcpu + V_MSTATUS);
  const target = (mstatus & MSTATUS_SPP) != 0 ? PRIV_S : PRIV_U;
  const next = (mstatus & ~(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV)) | MSTATUS_SPIE |
    ((mstatus & MSTATUS_SPIE) != 0 ? MSTATUS_SIE : 0);
  store32(vcpu + V_MSTATUS, next);
  store32(vcpu + V_PRIV, target);
  store32(vcpu + V_RES_VALID, 0);
  return load32(vcpu + V_SEPC);
}
