// Unsigned integers of 64 and 128 bits as words, for the software floating point (fpu/): the
// portable core has no 64-bit integer type outside the shim, so significands that need more
// than 32 bits are kept as {hi, lo} pairs (64 bits) or {x3, x2, x1, x0} quadruples (128 bits,
// x3 most significant). Results are returned in the module variables below.
//
// "Jamming" shifts (…Jam) OR every bit shifted out into bit 0 of the result (the sticky bit), so
// a value keeps the one fact rounding needs about the bits it lost: whether any was set.

import { clz32, mul32, mulhu } from "../shim";

/** The 64-bit result of the last 64-bit helper. */
export let wHi: i32 = 0;
export let wLo: i32 = 0;
/** The 128-bit result of the last 128-bit helper. */
export let x3: i32 = 0;
export let x2: i32 = 0;
export let x1: i32 = 0;
export let x0: i32 = 0;

/** Leading zeros of {hi, lo} (64 for zero). */
export function clz64(hi: i32, lo: i32): i32 {
  return hi != 0 ? clz32(hi) : i32(32 + clz32(lo));
}

/** {hi, lo} << n for 0 ≤ n < 64. */
export function shl64(hi: i32, lo: i32, n: i32): void {
  if (n == 0) {
    wHi = hi;
    wLo = lo;
  } else if (n < 32) {
    wHi = (hi << n) | i32(lo >>> (32 - n));
    wLo = lo << n;
  } else {
    wHi = lo << (n - 32);
    wLo = 0;
  }
}

/** {hi, lo} >> n (logical, n ≥ 0), jamming the bits shifted out into bit 0. */
export function shr64Jam(hi: i32, lo: i32, n: i32): void {
  if (n <= 0) {
    wHi = hi;
    wLo = lo;
  } else if (n < 32) {
    wLo = i32(lo >>> n) | (hi << (32 - n)) | ((lo << (32 - n)) != 0 ? 1 : 0);
    wHi = i32(hi >>> n);
  } else if (n < 64) {
    const m = n - 32;
    const lost = lo != 0 || (m != 0 && (hi << (32 - m)) != 0);
    wLo = i32(hi >>> m) | (lost ? 1 : 0);
    wHi = 0;
  } else {
    wLo = (hi | lo) != 0 ? 1 : 0;
    wHi = 0;
  }
}

/** {hi, lo} >> n (logical, 0 ≤ n < 64), bits shifted out dropped. */
export function shr64(hi: i32, lo: i32, n: i32): void {
  if (n == 0) {
    wHi = hi;
    wLo = lo;
  } else if (n < 32) {
    wLo = i32(lo >>> n) | (hi << (32 - n));
    wHi = i32(hi >>> n);
  } else {
    wLo = i32(hi >>> (n - 32));
    wHi = 0;
  }
}

/** Unsigned {ah, al} ≥ {bh, bl}. */
export function ge64(ah: i32, al: i32, bh: i32, bl: i32): bool {
  return u32(ah) > u32(bh) || (ah == bh && u32(al) >= u32(bl));
}

/** {ah, al} + {bh, bl} modulo 2^64. */
export function add64(ah: i32, al: i32, bh: i32, bl: i32): void {
  const lo = i32(al + bl);
  wHi = i32(ah + bh + (u32(lo) < u32(al) ? 1 : 0));
  wLo = lo;
}

/** {ah, al} - {bh, bl} modulo 2^64. */
export function sub64(ah: i32, al: i32, bh: i32, bl: i32): void {
  wHi = i32(ah - bh - (u32(al) < u32(bl) ? 1 : 0));
  wLo = i32(al - bl);
}

/** The full 128-bit product of {a1, a0} × {b1, b0}, from four 32×32→64 partial products. */
export function mul64(a1: i32, a0: i32, b1: i32, b0: i32): void {
  const p00h = mulhu(a0, b0);
  const p01l = mul32(a0, b1);
  const p01h = mulhu(a0, b1);
  const p10l = mul32(a1, b0);
  const p10h = mulhu(a1, b0);
  const p11l = mul32(a1, b1);
  const p11h = mulhu(a1, b1);
  x0 = mul32(a0, b0);
  // Word 1: p00h + p01l + p10l; its carries go to word 2.
  const t1 = i32(p00h + p01l);
  let c1 = u32(t1) < u32(p00h) ? 1 : 0;
  const t2 = i32(t1 + p10l);
  c1 += u32(t2) < u32(t1) ? 1 : 0;
  x1 = t2;
  // Word 2: p01h + p10h + p11l + carries; its carries go to word 3.
  const s1 = i32(p01h + p10h);
  let c2 = u32(s1) < u32(p01h) ? 1 : 0;
  const s2 = i32(s1 + p11l);
  c2 += u32(s2) < u32(s1) ? 1 : 0;
  const s3 = i32(s2 + c1);
  c2 += u32(s3) < u32(s2) ? 1 : 0;
  x2 = s3;
  x3 = i32(p11h + c2);
}

/** Leading zeros of a 128-bit value (128 for zero). */
export function clz128(a3: i32, a2: i32, a1: i32, a0: i32): i32 {
  if (a3 != 0) return clz32(a3);
  if (a2 != 0) return i32(32 + clz32(a2));
  if (a1 != 0) return i32(64 + clz32(a1));
  return i32(96 + clz32(a0));
}

/** a << n for 0 ≤ n < 128. */
export function shl128(a3: i32, a2: i32, a1: i32, a0: i32, n: i32): void {
  // Whole words first.
  while (n >= 32) {
    a3 = a2;
    a2 = a1;
    a1 = a0;
    a0 = 0;
    n -= 32;
  }
  if (n != 0) {
    const r = 32 - n;
    a3 = (a3 << n) | i32(a2 >>> r);
    a2 = (a2 << n) | i32(a1 >>> r);
    a1 = (a1 << n) | i32(a0 >>> r);
    a0 = a0 << n;
  }
  x3 = a3;
  x2 = a2;
  x1 = a1;
  x0 = a0;
}

/** a >> n (logical, n ≥ 0), jamming the bits shifted out into bit 0. */
export function shr128Jam(a3: i32, a2: i32, a1: i32, a0: i32, n: i32): void {
  if (n >= 128) {
    x0 = (a3 | a2 | a1 | a0) != 0 ? 1 : 0;
    x1 = 0;
    x2 = 0;
    x3 = 0;
    return;
  }
  let sticky = 0;
  while (n >= 32) {
    sticky |= a0;
    a0 = a1;
    a1 = a2;
    a2 = a3;
    a3 = 0;
    n -= 32;
  }
  if (n != 0) {
    const r = 32 - n;
    sticky |= a0 << r;
    a0 = i32(a0 >>> n) | (a1 << r);
    a1 = i32(a1 >>> n) | (a2 << r);
    a2 = i32(a2 >>> n) | (a3 << r);
    a3 = i32(a3 >>> n);
  }
  x3 = a3;
  x2 = a2;
  x1 = a1;
  x0 = a0 | (sticky != 0 ? 1 : 0);
}

/** a + b modulo 2^128. */
export function add128(a3: i32, a2: i32, a1: i32, a0: i32, b3: i32, b2: i32, b1: i32, b0: i32): void {
  const r0 = i32(a0 + b0);
  let c = u32(r0) < u32(a0) ? 1 : 0;
  const s1 = i32(a1 + b1);
  let c1 = u32(s1) < u32(a1) ? 1 : 0;
  const r1 = i32(s1 + c);
  c1 += u32(r1) < u32(s1) ? 1 : 0;
  const s2 = i32(a2 + b2);
  let c2 = u32(s2) < u32(a2) ? 1 : 0;
  const r2 = i32(s2 + c1);
  c2 += u32(r2) < u32(s2) ? 1 : 0;
  x3 = i32(a3 + b3 + c2);
  x2 = r2;
  x1 = r1;
  x0 = r0;
}

/** a - b modulo 2^128. */
export function sub128(a3: i32, a2: i32, a1: i32, a0: i32, b3: i32, b2: i32, b1: i32, b0: i32): void {
  const r0 = i32(a0 - b0);
  let borrow = u32(a0) < u32(b0) ? 1 : 0;
  const s1 = i32(a1 - b1);
  let b1out = u32(a1) < u32(b1) ? 1 : 0;
  const r1 = i32(s1 - borrow);
  b1out += u32(s1) < u32(borrow) ? 1 : 0;
  const s2 = i32(a2 - b2);
  let b2out = u32(a2) < u32(b2) ? 1 : 0;
  const r2 = i32(s2 - b1out);
  b2out += u32(s2) < u32(b1out) ? 1 : 0;
  x3 = i32(a3 - b3 - b2out);
  x2 = r2;
  x1 = r1;
  x0 = r0;
}

/** Unsigned a ≥ b (128 bits). */
export function ge128(a3: i32, a2: i32, a1: i32, a0: i32, b3: i32, b2: i32, b1: i32, b0: i32): bool {
  if (a3 != b3) return u32(a3) > u32(b3);
  if (a2 != b2) return u32(a2) > u32(b2);
  if (a1 != b1) return u32(a1) > u32(b1);
  return u32(a0) >= u32(b0);
}
