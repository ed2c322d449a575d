// Pre-virtualization (docs/previrt.md): the afterburner on assembly of every kind it meets
// (and what it must leave alone), the site table through a real assembler and linker, the
// loader's patching (and its refusals), and the afterburned RTOS: on the bare machine on both
// cores, under QEMU, and in a partition with patching on and off — the same output and the same
// instruction counts everywhere, with fewer trap-and-emulate exits when patched.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterburn, formatReport } from "../src/tools/afterburn/filter.ts";
import { siteEncoding, siteFromInfo, siteInfo, KIND_SFENCE, VCSR_OPCODE_FLIP } from "../src/tools/afterburn/sites.ts";
import { elfSiteTable, sidecarSiteTable, patchSites, unpatchView } from "../src/loader/previrt.ts";
import { parseElf, ElfError } from "../src/loader/elf.ts";
import { GuestMemory } from "../src/vmm/guest-memory.ts";
import { RAM_HOST_BASE } from "../assembly/layout.ts";
import { CORES, guestElf, guestPath, runGuest } from "./support/harness.ts";
import { COMBOS, observable, runSystem } from "./support/system.ts";
import { LinuxSession, linuxMissing, scratchDisk, AFTERBURNED_KERNEL, EXT2_MOUNTED } from "./support/linux.ts";
import { existsSync } from "node:fs";
import { cli } from "./support/cli.ts";
import { ROOT } from "./support/harness.ts";

/** The site-table entries a filtered text declares: [label, info] per `.word` line. */
function entries(text: string): Array<{ label: string; info: number }> {
  return [...text.matchAll(/\.word (\S+), 0x([0-9a-f]+)/g)].map((m) => ({ label: m[1], info: parseInt(m[2], 16) }));
}

/** The instruction a site's entry describes, as GAS would encode it. */
function described(text: string): number[] {
  return entries(text).map((e) => siteEncoding(siteFromInfo(e.info)));
}

describe("the afterburner on snippets", () => {
  it("turns each sensitive instruction into a fixed-size site: the original first, NOPs, no RVC, a table entry", () => {
    const r = afterburn("\tcsrr\ta5,sstatus\n");
    expect(r.text).toBe([
      "\t.option push", "\t.option norvc", ".Lwv0:", "\tcsrr\ta5,sstatus", "\tnop", "\t.option pop",
      "\t.pushsection .wvsites,\"R\",@progbits", "\t.balign 4", "\t.word .Lwv0, 0x84000f2", "\t.popsection", "",
    ].join("\n"));
    expect(described(r.text)).toEqual([0x100027f3]); // csrr a5, sstatus
    expect(r.report.sites).toEqual({ csrrs: 1 });
  });

  // [source, the encoding(s) its site(s) must describe] — encodings checked against GNU as.
  const SENSITIVE: Array<[string, number[]]> = [
    ["csrw 0x180, a0", [0x18051073]], // satp by number
    ["csrw satp, a0", [0x18051073]],
    ["csrs sstatus, a1", [0x1005a073]],
    ["csrc sie, t0", [0x1042b073]],
    ["csrwi sscratch, 0", [0x14005073]],
    ["csrsi sstatus, 2", [0x10016073]],
    ["csrci sstatus, 2", [0x10017073]],
    ["csrs sstatus, 2", [0x10016073]], // GAS's immediate alias
    ["csrrw tp, sscratch, tp", [0x14021273]],
    ["csrrs a0, mstatus, x0", [0x30002573]],
    ["csrrc a0, mie, a1", [0x3045b573]],
    ["csrrwi a0, mscratch, 5", [0x3402d573]],
    ["csrrsi zero, mstatus, 8", [0x30046073]],
    ["csrrci a0, mstatus, 8", [0x30047573]],
    ["csrr s0, mhartid", [0xf1402473]],
    ["csrr t0, minstret", [0xb02022f3]],
    ["sret", [0x10200073]],
    ["mret", [0x30200073]],
    ["wfi", [0x10500073]],
    ["sfence.vma", [0x12000073]],
    ["sfence.vma a0", [0x12050073]],
    ["sfence.vma a0, a1", [0x12b50073]],
    ["csrr a0, sstatus; csrw sepc, a1 # two on a line", [0x10002573, 0x14159073]],
  ];
  for (const [src, enc] of SENSITIVE) {
    it(`site: ${src}`, () => {
      const r = afterburn(`\t${src}\n`);
      expect(described(r.text).map((x) => x.toString(16))).toEqual(enc.map((x) => x.toString(16)));
      expect(r.report.unclassified).toEqual([]);
    });
  }

  it("leaves user CSRs and ordinary code alone, byte for byte", () => {
    const src = "f:\n\trdcycle a0\n\tcsrr a0, cycle\n\tcsrr a1, time\n\tfrcsr a2\n\tcsrr a3, fcsr\n\tcsrw fflags, a0\n\taddi a0, a0, 1 # sret in a comment\n\t.ascii \"wfi; csrw satp, a0\"\n\tret\n";
    const r = afterburn(src);
    expect(r.text).toBe(src);
    expect(r.report.userCsrs).toBe(4);
    expect(r.report.unclassified).toEqual([]);
  });

  it("supervisor mode leaves machine-level state alone", () => {
    const r = afterburn("\tcsrr a0, mstatus\n\tmret\n\tcsrr a0, sstatus\n", { mode: "supervisor" });
    expect(r.report.machineLeft).toBe(2);
    expect(described(r.text)).toEqual([0x10002573]);
  });

  it("keeps labels in front of a site, so branches to them still land on the original instruction", () => {
    const r = afterburn("1:\twfi\n\tj 1b\nloop: csrr a0, sip\n");
    expect(r.text).toMatch(/^1:\n\t\.option push\n\t\.option norvc\n\.Lwv0:\n\twfi\n/);
    expect(r.text).toMatch(/loop:\n\t\.option push\n\t\.option norvc\n\.Lwv1:\n\tcsrr a0, sip\n/);
    expect(r.text).toContain("\tj 1b\n");
  });

  it("sites in a macro body get a label unique per expansion (\\@); a macro-parameter operand is left alone and reported", () => {
    const r = afterburn("\t.macro SAVE reg\n\tcsrw sscratch, a0\n\tcsrr \\reg, sepc\n\t.endm\n\tSAVE a1\n");
    expect(r.text).toContain(".Lwv0_\\@:\n\tcsrw sscratch, a0\n");
    expect(r.text).toContain("\t.word .Lwv0_\\@, ");
    expect(r.report.macroSites).toBe(1);
    expect(r.report.unclassified).toEqual([{ line: 3, text: "csrr \\reg, sepc", why: "an operand is a macro parameter" }]);
  });

  it("leaves alone and reports: .rept bodies, alternative sections, nonzero subsections, .insn of SYSTEM, unknown CSRs", () => {
    const src = [
      "\t.rept 2", "\tcsrw sscratch, a0", "\t.endr",
      "\t.pushsection .alternative, \"a\"", "\tcsrw satp, a0", "\t.popsection",
      "\t.subsection 1", "\tsfence.vma", "\t.previous",
      "\t.insn i 0x73, 0, x0, x0, 0x102",
      "\t.insn 0x10500073",
      "\tcsrr a0, 0x1000",
      "\tcsrr a0, nosuchcsr",
      "\t.section .init.text, \"ax\"", "\tcsrr a0, sstatus",
    ].join("\n");
    const r = afterburn(src);
    expect(r.report.unclassified.map((u) => u.why)).toEqual([
      "inside .rept/.irp (labels would repeat)",
      "in section .alternative, which is not code (e.g. an alternative)",
      "in subsection 1 of .text (alternative replacement code)",
      ".insn of the SYSTEM opcode",
      ".insn of the SYSTEM opcode",
      'unknown CSR "0x1000"',
      'unknown CSR "nosuchcsr"',
    ]);
    // Only the last one, in a code section, is a site.
    expect(described(r.text)).toEqual([0x10002573]);
    expect(formatReport("x.s", r.report)).toMatch(/^afterburn: x\.s: 1 site \(csrrs 1\), 7 unclassified\n/);
  });

  it("tracks .pushsection / .popsection / .previous back to code", () => {
    const r = afterburn("\t.pushsection .data\n\t.word 1\n\t.popsection\n\twfi\n\t.section .rodata\n\t.text\n\tsret\n");
    expect(described(r.text)).toEqual([0x10500073, 0x10200073]);
  });

  it("sites of other sizes; bad sizes are refused", () => {
    const r = afterburn("\twfi\n", { siteBytes: 16 });
    expect(r.text.match(/\tnop\n/g)).toHaveLength(3);
    expect(siteFromInfo(entries(r.text)[0].info).length).toBe(16);
    expect(() => afterburn("", { siteBytes: 6 })).toThrow(RangeError);
  });

  it("site entries round-trip", () => {
    const s = { kind: KIND_SFENCE, rd: 0, rs1: 10, csr: 11, length: 8 };
    expect(siteFromInfo(siteInfo(s))).toEqual(s);
    expect(siteEncoding(s)).toBe(0x12b50073);
  });
});

const AS = "riscv64-unknown-elf-as";
const LD = "riscv64-unknown-elf-ld";
const hasToolchain = spawnSync(AS, ["--version"]).status === 0 && spawnSync(LD, ["--version"]).status === 0;

describe.skipIf(!hasToolchain)("the site table through GNU as and ld", () => {
  it("every entry of the linked ELF points at the instruction it describes, in compressed code and macros", () => {
    const dir = mkdtempSync(join(tmpdir(), "wv-previrt-"));
    try {
      const src = [
        "\t.option rvc", "\t.globl _start", "_start:", "\tc.addi a0, 1", "\tcsrr a5, sstatus", "\tc.nop",
        "\t.macro TRAPSAVE", "\tcsrrw tp, sscratch, tp", "\tcsrr t0, sepc", "\t.endm",
        "\tTRAPSAVE", "\tc.addi a0, 1", "\tTRAPSAVE",
        "1:\twfi", "\tbeqz a0, 1b", "\tcsrw 0x180, a0", "\tsfence.vma", "\tsret", "\tcsrr a0, time",
      ].join("\n") + "\n";
      const r = afterburn(src);
      writeFileSync(join(dir, "t.s"), r.text);
      const as = spawnSync(AS, ["-march=rv32imac_zicsr", "-mabi=ilp32", join(dir, "t.s"), "-o", join(dir, "t.o")], { encoding: "utf8" });
      expect(as.stderr).toBe("");
      const ld = spawnSync(LD, ["-melf32lriscv", "-Ttext=0x80000000", join(dir, "t.o"), "-o", join(dir, "t.elf")], { encoding: "utf8" });
      expect(ld.stderr).toBe("");
      const bytes = new Uint8Array(readFileSync(join(dir, "t.elf")));
      const image = parseElf(bytes, "t.elf");
      const table = elfSiteTable(bytes, image, "t.elf")!;
      expect(table.sites).toHaveLength(9); // 1 + 2 × 2 in the macro + wfi, csrw, sfence.vma, sret
      const text = image.segments[0];
      const word = (gpa: number) => new DataView(text.data.buffer, text.data.byteOffset + gpa - text.paddr, 8);
      for (const s of table.sites) {
        const site = siteFromInfo(s.info);
        expect(word(s.gpa).getUint32(0, true)).toBe(siteEncoding(site));
        expect(word(s.gpa).getUint32(4, true)).toBe(0x00000013); // a 4-byte NOP, even under rvc
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("wasmvisor afterburn", () => {
  it("filters a file: the afterburned text to -o, the report on stderr; usage errors are status 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wv-afterburn-cli-"));
    try {
      writeFileSync(join(dir, "in.s"), "\tcsrr a0, sstatus\n\tcsrr \\x, sepc\n");
      const r = await cli(["afterburn", join(dir, "in.s"), "-o", join(dir, "out.s"), "--mode", "supervisor"]);
      expect(r.status).toBe(0);
      expect(r.stderr).toBe(`afterburn: ${join(dir, "in.s")}: 1 site (csrrs 1), 1 unclassified\n` +
        `afterburn: ${join(dir, "in.s")}:2: left alone: csrr \\x, sepc (an operand is a macro parameter)\n`);
      expect(described(readFileSync(join(dir, "out.s"), "latin1"))).toEqual([0x10002573]);
      const bad = await cli(["afterburn", "--site-bytes", "6", "in.s"]);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/^wasmvisor: afterburn: --site-bytes is 4 to 64, a multiple of 4\n/);
      expect((await cli(["afterburn", join(dir, "missing.s")])).status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const GCC = "riscv64-unknown-elf-gcc";
  const hasGcc = spawnSync(GCC, ["--version"]).status === 0 && existsSync(join(ROOT, "dist/src/tools/afterburn/command.js"));
  it.skipIf(!hasGcc)("--install DIR: gcc -B DIR afterburns C (inline asm, also with -pipe) and preprocessed .S", () => {
    const dir = mkdtempSync(join(tmpdir(), "wv-afterburn-gcc-"));
    try {
      const inst = spawnSync("node", [join(ROOT, "bin/wasmvisor.mjs"), "afterburn", "--install", join(dir, "as"), "--log", join(dir, "log")], { encoding: "utf8" });
      expect(inst.status).toBe(0);
      writeFileSync(join(dir, "a.c"), "unsigned f(void) { unsigned v; __asm__ volatile(\"csrr %0, mstatus\" : \"=r\"(v)); __asm__ volatile(\"wfi\"); return v; }\n");
      writeFileSync(join(dir, "b.S"), "#define CSR_SCRATCH 0x340\n\t.globl _start\n_start:\n\tcsrw CSR_SCRATCH, a0\n\tcall f\n\tmret\n");
      const flags = ["-march=rv32imac_zicsr", "-mabi=ilp32", "-O2", "-nostdlib", "-Wl,-Ttext=0x80000000", "-B", `${join(dir, "as")}/`];
      const gcc = spawnSync(GCC, [...flags, "-pipe", join(dir, "a.c"), join(dir, "b.S"), "-o", join(dir, "t.elf")], { encoding: "utf8" });
      expect(gcc.stderr).toBe("");
      expect(gcc.status).toBe(0);
      const bytes = new Uint8Array(readFileSync(join(dir, "t.elf")));
      const table = elfSiteTable(bytes, parseElf(bytes, "t.elf"), "t.elf")!;
      expect(table.sites.map((x) => siteEncoding(siteFromInfo(x.info))).sort()).toEqual([0x30002573 >>> 0, 0x10500073, 0x34051073, 0x30200073].sort());
      expect(readFileSync(join(dir, "log"), "utf8")).toMatch(/<stdin>: 2 sites \(csrrs 1, wfi 1\)[^\n]*\n[^\n]*: 2 sites \(csrrw 1, mret 1\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the loader's patching", () => {
  function memoryWith(words: number[]): { memory: GuestMemory; ram: Uint8Array } {
    const buf = new ArrayBuffer(RAM_HOST_BASE + 0x1000);
    const memory = new GuestMemory(buf, [{ gpa: 0x80000000, size: 0x100, host: RAM_HOST_BASE, read: true, write: true, exec: true }]);
    const ram = new Uint8Array(buf, RAM_HOST_BASE, 0x100);
    words.forEach((w, i) => new DataView(buf).setUint32(RAM_HOST_BASE + 4 * i, w, true));
    return { memory, ram };
  }

  it("patches only sites whose memory holds the described instruction, inside the partition; a debugger's view shows the originals", () => {
    const csrr = { kind: 2, rd: 15, rs1: 0, csr: 0x100, length: 8 }; // csrr a5, sstatus
    const { memory, ram } = memoryWith([0x100027f3, 0x13, 0x12345678, 0x13]);
    const report = patchSites(memory, {
      source: "test", outside: 1, sites: [
        { gpa: 0x80000000, info: siteInfo(csrr) }, // patched
        { gpa: 0x80000008, info: siteInfo(csrr) }, // memory holds something else: skipped
        { gpa: 0x80000000, info: siteInfo(csrr) }, // twice: skipped
        { gpa: 0x7ffffffe, info: siteInfo(csrr) }, // outside RAM: skipped
        { gpa: 0x800000fe, info: siteInfo(csrr) }, // across its end: skipped
        { gpa: 0x80000004, info: 0x0f }, // an unknown kind: skipped
        { gpa: 0xfffffffe, info: siteInfo(csrr) }, // across 2^32: skipped
        { gpa: 0xfffffffc, info: siteInfo(csrr) }, // the last word below 2^32, outside RAM: skipped
      ],
    });
    expect(report.patched).toBe(1);
    expect(report.skipped).toBe(8);
    const dv = new DataView(ram.buffer, ram.byteOffset);
    expect(dv.getUint32(0, true)).toBe((0x100027f3 ^ VCSR_OPCODE_FLIP) >>> 0);
    expect(dv.getUint32(0, true) & 0x7f).toBe(0x2b); // custom-1
    expect(dv.getUint32(8, true)).toBe(0x12345678);
    const wordAt = (gpa: number) => dv.getUint32(gpa - 0x80000000, true);
    const view = unpatchView(ram.subarray(2, 8), 0x80000002, report.originals, wordAt);
    expect([...view]).toEqual([0x00, 0x10, 0x13, 0, 0, 0]);
    // A site the guest overwrote since shows what it wrote.
    expect(unpatchView(ram.subarray(0, 4), 0x80000000, report.originals, () => 0x00000013)).toEqual(ram.subarray(0, 4));
    expect(new DataView(ram.buffer, ram.byteOffset).getUint32(0, true) & 0x7f).toBe(0x2b); // (the view is a copy)
  });

  it("refuses malformed tables with the file named", () => {
    expect(() => sidecarSiteTable(new Uint8Array(12), 0x80000000, 1000, "Image.wvsites")).toThrow(/Image\.wvsites.*whole number of 8-byte entries/);
    expect(() => sidecarSiteTable(new Uint8Array(8 * 300), 0x80000000, 1000, "Image.wvsites")).toThrow(ElfError);
    const t = sidecarSiteTable(new Uint8Array([4, 0, 0, 0, 1, 2, 3, 4, 0xfd, 3, 0, 0, 0, 0, 0, 0]), 0x80200000, 1024, "I.wvsites");
    expect(t.sites).toEqual([{ gpa: 0x80200004, info: 0x04030201 }]);
    expect(t.outside).toBe(1);
  });
});

const RTOS = "rtos-afterburn";
/** The RTOS's lines with the release jitter (which depends on the machine's timing) masked. */
const maskJitter = (s: string) => s.replace(/jitter \d+ ns, last \d+ ns/g, "jitter N ns, last N ns");
const EXPECTED = "rtos: started, 1 kHz control task, tickless\n" +
  "rtos: 5000 jobs, 0 deadline misses, worst release jitter 1500 ns, last 1500 ns\n" +
  "rtos: 10000 jobs, 0 deadline misses, worst release jitter 1500 ns, last 1500 ns\n";

describe("the afterburned RTOS", () => {
  it("carries its site table", () => {
    const bytes = guestElf(RTOS);
    const table = elfSiteTable(bytes, parseElf(bytes, RTOS), RTOS)!;
    expect(table.sites.length).toBe(26);
    expect(table.outside).toBe(0);
  });

  it("runs on the bare machine, the same on both cores", async () => {
    const runs = [];
    for (const core of CORES) runs.push(await runGuest(core, guestElf(RTOS)));
    expect(runs[0].output).toBe(EXPECTED);
    expect(runs[0].halt?.kind).toBe("pass");
    expect(runs[1].output).toBe(runs[0].output);
    expect(runs[1].retired).toBe(runs[0].retired);
  }, 60_000);

  const hasQemu = spawnSync("qemu-system-riscv32", ["--version"]).status === 0;
  it.skipIf(!hasQemu)("runs under qemu-system-riscv32 -M virt -bios none: the same lines (release jitter aside: QEMU's timing is its own)", () => {
    const r = spawnSync("qemu-system-riscv32", ["-M", "virt", "-bios", "none", "-cpu", "rv32,f=true,d=true,h=false",
      "-icount", "shift=4,sleep=off", "-display", "none", "-serial", "stdio", "-monitor", "none", "-kernel", guestPath(RTOS)],
    { encoding: "latin1", timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(maskJitter(r.stdout)).toBe(maskJitter(EXPECTED));
  }, 70_000);

  it("in a partition, patched and unpatched, on both cores and paging modes: the same output and instruction counts; patched, fewer exits", async () => {
    const system = (previrt: boolean) => ({ partitions: [{ name: "rtos", image: RTOS, ram: "1M", previrt }] });
    const runs = [];
    for (const previrt of [false, true]) {
      for (const combo of [COMBOS[0], COMBOS[COMBOS.length - 1]]) {
        const r = await runSystem(system(previrt), { ...combo, stopWhenHalted: ["rtos"] });
        expect(r.output.rtos).toBe(EXPECTED);
        expect(r.result.partitions[0].halt?.kind).toBe("pass");
        runs.push({ previrt, r });
      }
    }
    for (const { r } of runs) expect(observable(r)).toEqual(observable(runs[0].r));
    const [off, on] = [runs[0].r.stats.partitions[0], runs[2].r.stats.partitions[0]];
    expect(off.previrt).toBeUndefined();
    expect(on.previrt!.sites).toBe(26);
    // Every patched site the fast loop completed is one trap-and-emulate exit fewer.
    expect(on.exits.trapAndEmulate).toBe(off.exits.trapAndEmulate - on.previrt!.fast);
    expect(on.previrt!.fast).toBeGreaterThan(on.previrt!.slow);
    expect(runs[3].r.stats.partitions[0].previrt).toEqual(on.previrt);
    // Where the exits come from (hv.exitProfile): unpatched, the quiet CSR accesses and
    // interrupt-enable writes are most of them; patched, the quiet ones are gone, the enable
    // writes made while an interrupt was pending and enabled remain, the rest is unchanged. The
    // kinds add up to the exits.
    const [pOff, pOn] = [runs[0].r.hv.exitProfile("rtos"), runs[2].r.hv.exitProfile("rtos")];
    const ENABLE = "interrupt-enable write";
    expect(pOff["quiet CSR access"] + pOff[ENABLE] - pOn[ENABLE]).toBe(on.previrt!.fast);
    expect(pOn).toEqual({ ...pOff, "quiet CSR access": 0, [ENABLE]: pOn[ENABLE] });
    expect(Object.values(pOn).reduce((a, b) => a + b, 0)).toBe(on.exits.trapAndEmulate);
    expect(Object.values(pOff).reduce((a, b) => a + b, 0)).toBe(off.exits.trapAndEmulate);
    // The patched memory holds custom-1 words; the debugger's view of it (the GDB stub reads
    // through Board.debugRead) shows the image's original instructions.
    const bytes = guestElf(RTOS);
    const table = elfSiteTable(bytes, parseElf(bytes, RTOS), RTOS)!;
    const board = runs[2].r.hv.board("rtos");
    const report = runs[2].r.hv.previrtReport("rtos")!;
    for (const s of table.sites) {
      const original = siteEncoding(siteFromInfo(s.info));
      expect(report.originals.get(s.gpa)).toBe(original);
      expect(new DataView(board.memory.read(s.gpa, 4)!.slice().buffer).getUint32(0, true)).toBe((original ^ VCSR_OPCODE_FLIP) >>> 0);
      expect(new DataView(board.debugRead(s.gpa, 4, true)!.buffer).getUint32(0, true)).toBe(original);
    }
    expect(runs[0].r.hv.previrtReport("rtos")).toBeUndefined();
  }, 120_000);
});

const kernelMissing = linuxMissing() ?? (existsSync(AFTERBURNED_KERNEL) && existsSync(`${AFTERBURNED_KERNEL}.wvsites`) ? null
  : `${AFTERBURNED_KERNEL} is not built: run \`npm run linux:afterburn\``);
describe.skipIf(kernelMissing !== null)(`the afterburned Linux kernel${kernelMissing ? ` (skipped: ${kernelMissing})` : ""}`, () => {
  it("boots in a supervisor partition and runs commands with patching off and on: the same transcript and instructions, on both cores", async () => {
    const runs = [];
    for (const [core, previrt] of [["wasm", false], ["wasm", true], ["ts", true]] as const) {
      const s = await LinuxSession.boot({ core, partner: null, image: AFTERBURNED_KERNEL, previrt, disk: scratchDisk() });
      let transcript = await s.prompt();
      expect(transcript).toContain("wasmvisor userland: init started");
      const mount = await s.run("mount -t ext2 /dev/vda /mnt");
      expect(mount).toMatch(EXT2_MOUNTED);
      transcript += mount;
      const fork = await s.run("forkexec 20");
      expect(fork).toContain("all exited 0");
      transcript += fork;
      const stats = s.hv.stats().partitions.find((p) => p.name === "linux")!;
      runs.push({ core, previrt, transcript, instructions: stats.instructions, cycles: s.hv.clock(), exits: stats.exits.trapAndEmulate, previrtStats: stats.previrt });
      s.hv.close();
    }
    const [off, on, onTs] = runs;
    expect(on.transcript).toBe(off.transcript);
    expect(onTs.transcript).toBe(on.transcript);
    expect(on.instructions).toBe(off.instructions);
    expect(onTs.instructions).toBe(on.instructions);
    expect(onTs.cycles).toBe(on.cycles);
    expect(on.previrtStats!.sites).toBeGreaterThan(100);
    expect(onTs.previrtStats).toEqual(on.previrtStats);
    expect(on.exits).toBe(off.exits - on.previrtStats!.fast);
  }, 900_000);
});
