// The software floating point of the core (assembly/fpu/), operation by operation on both cores
// (the core's fpOperate export), against the reference of test/support/fp-reference.ts, written
// independently from IEEE 754-2008 and the RISC-V F/D chapters with exact BigInt arithmetic:
// every operation, both formats, all five rounding modes, results and flags bit for bit, on
// operands from the interesting classes (test/support/fp-operands.ts) and on hand-picked hard
// cases. FP_CASES=n runs n random cases per operation and format (default 3000).
import { describe, expect, it } from "vitest";
import { makeMachine, CORES } from "./support/harness.ts";
import * as R from "./support/fp-reference.ts";
import { operand, partner, rng } from "./support/fp-operands.ts";
import type { CoreExports } from "../src/core/core.ts";
import { readFileSync } from "node:fs";
import { COMBOS, observable, runSystem } from "./support/system.ts";

const CASES = Number(process.env.FP_CASES ?? 3000);

// fpOperate's operation numbers (assembly/index.ts).
const OP = {
  add: 0, sub: 1, mul: 2, div: 3, sqrt: 4, fmadd: 5, fmsub: 6, fnmsub: 7, fnmadd: 8, toInt: 9, toUint: 10,
  fromInt: 11, fromUint: 12, convert: 13, min: 14, max: 15, eq: 16, lt: 17, le: 18, class: 19, sgnj: 20, sgnjn: 21, sgnjx: 22,
} as const;
type OpName = keyof typeof OP;

const hex = (v: bigint, fmt: R.Fmt) => `0x${v.toString(16).padStart(fmt === "s" ? 8 : 16, "0")}`;
const words = (v: bigint): [number, number] => [Number((v >> 32n) & 0xffffffffn) | 0, Number(v & 0xffffffffn) | 0];

/** Run one operation on a core: the result bits (or integer) and the flags. */
function coreOp(x: CoreExports, op: OpName, fmt: R.Fmt, rm: number, a: bigint, b = 0n, c = 0n): { bits: bigint; flags: number } {
  const f = fmt === "s" ? 0 : 1;
  const [ah, al] = words(a);
  const [bh, bl] = words(b);
  const [ch, cl] = words(c);
  const lo = x.fpOperate(OP[op], f, rm, ah, al, bh, bl, ch, cl) >>> 0;
  const hi = x.fpOperateHi() >>> 0;
  return { bits: (BigInt(hi) << 32n) | BigInt(lo), flags: x.fpOperateFlags() };
}

/** The reference's answer, in the same shape. */
function refOp(op: OpName, fmt: R.Fmt, rm: number, a: bigint, b: bigint, c: bigint): { bits: bigint; flags: number } {
  const other: R.Fmt = fmt === "s" ? "d" : "s";
  const int = (r: { value: number; flags: number }) => ({ bits: BigInt(r.value >>> 0), flags: r.flags });
  switch (op) {
    case "add": return R.add(fmt, rm, a, b);
    case "sub": return R.add(fmt, rm, a, b, true);
    case "mul": return R.mul(fmt, rm, a, b);
    case "div": return R.div(fmt, rm, a, b);
    case "sqrt": return R.sqrt(fmt, rm, a);
    case "fmadd": return R.fma(fmt, rm, a, b, c, false, false);
    case "fmsub": return R.fma(fmt, rm, a, b, c, false, true);
    case "fnmsub": return R.fma(fmt, rm, a, b, c, true, false);
    case "fnmadd": return R.fma(fmt, rm, a, b, c, true, true);
    case "toInt": return int(R.toInt(fmt, rm, a, false));
    case "toUint": return int(R.toInt(fmt, rm, a, true));
    case "fromInt": return R.fromInt(fmt, rm, Number(a & 0xffffffffn), false);
    case "fromUint": return R.fromInt(fmt, rm, Number(a & 0xffffffffn), true);
    case "convert": return R.convert(fmt, rm, a); // a is in the other format
    case "min": return R.minMax(fmt, a, b, false);
    case "max": return R.minMax(fmt, a, b, true);
    case "eq": return int(R.compare(fmt, a, b, 2));
    case "lt": return int(R.compare(fmt, a, b, 1));
    case "le": return int(R.compare(fmt, a, b, 0));
    case "class": return { bits: BigInt(R.classify(fmt, a)), flags: 0 };
    default: return { bits: R.signInject(fmt, a, b, OP[op] - OP.sgnj), flags: 0 };
  }
  void other;
}

const OPS = Object.keys(OP) as OpName[];
const FMTS: R.Fmt[] = ["s", "d"];

function check(x: CoreExports, op: OpName, fmt: R.Fmt, rm: number, a: bigint, b = 0n, c = 0n): string | null {
  const got = coreOp(x, op, fmt, rm, a, b, c);
  const want = refOp(op, fmt, rm, a, b, c);
  if (got.bits === want.bits && got.flags === want.flags) return null;
  const argFmt: R.Fmt = op === "convert" ? (fmt === "s" ? "d" : "s") : fmt;
  return `${op}.${fmt} rm=${rm} a=${hex(a, argFmt)} b=${hex(b, fmt)} c=${hex(c, fmt)}: got ${hex(got.bits, fmt)} flags ${got.flags}, ` +
    `expected ${hex(want.bits, fmt)} flags ${want.flags}`;
}

describe("the software floating point against the reference", () => {
  for (const core of CORES) {
    it(`${core} core: every operation, format and rounding mode on ${CASES} random operand sets each`, async () => {
      const m = await makeMachine(core, { ramBytes: 1 << 16 });
      const x = m.core.exports;
      const failures: string[] = [];
      let checked = 0;
      for (const fmt of FMTS) {
        for (const op of OPS) {
          const rand = rng(0x5eed + OP[op] * 7 + (fmt === "d" ? 1000 : 0));
          const argFmt: R.Fmt = op === "convert" ? (fmt === "s" ? "d" : "s") : fmt;
          for (let i = 0; i < CASES && failures.length < 20; i++) {
            const rm = Math.floor(rand() * 5);
            let a = operand(argFmt, rand);
            if (op === "fromInt" || op === "fromUint") {
              a = BigInt(Math.floor(rand() * 4) === 0 ? [0, 1, -1, 0x7fffffff, 0x80000000, 0xffffffff, 0x1000001, 0x20000001][Math.floor(rand() * 8)] >>> 0
                : Math.floor(rand() * 2 ** 32) >>> (Math.floor(rand() * 32)));
            }
            const b = partner(fmt, argFmt === fmt ? a : operand(fmt, rand), rand);
            // The addend of an FMA: often the negated product's neighbourhood (cancellation).
            let c = operand(fmt, rand);
            if (op.includes("fm") && rand() < 0.4) {
              const p = R.mul(fmt, R.RNE, a, b).bits;
              c = partner(fmt, p, rand);
            }
            const problem = check(x, op, fmt, rm, a, b, c);
            checked++;
            if (problem) failures.push(problem);
          }
        }
      }
      expect(failures).toEqual([]);
      expect(checked).toBeGreaterThan(CASES * OPS.length);
    }, 600_000);
  }
});

describe("hard cases", () => {
  const S = (v: number) => BigInt(v >>> 0);
  const D = (hi: number, lo: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  const cases: Array<[OpName, R.Fmt, number, bigint, bigint?, bigint?]> = [];
  for (let rm = 0; rm < 5; rm++) {
    // Overflow to ∞ or the largest finite value by rounding mode, both signs.
    cases.push(["mul", "s", rm, S(0x7f000000), S(0x40000000)], ["mul", "s", rm, S(0xff000000), S(0x40000000)]);
    cases.push(["add", "d", rm, D(0x7fefffff, -1), D(0x7ca00000, 0)], ["add", "d", rm, D(0xffefffff, -1), D(0xfca00000, 0)]);
    // Tininess after rounding: the largest subnormal × (1 + ulp) rounds to the smallest normal or not.
    cases.push(["mul", "d", rm, D(0x000fffff, -1), D(0x3ff00000, 1)], ["mul", "s", rm, S(0x007fffff), S(0x3f800001)]);
    cases.push(["mul", "s", rm, S(0x00800000), S(0x3f7fffff)], ["mul", "d", rm, D(0x00100000, 0), D(0x3fefffff, -1)]);
    // Subnormal results, exact and inexact; the smallest subnormal halved.
    cases.push(["mul", "s", rm, S(0x00000001), S(0x3f000000)], ["mul", "d", rm, D(0, 1), D(0x3fe00000, 0)]);
    cases.push(["div", "s", rm, S(0x00000003), S(0x40000000)], ["sqrt", "s", rm, S(0x00000002)]);
    // Exact zero sums take +0, or -0 when rounding down; fma cancellation to exactly zero.
    cases.push(["add", "s", rm, S(0x3f800000), S(0xbf800000)], ["sub", "d", rm, D(0x3ff00000, 0), D(0x3ff00000, 0)]);
    cases.push(["fmadd", "s", rm, S(0x40000000), S(0x40400000), S(0xc0c00000)]);
    cases.push(["fmadd", "s", rm, S(0x80000000), S(0x3f800000), S(0x00000000)], ["fnmadd", "d", rm, D(0, 0), D(0x3ff00000, 0), D(0, 0)]);
    cases.push(["fmsub", "d", rm, D(0x80000000, 0), D(0x80000000, 0), D(0, 0)]);
    // FMA with one rounding: 1 + 2^-24 squared minus 1 (the product's low bits matter).
    cases.push(["fmsub", "s", rm, S(0x3f800001), S(0x3f800001), S(0x3f800000)]);
    cases.push(["fmadd", "d", rm, D(0x3ff00000, 1), D(0x3ff00000, 1), D(0xbff00000, 0)]);
    // ∞ × 0 + qNaN is invalid; sNaN operands; NaN-boxing is the executor's (cpu/fpu.ts).
    cases.push(["fmadd", "s", rm, S(0x7f800000), S(0), S(0x7fc00000)], ["fmadd", "d", rm, D(0, 0), D(0xfff00000, 0), D(0x7ff80000, 0)]);
    cases.push(["add", "s", rm, S(0x7f800001), S(0x3f800000)], ["min", "s", rm, S(0x7f800001), S(0x3f800000)]);
    cases.push(["max", "d", rm, D(0x7ff00000, 1), D(0x7ff80000, 0)], ["min", "s", rm, S(0x80000000), S(0)], ["max", "s", rm, S(0x80000000), S(0)]);
    // Conversions at the integer limits and NaN → integer.
    for (const v of [0x4f000000, 0xcf000000, 0x4effffff, 0x4f800000, 0x4f7fffff, 0xcf000001, 0xbf000000, 0xbf400000, 0x7fc00000, 0xff800000, 0x3f000000]) {
      cases.push(["toInt", "s", rm, S(v)], ["toUint", "s", rm, S(v)]);
    }
    for (const [hi, lo] of [[0x41dfffff, 0xffc00000], [0x41dfffff, 0xffe00000], [0xc1e00000, 0x00100000], [0xc1e00000, 0], [0x41efffff, 0xfff00000], [0x41efffff, 0xfff80000], [0xbfe00000, 0], [0x7ff00000, 1]]) {
      cases.push(["toInt", "d", rm, D(hi, lo)], ["toUint", "d", rm, D(hi, lo)]);
    }
    cases.push(["fromInt", "s", rm, S(0x7fffffff)], ["fromUint", "s", rm, S(0xffffffff)], ["fromInt", "s", rm, S(0x80000000)], ["fromInt", "s", rm, S(0x01000003)]);
    cases.push(["convert", "s", rm, D(0x36a00000, 0x10000000)], ["convert", "s", rm, D(0x47efffff, 0xf0000000)], ["convert", "d", rm, S(0x7f800001)]);
  }
  for (const core of CORES) {
    it(`${core} core: ${cases.length} hand-picked cases`, async () => {
      const m = await makeMachine(core, { ramBytes: 1 << 16 });
      const failures = cases.map(([op, fmt, rm, a, b, c]) => check(m.core.exports, op, fmt, rm, a, b ?? 0n, c ?? 0n)).filter((p) => p !== null);
      expect(failures).toEqual([]);
    });
  }

  it("the reference itself: a few values known from the standard", () => {
    expect(R.add("s", R.RNE, 0x3f800000n, 0x3f800000n)).toEqual({ bits: 0x40000000n, flags: 0 }); // 1 + 1 = 2
    expect(R.div("s", R.RNE, 0x3f800000n, 0x40400000n)).toEqual({ bits: 0x3eaaaaabn, flags: R.NX }); // 1/3
    expect(R.div("s", R.RTZ, 0x3f800000n, 0x40400000n)).toEqual({ bits: 0x3eaaaaaan, flags: R.NX });
    expect(R.sqrt("d", R.RNE, 0x4000000000000000n)).toEqual({ bits: 0x3ff6a09e667f3bcdn, flags: R.NX }); // √2
    expect(R.mul("s", R.RNE, 0x7f7fffffn, 0x40000000n)).toEqual({ bits: 0x7f800000n, flags: R.OF | R.NX });
    expect(R.mul("s", R.RTZ, 0x7f7fffffn, 0x40000000n)).toEqual({ bits: 0x7f7fffffn, flags: R.OF | R.NX });
    expect(R.mul("s", R.RNE, 0x00000001n, 0x3f000000n)).toEqual({ bits: 0n, flags: R.UF | R.NX }); // 2^-150 → 0
    expect(R.toInt("s", R.RNE, 0x4f000000n, false)).toEqual({ value: 0x7fffffff, flags: R.NV }); // 2^31
    expect(R.toInt("s", R.RNE, 0xcf000000n, false)).toEqual({ value: 0x80000000, flags: 0 }); // -2^31
  });
});

describe("F and D per partition", () => {
  const expected = (name: string) => readFileSync(new URL(`../guests/fp/${name}.expected`, import.meta.url), "latin1");

  it("two FP partitions switched every 2000 cycles keep their own FP state; one without F and D sees them absent", async () => {
    const description = {
      quantum: "2000 cycles",
      partitions: [
        { name: "a", image: "fpmath", ram: "1M" },
        { name: "b", image: "fpmath", ram: "1M" },
        { name: "plain", image: "fp-traps", ram: "1M", fpu: false },
        { name: "plainc", image: "fpmath", ram: "1M", fpu: false },
      ],
    };
    const seen: unknown[] = [];
    for (const { core, paging } of COMBOS) {
      const r = await runSystem(description, { core, paging });
      expect(r.output.a).toBe(expected("fpmath"));
      expect(r.output.b).toBe(expected("fpmath"));
      // misa without F and D: the guest's first check fails.
      expect(r.output.plain).toBe("fp-traps: FAIL test 1: got 0x00000000 expected 0x00000028\n");
      // start.S turns the FPU on: mstatus.FS does not stick, and fcsr is an illegal instruction.
      expect(r.output.plainc).toMatch(/^unexpected trap: mcause=0x00000002 /);
      expect(r.stats.worldSwitches).toBeGreaterThan(1000);
      seen.push(observable(r));
    }
    for (const o of seen) expect(o).toEqual(seen[0]);
  }, 120_000);

  it("the description's \"fpu\" must be a boolean", async () => {
    await expect(runSystem({ partitions: [{ name: "a", image: "fpmath", fpu: "yes" }] }, { core: "ts" }))
      .rejects.toThrow(/partitions\[0\]\.fpu: must be true \(F and D, the default\) or false/);
  });
});
