// Machine-level properties: exact budgets, determinism, reload.
import { describe, expect, it } from "vitest";
import { CORES, guestElf, makeMachine } from "./support/harness.ts";

describe("machine", () => {
  for (const core of CORES) {
    it(`runs exactly the budget it is given (${core})`, async () => {
      const m = await makeMachine(core);
      m.loadElf(guestElf("bench"));
      let total = 0;
      for (const budget of [1, 2, 3, 7, 100, 1_000, 4_097, 65_536, 1_000_003]) {
        const done = m.step(budget);
        expect(done).toBe(budget);
        total += budget;
        expect(m.work).toBe(total);
      }
    });

    it(`is deterministic: two runs give the same output and counts (${core})`, async () => {
      const outputs: string[] = [];
      const counts: number[] = [];
      for (let i = 0; i < 2; i++) {
        let out = "";
        const m = await makeMachine(core, { onOutput: (b) => { out += Buffer.from(b).toString(); } });
        m.loadElf(guestElf("timer"));
        m.step(10_000_000);
        outputs.push(out);
        counts.push(m.retired);
      }
      expect(outputs[1]).toBe(outputs[0]);
      expect(counts[1]).toBe(counts[0]);
    });

    it(`reloading an image starts from clean RAM (${core})`, async () => {
      const m = await makeMachine(core, { ramBytes: 1 << 20 });
      m.loadElf(guestElf("rv32i"));
      m.step(1_000_000);
      const first = m.registers();
      m.loadElf(guestElf("rv32i"));
      m.step(1_000_000);
      expect(m.registers()).toEqual(first);
      expect(m.halted?.kind).toBe("pass");
    });
  }
});
