// Bad input that used to escape validation (issue 11), each now refused before anything starts
// (status 2, a message naming the file or field and what would be valid), and the command line's
// own failure modes: a closed stdout (EPIPE) and large console input. test/fuzz.test.ts looks
// for more of the same at random.
import { describe, expect, it } from "vitest";
import { spawn, spawnSync, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync, symlinkSync, openSync, ftruncateSync, closeSync, existsSync, readFileSync, statSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "./support/cli.ts";
import { guestPath, ROOT } from "./support/harness.ts";
import { main, type CliIO } from "../src/cli/main.ts";
import { parseElf, ElfError } from "../src/loader/elf.ts";
import { validateSystem, ConfigError, MAX_BOOTARGS } from "../src/config/system.ts";
import { writeElf, EHDR } from "./support/elf-writer.ts";
import { yesElf } from "./support/fuzz/cases.ts";

const dir = mkdtempSync(join(tmpdir(), "wasmvisor-inputs-"));
const BIN = join(ROOT, "bin", "wasmvisor.mjs");
const path = (name: string) => join(dir, name);
const write = (name: string, data: string | Uint8Array) => { writeFileSync(path(name), data); return path(name); };
const sparse = (name: string, size: number) => {
  const fd = openSync(path(name), "w");
  ftruncateSync(fd, size);
  closeSync(fd);
  return path(name);
};
const fifo = (name: string) => { execFileSync("mkfifo", [path(name)]); return path(name); };
const system = (name: string, partition: object) => write(name, JSON.stringify({ partitions: [{ name: "p", image: guestPath("hello"), ram: "1M", ...partition }] }));

/** Run the installed command as a process (a FIFO must not hang it: the timeout says so). */
function wasmvisor(args: string[], options: { input?: string | Uint8Array; stdin?: number } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8", timeout: 30_000, input: options.input, stdio: options.stdin !== undefined ? [options.stdin, "pipe", "pipe"] : undefined,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, timedOut: r.error !== undefined };
}

describe("disks that are not regular files are refused (status 2, nothing starts)", () => {
  it("a FIFO, in every disk mode, without waiting for a writer", () => {
    const f = fifo("disk.fifo");
    for (const disk of [f, { file: f, readOnly: true }, { file: f, mode: "rapilog" }]) {
      const r = wasmvisor(["run", system("fifo.json", { disk })]);
      expect(r.timedOut, JSON.stringify(disk)).toBe(false);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/partitions\[0\]\.disk: cannot open the disk image .*disk\.fifo: it is a FIFO \(named pipe\), not a regular file; a disk is an image file/);
      expect(r.stderr).toMatch(/nothing was started/);
      expect(r.stdout).toBe("");
    }
  });
  it("a directory, read-only or not", async () => {
    mkdirSync(path("disk.d"));
    for (const disk of [path("disk.d"), { file: path("disk.d"), readOnly: true }]) {
      const r = await cli(["run", system("dir.json", { disk })]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/partitions\[0\]\.disk: cannot open the disk image .*disk\.d: (EISDIR \()?it is a directory, not a regular file/);
    }
  });
  const block = ["/dev/loop0", "/dev/vda", "/dev/sda", "/dev/nvme0n1"].find((d) => existsSync(d) && statSync(d).isBlockDevice());
  it.skipIf(!block)(`a block device (${block}): Node cannot size one`, async () => {
    const r = await cli(["run", system("block.json", { disk: { file: block, readOnly: true } })]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/partitions\[0\]\.disk: cannot open the disk image .*: (it is a block device, not a regular file|ENXIO)/);
  });
  // A file this process may not write: a read-only one (root may write those), or sysfs's.
  const unwritable = process.getuid?.() !== 0 ? write("ro.img", new Uint8Array(512)) : existsSync("/sys/kernel/notes") ? "/sys/kernel/notes" : null;
  if (unwritable?.endsWith("ro.img")) chmodSync(unwritable, 0o444);
  it.skipIf(!unwritable)("a file it may not write says so, and what to do", async () => {
    const r = await cli(["run", system("ro.json", { disk: unwritable })]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/partitions\[0\]\.disk: cannot open the disk image .*: EACCES \(permission denied\); a disk the guest may not write to needs "readOnly": true/);
  });
});

describe("images, initrds and descriptions: the real reason, and the limit when too large", () => {
  const big = sparse("big.elf", 3 * 2 ** 30);
  it("run-elf: a file over 2 GiB, a directory, a FIFO, a link loop", () => {
    symlinkSync("loop.elf", path("loop.elf"));
    const cases: Array<[string, RegExp]> = [
      [big, /cannot read .*big\.elf: it is 3221225472 bytes \(3 GiB\), too large: at most 2147483647 bytes \(2 GiB\) can be read/],
      [dir, /cannot read .*: it is a directory, not a regular file/],
      [fifo("prog.fifo"), /cannot read .*prog\.fifo: it is a FIFO \(named pipe\), not a regular file/],
      [path("loop.elf"), /cannot read .*loop\.elf: ELOOP \(too many levels of symbolic links\)/],
    ];
    for (const [file, message] of cases) {
      const r = wasmvisor(["run-elf", file]);
      expect(r.timedOut, file).toBe(false);
      expect(r.status, file).toBe(2);
      expect(r.stderr, file).toMatch(message);
    }
  });
  it("run: an image over 2 GiB, an initrd larger than RAM (refused before it is read), a directory", async () => {
    sparse("huge.initrd", 64 << 20);
    mkdirSync(path("image.d"));
    const desc = write("files.json", JSON.stringify({
      partitions: [
        { name: "a", image: "big.elf" },
        { name: "b", image: guestPath("sbi"), mode: "supervisor", ram: "8M", initrd: "huge.initrd" },
        { name: "c", image: "image.d" },
      ],
    }));
    const t0 = performance.now();
    const r = await cli(["run", desc]);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/partitions\[0\]\.image: cannot read big\.elf \(.*\): it is 3221225472 bytes \(3 GiB\), too large: at most 2147483647 bytes/);
    expect(r.stderr).toMatch(/partitions\[1\]\.initrd: huge\.initrd: initrd of 67108864 bytes does not fit in RAM between the kernel \(which ends at 0x[0-9a-f]+\) and the device tree at 0x807f0000: give the partition at least 65 MiB of RAM/);
    expect(r.stderr).toMatch(/partitions\[2\]\.image: cannot read image\.d \(.*\): it is a directory, not a regular file/);
    expect(r.stderr).not.toMatch(/does not exist/);
  });
  it("the description itself: a FIFO, a directory, a file over 16 MiB", () => {
    const cases: Array<[string, RegExp]> = [
      [fifo("system.fifo"), /system\.fifo: cannot read the file: it is a FIFO \(named pipe\), not a regular file/],
      [dir, /cannot read the file: (EISDIR \()?it is a directory/],
      [sparse("huge.json", 3 * 2 ** 30), /huge\.json: cannot read the file: it is 3221225472 bytes \(3 GiB\), too large: a system description is at most 16777216 bytes/],
    ];
    for (const [file, message] of cases) {
      const r = wasmvisor(["run", file]);
      expect(r.timedOut, file).toBe(false);
      expect(r.status, file).toBe(2);
      expect(r.stderr, file).toMatch(message);
    }
  });
});

describe("ELF loading is linear in the file's size", () => {
  /** hello.elf with a crafted symbol table: `strLen` bytes of one unterminated name, `nsyms`
   *  symbols each naming a different suffix of it (what made loading quadratic). */
  function crafted(strLen: number, nsyms: number): Uint8Array {
    const base = readFileSync(guestPath("hello"));
    const str = new Uint8Array(strLen).fill(0x41);
    str.set(new TextEncoder().encode("tohost\0"), strLen - 7); // the last name is tohost
    const strOff = base.length;
    const symOff = strOff + strLen;
    const shOff = symOff + nsyms * 16;
    const out = new Uint8Array(shOff + 3 * 40);
    out.set(base);
    out.set(str, strOff);
    const v = new DataView(out.buffer);
    for (let i = 0; i < nsyms; i++) {
      v.setUint32(symOff + i * 16, 1 + Math.floor((i * (strLen - 8)) / nsyms), true);
      v.setUint32(symOff + i * 16 + 4, 0x80001000, true);
    }
    v.setUint32(symOff + (nsyms - 1) * 16, strLen - 7, true);
    v.setUint32(EHDR.shoff, shOff, true);
    v.setUint16(EHDR.shnum, 3, true);
    v.setUint16(EHDR.shstrndx, 0, true);
    v.setUint32(shOff + 40 + 4, 3, true); // 1: SHT_STRTAB
    v.setUint32(shOff + 40 + 16, strOff, true);
    v.setUint32(shOff + 40 + 20, strLen, true);
    v.setUint32(shOff + 80 + 4, 2, true); // 2: SHT_SYMTAB, names in 1
    v.setUint32(shOff + 80 + 16, symOff, true);
    v.setUint32(shOff + 80 + 20, nsyms * 16, true);
    v.setUint32(shOff + 80 + 24, 1, true);
    v.setUint32(shOff + 80 + 36, 16, true);
    return out;
  }
  it("symbol tables of overlapping names (a 529 KB file took 51 s before) are refused at once, in 0.6 MB and 4 MB files", () => {
    for (const [strLen, nsyms] of [[262144, 16384], [2 << 20, 131072]]) {
      const elf = crafted(strLen, nsyms);
      const t0 = performance.now();
      expect(() => parseElf(elf, "crafted.elf"), `${elf.length} bytes`).toThrowError(
        new RegExp(`crafted\\.elf: the symbol table's names overlap far more than a linker shares them \\(over ${4 * strLen + 65536} bytes of names in a ${strLen}-byte string table\\)`));
      expect(performance.now() - t0, `${elf.length} bytes`).toBeLessThan(1000);
    }
  });
  it("a large table of ordinary names (100,000 symbols, 3 MB) loads whole in well under a second", () => {
    const symbols = Array.from({ length: 100_000 }, (_, i): [string, number] => [`function_number_${i}`, 0x80000000 + i * 4]);
    symbols.push(["tohost", 0x80000040], ["function_number_7", 0]); // (the first definition wins)
    const elf = writeElf({ entry: 0x80000000, segments: [{ paddr: 0x80000000, data: new Uint8Array(64) }], symbols });
    const t0 = performance.now();
    const image = parseElf(elf, "big.elf");
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(image.symbols.size).toBe(100_001);
    expect(image.symbols.get("function_number_7")).toBe(0x8000001c);
    expect(image.symbols.get("function_number_99999")).toBe(0x80000000 + 99_999 * 4);
    expect(image.symbols.get("tohost")).toBe(0x80000040);
  });
  it("refuses several symbol tables and overlapping segments (each would read or copy the file many times)", () => {
    // writeElf's sections are null, .symtab, .strtab, .shstrtab, at the end: add a copy of .symtab.
    const one = writeElf({ entry: 0x80000000, segments: [{ paddr: 0x80000000, data: new Uint8Array(64) }], symbols: [["tohost", 0x80000030]] });
    const two = new Uint8Array(one.length + 40);
    two.set(one);
    two.set(one.subarray(one.length - 3 * 40, one.length - 2 * 40), one.length);
    new DataView(two.buffer).setUint16(EHDR.shnum, 5, true);
    expect(() => parseElf(two, "two.elf")).toThrowError(/two\.elf: sections 1 and 4 are both symbol tables \(SHT_SYMTAB\): an ELF file has at most one/);
    const code = new Uint8Array(64);
    const overlapping = writeElf({ entry: 0x80000000, segments: [{ paddr: 0x80000000, data: code }, { paddr: 0x80000020, data: code }] });
    expect(() => parseElf(overlapping, "o.elf")).toThrowError(ElfError);
    expect(() => parseElf(overlapping, "o.elf")).toThrowError(/o\.elf: segments 0 \(0x80000000-0x8000003f\) and 1 \(0x80000020-0x8000005f\) overlap in memory/);
  });
  it("names that share their tail with another, as linkers store them, are read", () => {
    // writeElf stores each name apart: point "tohost" into the tail of "xtohost" instead.
    const elf = writeElf({ entry: 0x80000000, segments: [{ paddr: 0x80000000, data: new Uint8Array(64) }], symbols: [["xtohost", 0x80000030], ["tohost", 0x80000038]] });
    const v = new DataView(elf.buffer);
    const symtab = v.getUint32(EHDR.shoff, true) + 40;
    const symOff = v.getUint32(symtab + 16, true);
    v.setUint32(symOff + 2 * 16, v.getUint32(symOff + 16, true) + 1, true);
    expect([...parseElf(elf).symbols]).toEqual([["xtohost", 0x80000030], ["tohost", 0x80000038]]);
  });
});

describe("system descriptions: every problem as a path and a human message", () => {
  const problems = (doc: unknown) => {
    try {
      validateSystem(doc, "s.json");
      return [];
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return err.problems.map((p) => `${p.path}: ${p.message}`);
    }
  };
  const ok = () => ({ partitions: [{ name: "a", image: "a.elf", mode: "supervisor" }, { name: "b", image: "b.elf" }] });
  it("missing fields say missing (not \"undefined is not …\")", () => {
    const found = problems({
      memoryRegions: [{ name: "m" }],
      partitions: [{ name: "a", image: "a.elf", mappings: [{ perms: "r" }] }, { name: "b", image: "b.elf", mappings: [{ region: "m" }] }],
      schedule: { windows: [{ partitions: ["a", "b"] }] },
      channels: [{ name: "c", ends: [{ id: 0 }, { partition: "b", id: 0 }] }],
    });
    expect(found).toEqual(expect.arrayContaining([
      expect.stringMatching(/^memoryRegions\[0\]\.size: missing: use a multiple of 4 KiB/),
      expect.stringMatching(/^partitions\[0\]\.mappings\[0\]\.region: missing: name a memory region; declare it under memoryRegions/),
      expect.stringMatching(/^schedule\.majorFrame: missing: write microseconds/),
      expect.stringMatching(/^schedule\.windows\[0\]\.length: missing: write microseconds/),
      expect.stringMatching(/^channels\[0\]\.ends\[0\]\.partition: missing: name a partition; the partitions are a, b/),
    ]));
    expect(found.join("\n")).not.toMatch(/undefined|NaN/);
  });
  it("a huge value is quoted short", () => {
    const found = problems({ partitions: [{ name: "a", image: "a.elf", ram: "x".repeat(100_000), devices: [Array.from({ length: 5000 }, (_, i) => i)] }] });
    expect(found.length).toBe(2);
    for (const p of found) expect(p.length).toBeLessThan(200);
    expect(found[0]).toMatch(/^partitions\[0\]\.ram: "x{30,40}…" is not a valid RAM size/);
  });
  it("bootargs that would not fit the device tree, too many mappings, a NUL in a path", () => {
    const d = ok() as { partitions: Array<Record<string, unknown>>; memoryRegions?: unknown[] };
    d.partitions[0].bootargs = "x".repeat(MAX_BOOTARGS + 1);
    d.memoryRegions = Array.from({ length: 30 }, (_, i) => ({ name: `r${i}`, size: "4K" }));
    d.partitions[1].mappings = Array.from({ length: 30 }, (_, i) => ({ region: `r${i}`, address: 0x90000000 + i * 0x1000 }));
    d.partitions[1].disk = "a\0b";
    const found = problems(d);
    expect(found).toEqual([
      "partitions[0].bootargs: 4097 bytes: at most 4096 fit in the device tree (Linux itself reads the first 1023)",
      'partitions[1].disk: "a\\u0000b" contains a NUL character, which no file name can: give the path of a disk image',
      "partitions[1].mappings: 30 mappings are too many: with its RAM (up to 3 windows), 4 devices and the board's own (3), a partition can map at most 22 regions (32 memory windows in all)",
    ]);
  });
  it("a misplaced HTIF tohost or fromhost is the image's problem, found before the run (with \"htif\": true)", async () => {
    const elf = write("tohost.elf", writeElf({ entry: 0x80000000, segments: [{ paddr: 0x80000000, data: new Uint8Array(64), flags: 5 }], symbols: [["tohost", 0x80000034], ["fromhost", 0x90000000]] }));
    const r = await cli(["run", system("tohost.json", { image: elf, htif: true })]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/partitions\[0\]\.image: .*tohost\.elf: its symbol tohost \(0x80000034\) must be an 8-byte-aligned address in the partition's RAM/);
    expect(r.stderr).toMatch(/partitions\[0\]\.image: .*tohost\.elf: its symbol fromhost \(0x90000000\) must be an 8-byte-aligned address in the partition's RAM/);
    // Without HTIF the symbols are plain memory: the description is valid.
    const plain = await cli(["run", system("plain.json", { image: elf }), "--max-insns", "1000"]);
    expect(plain.status).not.toBe(2);
  });
});

/** The CLI in-process, its stdout "closing" (as EPIPE reports it: an event) after `after` bytes. */
async function cliClosing(args: string[], after: number, stream: "stdout" | "stderr" = "stdout") {
  let out = 0;
  let closed = false;
  const listeners = new Set<(s: "stdout" | "stderr") => void>();
  const close = () => {
    closed = true;
    setImmediate(() => { for (const l of listeners) l(stream); });
  };
  let writesAfterClose = 0;
  let stderr = "";
  const io: CliIO = {
    stdout: (d) => {
      if (closed && stream === "stdout") writesAfterClose++;
      out += d.length;
      if (!closed && stream === "stdout" && out >= after) close();
    },
    stderr: (t) => {
      stderr += t;
      if (!closed && stream === "stderr" && stderr.length >= after) close();
    },
    input: { initial: new Uint8Array(0), open: false, onData: () => () => {}, next: async () => {}, close() {} },
    onOutputClosed: (l) => { listeners.add(l); return () => listeners.delete(l); },
  };
  const status = await main(args, io);
  return { status, stderr, writesAfterClose };
}

describe("a closed stdout ends the run quietly (EPIPE, `| head`), status 141", () => {
  const yes = write("yes.elf", yesElf(1000));
  it("in-process: run-elf, --trace with stderr closed, run (both cores)", async () => {
    for (const core of ["wasm", "ts"]) {
      const a = await cliClosing(["run-elf", yes, "--core", core], 100);
      expect(a.status).toBe(141);
      expect(a.stderr).toBe("");
      const t = await cliClosing(["run-elf", yes, "--trace", "--core", core], 10_000, "stderr");
      expect(t.status).toBe(141);
      const b = await cliClosing(["run", system("yes.json", { image: yes }), "--core", core], 100);
      expect(b.status).toBe(141);
      expect(b.stderr).toBe("");
    }
  });
  /** Run the bin with stdout into a pipe that is closed after the first output. */
  function headed(args: string[]): Promise<{ status: number | null; stderr: string; ms: number }> {
    return new Promise((resolve) => {
      const t0 = performance.now();
      const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d) => { stderr += d; });
      child.stdout.once("data", () => child.stdout.destroy());
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.on("exit", (status) => {
        clearTimeout(timer);
        resolve({ status, stderr, ms: performance.now() - t0 });
      });
    });
  }
  it("as a process: no stack trace, status 141, a RapiLog disk closed on the way out", async () => {
    const a = await headed(["run-elf", yes]);
    expect(a.stderr).toBe("");
    expect(a.status).toBe(141);
    // A guest that prints without pause fills stdout's buffer: the run waits for it to drain
    // (back-pressure), and must not go on waiting once the reader has gone.
    const flood = await headed(["run", system("flood.json", { image: write("flood.elf", yesElf(0)) })]);
    expect(flood.stderr).toBe("");
    expect(flood.status).toBe(141);
    sparse("log.img", 1 << 20);
    const b = await headed(["run", system("yes-disk.json", { image: yes, disk: { file: path("log.img"), mode: "rapilog" } })]);
    expect(b.stderr).toBe("");
    expect(b.status).toBe(141); // (a writer thread left running would keep the process alive)
  });
});

describe("large console input", () => {
  const big = new Uint8Array(4 << 20).fill(0x61);
  it("4 MB given up front to a partition's console (a spread of it overflowed the stack)", async () => {
    const r = await cli(["run", system("echo.json", { image: guestPath("echo") }), "--console", "p", "--max-insns", "200000"], big);
    expect(r.stderr).not.toMatch(/Maximum call stack|RangeError/);
    expect(r.status).toBe(124);
    expect(r.stdout).toMatch(/^\[p\] echo ready\n/);
  });
  it("--input of 4 MB; more than 64 MiB is refused with the limit", async () => {
    const r = await cli(["run-elf", guestPath("echo"), "--input", write("big.txt", big), "--max-insns", "200000"]);
    expect(r.status).toBe(124);
    const huge = await cli(["run-elf", guestPath("echo"), "--input", sparse("huge.txt", 65 << 20)]);
    expect(huge.status).toBe(2);
    expect(huge.stderr).toMatch(/cannot read --input .*huge\.txt: it is 68157440 bytes \(65 MiB\), too large: console input read before the run is held in memory, at most 67108864 bytes \(64 MiB\)/);
  });
  it("a file over 64 MiB on stdin is refused; a directory as --input too", () => {
    const fd = openSync(sparse("stdin.bin", 65 << 20), "r");
    const r = wasmvisor(["run-elf", guestPath("echo")], { stdin: fd });
    closeSync(fd);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^wasmvisor: stdin: a file of 68157440 bytes \(65 MiB\), too large/);
    const d = wasmvisor(["run-elf", guestPath("echo"), "--input", dir]);
    expect(d.status).toBe(2);
    expect(d.stderr).toMatch(/cannot read --input .*: it is a directory, not a regular file/);
  });
});
