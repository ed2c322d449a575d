// RISC-V semihosting (the RISC-V Semihosting specification, version 0.2+; the operations are
// Arm's "Semihosting for AArch32 and AArch64"): a guest asks the host for console and file I/O
// with the three uncompressed instructions
//
//     slli x0, x0, 0x1f     0x01f01013
//     ebreak                0x00100073
//     srai x0, x0, 7        0x40705013
//
// a0 = operation, a1 = parameter (usually the address of a parameter block), result in a0. The
// two shifts are no-ops that mark the EBREAK as a semihosting call; the three must lie in one
// page so that looking at the neighbours cannot fault where the EBREAK itself did not.
//
// Only a partition (or bare machine) the host enabled it for (V_SEMIHOST) makes such calls, and
// only from M and S (U too with SEMIHOST_USER), as QEMU does with -semihosting (userspace=off by
// default). Anywhere else, or when a neighbour is not the marker or cannot be fetched (PMP,
// translation), the EBREAK is an ordinary breakpoint exception. A call completes like an SBI
// call: the EBREAK retires and execution goes on at the SRAI (as QEMU, which resumes at pc + 4).
// The host serves the call itself (src/devices/semihosting.ts).

import { load32, store32, fetch32, hostHypercall } from "../shim";
import {
  V_PRIV, V_SEMIHOST, SEMIHOST_ON, SEMIHOST_USER, PRIV_U, HART_X, SYS_CUR_VCPU, SYS_HC_VALUE,
  SYS_HOST_REQ, HOSTREQ_RETRY, SYS_NOW_LO, SYS_NOW_HI, HC_SEMIHOSTING,
} from "../layout";
import { fetchHost } from "../mmu/access";
import { faultClear } from "../cpu/fault";
import { clockLo, clockHi } from "./counters";

/** The 32-bit EBREAK. (C.EBREAK never starts a semihosting call: the sequence is uncompressed.) */
export const EBREAK: i32 = 0x00100073;
const SEMIHOST_PRE: i32 = 0x01f01013;
const SEMIHOST_POST: i32 = 0x40705013;

/** The instruction word at va as the hart would fetch it now, or 0 if fetching it faults
 *  (the fault is dropped: the caller then treats the EBREAK as an ordinary one). */
function fetchWord(vcpu: i32, va: i32, priv: i32): i32 {
  const host = fetchHost(vcpu, va, priv);
  if (host < 0) {
    faultClear();
    return 0;
  }
  return fetch32(host);
}

/**
 * Is the EBREAK at `pc` of the running vCPU a semihosting call? The vCPU must have semihosting
 * at its privilege level, the three words [pc - 4, pc + 8) must lie in one page (so the SRAI
 * cannot continue on another page), and both neighbours must be the marker instructions.
 */
export function semihostAt(vcpu: i32, pc: i32): bool {
  const flags = load32(vcpu + V_SEMIHOST);
  if ((flags & SEMIHOST_ON) == 0) return false;
  const priv = load32(vcpu + V_PRIV);
  if (priv == PRIV_U && (flags & SEMIHOST_USER) == 0) return false;
  if ((i32(pc - 4) & -4096) != (i32(pc + 7) & -4096)) return false;
  return fetchWord(vcpu, i32(pc - 4), priv) == SEMIHOST_PRE && fetchWord(vcpu, i32(pc + 4), priv) == SEMIHOST_POST;
}

/**
 * Forward the semihosting call of the running vCPU to the host (a0 = operation). Returns true
 * when it completed (a0 holds the result), false when the host asked for it again: it had more
 * work than one exit may do (HOSTREQ_RETRY); the EBREAK then does not complete.
 */
export function semihostCall(): bool {
  store32(SYS_HC_VALUE, 0);
  store32(SYS_NOW_LO, clockLo()); // the call's exact time, as for an MMIO access
  store32(SYS_NOW_HI, clockHi());
  hostHypercall(load32(SYS_CUR_VCPU), HC_SEMIHOSTING, load32(HART_X + 40));
  const req = load32(SYS_HOST_REQ);
  if ((req & HOSTREQ_RETRY) != 0) {
    store32(SYS_HOST_REQ, req & ~HOSTREQ_RETRY);
    return false;
  }
  store32(HART_X + 40, load32(SYS_HC_VALUE));
  return true;
}
