// IEEE 754-2008 binary32 and binary64 in software, with 32-bit words only: the state of one
// operation (rounding mode, the exception flags it raises, its result), unpacking operands and
// the one place results are rounded and packed (roundPack).
//
// Why software: host floating point rounds to nearest only, reports no exception flags, and the
// pure-TS core would need it to agree bit for bit with Wasm's; integer arithmetic on 32-bit words
// is exact on both cores. Every operation computes its result exactly, or exactly enough: the
// significand with at least two bits beyond the format's precision plus a sticky bit (the OR of
// everything below), which determines the correctly rounded result in every rounding mode. Then
// roundPack() rounds once, detects tininess after rounding (RISC-V unprivileged spec, "Subnormal
// Arithmetic"), and raises inexact, underflow and overflow as IEEE 754-2008 §7 defines them.
//
// Values cross this interface as encodings: a binary32 in one word (lo), a binary64 as {hi, lo}.
// Unpacked, a finite nonzero value is sign, exponent e and a 53-bit significand m with its leading
// one at bit 52 (word pair {uHi, uLo}): value = (-1)^sign × m × 2^(e - 52), subnormals
// normalised, binary32 significands placed at the same bit positions (29 zeros below them).

import { clz32 } from "../shim";
import { wHi, wLo, clz64, shl64, shr64Jam } from "./wide";

export const FMT_S: i32 = 0;
export const FMT_D: i32 = 1;

// Rounding modes (the rm field, frm).
export const RM_RNE: i32 = 0;
export const RM_RTZ: i32 = 1;
export const RM_RDN: i32 = 2;
export const RM_RUP: i32 = 3;
export const RM_RMM: i32 = 4;
/** In an instruction's rm field: use frm. */
export const RM_DYN: i32 = 7;

// Exception flags (fflags bits).
export const FLAG_NX: i32 = 1;
export const FLAG_UF: i32 = 2;
export const FLAG_OF: i32 = 4;
export const FLAG_DZ: i32 = 8;
export const FLAG_NV: i32 = 16;

/** The rounding mode of the operation in progress (RM_RNE … RM_RMM). */
export let fpRm: i32 = 0;
/** Flags the operations since the last fpBegin() raised. */
export let fpFlags: i32 = 0;
/** The result: a binary32 in rLo, a binary64 in {rHi, rLo}. */
export let rHi: i32 = 0;
export let rLo: i32 = 0;

/** Start an operation with rounding mode `rm` and no flags raised. */
export function fpBegin(rm: i32): void {
  fpRm = rm;
  fpFlags = 0;
}

export function raiseFlags(flags: i32): void {
  fpFlags |= flags;
}

// Classes of unpacked values.
export const CLS_ZERO: i32 = 0;
export const CLS_FINITE: i32 = 1;
export const CLS_INF: i32 = 2;
export const CLS_QNAN: i32 = 3;
export const CLS_SNAN: i32 = 4;

/** The last unpack(): class, sign, exponent and significand (see the top of this file). */
export let uCls: i32 = 0;
export let uSign: i32 = 0;
export let uExp: i32 = 0;
export let uHi: i32 = 0;
export let uLo: i32 = 0;

/** Unpack a binary32 (`lo`) or binary64 (`hi`, `lo`). */
export function unpack(fmt: i32, hi: i32, lo: i32): void {
  if (fmt == FMT_S) {
    uSign = i32(lo >>> 31);
    const e = (lo >>> 23) & 0xff;
    let f = lo & 0x7fffff;
    if (e == 0xff) {
      uCls = f == 0 ? CLS_INF : (f & 0x400000) != 0 ? CLS_QNAN : CLS_SNAN;
      return;
    }
    if (e == 0) {
      if (f == 0) {
        uCls = CLS_ZERO;
        return;
      }
      const s = i32(clz32(f) - 8); // brings the leading one to bit 23
      f = f << s;
      uExp = i32(-126 - s);
    } else {
      f |= 0x800000;
      uExp = i32(e - 127);
    }
    uCls = CLS_FINITE;
    uHi = i32(f >>> 3);
    uLo = f << 29;
    return;
  }
  uSign = i32(hi >>> 31);
  const e = (hi >>> 20) & 0x7ff;
  let fh = hi & 0xfffff;
  let fl = lo;
  if (e == 0x7ff) {
    uCls = (fh | fl) == 0 ? CLS_INF : (fh & 0x80000) != 0 ? CLS_QNAN : CLS_SNAN;
    return;
  }
  if (e == 0) {
    if ((fh | fl) == 0) {
      uCls = CLS_ZERO;
      return;
    }
    const s = i32(clz64(fh, fl) - 11); // brings the leading one to bit 52
    shl64(fh, fl, s);
    fh = wHi;
    fl = wLo;
    uExp = i32(-1022 - s);
  } else {
    fh |= 0x100000;
    uExp = i32(e - 1023);
  }
  uCls = CLS_FINITE;
  uHi = fh;
  uLo = fl;
}

/** Is the encoding a NaN (quiet or signalling)? */
export function isNaN(fmt: i32, hi: i32, lo: i32): bool {
  if (fmt == FMT_S) return (lo & 0x7fffffff) > 0x7f800000;
  const h = hi & 0x7fffffff;
  return h > 0x7ff00000 || (h == 0x7ff00000 && lo != 0);
}

/** Is the encoding a signalling NaN? */
export function isSNaN(fmt: i32, hi: i32, lo: i32): bool {
  if (fmt == FMT_S) return (lo & 0x7fc00000) == 0x7f800000 && (lo & 0x3fffff) != 0;
  return (hi & 0x7ff80000) == 0x7ff00000 && ((hi & 0x7ffff) | lo) != 0;
}

// ── Special results ─────────────────────────────────────────────────────────────────────────

/** The canonical NaN (RISC-V: positive, quiet bit only). */
export function resultNaN(fmt: i32): void {
  if (fmt == FMT_S) {
    rLo = 0x7fc00000;
  } else {
    rHi = 0x7ff80000;
    rLo = 0;
  }
}

export function resultInf(fmt: i32, sign: i32): void {
  if (fmt == FMT_S) {
    rLo = (sign << 31) | 0x7f800000;
  } else {
    rHi = (sign << 31) | 0x7ff00000;
    rLo = 0;
  }
}

export function resultZero(fmt: i32, sign: i32): void {
  rHi = sign << 31;
  rLo = fmt == FMT_S ? sign << 31 : 0;
}

/** The encoding itself (an exact result: an operand, possibly with its sign flipped). */
export function resultBits(fmt: i32, hi: i32, lo: i32, flipSign: i32): void {
  if (fmt == FMT_S) {
    rLo = lo ^ (flipSign << 31);
  } else {
    rHi = hi ^ (flipSign << 31);
    rLo = lo;
  }
}

/** The sign of an exact zero sum of operands of opposite signs (IEEE 754-2008 §6.3). */
export function zeroSumSign(): i32 {
  return fpRm == RM_RDN ? 1 : 0;
}

// ── Rounding ────────────────────────────────────────────────────────────────────────────────

/**
 * Whether to add one unit in the last place: `rest` is what lies below it, as an unsigned
 * fraction of the unit scaled so that `half` is one half; lsb is the last kept bit.
 */
export function roundUp(sign: i32, rest: i32, half: i32, lsb: i32): i32 {
  if (rest == 0) return 0;
  switch (fpRm) {
    case RM_RNE: return u32(rest) > u32(half) || (rest == half && lsb != 0) ? 1 : 0;
    case RM_RTZ: return 0;
    case RM_RDN: return sign;
    case RM_RUP: return sign ^ 1;
    default: return u32(rest) >= u32(half) ? 1 : 0; // RMM
  }
}

/** Does an overflow round to infinity (else to the largest finite number)? */
function overflowToInf(sign: i32): bool {
  return fpRm == RM_RNE || fpRm == RM_RMM || (fpRm == RM_RUP && sign == 0) || (fpRm == RM_RDN && sign != 0);
}

/**
 * Round and pack a finite nonzero result: (-1)^sign × {hi, lo} × 2^(exp - 63), where {hi, lo}
 * has its leading one at bit 63 and every bit below the format's precision that the exact value
 * has beyond it jammed into bit 0. Raises NX, UF (tiny after rounding and inexact) and OF.
 */
export function roundPack(fmt: i32, sign: i32, exp: i32, hi: i32, lo: i32): void {
  if (fmt == FMT_S) roundPackS(sign, exp, hi | (lo != 0 ? 1 : 0));
  else roundPackD(sign, exp, hi, lo);
}

/** binary32: 24 bits kept (bits 31..8 of sig), 8 below. */
function roundPackS(sign: i32, exp: i32, sig: i32): void {
  let e = exp;
  let s = sig;
  let tiny = false;
  if (e < -126) {
    // Tiny after rounding: unless rounding to 24 bits with an unbounded exponent carries the
    // value up to 2^-126, the smallest normal number.
    tiny = e < -127 || !((s >>> 8) == 0xffffff && roundUp(sign, s & 0xff, 0x80, 1) != 0);
    if (e < -157) s = s != 0 ? 1 : 0;
    else {
      const n = -126 - e;
      s = i32(s >>> n) | ((s << (32 - n)) != 0 ? 1 : 0);
    }
    e = -126;
  }
  const rest = s & 0xff;
  // The significand with its leading one (bit 23 for a normal number) and the increment; a
  // carry out of 24 bits moves into the exponent field through the addition below.
  const m = i32((s >>> 8) + roundUp(sign, rest, 0x80, (s >>> 8) & 1));
  if (e > 127 || (e == 127 && m == 0x1000000)) {
    fpFlags |= FLAG_OF | FLAG_NX;
    rLo = (sign << 31) | (overflowToInf(sign) ? 0x7f800000 : 0x7f7fffff);
    return;
  }
  if (rest != 0) fpFlags |= tiny ? FLAG_NX | FLAG_UF : FLAG_NX;
  rLo = (sign << 31) | i32(((e + 126) << 23) + m);
}

/** binary64: 53 bits kept (bits 63..11), 11 below. */
function roundPackD(sign: i32, exp: i32, hi: i32, lo: i32): void {
  let e = exp;
  let h = hi;
  let l = lo;
  let tiny = false;
  if (e < -1022) {
    tiny = e < -1023 || !(h == -1 && (l >>> 11) == 0x1fffff && roundUp(sign, l & 0x7ff, 0x400, 1) != 0);
    shr64Jam(h, l, -1022 - e);
    h = wHi;
    l = wLo;
    e = -1022;
  }
  const rest = l & 0x7ff;
  const inc = roundUp(sign, rest, 0x400, (l >>> 11) & 1);
  let mHi = i32(h >>> 11);
  let mLo = i32(l >>> 11) | (h << 21);
  mLo = i32(mLo + inc);
  if (inc != 0 && mLo == 0) mHi = i32(mHi + 1);
  if (e > 1023 || (e == 1023 && mHi == 0x200000)) {
    fpFlags |= FLAG_OF | FLAG_NX;
    if (overflowToInf(sign)) {
      rHi = (sign << 31) | 0x7ff00000;
      rLo = 0;
    } else {
      rHi = (sign << 31) | 0x7fefffff;
      rLo = -1;
    }
    return;
  }
  if (rest != 0) fpFlags |= tiny ? FLAG_NX | FLAG_UF : FLAG_NX;
  rHi = (sign << 31) | i32(((e + 1022) << 20) + mHi);
  rLo = mLo;
}
