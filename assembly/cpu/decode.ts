// Immediate decoders for the RV32I and RV32C instruction formats (unprivileged spec ch. 2, 16),
// C.FLD/C.FSD and their SP forms included.
// Each is a pure function of the instruction word; asc inlines them into the interpreter.

/** I-type: insn[31:20], sign-extended. */
export function immI(insn: i32): i32 {
  return insn >> 20;
}

/** S-type: insn[31:25] | insn[11:7]. */
export function immS(insn: i32): i32 {
  return ((insn >> 20) & -32) | ((insn >> 7) & 31);
}

/** B-type: imm[12|10:5] at 31:25, imm[4:1|11] at 11:7. */
export function immB(insn: i32): i32 {
  return ((insn >> 31) << 12) | ((insn << 4) & 0x800) | ((insn >> 20) & 0x7e0) | ((insn >> 7) & 0x1e);
}

/** J-type: imm[20|10:1|11|19:12] at 31:12. */
export function immJ(insn: i32): i32 {
  return ((insn >> 31) << 20) | (insn & 0xff000) | ((insn >> 9) & 0x800) | ((insn >> 20) & 0x7fe);
}

// ── Compressed formats ──────────────────────────────────────────────────────────────────────

/** Register x8..x15 named by a 3-bit field at bit `shift`. */
export function cReg(insn: i32, shift: i32): i32 {
  return 8 + ((insn >> shift) & 7);
}

/** CI: imm[5] at 12, imm[4:0] at 6:2, sign-extended (C.ADDI, C.LI, C.ANDI; C.LUI shifts it). */
export function cImmCI(insn: i32): i32 {
  return (((insn << 19) >> 26) & -32) | ((insn >> 2) & 31);
}

/** CIW (C.ADDI4SPN): nzuimm[5:4|9:6|2|3] at 12:5. */
export function cImmAddi4spn(insn: i32): i32 {
  return ((insn >> 7) & 0x30) | ((insn >> 1) & 0x3c0) | ((insn >> 4) & 4) | ((insn >> 2) & 8);
}

/** CL/CS word offset (C.LW, C.SW): uimm[5:3] at 12:10, uimm[2] at 6, uimm[6] at 5. */
export function cImmLw(insn: i32): i32 {
  return ((insn >> 7) & 0x38) | ((insn >> 4) & 4) | ((insn << 1) & 0x40);
}

/** C.ADDI16SP: nzimm[9] at 12, nzimm[4|6|8:7|5] at 6:2. */
export function cImmAddi16sp(insn: i32): i32 {
  return (((insn << 19) >> 31) << 9) | ((insn >> 2) & 0x10) | ((insn << 1) & 0x40) |
    ((insn << 4) & 0x180) | ((insn << 3) & 0x20);
}

/** CJ (C.J, C.JAL): offset[11|4|9:8|10|6|7|3:1|5] at 12:2. */
export function cImmJ(insn: i32): i32 {
  return (((insn << 19) >> 31) << 11) | ((insn >> 7) & 0x10) | ((insn >> 1) & 0x300) |
    ((insn << 2) & 0x400) | ((insn >> 1) & 0x40) | ((insn << 1) & 0x80) | ((insn >> 2) & 0xe) |
    ((insn << 3) & 0x20);
}

/** CB (C.BEQZ, C.BNEZ): offset[8|4:3] at 12:10, offset[7:6|2:1|5] at 6:2. */
export function cImmB(insn: i32): i32 {
  return (((insn << 19) >> 31) << 8) | ((insn >> 7) & 0x18) | ((insn << 1) & 0xc0) |
    ((insn >> 2) & 6) | ((insn << 3) & 0x20);
}

/** C.LWSP: uimm[5] at 12, uimm[4:2|7:6] at 6:2. */
export function cImmLwsp(insn: i32): i32 {
  return ((insn >> 7) & 0x20) | ((insn >> 2) & 0x1c) | ((insn << 4) & 0xc0);
}

/** C.SWSP: uimm[5:2|7:6] at 12:7. */
export function cImmSwsp(insn: i32): i32 {
  return ((insn >> 7) & 0x3c) | ((insn >> 1) & 0xc0);
}

/** CL/CS doubleword offset (C.FLD, C.FSD): uimm[5:3] at 12:10, uimm[7:6] at 6:5. */
export function cImmLd(insn: i32): i32 {
  return ((insn >> 7) & 0x38) | ((insn << 1) & 0xc0);
}

/** C.FLDSP: uimm[5] at 12, uimm[4:3|8:6] at 6:2. */
export function cImmLdsp(insn: i32): i32 {
  return ((insn >> 7) & 0x20) | ((insn >> 2) & 0x18) | ((insn << 4) & 0x1c0);
}

/** C.FSDSP: uimm[5:3|8:6] at 12:7. */
export function cImmSdsp(insn: i32): i32 {
  return ((insn >> 7) & 0x38) | ((insn >> 1) & 0x1c0);
}
