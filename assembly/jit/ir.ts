// The translator's IR (docs/jit.md): what the front end (./frontend.ts) decodes guest code into
// and every back end (src/jit/) generates code from. One record per guest instruction, fields
// decoded (RVC expanded), so a back end never looks at an encoding: {pc, op, rd, rs1, rs2, imm,
// length}. x0 is never a destination (the front end turns such writes into IR_NOP, or drops rd).
// Only what a back end can run without the interpreter is here: RV32IM integer ops, loads and
// stores through the TLB fast path, branches and jumps. Anything else ends a block before it.
//
// This file holds constants only, so the host imports it as it imports layout.ts.

// Register-register: rd = rs1 OP rs2.
export const IR_ADD: i32 = 0;
export const IR_SUB: i32 = 1;
export const IR_SLL: i32 = 2;
export const IR_SLT: i32 = 3;
export const IR_SLTU: i32 = 4;
export const IR_XOR: i32 = 5;
export const IR_SRL: i32 = 6;
export const IR_SRA: i32 = 7;
export const IR_OR: i32 = 8;
export const IR_AND: i32 = 9;
export const IR_MUL: i32 = 10;
export const IR_MULH: i32 = 11;
export const IR_MULHSU: i32 = 12;
export const IR_MULHU: i32 = 13;
export const IR_DIV: i32 = 14;
export const IR_DIVU: i32 = 15;
export const IR_REM: i32 = 16;
export const IR_REMU: i32 = 17;
// Register-immediate: rd = rs1 OP imm (shift amounts already masked).
export const IR_ADDI: i32 = 20;
export const IR_SLTI: i32 = 21;
export const IR_SLTIU: i32 = 22;
export const IR_XORI: i32 = 23;
export const IR_ORI: i32 = 24;
export const IR_ANDI: i32 = 25;
export const IR_SLLI: i32 = 26;
export const IR_SRLI: i32 = 27;
export const IR_SRAI: i32 = 28;
/** rd = imm (LUI, AUIPC with pc folded in, C.LI). */
export const IR_LI: i32 = 29;
// Loads: rd = memory[rs1 + imm]; a TLB miss or misalignment leaves translated code before it.
export const IR_LB: i32 = 30;
export const IR_LH: i32 = 31;
export const IR_LW: i32 = 32;
export const IR_LBU: i32 = 33;
export const IR_LHU: i32 = 34;
// Stores: memory[rs1 + imm] = rs2, likewise.
export const IR_SB: i32 = 35;
export const IR_SH: i32 = 36;
export const IR_SW: i32 = 37;
// Branches: if (rs1 OP rs2) goto imm (the target pc); they end a block.
export const IR_BEQ: i32 = 40;
export const IR_BNE: i32 = 41;
export const IR_BLT: i32 = 42;
export const IR_BGE: i32 = 43;
export const IR_BLTU: i32 = 44;
export const IR_BGEU: i32 = 45;
/** rd = pc + length; goto imm. Ends a block. */
export const IR_JAL: i32 = 46;
/** t = (rs1 + imm) & ~1; rd = pc + length; goto t. Ends a block. */
export const IR_JALR: i32 = 47;
/** Nothing (FENCE; hints; writes to x0 that cannot fault). */
export const IR_NOP: i32 = 48;

/** Does an instruction of op `op` end its block (a branch, JAL or JALR)? */
export function isBlockEnd(op: i32): bool {
  return op >= IR_BEQ && op <= IR_JALR;
}
