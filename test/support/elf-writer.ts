// Writes ELF32 RISC-V executables (System V gABI layout) from segments and symbols, for tests
// that build guests in memory (random programs, fuzzing). The file is laid out as:
//
//   ELF header (52) | program headers (32 each) | segment data (each 4-byte aligned)
//   | .strtab | .symtab (16 each) | .shstrtab | section headers (40 each: null, .symtab,
//   .strtab, .shstrtab)
//
// Symbols are global, defined in an absolute section (SHN_ABS), as a linker script's would be.

import { PF_R, PF_W, PF_X } from "../../src/loader/elf.ts";

export interface ElfSegmentSpec {
  paddr: number;
  vaddr?: number;
  data: Uint8Array;
  /** Default: data.length. */
  memsz?: number;
  /** Default: R W X. */
  flags?: number;
}

export interface ElfSpec {
  entry: number;
  segments: ElfSegmentSpec[];
  symbols?: Iterable<[string, number]>;
}

/** Field offsets in the headers, for tests that damage one on purpose. */
export const EHDR = { phoff: 28, shoff: 32, entry: 24, phentsize: 42, phnum: 44, shentsize: 46, shnum: 48, shstrndx: 50, size: 52 };
export const PHDR = { type: 0, offset: 4, vaddr: 8, paddr: 12, filesz: 16, memsz: 20, flags: 24, align: 28, size: 32 };
export const SHDR = { name: 0, type: 4, flags: 8, addr: 12, offset: 16, size: 20, link: 24, info: 28, addralign: 32, entsize: 36, size_: 40 };

const align4 = (n: number) => (n + 3) & ~3;

export function writeElf(spec: ElfSpec): Uint8Array {
  const enc = new TextEncoder();
  const symbols = [...(spec.symbols ?? [])];
  // String tables: offset 0 is the empty name.
  const strtab: number[] = [0];
  const nameAt = symbols.map(([name]) => {
    const at = strtab.length;
    strtab.push(...enc.encode(name), 0);
    return at;
  });
  const shstr = [0, ...enc.encode(".symtab"), 0, ...enc.encode(".strtab"), 0, ...enc.encode(".shstrtab"), 0];
  const shName = { symtab: 1, strtab: 9, shstrtab: 17 };

  const phoff = EHDR.size;
  let off = phoff + spec.segments.length * PHDR.size;
  const dataAt = spec.segments.map((s) => {
    const at = align4(off);
    off = at + s.data.length;
    return at;
  });
  const strOff = align4(off);
  const symOff = align4(strOff + strtab.length);
  const symBytes = (symbols.length + 1) * 16;
  const shstrOff = symOff + symBytes;
  const shoff = align4(shstrOff + shstr.length);
  const total = shoff + 4 * SHDR.size_;

  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]); // magic, ELFCLASS32, ELFDATA2LSB, EV_CURRENT
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 243, true); // EM_RISCV
  v.setUint32(20, 1, true);
  v.setUint32(EHDR.entry, spec.entry >>> 0, true);
  v.setUint32(EHDR.phoff, phoff, true);
  v.setUint32(EHDR.shoff, shoff, true);
  v.setUint32(36, 0x1, true); // e_flags: EF_RISCV_RVC
  v.setUint16(40, EHDR.size, true);
  v.setUint16(EHDR.phentsize, PHDR.size, true);
  v.setUint16(EHDR.phnum, spec.segments.length, true);
  v.setUint16(EHDR.shentsize, SHDR.size_, true);
  v.setUint16(EHDR.shnum, 4, true);
  v.setUint16(EHDR.shstrndx, 3, true);

  spec.segments.forEach((s, i) => {
    const ph = phoff + i * PHDR.size;
    v.setUint32(ph + PHDR.type, 1, true); // PT_LOAD
    v.setUint32(ph + PHDR.offset, dataAt[i], true);
    v.setUint32(ph + PHDR.vaddr, (s.vaddr ?? s.paddr) >>> 0, true);
    v.setUint32(ph + PHDR.paddr, s.paddr >>> 0, true);
    v.setUint32(ph + PHDR.filesz, s.data.length, true);
    v.setUint32(ph + PHDR.memsz, s.memsz ?? s.data.length, true);
    v.setUint32(ph + PHDR.flags, s.flags ?? (PF_R | PF_W | PF_X), true);
    v.setUint32(ph + PHDR.align, 4, true);
    out.set(s.data, dataAt[i]);
  });

  out.set(strtab, strOff);
  symbols.forEach(([, value], i) => {
    const sym = symOff + (i + 1) * 16;
    v.setUint32(sym, nameAt[i], true);
    v.setUint32(sym + 4, value >>> 0, true);
    out[sym + 12] = 0x10; // STB_GLOBAL, STT_NOTYPE
    v.setUint16(sym + 14, 0xfff1, true); // SHN_ABS
  });
  out.set(shstr, shstrOff);

  const section = (i: number, name: number, type: number, offset: number, size: number, link = 0, entsize = 0, info = 0) => {
    const sh = shoff + i * SHDR.size_;
    v.setUint32(sh + SHDR.name, name, true);
    v.setUint32(sh + SHDR.type, type, true);
    v.setUint32(sh + SHDR.offset, offset, true);
    v.setUint32(sh + SHDR.size, size, true);
    v.setUint32(sh + SHDR.link, link, true);
    v.setUint32(sh + SHDR.info, info, true);
    v.setUint32(sh + SHDR.addralign, 1, true);
    v.setUint32(sh + SHDR.entsize, entsize, true);
  };
  section(1, shName.symtab, 2, symOff, symBytes, 2, 16, 1); // SHT_SYMTAB, names in section 2
  section(2, shName.strtab, 3, strOff, strtab.length); // SHT_STRTAB
  section(3, shName.shstrtab, 3, shstrOff, shstr.length);
  return out;
}
