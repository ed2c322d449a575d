// npm run fuzz -- [--duration 10m | --cases N] [--seed S] [--kinds elf,linux,...] [--jobs N]
//                 [--timeout SECONDS] [--out DIR] [--replay KIND:SEED]
//
// A fuzzing campaign over wasmvisor's inputs (test/support/fuzz/): ELF files, Linux Images and
// initrds, system descriptions, disk images and command lines, mutated from the project's own
// inputs and generated from their structure. Case n of a kind has seed S + n, so the same
// options run the same cases. At the end it prints a summary per kind (cases, cases per second,
// statuses seen) and every failing seed, with a reproducer written to DIR/<kind>-<seed>/
// (default scratch/fuzz/, git-ignored). --replay runs one case in this process and shows the
// outcome in full.

import { cpus } from "node:os";
import { join } from "node:path";
import { ROOT } from "../test/support/harness.ts";
import { KINDS, makeCase, type FuzzKind } from "../test/support/fuzz/cases.ts";
import { runCase, judge } from "../test/support/fuzz/execute.ts";
import { runCampaign, writeReproducer, type Failure } from "../test/support/fuzz/campaign.ts";
import { tmpdir } from "node:os";

/** How often each kind comes up in a campaign (the validator is cheap, Linux is not). */
const WEIGHTS: Record<FuzzKind, number> = { validator: 6, elf: 3, system: 3, argv: 3, disk: 2, linux: 1 };

function usage(message: string): never {
  process.stderr.write(`fuzz: ${message}\nusage: npm run fuzz -- [--duration 10m | --cases N] [--seed S] [--kinds ${KINDS.join(",")}] [--jobs N] [--timeout SECONDS] [--out DIR] [--replay KIND:SEED]\n`);
  process.exit(2);
}

function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (!m) usage(`--duration ${text}: expected e.g. 90s, 10m, 2h`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[(m[2] ?? "s") as "s"];
}

function parse(argv: string[]) {
  const o = { seconds: 60, cases: Infinity, seed: Date.now() % 1_000_000, kinds: [...KINDS] as FuzzKind[], jobs: Math.max(1, cpus().length), timeout: 60, out: join(ROOT, "scratch", "fuzz"), replay: null as null | { kind: FuzzKind; seed: number } };
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split("=", 2);
    const value = () => inline ?? argv[++i] ?? usage(`${name} needs a value`);
    const int = (v: string) => (/^\d+$/.test(v) ? Number(v) : usage(`${name} ${v}: expected a whole number`));
    if (name === "--duration") o.seconds = parseDuration(value());
    else if (name === "--cases") o.cases = int(value());
    else if (name === "--seed") o.seed = int(value());
    else if (name === "--jobs") o.jobs = Math.max(1, int(value()));
    else if (name === "--timeout") o.timeout = int(value());
    else if (name === "--out") o.out = value();
    else if (name === "--kinds") {
      o.kinds = value().split(",").map((k) => (KINDS.includes(k as FuzzKind) ? (k as FuzzKind) : usage(`--kinds: "${k}" is not one of ${KINDS.join(", ")}`)));
    } else if (name === "--replay") {
      const m = /^(\w+):(\d+)$/.exec(value());
      if (!m || !KINDS.includes(m[1] as FuzzKind)) usage(`--replay: expected KIND:SEED with KIND one of ${KINDS.join(", ")}`);
      o.replay = { kind: m[1] as FuzzKind, seed: Number(m[2]) };
    } else usage(`unknown option ${name}`);
  }
  if (o.cases !== Infinity && !argv.some((a) => a.startsWith("--duration"))) o.seconds = Infinity;
  return o;
}

async function replay(kind: FuzzKind, seed: number): Promise<number> {
  const c = makeCase(kind, seed);
  process.stdout.write(`case ${kind}:${seed}: ${c.what}\nargv: ${JSON.stringify(c.argv)}\n`);
  if (c.doc !== undefined) process.stdout.write(`document: ${JSON.stringify(c.doc).slice(0, 2000)}\n`);
  const result = await runCase(c, join(tmpdir(), `wasmvisor-replay-${process.pid}`));
  for (const run of result.runs) {
    process.stdout.write(`\n── ${run.core ?? "run"}: ${run.threw ? "threw" : `status ${run.status}`} in ${run.ms.toFixed(0)} ms\n`);
    if (run.threw) process.stdout.write(`${run.threw}\n`);
    process.stdout.write(`stdout (${run.stdoutBytes} bytes): ${JSON.stringify(run.stdout.slice(0, 500))}\nstderr:\n${run.stderr.slice(0, 4000)}\n`);
  }
  if (result.validator) process.stdout.write(`${JSON.stringify(result.validator, null, 1).slice(0, 4000)}\n`);
  const problems = judge(c, result);
  process.stdout.write(problems.length ? `\nFAILED:\n${problems.join("\n")}\n` : "\npassed\n");
  return problems.length ? 1 : 0;
}

async function campaign(o: ReturnType<typeof parse>): Promise<number> {
  const order = o.kinds.flatMap((k) => Array<FuzzKind>(WEIGHTS[k]).fill(k));
  const nextSeed = new Map<FuzzKind, number>(o.kinds.map((k) => [k, o.seed]));
  const deadline = performance.now() + o.seconds * 1000;
  let handed = 0;
  process.stdout.write(`fuzzing ${o.kinds.join(", ")} from seed ${o.seed} with ${o.jobs} jobs, ${o.seconds === Infinity ? `${o.cases} cases` : `${o.seconds} s`}; a case has ${o.timeout} s\n`);
  let lastReport = performance.now();
  const slowest: Array<{ name: string; ms: number }> = [];
  const result = await runCampaign({
    jobs: o.jobs,
    timeoutMs: o.timeout * 1000,
    next: () => {
      if (handed >= o.cases || performance.now() >= deadline) return null;
      const kind = order[handed++ % order.length];
      const seed = nextSeed.get(kind)!;
      nextSeed.set(kind, seed + 1);
      return { kind, seed };
    },
    onCase: (kind, seed, reply, failure) => {
      if (reply) {
        slowest.push({ name: `${kind}:${seed}`, ms: reply.ms });
        slowest.sort((a, b) => b.ms - a.ms).splice(5);
      }
      if (failure) process.stdout.write(`FAIL ${kind}:${seed} ${failure.problems[0].split("\n")[0]}\n`);
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        process.stdout.write(`  … ${handed} cases\n`);
      }
    },
  });
  process.stdout.write(`\n${result.cases} cases in ${result.seconds.toFixed(1)} s (${(result.cases / result.seconds).toFixed(1)} cases/s with ${o.jobs} jobs)\n`);
  process.stdout.write("kind       cases  ms/case  cases/s/job  failures  statuses\n");
  for (const kind of o.kinds) {
    const k = result.perKind.get(kind);
    if (!k) continue;
    const statuses = [...k.statuses].sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s}×${n}`).join(" ");
    process.stdout.write(`${kind.padEnd(10)} ${String(k.cases).padStart(5)} ${(k.ms / k.cases).toFixed(1).padStart(8)} ${(1000 * k.cases / k.ms).toFixed(1).padStart(12)} ${String(k.failures).padStart(9)}  ${statuses}\n`);
  }
  process.stdout.write(`slowest: ${slowest.map((x) => `${x.name} ${(x.ms / 1000).toFixed(1)} s`).join(", ")}\n`);
  if (result.failures.length === 0) {
    process.stdout.write("no failures\n");
    return 0;
  }
  process.stdout.write(`\n${result.failures.length} failing seeds:\n`);
  for (const f of result.failures) process.stdout.write(report(f, o.out));
  return 1;
}

function report(f: Failure, out: string): string {
  const script = writeReproducer(f, out);
  return `\n${f.kind}:${f.seed} — ${f.what}\n  ${f.problems.join("\n  ").split("\n").join("\n  ")}\n  reproduce: ${script}  (or npm run fuzz -- --replay ${f.kind}:${f.seed})\n`;
}

const o = parse(process.argv.slice(2));
process.exitCode = o.replay ? await replay(o.replay.kind, o.replay.seed) : await campaign(o);
