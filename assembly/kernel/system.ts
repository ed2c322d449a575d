// The SYSTEM opcode: every sensitive instruction the interpreter meets (ECALL, EBREAK, MRET,
// SRET, WFI, SFENCE.VMA and the Zicsr instructions) is emulated here against the vCPU's
// privileged state. The interpreter leaves its fast loop after each of them, because any may
// change privilege, translation or interrupt enables.

import { load32, store32 } from "../shim";
import { V_PRIV, V_MSTATUS, V_WFI, PRIV_S, PRIV_U } from "../layout";
import { raise, CAUSE_ILLEGAL, CAUSE_BREAKPOINT } from "../cpu/fault";
import { MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW } from "./bits";
import { csrInstruction } from "./csr";
import { mret, sret, wfiWake } from "./trap";
import { shadowFence } from "../mmu/shadow";

/** pc the interpreter continues at after systemExecute (valid when no fault was raised). */
export let systemNextPc: i32 = 0;

const INSN_ECALL: i32 = 0x00000073;
const INSN_EBREAK: i32 = 0x00100073;
const INSN_SRET: i32 = 0x10200073;
const INSN_MRET: i32 = 0x30200073;
const INSN_WFI: i32 = 0x10500073;

/**
 * Execute SYSTEM instruction `insn` at `pc` (32-bit encoding; C.EBREAK arrives as EBREAK).
 * Returns the value for rd (CSR instructions) and sets systemNextPc; on a trap raises it.
 */
export function systemExecute(vcpu: i32, insn: i32, pc: i32, rs1Value: i32, rs2Value: i32, length: i32): i32 {
  systemNextPc = i32(pc + length);
  if (((insn >> 12) & 7) != 0) {
    if (((insn >> 12) & 7) == 4) {
      raise(CAUSE_ILLEGAL, insn);
      return 0;
    }
    return csrInstruction(vcpu, insn, rs1Value);
  }
  const priv = load32(vcpu + V_PRIV);
  const mstatus = load32(vcpu + V_MSTATUS);
  if (insn == INSN_ECALL) {
    raise(8 + priv, 0); // ECALL from U (8), S (9) or M (11)
  } else if (insn == INSN_EBREAK) {
    raise(CAUSE_BREAKPOINT, 0);
  } else if (insn == INSN_MRET) {
    if (priv != 3) raise(CAUSE_ILLEGAL, insn);
    else systemNextPc = mret(vcpu);
  } else if (insn == INSN_SRET) {
    if (priv == PRIV_U || (priv == PRIV_S && (mstatus & MSTATUS_TSR) != 0)) raise(CAUSE_ILLEGAL, insn);
    else systemNextPc = sret(vcpu);
  } else if (insn == INSN_WFI) {
    if (priv == PRIV_U || (priv == PRIV_S && (mstatus & MSTATUS_TW) != 0)) raise(CAUSE_ILLEGAL, insn);
    else if (!wfiWake(vcpu)) store32(vcpu + V_WFI, 1);
  } else if ((insn & i32(0xfe007fff)) == 0x12000073) {
    // SFENCE.VMA rs1, rs2 (rs1 = x0: every address; rs2 = x0: every address space).
    if (priv == PRIV_U || (priv == PRIV_S && (mstatus & MSTATUS_TVM) != 0)) raise(CAUSE_ILLEGAL, insn);
    else shadowFence(vcpu, rs1Value, ((insn >> 15) & 31) != 0, rs2Value, ((insn >> 20) & 31) != 0);
  } else {
    raise(CAUSE_ILLEGAL, insn);
  }
  return 0; // no register result
}
