// Operations on encodings that need no rounding: comparisons (IEEE 754-2008 §5.11; FEQ quiet,
// FLT and FLE signalling), minimumNumber / maximumNumber as RISC-V F 2.2 defines FMIN and FMAX
// (-0 < +0; one NaN operand gives the other operand; NV for any signalling NaN), and FCLASS.

import {
  FMT_S, FLAG_NV, isNaN, isSNaN, raiseFlags, resultNaN, resultBits,
} from "./ieee";

export const CMP_LE: i32 = 0;
export const CMP_LT: i32 = 1;
export const CMP_EQ: i32 = 2;

/** Is the encoding a zero of either sign? */
function isZero(fmt: i32, hi: i32, lo: i32): bool {
  return fmt == FMT_S ? (lo & 0x7fffffff) == 0 : ((hi & 0x7fffffff) | lo) == 0;
}

/** a < b for two non-NaN encodings, -0 < +0 (the order FMIN and FMAX use). */
function lessOrdered(fmt: i32, ah: i32, al: i32, bh: i32, bl: i32): bool {
  const as = fmt == FMT_S ? i32(al >>> 31) : i32(ah >>> 31);
  const bs = fmt == FMT_S ? i32(bl >>> 31) : i32(bh >>> 31);
  if (as != bs) return as != 0;
  // Same sign: compare magnitudes (the encodings order them); negative numbers reverse it.
  let less = false;
  let equal = false;
  if (fmt == FMT_S) {
    less = u32(al & 0x7fffffff) < u32(bl & 0x7fffffff);
    equal = (al & 0x7fffffff) == (bl & 0x7fffffff);
  } else {
    const ma = ah & 0x7fffffff;
    const mb = bh & 0x7fffffff;
    less = u32(ma) < u32(mb) || (ma == mb && u32(al) < u32(bl));
    equal = ma == mb && al == bl;
  }
  return as == 0 ? less : !less && !equal;
}

/** FEQ, FLT, FLE: 1 if the relation holds, else 0 (0 for any NaN operand). */
export function fpCompare(fmt: i32, ah: i32, al: i32, bh: i32, bl: i32, op: i32): i32 {
  if (isNaN(fmt, ah, al) || isNaN(fmt, bh, bl)) {
    if (op != CMP_EQ || isSNaN(fmt, ah, al) || isSNaN(fmt, bh, bl)) raiseFlags(FLAG_NV);
    return 0;
  }
  const zeros = isZero(fmt, ah, al) && isZero(fmt, bh, bl); // +0 = -0
  const equal = zeros || (al == bl && (fmt == FMT_S || ah == bh));
  if (op == CMP_EQ) return equal ? 1 : 0;
  const less = !zeros && lessOrdered(fmt, ah, al, bh, bl);
  return less || (op == CMP_LE && equal) ? 1 : 0;
}

/** FMIN (max = 0) and FMAX (max = 1). */
export function fpMinMax(fmt: i32, ah: i32, al: i32, bh: i32, bl: i32, max: i32): void {
  const aNaN = isNaN(fmt, ah, al);
  const bNaN = isNaN(fmt, bh, bl);
  if (isSNaN(fmt, ah, al) || isSNaN(fmt, bh, bl)) raiseFlags(FLAG_NV);
  if (aNaN && bNaN) {
    resultNaN(fmt);
  } else if (aNaN) {
    resultBits(fmt, bh, bl, 0);
  } else if (bNaN) {
    resultBits(fmt, ah, al, 0);
  } else if (lessOrdered(fmt, ah, al, bh, bl) != (max != 0)) {
    resultBits(fmt, ah, al, 0);
  } else {
    resultBits(fmt, bh, bl, 0);
  }
}

/** FCLASS: the 10-bit class mask. */
export function fpClass(fmt: i32, hi: i32, lo: i32): i32 {
  let sign = 0;
  let expAllOnes = false;
  let expZero = false;
  let fracZero = false;
  let quiet = false;
  if (fmt == FMT_S) {
    sign = i32(lo >>> 31);
    const e = (lo >>> 23) & 0xff;
    expAllOnes = e == 0xff;
    expZero = e == 0;
    fracZero = (lo & 0x7fffff) == 0;
    quiet = (lo & 0x400000) != 0;
  } else {
    sign = i32(hi >>> 31);
    const e = (hi >>> 20) & 0x7ff;
    expAllOnes = e == 0x7ff;
    expZero = e == 0;
    fracZero = ((hi & 0xfffff) | lo) == 0;
    quiet = (hi & 0x80000) != 0;
  }
  if (expAllOnes) {
    if (fracZero) return sign != 0 ? 1 << 0 : 1 << 7; // ∓∞
    return quiet ? 1 << 9 : 1 << 8;
  }
  if (expZero) {
    if (fracZero) return sign != 0 ? 1 << 3 : 1 << 4; // ∓0
    return sign != 0 ? 1 << 2 : 1 << 5; // subnormal
  }
  return sign != 0 ? 1 << 1 : 1 << 6; // normal
}

/** FSGNJ (op 0), FSGNJN (1), FSGNJX (2): a's bits with the sign from b; no flags, no NaN change. */
export function fpSignInject(fmt: i32, ah: i32, al: i32, bh: i32, bl: i32, op: i32): void {
  const aWord = fmt == FMT_S ? al : ah;
  const bWord = fmt == FMT_S ? bl : bh;
  const bSign = bWord & i32(0x80000000);
  const sign = op == 0 ? bSign : op == 1 ? bSign ^ i32(0x80000000) : (aWord ^ bWord) & i32(0x80000000);
  const word = (aWord & 0x7fffffff) | sign;
  if (fmt == FMT_S) resultBits(fmt, 0, word, 0);
  else resultBits(fmt, word, al, 0);
}
