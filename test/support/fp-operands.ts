// Operands from the interesting classes of binary32 and binary64 values, for the FP tests: zeros,
// subnormals (the smallest, the largest, random ones), the smallest normal and its neighbours,
// values near 1, random normals, the largest finite value and its neighbours, infinities, quiet
// and signalling NaNs with payloads, values at and around the integer limits (2^31, 2^32, the
// halves before them), integers, and random bit patterns; pairs close to each other (for
// cancellation) are made by the tests from these.

import type { Fmt } from "./fp-reference.ts";
// (the project's one seeded PRNG)
export { rng } from "./random-program.ts";

export type Rand = () => number;

const FRAC = { s: 23, d: 52 };
const EXPBITS = { s: 8, d: 11 };
const BIAS = { s: 127, d: 1023 };

function randBits(rand: Rand, n: number): bigint {
  let v = 0n;
  for (let i = 0; i < n; i += 16) v = (v << 16n) | BigInt(Math.floor(rand() * 65536));
  return v & ((1n << BigInt(n)) - 1n);
}

/** A finite value's encoding from sign, unbiased exponent and fraction bits. */
export function encode(fmt: Fmt, sign: number, exp: number, frac: bigint): bigint {
  const biased = BigInt(exp + BIAS[fmt]);
  return (BigInt(sign) << BigInt(FRAC[fmt] + EXPBITS[fmt])) | (biased << BigInt(FRAC[fmt])) | frac;
}

/** A random operand of format fmt, from a random interesting class. */
export function operand(fmt: Fmt, rand: Rand): bigint {
  const int = (n: number) => Math.floor(rand() * n);
  const fracBits = FRAC[fmt];
  const maxExp = (1 << (EXPBITS[fmt] - 1)) - 1;
  const sign = int(2);
  const signBit = BigInt(sign) << BigInt(fracBits + EXPBITS[fmt]);
  const frac = () => randBits(rand, fracBits);
  const fewBits = () => (int(2) ? 0n : randBits(rand, 3)) | (int(2) ? (1n << BigInt(fracBits)) - 1n - randBits(rand, 3) : 0n);
  const expAll = BigInt((1 << EXPBITS[fmt]) - 1) << BigInt(fracBits);
  switch (int(17)) {
    case 0: return signBit; // ±0
    case 1: return signBit | (1n + randBits(rand, 2)); // the smallest subnormals
    case 2: return signBit | ((1n << BigInt(fracBits)) - 1n - randBits(rand, 2)); // the largest subnormals
    case 3: return signBit | (frac() >> BigInt(int(fracBits))) | 1n; // a subnormal
    case 4: return encode(fmt, sign, 1 - BIAS[fmt] + int(3), fewBits()); // the smallest normals
    case 5: return encode(fmt, sign, int(5) - 2, fewBits()); // near 1
    case 6: return encode(fmt, sign, int(2 * maxExp) - maxExp + 1, frac()); // any normal
    case 7: return encode(fmt, sign, maxExp - int(3), fewBits()); // near the largest finite
    case 8: return signBit | expAll; // ±∞
    case 9: return signBit | expAll | (1n << BigInt(fracBits - 1)) | (int(2) ? frac() : 0n); // qNaN
    case 10: return signBit | expAll | ((frac() >> 1n) | 1n); // sNaN
    case 11: return encode(fmt, sign, 30 + int(4), fewBits()); // around 2^31, 2^32
    case 12: { // an integer or a half-integer of moderate size
      const e = int(26);
      const sh = BigInt(Math.max(0, fracBits - e - int(2)));
      return encode(fmt, sign, e, (frac() >> sh) << sh);
    }
    case 13: return encode(fmt, sign, int(60) - 30, frac()); // moderate magnitudes
    case 14: return encode(fmt, sign, int(8) - 4, frac() & ~((1n << BigInt(fracBits - 4)) - 1n)); // short significands (exact products)
    case 15: return encode(fmt, sign, -BIAS[fmt] + 1 + int(fracBits + 4), frac()); // around the subnormal boundary
    default: return randBits(rand, fracBits + EXPBITS[fmt] + 1); // any bits
  }
}

/** A second operand: often related to the first (equal, negated, a few ulps away, far away). */
export function partner(fmt: Fmt, a: bigint, rand: Rand): bigint {
  const int = (n: number) => Math.floor(rand() * n);
  const signBit = 1n << BigInt(FRAC[fmt] + EXPBITS[fmt]);
  const mask = (signBit << 1n) - 1n;
  switch (int(8)) {
    case 0: return a ^ signBit; // -a: exact cancellation
    case 1: return (a + BigInt(int(7)) - 3n) & mask; // a few ulps away
    case 2: return ((a + BigInt(int(7)) - 3n) ^ signBit) & mask; // cancellation to a few ulps
    default: return operand(fmt, rand);
  }
}
