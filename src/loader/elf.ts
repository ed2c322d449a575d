// ELF32 RISC-V executable parser (System V gABI; RISC-V ELF psABI for e_machine 243).
//
// It reads what a bare-metal loader needs — PT_LOAD segments (loaded at their physical address,
// as QEMU's -kernel does), the entry point and the symbol table (for HTIF's tohost/fromhost) —
// and rejects everything else with an error that says what is wrong and where.

export class ElfError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = "ElfError";
  }
}

export interface ElfSegment {
  /** Physical load address (p_paddr). */
  paddr: number;
  /** Virtual address (p_vaddr). */
  vaddr: number;
  /** Bytes present in the file (copied), followed by memsz - filesz zero bytes. */
  data: Uint8Array;
  memsz: number;
  flags: number;
}

export interface ElfImage {
  entry: number;
  segments: ElfSegment[];
  /** Global and local symbols by name (value = address). */
  symbols: Map<string, number>;
}

const PT_LOAD = 1;
const SHT_SYMTAB = 2;
const EM_RISCV = 243;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

const hex = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, "0")}`;

/** Parse an ELF file. `file` names it in error messages. */
export function parseElf(bytes: Uint8Array, file = "image"): ElfImage {
  const fail = (detail: string): never => {
    throw new ElfError(file, detail);
  };
  if (bytes.length < 16) fail(`not an ELF file: only ${bytes.length} bytes`);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    fail("not an ELF file (missing the \\x7fELF magic number)");
  }
  if (bytes[4] === 2) fail("64-bit ELF (ELFCLASS64): wasmvisor runs RV32 guests; build with -march=rv32imac -mabi=ilp32");
  if (bytes[4] !== 1) fail(`unknown ELF class ${bytes[4]} (expected 1, ELFCLASS32)`);
  if (bytes[5] !== 1) fail("big-endian ELF: RISC-V is little-endian (expected ELFDATA2LSB)");
  if (bytes.length < 52) fail(`truncated ELF header: ${bytes.length} bytes, the header needs 52`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (off: number) => view.getUint16(off, true);
  const u32 = (off: number) => view.getUint32(off, true);

  const type = u16(16);
  const machine = u16(18);
  if (machine !== EM_RISCV) fail(`not a RISC-V ELF (e_machine ${machine}, expected ${EM_RISCV})`);
  if (type !== 2) {
    fail(type === 3
      ? "position-independent ELF (ET_DYN): link the program at fixed addresses (ET_EXEC)"
      : `not an executable ELF (e_type ${type}, expected 2, ET_EXEC)`);
  }
  const entry = u32(24);
  const phoff = u32(28);
  const shoff = u32(32);
  const phentsize = u16(42);
  const phnum = u16(44);
  const shentsize = u16(46);
  const shnum = u16(48);
  if (phnum === 0) fail("no program headers: nothing to load");
  if (phentsize < 32) fail(`program header entries of ${phentsize} bytes (expected 32)`);
  if (phoff + phnum * phentsize > bytes.length) {
    fail(`truncated: program headers end at byte ${phoff + phnum * phentsize}, the file has ${bytes.length}`);
  }

  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (u32(ph) !== PT_LOAD) continue;
    const offset = u32(ph + 4);
    const vaddr = u32(ph + 8);
    const paddr = u32(ph + 12);
    const filesz = u32(ph + 16);
    const memsz = u32(ph + 20);
    const flags = u32(ph + 24);
    if (memsz === 0) continue;
    if (filesz > memsz) fail(`segment ${i}: file size ${filesz} exceeds memory size ${memsz}`);
    if (offset + filesz > bytes.length) {
      fail(`truncated: segment ${i} needs bytes ${offset}..${offset + filesz}, the file has ${bytes.length}`);
    }
    if (paddr + memsz > 0x1_0000_0000) fail(`segment ${i} at ${hex(paddr)} (${memsz} bytes) wraps past 4 GiB`);
    segments.push({ paddr, vaddr, data: bytes.subarray(offset, offset + filesz), memsz, flags });
  }
  if (segments.length === 0) fail("no loadable (PT_LOAD) segments");
  if (entry === 0) fail("no entry point (e_entry is 0)");
  const inCode = segments.some((s) => (s.flags & PF_X) !== 0 && entry >= s.vaddr && entry < s.vaddr + s.memsz);
  if (!inCode) fail(`entry point ${hex(entry)} is not inside an executable segment`);

  // Symbols are optional (a stripped ELF has none); a malformed table is still an error.
  const symbols = new Map<string, number>();
  if (shoff !== 0 && shnum !== 0) {
    if (shentsize < 40) fail(`section header entries of ${shentsize} bytes (expected 40)`);
    if (shoff + shnum * shentsize > bytes.length) {
      fail(`truncated: section headers end at byte ${shoff + shnum * shentsize}, the file has ${bytes.length}`);
    }
    for (let i = 0; i < shnum; i++) {
      const sh = shoff + i * shentsize;
      if (u32(sh + 4) !== SHT_SYMTAB) continue;
      const symOff = u32(sh + 16);
      const symSize = u32(sh + 20);
      const link = u32(sh + 24);
      const entsize = u32(sh + 36) || 16;
      if (link >= shnum) fail(`symbol table names string table ${link}, but there are ${shnum} sections`);
      const strSh = shoff + link * shentsize;
      const strOff = u32(strSh + 16);
      const strSize = u32(strSh + 20);
      if (symOff + symSize > bytes.length || strOff + strSize > bytes.length) {
        fail("truncated: the symbol or string table runs past the end of the file");
      }
      for (let s = symOff; s + 16 <= symOff + symSize; s += entsize) {
        const nameOff = u32(s);
        if (nameOff === 0 || nameOff >= strSize) continue;
        let end = strOff + nameOff;
        while (end < strOff + strSize && bytes[end] !== 0) end++;
        const name = new TextDecoder().decode(bytes.subarray(strOff + nameOff, end));
        if (!symbols.has(name)) symbols.set(name, u32(s + 4));
      }
    }
  }
  return { entry, segments, symbols };
}
