// The wasmvisor command line (Node). Commands:
//
//   wasmvisor run SYSTEM.json [--core wasm|ts] [--jit on|off] [--paging shadow|nested] [--max-insns N]
//                             [--wall-clock] [--console NAME] [--input FILE] [--stats] [--ipc-slow-path]
//                             [--trace-out FILE] [--gdb PORT [--gdb-partition NAME]]
//                             [--snapshot-at WHEN FILE]... [--snapshot-on-exit FILE]
//   wasmvisor restore SNAPSHOT [the run options, except --ipc-slow-path and --gdb]
//   wasmvisor run-elf PROGRAM.elf [--core wasm|ts] [--jit on|off] [--max-insns N] [--ram SIZE] [--harts N] [--trace]
//                                 [--input FILE] [--wall-clock] [--stats] [--gdb PORT] [--semihosting DIR]
//   wasmvisor run-elf --bios FIRMWARE [--kernel KERNEL] [--initrd FILE] [--append ARGS] [...]
//
// Guest console output goes to stdout; wasmvisor's own messages (and --trace) go to stderr.
// The exit status is the guest's: test finisher 0x5555 → 0, (code << 16) | 0x3333 → code,
// HTIF tohost 1 → 0, other odd values → tohost >> 1; 124 when --max-insns stops the guest,
// 125 when it waits for an interrupt nothing can raise, 2 for usage and image errors; a run
// ended by SIGINT, SIGTERM or SIGHUP: 128 + the signal's number (after the --stats report; `run`
// after closing the disks); 141
// when stdout's reader has gone (EPIPE: the run ends quietly).

import { openSync, writeSync, closeSync, readSync, fstatSync, statSync, writeFileSync, renameSync, rmSync, constants as fsConstants } from "node:fs";
import { constants as osConstants } from "node:os";
import { dirname, relative, resolve } from "node:path";
import { Machine, DEFAULT_RAM_BYTES } from "../machine/machine.js";
import { WallClockPacer } from "../machine/wall-clock.js";
import type { SemihostingOptions } from "../vmm/board.js";
import { semihostDirectory } from "../node/semihost-dir.js";
import { ElfError, hasElfMagic } from "../loader/elf.js";
import type { CoreKind } from "../core/core.js";
import { loadWasmModule } from "../node/core-file.js";
import { stdinInput, stdinIsTerminal, fileInput, MAX_CONSOLE_INPUT_BYTES, CONSOLE_INPUT_LIMIT, type ConsoleInput } from "../node/console.js";
import { TerminalKeys, TERMINAL_HINT, type TerminalHost } from "./terminal.js";
import { readRegularFile, HostFileError } from "../node/host-file.js";
import { traceRun } from "../debug/trace.js";
import { TraceRecorder } from "../debug/chrome-trace.js";
import { parseArgs, parseCount, parseSize, closest, formatOptions, wantsHelp, UsageError, type OptionSpec, type Parsed } from "./args.js";
import { Hypervisor, type PagingMode, type SystemResult } from "../api/hypervisor.js";
import { ConfigError, formatDuration, parseDurationValue, HARTS_MAX, type SystemConfig } from "../config/system.js";
import { guestPathProblem, MAX_GUEST_FILE_BYTES, type GuestFile } from "../loader/cpio.js";
import { SnapshotError } from "../snapshot/state.js";
import { migrateIn, migrateOut, listenForMigration, type MigrationReport } from "../node/migrate.js";
import type { AddressInfo } from "node:net";
import { loadSystemFile, MAX_DESCRIPTION_BYTES, type SystemFile } from "../node/system-file.js";
import { fastBootKey, fastBootFile, fastBootRefusal, readFastBoot, writeFastBoot } from "../node/fast-boot.js";
import type { BlockStorage } from "../devices/virtio-blk.js";
import { STATUS_LIMIT, STATUS_IDLE } from "../machine/machine.js";
import { MachineTarget, PartitionTarget, type DebugTarget, type DebugInput } from "../debug/target.js";
import { serveGdb } from "../node/gdb-server.js";
import { startNodes, runNode, type Nodes } from "../node/vnuma.js";
import { VnumaError, type VnumaStats } from "../machine/vnuma/home.js";
import type { SessionEnd } from "../debug/gdb.js";
import { afterburnCommand, checkAfterburnArgs, AfterburnUsage, AFTERBURN_USAGE } from "../tools/afterburn/command.js";
import { JIT_HOT_MAX, jitOn } from "../jit/hot.js";

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

// The commands and their options: one table each, from which the parser takes its spec and
// --help its text.
const CORE_OPTION: OptionSpec = { kind: "value", choices: ["wasm", "ts"], help: "which build of the core runs it (default wasm)" };
const JIT_OPTION: OptionSpec = { kind: "value", choices: ["on", "off"], help: "translate hot guest code (default on, unless WASMVISOR_JIT=off;\ndocs/jit.md): into Wasm modules on the Wasm core, into JavaScript\nfunctions on the pure-TS core" };
const JIT_HOT_OPTION: OptionSpec = { kind: "value", arg: "N", help: "translate a branch target once it was reached N times\n(default 16384 on the Wasm core, 131072 on the pure-TS core;\ndocs/jit.md)" };

/** --jit on|off: the translator's option (undefined: the host's default, src/jit/hot.ts). */
function jitOf(p: Parsed): boolean | undefined {
  const v = p.options.get("jit");
  return v === "on" ? true : v === "off" ? false : undefined;
}

/** The translator's part of a status or statistics line: ", jit: N regions" (nothing when off). */
const jitNote = (jit: { regions: number } | null) => jit ? `, jit: ${jit.regions} regions` : "";

/** --jit-hot N: the translator's threshold (undefined: the core's default). */
function jitHotOf(p: Parsed): number | undefined {
  const v = p.options.get("jit-hot");
  if (typeof v !== "string") return undefined;
  const n = parseCount("jit-hot", v);
  if (n < 1 || n > JIT_HOT_MAX) throw new UsageError(`--jit-hot ${v}: use a number of probes from 1 to 2^30`);
  const jit = jitOf(p);
  if (!jitOn(jit)) throw new UsageError(`--jit-hot needs the translator, which ${jit === false ? "--jit off" : "WASMVISOR_JIT=off"} turns off`);
  return n;
}

const RUN_OPTIONS = {
  core: CORE_OPTION,
  jit: JIT_OPTION,
  "jit-hot": JIT_HOT_OPTION,
  paging: { kind: "value", choices: ["shadow", "nested"], help: "shadow page tables (default) or nested paging" },
  "max-insns": { kind: "value", arg: "N", help: "stop after N instructions in all partitions (status 124)" },
  "wall-clock": { kind: "flag", help: "keep virtual time from running ahead of real time" },
  console: { kind: "value", arg: "NAME", help: "send stdin to partition NAME's console" },
  "add-file": { kind: "value", repeat: true, arg: "HOST:GUEST", help: "put host file HOST at the absolute path GUEST in the initial root\nfilesystem of the --console partition (or the only one with an initrd);\nmay be given several times (docs/files.md)" },
  input: { kind: "value", arg: "FILE", help: "console input for the --console partition (or the only one), read\nbefore the run starts, instead of stdin" },
  stats: { kind: "flag", help: "print per-partition statistics to stderr at the end" },
  "ipc-slow-path": { kind: "flag", help: "every protected call takes the IPC slow path (for comparisons)" },
  "trace-out": { kind: "value", arg: "FILE", help: "write the schedule and the exits to FILE as a Chrome trace (JSON)\nwhen the run ends, for https://ui.perfetto.dev or chrome://tracing" },
  gdb: { kind: "value", arg: "PORT", help: "wait for GDB on 127.0.0.1:PORT before running (target remote :PORT);\nit debugs one partition, the whole system stops when it stops" },
  "gdb-partition": { kind: "value", arg: "NAME", help: "the partition GDB debugs (default: the first)" },
  // (--snapshot-at takes two values: takeSnapshotPoints takes it out before the parser runs;
  // it is here for --help and the suggestions.)
  "snapshot-at": { kind: "value", arg: "WHEN FILE", help: "write a snapshot of the whole system to FILE when WHEN is reached:\na count of instructions (5000000, 5e6) or virtual time (2s, 150ms,\n300us, 1000000cycles); may be given several times" },
  "migrate-to": { kind: "value", arg: "HOST:PORT", help: "move the running system to `wasmvisor migrate --listen PORT` there (live\nmigration: pre-copy while it runs, then a short stop); this process ends" },
  "migrate-at": { kind: "value", arg: "WHEN", help: "when --migrate-to begins: instructions or virtual time as --snapshot-at\n(default: at once)" },
  "snapshot-on-exit": { kind: "value", arg: "FILE", help: "write a snapshot to FILE when the run ends (also after Ctrl-C or a\n--max-insns limit), to go on later with `wasmvisor restore FILE`" },
  "fast-boot": { kind: "value", arg: "DIR", help: "start from the snapshot kept in DIR of this system at its --console's\nfirst prompt, if one matches the description, its images and disks and\nthis build exactly; else boot, and keep one there at the prompt" },
} satisfies Record<string, OptionSpec>;

/** restore: the run options but those that would change the snapshot's system or debug it. */
const RESTORE_OPTIONS: Record<string, OptionSpec> = Object.fromEntries(
  Object.entries(RUN_OPTIONS).filter(([name]) => !["ipc-slow-path", "gdb", "gdb-partition", "add-file", "fast-boot"].includes(name)));

/** migrate: restore's options, and where to wait for the system. */
const MIGRATE_OPTIONS: Record<string, OptionSpec> = {
  listen: { kind: "value", arg: "[HOST:]PORT", help: "wait on HOST:PORT (default host 127.0.0.1; port 0: any free one, said on\nstderr) for a system `wasmvisor run … --migrate-to` sends, then run it" },
  ...RESTORE_OPTIONS,
};

const RUN_ELF_OPTIONS = {
  core: CORE_OPTION,
  jit: JIT_OPTION,
  "jit-hot": JIT_HOT_OPTION,
  "max-insns": { kind: "value", arg: "N", help: "stop after N instructions (status 124)" },
  ram: { kind: "value", arg: "SIZE", help: "guest RAM at 0x80000000, e.g. 64M (default 128M, at most 1G)" },
  "no-fpu": { kind: "flag", help: "an RV32IMAC hart: no F and D (misa without them, FP instructions illegal)" },
  harts: { kind: "value", arg: "N", help: "N harts (1-8, default 1), all starting at the entry with a0 = hart id, as\nQEMU's -smp N; interleaved deterministically (docs/smp.md)" },
  parallel: { kind: "flag", help: "run each hart on its own host thread over one shared memory (faster on\nseveral host cores; not deterministic; docs/smp.md)" },
  nodes: { kind: "value", arg: "K", help: "vNUMA: spread the harts over K processes (nodes) that share the guest's\nRAM page by page over TCP (implies --parallel; docs/vnuma.md)" },
  listen: { kind: "value", arg: "HOST:PORT", help: "with --nodes: wait on HOST:PORT for the other nodes, started elsewhere with\n`wasmvisor vnuma-node --connect HOST:PORT`, instead of starting them here" },
  trace: { kind: "flag", help: "print one line per instruction to stderr (pc, bits, disassembly, result)" },
  input: { kind: "value", arg: "FILE", help: "console input for the guest, read before it starts" },
  "wall-clock": { kind: "flag", help: "keep virtual time from running ahead of real time (an idle guest's\ntime then passes as real time does; its RTC reads the host's clock)" },
  stats: { kind: "flag", help: "print instructions and MIPS to stderr at the end" },
  gdb: { kind: "value", arg: "PORT", help: "wait for GDB on 127.0.0.1:PORT before running (target remote :PORT)" },
  semihosting: { kind: "value", arg: "DIR", help: "serve RISC-V semihosting calls, the guest's files confined to DIR" },
  bios: { kind: "value", arg: "FIRMWARE", help: "boot the QEMU way: an M-mode firmware (ELF or raw binary) instead of\nPROGRAM.elf, which starts --kernel with --initrd and a device tree,\nall placed where QEMU's virt board puts them (docs/linux.md: \"Firmware and kernel\")" },
  firmware: { kind: "value", arg: "FIRMWARE", help: "the same as --bios" },
  kernel: { kind: "value", arg: "KERNEL", help: "the kernel the firmware starts (ELF, Linux Image or raw), as QEMU's -kernel" },
  initrd: { kind: "value", arg: "FILE", help: "the initial RAM disk the firmware hands over (needs --kernel)" },
  append: { kind: "value", arg: "ARGS", help: "the kernel command line in the device tree's /chosen (needs --kernel)" },
} satisfies Record<string, OptionSpec>;

const COMMANDS = {
  run: { synopsis: "run SYSTEM.json", summary: "run a partitioned system (docs/system-description.md)", options: RUN_OPTIONS },
  migrate: { synopsis: "migrate --listen PORT", summary: "receive a running system from another wasmvisor process (live migration)\nand go on with it exactly where it left", options: MIGRATE_OPTIONS },
  restore: { synopsis: "restore SNAPSHOT", summary: "go on with a system exactly where a snapshot was taken, on either core\n(its disks are the snapshot's, kept in memory)", options: RESTORE_OPTIONS },
  "run-elf": { synopsis: "run-elf PROGRAM.elf", summary: "run a bare-metal RV32 ELF on the QEMU-virt-compatible machine", options: RUN_ELF_OPTIONS },
} as const;
type CommandName = keyof typeof COMMANDS;
const COMMAND_NAMES = [...Object.keys(COMMANDS), "afterburn", "vnuma-node", "help"];

const USAGE = `usage: wasmvisor <command> [options]

commands:
${Object.values(COMMANDS).map((c) => `  ${c.synopsis.padEnd(20)}  ${c.summary.replace(/\n/g, `\n${" ".repeat(24)}`)}\n${c.options === RESTORE_OPTIONS ? `${" ".repeat(24)}(the run options above but --ipc-slow-path and --gdb)\n` : formatOptions(c.options, 6)}`).join("")}  afterburn IN.s        pre-virtualization: mark a guest's sensitive instructions (docs/previrt.md;
                        wasmvisor afterburn --help)
  vnuma-node --connect HOST:PORT
                        be a node of a vNUMA machine whose home node waits there
                        (run-elf --nodes K --listen HOST:PORT; docs/vnuma.md)
  help [COMMAND]        show this text, or a command's (also: wasmvisor COMMAND --help)
  --version             print the version
`;

/** `wasmvisor COMMAND --help`: its synopsis and options. */
function commandUsage(name: CommandName): string {
  const c = COMMANDS[name];
  return `usage: wasmvisor ${c.synopsis} [options]\n\n${c.summary}\n\noptions:\n${formatOptions(c.options)}  -h, --help            show this text\n`;
}

/** `wasmvisor vnuma-node --connect HOST:PORT`: the address (a UsageError otherwise). */
function vnumaNodeAddress(args: string[]): string {
  if (args.length !== 2 || args[0] !== "--connect" || !/^[^\s:]+(:[^\s:]+)*:\d+$/.test(args[1])) {
    throw new UsageError("usage: wasmvisor vnuma-node --connect HOST:PORT (the address `run-elf --nodes K --listen` waits on)");
  }
  return args[1];
}

/** Statuses for errors of wasmvisor's own (bad arguments, unreadable or invalid images). */
export const STATUS_USAGE = 2;

/**
 * Check a command line against the commands and their option tables without running anything:
 * throws the UsageError `main` would report for an unknown command or option, a missing value
 * or a value outside an option's choices. (test/docs.test.ts holds every command the
 * documentation shows to it.)
 */
export function checkCommandLine(argv: string[]): void {
  const [command, ...rest] = argv;
  if (command === undefined || ["help", "--help", "-h", "--version"].includes(command)) return;
  if (command === "afterburn") {
    try {
      checkAfterburnArgs(rest);
    } catch (err) {
      if (err instanceof AfterburnUsage) throw new UsageError(`afterburn: ${err.message}`);
      throw err;
    }
    return;
  }
  if (command === "vnuma-node") {
    vnumaNodeAddress(rest);
    return;
  }
  if (!Object.hasOwn(COMMANDS, command)) {
    throw new UsageError(`unknown command "${command}" (commands: ${COMMAND_NAMES.join(", ")})${suggestion(command, COMMAND_NAMES)}`);
  }
  if (wantsHelp(rest)) return;
  const args = command === "run-elf" ? rest : takeSnapshotPoints(rest).rest;
  parseArgs(args, COMMANDS[command as CommandName].options);
}

export async function main(argv: string[], io: CliIO = nodeIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "run":
      case "run-elf":
        if (wantsHelp(rest)) {
          io.stdout(commandUsage(command));
          return 0;
        }
        return command === "run" ? await runSystem(rest, io) : await runElf(rest, io);
      case "restore":
        if (wantsHelp(rest)) {
          io.stdout(commandUsage(command));
          return 0;
        }
        return await runSystem(rest, io, "restore");
      case "migrate":
        if (wantsHelp(rest)) {
          io.stdout(commandUsage(command));
          return 0;
        }
        return await runSystem(rest, io, "migrate");
      case "afterburn":
        if (wantsHelp(rest)) {
          io.stdout(AFTERBURN_USAGE);
          return 0;
        }
        try {
          return afterburnCommand(rest, { stdout: (t) => io.stdout(t), stderr: (t) => io.stderr(t) });
        } catch (err) {
          if (err instanceof AfterburnUsage) throw new UsageError(`afterburn: ${err.message}`);
          if (err instanceof Error && "code" in err && typeof err.code === "string") {
            io.stderr(`wasmvisor: afterburn: ${err.message}\n`);
            return STATUS_USAGE;
          }
          throw err;
        }
      case "vnuma-node": {
        const address = vnumaNodeAddress(rest);
        try {
          await runNode(address);
        } catch (err) {
          io.stderr(`wasmvisor: vnuma-node: ${err instanceof Error ? err.message : String(err)}\n`);
          return 1;
        }
        return 0;
      }
      case undefined:
      case "help":
      case "--help":
      case "-h": {
        const topic = command === "help" && !wantsHelp(rest.slice(0, 1)) ? rest[0] : undefined;
        if (topic !== undefined && !Object.hasOwn(COMMANDS, topic)) throw new UsageError(`help: no such command "${topic}" (the commands are ${Object.keys(COMMANDS).join(", ")})${suggestion(topic, Object.keys(COMMANDS))}`);
        io.stdout(topic !== undefined ? commandUsage(topic as CommandName) : USAGE);
        return command === undefined ? STATUS_USAGE : 0;
      }
      case "--version":
        io.stdout(`wasmvisor ${VERSION}\n`);
        return 0;
      default:
        throw new UsageError(`unknown ${command.startsWith("-") ? "option" : "command"} "${command}" (commands: ${COMMAND_NAMES.join(", ")})${suggestion(command, [...COMMAND_NAMES, "--help", "--version"])}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      const help = command !== undefined && Object.hasOwn(COMMANDS, command) ? `wasmvisor ${command} --help` : "wasmvisor --help";
      io.stderr(`wasmvisor: ${err.message}\n(${help} shows the usage)\n`);
      return STATUS_USAGE;
    }
    if (err instanceof ConfigError) {
      io.stderr(`wasmvisor: the system description is not valid:\n${err.problems.map((p) => `  ${err.file}: ${p.path ? `${p.path}: ` : ""}${p.message}`).join("\n")}\nnothing was started\n`);
      return STATUS_USAGE;
    }
    if (err instanceof SnapshotError) {
      io.stderr(`wasmvisor: ${err.message}\nnothing was started\n`);
      return STATUS_USAGE;
    }
    if (err instanceof ElfError || err instanceof RangeError) {
      io.stderr(`wasmvisor: ${err.message}\n`);
      return STATUS_USAGE;
    }
    if (err instanceof VnumaError) {
      io.stderr(`wasmvisor: ${err.message.replace(/^vNUMA: /, "vNUMA: ")}\n`);
      return 1;
    }
    throw err;
  }
}

/** "; did you mean X?" when one of `candidates` is close to what was typed, else "". */
function suggestion(typed: string, candidates: readonly string[]): string {
  const c = closest(typed, candidates);
  return c === null ? "" : `; did you mean ${c}?`;
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

/**
 * `run PROGRAM.elf`: a program (or any binary file) where a system description belongs is
 * refused with what to run instead, not with a JSON parse error. Only the first bytes of a
 * regular file are read (opened without blocking: a FIFO is left to loadSystemFile to refuse).
 */
function refuseProgram(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch {
    return; // loadSystemFile reports why it cannot be read
  }
  let head = new Uint8Array(64);
  let size = 0;
  try {
    const st = fstatSync(fd);
    size = st.size;
    head = st.isFile() ? head.subarray(0, readSync(fd, head, 0, head.length, 0)) : head.subarray(0, 0);
  } catch {
    return;
  } finally {
    closeSync(fd);
  }
  if (hasElfMagic(head)) {
    throw new UsageError(`${file} is a program (ELF), not a system description (JSON): run it with \`wasmvisor run-elf ${file}\`, or name it as a partition's image in a system description`);
  }
  // JSON text has no control characters but tab, CR and LF (RFC 8259: they must be escaped).
  // (A file too large to be a description is left to loadSystemFile, which says so.)
  if (size <= MAX_DESCRIPTION_BYTES && head.some((b) => b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) {
    throw new UsageError(`${file} is a binary file, not a system description (JSON): an image (a program, a Linux Image) is named in a system description's partitions; a bare-metal ELF runs with \`wasmvisor run-elf\``);
  }
}

/** --input FILE: console input read whole before the run (a regular file, bounded). */
function inputFromFile(file: string): ConsoleInput {
  try {
    return fileInput(readRegularFile(file, MAX_CONSOLE_INPUT_BYTES, `${CONSOLE_INPUT_LIMIT} (or pipe it to stdin: it is then streamed)`));
  } catch (err) {
    if (!(err instanceof HostFileError)) throw err;
    throw new UsageError(`cannot read --input ${file}: ${err.reason}`);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function runElf(args: string[], io: CliIO): Promise<number> {
  const p = parseArgs(args, RUN_ELF_OPTIONS);
  // Booting the QEMU way: --bios (or --firmware) FILE, or the program, with --kernel, --initrd
  // and --append (src/loader/firmware-boot.ts).
  const biosOpt = p.options.get("bios") ?? p.options.get("firmware");
  if (p.options.has("bios") && p.options.has("firmware")) throw new UsageError("--bios and --firmware name the same thing: give one");
  const kernelFile = p.options.get("kernel");
  const initrdFile = p.options.get("initrd");
  const append = p.options.get("append");
  const firmwareBoot = typeof biosOpt === "string" || typeof kernelFile === "string";
  if (typeof biosOpt === "string" ? p.positional.length !== 0 : p.positional.length !== 1) {
    throw new UsageError(typeof biosOpt === "string" ? `--bios ${biosOpt} is the program: run-elf takes no other, got ${p.positional.join(" ")}`
      : p.positional.length === 0 ? "run-elf needs a PROGRAM.elf (or --bios FIRMWARE)" : `run-elf takes one program, got ${p.positional.length}`);
  }
  if (!firmwareBoot && (typeof initrdFile === "string" || typeof append === "string")) {
    throw new UsageError(`--${typeof initrdFile === "string" ? "initrd" : "append"} goes with --kernel: the kernel's firmware hands it over (run-elf --bios FIRMWARE --kernel KERNEL ...)`);
  }
  if (typeof initrdFile === "string" && typeof kernelFile !== "string") throw new UsageError("--initrd needs --kernel (as QEMU's -initrd does)");
  const file = typeof biosOpt === "string" ? biosOpt : p.positional[0];
  const core = (p.options.get("core") as CoreKind | undefined) ?? "wasm";
  const maxOpt = p.options.get("max-insns");
  const maxInsns = typeof maxOpt === "string" ? parseCount("max-insns", maxOpt) : Infinity;
  const ramOpt = p.options.get("ram");
  const ramBytes = typeof ramOpt === "string" ? parseSize("ram", ramOpt) : DEFAULT_RAM_BYTES;

  const readFile = (name: string, what: string): Uint8Array => {
    try {
      return readRegularFile(name);
    } catch (err) {
      if (!(err instanceof HostFileError)) throw err;
      throw new UsageError(`cannot read ${what}${name}: ${err.reason}`);
    }
  };
  const image = readFile(file, "");
  if (!hasElfMagic(image) && /^\s*[{[]/.test(new TextDecoder().decode(image.subarray(0, 64)))) {
    throw new UsageError(`${file}: not an ELF file but JSON (a system description?): run it with \`wasmvisor run ${file}\``);
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
  const wallClock = p.options.has("wall-clock");
  const hartsOpt = p.options.get("harts");
  const harts = typeof hartsOpt === "string" ? Number(hartsOpt) : 1;
  if (!/^\d+$/.test(typeof hartsOpt === "string" ? hartsOpt : "1") || harts < 1 || harts > HARTS_MAX) {
    throw new UsageError(`--harts ${hartsOpt}: use a number of harts from 1 to ${HARTS_MAX}`);
  }
  const nodesOpt = p.options.get("nodes");
  const nodeCount = typeof nodesOpt === "string" ? Number(nodesOpt) : 1;
  if (typeof nodesOpt === "string" && (!/^\d+$/.test(nodesOpt) || nodeCount < 1 || nodeCount > harts)) {
    throw new UsageError(`--nodes ${nodesOpt}: use a number of nodes from 1 to the number of harts (${harts}; --harts N)`);
  }
  if (p.options.has("listen") && nodeCount < 2) throw new UsageError("--listen waits for the other nodes of --nodes K (K at least 2)");
  if (nodeCount > 1) {
    for (const o of ["max-insns", "jit"]) {
      if (p.options.has(o)) throw new UsageError(`--nodes cannot be combined with --${o} (docs/vnuma.md)`);
    }
  }
  const parallel = p.options.has("parallel") || nodeCount > 1;
  if (parallel) {
    // What needs a deterministic, single-threaded run (or a hart's registers on the home thread).
    for (const o of ["gdb", "trace", "semihosting", "wall-clock"]) {
      if (p.options.has(o)) throw new UsageError(`--parallel cannot be combined with --${o}: run without --parallel (the harts then interleave deterministically)`);
    }
  }
  let outputAtLineStart = true;
  const machine = await Machine.create({
    core,
    ramBytes,
    harts,
    parallel,
    nodes: nodeCount,
    jit: jitOf(p),
    jitHot: jitHotOf(p),
    fpu: !p.options.has("no-fpu"),
    semihosting,
    wasmModule: core === "wasm" && !parallel ? await loadWasmModule() : undefined, // (--parallel: the threaded build's, found by the core)
    onOutput: (bytes) => {
      if (bytes.length > 0) outputAtLineStart = bytes[bytes.length - 1] === 0x0a;
      io.stdout(bytes);
    },
    wallClock,
    firmwareBoot,
    bootargs: typeof append === "string" ? append : undefined,
  });
  if (firmwareBoot) {
    const kernel = typeof kernelFile === "string" ? { bytes: readFile(kernelFile, "--kernel "), name: kernelFile } : undefined;
    const initrd = typeof initrdFile === "string" ? { bytes: readFile(initrdFile, "--initrd "), name: initrdFile } : undefined;
    machine.loadFirmwareBoot(image, file, kernel, initrd);
  } else {
    machine.loadElf(image, file);
  }
  const port = gdbPort(p);
  if (port !== null && p.options.has("trace")) throw new UsageError("--gdb and --trace cannot be combined");

  let vnumaFigures: VnumaStats | undefined;
  let interrupted = false; // (Ctrl-C on a raw terminal, when the keys are not the terminal's)
  let quit = false; // Ctrl-A x on the terminal (or the monitor's quit)
  const inputFile = p.options.get("input");
  const t0 = performance.now();
  const keys = typeof inputFile === "string" || io.input || !stdinIsTerminal() ? null : new TerminalKeys({
    say: (text) => {
      if (!outputAtLineStart) io.stdout("\n"); // (a partial line of the guest's, a prompt, is ended first)
      outputAtLineStart = true;
      io.stderr(text);
    },
    quit: () => { quit = true; },
    status: () => `${machine.retired} instructions, virtual time ${formatDuration(machine.time.clockNumber(), machine.time.cyclesPerTick)}, real time ${((performance.now() - t0) / 1000).toFixed(1)} s; ${core} core${wallClock ? ", wall-clock" : ""}${jitNote(machine.jit)}\n`,
    partitions: () => `  the bare machine (run-elf): ${file}, machine mode, ${machine.retired} instructions; ${machine.halted ? `stopped: ${machine.halted.message}` : "running"}\n`,
  });
  const input = typeof inputFile === "string" ? inputFromFile(inputFile) : io.input ?? stdinInput(() => { interrupted = true; }, keys ? (bytes) => keys.feed(bytes) : undefined);
  if (keys) io.stderr(TERMINAL_HINT);
  machine.pushInput(input.initial);
  const unsubscribe = input.onData((bytes) => machine.pushInput(bytes));
  // SIGINT, SIGTERM and SIGHUP end the run through the same path as its other ends: the
  // statistics are printed (--stats), and the status is 128 + the signal's number.
  const signals = catchStopSignals(() => {});
  const stopped = () => interrupted || quit || signals.caught !== null;

  const tracing = p.options.has("trace");
  // A closed stdout (or stderr, which --trace writes to) ends the run quietly.
  let outputClosed = false;
  const unwatch = io.onOutputClosed?.((stream) => {
    if (stream === "stdout" || tracing) outputClosed = true;
  }) ?? (() => {});

  try {
    if (port !== null) {
      const debugInput: DebugInput = { open: () => input.open, next: () => input.next() };
      await debugWithGdb(new MachineTarget(machine, debugInput), port, file, io, signals.first);
    }
    if (parallel) {
      // Harts on threads (src/machine/parallel.ts): the run serves their device accesses here.
      // vNUMA: the other nodes first (started here, or waited for), the harts spread in blocks.
      let nodes: Nodes | null = null;
      if (nodeCount > 1) {
        const listen = p.options.get("listen");
        nodes = await startNodes(nodeCount - 1, typeof listen === "string"
          ? { spawn: false, listen, timeoutMs: 600_000, onListening: (a) => io.stderr(`wasmvisor: waiting on ${a} for ${nodeCount - 1} node(s): wasmvisor vnuma-node --connect ${a}\n`) }
          : {});
      }
      let r: Awaited<ReturnType<typeof machine.runParallel>>;
      try {
        r = await machine.runParallel({
          nodes: nodes ? { placement: machine.hartNodes, links: nodes.links, ramBytes: machine.ramBytes } : undefined,
          maxWork: maxInsns === Infinity ? undefined : maxInsns,
          inputOpen: () => input.open,
          waitForInput: () => Promise.race([input.next(), signals.first]).then(() => {}),
          stopped: () => stopped() || outputClosed,
          outputBlocked: () => io.outputBlocked?.(),
        });
      } finally {
        await nodes?.close();
      }
      if (r.vnuma) vnumaFigures = r.vnuma;
      if (r.reason === "limit" && !machine.halted) machine.stopAtLimit(maxInsns);
    } else if (tracing) {
      while (!machine.halted && !outputClosed && !stopped() && machine.work < maxInsns) {
        if (traceRun(machine, Math.min(TRACE_CHUNK, maxInsns - machine.work), (line) => io.stderr(`${line}\n`)) === 0) break;
        await nextTurn();
      }
      if (!machine.halted && machine.work >= maxInsns) machine.stopAtLimit(maxInsns);
    } else {
      let chunk = MIN_CHUNK;
      // --wall-clock: virtual time is kept from running ahead of real time (and the guest's RTC
      // reads the host's clock); each step runs at most the pacer's slice of virtual time.
      const pacer = wallClock ? new WallClockPacer(machine.time.clockNumber(), machine.cyclesPerSecond) : null;
      while (!machine.halted && !stopped() && !outputClosed) {
        const left = maxInsns - machine.work;
        if (left <= 0) {
          machine.stopAtLimit(maxInsns);
          break;
        }
        const started = performance.now();
        const done = pacer
          ? machine.step(Math.min(pacer.step, left), input.open, machine.time.clockNumber() + pacer.step)
          : machine.step(Math.min(chunk, left), input.open);
        if (!pacer && done >= chunk) chunk = Math.max(MIN_CHUNK, Math.min(CHUNK, Math.round(chunk * TURN_MS / Math.max(1, performance.now() - started))));
        if (machine.halted) break;
        const blocked = io.outputBlocked?.();
        if (blocked) await blocked;
        if (machine.work >= maxInsns) continue;
        const delay = pacer?.delay(machine.time.clockNumber()) ?? 0;
        // Streamed input: wait for it when the guest idles with nothing else to wake it (or for
        // a signal); else let I/O in between chunks, or real time catch up.
        if (input.open && machine.awaitingInput) await Promise.race([input.next(), signals.first]); // (Ctrl-A x is input)
        else await (delay > 0 ? sleep(delay) : nextTurn());
      }
    }
  } finally {
    signals.remove();
    unwatch();
    unsubscribe();
    input.close();
    machine.close();
  }
  if (outputClosed) return STATUS_OUTPUT_CLOSED;
  const seconds = (performance.now() - t0) / 1000;
  if (p.options.has("stats")) {
    io.stderr(`wasmvisor: ${machine.retired} instructions in ${seconds.toFixed(3)} s (${(machine.retired / seconds / 1e6).toFixed(1)} MIPS, ${core} core${parallel ? `, ${harts} harts on parallel threads` : ""}${nodeCount > 1 ? ` on ${nodeCount} nodes` : ""}${jitNote(machine.jit)})\n`);
    if (vnumaFigures) io.stderr(`wasmvisor: ${vnumaLine(vnumaFigures, seconds)}\n`);
  }
  if (signals.caught) {
    io.stderr(`wasmvisor: interrupted (${signals.caught})\n`);
    return signalStatus(signals.caught);
  }
  if (interrupted) {
    io.stderr("wasmvisor: interrupted\n");
    return 130;
  }
  if (quit && !machine.halted) {
    io.stderr("wasmvisor: quit (Ctrl-A x)\n");
    return 0;
  }
  const halt = machine.halted!;
  if (halt.status !== 0 || halt.kind === "reset") io.stderr(`wasmvisor: ${halt.message}\n`);
  return halt.status;
}

/** ECMA-48 ED 2 (erase the whole screen), as `clear` and the shell's Ctrl-L print it after CUP. */
const CLEAR_SCREEN = "\x1b[2J";

/**
 * Console multiplexer: each partition's output goes to stdout as it arrives, every line
 * prefixed with "[name] ". A partial line (a prompt) shows at once; if another partition speaks
 * before it is finished, the partial line is ended first.
 */
export class ConsoleMux {
  private current: string | null = null;
  private atLineStart = true;
  /** On a terminal: the partition whose console the user types into. When another partition
   *  prints while that line is unfinished (a prompt and what is being typed), the line is erased,
   *  the other output printed on lines of its own, and the unfinished line drawn again below it,
   *  so typing is never torn apart. Null (pipes, files): the line is ended instead. */
  redraw: string | null = null;
  /** What `redraw`'s partition has shown since its last newline. */
  private typed = "";
  constructor(private readonly write: (s: string) => void) {}
  output(name: string, data: Uint8Array): void {
    const text = new TextDecoder().decode(data);
    if (this.redraw !== null && name !== this.redraw && this.current === this.redraw && !this.atLineStart) {
      let out = "\r\x1b[K";
      for (const line of text.split(/(?<=\n)/)) if (line) out += `[${name}] ${line}`;
      if (!text.endsWith("\n")) out += "\n";
      this.write(`${out}[${this.redraw}] ${this.typed}`);
      return;
    }
    if (name === this.redraw) {
      // (what is shown since the line began: after the last newline or screen clear)
      const nl = Math.max(text.lastIndexOf("\n") + 1, text.lastIndexOf(CLEAR_SCREEN) + (text.includes(CLEAR_SCREEN) ? CLEAR_SCREEN.length : 0));
      this.typed = nl > 0 ? text.slice(nl) : this.typed + text;
    }
    let out = "";
    if (this.current !== name && !this.atLineStart) {
      out += "\n";
      this.atLineStart = true;
    }
    this.current = name;
    for (const ch of text) {
      if (this.atLineStart) out += `[${name}] `;
      out += ch;
      // A screen cleared (the shell's Ctrl-L and `clear`: cursor home, erase) starts a line too.
      this.atLineStart = ch === "\n" || (ch === "J" && out.endsWith(CLEAR_SCREEN));
    }
    this.write(out);
  }
  end(): void {
    if (!this.atLineStart) this.write("\n");
    this.atLineStart = true;
    this.typed = "";
  }

  /** Go on where a restored system's console was: in the middle of `name`'s line when what it
   *  printed last did not end one (the terminal shows that line already). */
  resume(name: string | null, history: Uint8Array): void {
    this.current = name;
    this.atLineStart = name === null || history.length === 0 || history[history.length - 1] === 10;
  }
}

/** Where --snapshot-at writes: at a count of instructions or a moment of virtual time (cycles). */
interface SnapshotPoint { insns?: number; clock?: number; file: string; text: string }

/** Take the `--snapshot-at WHEN FILE` pairs out of the arguments (the option has two values). */
function takeSnapshotPoints(args: string[]): { rest: string[]; points: Array<{ when: string; file: string }> } {
  const rest: string[] = [];
  const points: Array<{ when: string; file: string }> = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--") {
      for (const a of args.slice(i)) rest.push(a);
      break;
    }
    if (args[i] !== "--snapshot-at") {
      rest.push(args[i]);
      continue;
    }
    if (i + 2 >= args.length || args[i + 1].startsWith("--") || args[i + 2].startsWith("--")) {
      throw new UsageError("--snapshot-at needs WHEN and FILE: e.g. --snapshot-at 5e6 boot.snap or --snapshot-at 2s boot.snap");
    }
    points.push({ when: args[i + 1], file: args[i + 2] });
    i += 2;
  }
  return { rest, points };
}

/** A --snapshot-at WHEN: a count of instructions, or virtual time with a unit. */
function parseSnapshotPoint(when: string, file: string, cyclesPerTick: number): SnapshotPoint {
  if (/^[\d_.e]+$/i.test(when)) return { insns: parseCount("snapshot-at", when), file, text: `${when} instructions` };
  const cycles = parseDurationValue(when, cyclesPerTick);
  if (cycles === null || cycles <= 0) {
    throw new UsageError(`--snapshot-at ${when}: expected a count of instructions (5000000, 5e6) or virtual time (2s, 150ms, 300us, 1000000cycles)`);
  }
  return { clock: cycles, file, text: `virtual time ${when}` };
}

/** Write hv's snapshot to `file` (through a temporary file: a reader never sees half of one). */
async function writeSnapshot(hv: Hypervisor, file: string, io: CliIO): Promise<void> {
  const bytes = await hv.snapshot();
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new UsageError(`cannot write the snapshot to ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  const s = hv.stats();
  io.stderr(`wasmvisor: snapshot written to ${file} (${bytes.length} bytes; ${s.instructions} instructions, virtual time ${formatDuration(s.cycles, hv.config.cyclesPerTick)})\n`);
}

/** --fast-boot: the file its snapshot is kept in, and the system restored from it (null: boot,
 *  and keep one at the prompt). */
interface FastBootStart { file: string; hv: Hypervisor | null }

/** --fast-boot DIR (src/node/fast-boot.ts): the system from its kept snapshot if one matches, or
 *  where to keep one; null when this system cannot be fast-booted (said on stderr). */
async function startFastBoot(sys: SystemFile, p: Parsed, snapshotPoints: boolean, options: { core: CoreKind; wasmModule?: WebAssembly.Module; jit?: boolean; jitHot?: number; addFiles?: Record<string, GuestFile[]> }, io: CliIO): Promise<FastBootStart | null> {
  const dir = p.options.get("fast-boot");
  if (typeof dir !== "string") return null;
  if (typeof p.options.get("console") !== "string") throw new UsageError("--fast-boot needs --console NAME: the snapshot is taken at that partition's prompt");
  for (const o of ["gdb", "migrate-to"]) {
    if (p.options.has(o)) throw new UsageError(`--fast-boot and --${o} do not go together (the system would not start as booted)`);
  }
  if (snapshotPoints) throw new UsageError("--fast-boot and --snapshot-at do not go together (the instructions counted are not the boot's)");
  const refusal = fastBootRefusal(sys);
  if (refusal) {
    io.stderr(`wasmvisor: --fast-boot: booting: ${refusal}\n`);
    return null;
  }
  const paging = (p.options.get("paging") as PagingMode | undefined) ?? "shadow";
  const file = fastBootFile(dir, sys, fastBootKey(sys, { paging, ipcFastPath: !p.options.has("ipc-slow-path"), addFiles: options.addFiles }));
  const bytes = readFastBoot(file);
  if (!bytes) {
    io.stderr(`wasmvisor: fast boot: booting ${sys.config.name}; its prompt is kept in ${dir} for the next start\n`);
    return { file, hv: null };
  }
  const t0 = performance.now();
  const opened: BlockStorage[] = [];
  try {
    const hv = await Hypervisor.restore(bytes, {
      ...options, paging, wallClock: p.options.has("wall-clock"), file: sys.file, loadImage: sys.loadImage, openSemihostDir: sys.openSemihostDir,
      // The disks are the files again (what the guest writes stays, as after a boot); the key
      // held their contents, checked once more now that they are open.
      restoreDisk: (disk, contents) => {
        const d = sys.openDisk(disk);
        opened.push(d);
        const now = new Uint8Array(d.size);
        d.read(0, now);
        if (now.length !== contents.length || Buffer.compare(now, contents) !== 0) throw new SnapshotError(`${disk.file} changed since the snapshot was kept`);
        return d;
      },
    });
    io.stderr(`wasmvisor: fast boot: ${sys.config.name} restored at its prompt in ${(performance.now() - t0).toFixed(0)} ms from ${file}\n`);
    return { file, hv };
  } catch (err) {
    if (!(err instanceof SnapshotError)) throw err;
    for (const d of opened) d.close?.();
    io.stderr(`wasmvisor: fast boot: the kept snapshot cannot be used (${err.message}): booting ${sys.config.name}\n`);
    rmSync(file, { force: true });
    return { file, hv: null };
  }
}

/** Keep a snapshot of `hv` in `file` once partition `name` shows a shell prompt ("# " or "$ "
 *  at the start of a line), unless console input was given or a disk written before. */
function keepAtPrompt(hv: Hypervisor, name: string, file: string, inputGiven: () => boolean, say: (text: string) => void): { written: Promise<void> } {
  let tail = "";
  let done = false;
  const kept = { written: Promise.resolve() };
  hv.on("output", (e) => {
    if (done || e.partition !== name) return;
    tail = (tail + Buffer.from(e.data).toString("latin1")).slice(-16);
    if (!/\n[#$] $/.test(tail)) return;
    done = true;
    // (between two steps of the run, as Ctrl-A s; nothing typed can come in between)
    setImmediate(() => {
      if (inputGiven() || hv.stats().partitions.some((ps) => (ps.disk?.writes ?? 0) > 0)) return;
      kept.written = hv.snapshot().then((bytes) => writeFastBoot(file, bytes))
        .catch((err) => say(`wasmvisor: fast boot: the snapshot at the prompt was not kept: ${err instanceof Error ? err.message : String(err)}\n`));
    });
  });
  return kept;
}

/** HOST:PORT or PORT (host 127.0.0.1) of --migrate-to / --listen. */
function parseEndpoint(option: string, text: string): { host: string; port: number } {
  const m = /^(?:(.+):)?(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--${option} ${text}: expected [HOST:]PORT, e.g. 127.0.0.1:7000`);
  return { host: m[1] ?? "127.0.0.1", port };
}

/** --add-file HOST:GUEST...: the files, for the --console partition or the only one with an
 *  initrd (read now, before anything starts). */
function addFilesOption(specs: string[], config: SystemConfig, consoleName: string | boolean | undefined): Record<string, GuestFile[]> | undefined {
  if (specs.length === 0) return undefined;
  const withInitrd = config.partitions.filter((x) => x.initrd !== undefined).map((x) => x.name);
  const target = typeof consoleName === "string" ? consoleName : withInitrd.length === 1 ? withInitrd[0] : null;
  if (target === null) {
    throw new UsageError(`--add-file: which partition gets the files? ${withInitrd.length === 0 ? "No partition has an initrd" : `Add --console NAME (those with an initrd: ${withInitrd.join(", ")})`}`);
  }
  return {
    [target]: specs.map((spec) => {
      const at = spec.lastIndexOf(":/");
      if (at <= 0) throw new UsageError(`--add-file ${spec}: expected HOST:GUEST, GUEST an absolute path (e.g. notes.txt:/root/notes.txt)`);
      const host = spec.slice(0, at);
      const path = spec.slice(at + 1);
      const problem = guestPathProblem(path);
      if (problem) throw new UsageError(`--add-file ${spec}: the guest path ${problem}`);
      // (a FIFO, directory or device is refused unread; a file over the limit before it is read)
      const data = readRegularFile(host, MAX_GUEST_FILE_BYTES, `the files added at boot hold at most ${MAX_GUEST_FILE_BYTES} bytes in all`);
      // (the owner's execute bit carries over: a program added runs)
      return { path, data, mode: (statSync(host).mode & 0o100) !== 0 ? 0o755 : 0o644 };
    }),
  };
}

async function runSystem(args: string[], io: CliIO, mode: "run" | "restore" | "migrate" = "run"): Promise<number> {
  const restoring = mode !== "run";
  const taken = takeSnapshotPoints(args);
  args = taken.rest;
  const p = parseArgs(args, mode === "migrate" ? MIGRATE_OPTIONS : RUN_OPTIONS);
  if (mode === "migrate") {
    if (p.positional.length !== 0) throw new UsageError(`migrate takes no file (the system comes from the network), got ${p.positional.join(" ")}`);
    if (!p.options.has("listen")) throw new UsageError("migrate needs --listen [HOST:]PORT");
  } else if (p.positional.length !== 1) {
    if (restoring) throw new UsageError(p.positional.length === 0 ? "restore needs a SNAPSHOT file" : `restore takes one snapshot file, got ${p.positional.length}`);
    throw new UsageError(p.positional.length === 0 ? "run needs a SYSTEM.json" : `run takes one system description, got ${p.positional.length}`);
  }
  const core = (p.options.get("core") as CoreKind | undefined) ?? "wasm";
  const wasmModule = core === "wasm" ? await loadWasmModule() : undefined;
  const jit = jitOf(p);
  const jitHot = jitHotOf(p);
  let hv: Hypervisor;
  let vnumaNodes: Nodes | null = null;
  let sys: ReturnType<typeof loadSystemFile> | null = null;
  let fastBoot: FastBootStart | null = null;
  if (restoring) {
    for (const o of ["ipc-slow-path", "gdb", "gdb-partition"]) {
      if (p.options.has(o)) throw new UsageError(`--${o}: restore goes on with the snapshot's system as it was (its IPC paths), and without a debugger`);
    }
    const options = { core, wasmModule, jit, jitHot, wallClock: p.options.has("wall-clock"), paging: p.options.get("paging") as PagingMode | undefined };
    if (mode === "migrate") {
      const where = parseEndpoint("listen", String(p.options.get("listen")));
      const server = await listenForMigration(where.host, where.port);
      try {
        io.stderr(`wasmvisor: waiting for a system on ${where.host}:${(server.address() as AddressInfo).port}\n`);
        const arrived = await migrateIn(server, { ...options, file: "the migrated system" });
        hv = arrived.hv;
        io.stderr(`wasmvisor: ${arrived.info.system} arrived (${arrived.rounds} pre-copy rounds, ${arrived.bytes} bytes) at ${arrived.info.instructions} instructions; it goes on here\n`);
      } finally {
        server.close();
      }
    } else {
      const file = p.positional[0];
      hv = await Hypervisor.restore(readRegularFile(file), { ...options, file });
    }
  } else {
    refuseProgram(p.positional[0]);
    sys = loadSystemFile(p.positional[0]);
    const addFiles = addFilesOption(p.repeated.get("add-file") ?? [], sys.config, p.options.get("console"));
    fastBoot = await startFastBoot(sys, p, taken.points.length > 0, { core, wasmModule, jit, jitHot, addFiles }, io);
    // vNUMA: a partition on several nodes gets its other nodes, processes started here.
    const spread = sys.config.partitions.find((x) => x.nodes > 1);
    if (spread && !fastBoot?.hv) vnumaNodes = await startNodes(spread.nodes - 1);
    hv = fastBoot?.hv ?? new Hypervisor(sys.config, {
      ...(vnumaNodes ? { vnuma: { links: vnumaNodes.links } } : {}),
      addFiles,
      core,
      jit,
      jitHot,
      paging: (p.options.get("paging") as PagingMode | undefined) ?? "shadow",
      wasmModule,
      loadImage: sys.loadImage,
      openDisk: sys.openDisk,
      openSemihostDir: sys.openSemihostDir,
      wallClock: p.options.has("wall-clock"),
      ipcFastPath: !p.options.has("ipc-slow-path"),
      file: sys.file,
    });
  }
  const config = hv.config;
  const points = taken.points.map((x) => parseSnapshotPoint(x.when, x.file, config.cyclesPerTick))
    .sort((a, b) => (a.insns ?? Infinity) - (b.insns ?? Infinity) || (a.clock ?? Infinity) - (b.clock ?? Infinity));
  const onExit = p.options.get("snapshot-on-exit");
  const migrateToOpt = p.options.get("migrate-to");
  const migrateTo = typeof migrateToOpt === "string" ? parseEndpoint("migrate-to", migrateToOpt) : null;
  const migrateAtOpt = p.options.get("migrate-at");
  if (typeof migrateAtOpt === "string" && !migrateTo) throw new UsageError("--migrate-at needs --migrate-to HOST:PORT");
  const migrateAt = typeof migrateAtOpt === "string" ? parseSnapshotPoint(migrateAtOpt, "", config.cyclesPerTick) : null;
  if (migrateTo && typeof onExit === "string") throw new UsageError("--snapshot-on-exit and --migrate-to: the system ends elsewhere; take the snapshot there");
  let migrated: MigrationReport | null = null;
  const maxOpt = p.options.get("max-insns");
  const maxInsns = typeof maxOpt === "string" ? parseCount("max-insns", maxOpt) : Infinity;
  const partitionNames = config.partitions.map((x) => x.name).join(", ");
  const inputFile = p.options.get("input");
  let consoleName = p.options.get("console");
  if (typeof consoleName === "string" && !config.partitions.some((x) => x.name === consoleName)) {
    throw new UsageError(`--console ${consoleName}: no such partition; the partitions are ${partitionNames}`);
  }
  if (typeof inputFile === "string" && typeof consoleName !== "string") {
    // --input goes to the --console partition; a system of one partition needs no --console.
    if (config.partitions.length !== 1) throw new UsageError(`--input ${inputFile}: which partition reads it? Add --console NAME (the partitions are ${partitionNames})`);
    consoleName = config.partitions[0].name;
  }
  const inputRead = typeof inputFile === "string" ? inputFromFile(inputFile) : null; // (before anything starts)
  const port = gdbPort(p);
  const gdbPartition = p.options.get("gdb-partition");
  if (typeof gdbPartition === "string") {
    if (port === null) throw new UsageError("--gdb-partition needs --gdb PORT");
    if (!config.partitions.some((x) => x.name === gdbPartition)) {
      throw new UsageError(`--gdb-partition ${gdbPartition}: no such partition; the partitions are ${partitionNames}`);
    }
  }
  const mux = new ConsoleMux((s) => io.stdout(s));
  if (restoring) mux.resume(hv.lastConsole, hv.lastConsole === null ? new Uint8Array(0) : hv.consoleHistory(hv.lastConsole));
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

  let inputGiven = false; // (console input given: no fast-boot snapshot is taken after it)
  let keptAtPrompt: { written: Promise<void> } | null = null;
  let interrupted = false; // (Ctrl-C on a raw terminal, when the keys are not the terminal's)
  let quit = false; // Ctrl-A x on the terminal (or the monitor's quit)
  let input: ConsoleInput | null = null;
  let unsubscribe = () => {};
  if (typeof consoleName === "string") {
    const started = performance.now();
    const keys = inputRead || io.input || !stdinIsTerminal() ? null : new TerminalKeys({
      say: (text) => {
        mux.end(); // (a partial line of a guest's, a prompt, is ended first)
        io.stderr(text);
      },
      quit: () => { quit = true; hv.stop(); },
      status: () => {
        const st = hv.stats();
        return `${config.partitions.length} partitions, ${st.instructions} instructions, virtual time ${formatDuration(st.cycles, config.cyclesPerTick)}, real time ${((performance.now() - started) / 1000).toFixed(1)} s; ${core} core, ${p.options.get("paging") ?? "shadow"} paging${p.options.has("wall-clock") ? ", wall-clock" : ""}${jitNote(hv.jitStats())}\n`;
      },
      partitions: () => hv.stats().partitions.map((ps, i) => {
        const halt = hv.halted[i];
        return `  ${ps.name}: ${config.partitions[i].mode} mode, ${ps.instructions} instructions, ${(ps.share * 100).toFixed(1)} % of the time; ${halt ? `stopped: ${halt.message}` : "running"}${ps.name === consoleName ? " (the console)" : ""}\n`;
      }).join(""),
      // A snapshot in the current directory, named after the system and the moment.
      snapshot: () => {
        const file = `${config.name}-${new Date().toISOString().replace(/[:.]/g, "-")}.wvsnap`;
        writeSnapshot(hv, file, { ...io, stderr: (t) => { mux.end(); io.stderr(t); } })
          .catch((err) => { mux.end(); io.stderr(`wasmvisor: ${err instanceof Error ? err.message : String(err)}\n`); });
      },
    });
    input = inputRead ?? io.input ?? stdinInput(() => { interrupted = true; hv.stop(); }, keys ? (bytes) => keys.feed(bytes) : undefined);
    if (keys) {
      io.stderr(TERMINAL_HINT);
      mux.redraw = consoleName; // (other partitions' lines never tear the line being typed)
    }
    if (fastBoot?.hv) {
      // The consoles as the boot left them (the last 64 KiB of each): the other partitions',
      // then the transcript of the --console one, ending with its prompt (after the terminal's
      // hint, as a boot shows it, and through the multiplexer, which then knows the prompt as
      // the line being typed).
      for (const name of [...config.partitions.map((x) => x.name).filter((x) => x !== consoleName), consoleName]) {
        const history = hv.consoleHistory(name);
        if (history.length > 0) mux.output(name, history);
      }
    }
    const cons = hv.console(consoleName);
    // In pieces: a console's write spreads its bytes into an argument list (see the fuzzing
    // notes in the README), which a file of megabytes would overflow.
    for (let off = 0; off < input.initial.length; off += INPUT_PIECE) cons.write(input.initial.subarray(off, off + INPUT_PIECE));
    if (input.initial.length > 0) inputGiven = true;
    unsubscribe = input.onData((bytes) => {
      inputGiven = true;
      for (let off = 0; off < bytes.length; off += INPUT_PIECE) cons.write(bytes.subarray(off, off + INPUT_PIECE));
    });
    if (fastBoot && !fastBoot.hv) keptAtPrompt = keepAtPrompt(hv, consoleName, fastBoot.file, () => inputGiven, (t) => { mux.end(); io.stderr(t); });
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
    if (port !== null && sys && !signals.caught && !interrupted && !quit) {
      const name = typeof gdbPartition === "string" ? gdbPartition : config.partitions[0].name;
      const debugInput: DebugInput = { open: () => input?.open ?? false, next: () => input!.next() };
      const image = relative(process.cwd(), resolve(dirname(sys.file), config.partitions[hv.partitionIndex(name)].image));
      await debugWithGdb(new PartitionTarget(hv, name, debugInput), port, image, io, signals.first);
    }
    const runTo = (limit: { maxInsns: number; maxClock?: number }) => hv.run({
      ...limit,
      outputBlocked: io.outputBlocked && (() => io.outputBlocked!()),
      inputOpen: () => input?.open ?? false,
      waitForInput: () => input!.next(),
    });
    result = signals.caught || interrupted || quit ? null : undefined;
    // The snapshots asked for on the way, in order: each run stops exactly at its point.
    for (const point of points) {
      if (result !== undefined) break;
      if (point.insns !== undefined && point.insns > maxInsns) break;
      const r = await runTo({ maxInsns: Math.min(maxInsns, point.insns ?? Infinity), maxClock: point.clock });
      const reached = r.reason === "limit" && (point.insns !== undefined ? hv.work() >= point.insns : hv.clock() >= point.clock!);
      if (!reached) {
        result = r;
        if (r.reason !== "stopped") io.stderr(`wasmvisor: no snapshot at ${point.text}: the run ended before (${r.reason})\n`);
        break;
      }
      await writeSnapshot(hv, point.file, io);
    }
    if (migrateTo && result === undefined) {
      // Live migration: run to its moment, then the system moves (it runs on during pre-copy).
      if (migrateAt) {
        const r = await runTo({ maxInsns: Math.min(maxInsns, migrateAt.insns ?? Infinity), maxClock: migrateAt.clock });
        const reached = r.reason === "limit" && (migrateAt.insns !== undefined ? hv.work() >= migrateAt.insns : hv.clock() >= migrateAt.clock!);
        if (!reached) {
          result = r;
          if (r.reason !== "stopped") io.stderr(`wasmvisor: no migration at ${migrateAt.text}: the run ended before (${r.reason})\n`);
        }
      }
      if (result === undefined) {
        // (a partial line stays as it is: the destination's console goes on in it)
        migrated = await migrateOut(hv, migrateTo.host, migrateTo.port, { maxInsns });
      }
    }
    if (result === undefined && !migrated) result = await runTo({ maxInsns });
    if (typeof onExit === "string" && result) await writeSnapshot(hv, onExit, io);
    await keptAtPrompt?.written; // (taken at the prompt already: only its writing may be left)
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
      await vnumaNodes?.close();
    }
  }
  if (migrated && migrateTo) {
    io.stderr(`wasmvisor: the system moved to ${migrateTo.host}:${migrateTo.port}: ${migrated.rounds} pre-copy rounds (${migrated.pagesPerRound.join(", ")} pages), ${migrated.finalPages} pages in the stop-and-copy, ${migrated.bytes} bytes, downtime ${migrated.downtimeMs.toFixed(1)} ms\n`);
    return 0;
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
    if (!signal && quit) hv.stopRemaining({ kind: "stopped", status: 0, message: "quit (Ctrl-A x)" });
    else hv.stopRemaining({ kind: "stopped", status: signal ? signalStatus(signal) : 130, message: signal ? `interrupted (${signal})` : "interrupted" });
  }
  const stats = hv.stats();
  let status = 0;
  for (const [i, part] of config.partitions.entries()) {
    const halt = hv.halted[i]!;
    if (halt.status !== 0 && status === 0) status = halt.status;
    if (!quiet) io.stderr(`wasmvisor: [${part.name}] ${halt.message}${halt.status !== 0 ? ` (status ${halt.status})` : ""}\n`);
  }
  if (p.options.has("stats") && !quiet) {
    const cpt = config.cyclesPerTick;
    io.stderr(`wasmvisor: ${stats.instructions} instructions in ${seconds.toFixed(3)} s (${(stats.instructions / seconds / 1e6).toFixed(1)} MIPS, ${core} core, ${p.options.get("paging") ?? "shadow"} paging${jitNote(hv.jitStats())}); virtual time ${formatDuration(stats.cycles, cpt)}; ${stats.worldSwitches} world switches\n`);
    for (const ps of stats.partitions) {
      io.stderr(`  [${ps.name}] ${ps.instructions} instructions, ${(ps.share * 100).toFixed(1)} % of the time; exits: ${ps.exits.mmio} MMIO, ${ps.exits.sbi} SBI, ${ps.exits.trapAndEmulate} trap-and-emulate, ${ps.exits.traps} guest traps; ${ps.paging.walks} walks, ${ps.paging.shadowFills} shadow fills, ${ps.paging.shadowHits} shadow hits\n`);
      if (ps.previrt) io.stderr(`  [${ps.name}] pre-virtualization: ${ps.previrt.sites} sites patched; ran ${ps.previrt.fast} times in the fast loop, ${ps.previrt.slow} times through trap-and-emulate\n`);
      const d = ps.disk;
      if (d) io.stderr(`  [${ps.name}] disk: ${d.reads} reads, ${d.writes} writes (${d.bytesWritten} bytes), ${d.flushes} flushes, ${d.errors} errors; guest sees a ${d.cache} cache; ${d.hostSyncs} host fdatasyncs\n`);
      if (ps.vnuma) io.stderr(`  [${ps.name}] ${vnumaLine(ps.vnuma, seconds)}\n`);
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

/** The shared memory's figures of a vNUMA run (run-elf and run --stats). */
function vnumaLine(v: VnumaStats, seconds: number): string {
  return `vNUMA: ${v.dsm.faults} page faults served (${v.dsm.remoteFaults} needed another node; ${(v.dsm.remoteFaults / seconds).toFixed(0)}/s), ` +
    `${v.dsm.pagesMoved} pages moved; messages: ${Object.entries(v.dsm.messages).map(([k, n]) => `${k} ${n}`).join(", ")}; ` +
    `${v.fences} revocations waited for harts (${v.fenceMs.toFixed(1)} ms); ${v.placed} pages started at their own node`;
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
