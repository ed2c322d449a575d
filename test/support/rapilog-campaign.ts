// The long host-kill campaign (`npm run campaign:rapilog -- [options]`; see host-kill.ts for what a
// round does). For each disk mode: handled endings (SIGTERM, SIGHUP, SIGINT, a closed terminal, a
// closed stdout) on the Wasm core and a few on the pure-TS core, which must lose nothing; SIGKILL,
// whose losses are measured; then the RapiLog mutations, whose detection rate is measured (each
// must be caught at least once), with their controls. Prints a table per campaign; exits 1 when
// a promise was broken or a mutation escaped.
//
//   --kills N      handled endings per mode, Wasm core (default 60)
//   --ts N         handled endings per mode, pure-TS core (default 6)
//   --sigkill N    SIGKILLs per mode (default 30)
//   --mutations N  kills per mutation (default 10; 0: none)
//   --modes LIST   rapilog,writethrough (default both)
//   --seed S       the first seed (default 1); every campaign derives its own from it
//   --cli src|dist run the sources through tsx, or bin/wasmvisor.mjs (dist/; the npm script
//                  builds it first) (default src)
//   --json FILE    also write every round as JSON

import { writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { hostKillCampaign, summarize, type CampaignOptions, type CampaignResult, type DiskMode, type Ending, type Launcher } from "./host-kill.ts";
import { linuxMissing } from "./linux.ts";

function options(argv: string[]): Record<string, string> {
  const known = ["kills", "ts", "sigkill", "mutations", "modes", "seed", "cli", "json"];
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, "");
    if (!argv[i].startsWith("--") || !known.includes(name) || i + 1 >= argv.length) {
      throw new Error(`usage: rapilog-campaign [--${known.join(" X] [--")} X] (got ${argv[i]})`);
    }
    out[name] = argv[++i];
  }
  return out;
}

const opts = options(process.argv.slice(2));
const count = (name: string, fallback: number) => {
  const v = opts[name] === undefined ? fallback : Number(opts[name]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} ${opts[name]}: expected a count`);
  return v;
};
const missing = linuxMissing();
if (missing) {
  console.error(missing);
  process.exit(2);
}
const launcher = (opts.cli ?? "src") as Launcher;
if (launcher !== "src" && launcher !== "dist") throw new Error(`--cli ${launcher}: src or dist`);
const modes = (opts.modes ?? "rapilog,writethrough").split(",") as DiskMode[];
const seed = count("seed", 1);
const hasScript = spawnSync("script", ["-qec", "true", "/dev/null"]).status === 0; // (a terminal can be had)
const handled: Ending[] = ["SIGTERM", "SIGHUP", "SIGINT", "repeated", "stdout", ...(hasScript ? ["terminal" as const] : [])];

const results: CampaignResult[] = [];
const failures: string[] = [];
let nextSeed = seed * 1000;
async function run(o: Omit<CampaignOptions, "seed" | "launcher" | "log">, judge: (r: CampaignResult) => string | null) {
  if (o.kills === 0) return;
  const r = await hostKillCampaign({ ...o, seed: nextSeed++, launcher, log: (line) => process.stderr.write(`  ${line}\n`) });
  results.push(r);
  console.log(summarize(r));
  const verdict = judge(r);
  if (verdict) {
    failures.push(`${summarize(r).split("\n")[0]}: ${verdict}`);
    console.log(`  FAILED: ${verdict}`);
  }
  console.log();
}
const promiseKept = (r: CampaignResult) => (r.problems.length ? `${r.problems.length} problems` : null);

console.log(`wasmvisor host-kill campaign (${launcher === "dist" ? "bin/wasmvisor.mjs" : "the sources through tsx"}), node ${process.version}, first seed ${seed}\n`);
for (const mode of modes) {
  await run({ core: "wasm", mode, kills: count("kills", 60), endings: handled }, promiseKept);
  await run({ core: "ts", mode, kills: count("ts", 6), endings: ["SIGTERM", "SIGHUP", "SIGINT"], ackWindow: 60 }, promiseKept);
  await run({ core: "wasm", mode, kills: count("sigkill", 30), endings: ["SIGKILL"] }, (r) => {
    if (r.problems.length) return `${r.problems.length} problems`;
    return mode === "writethrough" && r.byEnding.SIGKILL!.lost > 0 ? "writethrough lost acknowledged commits to SIGKILL" : null;
  });
}
const mutationKills = count("mutations", 10);
if (modes.includes("rapilog") && mutationKills > 0) {
  const base = { core: "wasm", mode: "rapilog", endings: ["SIGTERM", "SIGHUP", "SIGINT"], finalCheck: false, keepOnProblems: false } as const;
  const slow = { WASMVISOR_RAPILOG_SLOW_DISK_MS: "25" };
  const caught = (r: CampaignResult) => (r.lostHandled > 0 ? null : "the mutation was not caught");
  await run({ ...base, kills: mutationKills, env: slow, finalCheck: true, keepOnProblems: true }, promiseKept);
  await run({ ...base, kills: mutationKills, env: { ...slow, WASMVISOR_RAPILOG_FAULT: "sync-no-wait" } }, caught);
  await run({ ...base, kills: mutationKills, env: { ...slow, WASMVISOR_RAPILOG_FAULT: "close-no-sync" } }, caught);
  await run({ ...base, kills: mutationKills, powerCut: true, finalCheck: true, keepOnProblems: true }, promiseKept);
  await run({ ...base, kills: mutationKills, powerCut: true, env: { WASMVISOR_RAPILOG_FAULT: "no-fdatasync" } }, caught);
}

if (opts.json) writeFileSync(opts.json, JSON.stringify(results, null, 2));
const mutationsRan = modes.includes("rapilog") && mutationKills > 0;
console.log(failures.length ? `FAILED:\n  ${failures.join("\n  ")}` : `every promise kept${mutationsRan ? "; every mutation caught" : ""}`);
process.exitCode = failures.length ? 1 : 0;
