// The real inputs the fuzzer starts from: the guest ELFs, the example system descriptions, and
// the Linux build's Image and initramfs (when guests/linux/build.sh has made them). Read once
// per process; nothing here is ever written to (cases copy what they change).

import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../harness.ts";

export interface Corpus {
  /** guests/bin/*.elf by name ("hello"), with their absolute paths. */
  elfs: Array<{ name: string; path: string; bytes: Uint8Array }>;
  /** examples/*.json, parsed, with image paths made absolute. */
  examples: Array<{ name: string; doc: Record<string, unknown> }>;
  linux: { image: Uint8Array; imagePath: string; initrd: Uint8Array; initrdPath: string } | null;
}

let corpus: Corpus | null = null;

/** Machine-mode guests that run alone (no partner, no input needed to stop). */
export const MACHINE_GUESTS = ["hello", "hello-asm", "timer", "spin", "exitcode", "htif", "traps", "csr", "rv32i", "rv32c",
  "interrupts", "ticks", "idle", "trap-loop", "echo", "uartirq", "periodic", "sv32", "shm", "yield", "rtos", "ipc-rx"];
/** Supervisor-mode bare-metal guests (they call the SBI). */
export const SUPERVISOR_GUESTS = ["sbi", "sv32s", "hostile"];

export function loadCorpus(): Corpus {
  if (corpus) return corpus;
  const bin = join(ROOT, "guests", "bin");
  const elfs = readdirSync(bin).filter((f) => f.endsWith(".elf")).sort().map((f) => ({
    name: f.slice(0, -4), path: join(bin, f), bytes: new Uint8Array(readFileSync(join(bin, f))),
  }));
  const exDir = join(ROOT, "examples");
  const examples = readdirSync(exDir).filter((f) => f.endsWith(".json")).sort().map((f) => {
    const doc = JSON.parse(readFileSync(join(exDir, f), "utf8")) as Record<string, unknown>;
    for (const p of (doc.partitions as Array<Record<string, unknown>>)) {
      for (const key of ["image", "initrd"]) if (typeof p[key] === "string") p[key] = join(exDir, p[key] as string);
    }
    return { name: f, doc };
  });
  const build = join(ROOT, "guests", "linux", "build");
  const imagePath = join(build, "Image");
  const initrdPath = join(build, "initramfs.cpio");
  const linux = existsSync(imagePath) && existsSync(initrdPath)
    ? { image: new Uint8Array(readFileSync(imagePath)), imagePath, initrd: new Uint8Array(readFileSync(initrdPath)), initrdPath }
    : null;
  corpus = { elfs, examples, linux };
  return corpus;
}

export function elfNamed(name: string): { name: string; path: string; bytes: Uint8Array } {
  const e = loadCorpus().elfs.find((x) => x.name === name);
  if (!e) throw new Error(`guests/bin/${name}.elf is missing (bash guests/build.sh builds it)`);
  return e;
}
