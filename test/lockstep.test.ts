// Lockstep differential testing: the Wasm core and the pure-TS core run side by side, their
// architectural state (registers, pc, privilege, CSRs, counters) is compared every N units of
// work and their memories at the end; the first divergence is located by a step-by-step
// replay and reported with the instruction's disassembly.
import { describe, expect, it } from "vitest";
import { guestElf, lockstep, makeMachine, archState } from "./support/harness.ts";
import { randomProgram, RANDOM_RAM_BYTES } from "./support/random-program.ts";
import { SYS_STAT_TRAPS, SYS_STAT_TLB_FILLS, HART_X } from "../assembly/layout.ts";
import type { Machine } from "../src/machine/machine.ts";
import { jitHotValue } from "../src/jit/hot.ts";

/** With the translator on from the environment (WASMVISOR_JIT=on, `npm run test:jit`), both cores
 *  translate at one threshold: the back ends' defaults differ (src/jit/hot.ts JIT_HOT_JS), and
 *  so would the translator's areas, which this test compares with the rest of the cores'
 *  memories. (The option is ignored with the translator off.) */
const SAME_HOT = jitHotValue(undefined, "ts");

async function pair(load: (m: Machine) => void, ramBytes?: number): Promise<[Machine, Machine]> {
  const a = await makeMachine("wasm", { ramBytes, jitHot: SAME_HOT });
  const b = await makeMachine("ts", { ramBytes, jitHot: SAME_HOT });
  load(a);
  load(b);
  return [a, b];
}

describe("lockstep: guest programs", () => {
  const cases: Array<[string, number, number]> = [
    ["traps", 10_000, 17],
    ["interrupts", 10_000, 13],
    ["sv32", 10_000, 11],
    ["csr-warl", 10_000, 7],
    ["pmp", 10_000, 5],
    ["sstc", 10_000, 3],
    ["trigger", 10_000, 3],
    ["trigger-edge", 10_000, 3],
    ["timer", 10_000, 29],
    ["bench", 20_000_000, 100_003],
  ];
  for (const [name, total, every] of cases) {
    it(`${name}: both cores agree every ${every} instructions`, async () => {
      const elf = guestElf(name);
      const d = await lockstep(() => pair((m) => m.loadElf(elf)), total, every);
      expect(d?.detail ?? null).toBeNull();
    }, 120_000);
  }
});

describe("lockstep: seeded random instruction streams", () => {
  const SEEDS = 48;
  const WORK = 30_000;
  it(`${SEEDS} random programs × ${WORK} instructions agree on both cores`, async () => {
    let traps = 0;
    let fills = 0;
    let paged = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const prog = randomProgram(seed);
      if (prog.paging) paged++;
      let last: Machine | null = null;
      const d = await lockstep(async () => {
        const p = await pair((m) => m.loadImage(prog.image, `random-${seed}`), RANDOM_RAM_BYTES);
        last = p[0];
        return p;
      }, WORK, 97);
      expect(d === null ? null : `seed ${seed}: ${d.detail}`).toBeNull();
      const words = new Int32Array(last!.core.memory);
      traps += words[SYS_STAT_TRAPS >> 2];
      fills += words[SYS_STAT_TLB_FILLS >> 2];
    }
    // The streams must really exercise traps, privilege changes and translation.
    expect(traps).toBeGreaterThan(SEEDS * 100);
    expect(fills).toBeGreaterThan(SEEDS * 10);
    expect(paged).toBeGreaterThan(SEEDS / 4);
  }, 300_000);

  it("finds and reports a divergence (the harness can fail)", async () => {
    const prog = randomProgram(7);
    let made = 0;
    const d = await lockstep(async () => {
      const [a, b] = await pair((m) => m.loadImage(prog.image), RANDOM_RAM_BYTES);
      // Corrupt the TS machine's a0 after the core writes it: the first instruction that reads
      // a0 afterwards (or the state compare) must expose it.
      const words = new Int32Array(b.core.memory);
      const step = b.step.bind(b);
      const run = made++;
      b.step = (budget: number, inputOpen?: boolean) => {
        const n = step(budget, inputOpen);
        if (b.work >= 1000 && words[(HART_X + 10 * 4) >> 2] === new Int32Array(a.core.memory)[(HART_X + 10 * 4) >> 2]) {
          words[(HART_X + 10 * 4) >> 2] ^= 0x40;
        }
        return n;
      };
      void run;
      return [a, b];
    }, 5_000, 97);
    expect(d).not.toBeNull();
    expect(d!.detail).toMatch(/x10: wasm=0x[0-9a-f]+ ts=0x[0-9a-f]+/);
    expect(d!.detail).toMatch(/after the instruction at pc 0x[0-9a-f]+ \(.+\)/);
  }, 60_000);

  it("a program's state is the same after the same work on both cores (sanity of archState)", async () => {
    const prog = randomProgram(3);
    const [a, b] = await pair((m) => m.loadImage(prog.image), RANDOM_RAM_BYTES);
    a.step(5000);
    b.step(5000);
    expect(Array.from(archState(b))).toEqual(Array.from(archState(a)));
  });
});
