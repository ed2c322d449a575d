// RISC-V semihosting (src/devices/semihosting.ts, assembly/kernel/semihost.ts): the semihost
// guest on both cores (output, exit status, instruction count, the files it leaves), compared
// with QEMU 7.2 (`-semihosting-config enable=on,target=native`) where QEMU does the same, the
// sequence without semihosting (a breakpoint), bounded work for long strings, the neighbours'
// fetch rules, the system description and the CLI.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CORES, guestElf, guestPath, makeMachine } from "./support/harness.ts";
import { cli } from "./support/cli.ts";
import { Asm, I, li } from "./support/rv-asm.ts";
import { semihostDirectory } from "../src/node/semihost-dir.ts";
import { Hypervisor } from "../src/api/hypervisor.ts";
import { loadWasmModule } from "../src/node/core-file.ts";
import { validateSystem, ConfigError } from "../src/config/system.ts";
import type { CoreKind } from "../src/core/core.ts";
import type { Machine } from "../src/machine/machine.ts";
import type { ElfImage } from "../src/loader/elf.ts";
import type { SemihostingOptions } from "../src/vmm/board.ts";

/** A fresh directory tree: root/dir (the semihosting directory, with hello.txt and a symlink
 *  "out" to root/outside, which holds secret.txt). */
function semihostTree(): { root: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), "wasmvisor-semihost-"));
  const dir = join(root, "dir");
  mkdirSync(dir);
  mkdirSync(join(root, "outside"));
  writeFileSync(join(root, "outside", "secret.txt"), "secret\n");
  writeFileSync(join(dir, "hello.txt"), "hello file\n");
  symlinkSync("../outside", join(dir, "out"));
  return { root, dir };
}

async function runMachine(m: Machine, chunks: Uint8Array[]): Promise<{ output: string; status: number | undefined; retired: number }> {
  while (!m.halted && m.work < 50_000_000) m.step(50_000_000 - m.work);
  return { output: Buffer.concat(chunks).toString("latin1"), status: m.halted?.status, retired: m.retired };
}

async function runSemihostGuest(core: CoreKind, semihosting: SemihostingOptions | undefined, input = "xy") {
  const chunks: Uint8Array[] = [];
  const m = await makeMachine(core, { semihosting, onOutput: (b) => chunks.push(b) });
  m.loadElf(guestElf("semihost"), "semihost.elf");
  m.pushInput(new TextEncoder().encode(input));
  const r = await runMachine(m, chunks);
  return { ...r, x: m.registers().x, pc: m.registers().pc, openAfter: m.board.semihosting?.openCount };
}

/** The semihost guest's output on wasmvisor (with hello.txt "hello file\n", input "xy"). */
const EXPECTED = `semihost: start
C

writec -> -559038737
writec outside RAM -> -559038737
features open -> 1
features flen -> 5
features read 8 -> 3
features bytes 0x00000053 0x00000048 0x00000046 0x00000042 0x00000003 
features seek 6 -> -1 errno 22
features write -> 1
features close -> 0
features open for writing -> -1 errno 13
tt open -> 1
through :tt
tt write -> 0
tt seek -> -1 errno 29
hello open -> 2
hello flen -> 11
hello read 64 -> 53
hello file
hello istty -> 0
hello write (read-only) -> 1
hello close -> 0
hello close again -> -1 errno 9
data open w+ -> 2
data write -> 0
data seek 6 -> 0
data read 11 -> 0
semihosting
data read at end -> 5
data flen -> 17
data close -> 0
rename -> 0
open old name -> -1 errno 2
errno -> 2
remove -> 0
remove again -> -1 errno 2
open, wrong name length -> -1 errno 22
open, mode 12 -> -1 errno 22
open, block outside RAM -> -1 errno 14
write, length 2^32-1 -> -1 errno 14
write, buffer past RAM -> 32
write, bad handle -> 1
read, bad handle -> 1
istty, bad handle -> -1 errno 9
flen, bad handle -> -1 errno 9
iserror(-5) -> 1
iserror(5) -> 0
tickfreq -> 1000000000
write0 outside RAM:  -> -559038737
tt close -> 0
wv: open ../escape -> -1 errno 13
wv: open /etc/passwd -> -1 errno 13
wv: open through symlink out/ -> -1 errno 13
wv: remove through symlink out/ -> -1 errno 13
wv: rename to ../x -> -1 errno 13
wv: write, 0 bytes outside RAM -> 0
wv: write, buffer across 2^32 -> 32
wv: read into 0 bytes at 2^32 - 1 -> 0
wv: append -> 0
wv: flen after append -> 16
wv: get_cmdline -> 0
wv: cmdline semihost.elf --verbose
wv: heapinfo -> 0
wv: heap 0x80003870 0x88000000 0x88000000 0x80003870 
wv: clock -> 0
wv: time -> 1767225600
wv: elapsed -> 0
wv: elapsed ns 0x000000000x00018830
wv: tmpnam -> 0
wv: tmpnam tmp2a
wv: system -> -1 errno 1
wasmvisor only
wv: istty(:tt) -> 1
wv: readc -> 120
wv: read :tt 4 -> 3
wv: got y
wv: readc at end of input -> -1 errno 5
unknown operation 0x19 -> -1 errno 38
opened 16 handles, then -> -1 errno 24
semihosting call from U-mode: mcause -> 3
semihost: done
`;
/** Instructions the semihost guest retires (a change means timing or semantics changed). */
const SEMIHOST_INSTRUCTIONS = 12_059;

describe("semihosting: the semihost guest", () => {
  it("runs the same on both cores: output, status 7, instructions, registers, the files it leaves", async () => {
    const runs = [];
    for (const core of CORES) {
      const { root, dir } = semihostTree();
      const r = await runSemihostGuest(core, { files: semihostDirectory(dir), cmdline: "semihost.elf --verbose" });
      expect(r.output, `output on ${core}`).toBe(EXPECTED);
      expect(r.status, `status on ${core}`).toBe(7);
      expect(r.retired, `instructions on ${core}`).toBe(SEMIHOST_INSTRUCTIONS);
      // What it left: hello.txt appended to, data.txt renamed and removed, nothing outside.
      expect(readFileSync(join(dir, "hello.txt"), "latin1")).toBe("hello file\nmore\n");
      expect(readdirSync(dir).sort()).toEqual(["hello.txt", "out"]);
      expect(readdirSync(root).sort()).toEqual(["dir", "outside"]);
      expect(readFileSync(join(root, "outside", "secret.txt"), "latin1")).toBe("secret\n");
      expect(r.openAfter, "host files closed when the guest exits").toBe(0);
      runs.push(r);
    }
    expect(runs[1].x).toEqual(runs[0].x);
    expect(runs[1].pc).toBe(runs[0].pc);
  }, 60_000);

  it("without semihosting the sequence is an ordinary breakpoint (mcause 3), on both cores", async () => {
    for (const core of CORES) {
      const r = await runSemihostGuest(core, undefined);
      expect(r.output).toMatch(/^unexpected trap: mcause=0x00000003 mepc=0x8[0-9a-f]{7} mtval=0x00000000\n$/);
      expect(r.status).toBe(99);
    }
  }, 60_000);
});

const QEMU = "qemu-system-riscv32";
const hasQemu = spawnSync(QEMU, ["--version"]).status === 0;

describe.skipIf(!hasQemu)("semihosting: wasmvisor and QEMU agree", () => {
  it("on every line the guest prints where QEMU does the same (all but the wv: lines)", async () => {
    const { dir } = semihostTree();
    // QEMU: the semihosting console on a chardev on stdout (WRITEC/WRITE0; ":tt" writes go to
    // its stdout directly), files relative to its working directory.
    const q = spawnSync(QEMU, [
      "-M", "virt", "-bios", "none", "-cpu", "rv32,f=true,d=true,h=false", "-display", "none", "-monitor", "none",
      "-serial", "none", "-chardev", "stdio,id=sh0", "-semihosting-config", "enable=on,target=native,chardev=sh0",
      "-kernel", guestPath("semihost"),
    ], { cwd: dir, input: "", encoding: "latin1", timeout: 60_000 });
    expect(q.error).toBeUndefined();
    const keep = (s: string) => s.split("\n").filter((l) => !l.startsWith("wv: ")).join("\n");
    const { dir: wdir } = semihostTree();
    const w = await runSemihostGuest("wasm", { files: semihostDirectory(wdir), cmdline: "semihost.elf" });
    // QEMU reports its version in marchid: the guest's "wasmvisor only" part does not run there.
    const common = keep(w.output).replace(/wasmvisor only\n(.*\n)*?(?=semihost: done)/, "");
    expect(keep(q.stdout)).toBe(common);
    expect(w.status).toBe(q.status);
  }, 120_000);
});

// ── Hand-written programs: bounded work, the neighbours' fetch, ends of pages ───────────────

const SEQ = [0x01f01013, 0x00100073, 0x40705013];
const RAM = 0x8000_0000;

/** An image of `code` at RAM_BASE and `data` at `dataAt`. */
function image(code: Uint8Array, data?: { at: number; bytes: Uint8Array }): ElfImage {
  const segments = [{ paddr: RAM, vaddr: RAM, data: code, memsz: code.length, flags: 5 }];
  if (data) segments.push({ paddr: data.at, vaddr: data.at, data: data.bytes, memsz: data.bytes.length, flags: 6 });
  return { entry: RAM, segments, symbols: new Map() } as ElfImage;
}

async function runImage(core: CoreKind, img: ElfImage, semihosting: SemihostingOptions | undefined = { files: null }) {
  const chunks: Uint8Array[] = [];
  const m = await makeMachine(core, { semihosting, onOutput: (b) => chunks.push(b) });
  m.loadImage(img);
  const r = await runMachine(m, chunks);
  return { ...r, m };
}

/** a0 = op, a1 = arg, the sequence at `at` (padding with NOPs up to it), then exit(a0 & 0xff
 *  through SYS_EXIT_EXTENDED's block at `block`). */
function program(calls: Array<{ op: number; arg: number }>, opts: { padTo?: number; block?: number } = {}): Asm {
  const a = new Asm(RAM);
  for (const c of calls) {
    a.words([...li(10, c.op), ...li(11, c.arg)]);
    while (opts.padTo !== undefined && a.pc < opts.padTo) a.word(I.addi(0, 0, 0));
    a.words(SEQ);
  }
  // exit: store {0x20026, a0} at block, SYS_EXIT_EXTENDED
  const block = opts.block ?? RAM + 0x8000;
  a.words([...li(12, block), ...li(13, 0x20026), I.sw(13, 12, 0), I.sw(10, 12, 4), ...li(10, 0x20), I.addi(11, 12, 0), ...SEQ]);
  return a;
}

describe("semihosting: bounded work and the sequence's rules", () => {
  it("a 200,000-byte SYS_WRITE0 goes out 64 KiB per exit, the same on both cores", async () => {
    const text = new Uint8Array(200_001).fill(0x41);
    text[200_000] = 0;
    const at = RAM + 0x10000;
    const retired: number[] = [];
    for (const core of CORES) {
      const r = await runImage(core, image(program([{ op: 0x04, arg: at }]).bytes(), { at, bytes: text }));
      expect(r.output.length).toBe(200_000);
      expect(r.output).toBe("A".repeat(200_000));
      expect(r.status).toBe(0xdeadbeef); // a0 after WRITE0 is 0xdeadbeef, as on QEMU (no defined result)
      retired.push(r.retired);
      // Three retries (each a cycle, no instruction) before the call completed.
      expect(r.m.work - r.m.retired).toBe(3);
    }
    expect(retired[1]).toBe(retired[0]);
  });

  // Where the EBREAK lies decides: its neighbours must be fetchable and the three words
  // [ebreak - 4, ebreak + 8) in one page. A probe jumps to the sequence (or to the EBREAK where
  // the SLLI would be outside memory) with a0 = SYS_WRITEC of "S"; after it the guest exits with
  // 0, and its breakpoint handler exits with mcause.
  const cases: Array<{ what: string; ebreak: number; status: number; output: string }> = [
    { what: "in the middle of a page: a call", ebreak: RAM + 0x800, status: 0, output: "S" },
    { what: "at the first word of RAM (the SLLI's place is not memory)", ebreak: RAM, status: 3, output: "" },
    { what: "at the end of a page (the SRAI on the next)", ebreak: RAM + 0xffc, status: 3, output: "" },
    { what: "at the start of a page (the SLLI on the one before)", ebreak: RAM + 0x1000, status: 3, output: "" },
    { what: "two bytes before the end of a page's last word (the SRAI straddles the pages)", ebreak: RAM + 0xffa, status: 3, output: "" },
  ];
  for (const c of cases) {
    it(`the sequence ${c.what}`, async () => {
      const mem = new Uint8Array(0x3000);
      const put = (addr: number, words: number[]) => words.forEach((w, k) => new DataView(mem.buffer).setUint32(addr - RAM + 4 * k, w >>> 0, true));
      const exitWith = (statusReg: number) => [...li(12, RAM + 0x2800), ...li(13, 0x20026), I.sw(13, 12, 0), I.sw(statusReg, 12, 4), ...li(10, 0x20), I.addi(11, 12, 0), ...SEQ];
      // The sequence, then exit 0 after it.
      if (c.ebreak > RAM) put(c.ebreak - 4, [SEQ[0]]);
      put(c.ebreak, [SEQ[1], SEQ[2], ...li(14, 0), ...exitWith(14)]);
      // Entry at +0x2000: mtvec = handler, a0 = WRITEC, a1 = "S", jump to the sequence.
      const handler = RAM + 0x2400;
      mem[0x2700] = 0x53;
      put(RAM + 0x2000, [...li(5, handler), I.csrrw(0, 0x305, 5), ...li(10, 3), ...li(11, RAM + 0x2700),
        ...li(6, c.ebreak > RAM ? c.ebreak - 4 : c.ebreak), I.jalr(0, 6, 0)]);
      put(handler, [I.csrrs(14, 0x342, 0), ...exitWith(14)]);
      const img: ElfImage = { entry: RAM + 0x2000, segments: [{ paddr: RAM, vaddr: RAM, data: mem, memsz: mem.length, flags: 7 }], symbols: new Map() } as ElfImage;
      const runs = [];
      for (const core of CORES) {
        const r = await runImage(core, img);
        expect(r.output, core).toBe(c.output);
        expect(r.status, core).toBe(c.status);
        runs.push(r.retired);
      }
      expect(runs[1]).toBe(runs[0]);
    });
  }
});

describe("semihosting: in a partition, and the system description", () => {
  for (const core of CORES) {
    it(`a machine-mode partition with "semihosting": { "dir" } runs the semihost guest as the bare machine does (${core})`, async () => {
      const { dir } = semihostTree();
      const hv = new Hypervisor({
        partitions: [{ name: "s", image: "semihost", ram: "128M", semihosting: { dir: "files", cmdline: "semihost.elf --verbose" } }],
      }, {
        core, wasmModule: await loadWasmModule(), loadImage: (i) => guestElf(i),
        openSemihostDir: (d) => { expect(d).toBe("files"); return semihostDirectory(dir); },
      });
      let out = "";
      hv.on("output", (e) => { out += Buffer.from(e.data).toString("latin1"); });
      hv.console("s").write("xy");
      const result = await hv.run();
      expect(out).toBe(EXPECTED);
      expect(result.status).toBe(7);
      expect(result.partitions[0].halt?.message).toBe("failed (semihosting SYS_EXIT_EXTENDED, status 7)");
      expect(hv.stats().instructions).toBe(SEMIHOST_INSTRUCTIONS);
      expect(readFileSync(join(dir, "hello.txt"), "latin1")).toBe("hello file\nmore\n");
    }, 60_000);
  }

  it("rejects a bad semihosting field with its path and what would be valid", () => {
    const problems = (semihosting: unknown) => {
      try {
        validateSystem({ partitions: [{ name: "p", image: "x.elf", semihosting }] }, "sys.json");
        return [];
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        return err.problems.map((p) => `${p.path}: ${p.message}`);
      }
    };
    expect(problems({ dir: "files" })).toEqual([]);
    expect(problems({})).toEqual([]);
    expect(problems(true)[0]).toMatch(/^partitions\[0\]\.semihosting: must be an object/);
    expect(problems({ dir: "" })[0]).toMatch(/^partitions\[0\]\.semihosting\.dir: /);
    expect(problems({ userspace: "yes" })).toEqual(["partitions[0].semihosting.userspace: must be true or false"]);
    expect(problems({ cmdline: 5 })[0]).toMatch(/^partitions\[0\]\.semihosting\.cmdline: must be a string/);
    expect(problems({ folder: "x" })[0]).toMatch(/^partitions\[0\]\.semihosting\.folder: unknown field; the fields here are dir, userspace, cmdline/);
  });

  it("names a semihosting directory that does not exist (wasmvisor run: status 2, nothing started)", async () => {
    const { root } = semihostTree();
    const file = join(root, "sys.json");
    writeFileSync(file, JSON.stringify({ partitions: [{ name: "s", image: guestPath("semihost"), semihosting: { dir: "nowhere" } }] }));
    const r = await cli(["run", file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("partitions[0].semihosting.dir: semihosting directory");
    expect(r.stderr).toContain("no such directory");
  });
});

describe("semihosting: wasmvisor run-elf --semihosting DIR", () => {
  it("serves the guest's calls with its files in DIR; the console is stdin/stdout", async () => {
    const { dir } = semihostTree();
    const r = await cli(["run-elf", guestPath("semihost"), "--semihosting", dir], new TextEncoder().encode("xy"));
    expect(r.stdout).toBe(EXPECTED.replace("semihost.elf --verbose", guestPath("semihost")));
    expect(r.status).toBe(7);
    expect(r.stderr).toBe("wasmvisor: guest failed (semihosting SYS_EXIT_EXTENDED, status 7)\n");
    expect(existsSync(join(dir, "renamed.txt"))).toBe(false);
  }, 60_000);

  it("refuses a DIR that is not a directory (status 2); without the flag the sequence is a breakpoint", async () => {
    const { root } = semihostTree();
    const missing = await cli(["run-elf", guestPath("semihost"), "--semihosting", join(root, "nowhere")]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("--semihosting");
    expect(missing.stderr).toContain("no such directory");
    const file = await cli(["run-elf", guestPath("semihost"), "--semihosting", join(root, "dir", "hello.txt")]);
    expect(file.status).toBe(2);
    expect(file.stderr).toContain("is not a directory");
    const off = await cli(["run-elf", guestPath("semihost")]);
    expect(off.status).toBe(99);
    expect(off.stdout).toMatch(/^unexpected trap: mcause=0x00000003/);
  }, 60_000);
});
