// The translator (docs/jit.md) against the interpreter: the pure-TS core with the JavaScript
// back end on and off, side by side (test/support/harness.ts lockstep: architectural state every
// N units of work, guest RAM at the end, the first divergence located and disassembled), on the
// guest programs and on seeded random instruction streams; and whole runs of the guest table
// (output, exit status, instruction count). JIT_SEEDS / JIT_WORK make a campaign of it
// (npm run campaign:jit).
import { describe, expect, it } from "vitest";
import { guestElf, lockstep, makeMachine, guestRamHash, runGuest, JIT_TEST_HOT } from "./support/harness.ts";
import { GUESTS } from "./support/guests-table.ts";
import { randomProgram, RANDOM_RAM_BYTES } from "./support/random-program.ts";
import { SYS_STAT_JIT_REGIONS, SYS_STAT_JIT_RETIRED_LO, SYS_JIT_HOT } from "../assembly/layout.ts";
import { jitHotValue, jitOn, JIT_HOT_JS } from "../src/jit/hot.ts";
import type { Machine } from "../src/machine/machine.ts";
import type { CoreKind } from "../src/core/core.ts";

/** The interpreter (the pure-TS core) and a core with the translator on: the pure-TS core (its
 *  JavaScript back end) or the Wasm core (its Wasm back end), so each back end is checked
 *  against the interpreter of the other build as well (test/lockstep.test.ts: the two
 *  interpreters agree). */
const JIT_CORES: readonly CoreKind[] = ["ts", "wasm"];

async function pair(load: (m: Machine) => void, ramBytes?: number, core: CoreKind = "ts"): Promise<[Machine, Machine]> {
  const a = await makeMachine("ts", { ramBytes, jit: false });
  const b = await makeMachine(core, { ramBytes, jit: true, jitHot: JIT_TEST_HOT });
  load(a);
  load(b);
  return [a, b];
}

const jitStat = (m: Machine, at: number) => new Int32Array(m.core.memory)[at >> 2];

describe("jit: translated code agrees with the interpreter", () => {
  const cases: Array<[string, number, number]> = [
    ["hello", 10_000, 1],
    ["hello", 10_000, 7],
    ["traps", 10_000, 17],
    ["interrupts", 10_000, 13],
    ["sv32", 10_000, 11],
    ["timer", 10_000, 29],
    ["bench", 3_000_000, 100_003],
    ["bench", 300_000, 997],
    ["cmark", 3_000_000, 10_007],
  ];
  for (const core of JIT_CORES) for (const [name, total, every] of cases) {
    it(`${name}, ${core} core: every ${every} units of work`, async () => {
      const elf = guestElf(name);
      let jitted: Machine | null = null;
      const d = await lockstep(async () => {
        const p = await pair((m) => m.loadElf(elf), undefined, core);
        jitted = p[1];
        return p;
      }, total, every, guestRamHash);
      expect(d?.detail ?? null).toBeNull();
      if (name === "bench" || name === "cmark") expect(jitStat(jitted!, SYS_STAT_JIT_RETIRED_LO)).toBeGreaterThan(total / 2);
    }, 120_000);
  }
});

describe("jit: seeded random instruction streams", () => {
  // A short fixed budget here; npm run campaign:jit runs JIT_SEEDS seeds × JIT_WORK units.
  const SEEDS = Number(process.env.JIT_SEEDS ?? 24);
  const WORK = Number(process.env.JIT_WORK ?? 30_000);
  for (const core of JIT_CORES) it(`${core} core: ${SEEDS} random programs × ${WORK} units of work agree with the interpreter`, async () => {
    let translated = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const prog = randomProgram(seed);
      for (const every of [97, 1009]) {
        let jitted: Machine | null = null;
        const d = await lockstep(async () => {
          const p = await pair((m) => m.loadImage(prog.image, `random-${seed}`), RANDOM_RAM_BYTES, core);
          jitted = p[1];
          return p;
        }, WORK, every, guestRamHash);
        expect(d === null ? null : `seed ${seed} (every ${every}): ${d.detail}`).toBeNull();
        translated += jitStat(jitted!, SYS_STAT_JIT_REGIONS);
      }
    }
    // The streams must really reach translated code.
    expect(translated).toBeGreaterThan(SEEDS);
  }, 600_000);
});

describe("jit: on or off", () => {
  it("is on unless an option or WASMVISOR_JIT=off says otherwise; a bad WASMVISOR_JIT is an error", () => {
    const saved = process.env.WASMVISOR_JIT;
    try {
      delete process.env.WASMVISOR_JIT;
      expect(jitOn(undefined)).toBe(true);
      expect(jitOn(false)).toBe(false);
      process.env.WASMVISOR_JIT = "off";
      expect(jitOn(undefined)).toBe(false);
      expect(jitOn(true)).toBe(true);
      process.env.WASMVISOR_JIT = "on";
      expect(jitOn(undefined)).toBe(true);
      expect(jitOn(false)).toBe(false);
      process.env.WASMVISOR_JIT = "yes";
      expect(() => jitOn(undefined)).toThrow(/WASMVISOR_JIT=yes: use on or off/);
    } finally {
      if (saved === undefined) delete process.env.WASMVISOR_JIT;
      else process.env.WASMVISOR_JIT = saved;
    }
  });
});

describe("jit: the threshold a host sets", () => {
  it("is the core's default (0: 16384) for the Wasm back end and JIT_HOT_JS for the JavaScript one, unless an option or WASMVISOR_JIT_HOT says", async () => {
    const saved = process.env.WASMVISOR_JIT_HOT;
    try {
      delete process.env.WASMVISOR_JIT_HOT;
      expect(jitHotValue(undefined, "wasm")).toBe(0);
      expect(jitHotValue(undefined, "ts")).toBe(JIT_HOT_JS);
      expect(jitHotValue(500, "ts")).toBe(500);
      expect(jitHotValue(500, "wasm")).toBe(500);
      expect(() => jitHotValue(0, "ts")).toThrow(RangeError);
      // (what the core reads: the Machine writes it before the translator's area is reset)
      for (const core of JIT_CORES) {
        const m = await makeMachine(core, { jit: true });
        expect(jitStat(m, SYS_JIT_HOT), core).toBe(core === "ts" ? JIT_HOT_JS : 0);
      }
      process.env.WASMVISOR_JIT_HOT = "77";
      expect(jitHotValue(undefined, "ts")).toBe(77);
      expect(jitHotValue(undefined, "wasm")).toBe(77);
      expect(jitHotValue(9, "ts")).toBe(9);
    } finally {
      if (saved === undefined) delete process.env.WASMVISOR_JIT_HOT;
      else process.env.WASMVISOR_JIT_HOT = saved;
    }
  });
});

describe("jit: the guest programs", () => {
  for (const core of JIT_CORES) for (const g of GUESTS) {
    it(`${g.name}, ${core} core: the same output, status and instructions with the translator on`, async () => {
      const r = await runGuest(core, guestElf(g.name), { input: g.input, harts: g.harts, jit: true });
      expect(r.output).toBe(g.output);
      expect(r.halt?.status).toBe(g.status);
      expect(r.retired).toBe(g.instructions);
    }, 120_000);
  }
});
