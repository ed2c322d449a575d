// Running a fuzz case in-process and judging what happened.
//
// A case's command runs through the CLI's main() (src/cli/main.ts) with an in-memory CliIO:
// stdout and stderr are captured, console input is given up front or streamed in pieces, and
// stdout can "close" after N bytes as `| head -c N` would. A case that runs a guest runs on both
// cores. The oracle (judge) accepts exactly three kinds of outcome:
//
//   - a clear error: status 2, nothing on stdout (nothing started), a message on stderr that
//     starts "wasmvisor: " and names the input (a file, an option or a field);
//   - a run that stopped: any other status 0-255 (the guest's own, or 124/125/126/130/141);
//   - and in either case no internal text: no exception names, no stack frames, no
//     "undefined"/NaN/"Invalid array length"-style messages.
//
// Both cores must agree: the same status, and the same stdout and stderr when the run is
// deterministic (input known up front, stdout not closed). Hangs and crashes of the process
// are caught by the parent (campaign.ts), which runs this in a child process with a timeout.

import { mkdirSync, writeFileSync, symlinkSync, openSync, ftruncateSync, closeSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { main, processExitStatus, type CliIO } from "../../../src/cli/main.ts";
import type { ConsoleInput } from "../../../src/node/console.ts";
import { validateSystem, ConfigError } from "../../../src/config/system.ts";
import type { FuzzCase, FileSpec } from "./cases.ts";

/** Text that only an internal error would print. */
export const INTERNAL_TEXT =
  /\b(TypeError|ReferenceError|SyntaxError|EvalError|RangeError|AggregateError)\b|Invalid array length|Maximum call stack|call stack size|is not a function|is not iterable|is not defined|Cannot read prop|Cannot set prop|Cannot convert|Cannot access|\bundefined\b|\bNaN\b|\[object \w+\]|Offset is outside the bounds|out of bounds|Invalid typed array length|Array buffer allocation failed|\bERR_[A-Z_]{3,}|^\s+at .+:\d+:\d+\)?$/m;

/** The longest a validator message may be (values are quoted, not dumped). */
export const MAX_MESSAGE_LENGTH = 600;

/** Bytes of stdout kept for comparison (the rest is counted). */
const STDOUT_KEEP = 1 << 20;
/** Pieces of streamed console input (as a pipe delivers them). */
const STREAM_PIECE = 65536;

export interface Run {
  core?: string;
  status?: number;
  stdout: string;
  stdoutBytes: number;
  stderr: string;
  threw?: string;
  ms: number;
}

export interface CaseResult {
  runs: Run[];
  /** The validator kind: the problems found, or what was thrown. */
  validator?: { accepted: boolean; problems: Array<{ path: unknown; message: unknown }>; threw?: string; ms: number };
}

/** Create the case's files in `dir` (which exists and is empty). */
export function materialize(files: FileSpec[], dir: string): void {
  const paths = new Set(files.map((f) => f.path));
  if (paths.size !== files.length) throw new Error(`fuzz case: a file is specified twice (${files.map((f) => f.path).join(", ")})`);
  for (const f of files) {
    const path = join(dir, f.path);
    mkdirSync(dirname(path), { recursive: true });
    if (f.kind === "bytes") writeFileSync(path, f.bytes);
    else if (f.kind === "dir") mkdirSync(path, { recursive: true });
    else if (f.kind === "fifo") execFileSync("mkfifo", [path]);
    else if (f.kind === "symlink") symlinkSync(f.target, path);
    else {
      const fd = openSync(path, "w");
      ftruncateSync(fd, f.size);
      closeSync(fd);
    }
  }
}

export const substitute = (argv: string[], dir: string) => argv.map((a) => a.replaceAll("{dir}", dir));

function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
}

/** Console input as the CLI sees it: all up front (a file on stdin) or streamed (a pipe). */
function consoleInput(stdin: FuzzCase["stdin"]): ConsoleInput {
  const bytes = stdin?.bytes ?? new Uint8Array(0);
  if (!stdin?.streamed) return { initial: bytes, open: false, onData: () => () => {}, next: async () => {}, close() {} };
  let open = true;
  let offset = 0;
  const listeners = new Set<(b: Uint8Array) => void>();
  let waiters: Array<() => void> = [];
  let timer: NodeJS.Immediate | null = null;
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const pump = () => {
    timer = null;
    if (!open) return;
    if (offset >= bytes.length) {
      open = false;
      wake();
      return;
    }
    const piece = bytes.subarray(offset, offset + STREAM_PIECE);
    offset += piece.length;
    for (const l of listeners) l(piece);
    wake();
    timer = setImmediate(pump);
  };
  return {
    initial: new Uint8Array(0),
    get open() {
      return open;
    },
    onData(listener) {
      listeners.add(listener);
      timer ??= setImmediate(pump);
      return () => listeners.delete(listener);
    },
    next() {
      timer ??= setImmediate(pump);
      return open ? new Promise((resolve) => waiters.push(resolve)) : Promise.resolve();
    },
    close() {
      open = false;
      if (timer) clearImmediate(timer);
      wake();
    },
  };
}

/** Run the CLI once, in-process. */
export async function runCli(argv: string[], c: FuzzCase, core?: string): Promise<Run> {
  let stdout = "";
  let stdoutBytes = 0;
  let stderr = "";
  let closed = false;
  const closedListeners = new Set<(s: "stdout" | "stderr") => void>();
  const io: CliIO = {
    stdout: (d) => {
      if (closed) return;
      const text = typeof d === "string" ? d : Buffer.from(d).toString("latin1");
      stdoutBytes += text.length;
      if (stdout.length < STDOUT_KEEP) stdout += text.slice(0, STDOUT_KEEP - stdout.length);
      if (c.closeStdoutAfter !== undefined && stdoutBytes >= c.closeStdoutAfter) {
        closed = true; // like EPIPE: reported a moment later, as an event
        setImmediate(() => { for (const l of [...closedListeners]) l("stdout"); });
      }
    },
    stderr: (t) => {
      if (stderr.length < STDOUT_KEEP) stderr += t;
    },
    input: consoleInput(c.stdin),
    onOutputClosed: (l) => {
      closedListeners.add(l);
      return () => closedListeners.delete(l);
    },
  };
  const t0 = performance.now();
  try {
    const status = await main(core ? [...argv, "--core", core] : argv, io);
    return { core, status, stdout, stdoutBytes, stderr, ms: performance.now() - t0 };
  } catch (err) {
    return { core, stdout, stdoutBytes, stderr, threw: errorText(err), ms: performance.now() - t0 };
  }
}

/** Run a case in `dir` (created here, removed afterwards). */
export async function runCase(c: FuzzCase, dir: string): Promise<CaseResult> {
  if (c.kind === "validator") {
    const t0 = performance.now();
    try {
      validateSystem(c.doc, "fuzz.json");
      return { runs: [], validator: { accepted: true, problems: [], ms: performance.now() - t0 } };
    } catch (err) {
      const ms = performance.now() - t0;
      if (err instanceof ConfigError) return { runs: [], validator: { accepted: false, problems: err.problems, ms } };
      return { runs: [], validator: { accepted: false, problems: [], threw: errorText(err), ms } };
    }
  }
  mkdirSync(dir, { recursive: true });
  try {
    materialize(c.files, dir);
    const argv = substitute(c.argv, dir);
    const runs: Run[] = [];
    for (const core of c.bothCores ? ["wasm", "ts"] : [undefined]) runs.push(await runCli(argv, c, core));
    return { runs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const firstLines = (text: string, n = 6) => text.split("\n").slice(0, n).join("\n");
/** Timing varies from run to run: --stats lines are left out of comparisons. */
const comparable = (stderr: string) => stderr.split("\n").filter((l) => !/ s \(|MIPS/.test(l)).join("\n");

/** What is wrong with a case's outcome (empty: nothing). */
export function judge(c: FuzzCase, result: CaseResult): string[] {
  const problems: string[] = [];
  if (result.validator) {
    const v = result.validator;
    if (v.threw) return [`validateSystem threw instead of reporting a ConfigError:\n${firstLines(v.threw)}`];
    if (!v.accepted && v.problems.length === 0) problems.push("a ConfigError without problems");
    for (const p of v.problems) {
      if (typeof p.path !== "string" || typeof p.message !== "string" || p.message.length === 0) {
        problems.push(`a problem without a path or message: ${JSON.stringify(p)}`);
        continue;
      }
      const m = INTERNAL_TEXT.exec(p.message);
      if (m) problems.push(`internal text "${m[0]}" in: ${p.path}: ${p.message.slice(0, 300)}`);
      if (p.message.length > MAX_MESSAGE_LENGTH) problems.push(`a message of ${p.message.length} characters: ${p.path}: ${p.message.slice(0, 200)}…`);
    }
    return problems;
  }
  const usage = c.argv.length === 0; // plain `wasmvisor`: usage text on stdout, status 2
  // A guest's own exit code can be 2 as well: its halt is reported ("guest failed with code 2").
  const guestStatus = (run: Run) => /^wasmvisor: (guest |\[[^\]]+\] .*\(status \d+\)$)/m.test(run.stderr);
  for (const run of result.runs) {
    const who = run.core ? `(${run.core}) ` : "";
    if (run.threw !== undefined) {
      problems.push(`${who}uncaught exception:\n${firstLines(run.threw)}`);
      continue;
    }
    const status = run.status!;
    // A guest's own code may exceed 255 (main() returns it); the process must still fail.
    const exit = processExitStatus(status);
    if (!Number.isInteger(exit) || exit < 0 || exit > 255) problems.push(`${who}exit status ${exit} is not a process exit status (0-255)`);
    else if (status !== 0 && exit === 0) problems.push(`${who}status ${status} would make the process exit 0 (success)`);
    else if (status > 255 && !guestStatus(run)) problems.push(`${who}status ${status} without a guest reporting that code`);
    const internal = INTERNAL_TEXT.exec(run.stderr);
    if (internal) {
      const line = run.stderr.split("\n").find((l) => INTERNAL_TEXT.test(l)) ?? internal[0];
      problems.push(`${who}internal text "${internal[0]}" on stderr: ${line.slice(0, 300)}`);
    }
    if (c.mustRefuse && status !== 2) problems.push(`${who}status ${status}, but ${c.mustRefuse}: it must be refused (status 2)`);
    if (status === 2 && !usage && !guestStatus(run)) {
      if (!run.stderr.startsWith("wasmvisor: ")) problems.push(`${who}status 2 without a "wasmvisor: " message: ${JSON.stringify(run.stderr.slice(0, 200))}`);
      if (run.stdoutBytes > 0) problems.push(`${who}status 2 (nothing starts), but the guest printed ${run.stdoutBytes} bytes: ${JSON.stringify(run.stdout.slice(0, 100))}`);
      if (c.subjects.length > 0 && !c.subjects.some((s) => run.stderr.includes(s))) {
        problems.push(`${who}status 2, but the message names none of ${c.subjects.join(", ")}: ${firstLines(run.stderr, 3)}`);
      }
    }
    if (status === 1 && !/\bfail|code 1\b|status 1\b/.test(run.stderr)) {
      problems.push(`${who}status 1 without a guest reporting failure (an internal error's status): ${firstLines(run.stderr, 3)}`);
    }
  }
  const [a, b] = result.runs;
  // Streamed input and a closed stdout arrive at a moment of the run that depends on the host,
  // and a system with a partition on threads (docs/smp.md) is not deterministic: the cores then
  // need not agree (everything else above still holds).
  const onThreads = c.files.some((f) => f.kind === "bytes" && /"parallel"\s*:\s*true/.test(Buffer.from(f.bytes).toString("latin1")));
  const deterministic = !c.stdin?.streamed && c.closeStdoutAfter === undefined && !onThreads;
  if (b && a.threw === undefined && b.threw === undefined && deterministic) {
    if (a.status !== b.status) {
      problems.push(`the cores disagree: status ${a.status} (${a.core}) vs ${b.status} (${b.core})\n  ${a.core}: ${firstLines(a.stderr, 2)}\n  ${b.core}: ${firstLines(b.stderr, 2)}`);
    } else {
      if (a.stdout !== b.stdout || a.stdoutBytes !== b.stdoutBytes) problems.push(`the cores print different output (${a.stdoutBytes} vs ${b.stdoutBytes} bytes)`);
      else if (comparable(a.stderr) !== comparable(b.stderr)) problems.push(`the cores report differently:\n  ${a.core}: ${firstLines(a.stderr, 3)}\n  ${b.core}: ${firstLines(b.stderr, 3)}`);
    }
  }
  return problems;
}
