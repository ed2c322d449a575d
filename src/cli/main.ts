// The wasmvisor command line (Node). Commands:
//
//   wasmvisor run SYSTEM.json [--core wasm|ts] [--paging shadow|nested] [--max-insns N]
//                             [--wall-clock] [--console NAME] [--stats] [--ipc-slow-path]
//                             [--trace-out FILE] [--gdb PORT [--gdb-partition NAME]]
//   wasmvisor run-elf PROGRAM.elf [--core wasm|ts] [--max-insns N] [--ram SIZE] [--trace]
//                                 [--input FILE] [--stats] [--gdb PORT] [--semihosting DIR]
//
// Guest console output goes to stdout; wasmvisor's own messages (and --trace) go to stderr.
// The exit status is the guest's: test finisher 0x5555 → 0, (code << 16) | 0x3333 → code,
// HTIF tohost 1 → 0, other odd values → tohost >> 1; 124 when --max-insns stops the guest,
// 125 when it waits for an interrupt nothing can raise, 2 for usage and image errors; `run`
// ended by SIGINT, SIGTERM or SIGHUP: 128 + the signal's number, after closing the disks; 141
// when stdout's reader has gone (EPIPE: the run ends quietly).

import { openSync, writeSync, closeSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { dirname, relative, resolve } from "node:path";
import { Machine, DEFAULT_RAM_BYTES } from "../machine/machine.js";
import type { SemihostingOptions } from "../vmm/board.js";
import { semihostDirectory } from "../node/semihost-dir.js";
import { ElfError } from "../loader/elf.js";
import type { CoreKind } from "../core/core.js";
import { loadWasmModule } from "../node/core-file.js";
import { stdinInput, fileInput, MAX_CONSOLE_INPUT_BYTES, CONSOLE_INPUT_LIMIT, type ConsoleInput } from "../node/console.js";
import { readRegularFile, HostFileError } from "../node/host-file.js";
import { traceRun } from "../debug/trace.js";
import { TraceRecorder } from "../debug/chrome-trace.js";
import { parseArgs, parseCount, parseSize, UsageError } from "./args.js";
import { Hypervisor, type PagingMode, type SystemResult } from "../api/hypervisor.js";
import { ConfigError, formatDuration } from "../config/system.js";
import { loadSystemFile } from "../node/system-file.js";
import { STATUS_LIMIT, STATUS_IDLE } from "../machine/machine.js";
import { MachineTarget, PartitionTarget, type DebugTarget, type DebugInput } from "../debug/target.js";
import { serveGdb } from "../node/gdb-server.js";
import type { SessionEnd } from "../debug/gdb.js";

export const VERSION = "0.1.0";

export interface CliIO {
  stdout(data: Uint8Array | string): void;
  stderr(text: string): void;
  /** A promise while stdout cannot take more (its buffer is full), resolved when it can: the
   *  run waits instead of buffering a guest's output without bound. */
  outputBlocked?(): Promise<void> | undefined;
  /** Console input; defaults to the process's stdin. */
  input?: ConsoleInput;
  /**
   * Calls `listener` when the reader of stdout or stderr has gone (EPIPE, e.g. `| head` has
   * read enough): the run ends quietly. Returns an unsubscribe function.
   */
  onOutputClosed?(listener: (stream: "stdout" | "stderr") => void): () => void;
}

/**
 * The process exit status for main()'s status. A guest's exit code can exceed what a process
 * exit status holds (8 bits): truncated as exit() would, code 256 of a failing guest would read
 * as success (QEMU's test device does exactly that). Any code above 255 becomes 255.
 */
export function processExitStatus(status: number): number {
  return status > 255 ? 255 : status;
}

/** Exit status when stdout's reader has gone: 128 + SIGPIPE, what a program killed by it gets. */
export const STATUS_OUTPUT_CLOSED = 141;

// The process's stdout and stderr. Node ignores SIGPIPE, so a write to a pipe whose reader has
// gone fails with EPIPE, reported as an "error" event; unhandled, that is a crash with a stack
// trace. Here it is noted instead, nothing more is written to that stream, and the command
// ends the run through its usual shutdown path (disks flushed and closed).
const closedStreams = new Set<"stdout" | "stderr">();
const outputClosedListeners = new Set<(stream: "stdout" | "stderr") => void>();
let watchingPipes = false;
function watchPipes(): void {
  if (watchingPipes) return;
  watchingPipes = true;
  for (const name of ["stdout", "stderr"] as const) {
    process[name].on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") throw err;
      if (closedStreams.has(name)) return;
      closedStreams.add(name);
      for (const listener of [...outputClosedListeners]) listener(name);
    });
  }
}
const nodeIO: CliIO = {
  stdout: (data) => {
    watchPipes();
    if (!closedStreams.has("stdout")) process.stdout.write(data);
  },
  stderr: (text) => {
    watchPipes();
    if (!closedStreams.has("stderr")) process.stderr.write(text);
  },
  onOutputClosed(listener) {
    watchPipes();
    outputClosedListeners.add(listener);
    for (const name of closedStreams) listener(name);
    return () => outputClosedListeners.delete(listener);
  },
  outputBlocked: () => {
    const out = process.stdout;
    // (After EPIPE process.stdout is not destroyed and still "needs drain": it never drains.)
    if (!out.writableNeedDrain || out.destroyed || closedStreams.has("stdout")) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        out.off("drain", done).off("close", done).off("error", done);
        resolve();
      };
      out.on("drain", done).on("close", done).on("error", done);
    });
  },
};

/** Let the event loop turn (I/O events such as a closed stdout, timers) between chunks of work. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const USAGE = `usage: wasmvisor <command> [options]

commands:
  run SYSTEM.json       run a partitioned system (see README: "The system description")
      --core wasm|ts    which build of the core runs it (default wasm)
      --paging shadow|nested
                        shadow page tables (default) or nested paging
      --max-insns N     stop after N instructions in all partitions (status 124)
      --wall-clock      keep virtual time from running ahead of real time
      --console NAME    send stdin to partition NAME's console
      --stats           print per-partition statistics to stderr at the end
      --ipc-slow-path   every protected call takes the IPC slow path (for comparisons)
      --trace-out FILE  write the schedule and the exits to FILE as a Chrome trace (JSON)
                        when the run ends, for https://ui.perfetto.dev or chrome://tracing
      --gdb PORT        wait for GDB on 127.0.0.1:PORT before running (target remote :PORT);
                        it debugs one partition, the whole system stops when it stops
      --gdb-partition NAME
                        the partition GDB debugs (default: the first)
  run-elf PROGRAM.elf   run a bare-metal RV32 ELF on the QEMU-virt-compatible machine
      --core wasm|ts    which build of the core runs it (default wasm)
      --max-insns N     stop after N instructions (status 124)
      --ram SIZE        guest RAM at 0x80000000, e.g. 64M (default 128M, at most 1G)
      --no-fpu          an RV32IMAC hart: no F and D (misa without them, FP instructions illegal)
      --trace           print one line per instruction to stderr (pc, bits, disassembly, result)
      --input FILE      console input for the guest, read before it starts
      --stats           print instructions and MIPS to stderr at the end
      --gdb PORT        wait for GDB on 127.0.0.1:PORT before running (target remote :PORT)
      --semihosting DIR serve RISC-V semihosting calls, the guest's files confined to DIR
  help                  show this text
  --version             print the version
`;

/** Statuses for errors of wasmvisor's own (bad arguments, unreadable or invalid images). */
export const STATUS_USAGE = 2;

export async function main(argv: string[], io: CliIO = nodeIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "run":
        return await runSystem(rest, io);
      case "run-elf":
        return await runElf(rest, io);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.stdout(USAGE);
        return command === undefined ? STATUS_USAGE : 0;
      case "--version":
        io.stdout(`wasmvisor ${VERSION}\n`);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}" (commands: run, run-elf, help)`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`wasmvisor: ${err.message}\n${command === "run-elf" || command === "run" ? "" : USAGE}`);
      return STATUS_USAGE;
    }
    if (err instanceof ConfigError) {
      io.stderr(`wasmvisor: the system description is not valid:\n${err.problems.map((p) => `  ${err.file}: ${p.path ? `${p.path}: ` : ""}${p.message}`).join("\n")}\nnothing was started\n`);
      return STATUS_USAGE;
    }
    if (err instanceof ElfError || err instanceof RangeError) {
      io.stderr(`wasmvisor: ${err.message}\n`);
      return STATUS_USAGE;
    }
    throw err;
  }
}

/** Work between yields to the event loop (streamed input, a closed stdout), at most: the
 *  chunk adapts so that one takes about TURN_MS (a guest that exits to the host on every
 *  other instruction runs ~100 times slower than one that does not). */
const CHUNK = 2_000_000;
const MIN_CHUNK = 10_000;
const TURN_MS = 50;
/** The same with --trace, which writes a line per instruction. */
const TRACE_CHUNK = 20_000;
/** Console input goes to a partition in pieces of at most this many bytes. */
const INPUT_PIECE = 65536;

/** --gdb PORT: a TCP port (0: any free one). */
function gdbPort(p: ReturnType<typeof parseArgs>): number | null {
  const text = p.options.get("gdb");
  if (typeof text !== "string") return null;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`--gdb ${text}: expected a TCP port number (0-65535)`);
  return port;
}

/**
 * Serve GDB on `port` until its session ends (detach, kill, the guest's exit, a disconnect);
 * the run then goes on without it. Resolves with how the session ended.
 */
async function debugWithGdb(target: DebugTarget, port: number, program: string, io: CliIO, abort?: Promise<StopSignal>): Promise<SessionEnd | StopSignal> {
  let server;
  try {
    server = await serveGdb(target, { port });
  } catch (err) {
    throw new UsageError(`--gdb ${port}: cannot listen there: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  io.stderr(`wasmvisor: waiting for GDB on 127.0.0.1:${server.port}: gdb-multiarch ${program} -ex "target remote :${server.port}"\n`);
  const how = await (abort ? Promise.race([server.ended, abort]) : server.ended);
  server.close();
  io.stderr(`wasmvisor: ${how === "detach" ? "GDB detached; the run goes on" : how === "kill" ? "GDB killed the guest" : how === "exited" ? "GDB saw the guest exit" : `${how}: no longer waiting for GDB`}\n`);
  return how;
}

async function runElf(args: string[], io: CliIO): Promise<number> {
  const p = parseArgs(args, {
    core: { kind: "value", choices: ["wasm", "ts"] },
    "max-insns": { kind: "value" },
    ram: { kind: "value" },
    "no-fpu": { kind: "flag" },
    trace: { kind: "flag" },
    input: { kind: "value" },
    stats: { kind: "flag" },
    gdb: { kind: "value" },
    semihosting: { kind: "value" },
  });
  if (p.positional.length !== 1) {
    throw new UsageError(p.positional.length === 0 ? "run-elf needs a PROGRAM.elf" : `run-elf takes one program, got ${p.positional.length}`);
  }
  const file = p.positional[0];
  const core = (p.options.get("core") as CoreKind | undefined) ?? "wasm";
  const maxOpt = p.options.get("max-insns");
  const maxInsns = typeof maxOpt === "string" ? parseCount("max-insns", maxOpt) : Infinity;
  const ramOpt = p.options.get("ram");
  const ramBytes = typeof ramOpt === "string" ? parseSize("ram", ramOpt) : DEFAULT_RAM_BYTES;

  let image: Uint8Array;
  try {
    image = readRegularFile(file);
  } catch (err) {
    if (!(err instanceof HostFileError)) throw err;
    throw new UsageError(`cannot read ${file}: ${err.reason}`);
  }
  const semihostDir = p.options.get("semihosting");
  let semihosting: SemihostingOptions | undefined;
  if (typeof semihostDir === "string") {
    try {
      semihosting = { files: semihostDirectory(semihostDir), cmdline: file };
    } catch (err) {
      throw new UsageError(`--semihosting ${semihostDir}: ${(err as Error).message.replace(/^semihosting directory \S+:? ?/, "")}`);
    }
  }
  const machine = await Machine.create({
    core,
    ramBytes,
    fpu: !p.options.has("no-fpu"),
    semihosting,
    wasmModule: core === "wasm" ? await loadWasmModule() : undefined,
    onOutput: (bytes) => io.stdout(bytes),
  });
  machine.loadElf(image, file);

  let interrupted = false;
  const inputFile = p.options.get("input");
  let input: ConsoleInput;
  if (typeof inputFile === "string") {
    let bytes: Uint8Array;
    try {
      bytes = readRegularFile(inputFile, MAX_CONSOLE_INPUT_BYTES, `${CONSOLE_INPUT_LIMIT} (or pipe it to stdin: it is then streamed)`);
    } catch (err) {
      if (!(err instanceof HostFileError)) throw err;
      throw new UsageError(`cannot read --input ${inputFile}: ${err.reason}`);
    }
    input = fileInput(bytes);
  } else {
    input = io.input ?? stdinInput(() => { interrupted = true; });
  }
  machine.pushInput(input.initial);
  const unsubscribe = input.onData((bytes) => machine.pushInput(bytes));
  const port = gdbPort(p);
  if (port !== null && p.options.has("trace")) throw new UsageError("--gdb and --trace cannot be combined");

  const tracing = p.options.has("trace");
  // A closed stdout (or stderr, which --trace writes to) ends the run quietly.
  let outputClosed = false;
  const unwatch = io.onOutputClosed?.((stream) => {
    if (stream === "stdout" || tracing) outputClosed = true;
  }) ?? (() => {});

  const t0 = performance.now();
  try {
    if (port !== null) {
      const debugInput: DebugInput = { open: () => input.open, next: () => input.next() };
      await debugWithGdb(new MachineTarget(machine, debugInput), port, file, io);
    }
    if (tracing) {
      while (!machine.halted && !outputClosed && machine.work < maxInsns) {
        if (traceRun(machine, Math.min(TRACE_CHUNK, maxInsns - machine.work), (line) => io.stderr(`${line}\n`)) === 0) break;
        await nextTurn();
      }
      if (!machine.halted && machine.work >= maxInsns) machine.stopAtLimit(maxInsns);
    } else {
      let chunk = MIN_CHUNK;
      while (!machine.halted && !interrupted && !outputClosed) {
        const left = maxInsns - machine.work;
        if (left <= 0) {
          machine.stopAtLimit(maxInsns);
          break;
        }
        const started = performance.now();
        const done = machine.step(Math.min(chunk, left), input.open);
        if (done >= chunk) chunk = Math.max(MIN_CHUNK, Math.min(CHUNK, Math.round(chunk * TURN_MS / Math.max(1, performance.now() - started))));
        if (machine.halted) break;
        const blocked = io.outputBlocked?.();
        if (blocked) await blocked;
        if (machine.work >= maxInsns) continue;
        // Streamed input: wait for it when the guest idles; else let I/O in between chunks.
        await (input.open && machine.waiting ? input.next() : nextTurn());
      }
    }
  } finally {
    unwatch();
    unsubscribe();
    input.close();
    machine.close();
  }
  if (outputClosed) return STATUS_OUTPUT_CLOSED;
  const seconds = (performance.now() - t0) / 1000;
  if (p.options.has("stats")) {
    io.stderr(`wasmvisor: ${machine.retired} instructions in ${seconds.toFixed(3)} s (${(machine.retired / seconds / 1e6).toFixed(1)} MIPS, ${core} core)\n`);
  }
  if (interrupted) {
    io.stderr("wasmvisor: interrupted\n");
    return 130;
  }
  const halt = machine.halted!;
  if (halt.status !== 0 || halt.kind === "reset") io.stderr(`wasmvisor: ${halt.message}\n`);
  return halt.status;
}

/**
 * Console multiplexer: each partition's output goes to stdout as it arrives, every line
 * prefixed with "[name] ". A partial line (a prompt) shows at once; if another partition speaks
 * before it is finished, the partial line is ended first.
 */
class ConsoleMux {
  private current: string | null = null;
  private atLineStart = true;
  constructor(private readonly write: (s: string) => void) {}
  output(name: string, data: Uint8Array): void {
    const text = new TextDecoder().decode(data);
    let out = "";
    if (this.current !== name && !this.atLineStart) {
      out += "\n";
      this.atLineStart = true;
    }
    this.current = name;
    for (const ch of text) {
      if (this.atLineStart) out += `[${name}] `;
      out += ch;
      this.atLineStart = ch === "\n";
    }
    this.write(out);
  }
  end(): void {
    if (!this.atLineStart) this.write("\n");
    this.atLineStart = true;
  }
}

async function runSystem(args: string[], io: CliIO): Promise<number> {
  const p = parseArgs(args, {
    core: { kind: "value", choices: ["wasm", "ts"] },
    paging: { kind: "value", choices: ["shadow", "nested"] },
    "max-insns": { kind: "value" },
    "wall-clock": { kind: "flag" },
    console: { kind: "value" },
    stats: { kind: "flag" },
    "ipc-slow-path": { kind: "flag" },
    "trace-out": { kind: "value" },
    gdb: { kind: "value" },
    "gdb-partition": { kind: "value" },
  });
  if (p.positional.length !== 1) {
    throw new UsageError(p.positional.length === 0 ? "run needs a SYSTEM.json" : `run takes one system description, got ${p.positional.length}`);
  }
  const sys = loadSystemFile(p.positional[0]);
  const core = (p.options.get("core") as CoreKind | undefined) ?? "wasm";
  const maxOpt = p.options.get("max-insns");
  const maxInsns = typeof maxOpt === "string" ? parseCount("max-insns", maxOpt) : Infinity;
  const consoleName = p.options.get("console");
  if (typeof consoleName === "string" && !sys.config.partitions.some((x) => x.name === consoleName)) {
    throw new UsageError(`--console ${consoleName}: no such partition; the partitions are ${sys.config.partitions.map((x) => x.name).join(", ")}`);
  }
  const port = gdbPort(p);
  const gdbPartition = p.options.get("gdb-partition");
  if (typeof gdbPartition === "string") {
    if (port === null) throw new UsageError("--gdb-partition needs --gdb PORT");
    if (!sys.config.partitions.some((x) => x.name === gdbPartition)) {
      throw new UsageError(`--gdb-partition ${gdbPartition}: no such partition; the partitions are ${sys.config.partitions.map((x) => x.name).join(", ")}`);
    }
  }
  const hv = new Hypervisor(sys.config, {
    core,
    paging: (p.options.get("paging") as PagingMode | undefined) ?? "shadow",
    wasmModule: core === "wasm" ? await loadWasmModule() : undefined,
    loadImage: sys.loadImage,
    openDisk: sys.openDisk,
    openSemihostDir: sys.openSemihostDir,
    wallClock: p.options.has("wall-clock"),
    ipcFastPath: !p.options.has("ipc-slow-path"),
    file: sys.file,
  });
  const mux = new ConsoleMux((s) => io.stdout(s));
  hv.on("output", (e) => mux.output(e.partition, e.data));
  // The trace file is opened (created) before the run, so a bad path costs no run.
  const traceOut = p.options.get("trace-out");
  let traceFd: number | null = null;
  if (typeof traceOut === "string") {
    try {
      traceFd = openSync(traceOut, "w");
    } catch (err) {
      throw new UsageError(`--trace-out ${traceOut}: cannot write the trace there: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
  }
  const recorder = traceFd === null ? null : new TraceRecorder(hv);

  let interrupted = false; // Ctrl-C on a raw terminal
  let input: ConsoleInput | null = null;
  let unsubscribe = () => {};
  if (typeof consoleName === "string") {
    input = io.input ?? stdinInput(() => { interrupted = true; hv.stop(); });
    const cons = hv.console(consoleName);
    // In pieces: a console's write spreads its bytes into an argument list (see the fuzzing
    // notes in the README), which a file of megabytes would overflow.
    for (let off = 0; off < input.initial.length; off += INPUT_PIECE) cons.write(input.initial.subarray(off, off + INPUT_PIECE));
    unsubscribe = input.onData((bytes) => {
      for (let off = 0; off < bytes.length; off += INPUT_PIECE) cons.write(bytes.subarray(off, off + INPUT_PIECE));
    });
  }
  // From before the disks are opened (start()) until they are closed, SIGINT, SIGTERM and SIGHUP
  // end the run cleanly, so that what the guest was told is durable is in the files.
  const signals = catchStopSignals(() => hv.stop());
  // A closed stdout ends the run quietly, through the same path as a signal.
  let outputClosed = false;
  const unwatch = io.onOutputClosed?.((stream) => {
    if (stream !== "stdout") return;
    outputClosed = true;
    hv.stop();
  }) ?? (() => {});
  const t0 = performance.now();
  /** The run's result; null if a signal came before it began, undefined if something failed. */
  let result: SystemResult | null | undefined;
  try {
    await hv.start(); // (the boards exist from here on; run() resets stop(), so the signal is checked)
    if (port !== null && !signals.caught && !interrupted) {
      const name = typeof gdbPartition === "string" ? gdbPartition : sys.config.partitions[0].name;
      const debugInput: DebugInput = { open: () => input?.open ?? false, next: () => input!.next() };
      const image = relative(process.cwd(), resolve(dirname(sys.file), sys.config.partitions[hv.partitionIndex(name)].image));
      await debugWithGdb(new PartitionTarget(hv, name, debugInput), port, image, io, signals.first);
    }
    result = signals.caught || interrupted ? null : await hv.run({
      maxInsns,
      outputBlocked: io.outputBlocked && (() => io.outputBlocked!()),
      inputOpen: () => input?.open ?? false,
      waitForInput: () => input!.next(),
    });
  } finally {
    // The disks first (RapiLog's buffer persisted, files closed), with the handlers still in
    // place: a second signal during the final sync must not kill the process half-way, and
    // nothing that can fail on the way out (a terminal that is gone) may come before it.
    try {
      hv.close();
    } finally {
      signals.remove();
      unwatch();
      recorder?.detach(); // the run is over: the halts the command line adds below are not exits
      unsubscribe();
      input?.close();
      if (traceFd !== null && result === undefined) closeSync(traceFd);
    }
  }
  // After a closed stdout the run ends quietly: no report (the reader has gone), the trace
  // file still written.
  const quiet = outputClosed;
  if (!quiet) mux.end();
  const seconds = (performance.now() - t0) / 1000;
  const reason = result?.reason ?? "stopped";
  if (reason === "limit") {
    hv.stopRemaining({ kind: "limit", status: STATUS_LIMIT, message: `still running when the --max-insns limit of ${maxInsns} was reached` });
  } else if (reason === "idle") {
    hv.stopRemaining({ kind: "idle", status: STATUS_IDLE, message: "waits for an interrupt (WFI) that nothing can raise: no timer armed, no input pending" });
  } else if (reason === "stopped") {
    const signal = signals.caught;
    hv.stopRemaining({ kind: "stopped", status: signal ? signalStatus(signal) : 130, message: signal ? `interrupted (${signal})` : "interrupted" });
  }
  const stats = hv.stats();
  let status = 0;
  for (const [i, part] of sys.config.partitions.entries()) {
    const halt = hv.halted[i]!;
    if (halt.status !== 0 && status === 0) status = halt.status;
    if (!quiet) io.stderr(`wasmvisor: [${part.name}] ${halt.message}${halt.status !== 0 ? ` (status ${halt.status})` : ""}\n`);
  }
  if (p.options.has("stats") && !quiet) {
    const cpt = sys.config.cyclesPerTick;
    io.stderr(`wasmvisor: ${stats.instructions} instructions in ${seconds.toFixed(3)} s (${(stats.instructions / seconds / 1e6).toFixed(1)} MIPS, ${core} core, ${p.options.get("paging") ?? "shadow"} paging); virtual time ${formatDuration(stats.cycles, cpt)}; ${stats.worldSwitches} world switches\n`);
    for (const ps of stats.partitions) {
      io.stderr(`  [${ps.name}] ${ps.instructions} instructions, ${(ps.share * 100).toFixed(1)} % of the time; exits: ${ps.exits.mmio} MMIO, ${ps.exits.sbi} SBI, ${ps.exits.trapAndEmulate} trap-and-emulate, ${ps.exits.traps} guest traps; ${ps.paging.walks} walks, ${ps.paging.shadowFills} shadow fills, ${ps.paging.shadowHits} shadow hits\n`);
      const d = ps.disk;
      if (d) io.stderr(`  [${ps.name}] disk: ${d.reads} reads, ${d.writes} writes (${d.bytesWritten} bytes), ${d.flushes} flushes, ${d.errors} errors; guest sees a ${d.cache} cache; ${d.hostSyncs} host fdatasyncs\n`);
    }
  }
  if (recorder && traceFd !== null) {
    try {
      const events = recorder.write((chunk) => {
        const bytes = Buffer.from(chunk, "utf8");
        for (let off = 0; off < bytes.length;) off += writeSync(traceFd!, bytes, off);
      });
      closeSync(traceFd);
      if (!quiet) io.stderr(`wasmvisor: trace written to ${traceOut} (${events} events; open it in https://ui.perfetto.dev or chrome://tracing)\n`);
    } catch (err) {
      io.stderr(`wasmvisor: --trace-out ${traceOut}: cannot write the trace: ${(err as NodeJS.ErrnoException).code ?? err}\n`);
      return STATUS_USAGE;
    }
  }
  if (reason === "stopped" && signals.caught) return signalStatus(signals.caught);
  if (quiet) return STATUS_OUTPUT_CLOSED;
  if (interrupted) return 130;
  return status;
}

/**
 * The signals that end `wasmvisor run` cleanly: Ctrl-C (SIGINT), kill's default (SIGTERM), a
 * closed terminal (SIGHUP). Unhandled, each would kill the process at once, and with it what a
 * RapiLog disk holds and has not yet written out.
 */
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

/** The exit status after a stop signal: 128 + its number, as shells report it (SIGINT 130). */
function signalStatus(signal: StopSignal): number {
  return 128 + osConstants.signals[signal];
}

/**
 * Catch the stop signals until remove(): the first calls `onFirst` (and resolves `first`); later
 * ones change nothing (the run is already ending), but being caught they cannot kill the process
 * while it closes the disks.
 */
function catchStopSignals(onFirst: (signal: StopSignal) => void): { readonly caught: StopSignal | null; readonly first: Promise<StopSignal>; remove(): void } {
  let caught: StopSignal | null = null;
  let resolveFirst: (signal: StopSignal) => void = () => {};
  const first = new Promise<StopSignal>((resolve) => { resolveFirst = resolve; });
  const handler = (signal: NodeJS.Signals) => {
    if (caught !== null) return;
    caught = signal as StopSignal;
    resolveFirst(caught);
    onFirst(caught);
  };
  for (const s of STOP_SIGNALS) process.on(s, handler);
  return {
    get caught() { return caught; },
    first,
    remove: () => { for (const s of STOP_SIGNALS) process.off(s, handler); },
  };
}
