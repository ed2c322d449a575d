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

    it(`budgets stay exact where interrupts and traps crowd the end of a slice (${core})`, async () => {
      // Every step(1) does exactly one unit of work, even when the instruction that spends it
      // (an ECALL, a CSR write enabling a pending interrupt) leaves an interrupt to take: that
      // interrupt belongs to the next step.
      for (const name of ["interrupts", "irq-priority", "traps"]) {
        const m = await makeMachine(core, { ramBytes: 1 << 20 });
        m.loadElf(guestElf(name));
        let steps = 0;
        while (!m.halted) {
          const done = m.step(1);
          if (m.halted) break;
          expect(done, `${name} step ${steps}`).toBe(1);
          steps++;
        }
        expect(m.work).toBe(steps + 1);
      }
    }, 60_000);

    it(`how the host slices a run never changes what the guest sees (${core})`, async () => {
      // Interrupt-heavy guests, run in slices of 1, 3, 97 and 10,000 units and in one go: the
      // same output, instructions, traps and final state. (A trap taken after a spent budget
      // once made the slicing visible.)
      for (const name of ["interrupts", "irq-priority", "timer", "uartirq"]) {
        const input = name === "uartirq" ? "ab\ncd\nquit\n" : undefined;
        const runs: unknown[] = [];
        for (const slice of [1, 3, 97, 10_000, 1e9]) {
          let out = "";
          const m = await makeMachine(core, { ramBytes: 1 << 20, onOutput: (b) => { out += Buffer.from(b).toString(); } });
          m.loadElf(guestElf(name));
          if (input) m.pushInput(new TextEncoder().encode(input));
          while (!m.halted && m.work < 5_000_000) m.step(slice);
          runs.push({ out, retired: m.retired, work: m.work, regs: m.registers(), halt: m.halted?.kind });
        }
        for (const r of runs) expect(r, name).toEqual(runs[0]);
      }
    }, 60_000);

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
