// The F and D extensions (RISC-V unprivileged spec 2.2, chapters "F" and "D"; the compressed
// C.FLW/C.FSW/C.FLD/C.FSD and their SP forms, chapter "C"): decode, the FP register file,
// fcsr, mstatus.FS and FP loads and stores. The arithmetic is software IEEE 754 in fpu/.
//
// Two ways in: run() calls fpExecute() for every FP instruction the interpreter's fast loop
// hands it; while the vCPU has F and D and mstatus.FS is Dirty (fpFastRegs), the fast loop
// itself does FP loads and stores that hit the TLB (mirroring memLoad/memStore below) and calls
// fpExecute() for the arithmetic, whose only fault is an illegal instruction. The FP state is
// per vCPU in its block (V_F, V_FCSR, V_MISA): nothing to switch, both paths address it there.
//
// - A vCPU without F and D (misa, "fpu": false) or with mstatus.FS = Off: illegal instruction.
// - An instruction that writes an f register, or raises a flag, sets FS to Dirty (priv spec
//   §3.1.6.6); one that only reads FP state (FSW, FMV.X.W, FCLASS, a compare without flags) does
//   not.
// - rm = 5 or 6, or 7 (DYN) with frm = 5..7: illegal instruction (the ratified F 2.2 behaviour).
// - Single-precision operands are read NaN-boxed: an f register whose upper word is not all
//   ones reads as the canonical NaN; single results are written boxed. FLW/FSW, FMV.W.X and
//   FMV.X.W move the low 32 bits unchanged.

import { load32, store32 } from "../shim";
import {
  HART_X, V_F, V_FCSR, V_MISA, V_MSTATUS, TLB_LOAD, TLB_TABLE, tlbSetAddr,
} from "../layout";
import { raise, slowStatus, CAUSE_ILLEGAL, STATUS_FAULT, STATUS_RETRY } from "./fault";
import { cReg, cImmLw, cImmLwsp, cImmSwsp, cImmLd, cImmLdsp, cImmSdsp } from "./decode";
import { MSTATUS_FS, MSTATUS_FS_DIRTY, MISA_F, MISA_D } from "../kernel/bits";
import { loadSlow, storeSlow, loadSlow64, storeSlow64, loadedHi, dataPriv } from "../mmu/access";
import { tlbSlot, MASK_WORD, MASK_DOUBLE } from "../mmu/tlb";
import { triggerData, MC_LOAD, MC_STORE } from "../kernel/trigger";
import { FMT_S, FMT_D, RM_DYN, fpBegin, fpFlags, rHi, rLo } from "../fpu/ieee";
import { fpAdd, fpMul, fpDiv, fpSqrt, fpFma } from "../fpu/arith";
import { fpToInt, fpFromInt, fpConvert } from "../fpu/convert";
import { fpCompare, fpMinMax, fpClass, fpSignInject } from "../fpu/compare";

/** The canonical NaN of binary32: what a single operand that is not NaN-boxed reads as. */
const NAN_S: i32 = 0x7fc00000;

// ── FP state of a vCPU (also used by the fcsr CSRs, kernel/csr.ts) ──────────────────────────

/** May the vCPU touch F state now: does it have F, and is mstatus.FS not Off? */
export function fpEnabled(vcpu: i32): bool {
  return (load32(vcpu + V_MISA) & MISA_F) != 0 && (load32(vcpu + V_MSTATUS) & MSTATUS_FS) != 0;
}

/**
 * The interpreter's fast loop (cpu/exec.ts) executes FP instructions itself when this is not 0:
 * the address of the vCPU's f registers, given while the vCPU has F and D and mstatus.FS is
 * Dirty, so that nothing it does can change mstatus (FP loads and stores on a TLB hit inline,
 * the arithmetic through fpExecute). Otherwise every FP instruction leaves the loop for run().
 */
export function fpFastRegs(vcpu: i32): i32 {
  return (load32(vcpu + V_MISA) & MISA_F) != 0 && (load32(vcpu + V_MSTATUS) & MSTATUS_FS) == MSTATUS_FS_DIRTY ? vcpu + V_F : 0;
}

/** The FP state changed: mstatus.FS = Dirty. */
export function fpMarkDirty(vcpu: i32): void {
  store32(vcpu + V_MSTATUS, load32(vcpu + V_MSTATUS) | MSTATUS_FS_DIRTY);
}

function fAddr(vcpu: i32, r: i32): i32 {
  return vcpu + V_F + (r << 3);
}

/** A single-precision operand: the low word if NaN-boxed, else the canonical NaN. */
function readS(vcpu: i32, r: i32): i32 {
  const a = fAddr(vcpu, r);
  return load32(a + 4) == -1 ? load32(a) : NAN_S;
}

/** Write an f register (a single as hi = -1) and mark the state Dirty. */
function writeF(vcpu: i32, r: i32, hi: i32, lo: i32): void {
  const a = fAddr(vcpu, r);
  store32(a, lo);
  store32(a + 4, hi);
  fpMarkDirty(vcpu);
}

/** Write the operation's result (rHi/rLo of fpu/ieee.ts) in format fmt. */
function writeResult(vcpu: i32, r: i32, fmt: i32): void {
  writeF(vcpu, r, fmt == FMT_S ? -1 : rHi, rLo);
}

/** Accrue the flags the operation raised into fflags. */
function accrue(vcpu: i32): void {
  if (fpFlags != 0) {
    store32(vcpu + V_FCSR, load32(vcpu + V_FCSR) | fpFlags);
    fpMarkDirty(vcpu);
  }
}

function writeX(r: i32, value: i32): void {
  if (r != 0) store32(HART_X + (r << 2), value);
}

function readX(r: i32): i32 {
  return load32(HART_X + (r << 2));
}

/** Does the vCPU have the format's extension (S: F, D: D; H and Q: none)? */
function hasFormat(vcpu: i32, fmt: i32): bool {
  const misa = load32(vcpu + V_MISA);
  return fmt == FMT_S ? (misa & MISA_F) != 0 : fmt == FMT_D && (misa & MISA_D) != 0;
}

/** The rounding mode of the instruction (its rm field, or frm for DYN), or -1 if reserved. */
function roundingMode(vcpu: i32, insn: i32): i32 {
  let rm = (insn >> 12) & 7;
  if (rm == RM_DYN) rm = (load32(vcpu + V_FCSR) >> 5) & 7;
  return rm <= 4 ? rm : -1;
}

function illegal(insn: i32): void {
  raise(CAUSE_ILLEGAL, insn);
}

// ── Execution ───────────────────────────────────────────────────────────────────────────────

/**
 * Execute the FP instruction `insn` at `pc` (a 16-bit one in the low half); any other encoding
 * is an illegal instruction. Faults are raised through cpu/fault.ts; a load or store may also
 * leave a status (a device's request, a watched store) in slowStatus, as loadSlow/storeSlow do.
 */
export function fpExecute(vcpu: i32, insn: i32, pc: i32): void {
  if (!fpEnabled(vcpu)) {
    illegal(insn);
    return;
  }
  if ((insn & 3) != 3) {
    compressed(vcpu, insn, pc);
    return;
  }
  const rd = (insn >> 7) & 31;
  const rs1 = (insn >> 15) & 31;
  const rs2 = (insn >> 20) & 31;
  switch (insn & 0x7f) {
    case 0x07: { // LOAD-FP: FLW, FLD
      const f3 = (insn >> 12) & 7;
      if (f3 == 2 || (f3 == 3 && hasFormat(vcpu, FMT_D))) {
        memLoad(vcpu, insn, pc, i32(readX(rs1) + (insn >> 20)), rd, f3 == 3);
      } else {
        illegal(insn);
      }
      break;
    }
    case 0x27: { // STORE-FP: FSW, FSD
      const f3 = (insn >> 12) & 7;
      if (f3 == 2 || (f3 == 3 && hasFormat(vcpu, FMT_D))) {
        const imm = ((insn >> 20) & -32) | ((insn >> 7) & 31);
        memStore(vcpu, insn, pc, i32(readX(rs1) + imm), rs2, f3 == 3);
      } else {
        illegal(insn);
      }
      break;
    }
    case 0x43: // FMADD
    case 0x47: // FMSUB
    case 0x4b: // FNMSUB
    case 0x4f: { // FNMADD
      const fmt = (insn >> 25) & 3;
      const rm = roundingMode(vcpu, insn);
      if (!hasFormat(vcpu, fmt) || rm < 0) {
        illegal(insn);
        break;
      }
      const k = (insn >> 2) & 3; // 0 FMADD, 1 FMSUB, 2 FNMSUB, 3 FNMADD
      const rs3 = (insn >>> 27) & 31;
      fpBegin(rm);
      if (fmt == FMT_S) {
        fpFma(fmt, 0, readS(vcpu, rs1), 0, readS(vcpu, rs2), 0, readS(vcpu, rs3), k >> 1, k & 1);
      } else {
        const a = fAddr(vcpu, rs1);
        const b = fAddr(vcpu, rs2);
        const c = fAddr(vcpu, rs3);
        fpFma(fmt, load32(a + 4), load32(a), load32(b + 4), load32(b), load32(c + 4), load32(c), k >> 1, k & 1);
      }
      writeResult(vcpu, rd, fmt);
      accrue(vcpu);
      break;
    }
    case 0x53:
      opFp(vcpu, insn, rd, rs1, rs2);
      break;
    default:
      illegal(insn);
      break;
  }
}

/** OP-FP: arithmetic, sign injection, min/max, conversions, compares, classify, moves. */
function opFp(vcpu: i32, insn: i32, rd: i32, rs1: i32, rs2: i32): void {
  const fmt = (insn >> 25) & 3;
  const f5 = (insn >>> 27) & 31;
  const f3 = (insn >> 12) & 7;
  if (!hasFormat(vcpu, fmt)) {
    illegal(insn);
    return;
  }
  // Operands in format fmt: a from rs1, b from rs2 (a binary32 in the low word, boxed check done).
  const a = fAddr(vcpu, rs1);
  const b = fAddr(vcpu, rs2);
  const ah = fmt == FMT_S ? 0 : load32(a + 4);
  const al = fmt == FMT_S ? readS(vcpu, rs1) : load32(a);
  const bh = fmt == FMT_S ? 0 : load32(b + 4);
  const bl = fmt == FMT_S ? readS(vcpu, rs2) : load32(b);
  // Instructions that round validate rm first.
  let rm = 0;
  if (f5 <= 0x03 || f5 == 0x0b || f5 == 0x08 || f5 == 0x18 || f5 == 0x1a) {
    rm = roundingMode(vcpu, insn);
    if (rm < 0) {
      illegal(insn);
      return;
    }
  }
  fpBegin(rm);
  switch (f5) {
    case 0x00: // FADD
    case 0x01: // FSUB
      fpAdd(fmt, ah, al, bh, bl, f5);
      break;
    case 0x02: // FMUL
      fpMul(fmt, ah, al, bh, bl);
      break;
    case 0x03: // FDIV
      fpDiv(fmt, ah, al, bh, bl);
      break;
    case 0x0b: // FSQRT
      if (rs2 != 0) {
        illegal(insn);
        return;
      }
      fpSqrt(fmt, ah, al);
      break;
    case 0x04: // FSGNJ, FSGNJN, FSGNJX
      if (f3 > 2) {
        illegal(insn);
        return;
      }
      fpSignInject(fmt, ah, al, bh, bl, f3);
      break;
    case 0x05: // FMIN, FMAX
      if (f3 > 1) {
        illegal(insn);
        return;
      }
      fpMinMax(fmt, ah, al, bh, bl, f3);
      break;
    case 0x08: { // FCVT.S.D (fmt S, rs2 = 1), FCVT.D.S (fmt D, rs2 = 0): both need D
      if (!hasFormat(vcpu, FMT_D) || rs2 != (fmt == FMT_S ? 1 : 0)) {
        illegal(insn);
        return;
      }
      if (fmt == FMT_S) fpConvert(FMT_S, load32(a + 4), load32(a));
      else fpConvert(FMT_D, 0, readS(vcpu, rs1));
      break;
    }
    case 0x14: // FLE, FLT, FEQ
      if (f3 > 2) {
        illegal(insn);
        return;
      }
      writeX(rd, fpCompare(fmt, ah, al, bh, bl, f3));
      accrue(vcpu);
      return;
    case 0x18: // FCVT.W.fmt, FCVT.WU.fmt
      if (rs2 > 1) {
        illegal(insn);
        return;
      }
      writeX(rd, fpToInt(fmt, ah, al, rs2 == 1));
      accrue(vcpu);
      return;
    case 0x1a: // FCVT.fmt.W, FCVT.fmt.WU
      if (rs2 > 1) {
        illegal(insn);
        return;
      }
      fpFromInt(fmt, readX(rs1), rs2 == 1);
      break;
    case 0x1c: // FMV.X.W (f3 0, single only), FCLASS (f3 1)
      if (rs2 != 0 || f3 > 1 || (f3 == 0 && fmt != FMT_S)) {
        illegal(insn);
        return;
      }
      // FMV.X.W moves the low word as it is (no NaN-box check).
      writeX(rd, f3 == 0 ? load32(a) : fpClass(fmt, ah, al));
      return;
    case 0x1e: // FMV.W.X (single only)
      if (rs2 != 0 || f3 != 0 || fmt != FMT_S) {
        illegal(insn);
        return;
      }
      writeF(vcpu, rd, -1, readX(rs1));
      return;
    default:
      illegal(insn);
      return;
  }
  writeResult(vcpu, rd, fmt);
  accrue(vcpu);
}

/** C.FLD, C.FLW, C.FSD, C.FSW and their SP forms (RV32). */
function compressed(vcpu: i32, insn: i32, pc: i32): void {
  const sp = load32(HART_X + 8);
  switch (((insn >> 11) & 0x1c) | (insn & 3)) {
    case 0x04: // C.FLD
    case 0x14: // C.FSD
      if (!hasFormat(vcpu, FMT_D)) break;
      if ((insn & 0x8000) == 0) memLoad(vcpu, insn, pc, i32(readX(cReg(insn, 7)) + cImmLd(insn)), cReg(insn, 2), true);
      else memStore(vcpu, insn, pc, i32(readX(cReg(insn, 7)) + cImmLd(insn)), cReg(insn, 2), true);
      return;
    case 0x0c: // C.FLW
      memLoad(vcpu, insn, pc, i32(readX(cReg(insn, 7)) + cImmLw(insn)), cReg(insn, 2), false);
      return;
    case 0x1c: // C.FSW
      memStore(vcpu, insn, pc, i32(readX(cReg(insn, 7)) + cImmLw(insn)), cReg(insn, 2), false);
      return;
    case 0x06: // C.FLDSP
      if (!hasFormat(vcpu, FMT_D)) break;
      memLoad(vcpu, insn, pc, i32(sp + cImmLdsp(insn)), (insn >> 7) & 31, true);
      return;
    case 0x0e: // C.FLWSP
      memLoad(vcpu, insn, pc, i32(sp + cImmLwsp(insn)), (insn >> 7) & 31, false);
      return;
    case 0x16: // C.FSDSP
      if (!hasFormat(vcpu, FMT_D)) break;
      memStore(vcpu, insn, pc, i32(sp + cImmSdsp(insn)), (insn >> 2) & 31, true);
      return;
    case 0x1e: // C.FSWSP
      memStore(vcpu, insn, pc, i32(sp + cImmSwsp(insn)), (insn >> 2) & 31, false);
      return;
    default:
      break;
  }
  illegal(insn);
}

/**
 * FLW / FLD into f register `rd`: through the load TLB (one compare, one add), else the slow
 * path, after the load triggers (pages a trigger may match are never in the TLB).
 */
function memLoad(vcpu: i32, insn: i32, pc: i32, addr: i32, rd: i32, double: bool): void {
  const e = tlbSetAddr(vcpu, dataPriv(vcpu)) + TLB_LOAD + tlbSlot(addr);
  let lo = 0;
  let hi = -1;
  if (load32(e) == (addr & (double ? MASK_DOUBLE : MASK_WORD))) {
    const host = i32(addr + load32(e + 4));
    lo = load32(host);
    if (double) hi = load32(host + 4);
  } else {
    if (triggerData(vcpu, MC_LOAD, addr, double ? 8 : 4, pc, insn)) return;
    if (double) {
      lo = loadSlow64(vcpu, addr);
      hi = loadedHi;
    } else {
      lo = loadSlow(vcpu, addr, 2);
    }
    if (slowStatus == STATUS_FAULT || slowStatus == STATUS_RETRY) return;
  }
  writeF(vcpu, rd, hi, lo);
}

/** FSW / FSD of f register `rs2` (FSW stores the low word as it is). */
function memStore(vcpu: i32, insn: i32, pc: i32, addr: i32, rs2: i32, double: bool): void {
  const src = fAddr(vcpu, rs2);
  const lo = load32(src);
  const hi = load32(src + 4);
  const e = tlbSetAddr(vcpu, dataPriv(vcpu)) + TLB_LOAD + TLB_TABLE + tlbSlot(addr);
  if (load32(e) == (addr & (double ? MASK_DOUBLE : MASK_WORD))) {
    const host = i32(addr + load32(e + 4));
    store32(host, lo);
    if (double) store32(host + 4, hi);
    return;
  }
  if (triggerData(vcpu, MC_STORE, addr, double ? 8 : 4, pc, insn)) return;
  if (double) storeSlow64(vcpu, addr, lo, hi);
  else storeSlow(vcpu, addr, 2, lo);
}
