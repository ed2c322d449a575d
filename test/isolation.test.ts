// Isolation: a victim partition (guests/c/ticks.c, whose output is its own timing: interrupt
// latencies, instructions retired at each tick, loop iterations) must print exactly the same
// next to a hostile partition (guests/sbi/hostile.S: memory probes and escapes, CSR escalation,
// MRET/SRET tricks, interrupt storms, an endless loop with interrupts off) or a fatal fault
// (guests/asm/trap-loop.S) as next to a benign one, on both cores and both paging modes, and the
// host never throws.
import { describe, expect, it } from "vitest";
import { COMBOS, runEverywhere, runSystem, type SystemRun } from "./support/system.ts";
import { STATUS_FAULT } from "../src/api/hypervisor.ts";

const HOSTILE_OUTPUT = [
  "hostile: 4096 MiB probed, only its own devices answered",
  "hostile: stores, AMO, jump and page-table escapes faulted",
  "hostile: machine-level CSRs out of reach",
  "hostile: MRET/SRET tricks faulted, still in S",
  "hostile: 6000 self-inflicted interrupts handled",
  "hostile: spinning with interrupts disabled",
].map((l) => l + "\n").join("");

const victim = { name: "victim", image: "ticks", ram: "1M" };
const partners: Record<string, object> = {
  benign: { name: "other", image: "hello", ram: "1M" },
  spinning: { name: "other", image: "spin", ram: "64K" },
  hostile: { name: "other", image: "hostile", mode: "supervisor", ram: "1M" },
  faulting: { name: "other", image: "trap-loop", ram: "64K" },
};

/** Time partitioning: the partner's window, then the victim's, in a 700 µs frame (so the
 *  victim's 1 ms deadlines fall at every phase of the frame, some in the partner's window). */
function windowed(partner: object | null): object {
  return {
    partitions: partner ? [partner, victim] : [victim],
    schedule: {
      majorFrame: "700us",
      windows: [
        ...(partner ? [{ start: 0, length: "350us", partitions: ["other"] }] : []),
        { start: "350us", length: "350us", partitions: ["victim"] },
      ],
    },
  };
}

/** One window for both; the partner has the higher priority but an MCS budget of 50 %. */
function budgeted(partner: object): object {
  return {
    quantum: "100us",
    partitions: [{ ...partner, priority: 5, budget: "50us", period: "100us" }, { ...victim, priority: 1 }],
  };
}

/** What the victim shows of its world: its output, its instructions and when it ended. */
function victimView(r: SystemRun) {
  const p = r.stats.partitions.find((q) => q.name === "victim")!;
  return { output: r.output.victim, instructions: p.instructions, cycles: p.cycles, haltedAt: r.haltedAt.victim, halt: r.result.partitions.find((q) => q.name === "victim")!.halt };
}

async function run(description: object, combo: (typeof COMBOS)[number]): Promise<SystemRun> {
  return runSystem(description, { ...combo, stopWhenHalted: ["victim"], maxInsns: 50_000_000 });
}

describe("a hostile partition cannot touch its neighbour", () => {
  for (const combo of COMBOS) {
    it(`time windows: the victim's output and timing are the same whatever its neighbour does (${combo.core}, ${combo.paging})`, async () => {
      const alone = await run(windowed(null), combo);
      const v = victimView(alone);
      expect(v.halt).toMatchObject({ kind: "pass", status: 0 });
      expect(v.output).toMatch(/^tick 1: \d+ ticks late, instret \d+\n(.*\n){19}\d+ iterations/);
      for (const [kind, partner] of Object.entries(partners)) {
        const r = await run(windowed(partner), combo);
        expect(victimView(r), `victim next to a ${kind} partition`).toEqual(v);
        if (kind === "hostile") {
          expect(r.output.other).toBe(HOSTILE_OUTPUT);
          expect(r.result.partitions[0].halt).toBeNull(); // still spinning when the victim ended
          expect(r.result.reason).toBe("stopped");
          expect(r.stats.partitions[0].exits.traps).toBeGreaterThan(6_000);
        }
        if (kind === "faulting") {
          expect(r.result.partitions[0].halt).toMatchObject({ kind: "fault", status: STATUS_FAULT });
        }
      }
    }, 120_000);
  }

  it("a shared window: a higher-priority neighbour is held to its budget, hostile or not", async () => {
    const views: unknown[] = [];
    for (const combo of COMBOS) {
      const baseline = victimView(await run(budgeted(partners.spinning), combo));
      const hostile = await run(budgeted(partners.hostile), combo);
      expect(victimView(hostile)).toEqual(baseline);
      expect(hostile.output.other).toBe(HOSTILE_OUTPUT);
      // The neighbour had exactly its budget, 5,000 cycles in every 10,000-cycle period that
      // has passed (and at most its budget in the current one); the victim had the rest.
      const end = hostile.haltedAt.victim;
      const periods = Math.floor(end / 10_000);
      const other = hostile.stats.partitions[0].cycles;
      expect(other).toBeGreaterThanOrEqual(periods * 5_000);
      expect(other).toBeLessThanOrEqual(periods * 5_000 + Math.min(5_000, end - periods * 10_000));
      expect(hostile.stats.partitions[1].cycles + other).toBe(end + 1); // + the finisher store at `end`
      views.push(baseline);
    }
    for (const v of views) expect(v).toEqual(views[0]);
  }, 120_000);

  it("the hostile guest's checks are real: with a RAM window left open it reports the leak", async () => {
    // Map a shared region where the probe looks (readable): the probe must notice one more
    // readable MiB and fail, proving it would have caught a leak in the partition's map.
    const r = await runEverywhere({
      memoryRegions: [{ name: "leak", size: "1M" }],
      partitions: [{ name: "h", image: "hostile", mode: "supervisor", ram: "1M", mappings: [{ region: "leak", address: "0xa0000000", perms: "r" }] }],
    }, { maxInsns: 10_000_000 });
    expect(r.output.h).toMatch(/hostile: FAIL test 1: got 0x0000000a expected 0x00000009/);
  }, 60_000);
});
