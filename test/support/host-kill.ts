// The host-kill campaign: the real `wasmvisor run` process, Linux committing kvdb transactions to
// a disk in either mode, is ended by the host at seeded-random points while the guest commits —
// SIGTERM, SIGHUP, SIGINT (which wasmvisor handles: stop, close the disks, exit), SIGKILL (which
// nothing can handle: a crash of the hypervisor), the terminal going away (the process runs under
// `script`, which is killed: the kernel hangs the terminal up), or the reader of its stdout going
// away. After every exit the disk image is replayed on the host (kvdb-log.ts); the next boot runs
// the guest's own `kvdb check` on it, and both must agree. What is checked: every transaction
// whose `ack` the guest printed (as seen on the process's stdout) is in the image, none corrupt.
//
// One round = one process: boot Linux (the only partition; 32 MiB), `kvdb check`, `kvdb put N`,
// wait for the first ack, then for a random number of further acks and a random delay, end the
// process, check the image. Runs go on over the same image (a new log when it fills up), so a
// round also recovers what the previous one left. Used by test/rapilog-host.test.ts (small, fixed
// seeds) and test/support/rapilog-campaign.ts (`npm run campaign:rapilog`, as long as you like).

import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { constants as osConstants } from "node:os";
import { durableModelPath } from "../../src/node/rapilog-disk.ts";
import type { CoreKind } from "../../src/core/core.ts";
import { ROOT } from "./harness.ts";
import { INITRD, KERNEL } from "./linux.ts";
import { readKvdbLog, type KvdbLog } from "./kvdb-log.ts";
import { rng } from "./random-program.ts";

export type DiskMode = "rapilog" | "writethrough";
/** How the host ends the process: a signal; "repeated" (SIGTERM, then SIGINT, SIGHUP and SIGTERM
 *  again every few ms until it has exited: impatient users, supervisors, a shell passing on its
 *  own SIGHUP); "terminal" (the terminal it runs in goes away); or "stdout" (the reader of its
 *  stdout goes away: its writes then fail with EPIPE). */
export type Ending = "SIGTERM" | "SIGHUP" | "SIGINT" | "SIGKILL" | "repeated" | "terminal" | "stdout";
/** The endings after which every acknowledged commit must be on the disk, in both modes. */
export const HANDLED: readonly Ending[] = ["SIGTERM", "SIGHUP", "SIGINT", "repeated", "terminal", "stdout"];
/** Which wasmvisor runs: the sources through tsx (what the tests use) or the built package's
 *  bin/wasmvisor.mjs (dist/, after `npm run build`). */
export type Launcher = "src" | "dist";

export interface CampaignOptions {
  core: CoreKind;
  mode: DiskMode;
  /** Processes to end. */
  kills: number;
  seed: number;
  /** Each round's ending is drawn from these. */
  endings: readonly Ending[];
  launcher?: Launcher;
  /** Extra environment for wasmvisor (e.g. WASMVISOR_RAPILOG_FAULT). */
  env?: Record<string, string>;
  /** Simulate a power cut after each exit: the image is replaced by the RapiLog writer's model of
   *  what was fdatasynced (WASMVISOR_RAPILOG_DURABLE_MODEL, set here). RapiLog disks only. */
  powerCut?: boolean;
  /** End the campaign at the first round that lost an acknowledged commit. */
  stopAtFirstLoss?: boolean;
  /** The process ends after 0 … ackWindow − 1 further acks (default 200), then 0 … maxDelayMs − 1 ms
   *  (default 50: wasmvisor sees a signal between two slices of its run, a few tens of ms apart). */
  ackWindow?: number;
  maxDelayMs?: number;
  /** Boot once more after the last round and compare the guest's `kvdb check` (default true). */
  finalCheck?: boolean;
  /** Keep the disk image when something went wrong (default true; mutations expect to lose). */
  keepOnProblems?: boolean;
  /** Progress, one line per round. */
  log?: (line: string) => void;
}

export interface Round {
  ending: Ending;
  /** The random point: further acks after the first, then a delay. */
  extraAcks: number;
  delayMs: number;
  /** Transactions in the log when the round began (the guest's `kvdb check`). */
  start: number;
  /** The highest transaction the guest acknowledged (seen on stdout before the process ended). */
  acked: number;
  /** What the image held afterwards (host-side replay). */
  recovered: number;
  corrupt: number;
  /** Acknowledged transactions missing from the image. */
  lost: number;
  /** kvdb put had finished before the process was ended (no commit in flight). */
  idle: boolean;
  /** How the process ended ("signal" or "code"), and how long after the ending began. */
  exit: string;
  exitMs: number;
  /** Everything wrong in this round (lost commits only for the handled endings). */
  problems: string[];
}

export interface EndingTotals {
  kills: number;
  /** Commits acknowledged in those rounds, lost among them, rounds that lost any, the most one lost. */
  acked: number;
  lost: number;
  roundsWithLoss: number;
  maxLost: number;
  corrupt: number;
  /** Exit times after the ending began: median and largest, ms. */
  exitMsMedian: number;
  exitMsMax: number;
  /** How the processes exited ("code 143": 2, …). */
  exits: Record<string, number>;
}

export interface CampaignResult {
  options: CampaignOptions;
  rounds: Round[];
  byEnding: Partial<Record<Ending, EndingTotals>>;
  /** Acknowledged commits lost after a handled ending: must be 0. */
  lostHandled: number;
  /** Every problem, "round N (ending): …" (SIGKILL's losses are measured, not problems). */
  problems: string[];
  seconds: number;
  /** Where the image and the system description were kept (when something went wrong);
   *  otherwise they are removed. */
  kept: string | null;
}

const DISK_BYTES = 4 * 1024 * 1024;
const SECTOR = 512;
/** Transactions per `kvdb put` (more than a round commits), and the room below which a round
 *  starts a new log. */
const PUT_MAX = 3000;
const MIN_ROOM = 1000;
const PROMPT_MS = 180_000;
const EXIT_MS = 90_000;
/** How long a process whose stdout reader went away may go on before it is stopped. */
const STDOUT_GRACE_MS = 10_000;

/** A fresh zeroed disk image and a system description with Linux on it, in a new directory. */
export function campaignSystem(mode: DiskMode): { dir: string; system: string; disk: string } {
  const dir = mkdtempSync(join(tmpdir(), "wasmvisor-hostkill-"));
  const disk = join(dir, "log.img");
  writeFileSync(disk, new Uint8Array(DISK_BYTES));
  const system = join(dir, "system.json");
  writeFileSync(system, JSON.stringify({
    name: "host-kill",
    partitions: [{
      name: "linux", mode: "supervisor", image: KERNEL, initrd: INITRD, ram: "32M",
      bootargs: "console=ttyS0 quiet",
      disk: mode === "rapilog" ? { file: disk, mode, buffer: "16M" } : { file: disk, mode },
    }],
  }, null, 2));
  return { dir, system, disk };
}

/** The command line that runs wasmvisor (after `node`). */
function wasmvisorArgv(launcher: Launcher): string[] {
  return launcher === "dist" ? [join(ROOT, "bin", "wasmvisor.mjs")] : ["--import", "tsx", join(ROOT, "test", "support", "wasmvisor-src.ts")];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * One wasmvisor process with its console on a pipe (or, for the "terminal" ending, on a
 * terminal of its own: it runs under `script`).
 */
class WasmvisorProcess {
  output = "";
  private stderrText = "";
  private readonly child: ChildProcess;
  /** The wasmvisor process's pid (under `script`: its grandchild). */
  private pid: number | null = null;
  private readonly dir: string;
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private done = false;

  constructor(readonly terminal: boolean, launcher: Launcher, system: string, core: CoreKind, env: Record<string, string>, dir: string) {
    this.dir = dir;
    const argv = [...wasmvisorArgv(launcher), "run", system, "--console", "linux", "--core", core];
    const environment = { ...process.env, ...env };
    if (terminal) {
      // script(1) gives the command a new terminal (its stdin, stdout; stderr goes to a file so
      // that it can be read after the terminal is gone) and relays it to our pipes.
      const pidFile = join(dir, "wasmvisor.pid");
      const command = `echo $$ > ${shellQuote(pidFile)}; exec ${[process.execPath, ...argv].map(shellQuote).join(" ")} 2> ${shellQuote(join(dir, "stderr.txt"))}`;
      this.child = spawn("script", ["-qfec", command, "/dev/null"], { cwd: ROOT, env: { ...environment, SHELL: "/bin/sh" }, stdio: ["pipe", "pipe", "pipe"] });
    } else {
      this.child = spawn(process.execPath, argv, { cwd: ROOT, env: environment, stdio: ["pipe", "pipe", "pipe"] });
      this.pid = this.child.pid ?? null;
    }
    this.child.stdout!.setEncoding("latin1");
    this.child.stdout!.on("data", (d: string) => { this.output += d; this.wake(); });
    this.child.stderr!.setEncoding("latin1");
    this.child.stderr!.on("data", (d: string) => { this.stderrText += d; });
    this.child.stdin!.on("error", () => {}); // (writes after the end)
    const childExit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      this.child.on("close", (code, signal) => resolve({ code, signal }));
    });
    this.exited = (terminal ? childExit.then(() => this.waitForPid()) : childExit).then((r) => {
      this.done = true;
      this.wake();
      return r;
    });
  }

  get stderr(): string {
    const file = join(this.dir, "stderr.txt");
    return this.terminal && existsSync(file) ? readFileSync(file, "latin1") : this.stderrText;
  }

  private wake(): void {
    for (const w of this.waiters) w();
  }

  /** Wait until `test()` holds; fails if the process ends first or `ms` pass. */
  async until(test: () => boolean, what: string, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!test()) {
      if (this.done) throw new Error(`wasmvisor ended while waiting for ${what}; stdout:\n${this.output.slice(-1500)}\nstderr:\n${this.stderr.slice(-1500)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${ms / 1000} s; stdout:\n${this.output.slice(-1500)}`);
      await new Promise<void>((resolve) => {
        const wake = () => { this.waiters.delete(wake); clearTimeout(timer); resolve(); };
        const timer = setTimeout(wake, Math.min(left, 1000));
        this.waiters.add(wake);
      });
    }
  }

  write(text: string): void {
    this.child.stdin!.write(text);
  }

  /** Type a command at the shell prompt and wait for the next prompt; returns what came between. */
  async command(line: string, ms = PROMPT_MS): Promise<string> {
    const mark = this.output.length;
    this.write(`${line}\n`);
    await this.until(() => PROMPT_AGAIN.test(this.output.slice(mark)), `the prompt after "${line}"`, ms);
    return this.output.slice(mark);
  }

  /** End the process the way `ending` says. */
  async end(ending: Ending): Promise<void> {
    if (ending === "terminal") {
      await this.until(() => this.pid !== null || this.readPid(), "wasmvisor's pid", 10_000);
      this.child.kill("SIGKILL"); // the terminal's master side closes: the kernel hangs it up
    } else if (ending === "stdout") {
      this.child.stdout!.destroy(); // the reader goes away; wasmvisor's next write fails
    } else if (ending === "repeated") {
      // (ChildProcess.kill sends nothing once the child has been reaped: no stray signals.)
      this.child.kill("SIGTERM");
      const more = ["SIGINT", "SIGHUP", "SIGTERM"] as const;
      const timer = setInterval(() => this.child.kill(more[Math.floor(Math.random() * more.length)]), 3);
      void this.exited.then(() => clearInterval(timer));
    } else {
      this.child.kill(ending);
    }
  }

  /** Whether the process exits within `ms`. */
  async exitsWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); })]);
    clearTimeout(timer);
    return exited;
  }

  killHard(): void {
    try {
      if (this.terminal && this.pid !== null && alive(this.pid)) process.kill(this.pid, "SIGKILL");
      this.child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }

  private readPid(): boolean {
    const file = join(this.dir, "wasmvisor.pid");
    if (!existsSync(file)) return false;
    const pid = Number(readFileSync(file, "utf8").trim());
    if (pid > 0) this.pid = pid;
    return this.pid !== null;
  }

  /** Under `script`, wasmvisor is not our child: wait until its pid is gone (or a zombie). */
  private async waitForPid(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.pid === null) this.readPid();
    while (this.pid !== null && alive(this.pid)) await sleep(20);
    return { code: null, signal: null }; // (its status went to its parent, script, now gone)
  }

  /** How a process under `script` ended, as far as its stderr tells. */
  terminalExit(): string {
    const text = this.stderr;
    const how = [
      /interrupted \(SIGHUP\)/.test(text) && "stopped on SIGHUP",
      /write EIO/.test(text) && "EIO writing to the terminal (uncaught)",
      /ResetStdio/.test(text) && "aborted restoring the terminal (Node's ResetStdio)",
    ].filter(Boolean);
    return how.length ? how.join(", ") : "ended (stderr says nothing)";
  }
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** The console multiplexer's prefix and the shell's prompt (a terminal adds \r to line ends). */
const PROMPT_AT_END = /\[linux\] # $/;
const PROMPT_AGAIN = /\n\[linux\] # $/;
const ACK = /^\[linux\] ack (\d+)\r*\n/gm;

/** The acks printed (complete lines) in `text`: how many, and the highest. */
function acks(text: string): { count: number; last: number } {
  let count = 0;
  let last = 0;
  for (const m of text.matchAll(ACK)) {
    count++;
    last = Math.max(last, Number(m[1]));
  }
  return { count, last };
}

/** `kvdb check`'s report. */
export function parseKvdbCheck(out: string): { recovered: number; keys: number; corrupt: number } {
  const m = /kvdb: recovered (\d+) transactions, (\d+) keys, (\d+) corrupt/.exec(out);
  if (!m) throw new Error(`kvdb check printed no report:\n${out}`);
  return { recovered: Number(m[1]), keys: Number(m[2]), corrupt: Number(m[3]) };
}

/** The exit expected after an ending wasmvisor handles: 128 + the signal's number. */
function expectedExit(ending: Ending): string | null {
  if (ending === "SIGTERM" || ending === "SIGHUP" || ending === "SIGINT") return `code ${128 + osConstants.signals[ending]}`;
  if (ending === "SIGKILL") return "signal SIGKILL";
  return null; // the terminal's and stdout's: how it exits is not what this checks
}

export async function hostKillCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const t0 = performance.now();
  const launcher = o.launcher ?? "src";
  if (o.powerCut && o.mode !== "rapilog") throw new Error("powerCut models RapiLog's writer only");
  const env = { ...o.env, ...(o.powerCut ? { WASMVISOR_RAPILOG_DURABLE_MODEL: "1" } : {}) };
  const { dir, system, disk } = campaignSystem(o.mode);
  const random = rng(o.seed);
  const ackWindow = o.ackWindow ?? 200;
  const maxDelayMs = o.maxDelayMs ?? 50;
  const capacity = DISK_BYTES / SECTOR - 1;
  const rounds: Round[] = [];
  const problems: string[] = [];
  /** What the image holds, by the host-side replay (null: never checked yet, a fresh disk). */
  let image: KvdbLog | null = null;
  /** The run id of the log the guest commits to (set by `kvdb init`). */
  let run: number | null = null;

  /** The guest's `kvdb check` must say what the host's replay said. */
  const compare = (guest: ReturnType<typeof parseKvdbCheck>, where: string) => {
    if (image && (guest.recovered !== image.recovered || guest.keys !== image.keys || guest.corrupt !== image.corrupt)) {
      problems.push(`${where}: the guest's kvdb check (${JSON.stringify(guest)}) and the host's replay (${JSON.stringify(image)}) disagree`);
    }
  };

  for (let k = 0; k < o.kills; k++) {
    const ending = o.endings[Math.floor(random() * o.endings.length)];
    const extraAcks = Math.floor(random() * ackWindow);
    const delayMs = Math.floor(random() * maxDelayMs);
    const p = new WasmvisorProcess(ending === "terminal", launcher, system, o.core, env, dir);
    const where = `round ${k + 1} (${ending})`;
    let round: Round;
    try {
      await p.until(() => PROMPT_AT_END.test(p.output), "the shell prompt", PROMPT_MS);
      /** A new log (run id + 1): the acks that follow are of that run. */
      const init = async () => {
        const out = await p.command("kvdb init; kvdb check");
        const m = /kvdb: new log, run (\d+)/.exec(out);
        if (!m) throw new Error(`kvdb init failed:\n${out}`);
        run = Number(m[1]);
        return parseKvdbCheck(out);
      };
      let guest;
      if (image?.run) {
        guest = parseKvdbCheck(await p.command("kvdb check"));
        compare(guest, `${where}, at boot`);
        run = image.run; // (the log the guest just checked: kvdb put continues it)
      } else {
        guest = await init(); // a fresh disk, or one whose log did not survive
      }
      if (capacity - guest.recovered < MIN_ROOM) guest = await init();
      const start = guest.recovered;
      const mark = p.output.length;
      p.write(`kvdb put ${Math.min(PUT_MAX, capacity - start)}\n`);
      const since = () => p.output.slice(mark);
      const idle = () => PROMPT_AGAIN.test(since());
      await p.until(() => acks(since()).count >= 1 || idle(), "the first ack", PROMPT_MS);
      await p.until(() => acks(since()).count >= 1 + extraAcks || idle(), `ack ${extraAcks + 1}`, PROMPT_MS);
      if (delayMs > 0) await sleep(delayMs);
      const wasIdle = idle();
      const t = performance.now();
      await p.end(ending);
      let stopped = false;
      if (ending === "stdout" && !(await p.exitsWithin(STDOUT_GRACE_MS))) {
        // wasmvisor may stop on a broken stdout or go on without it; if it goes on, it is stopped
        // (SIGTERM): either way, what it acknowledged must be on the disk.
        await p.end("SIGTERM");
        stopped = true;
      }
      const forced = !(await p.exitsWithin(EXIT_MS));
      if (forced) p.killHard();
      const exitMs = performance.now() - t;
      const { code, signal } = await p.exited;
      const exit = (signal ? `signal ${signal}` : code !== null ? `code ${code}` : p.terminalExit()) + (stopped ? " (went on after EPIPE; stopped with SIGTERM)" : "");
      if (o.powerCut) copyFileSync(durableModelPath(disk), disk);
      image = readKvdbLog(disk);
      const acked = acks(since()).last;
      // (Another run's log, an older one whose superblock came back, holds none of this run's.)
      const recovered = image.run === run ? image.recovered : 0;
      const lost = Math.max(0, acked - recovered);
      const roundProblems: string[] = [];
      if (forced) roundProblems.push(`did not exit within ${EXIT_MS / 1000} s of the ending (killed)`);
      if (acked === 0) roundProblems.push("no ack was seen before the ending");
      if (image.corrupt > 0) roundProblems.push(`${image.corrupt} corrupt record after transaction ${image.recovered}`);
      if (lost > 0 && HANDLED.includes(ending)) roundProblems.push(`lost ${lost} acknowledged commits (acked ${acked}, the image holds ${recovered}${image.run !== run ? ` of run ${run}: its log is run ${image.run}'s` : ""})`);
      const expected = expectedExit(ending);
      if (expected && exit !== expected) roundProblems.push(`exited with ${exit}, expected ${expected}; stderr:\n${p.stderr.slice(-1500)}`);
      if (expected && ending !== "SIGKILL" && /\n\s+at \S/.test(p.stderr)) {
        roundProblems.push(`stderr shows a crash:\n${p.stderr.slice(-1500)}`);
      }
      round = { ending, extraAcks, delayMs, start, acked, recovered, corrupt: image.corrupt, lost, idle: wasIdle, exit, exitMs, problems: roundProblems };
    } catch (err) {
      p.killHard();
      await p.exited;
      throw new Error(`${where}: ${(err as Error).message}`);
    }
    rounds.push(round);
    for (const q of round.problems) problems.push(`${where}: ${q}`);
    o.log?.(`${where} +${round.extraAcks} acks +${round.delayMs} ms: acked ${round.start + 1}..${round.acked}, image holds ${round.recovered}${round.lost ? `, LOST ${round.lost}` : ""}${round.idle ? " (idle)" : ""}; ${round.exit} after ${round.exitMs.toFixed(0)} ms${round.problems.length ? ` — ${round.problems.join("; ")}` : ""}`);
    if (o.stopAtFirstLoss && round.lost > 0) break;
  }

  if ((o.finalCheck ?? true) && image?.run != null) {
    const p = new WasmvisorProcess(false, launcher, system, o.core, env, dir);
    try {
      await p.until(() => PROMPT_AT_END.test(p.output), "the shell prompt", PROMPT_MS);
      compare(parseKvdbCheck(await p.command("kvdb check")), "the final boot");
      p.write("poweroff\n");
      await p.exitsWithin(EXIT_MS);
    } finally {
      p.killHard();
      await p.exited;
    }
  }

  const byEnding: Partial<Record<Ending, EndingTotals>> = {};
  for (const e of new Set(rounds.map((r) => r.ending))) {
    const rs = rounds.filter((r) => r.ending === e);
    const times = rs.map((r) => r.exitMs).sort((a, b) => a - b);
    byEnding[e] = {
      kills: rs.length,
      acked: rs.reduce((n, r) => n + Math.max(0, r.acked - r.start), 0),
      lost: rs.reduce((n, r) => n + r.lost, 0),
      roundsWithLoss: rs.filter((r) => r.lost > 0).length,
      maxLost: Math.max(0, ...rs.map((r) => r.lost)),
      corrupt: rs.reduce((n, r) => n + r.corrupt, 0),
      exitMsMedian: Math.round(times[Math.floor(times.length / 2)]),
      exitMsMax: Math.round(times.at(-1)!),
      exits: Object.fromEntries([...new Set(rs.map((r) => r.exit))].map((x) => [x, rs.filter((r) => r.exit === x).length])),
    };
  }
  const lostHandled = rounds.filter((r) => HANDLED.includes(r.ending)).reduce((n, r) => n + r.lost, 0);
  const keep = problems.length > 0 && o.keepOnProblems !== false;
  if (!keep) rmSync(dir, { recursive: true, force: true });
  return { options: o, rounds, byEnding, lostHandled, problems, seconds: (performance.now() - t0) / 1000, kept: keep ? dir : null };
}

/** A table of the result, one line per ending. */
export function summarize(r: CampaignResult): string {
  const o = r.options;
  const lines = [`${o.mode} on the ${o.core} core, seed ${o.seed}${o.env && Object.keys(o.env).length ? `, ${Object.entries(o.env).map(([k, v]) => `${k}=${v}`).join(" ")}` : ""}${o.powerCut ? ", power cut after each exit" : ""}: ${r.rounds.length} kills in ${r.seconds.toFixed(0)} s`];
  for (const [e, t] of Object.entries(r.byEnding)) {
    lines.push(`  ${e.padEnd(8)} ${String(t.kills).padStart(4)} kills, ${String(t.acked).padStart(6)} acked commits, ${t.lost} lost (${t.roundsWithLoss} kills lost any, at most ${t.maxLost}), ${t.corrupt} corrupt; exit ${t.exitMsMedian} ms median, ${t.exitMsMax} ms max (${Object.entries(t.exits).map(([x, n]) => `${x}: ${n}`).join(", ")})`);
  }
  if (r.problems.length) lines.push(`  problems:\n    ${r.problems.join("\n    ")}`);
  if (r.kept) lines.push(`  (the disk image is kept in ${r.kept})`);
  return lines.join("\n");
}
