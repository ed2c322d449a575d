// The wasmvisor command line (Node). Commands:
//
//   wasmvisor run-elf PROGRAM.elf [--core wasm|ts] [--max-insns N] [--ram SIZE] [--trace]
//                                 [--input FILE] [--stats]
//
// Guest console output goes to stdout; wasmvisor's own messages (and --trace) go to stderr.
// The exit status is the guest's: test finisher 0x5555 → 0, (code << 16) | 0x3333 → code,
// HTIF tohost 1 → 0, other odd values → tohost >> 1; 124 when --max-insns stops the guest,
// 125 when it waits for an interrupt nothing can raise, 2 for usage and image errors.

import { readFileSync } from "node:fs";
import { Machine, DEFAULT_RAM_BYTES } from "../machine/machine.js";
import { ElfError } from "../loader/elf.js";
import type { CoreKind } from "../core/core.js";
import { loadWasmModule } from "../node/core-file.js";
import { stdinInput, type ConsoleInput } from "../node/console.js";
import { traceRun } from "../debug/trace.js";
import { parseArgs, parseCount, parseSize, UsageError } from "./args.js";

export const VERSION = "0.1.0";

export interface CliIO {
  stdout(data: Uint8Array | string): void;
  stderr(text: string): void;
  /** Console input; defaults to the process's stdin. */
  input?: ConsoleInput;
}

const nodeIO: CliIO = {
  stdout: (data) => process.stdout.write(data),
  stderr: (text) => process.stderr.write(text),
};

const USAGE = `usage: wasmvisor <command> [options]

commands:
  run-elf PROGRAM.elf   run a bare-metal RV32 ELF on the QEMU-virt-compatible machine
      --core wasm|ts    which build of the core runs it (default wasm)
      --max-insns N     stop after N instructions (status 124)
      --ram SIZE        guest RAM at 0x80000000, e.g. 64M (default 128M, at most 1G)
      --trace           print one line per instruction to stderr (pc, bits, disassembly, result)
      --input FILE      console input for the guest, read before it starts
      --stats           print instructions and MIPS to stderr at the end
  help                  show this text
  --version             print the version
`;

/** Statuses for errors of wasmvisor's own (bad arguments, unreadable or invalid images). */
export const STATUS_USAGE = 2;

export async function main(argv: string[], io: CliIO = nodeIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
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
        throw new UsageError(`unknown command "${command}" (commands: run-elf, help)`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`wasmvisor: ${err.message}\n${command === "run-elf" ? "" : USAGE}`);
      return STATUS_USAGE;
    }
    if (err instanceof ElfError || err instanceof RangeError) {
      io.stderr(`wasmvisor: ${err.message}\n`);
      return STATUS_USAGE;
    }
    throw err;
  }
}

/** Chunk of work between yields to the event loop when input is streamed. */
const CHUNK = 2_000_000;

async function runElf(args: string[], io: CliIO): Promise<number> {
  const p = parseArgs(args, {
    core: { kind: "value", choices: ["wasm", "ts"] },
    "max-insns": { kind: "value" },
    ram: { kind: "value" },
    trace: { kind: "flag" },
    input: { kind: "value" },
    stats: { kind: "flag" },
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
    image = readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  const machine = await Machine.create({
    core,
    ramBytes,
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
      bytes = readFileSync(inputFile);
    } catch (err) {
      throw new UsageError(`cannot read --input ${inputFile}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
    input = { initial: bytes, open: false, onData: () => () => {}, next: () => Promise.resolve(), close() {} };
  } else {
    input = io.input ?? stdinInput(() => { interrupted = true; });
  }
  machine.pushInput(input.initial);
  const unsubscribe = input.onData((bytes) => machine.pushInput(bytes));

  const t0 = performance.now();
  try {
    if (p.options.has("trace")) {
      traceRun(machine, maxInsns, (line) => io.stderr(`${line}\n`));
      if (!machine.halted && machine.work >= maxInsns) machine.stopAtLimit(maxInsns);
    } else {
      while (!machine.halted && !interrupted) {
        const left = maxInsns - machine.work;
        if (left <= 0) {
          machine.stopAtLimit(maxInsns);
          break;
        }
        machine.step(input.open ? Math.min(CHUNK, left) : left, input.open);
        if (machine.halted) break;
        if (machine.work >= maxInsns) continue;
        // Streamed input: wait for it when the guest idles, else let it in between chunks.
        if (input.open) await (machine.waiting ? input.next() : new Promise((r) => setImmediate(r)));
      }
    }
  } finally {
    unsubscribe();
    input.close();
  }
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
