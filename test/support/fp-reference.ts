// A reference for RISC-V F and D arithmetic written from IEEE 754-2008 and the RISC-V
// unprivileged spec, independent of the core's software floating point (assembly/fpu/): every
// operation computes its exact result as a rational number with BigInt (a square root as its
// integer part at a high scale plus "more"), then rounds it once by the definition: the
// representable neighbours, the rounding direction attribute, overflow by rounding mode, tininess
// after rounding, the flags of §7. The tests compare the cores with it bit for bit.

export type Fmt = "s" | "d";
export const RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4;
export const NX = 1, UF = 2, OF = 4, DZ = 8, NV = 16;

const P = { s: 24, d: 53 };
const EMIN = { s: -126, d: -1022 };
const EMAX = { s: 127, d: 1023 };
const FRAC = { s: 23, d: 52 };
const EXPBITS = { s: 8, d: 11 };
const BIAS = { s: 127, d: 1023 };

export interface Result { bits: bigint; flags: number }

type Cls = "zero" | "finite" | "inf" | "qnan" | "snan";
/** A decoded operand: value = (-1)^sign × m × 2^e for finite ones. */
interface Val { cls: Cls; sign: number; m: bigint; e: number }

export function canonicalNaN(fmt: Fmt): bigint {
  return fmt === "s" ? 0x7fc00000n : 0x7ff8000000000000n;
}

export function decode(fmt: Fmt, bits: bigint): Val {
  const f = bits & ((1n << BigInt(FRAC[fmt])) - 1n);
  const ex = Number((bits >> BigInt(FRAC[fmt])) & ((1n << BigInt(EXPBITS[fmt])) - 1n));
  const sign = Number(bits >> BigInt(FRAC[fmt] + EXPBITS[fmt])) & 1;
  const maxE = (1 << EXPBITS[fmt]) - 1;
  if (ex === maxE) {
    if (f === 0n) return { cls: "inf", sign, m: 0n, e: 0 };
    return { cls: (f >> BigInt(FRAC[fmt] - 1)) & 1n ? "qnan" : "snan", sign, m: 0n, e: 0 };
  }
  if (ex === 0) {
    if (f === 0n) return { cls: "zero", sign, m: 0n, e: 0 };
    return { cls: "finite", sign, m: f, e: EMIN[fmt] - FRAC[fmt] };
  }
  return { cls: "finite", sign, m: f | (1n << BigInt(FRAC[fmt])), e: ex - BIAS[fmt] - FRAC[fmt] };
}

const signBit = (fmt: Fmt, sign: number) => (sign ? 1n << BigInt(FRAC[fmt] + EXPBITS[fmt]) : 0n);
const infBits = (fmt: Fmt, sign: number) => signBit(fmt, sign) | (BigInt((1 << EXPBITS[fmt]) - 1) << BigInt(FRAC[fmt]));
const zeroBits = (fmt: Fmt, sign: number) => signBit(fmt, sign);
const maxBits = (fmt: Fmt, sign: number) => infBits(fmt, sign) - 1n;

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/**
 * Round (-1)^sign × num/den × 2^e (num, den > 0) to the format: the correctly rounded result
 * and its flags. `inexactBelow`: the true value is a little more than num/den × 2^e (a square
 * root's discarded part), strictly less than the next multiple of the scale's unit.
 */
export function roundRational(fmt: Fmt, rm: number, sign: number, num: bigint, den: bigint, e: number): Result {
  const p = P[fmt];
  // E = floor(log2(value)).
  let E = bitLength(num) - bitLength(den) + e;
  const ge = (k: number) => (e - k >= 0 ? num << BigInt(e - k) >= den : num >= den << BigInt(k - e)); // value ≥ 2^k
  while (!ge(E)) E--;
  while (ge(E + 1)) E++;
  const roundAt = (q: number): { i: bigint; inexact: boolean } => {
    let n = num, d = den;
    if (e - q >= 0) n <<= BigInt(e - q); else d <<= BigInt(q - e);
    let i = n / d;
    const r = n % d;
    let up = false;
    if (r !== 0n) {
      const twice = 2n * r;
      switch (rm) {
        case RNE: up = twice > d || (twice === d && (i & 1n) === 1n); break;
        case RTZ: up = false; break;
        case RDN: up = sign === 1; break;
        case RUP: up = sign === 0; break;
        case RMM: up = twice >= d; break;
      }
    }
    if (up) i += 1n;
    return { i, inexact: r !== 0n };
  };
  // Tininess after rounding: round to p bits with an unbounded exponent.
  const unbounded = roundAt(E - p + 1);
  const roundedE = unbounded.i === 1n << BigInt(p) ? E + 1 : E;
  const tiny = roundedE < EMIN[fmt];
  // The result: the quantum of the format's range.
  let q = Math.max(E, EMIN[fmt]) - p + 1;
  let { i, inexact } = roundAt(q);
  if (i === 1n << BigInt(p)) {
    i >>= 1n;
    q += 1;
  }
  let flags = inexact ? NX : 0;
  if (i !== 0n && q + bitLength(i) - 1 > EMAX[fmt]) {
    const toInf = rm === RNE || rm === RMM || (rm === RUP && sign === 0) || (rm === RDN && sign === 1);
    return { bits: toInf ? infBits(fmt, sign) : maxBits(fmt, sign), flags: OF | NX };
  }
  if (tiny && inexact) flags |= UF;
  let bits: bigint;
  if (i < 1n << BigInt(p - 1)) {
    bits = signBit(fmt, sign) | i; // subnormal (or zero): q = emin - p + 1
  } else {
    const biased = BigInt(q + p - 1 + BIAS[fmt]);
    bits = signBit(fmt, sign) | (biased << BigInt(FRAC[fmt])) | (i - (1n << BigInt(p - 1)));
  }
  return { bits, flags };
}

const nan = (fmt: Fmt, invalid: boolean): Result => ({ bits: canonicalNaN(fmt), flags: invalid ? NV : 0 });
const isNan = (v: Val) => v.cls === "qnan" || v.cls === "snan";

/** An exact dyadic sum (-1)^sign × m × 2^e, rounded; zero gets the sign IEEE 754 §6.3 gives. */
function roundExact(fmt: Fmt, rm: number, s: bigint, e: number, zeroSign: number): Result {
  if (s === 0n) return { bits: zeroBits(fmt, zeroSign), flags: 0 };
  return roundRational(fmt, rm, s < 0n ? 1 : 0, s < 0n ? -s : s, 1n, e);
}

function signed(v: Val): bigint {
  return v.sign ? -v.m : v.m;
}

/** x × 2^(from) expressed at scale 2^(to), to ≤ from. */
const at = (x: bigint, from: number, to: number) => x << BigInt(from - to);

export function add(fmt: Fmt, rm: number, a: bigint, b: bigint, negB = false): Result {
  const x = decode(fmt, a);
  const y = decode(fmt, b);
  if (negB) y.sign ^= 1;
  if (isNan(x) || isNan(y)) return nan(fmt, x.cls === "snan" || y.cls === "snan");
  if (x.cls === "inf" || y.cls === "inf") {
    if (x.cls === "inf" && y.cls === "inf" && x.sign !== y.sign) return nan(fmt, true);
    return { bits: infBits(fmt, x.cls === "inf" ? x.sign : y.sign), flags: 0 };
  }
  const e = Math.min(x.e, y.e);
  const s = at(signed(x), x.e, e) + at(signed(y), y.e, e);
  const zeroSign = x.cls === "zero" && y.cls === "zero" && x.sign === y.sign ? x.sign : rm === RDN ? 1 : 0;
  return roundExact(fmt, rm, s, e, zeroSign);
}

export function mul(fmt: Fmt, rm: number, a: bigint, b: bigint): Result {
  const x = decode(fmt, a);
  const y = decode(fmt, b);
  const sign = x.sign ^ y.sign;
  if (isNan(x) || isNan(y)) return nan(fmt, x.cls === "snan" || y.cls === "snan");
  if (x.cls === "inf" || y.cls === "inf") {
    if (x.cls === "zero" || y.cls === "zero") return nan(fmt, true);
    return { bits: infBits(fmt, sign), flags: 0 };
  }
  if (x.cls === "zero" || y.cls === "zero") return { bits: zeroBits(fmt, sign), flags: 0 };
  return roundRational(fmt, rm, sign, x.m * y.m, 1n, x.e + y.e);
}

export function div(fmt: Fmt, rm: number, a: bigint, b: bigint): Result {
  const x = decode(fmt, a);
  const y = decode(fmt, b);
  const sign = x.sign ^ y.sign;
  if (isNan(x) || isNan(y)) return nan(fmt, x.cls === "snan" || y.cls === "snan");
  if (x.cls === "inf") return y.cls === "inf" ? nan(fmt, true) : { bits: infBits(fmt, sign), flags: 0 };
  if (y.cls === "inf") return { bits: zeroBits(fmt, sign), flags: 0 };
  if (y.cls === "zero") return x.cls === "zero" ? nan(fmt, true) : { bits: infBits(fmt, sign), flags: DZ };
  if (x.cls === "zero") return { bits: zeroBits(fmt, sign), flags: 0 };
  return roundRational(fmt, rm, sign, x.m, y.m, x.e - y.e);
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(bitLength(n) / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

export function sqrt(fmt: Fmt, rm: number, a: bigint): Result {
  const x = decode(fmt, a);
  if (isNan(x)) return nan(fmt, x.cls === "snan");
  if (x.cls === "zero") return { bits: zeroBits(fmt, x.sign), flags: 0 };
  if (x.sign) return nan(fmt, true);
  if (x.cls === "inf") return { bits: infBits(fmt, 0), flags: 0 };
  // √(m × 2^e) with e even: √(m × 2^(2k)) × 2^(e/2 - k), k large enough for 200 bits of root.
  let m = x.m;
  let e = x.e;
  if (e & 1) {
    m <<= 1n;
    e -= 1;
  }
  const k = 200;
  const n = m << BigInt(2 * k);
  const r = isqrt(n);
  if (r * r === n) return roundRational(fmt, rm, 0, r, 1n, e / 2 - k);
  // Irrational: strictly between r and r + 1 at this scale, never on a rounding boundary.
  return roundRational(fmt, rm, 0, 2n * r + 1n, 2n, e / 2 - k);
}

/** a × b + c with one rounding; negProduct and negAddend as the FMA variants need. */
export function fma(fmt: Fmt, rm: number, a: bigint, b: bigint, c: bigint, negProduct: boolean, negAddend: boolean): Result {
  const x = decode(fmt, a);
  const y = decode(fmt, b);
  const z = decode(fmt, c);
  const ps = x.sign ^ y.sign ^ (negProduct ? 1 : 0);
  const cs = z.sign ^ (negAddend ? 1 : 0);
  const infZero = (x.cls === "inf" && y.cls === "zero") || (x.cls === "zero" && y.cls === "inf");
  if (isNan(x) || isNan(y) || isNan(z)) return nan(fmt, infZero || x.cls === "snan" || y.cls === "snan" || z.cls === "snan");
  if (infZero) return nan(fmt, true);
  const pInf = x.cls === "inf" || y.cls === "inf";
  if (pInf || z.cls === "inf") {
    if (pInf && z.cls === "inf" && ps !== cs) return nan(fmt, true);
    return { bits: infBits(fmt, pInf ? ps : cs), flags: 0 };
  }
  const pm = (ps ? -1n : 1n) * x.m * y.m;
  const pe = x.e + y.e;
  const cm = (cs ? -1n : 1n) * z.m;
  const e = Math.min(pe, z.e);
  const s = at(pm, pe, e) + at(cm, z.e, e);
  const pZero = x.cls === "zero" || y.cls === "zero";
  const zeroSign = pZero && z.cls === "zero" && ps === cs ? ps : rm === RDN ? 1 : 0;
  return roundExact(fmt, rm, s, e, zeroSign);
}

/** FCVT.W[U]: the RISC-V result (as an unsigned 32-bit number) and flags. */
export function toInt(fmt: Fmt, rm: number, a: bigint, unsigned: boolean): { value: number; flags: number } {
  const x = decode(fmt, a);
  const max = unsigned ? 0xffffffffn : 0x7fffffffn;
  const min = unsigned ? 0n : -0x80000000n;
  const clip = (neg: boolean) => ({ value: Number(BigInt.asUintN(32, neg ? min : max)), flags: NV });
  if (isNan(x)) return clip(false);
  if (x.cls === "inf") return clip(x.sign === 1);
  if (x.cls === "zero") return { value: 0, flags: 0 };
  // Round m × 2^e to an integer.
  let i: bigint;
  let inexact = false;
  if (x.e >= 0) {
    i = x.m << BigInt(x.e);
  } else {
    const d = 1n << BigInt(-x.e);
    i = x.m / d;
    const r = x.m % d;
    inexact = r !== 0n;
    if (inexact) {
      const twice = 2n * r;
      let up = false;
      switch (rm) {
        case RNE: up = twice > d || (twice === d && (i & 1n) === 1n); break;
        case RDN: up = x.sign === 1; break;
        case RUP: up = x.sign === 0; break;
        case RMM: up = twice >= d; break;
      }
      if (up) i += 1n;
    }
  }
  const v = x.sign ? -i : i;
  if (v < min || v > max) return clip(x.sign === 1);
  return { value: Number(BigInt.asUintN(32, v)), flags: inexact ? NX : 0 };
}

export function fromInt(fmt: Fmt, rm: number, v: number, unsigned: boolean): Result {
  const n = unsigned ? BigInt(v >>> 0) : BigInt(v | 0);
  if (n === 0n) return { bits: 0n, flags: 0 };
  return roundRational(fmt, rm, n < 0n ? 1 : 0, n < 0n ? -n : n, 1n, 0);
}

/** FCVT.S.D (to "s") and FCVT.D.S (to "d"). */
export function convert(to: Fmt, rm: number, a: bigint): Result {
  const from: Fmt = to === "s" ? "d" : "s";
  const x = decode(from, a);
  if (isNan(x)) return nan(to, x.cls === "snan");
  if (x.cls === "inf") return { bits: infBits(to, x.sign), flags: 0 };
  if (x.cls === "zero") return { bits: zeroBits(to, x.sign), flags: 0 };
  return roundRational(to, rm, x.sign, x.m, 1n, x.e);
}

/** The exact value of a non-NaN operand as num × 2^e, for ordering. */
function order(v: Val): [bigint, number] {
  if (v.cls === "inf") return [v.sign ? -1n : 1n, 100000];
  return [signed(v), v.e];
}

function less(x: Val, y: Val): boolean {
  const [a, ea] = order(x);
  const [b, eb] = order(y);
  if (ea === 100000 || eb === 100000) {
    if (ea === eb) return a < b;
    return ea === 100000 ? a < 0n : b > 0n;
  }
  const e = Math.min(ea, eb);
  return at(a, ea, e) < at(b, eb, e);
}

/** FEQ (op 2), FLT (1), FLE (0). */
export function compare(fmt: Fmt, a: bigint, b: bigint, op: number): { value: number; flags: number } {
  const x = decode(fmt, a);
  const y = decode(fmt, b);
  if (isNan(x) || isNan(y)) {
    const invalid = op !== 2 || x.cls === "snan" || y.cls === "snan";
    return { value: 0, flags: invalid ? NV : 0 };
  }
  const lt = less(x, y);
  const gt = less(y, x);
  const eq = !lt && !gt;
  return { value: (op === 2 ? eq : op === 1 ? lt : lt || eq) ? 1 : 0, flags: 0 };
}

/** FMIN (max false) and FMAX: minimumNumber / maximumNumber with -0 < +0. */
export function minMax(fmt: Fmt, a: bigint, b: bigint, max: boolean): Result {
  const x = decode(fmt, a);
  const y = decode(fmt, b);
  const flags = x.cls === "snan" || y.cls === "snan" ? NV : 0;
  if (isNan(x) && isNan(y)) return { bits: canonicalNaN(fmt), flags };
  if (isNan(x)) return { bits: b, flags };
  if (isNan(y)) return { bits: a, flags };
  let xLess = less(x, y);
  if (!xLess && !less(y, x)) xLess = x.sign > y.sign; // equal values: -0 < +0
  return { bits: xLess !== max ? a : b, flags };
}

export function classify(fmt: Fmt, a: bigint): number {
  const x = decode(fmt, a);
  const subnormal = x.cls === "finite" && ((a >> BigInt(FRAC[fmt])) & ((1n << BigInt(EXPBITS[fmt])) - 1n)) === 0n;
  switch (x.cls) {
    case "inf": return x.sign ? 1 : 1 << 7;
    case "zero": return x.sign ? 1 << 3 : 1 << 4;
    case "snan": return 1 << 8;
    case "qnan": return 1 << 9;
    default: return subnormal ? (x.sign ? 1 << 2 : 1 << 5) : x.sign ? 1 << 1 : 1 << 6;
  }
}

/** FSGNJ (op 0), FSGNJN (1), FSGNJX (2). */
export function signInject(fmt: Fmt, a: bigint, b: bigint, op: number): bigint {
  const sb = 1n << BigInt(FRAC[fmt] + EXPBITS[fmt]);
  const sa = a & sb;
  const s = op === 0 ? b & sb : op === 1 ? (b & sb) ^ sb : sa ^ (b & sb);
  return (a & ~sb) | s;
}
