// Running many fuzz cases: child processes (worker.ts) run them in-process one at a time; this
// side hands out cases, enforces the wall-clock timeout (a case that takes longer is a hang: the
// child is killed — the only way to stop a synchronous loop — and a new one started), notices
// a child that dies, and collects failures. A failure is a (kind, seed) pair: the case is
// rebuilt from it for the reproducer.

import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mkdirSync, writeFileSync, rmSync, chmodSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "../harness.ts";
import { makeCase, type FuzzKind } from "./cases.ts";
import { materialize, substitute } from "./execute.ts";
import type { CaseRequest, CaseReply } from "./worker.ts";

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));
/** A child is replaced after this many cases (bounds what leaks between cases). */
const CASES_PER_WORKER = 300;

export interface Failure {
  kind: FuzzKind;
  seed: number;
  what: string;
  problems: string[];
}

export interface CampaignOptions {
  /** The next case to run, or null when there are no more. */
  next: () => { kind: FuzzKind; seed: number } | null;
  /** Parallel child processes. */
  jobs: number;
  /** Wall-clock limit per case (a hang). */
  timeoutMs: number;
  /** Called after every case. */
  onCase?: (kind: FuzzKind, seed: number, reply: CaseReply | null, failure: Failure | null) => void;
}

export interface CampaignResult {
  cases: number;
  failures: Failure[];
  seconds: number;
  perKind: Map<FuzzKind, { cases: number; ms: number; failures: number; statuses: Map<string, number> }>;
}

interface Slot {
  child: ChildProcess;
  ready: Promise<void>;
  stderr: string;
  done: number;
}

function startWorker(): Slot {
  const child = spawn(process.execPath, ["--import", "tsx", WORKER], {
    cwd: ROOT, // (where tsx resolves)
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  const slot: Slot = { child, stderr: "", done: 0, ready: Promise.resolve() };
  child.stderr!.on("data", (d: Buffer) => { slot.stderr = (slot.stderr + d.toString()).slice(-4000); });
  slot.ready = new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if ((m as { ready?: boolean }).ready) {
        child.off("message", onMessage);
        resolve();
      }
    };
    child.on("message", onMessage);
    child.once("exit", (code) => reject(new Error(`the fuzz worker exited (${code}) before it was ready:\n${slot.stderr}`)));
  });
  return slot;
}

function stop(slot: Slot): void {
  if (slot.child.exitCode === null && slot.child.signalCode === null) slot.child.kill("SIGKILL");
}

/** Run one case on a worker: its reply, or a failure for a hang or a dead process. */
function runOn(slot: Slot, req: CaseRequest, timeoutMs: number): Promise<{ reply: CaseReply | null; problem: string | null }> {
  return new Promise((resolve) => {
    const cleanup = () => {
      clearTimeout(timer);
      slot.child.off("message", onMessage);
      slot.child.off("exit", onExit);
    };
    const onMessage = (m: CaseReply) => {
      if (m.id !== req.id) return;
      cleanup();
      resolve({ reply: m, problem: null });
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      resolve({ reply: null, problem: `the process died (${signal ?? `exit ${code}`}) running it:\n${slot.stderr.trim().split("\n").slice(-8).join("\n")}` });
    };
    const timer = setTimeout(() => {
      cleanup();
      stop(slot);
      resolve({ reply: null, problem: `a hang: no result within ${timeoutMs / 1000} s` });
    }, timeoutMs);
    slot.child.on("message", onMessage);
    slot.child.once("exit", onExit);
    slot.child.send(req);
  });
}

export async function runCampaign(opts: CampaignOptions): Promise<CampaignResult> {
  const t0 = performance.now();
  const failures: Failure[] = [];
  const perKind: CampaignResult["perKind"] = new Map();
  let cases = 0;
  let id = 0;
  const lane = async () => {
    let slot: Slot | null = null;
    try {
      for (let next = opts.next(); next; next = opts.next()) {
        if (!slot) {
          slot = startWorker();
          await slot.ready;
        }
        const req: CaseRequest = { id: id++, ...next };
        const { reply, problem } = await runOn(slot, req, opts.timeoutMs);
        slot.done++;
        cases++;
        const problems = reply ? reply.problems : [problem!];
        const failure = problems.length ? { kind: next.kind, seed: next.seed, what: reply?.what ?? makeCase(next.kind, next.seed).what, problems } : null;
        if (failure) failures.push(failure);
        const k = perKind.get(next.kind) ?? { cases: 0, ms: 0, failures: 0, statuses: new Map() };
        k.cases++;
        k.ms += reply?.ms ?? opts.timeoutMs;
        if (failure) k.failures++;
        for (const s of reply?.statuses ?? []) k.statuses.set(String(s), (k.statuses.get(String(s)) ?? 0) + 1);
        perKind.set(next.kind, k);
        opts.onCase?.(next.kind, next.seed, reply, failure);
        // A child that hung, died, or reported an escaped exception is replaced; so is an old one.
        if (!reply || slot.child.exitCode !== null || slot.done >= CASES_PER_WORKER || problems.some((p) => p.includes("escaped the command"))) {
          stop(slot);
          slot = null;
        }
      }
    } finally {
      if (slot) {
        slot.child.disconnect();
        stop(slot);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.jobs) }, lane));
  return { cases, failures, seconds: (performance.now() - t0) / 1000, perKind };
}

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);

/**
 * Write a reproducer for a failure into `dir`/<kind>-<seed>/: the case's files, and repro.sh
 * running the same command through the installed CLI (bin/wasmvisor.mjs, after npm run build).
 * Returns the script's path.
 */
export function writeReproducer(failure: Failure, dir: string): string {
  const c = makeCase(failure.kind, failure.seed);
  const caseDir = join(dir, `${failure.kind}-${failure.seed}`);
  rmSync(caseDir, { recursive: true, force: true });
  mkdirSync(caseDir, { recursive: true });
  materialize(c.files, caseDir);
  const bin = join(ROOT, "bin", "wasmvisor.mjs");
  const lines = [
    "#!/bin/bash",
    `# wasmvisor fuzz case ${failure.kind}:${failure.seed} (${c.what})`,
    `# found: ${failure.problems.join("\n#        ").split("\n").join("\n# ")}`,
    `# in-process: npm run fuzz -- --replay ${failure.kind}:${failure.seed}`,
    'cd "$(dirname "$0")"',
  ];
  let argv = c.argv;
  if (c.kind === "validator") {
    writeFileSync(join(caseDir, "system.json"), JSON.stringify(c.doc, null, 2) ?? "null");
    argv = ["run", "{dir}/system.json", "--max-insns", "1"];
  }
  const args = substitute(argv, ".").map(shellQuote).join(" ");
  if (c.stdin) writeFileSync(join(caseDir, "stdin.bin"), c.stdin.bytes);
  const stdin = c.stdin ? (c.stdin.streamed ? "cat stdin.bin | " : "") : "";
  const redirect = c.stdin && !c.stdin.streamed ? " < stdin.bin" : "";
  const head = c.closeStdoutAfter !== undefined ? ` | head -c ${c.closeStdoutAfter}` : "";
  const status = `\${PIPESTATUS[${stdin ? 1 : 0}]}`; // wasmvisor's, in a pipeline
  for (const core of c.bothCores ? ["wasm", "ts"] : [null]) {
    lines.push(`${stdin}node ${shellQuote(relative(caseDir, bin))} ${args}${core ? ` --core ${core}` : ""}${redirect}${head}; echo "status ${status}"`);
  }
  const script = join(caseDir, "repro.sh");
  writeFileSync(script, `${lines.join("\n")}\n`);
  chmodSync(script, 0o755);
  return script;
}
