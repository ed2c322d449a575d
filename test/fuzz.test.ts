// The fuzz test's fixed budget in CI: the same seeds every run (npm run fuzz runs longer
// campaigns from any seed). Each case mutates or generates an input — an ELF, a Linux Image and
// initrd, a system description, a disk, a command line — and runs the CLI on it in-process, in
// a child process with a wall-clock limit, on both cores when a guest runs. The outcome must be
// a clear error (status 2 naming the input), or a run that stopped with a status; never an
// uncaught exception, a hang, internal error text, or cores that disagree
// (test/support/fuzz/execute.ts). A failure names its seed and writes a reproducer to
// scratch/fuzz/<kind>-<seed>/repro.sh.
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { ROOT } from "./support/harness.ts";
import { KINDS, type FuzzKind } from "./support/fuzz/cases.ts";
import { loadCorpus } from "./support/fuzz/corpus.ts";
import { runCampaign, writeReproducer } from "./support/fuzz/campaign.ts";

/** Cases per kind: about a minute on one core of the CI machine. */
const BUDGET: Record<FuzzKind, number> = { validator: 600, elf: 70, system: 110, disk: 70, argv: 160, linux: 20 };

describe("fuzzing the inputs (fixed seeds)", () => {
  it("no input crashes, hangs, or gets an internal error; the cores agree", async () => {
    const kinds = KINDS.filter((k) => k !== "linux" || loadCorpus().linux !== null); // (guests/linux/build.sh)
    // Kinds interleaved, seeds 1..N of each.
    const queue: Array<{ kind: FuzzKind; seed: number }> = [];
    for (let seed = 1; queue.length < kinds.reduce((n, k) => n + BUDGET[k], 0); seed++) {
      for (const kind of kinds) if (seed <= BUDGET[kind]) queue.push({ kind, seed });
    }
    const result = await runCampaign({ next: () => queue.shift() ?? null, jobs: 1, timeoutMs: 60_000 });
    const reports = result.failures.map((f) => {
      const script = writeReproducer(f, join(ROOT, "scratch", "fuzz"));
      return `${f.kind}:${f.seed} (${f.what})\n  ${f.problems.join("\n  ")}\n  reproduce: ${script} or npm run fuzz -- --replay ${f.kind}:${f.seed}`;
    });
    console.log(`fuzz: ${result.cases} cases in ${result.seconds.toFixed(1)} s (${(result.cases / result.seconds).toFixed(1)}/s); ` +
      [...result.perKind].map(([k, v]) => `${k} ${v.cases}`).join(", "));
    expect(result.cases).toBe(kinds.reduce((n, k) => n + BUDGET[k], 0));
    expect(reports, reports.join("\n\n")).toEqual([]);
  }, 300_000);
});
