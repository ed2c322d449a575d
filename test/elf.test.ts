// Malformed images are refused with an error that names the file and the problem; nothing runs.
import { describe, expect, it } from "vitest";
import { parseElf, ElfError } from "../src/loader/elf.ts";
import { guestElf, makeMachine } from "./support/harness.ts";

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
