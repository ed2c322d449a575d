// Fuzz cases: each is a pure function of (kind, seed) — the files to create, the command line,
// the console input — so a seed printed by a failure reproduces it exactly. Cases start from
// the project's real inputs (corpus.ts) and mutate them (mutate.ts), or build inputs from
// their structure (random programs written as ELF files, random system descriptions).
//
//   elf        run-elf with a mutated guest ELF, a random program, or a crafted symbol table
//   linux      run with a supervisor partition booting a mutated Linux Image and initrd
//   system     run with a random or mutated system description of bare-metal guests
//   disk       run with a disk that is every kind of file: sizes, FIFOs, directories, links
//   argv       the command line itself: every option with good and bad values, bad files,
//              console input (in pieces or streamed), a stdout that closes early
//   validator  validateSystem on a random or mutated description, in-process, no files

import { rng, randomProgram, RANDOM_RAM_BYTES } from "../random-program.ts";
import { writeElf } from "../elf-writer.ts";
import { Asm, I, li } from "../rv-asm.ts";
import { loadCorpus, elfNamed, MACHINE_GUESTS, SUPERVISOR_GUESTS } from "./corpus.ts";
import { Rand, mutateElf, mutateLinuxImage, mutateInitrd, mutateJson, craftSymbols, junkValue } from "./mutate.ts";

export const KINDS = ["elf", "linux", "system", "disk", "argv", "validator"] as const;
export type FuzzKind = (typeof KINDS)[number];

/** A file the case needs, at `path` inside the case directory. */
export type FileSpec =
  | { path: string; kind: "bytes"; bytes: Uint8Array }
  | { path: string; kind: "dir" }
  | { path: string; kind: "fifo" }
  | { path: string; kind: "symlink"; target: string }
  /** A sparse file of `size` bytes (no disk space used). */
  | { path: string; kind: "sparse"; size: number };

export interface FuzzCase {
  kind: FuzzKind;
  seed: number;
  /** What the case does, in a few words (for reports). */
  what: string;
  files: FileSpec[];
  /** The command line; "{dir}" stands for the case directory. Empty for the validator. */
  argv: string[];
  /** Run the command on both cores (appending --core) and compare what they print. */
  bothCores: boolean;
  /** Console input: known before the run (a file on stdin) or streamed in pieces (a pipe). */
  stdin?: { bytes: Uint8Array; streamed: boolean };
  /** The reader of stdout goes away after this many bytes (like `| head -c N`). */
  closeStdoutAfter?: number;
  /** A status-2 message must name one of these (a file, an option, a field). */
  subjects: string[];
  /** The input is invalid by construction (why): the command must refuse it with status 2. */
  mustRefuse?: string;
  /** The validator kind: the document to validate. */
  doc?: unknown;
}

/** The PRNG stream of a case: the seed and the kind both pick it. */
function caseRand(kind: FuzzKind, seed: number): Rand {
  let h = 0x811c9dc5;
  for (const c of kind) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return new Rand(rng((h ^ Math.imul(seed, 0x9e3779b1)) >>> 0));
}

export function makeCase(kind: FuzzKind, seed: number): FuzzCase {
  const r = caseRand(kind, seed);
  const base = { kind, seed, files: [] as FileSpec[], bothCores: false, subjects: [] as string[] };
  switch (kind) {
    case "elf": return { ...base, ...elfCase(r) };
    case "linux": return { ...base, ...linuxCase(r) };
    case "system": return { ...base, ...systemCase(r) };
    case "disk": return { ...base, ...diskCase(r) };
    case "argv": return { ...base, ...argvCase(r) };
    case "validator": return { ...base, ...validatorCase(r) };
  }
}

type Part = Omit<FuzzCase, "kind" | "seed">;

// ── Files of every kind ──────────────────────────────────────────────────────────────────────

const SPECIAL_KINDS = ["missing", "dir", "fifo", "dangling", "loop", "devnull", "devzero", "empty", "huge", "trailing-slash"] as const;

/**
 * A file at `path` that is not what it should be: missing, a directory, a FIFO nobody writes,
 * a dangling or looping symbolic link, a device, empty, or a sparse file over 2 GiB. Returns
 * the files to create and the name to use for it.
 */
function specialFile(r: Rand, path: string): { files: FileSpec[]; name: string; what: string; huge: boolean } {
  const k = r.pick(SPECIAL_KINDS);
  return { ...specialFileOf(r, k, path), huge: k === "huge" };
}

function specialFileOf(r: Rand, k: (typeof SPECIAL_KINDS)[number], path: string): { files: FileSpec[]; name: string; what: string } {
  switch (k) {
    case "missing": return { files: [], name: path, what: "a missing file" };
    case "dir": return { files: [{ path, kind: "dir" }], name: path, what: "a directory" };
    case "fifo": return { files: [{ path, kind: "fifo" }], name: path, what: "a FIFO without a writer" };
    case "dangling": return { files: [{ path, kind: "symlink", target: "nowhere/at/all" }], name: path, what: "a dangling link" };
    case "loop": return { files: [{ path, kind: "symlink", target: path }], name: path, what: "a link to itself" };
    case "devnull": return { files: [{ path, kind: "symlink", target: "/dev/null" }], name: path, what: "/dev/null" };
    case "devzero": return { files: [{ path, kind: "symlink", target: "/dev/zero" }], name: path, what: "/dev/zero" };
    case "empty": return { files: [{ path, kind: "bytes", bytes: new Uint8Array(0) }], name: path, what: "an empty file" };
    case "huge": return { files: [{ path, kind: "sparse", size: r.pick([2 ** 31, 2 ** 31 + 512, 3 * 2 ** 30]) }], name: path, what: "a file over 2 GiB" };
    case "trailing-slash": return { files: [{ path, kind: "bytes", bytes: new Uint8Array(16) }], name: `${path}/`, what: "a file named with a trailing slash" };
  }
}

// ── Guests ───────────────────────────────────────────────────────────────────────────────────

/** A guest that prints "y\n" to the UART forever (for closed-stdout cases), counting down
 *  from `pause` between lines (fewer exits to the host per instruction). */
export function yesElf(pause = 0): Uint8Array {
  const a = new Asm(0x80000000);
  a.words(li(5, 0x10000000)).words(li(6, 0x79)).words(li(7, 0x0a));
  a.label("loop").word(0x00628023 /* sb t1,0(t0) */).word(0x00728023 /* sb t2,0(t0) */);
  if (pause > 0) a.words(li(28, pause)).label("pause").word(I.addi(28, 28, -1)).branch(1, 28, 0, "pause"); // bne t3, x0
  a.jal(0, "loop");
  return writeElf({ entry: 0x80000000, segments: [{ paddr: 0x80000000, data: a.bytes(), flags: 5 }] });
}

/**
 * A guest that stops at once with an exit code: through the test finisher ((code << 16) |
 * 0x3333) or HTIF (tohost = code << 1 | 1), codes at the edges of an exit status.
 */
export function exitCodeElf(r: Rand): { bytes: Uint8Array; code: number } {
  const code = r.pick([0, 1, 2, 124, 125, 126, 130, 141, 255, 256, 257, 512, 0x7fff, 0xffff]);
  const a = new Asm(0x80000000);
  const htif = r.chance(0.5);
  const tohost = 0x80001000;
  if (htif) a.words(li(5, tohost)).words(li(6, ((code << 1) | 1) >>> 0)).word(I.sw(6, 5, 0)).word(I.sw(0, 5, 4));
  else a.words(li(5, 0x100000)).words(li(6, code === 0 ? 0x5555 : ((code << 16) | 0x3333) >>> 0)).word(I.sw(6, 5, 0));
  a.label("spin").jal(0, "spin");
  const bytes = writeElf({
    entry: 0x80000000,
    segments: [{ paddr: 0x80000000, data: a.bytes(), flags: 5 }, { paddr: tohost, data: new Uint8Array(16), flags: 6 }],
    symbols: htif ? [["tohost", tohost], ["fromhost", tohost + 8]] : [],
  });
  return { bytes, code };
}

/** A random program (random-program.ts) as an ELF file, sometimes with HTIF symbols. */
function randomProgramElf(r: Rand): Uint8Array {
  const prog = randomProgram(r.u32(), r.pick([50, 300, 1500]));
  const symbols: Array<[string, number]> = [];
  if (r.chance(0.3)) symbols.push(["tohost", r.pick([0x80080000, 0x80080004, 0x80090000 + 8 * r.int(64), 0x70000000, 0x801ffff8])]);
  if (r.chance(0.2)) symbols.push(["fromhost", r.pick([0x80080008, 0x80080100, 0x10000000])]);
  return writeElf({ ...prog.image, symbols });
}

/** A guest ELF: a real one mutated, a random program, a crafted symbol table, or "yes". */
function guestElfBytes(r: Rand): { bytes: Uint8Array; what: string; ram: number } {
  const k = r.int(11);
  if (k === 10) {
    const e = exitCodeElf(r);
    return { bytes: e.bytes, what: `a guest exiting with code ${e.code}`, ram: 1 << 20 };
  }
  if (k < 5) {
    const g = r.pick(loadCorpus().elfs);
    const m = mutateElf(r, g.bytes);
    return { bytes: m.bytes, what: `${g.name}.elf: ${m.what}`, ram: 16 << 20 };
  }
  if (k < 8) return { bytes: randomProgramElf(r), what: "a random program", ram: RANDOM_RAM_BYTES };
  if (k < 9) return { bytes: craftSymbols(r, elfNamed(r.pick(["hello", "htif", "timer"])).bytes), what: "a crafted symbol table", ram: 16 << 20 };
  return { bytes: yesElf(), what: "a guest printing forever", ram: 1 << 20 };
}

const insns = (r: Rand) => String(r.pick([1, 1000, 20_000, 100_000, 300_000]));

// ── elf ──────────────────────────────────────────────────────────────────────────────────────

function elfCase(r: Rand): Part {
  const g = guestElfBytes(r);
  const argv = ["run-elf", "{dir}/guest.elf", "--max-insns", insns(r)];
  if (r.chance(0.4)) argv.push("--ram", r.pick(["4K", "64K", "1M", "2M", "2MiB", "16M", `${g.ram}`]));
  if (r.chance(0.1)) argv.splice(3, 1, "2000"), argv.push("--trace");
  const part: Part = {
    what: `run-elf: ${g.what}`, files: [{ path: "guest.elf", kind: "bytes", bytes: g.bytes }], argv, bothCores: true,
    subjects: ["guest.elf", "--ram", "--max-insns"],
  };
  if (r.chance(0.2)) part.stdin = { bytes: r.bytes(r.pick([1, 100, 70_000])), streamed: r.chance(0.5) };
  if (r.chance(0.15)) part.closeStdoutAfter = r.pick([0, 1, 100, 5000]);
  return part;
}

// ── linux ────────────────────────────────────────────────────────────────────────────────────

function linuxCase(r: Rand): Part {
  const linux = loadCorpus().linux;
  if (!linux) return { what: "no Linux build (guests/linux/build.sh)", files: [], argv: ["--version"], bothCores: false, subjects: [] };
  const files: FileSpec[] = [];
  const what: string[] = [];
  const partition: Record<string, unknown> = { name: "linux", mode: "supervisor", ram: r.pick(["2M", "4M", "8M", "16M", "32M", "32M", "64M"]) };
  let mustRefuse: string | undefined;
  const subjects = ["system.json"];
  // The Image: as built, mutated, or not a file at all.
  const k = r.int(10);
  if (k < 3) {
    partition.image = linux.imagePath;
  } else if (k < 9) {
    const m = mutateLinuxImage(r, linux.image);
    files.push({ path: "Image", kind: "bytes", bytes: m.bytes });
    partition.image = "Image";
    what.push(m.what);
    subjects.push("Image");
  } else {
    const s = specialFile(r, "Image");
    files.push(...s.files);
    partition.image = s.name;
    what.push(`Image is ${s.what}`);
    mustRefuse = `the Image is ${s.what}`;
    subjects.push("Image");
  }
  // The initrd.
  const i = r.int(10);
  if (i < 4) {
    partition.initrd = linux.initrdPath;
  } else if (i < 7) {
    const m = mutateInitrd(r, linux.initrd);
    files.push({ path: "initrd", kind: "bytes", bytes: m.bytes });
    partition.initrd = "initrd";
    what.push(m.what);
    subjects.push("initrd");
  } else if (i < 9) {
    const s = specialFile(r, "initrd");
    files.push(...s.files);
    partition.initrd = s.name;
    what.push(`initrd is ${s.what}`);
    if (s.what !== "an empty file") mustRefuse ??= `the initrd is ${s.what}`; // (an empty one is no initrd)
    subjects.push("initrd");
  }
  if (r.chance(0.4)) {
    partition.bootargs = r.pick(["console=ttyS0 quiet", "", "console=hvc0", "x".repeat(r.pick([100, 5000, 70_000, 200_000])), "init=/nonexistent", "mem=1M", "panic=1"]);
    what.push("bootargs");
  }
  if (r.chance(0.3)) partition.devices = r.pick([["uart", "clint", "plic", "finisher"], ["uart"], [], ["clint", "plic"], ["uart", "clint", "plic", "finisher", "virtio-console"]]);
  if (r.chance(0.2)) {
    files.push({ path: "disk.img", kind: "bytes", bytes: new Uint8Array(r.pick([512, 65536, 1 << 20])) });
    partition.disk = r.chance(0.7) ? "disk.img" : { file: "disk.img", mode: r.pick(["writethrough", "rapilog"]), buffer: r.pick(["4K", "64K", "1M"]) };
  }
  const doc = { name: "fuzz-linux", partitions: [partition] };
  if (r.chance(0.3)) {
    what.push(...mutateJson(r, doc, 1));
    mustRefuse = undefined; // (the mutation may have dropped the field)
  }
  files.push({ path: "system.json", kind: "bytes", bytes: new TextEncoder().encode(JSON.stringify(doc, null, 2)) });
  const part: Part = {
    what: `Linux: ${what.join(", ") || "as built"}`, files,
    argv: ["run", "{dir}/system.json", "--max-insns", String(r.pick([10_000, 300_000, 1_000_000, 3_000_000]))],
    bothCores: true, subjects, mustRefuse,
  };
  if (r.chance(0.2)) part.argv.push("--paging", "nested");
  if (r.chance(0.2)) {
    part.argv.push("--console", "linux");
    part.stdin = { bytes: r.bytes(r.pick([10, 1000, 200_000])), streamed: r.chance(0.5) };
  }
  return part;
}

// ── system ───────────────────────────────────────────────────────────────────────────────────

/** Disks are always the case's own copies (a guest writes to its disk): 1 MiB of zeros each. */
function ownDisks(doc: Record<string, unknown>, files: FileSpec[]): void {
  (doc.partitions as Array<Record<string, unknown>>).forEach((p, i) => {
    if (p.disk === undefined) return;
    const name = `disk${i}.img`;
    files.push({ path: name, kind: "bytes", bytes: new Uint8Array(1 << 20) });
    p.disk = typeof p.disk === "string" ? name : { ...(p.disk as object), file: name };
  });
}

const NAMES = ["a", "b", "rtos", "linux", "p1", "constructor", "toString", "x_y-z", "A".repeat(32)];

/** A mostly valid system description of bare-metal guests, built from its structure. */
export function randomSystem(r: Rand, image: () => string): Record<string, unknown> {
  const n = r.pick([1, 1, 2, 2, 3, 4, 8, 9]);
  const names = Array.from({ length: n }, (_, i) => (r.chance(0.9) ? `p${i}` : r.pick(NAMES)));
  const regions = Array.from({ length: r.pick([0, 0, 1, 2, 3, 30]) }, (_, i) => ({ name: `r${i}`, size: r.pick(["4K", "8K", "64K", "1M", 4096, 4096, "3K"]) }));
  const partitions = names.map((name) => {
    const supervisor = r.chance(0.2);
    const p: Record<string, unknown> = {
      name,
      image: supervisor ? elfNamed(r.pick(SUPERVISOR_GUESTS)).path : image(),
      ram: r.pick(["64K", "128K", "1M", "1M", "2M", "4M", "16M"]),
      priority: r.pick([0, 1, 5, 10, 255]),
    };
    if (supervisor) p.mode = "supervisor";
    if (r.chance(0.2)) p.htif = true; // (the ELF's tohost, if it has one, is served)
    if (r.chance(0.3)) {
      const [period, budgets] = r.pick<[number | string, Array<number | string>]>([[100, [10, 50, 100]], [1000, [100, "200us", 1000]], ["1ms", ["200us", 500, "1ms"]], ["10ms", ["1ms", "9ms"]]]);
      p.period = period;
      p.budget = r.chance(0.9) ? r.pick(budgets) : r.pick(["2ms", 0, "1s"]);
    }
    if (r.chance(0.2)) p.devices = r.pick([["uart"], ["uart", "clint"], ["uart", "clint", "plic", "finisher", "virtio-console"], []]);
    if (regions.length && r.chance(0.6)) {
      p.mappings = regions.filter(() => r.chance(0.7)).map((reg, j) => ({
        region: reg.name,
        address: r.chance(0.9) ? r.pick([`0x${(0x90000000 + j * 0x100000).toString(16)}`, 0x90000000 + j * 0x100000]) : r.pick(["0x90000000", "0x80000000", "0x2000000", "0x1000"]),
        perms: r.pick(["r", "rw", "rx", "rwx", undefined]),
      }));
    }
    return p;
  });
  const doc: Record<string, unknown> = { name: "fuzz", partitions };
  if (regions.length) doc.memoryRegions = regions;
  if (r.chance(0.2)) doc.cyclesPerTick = r.pick([1, 10, 100, 1000]);
  if (r.chance(0.2)) doc.quantum = r.pick(["100us", "1ms", 50]);
  if (r.chance(0.1)) doc.rtcEpoch = r.pick(["2026-01-01T00:00:00Z", 0, 1_700_000_000, "1999-12-31T23:59:59Z"]);
  // Channels from the first partition; the end that accepts protected calls has the higher
  // priority (and may be passive: it runs on its callers' time).
  const passive = new Set<string>();
  if (n > 1 && r.chance(0.4)) {
    doc.channels = Array.from({ length: r.pick([1, 2]) }, (_, c) => {
      const other = 1 + r.int(n - 1);
      const pp = r.chance(0.4);
      if (pp) {
        partitions[other].priority = Math.min(255, (partitions[0].priority as number) + 1);
        if (r.chance(0.4)) {
          partitions[other].passive = true;
          delete partitions[other].budget;
          delete partitions[other].period;
          passive.add(names[other]);
        }
      }
      return {
        name: `c${c}`,
        ends: [{ partition: names[0], id: c }, { partition: names[other], id: c, ...(pp ? { pp: true } : {}) }],
        ...(regions.length && r.chance(0.3) ? { region: regions[0].name } : {}),
      };
    });
  }
  if (r.chance(0.4)) {
    const windows = names.filter((name) => !passive.has(name) && r.chance(0.95)).map((name) => ({ length: r.pick(["100us", "1ms", 500]), partitions: [name] }));
    doc.schedule = { majorFrame: r.pick(["1ms", "2ms", "10ms", 3000]), windows };
  }
  return doc;
}

function systemCase(r: Rand): Part {
  const files: FileSpec[] = [];
  const what: string[] = [];
  let images = 0;
  const image = () => {
    // Real guests mostly; now and then a mutated one of this case's own.
    if (r.chance(0.8)) return elfNamed(r.pick(MACHINE_GUESTS)).path;
    const g = guestElfBytes(r);
    const name = `guest${images++}.elf`;
    files.push({ path: name, kind: "bytes", bytes: g.bytes });
    what.push(`${name}: ${g.what}`);
    return name;
  };
  let doc: Record<string, unknown>;
  const ex = loadCorpus().examples.filter((e) => !JSON.stringify(e.doc).includes("linux/build") || loadCorpus().linux);
  if (r.chance(0.3) && ex.length) {
    const e = r.pick(ex);
    doc = structuredClone(e.doc);
    what.push(`examples/${e.name}`);
    // Disks are always this case's own copies: a guest writes to its disk.
    ownDisks(doc, files);
  } else {
    doc = randomSystem(r, image);
    what.push("a random description");
  }
  what.push(...mutateJson(r, doc, r.pick([0, 0, 0, 1, 1, 2, 3])));
  files.push({ path: "system.json", kind: "bytes", bytes: new TextEncoder().encode(JSON.stringify(doc, null, 1)) });
  const argv = ["run", "{dir}/system.json", "--max-insns", insns(r)];
  if (r.chance(0.25)) argv.push("--paging", "nested");
  if (r.chance(0.15)) argv.push("--ipc-slow-path");
  const part: Part = { what: what.join(", "), files, argv, bothCores: true, subjects: ["system.json"] };
  const first = (doc.partitions as Array<{ name?: unknown }> | undefined)?.[0]?.name;
  if (typeof first === "string" && r.chance(0.2)) {
    argv.push("--console", first);
    part.stdin = { bytes: r.bytes(r.pick([1, 1000, 100_000])), streamed: r.chance(0.5) };
  }
  if (r.chance(0.1)) part.closeStdoutAfter = r.pick([0, 10, 1000]);
  return part;
}

// ── disk ─────────────────────────────────────────────────────────────────────────────────────

function diskCase(r: Rand): Part {
  const files: FileSpec[] = [];
  let name = "disk.img";
  let what: string;
  let mustRefuse: string | undefined;
  if (r.chance(0.5)) {
    const s = specialFile(r, name);
    files.push(...s.files);
    name = s.name;
    what = s.what;
    if (!s.huge) mustRefuse = `the disk is ${s.what}`; // (a sparse file of whole sectors is a disk)
  } else {
    const size = r.pick([0, 1, 511, 512, 513, 4096, 65536, 1 << 20, 3 * 2 ** 30]);
    files.push(size > 1 << 20 ? { path: name, kind: "sparse", size } : { path: name, kind: "bytes", bytes: new Uint8Array(size) });
    what = `a ${size}-byte disk`;
    if (size % 512 !== 0 || size === 0) mustRefuse = `the disk is ${size} bytes, not whole sectors`;
  }
  const disk: unknown = r.chance(0.4) ? name : {
    file: name,
    ...(r.chance(0.5) ? { readOnly: r.chance(0.5) } : {}),
    ...(r.chance(0.6) ? { mode: r.pick(["writethrough", "rapilog", "rapilog"]) } : {}),
    ...(r.chance(0.4) ? { buffer: r.pick(["4K", "16K", "1M", "16M", "3K", "512M"]) } : {}),
  };
  const supervisor = r.chance(0.3);
  const doc = {
    name: "fuzz-disk",
    partitions: [{
      name: "d", image: elfNamed(supervisor ? "sbi" : r.pick(["hello", "spin", "timer"])).path, ram: "1M", disk,
      ...(supervisor ? { mode: "supervisor" } : {}),
    }],
  };
  files.push({ path: "system.json", kind: "bytes", bytes: new TextEncoder().encode(JSON.stringify(doc)) });
  const part: Part = {
    what: `disk: ${what} as ${JSON.stringify(disk)}`, files,
    argv: ["run", "{dir}/system.json", "--max-insns", insns(r)], bothCores: true, subjects: ["disk.img", "disk"], mustRefuse,
  };
  if (r.chance(0.15)) part.closeStdoutAfter = r.pick([0, 10]);
  return part;
}

// ── argv ─────────────────────────────────────────────────────────────────────────────────────

/** Real guests that stop (or idle) soon, so that --wall-clock runs stay short. */
const SHORT_GUESTS = ["hello", "hello-asm", "exitcode", "htif", "spin", "echo", "timer", "traps", "idle", "trap-loop"];

function argvCase(r: Rand): Part {
  const files: FileSpec[] = [];
  const what: string[] = [];
  const subjects = new Set<string>();
  const command = r.pick(["run", "run", "run", "run-elf", "run-elf", "run-elf", "help", "--help", "-h", "--version", "bogus", "", "--core"]);
  const argv: string[] = command === "" && r.chance(0.5) ? [] : [command];
  let partitionNames: string[] = [];
  const positional: string[] = [];
  let wallClockSafe = true;
  let inputs = 0;
  let mustRefuse: string | undefined;
  if (command === "run-elf") {
    const k = r.int(6);
    if (k < 3) {
      positional.push(elfNamed(r.pick(SHORT_GUESTS)).path);
    } else if (k < 5) {
      const s = specialFile(r, "prog.elf");
      files.push(...s.files);
      positional.push(`{dir}/${s.name}`);
      subjects.add("prog.elf");
      what.push(`the program is ${s.what}`);
      mustRefuse = `the program is ${s.what}`;
    } else if (r.chance(0.5)) {
      positional.push(elfNamed("hello").path, elfNamed("spin").path);
    }
  } else if (command === "run") {
    const k = r.int(6);
    const ex = loadCorpus().examples.filter((e) => !JSON.stringify(e.doc).includes("linux/build") || loadCorpus().linux);
    if (k < 3 && ex.length) {
      const e = r.pick(ex);
      const doc = structuredClone(e.doc);
      ownDisks(doc, files);
      partitionNames = (doc.partitions as Array<{ name: string }>).map((p) => p.name);
      wallClockSafe = e.name === "two-guests.json";
      files.push({ path: "system.json", kind: "bytes", bytes: new TextEncoder().encode(JSON.stringify(doc)) });
      positional.push("{dir}/system.json");
      what.push(`examples/${e.name}`);
    } else if (k < 5) {
      const s = specialFile(r, "system.json");
      files.push(...s.files);
      positional.push(`{dir}/${s.name}`);
      what.push(`the description is ${s.what}`);
      mustRefuse = `the description is ${s.what}`;
    } else {
      files.push({ path: "system.json", kind: "bytes", bytes: r.pick([new TextEncoder().encode("{"), new Uint8Array([0xff, 0xfe, 0, 1]), new TextEncoder().encode("[]"), new TextEncoder().encode('{"partitions": 5}')]) });
      positional.push("{dir}/system.json");
      what.push("a description that is not one");
    }
    subjects.add("system.json");
  } else if (r.chance(0.3)) {
    positional.push(r.pick(["x", "-", "--", "run"]));
  }
  if (r.chance(0.1)) positional.push(r.pick(["extra", "-", "--"]));
  argv.push(...positional);
  // A message may name any of them (the real guests' paths included).
  for (const p of positional) if (p.length > 2 && !p.startsWith("{dir}")) subjects.add(p);

  // Options, good and bad, in random order; later ones override earlier ones.
  const options: Array<() => string[]> = [
    () => ["--core", r.pick(["wasm", "ts", "WASM", "", "js"])],
    () => ["--max-insns", r.pick(["1", "10000", "1e4", "1_000", "0x10", "0", "-5", "1.5", "1e999", "abc", "", " 7"])],
    () => ["--ram", r.pick(["64M", "1M", "4K", "2M", "3K", "0", "2G", "1T", "lots", "", "128MiB", "1.5M", "99999999999999999999"])],
    () => (r.chance(0.8) ? ["--trace"] : ["--trace=1"]),
    () => ["--stats"],
    () => ["--gdb", r.pick(["x", "70000", "-1", "", "1.5", "65536"])], // (a valid port waits for GDB: not fuzzed)
    () => ["--paging", r.pick(["shadow", "nested", "none"])],
    () => (wallClockSafe ? ["--wall-clock"] : ["--stats"]),
    () => ["--ipc-slow-path"],
    () => ["--console", r.pick([...partitionNames, "nobody", "", "__proto__"])],
    () => ["--gdb-partition", r.pick([...partitionNames, "nobody"])],
    () => ["--trace-out", r.pick(["{dir}/trace.json", "{dir}", "{dir}/no/such/dir/t.json", "{dir}/system.json"])],
    () => {
      const k = r.int(4);
      const name = `input${inputs++}`; // (--input may come twice)
      subjects.add(name);
      if (k === 0) {
        files.push({ path: name, kind: "bytes", bytes: r.bytes(r.pick([0, 10, 5000, 3_000_000])) });
        return ["--input", `{dir}/${name}`];
      }
      if (k === 1) {
        files.push({ path: name, kind: "sparse", size: r.pick([20 << 20, 65 << 20, 3 * 2 ** 30]) });
        return ["--input", `{dir}/${name}`];
      }
      const s = specialFile(r, name);
      files.push(...s.files);
      return [`--input={dir}/${s.name}`];
    },
    () => [r.pick(["--bogus", "--", "-x", "--core=", "--stats=yes", "--max-insns"])],
    () => (r.chance(0.2) ? ["--", ...Array<string>(200_000).fill("x")] : ["--ram", "9".repeat(400)]),
  ];
  const n = r.pick([0, 1, 2, 3, 5]);
  for (let i = 0; i < n; i++) for (const a of r.pick(options)()) argv.push(a); // (no spread: 200,000 arguments)
  // A message may name any of the arguments (an option, a stray word taken for a program).
  for (const a of argv) {
    if (a.startsWith("--")) subjects.add(a.split("=")[0]);
    if (a.length > 1 && !a.includes("{dir}")) subjects.add(a);
  }
  // (unknown command "…", or help's unknown topic: whatever stands first, a stray word too)
  if (argv[0] === "help" && argv.length > 1) subjects.add(`"${argv[1]}"`);
  else if (argv.length > 0 && argv[0] !== "run" && argv[0] !== "run-elf") subjects.add(`"${argv[0]}"`);
  // Bounded runs: a limit right after the command, which a later --max-insns may override.
  // (--trace writes a line per instruction: a smaller limit keeps the case short.)
  const limit = argv.some((a) => a.startsWith("--trace") && !a.startsWith("--trace-out")) ? "3000" : "300000";
  // (The command is argv[0]: with none, a positional "run" may have become the command.)
  if (argv[0] === "run" || argv[0] === "run-elf") {
    argv.splice(1, 0, "--max-insns", limit);
    subjects.add(argv[0]);
  }
  const part: Part = { what: what.join(", ") || "options", files, argv, bothCores: false, subjects: [...subjects], mustRefuse };
  if (r.chance(0.3)) part.stdin = { bytes: r.bytes(r.pick([0, 1, 100, 100_000, 2_000_000])), streamed: r.chance(0.5) };
  if (r.chance(0.2)) part.closeStdoutAfter = r.pick([0, 1, 50]);
  return part;
}

// ── validator ────────────────────────────────────────────────────────────────────────────────

function validatorCase(r: Rand): Part {
  let doc: unknown;
  const what: string[] = [];
  const k = r.int(10);
  if (k < 3) {
    const e = r.pick(loadCorpus().examples);
    doc = structuredClone(e.doc);
    what.push(`examples/${e.name}`);
  } else if (k < 9) {
    doc = randomSystem(r, () => "guest.elf");
    what.push("a random description");
  } else {
    doc = junkValue(r);
    what.push("not a description");
  }
  what.push(...mutateJson(r, doc, r.pick([0, 1, 1, 2, 3, 5, 8])));
  return { what: what.join(", "), files: [], argv: [], bothCores: false, subjects: [], doc };
}
