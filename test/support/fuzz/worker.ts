// The fuzzer's child process (started by campaign.ts with tsx): it receives cases as
// { id, kind, seed } over IPC, runs each in-process (execute.ts) and answers with what the
// oracle found. An exception that escapes a case — even from a callback after the case has
// ended — is reported against the case that was running last, and the process then exits:
// its state can no longer be trusted.

import { tmpdir } from "node:os";
import { join } from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import { makeCase, type FuzzKind } from "./cases.ts";
import { runCase, judge } from "./execute.ts";

export interface CaseRequest { id: number; kind: FuzzKind; seed: number }
export interface CaseReply {
  id: number;
  problems: string[];
  ms: number;
  /** Exit statuses of the runs (for the summary). */
  statuses: Array<number | "threw">;
  what: string;
}

const root = mkdtempSync(join(tmpdir(), "wasmvisor-fuzz-"));
let current: CaseRequest | null = null;
let last: CaseRequest | null = null;

function escaped(what: string, err: unknown) {
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  const c = current ?? last;
  process.send!({ id: c?.id ?? -1, problems: [`${what} escaped the command (the process would crash):\n${text.split("\n").slice(0, 6).join("\n")}`], ms: 0, statuses: [], what: "" } satisfies CaseReply);
  rmSync(root, { recursive: true, force: true });
  process.exit(70);
}
process.on("uncaughtException", (err) => escaped("an uncaught exception", err));
process.on("unhandledRejection", (err) => escaped("an unhandled promise rejection", err));

process.on("message", async (req: CaseRequest) => {
  current = req;
  const t0 = performance.now();
  const c = makeCase(req.kind, req.seed);
  const result = await runCase(c, join(root, String(req.id)));
  const reply: CaseReply = {
    id: req.id,
    problems: judge(c, result),
    ms: performance.now() - t0,
    statuses: result.runs.map((r) => r.status ?? "threw"),
    what: c.what,
  };
  last = req;
  current = null;
  process.send!(reply);
});
process.on("disconnect", () => {
  rmSync(root, { recursive: true, force: true });
  process.exit(0);
});
process.send!({ ready: true });
