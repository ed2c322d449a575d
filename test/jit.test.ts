// The translator (docs/jit.md) against the interpreter: the pure-TS core with the JavaScript
// back end on and off, side by side (test/support/harness.ts lockstep: architectural state every
// N units of work, guest RAM at the end, the first divergence located and disassembled), on the
// guest programs and on seeded random instruction streams; and whole runs of the guest table
// (output, exit status, instruction count). JIT_SEEDS / JIT_WORK make a campaign of it
// (npm run campaign:jit).
import { describe, expect, it } from "vitest";
import { guestElf, lockstep, makeMachine, guestRamHash } from "./support/harness.ts";
import { randomProgram, RANDOM_RAM_BYTES } from "./support/random-program.ts";
import { SYS_STAT_JIT_REGIONS, SYS_STAT_JIT_RETIRED_LO } from "../assembly/layout.ts";
import type { Machine } from "../src/machine/machine.ts";

async function pair(load: (m: Machine) => void, ramBytes?: number): Promise<[Machine, Machine]> {
  const a = await makeMachine("ts", { ramBytes });
  const b = await makeMachine("ts", { ramBytes, jit: true });
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
  ];
  for (const [name, total, every] of cases) {
    it(`${name}: every ${every} units of work`, async () => {
      const elf = guestElf(name);
      let jitted: Machine | null = null;
      const d = await lockstep(async () => {
        const p = await pair((m) => m.loadElf(elf));
        jitted = p[1];
        return p;
      }, total, every, guestRamHash);
      expect(d?.detail ?? null).toBeNull();
      if (name === "bench") expect(jitStat(jitted!, SYS_STAT_JIT_RETIRED_LO)).toBeGreaterThan(total / 2);
    }, 120_000);
  }
});
