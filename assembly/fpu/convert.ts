// Conversions (IEEE 754-2008 §5.4.1, §5.8 and the RISC-V rules for integer results): between
// binary32 and binary64, and from and to 32-bit signed and unsigned integers. An integer result
// out of range, or from a NaN or infinity, is the RISC-V clipped value with NV (and no NX); an
// in-range result that is not exact raises NX.

import { clz32 } from "../shim";
import { wHi, wLo, shl64, shr64Jam } from "./wide";
import {
  FMT_S, FMT_D, FLAG_NV, FLAG_NX, CLS_ZERO, CLS_INF, CLS_QNAN, CLS_SNAN, uCls, uSign, uExp, uHi,
  uLo, unpack, raiseFlags, resultNaN, resultInf, resultZero, roundPack, roundUp,
} from "./ieee";

const INT_MIN: i32 = i32(0x80000000);
const INT_MAX: i32 = 0x7fffffff;

/** The clipped result of an invalid conversion to an integer (NaN counts as positive). */
function clip(sign: i32, unsigned: bool): i32 {
  raiseFlags(FLAG_NV);
  if (unsigned) return sign != 0 ? 0 : -1;
  return sign != 0 ? INT_MIN : INT_MAX;
}

/** FCVT.W[U].S/D: the value rounded (fpRm) to a 32-bit signed or unsigned integer. */
export function fpToInt(fmt: i32, hi: i32, lo: i32, unsigned: bool): i32 {
  unpack(fmt, hi, lo);
  if (uCls >= CLS_QNAN) return clip(0, unsigned);
  if (uCls == CLS_INF) return clip(uSign, unsigned);
  if (uCls == CLS_ZERO) return 0;
  const sign = uSign;
  const e = uExp;
  if (e > 31) return clip(sign, unsigned); // |value| ≥ 2^32
  // The integer part in the high word, the fraction (with its sticky bit) in the low word.
  shl64(uHi, uLo, 11);
  shr64Jam(wHi, wLo, i32(31 - e));
  const int = wHi;
  const frac = wLo;
  const inc = roundUp(sign, frac, i32(0x80000000), int & 1);
  const rounded = i32(int + inc);
  const carry = inc != 0 && int == -1; // 2^32: out of range either way
  let ok = false;
  let result = 0;
  if (unsigned) {
    ok = !carry && (sign == 0 || rounded == 0);
    result = sign == 0 ? rounded : 0;
  } else {
    ok = !carry && u32(rounded) <= (sign != 0 ? u32(INT_MIN) : u32(INT_MAX));
    result = sign != 0 ? i32(0 - rounded) : rounded;
  }
  if (!ok) return clip(sign, unsigned);
  if (frac != 0) raiseFlags(FLAG_NX);
  return result;
}

/** FCVT.S/D.W[U]: a 32-bit integer, rounded (binary32) or exact (binary64). */
export function fpFromInt(fmt: i32, value: i32, unsigned: bool): void {
  if (value == 0) {
    resultZero(fmt, 0);
    return;
  }
  const sign = !unsigned && value < 0 ? 1 : 0;
  const mag = sign != 0 ? i32(0 - value) : value;
  const k = clz32(mag);
  roundPack(fmt, sign, i32(31 - k), mag << k, 0);
}

/** FCVT.S.D (to = FMT_S) and FCVT.D.S (to = FMT_D). */
export function fpConvert(to: i32, hi: i32, lo: i32): void {
  const from = to == FMT_S ? FMT_D : FMT_S;
  unpack(from, hi, lo);
  if (uCls >= CLS_QNAN) {
    if (uCls == CLS_SNAN) raiseFlags(FLAG_NV);
    resultNaN(to);
    return;
  }
  if (uCls == CLS_INF) {
    resultInf(to, uSign);
    return;
  }
  if (uCls == CLS_ZERO) {
    resultZero(to, uSign);
    return;
  }
  shl64(uHi, uLo, 11);
  roundPack(to, uSign, uExp, wHi, wLo);
}
