// Malformed images are refused with an error that names the file and the problem; nothing runs.
import { describe, expect, it } from "vitest";
import { parseElf, ElfError } from "../src/loader/elf.ts";
import { guestElf, makeMachine, CORES, ROOT } from "./support/harness.ts";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "./support/cli.ts";

/** A minimal valid ELF32 RISC-V executable: one PT_LOAD segment of `code` at `addr`. */
function makeElf(opts: { addr?: number; code?: number[]; entry?: number; memsz?: number } = {}): Uint8Array {
  const addr = opts.addr ?? 0x80000000;
  const code = opts.code ?? [0x13, 0, 0, 0]; // nop
  const buf = new Uint8Array(52 + 32 + code.length);
  const v = new DataView(buf.buffer);
  buf.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 243, true); // EM_RISCV
  v.setUint32(20, 1, true);
  v.setUint32(24, opts.entry ?? addr, true);
  v.setUint32(28, 52, true); // phoff
  v.setUint16(40, 52, true);
  v.setUint16(42, 32, true);
  v.setUint16(44, 1, true);
  v.setUint32(52, 1, true); // PT_LOAD
  v.setUint32(56, 84, true); // offset
  v.setUint32(60, addr, true);
  v.setUint32(64, addr, true);
  v.setUint32(68, code.length, true);
  v.setUint32(72, opts.memsz ?? code.length, true);
  v.setUint32(76, 5, true); // R X
  buf.set(code, 84);
  return buf;
}

const expectElfError = (bytes: Uint8Array, pattern: RegExp) => {
  expect(() => parseElf(bytes, "t.elf")).toThrowError(ElfError);
  expect(() => parseElf(bytes, "t.elf")).toThrowError(pattern);
};

describe("ELF loader", () => {
  it("accepts a minimal executable and a real guest", () => {
    expect(parseElf(makeElf()).entry).toBe(0x80000000);
    const img = parseElf(guestElf("htif"), "htif.elf");
    expect(img.symbols.get("tohost")).toBeTypeOf("number");
  });
  it("rejects files that are not ELF", () => {
    expectElfError(new TextEncoder().encode("#!/bin/sh\necho hi\n"), /t\.elf: not an ELF file/);
    expectElfError(new Uint8Array(3), /not an ELF file: only 3 bytes/);
  });
  it("rejects 64-bit, big-endian and non-RISC-V ELFs", () => {
    const e64 = makeElf();
    e64[4] = 2;
    expectElfError(e64, /64-bit ELF.*RV32/);
    const be = makeElf();
    be[5] = 2;
    expectElfError(be, /big-endian/);
    const arm = makeElf();
    new DataView(arm.buffer).setUint16(18, 40, true);
    expectElfError(arm, /not a RISC-V ELF \(e_machine 40/);
  });
  it("rejects truncated files", () => {
    const full = makeElf({ code: new Array(64).fill(0x13) });
    expectElfError(full.subarray(0, 40), /truncated ELF header/);
    expectElfError(full.subarray(0, 70), /truncated: program headers end at byte 84/);
    expectElfError(full.subarray(0, 100), /truncated: segment 0 needs bytes 84\.\.148/);
  });
  it("rejects a missing or misplaced entry point", () => {
    expectElfError(makeElf({ entry: 0 }), /no entry point/);
    expectElfError(makeElf({ entry: 0x90000000 }), /entry point 0x90000000 is not inside an executable segment/);
  });
  it("rejects position-independent executables and relocatable objects", () => {
    const dyn = makeElf();
    new DataView(dyn.buffer).setUint16(16, 3, true);
    expectElfError(dyn, /ET_DYN/);
    const rel = makeElf();
    new DataView(rel.buffer).setUint16(16, 1, true);
    expectElfError(rel, /not an executable ELF \(e_type 1/);
  });
  it("refuses segments outside RAM, before anything runs", async () => {
    for (const core of ["wasm", "ts"] as const) {
      const m = await makeMachine(core, { ramBytes: 1 << 20 });
      expect(() => m.loadElf(makeElf({ addr: 0x40000000 }), "low.elf")).toThrowError(/low\.elf: segment 0 \(0x40000000-0x40000003\) lies outside RAM \(0x80000000-0x800fffff\)/);
      expect(() => m.loadElf(makeElf({ memsz: 2 << 20 }), "big.elf")).toThrowError(/lies outside RAM/);
    }
  });
});

// A program linked with nothing but -Ttext=0x80000000 (no linker script): GNU ld puts the ELF
// headers in the page below the code, in the first segment. QEMU runs it; so does wasmvisor
// (the "your first program" recipe of docs/first-program.md, with the SDK files the package ships).
const gcc = spawnSync("riscv64-unknown-elf-gcc", ["--version"]).status === 0;
describe.skipIf(!gcc)("programs built the plain way", () => {
  const dir = mkdtempSync(join(tmpdir(), "wasmvisor-ttext-"));
  it("-Ttext=0x80000000 without a linker script: the headers below RAM are left out, the program runs (both cores)", async () => {
    writeFileSync(join(dir, "min.S"), ".globl _start\n_start:\n li t0, 0x100000\n li t1, 0x5555\n sw t1, 0(t0)\n1: j 1b\n");
    const r = spawnSync("riscv64-unknown-elf-gcc", ["-march=rv32imac", "-mabi=ilp32", "-nostdlib", "-Ttext=0x80000000", join(dir, "min.S"), "-o", join(dir, "min.elf")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const bytes = readFileSync(join(dir, "min.elf"));
    expect(parseElf(bytes, "min.elf").segments[0].paddr).toBeLessThan(0x8000_0000); // (the headers' page)
    for (const core of CORES) {
      const m = await makeMachine(core);
      m.loadElf(bytes, "min.elf");
      m.step(10_000);
      expect(m.halted?.kind, core).toBe("pass");
    }
  });

  it("the first C program of docs/first-program.md, on the SDK files the package ships", async () => {
    const S = join(ROOT, "guests");
    writeFileSync(join(dir, "hello.c"), '#include <stdio.h>\nint main(void) { printf("my first wasmvisor program\\n"); return 0; }\n');
    const r = spawnSync("riscv64-unknown-elf-gcc", ["-march=rv32imac", "-misa-spec=2.2", "-mabi=ilp32", "-nostartfiles", "-T", join(S, "common/virt.ld"),
      `-I${join(S, "common")}`, `-I${join(S, "sdk")}`, "-Wl,--no-warn-rwx-segments", "--specs=picolibc.specs", "-O2",
      join(S, "common/start.S"), join(S, "common/platform.c"), join(dir, "hello.c"), "-o", join(dir, "hello.elf")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const run = await cli(["run-elf", join(dir, "hello.elf")]);
    expect(run).toMatchObject({ status: 0, stdout: "my first wasmvisor program\n" });
  });
});
