// The arithmetic operations of IEEE 754-2008 §5.4.1 in software, for binary32 and binary64:
// addition, multiplication, division, square root and fused multiply-add (one rounding). Each
// computes the exact result, or its leading bits plus a sticky bit, and rounds once through
// roundPack() (ieee.ts). Special operands follow the standard and the RISC-V rules: every NaN
// result is the canonical NaN, signalling NaN operands raise NV, ∞ × 0 in a fused multiply-add
// raises NV even when the addend is a quiet NaN.

import { mul32, udiv64Lo } from "../shim";
import {
  wHi, wLo, x3, x2, x1, x0, clz64, shl64, shr64, shr64Jam, ge64, add64, sub64, mul64, clz128,
  shl128, shr128Jam, add128, sub128, ge128,
} from "./wide";
import {
  FMT_S, FLAG_NV, FLAG_DZ, CLS_ZERO, CLS_INF, CLS_QNAN, CLS_SNAN, uCls, uSign, uExp, uHi, uLo,
  unpack, raiseFlags, resultNaN, resultInf, resultZero, resultBits, zeroSumSign, roundPack,
} from "./ieee";

/** NaN operands: NV if one is signalling; the result is the canonical NaN. */
function nanResult(fmt: i32, signalling: bool): void {
  if (signalling) raiseFlags(FLAG_NV);
  resultNaN(fmt);
}

function invalid(fmt: i32): void {
  raiseFlags(FLAG_NV);
  resultNaN(fmt);
}

/** a + b (negB = 0) or a - b (negB = 1). */
export function fpAdd(fmt: i32, ah: i32, al: i32, bh: i32, bl: i32, negB: i32): void {
  unpack(fmt, ah, al);
  const ac = uCls;
  let as = uSign;
  let ae = uExp;
  let aH = uHi;
  let aL = uLo;
  unpack(fmt, bh, bl);
  const bc = uCls;
  let bs = uSign ^ negB;
  let be = uExp;
  let bH = uHi;
  let bL = uLo;
  if (ac >= CLS_QNAN || bc >= CLS_QNAN) {
    nanResult(fmt, ac == CLS_SNAN || bc == CLS_SNAN);
    return;
  }
  if (ac == CLS_INF) {
    if (bc == CLS_INF && as != bs) invalid(fmt); // ∞ - ∞
    else resultInf(fmt, as);
    return;
  }
  if (bc == CLS_INF) {
    resultInf(fmt, bs);
    return;
  }
  if (ac == CLS_ZERO) {
    if (bc == CLS_ZERO) resultZero(fmt, as == bs ? as : zeroSumSign());
    else resultBits(fmt, bh, bl, negB); // 0 + b = b exactly
    return;
  }
  if (bc == CLS_ZERO) {
    resultBits(fmt, ah, al, 0);
    return;
  }
  // Significands with their leading one at bit 62 (bit 63 takes a carry), the smaller operand
  // aligned to the larger's exponent with the bits it loses jammed.
  if (ae < be) {
    const t = as; as = bs; bs = t;
    const e = ae; ae = be; be = e;
    const h = aH; aH = bH; bH = h;
    const l = aL; aL = bL; bL = l;
  }
  shl64(aH, aL, 10);
  aH = wHi;
  aL = wLo;
  shl64(bH, bL, 10);
  shr64Jam(wHi, wLo, i32(ae - be));
  bH = wHi;
  bL = wLo;
  let sign = as;
  if (as == bs) {
    add64(aH, aL, bH, bL);
  } else if (ge64(aH, aL, bH, bL)) {
    sub64(aH, aL, bH, bL);
  } else {
    sub64(bH, bL, aH, aL);
    sign = bs;
  }
  const sh = wHi;
  const sl = wLo;
  if ((sh | sl) == 0) {
    resultZero(fmt, zeroSumSign()); // x - x
    return;
  }
  const k = clz64(sh, sl);
  shl64(sh, sl, k);
  roundPack(fmt, sign, i32(ae + 1 - k), wHi, wLo);
}

/** a × b. */
export function fpMul(fmt: i32, ah: i32, al: i32, bh: i32, bl: i32): void {
  unpack(fmt, ah, al);
  const ac = uCls;
  const as = uSign;
  const ae = uExp;
  const aH = uHi;
  const aL = uLo;
  unpack(fmt, bh, bl);
  const bc = uCls;
  const sign = as ^ uSign;
  if (ac >= CLS_QNAN || bc >= CLS_QNAN) {
    nanResult(fmt, ac == CLS_SNAN || bc == CLS_SNAN);
    return;
  }
  if (ac == CLS_INF || bc == CLS_INF) {
    if (ac == CLS_ZERO || bc == CLS_ZERO) invalid(fmt); // ∞ × 0
    else resultInf(fmt, sign);
    return;
  }
  if (ac == CLS_ZERO || bc == CLS_ZERO) {
    resultZero(fmt, sign);
    return;
  }
  productRound(fmt, sign, ae, aH, aL, uExp, uHi, uLo);
}

/** Round the product of two unpacked finite nonzero significands. */
function productRound(fmt: i32, sign: i32, ae: i32, aH: i32, aL: i32, be: i32, bH: i32, bL: i32): void {
  // Leading ones at bit 63 of each factor: the product's is at bit 127 or 126.
  shl64(aH, aL, 11);
  const a1 = wHi;
  const a0 = wLo;
  shl64(bH, bL, 11);
  mul64(a1, a0, wHi, wLo);
  let exp = i32(ae + be);
  let hi = x3;
  let lo = x2;
  let rest = x1 | x0;
  if (x3 < 0) {
    exp = i32(exp + 1);
  } else {
    hi = (x3 << 1) | i32(x2 >>> 31);
    lo = (x2 << 1) | i32(x1 >>> 31);
    rest = (x1 << 1) | x0;
  }
  roundPack(fmt, sign, exp, hi, lo | (rest != 0 ? 1 : 0));
}

/** a ÷ b. */
export function fpDiv(fmt: i32, ah: i32, al: i32, bh: i32, bl: i32): void {
  unpack(fmt, ah, al);
  const ac = uCls;
  const as = uSign;
  const ae = uExp;
  let aH = uHi;
  let aL = uLo;
  unpack(fmt, bh, bl);
  const bc = uCls;
  const sign = as ^ uSign;
  if (ac >= CLS_QNAN || bc >= CLS_QNAN) {
    nanResult(fmt, ac == CLS_SNAN || bc == CLS_SNAN);
    return;
  }
  if (ac == CLS_INF) {
    if (bc == CLS_INF) invalid(fmt); // ∞ / ∞
    else resultInf(fmt, sign);
    return;
  }
  if (bc == CLS_INF) {
    resultZero(fmt, sign);
    return;
  }
  if (bc == CLS_ZERO) {
    if (ac == CLS_ZERO) {
      invalid(fmt); // 0 / 0
    } else {
      raiseFlags(FLAG_DZ);
      resultInf(fmt, sign);
    }
    return;
  }
  if (ac == CLS_ZERO) {
    resultZero(fmt, sign);
    return;
  }
  let exp = i32(ae - uExp);
  let bH = uHi;
  let bL = uLo;
  if (fmt == FMT_S) {
    // 24-bit significands: one 64-by-32-bit division gives 32 quotient bits and the remainder.
    let a = (aH << 3) | i32(aL >>> 29);
    const b = (bH << 3) | i32(bL >>> 29);
    if (a < b) {
      a = a << 1;
      exp = i32(exp - 1);
    }
    // a / b is in [1, 2): q = a·2^31 / b is in [2^31, 2^32).
    const q = udiv64Lo(i32(a >>> 1), a << 31, b);
    const r = i32((a << 31) - mul32(q, b));
    roundPack(fmt, sign, exp, q, r != 0 ? 1 : 0);
    return;
  }
  // 53-bit significands: restoring division, one quotient bit per step, 55 bits in all (two
  // beyond the precision), the remainder's being nonzero the sticky bit.
  if (!ge64(aH, aL, bH, bL)) {
    shl64(aH, aL, 1);
    aH = wHi;
    aL = wLo;
    exp = i32(exp - 1);
  }
  let qH = 0;
  let qL = 0;
  for (let i = 0; i < 55; i++) {
    qH = (qH << 1) | i32(qL >>> 31);
    qL = qL << 1;
    if (ge64(aH, aL, bH, bL)) {
      sub64(aH, aL, bH, bL);
      aH = wHi;
      aL = wLo;
      qL |= 1;
    }
    aH = (aH << 1) | i32(aL >>> 31);
    aL = aL << 1;
  }
  shl64(qH, qL, 9);
  roundPack(fmt, sign, exp, wHi, wLo | ((aH | aL) != 0 ? 1 : 0));
}

/** √a. */
export function fpSqrt(fmt: i32, ah: i32, al: i32): void {
  unpack(fmt, ah, al);
  if (uCls >= CLS_QNAN) {
    nanResult(fmt, uCls == CLS_SNAN);
    return;
  }
  if (uCls == CLS_ZERO) {
    resultZero(fmt, uSign); // √-0 = -0
    return;
  }
  if (uSign != 0) {
    invalid(fmt); // negative, -∞ included
    return;
  }
  if (uCls == CLS_INF) {
    resultInf(fmt, 0);
    return;
  }
  let e = uExp;
  let aH = uHi;
  let aL = uLo;
  // An even exponent: m × 2^(e-52) with m in [2^52, 2^54).
  if ((e & 1) != 0) {
    shl64(aH, aL, 1);
    aH = wHi;
    aL = wLo;
    e = i32(e - 1);
  }
  if (fmt == FMT_S) {
    // The root of a·2^27 (a: 24 or 25 bits) has 26 bits: digit by digit in one word.
    const a = (aH << 3) | i32(aL >>> 29);
    const nh = i32(a >>> 5);
    const nl = a << 27;
    let rem = 0;
    let root = 0;
    for (let j = 25; j >= 0; j--) {
      const pair = j >= 16 ? (nh >>> (2 * j - 32)) & 3 : (nl >>> (2 * j)) & 3;
      rem = (rem << 2) | pair;
      const trial = (root << 2) | 1;
      root = root << 1;
      if (u32(rem) >= u32(trial)) {
        rem = i32(rem - trial);
        root |= 1;
      }
    }
    roundPack(fmt, 0, e >> 1, root << 6, rem != 0 ? 1 : 0);
    return;
  }
  // The root of m·2^56 has 55 bits (two beyond the precision); the remainder's being nonzero is
  // the sticky bit. Radicand bit pairs come from m (the 56 zeros below need no storage).
  let remH = 0;
  let remL = 0;
  let rootH = 0;
  let rootL = 0;
  for (let j = 54; j >= 0; j--) {
    let pair = 0;
    if (j >= 28) {
      shr64(aH, aL, 2 * j - 56);
      pair = wLo & 3;
    }
    remH = (remH << 2) | i32(remL >>> 30);
    remL = (remL << 2) | pair;
    const tH = (rootH << 2) | i32(rootL >>> 30);
    const tL = (rootL << 2) | 1;
    rootH = (rootH << 1) | i32(rootL >>> 31);
    rootL = rootL << 1;
    if (ge64(remH, remL, tH, tL)) {
      sub64(remH, remL, tH, tL);
      remH = wHi;
      remL = wLo;
      rootL |= 1;
    }
  }
  shl64(rootH, rootL, 9);
  roundPack(fmt, 0, e >> 1, wHi, wLo | ((remH | remL) != 0 ? 1 : 0));
}

/**
 * a × b + c with one rounding. negProduct negates the product, negAddend the addend: FMADD
 * (0, 0), FMSUB (0, 1), FNMSUB (1, 0), FNMADD (1, 1).
 */
export function fpFma(fmt: i32, ah: i32, al: i32, bh: i32, bl: i32, ch: i32, cl: i32, negProduct: i32, negAddend: i32): void {
  unpack(fmt, ah, al);
  const ac = uCls;
  const as = uSign;
  const ae = uExp;
  const aH = uHi;
  const aL = uLo;
  unpack(fmt, bh, bl);
  const bc = uCls;
  const ps = as ^ uSign ^ negProduct;
  const be = uExp;
  const bH = uHi;
  const bL = uLo;
  unpack(fmt, ch, cl);
  const cc = uCls;
  const cs = uSign ^ negAddend;
  if (ac >= CLS_QNAN || bc >= CLS_QNAN || cc >= CLS_QNAN) {
    // ∞ × 0 is invalid even with a quiet NaN addend (RISC-V unprivileged spec, F extension).
    const infZero = (ac == CLS_INF && bc == CLS_ZERO) || (ac == CLS_ZERO && bc == CLS_INF);
    nanResult(fmt, infZero || ac == CLS_SNAN || bc == CLS_SNAN || cc == CLS_SNAN);
    return;
  }
  if (ac == CLS_INF || bc == CLS_INF) {
    if (ac == CLS_ZERO || bc == CLS_ZERO) invalid(fmt); // ∞ × 0
    else if (cc == CLS_INF && cs != ps) invalid(fmt); // ∞ - ∞
    else resultInf(fmt, ps);
    return;
  }
  if (cc == CLS_INF) {
    resultInf(fmt, cs);
    return;
  }
  if (ac == CLS_ZERO || bc == CLS_ZERO) {
    // An exact zero product: the sum is the addend, or a zero whose sign IEEE 754 §6.3 gives.
    if (cc == CLS_ZERO) resultZero(fmt, ps == cs ? ps : zeroSumSign());
    else resultBits(fmt, ch, cl, negAddend);
    return;
  }
  if (cc == CLS_ZERO) {
    productRound(fmt, ps, ae, aH, aL, be, bH, bL); // x × y ± 0 = x × y, rounded once
    return;
  }
  const ce = uExp;
  const cH = uHi;
  const cL = uLo;
  // The exact product (at most 106 bits) in 128 with its leading one at bit 125 or 124, value
  // X × 2^(ae + be - 124); its low 20 bits are zero, so the shift right by 2 loses nothing.
  shl64(aH, aL, 11);
  const a1 = wHi;
  const a0 = wLo;
  shl64(bH, bL, 11);
  mul64(a1, a0, wHi, wLo);
  let p3 = i32(x3 >>> 2);
  let p2 = (x3 << 30) | i32(x2 >>> 2);
  let p1 = (x2 << 30) | i32(x1 >>> 2);
  let p0 = (x1 << 30) | i32(x0 >>> 2);
  // The addend with its leading one at bit 124: value C × 2^(ce - 124).
  let c3 = (cH << 8) | i32(cL >>> 24);
  let c2 = cL << 8;
  let c1 = 0;
  let c0 = 0;
  // Align the smaller to the larger exponent. Bits can be lost only from an operand at least 20
  // (product) or 72 (addend) places below the other's leading bit, where they only decide the
  // sticky bit, far below the rounding position even after one bit of cancellation.
  const pe = i32(ae + be);
  let e = pe;
  if (pe >= ce) {
    shr128Jam(c3, c2, c1, c0, i32(pe - ce));
    c3 = x3; c2 = x2; c1 = x1; c0 = x0;
  } else {
    shr128Jam(p3, p2, p1, p0, i32(ce - pe));
    p3 = x3; p2 = x2; p1 = x1; p0 = x0;
    e = ce;
  }
  let sign = ps;
  if (ps == cs) {
    add128(p3, p2, p1, p0, c3, c2, c1, c0);
  } else if (ge128(p3, p2, p1, p0, c3, c2, c1, c0)) {
    sub128(p3, p2, p1, p0, c3, c2, c1, c0);
  } else {
    sub128(c3, c2, c1, c0, p3, p2, p1, p0);
    sign = cs;
  }
  if ((x3 | x2 | x1 | x0) == 0) {
    resultZero(fmt, zeroSumSign()); // exact cancellation
    return;
  }
  const k = clz128(x3, x2, x1, x0);
  shl128(x3, x2, x1, x0, k);
  roundPack(fmt, sign, i32(e + 3 - k), x3, x2 | ((x1 | x0) != 0 ? 1 : 0));
}
