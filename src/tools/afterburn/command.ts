// `wasmvisor afterburn` (Node): the afterburner (filter.ts) as a command, three ways.
//
//   wasmvisor afterburn IN.s [-o OUT.s] [--mode machine|supervisor] [--site-bytes N]
//       filter one file (IN "-" or none: stdin; no -o: stdout); the report goes to stderr.
//   wasmvisor afterburn --install DIR [--as REAL_AS] [--log FILE] [--mode ...] [--site-bytes N]
//       write DIR/as, an assembler for `gcc -B DIR`: it afterburns each input and runs REAL_AS
//       (default riscv64-unknown-elf-as) with the same arguments.
//   wasmvisor afterburn --as-wrapper REAL_AS [--log FILE] [--mode ...] [--site-bytes N] -- ARGS...
//       what DIR/as runs.
//
// GCC hands `as` compiler output (`.s`) and already preprocessed `.S` sources the same way; with
// -pipe the input is "-" (stdin). The wrapper writes each afterburned input to a temporary file
// of the same base name and passes that instead.

import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { afterburn, formatReport, type AfterburnOptions } from "./filter.js";

export interface AfterburnIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

export class AfterburnUsage extends Error {}

export const AFTERBURN_USAGE = `usage: wasmvisor afterburn IN.s [-o OUT.s] [options]
       wasmvisor afterburn --install DIR [--as REAL_AS] [--log FILE] [options]

Pre-virtualization (docs/previrt.md): rewrite every sensitive RISC-V instruction (S- and M-level
CSR access, SRET, MRET, WFI, SFENCE.VMA) into a padded site listed in a .wvsites section, so a
hypervisor can patch it into a faster form. The binary still runs on bare hardware.

options:
  -o FILE               write the afterburned assembly here (default: stdout)
  --install DIR         create DIR/as, an assembler for \`gcc -B DIR\` that afterburns its inputs
  --as REAL_AS          the assembler DIR/as runs (default riscv64-unknown-elf-as)
  --log FILE            DIR/as appends each input's report line here (default: stderr)
  --mode MODE           machine (default): S- and M-level state is sensitive;
                        supervisor: M-level CSRs and MRET are left alone
  --site-bytes N        bytes per site, 4..64, a multiple of 4 (default 8: the instruction + a NOP)
`;

interface Parsed {
  options: AfterburnOptions;
  input?: string;
  output?: string;
  install?: string;
  realAs: string;
  log?: string;
  wrapperArgs?: string[];
}

function parse(argv: string[]): Parsed {
  const p: Parsed = { options: {}, realAs: "riscv64-unknown-elf-as" };
  let wrapper = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      if (i + 1 >= argv.length) throw new AfterburnUsage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--") {
      p.wrapperArgs = argv.slice(i + 1);
      break;
    }
    switch (a) {
      case "-o": p.output = value(); break;
      case "--install": p.install = value(); break;
      case "--as": p.realAs = value(); break;
      case "--as-wrapper": p.realAs = value(); wrapper = true; break;
      case "--log": p.log = value(); break;
      case "--mode": {
        const m = value();
        if (m !== "machine" && m !== "supervisor") throw new AfterburnUsage(`--mode is machine or supervisor (got "${m}")`);
        p.options.mode = m;
        break;
      }
      case "--site-bytes": {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 4 || n > 64 || n % 4 !== 0) throw new AfterburnUsage("--site-bytes is 4 to 64, a multiple of 4");
        p.options.siteBytes = n;
        break;
      }
      default:
        if (a.startsWith("-") && a !== "-") throw new AfterburnUsage(`unknown option "${a}"`);
        if (p.input !== undefined) throw new AfterburnUsage(`one input file at a time (got "${p.input}" and "${a}")`);
        p.input = a;
    }
  }
  if (wrapper && p.wrapperArgs === undefined) throw new AfterburnUsage("--as-wrapper needs -- and the assembler's arguments");
  if (!wrapper) p.wrapperArgs = undefined;
  return p;
}

/**
 * Copy the afterburner's own modules (this file, filter.js, sites.js and the layout constants
 * they use) into DIR/lib, keeping their relative paths, and return the entry DIR/as runs. DIR/as
 * thus keeps working while wasmvisor itself is rebuilt (a kernel build takes minutes), and
 * starts without loading the rest of wasmvisor.
 */
function installModules(dir: string): string {
  const here = dirname(fileURLToPath(import.meta.url)); // <root>/src/tools/afterburn
  const root = resolve(here, "../../..");
  const lib = join(dir, "lib");
  for (const rel of ["src/tools/afterburn/command.js", "src/tools/afterburn/filter.js", "src/tools/afterburn/sites.js", "assembly/layout.js"]) {
    mkdirSync(dirname(join(lib, rel)), { recursive: true });
    copyFileSync(join(root, rel), join(lib, rel));
  }
  writeFileSync(join(lib, "package.json"), '{ "type": "module" }\n');
  const entry = join(lib, "as.mjs");
  writeFileSync(entry, `// DIR/as's entry (wasmvisor afterburn --install).\n` +
    `import { afterburnCommand } from "./src/tools/afterburn/command.js";\n` +
    `process.exitCode = afterburnCommand(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });\n`);
  return entry;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Options of GNU as that take the next argument as their value. */
const AS_VALUE_OPTIONS = new Set(["-o", "-I", "--defsym", "--MD", "-MD", "-MF"]);

/** DIR/as: afterburn every input of this `as` command line, then run the real assembler. */
function asWrapper(p: Parsed, io: AfterburnIO): number {
  const args = [...(p.wrapperArgs ?? [])];
  const tmp = mkdtempSync(join(tmpdir(), "wv-afterburn-"));
  try {
    let inputs = 0;
    let endOfOptions = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (!endOfOptions && a === "--") {
        endOfOptions = true;
        continue;
      }
      if (!endOfOptions && AS_VALUE_OPTIONS.has(a)) {
        i++;
        continue;
      }
      if (!endOfOptions && a.startsWith("-") && a !== "-") continue;
      inputs++;
      const stdin = a === "-";
      const text = readFileSync(stdin ? 0 : a, "latin1");
      const name = stdin ? "stdin.s" : basename(a);
      const r = afterburn(text, p.options);
      const out = join(tmp, `${inputs}-${name}`);
      writeFileSync(out, r.text, "latin1");
      args[i] = out;
      const line = formatReport(stdin ? "<stdin>" : a, r.report);
      if (p.log) appendFileSync(p.log, line);
      else io.stderr(line);
    }
    if (inputs === 0) {
      // No input named: as reads stdin.
      const r = afterburn(readFileSync(0, "latin1"), p.options);
      const out = join(tmp, "stdin.s");
      writeFileSync(out, r.text, "latin1");
      args.push(out);
      const line = formatReport("<stdin>", r.report);
      if (p.log) appendFileSync(p.log, line);
      else io.stderr(line);
    }
    const run = spawnSync(p.realAs, args, { stdio: "inherit" });
    if (run.error) {
      io.stderr(`afterburn: cannot run ${p.realAs}: ${run.error.message}\n`);
      return 127;
    }
    return run.status ?? 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Check an afterburn command line without running it (the documentation's tests). */
export function checkAfterburnArgs(argv: string[]): void {
  parse(argv);
}

export function afterburnCommand(argv: string[], io: AfterburnIO): number {
  const p = parse(argv);
  if (p.wrapperArgs !== undefined) return asWrapper(p, io);
  if (p.install !== undefined) {
    const dir = resolve(p.install);
    mkdirSync(dir, { recursive: true });
    const extra = [
      ...(p.log ? ["--log", resolve(p.log)] : []),
      ...(p.options.mode ? ["--mode", p.options.mode] : []),
      ...(p.options.siteBytes ? ["--site-bytes", String(p.options.siteBytes)] : []),
    ];
    const entry = installModules(dir);
    const script = `#!/bin/sh\n# The afterburning assembler (wasmvisor afterburn --install): see docs/previrt.md.\n` +
      `exec node ${shellQuote(entry)} --as-wrapper ${shellQuote(p.realAs)} ${extra.map(shellQuote).join(" ")} -- "$@"\n`;
    writeFileSync(join(dir, "as"), script);
    chmodSync(join(dir, "as"), 0o755);
    io.stderr(`afterburn: installed ${join(dir, "as")} (runs ${p.realAs}); use: gcc -B ${dir} ...\n`);
    return 0;
  }
  const input = p.input === undefined || p.input === "-" ? 0 : p.input;
  const r = afterburn(readFileSync(input, "latin1"), p.options);
  if (p.output !== undefined) writeFileSync(p.output, r.text, "latin1");
  else io.stdout(r.text);
  io.stderr(formatReport(typeof input === "string" ? input : "<stdin>", r.report));
  return 0;
}
