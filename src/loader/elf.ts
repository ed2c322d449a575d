// ELF32 RISC-V executable parser (System V gABI; RISC-V ELF psABI for e_machine 243).
//
// It reads what a bare-metal loader needs — PT_LOAD segments (loaded at their physical address,
// as QEMU's -kernel does), the entry point and the symbol table (for HTIF's tohost/fromhost) —
// and rejects everything else with an error that says what is wrong and where. The time it
// takes is linear in the file's size, whatever the file holds (test/fuzz.test.ts).

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
  /** How many leading bytes of `data` are the file's own ELF and program headers (a linker
   *  puts them in the first segment when the page below the code has room; 0 otherwise). */
  headerBytes?: number;
}

export interface ElfImage {
  entry: number;
  segments: ElfSegment[];
  /** Global and local symbols by name (value = address); the first definition wins. */
  symbols: Map<string, number>;
}

const PT_LOAD = 1;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
/** Bytes of an Elf32_Sym. */
const SYM_BYTES = 16;
/** Bytes of symbol names read per byte of string table, at most (plus the slack): see parseElf. */
const NAME_BUDGET_FACTOR = 4;
const NAME_BUDGET_SLACK = 65536;
const names = new TextDecoder();
const EM_RISCV = 243;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

const hex = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, "0")}`;
const range = (s: ElfSegment) => `${hex(s.paddr)}-${hex(s.paddr + s.memsz - 1)}`;

/** True when `bytes` begin with the ELF magic number (\x7fELF), whatever follows. */
export function hasElfMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/** Parse an ELF file. `file` names it in error messages. */
export function parseElf(bytes: Uint8Array, file = "image"): ElfImage {
  const fail = (detail: string): never => {
    throw new ElfError(file, detail);
  };
  if (bytes.length < 16) fail(`not an ELF file: only ${bytes.length} bytes`);
  if (!hasElfMagic(bytes)) {
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
    const headerEnd = Math.max(52, phoff + phnum * phentsize);
    segments.push({
      paddr, vaddr, data: bytes.subarray(offset, offset + filesz), memsz, flags,
      ...(offset < headerEnd ? { headerBytes: Math.min(filesz, headerEnd - offset) } : {}),
    });
  }
  if (segments.length === 0) fail("no loadable (PT_LOAD) segments");
  if (entry === 0) fail("no entry point (e_entry is 0)");
  const inCode = segments.some((s) => (s.flags & PF_X) !== 0 && entry >= s.vaddr && entry < s.vaddr + s.memsz);
  if (!inCode) fail(`entry point ${hex(entry)} is not inside an executable segment`);

  // PT_LOAD segments must not overlap in memory (QEMU's loader refuses that too: "rom: requested
  // regions overlap"). It also bounds the copying a load does by the guest's memory, whatever
  // the number of program headers: overlapping segments could copy the file 65535 times over.
  const byAddress = segments.map((s, i) => ({ s, i })).sort((a, b) => a.s.paddr - b.s.paddr);
  for (let k = 1; k < byAddress.length; k++) {
    const a = byAddress[k - 1];
    const b = byAddress[k];
    if (b.s.paddr < a.s.paddr + a.s.memsz) {
      const [first, second] = a.i < b.i ? [a, b] : [b, a];
      fail(`segments ${first.i} (${range(first.s)}) and ${second.i} (${range(second.s)}) overlap in memory`);
    }
  }

  // Symbols are optional (a stripped ELF has none); a malformed table is still an error.
  const symbols = new Map<string, number>();
  if (shoff !== 0 && shnum !== 0) {
    if (shentsize < 40) fail(`section header entries of ${shentsize} bytes (expected 40)`);
    if (shoff + shnum * shentsize > bytes.length) {
      fail(`truncated: section headers end at byte ${shoff + shnum * shentsize}, the file has ${bytes.length}`);
    }
    let symtab = -1;
    for (let i = 0; i < shnum; i++) {
      const sh = shoff + i * shentsize;
      if (u32(sh + 4) !== SHT_SYMTAB) continue;
      // The gABI allows one symbol table per file; reading several could read the file many times.
      if (symtab >= 0) fail(`sections ${symtab} and ${i} are both symbol tables (SHT_SYMTAB): an ELF file has at most one`);
      symtab = i;
      const symOff = u32(sh + 16);
      const symSize = u32(sh + 20);
      const link = u32(sh + 24);
      const entsize = u32(sh + 36) || SYM_BYTES;
      if (entsize !== SYM_BYTES) fail(`the symbol table's entries are ${entsize} bytes (an ELF32 symbol has ${SYM_BYTES})`);
      if (link === 0 || link >= shnum) fail(`the symbol table names string table ${link}, but there are sections 1 to ${shnum - 1}`);
      const strSh = shoff + link * shentsize;
      if (u32(strSh + 4) !== SHT_STRTAB) fail(`the symbol table's names are in section ${link}, which is not a string table (SHT_STRTAB)`);
      const strOff = u32(strSh + 16);
      const strSize = u32(strSh + 20);
      if (symOff + symSize > bytes.length || strOff + strSize > bytes.length) {
        fail("truncated: the symbol or string table runs past the end of the file");
      }
      // Names may share bytes (a linker stores "foo" as the tail of "barfoo"), so symbols can
      // name more characters than the string table holds: a crafted table of one long name and
      // a symbol at each of its offsets names quadratically many (a 529 KB file took 51 s).
      // Every byte scanned for a name counts against a budget linear in the table's size, which
      // no linker's sharing comes near; past it the file is refused.
      const strEnd = strOff + strSize;
      const budget = NAME_BUDGET_FACTOR * strSize + NAME_BUDGET_SLACK;
      let scanned = 0;
      for (let s = symOff; s + SYM_BYTES <= symOff + symSize; s += SYM_BYTES) {
        const at = strOff + u32(s);
        if (at === strOff || at >= strEnd) continue;
        let end = at;
        while (end < strEnd && bytes[end] !== 0) end++;
        scanned += end - at + 1;
        if (scanned > budget) {
          fail(`the symbol table's names overlap far more than a linker shares them (over ${budget} bytes of names in a ${strSize}-byte string table)`);
        }
        const name = names.decode(bytes.subarray(at, end));
        if (!symbols.has(name)) symbols.set(name, u32(s + 4));
      }
    }
  }
  return { entry, segments, symbols };
}

/**
 * A program linked with -Ttext at the start of RAM and no linker script: the linker puts the ELF
 * and program headers in the page below the code, in the first segment, which then begins below
 * RAM. QEMU loads such a file (the bytes below RAM go nowhere); so does wasmvisor: the leading
 * part below `ramBase` is dropped when it holds only those headers and zero padding. Any other
 * segment outside RAM is still the loader's error to report.
 */
export function dropHeadersBelow(image: ElfImage, ramBase: number): ElfImage {
  const segments = image.segments.map((s) => {
    const below = ramBase - s.paddr;
    if (below <= 0 || !s.headerBytes || below >= s.memsz || below > s.data.length) return s;
    if (!s.data.subarray(s.headerBytes, below).every((b) => b === 0)) return s;
    return { ...s, paddr: ramBase, vaddr: s.vaddr + below, data: s.data.subarray(below), memsz: s.memsz - below, headerBytes: 0 };
  });
  return { ...image, segments };
}
