// The host-kill campaign can fail (test/rapilog-host.test.ts runs it on the correct code): each
// mutation of RapiLog's shutdown path, switched on through the test-only hooks of
// src/node/rapilog-disk.ts, must be caught losing acknowledged commits —
//   sync-no-wait    sync() returns without waiting for the writer
//   close-no-sync   close() stops the writer and closes the file without syncing
//   no-fdatasync    the writer never fdatasyncs; a process exit alone cannot show it (the page
//                   cache survives), so every exit is followed by a simulated power cut: the
//                   image is replaced by the writer's model of what was fdatasynced
// — while the same campaign under the same conditions without the mutation loses none.
import { describe, expect, it } from "vitest";
import { hostKillCampaign, summarize, type CampaignOptions } from "./support/host-kill.ts";
import { linuxMissing } from "./support/linux.ts";

const missing = linuxMissing();

async function campaign(o: CampaignOptions) {
  const r = await hostKillCampaign(o);
  console.log(summarize(r));
  return r;
}

describe.skipIf(missing !== null)("the campaign catches the mutations", () => {
  // A slow host disk (25 ms per group) for mutants and control alike: a shutdown that does not
  // wait for the writer then leaves the last group unwritten almost every time, where on a fast
  // disk the writer often wins the race anyway (and the mutant escapes a short campaign).
  // And the translator at its default threshold even where the suite sets a low one (npm run
  // test:jit's 32: each process then translates hundreds of regions and runs a few times slower,
  // so the writer keeps up with the commits and a mutant's race is never lost in 8 kills).
  const SLOW = { WASMVISOR_RAPILOG_SLOW_DISK_MS: "25", WASMVISOR_JIT_HOT: "" };
  const base = { core: "wasm", mode: "rapilog", endings: ["SIGTERM", "SIGHUP", "SIGINT"] } as const;

  it("control: the correct code on a slow disk loses nothing", async () => {
    const r = await campaign({ ...base, kills: 3, seed: 0x4b11_0010, env: SLOW });
    expect(r.problems).toEqual([]);
    expect(r.lostHandled).toBe(0);
  }, 300_000);

  for (const fault of ["sync-no-wait", "close-no-sync"] as const) {
    it(`${fault}: acknowledged commits lost`, async () => {
      const r = await campaign({ ...base, kills: 8, seed: 0x4b11_0011, env: { ...SLOW, WASMVISOR_RAPILOG_FAULT: fault }, stopAtFirstLoss: true, finalCheck: false, keepOnProblems: false });
      expect(r.lostHandled).toBeGreaterThan(0);
      expect(r.problems.some((p) => /lost \d+ acknowledged commits/.test(p))).toBe(true);
    }, 300_000);
  }

  it("power cut after each exit: the correct code loses nothing; a writer that never fdatasyncs loses everything", async () => {
    const control = await campaign({ ...base, kills: 3, seed: 0x4b11_0012, powerCut: true });
    expect(control.problems).toEqual([]);
    expect(control.lostHandled).toBe(0);
    const r = await campaign({ ...base, kills: 2, seed: 0x4b11_0012, powerCut: true, env: { WASMVISOR_RAPILOG_FAULT: "no-fdatasync" }, stopAtFirstLoss: true, finalCheck: false, keepOnProblems: false });
    expect(r.rounds).toHaveLength(1);
    expect(r.rounds[0].lost).toBe(r.rounds[0].acked); // nothing was ever made durable
  }, 300_000);
});
