// RISC-V Linux kernel Image loader (Documentation/riscv/boot-image-header.rst of Linux 6.1), and
// the one entry point for boot images: an ELF executable or a Linux Image, told apart by their
// magic numbers.
//
// The Image header (64 bytes, little-endian):
//   0x00 code0, code1   0x08 text_offset (u64)   0x10 image_size (u64)   0x18 flags (u64)
//   0x20 version (u32)  0x24 res1   0x28 res2 (u64)   0x30 magic "RISCV\0\0\0" (deprecated)
//   0x38 magic2 "RSC\x05"   0x3c res3: offset of the PE/COFF header (EFI stub), or 0
// The kernel is loaded at RAM base + text_offset (4 MiB on rv32: the kernel maps itself with
// megapages) and occupies image_size bytes there, bss included. With the EFI stub the file is
// also a PE/COFF executable whose section table says how long the file must be: that is how a
// truncated Image is recognised.

import { parseElf, dropHeadersBelow, ElfError, PF_R, PF_W, PF_X, type ElfImage } from "./elf.js";

const MAGIC2 = 0x05435352; // "RSC\x05"
const PE_SIGNATURE = 0x00004550; // "PE\0\0"
const HEADER_BYTES = 64;

export interface LinuxImage {
  /** Offset from the start of RAM where the kernel must be loaded. */
  textOffset: number;
  /** Bytes the kernel occupies in memory from its load address (bss included). */
  imageSize: number;
  bytes: Uint8Array;
  /** Header version (major << 16 | minor). */
  version: number;
}

/** Is this a RISC-V Linux Image (by its magic number)? */
export function isLinuxImage(bytes: Uint8Array): boolean {
  return bytes.length >= HEADER_BYTES && new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0x38, true) === MAGIC2;
}

/** Parse and check a Linux Image; `file` names it in errors. */
export function parseLinuxImage(bytes: Uint8Array, file = "Image"): LinuxImage {
  const fail = (detail: string): never => {
    throw new ElfError(file, detail);
  };
  if (bytes.length < HEADER_BYTES) fail(`not a RISC-V Linux Image: only ${bytes.length} bytes, the header needs ${HEADER_BYTES}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0x38, true) !== MAGIC2) fail('not a RISC-V Linux Image (missing the "RSC\\x05" magic at offset 0x38)');
  const textOffset = Number(view.getBigUint64(0x08, true));
  const imageSize = Number(view.getBigUint64(0x10, true));
  const version = view.getUint32(0x20, true);
  if (textOffset % 0x400000 !== 0 || textOffset >= 0x40000000) {
    fail(`text_offset 0x${textOffset.toString(16)} is not a 4 MiB-aligned offset into RAM (an rv32 kernel maps itself with 4 MiB pages)`);
  }
  if (imageSize < bytes.length) fail(`the header's image_size (${imageSize} bytes) is smaller than the file (${bytes.length} bytes)`);
  if (imageSize > 0x40000000) fail(`the header's image_size (${imageSize} bytes) is larger than any partition's RAM`);
  // The PE/COFF header of the EFI stub, when there is one: its sections must all be in the file.
  const pe = version >= 0x2 ? view.getUint32(0x3c, true) : 0;
  if (pe !== 0) {
    if (pe + 24 > bytes.length || view.getUint32(pe, true) !== PE_SIGNATURE) {
      fail(`truncated or damaged: the header points at a PE/COFF header at 0x${pe.toString(16)} that is not there`);
    }
    const sections = view.getUint16(pe + 6, true);
    const optionalHeader = view.getUint16(pe + 20, true);
    const table = pe + 24 + optionalHeader;
    if (table + sections * 40 > bytes.length) fail("truncated: the PE/COFF section table runs past the end of the file");
    let end = 0;
    for (let i = 0; i < sections; i++) {
      const s = table + i * 40;
      const rawSize = view.getUint32(s + 16, true);
      const rawPointer = view.getUint32(s + 20, true);
      if (rawSize > 0) end = Math.max(end, rawPointer + rawSize);
    }
    if (end > bytes.length) {
      fail(`truncated: its sections end at byte ${end}, but the file has only ${bytes.length} bytes`);
    }
  }
  return { textOffset, imageSize, bytes, version };
}

/**
 * A boot image as loadable segments: an ELF executable as it is, a Linux Image as one segment at
 * RAM base + text_offset (entry there). Throws ElfError with the reason for anything else.
 */
export function parseBootImage(bytes: Uint8Array, file: string, ramBase: number): ElfImage {
  if (isLinuxImage(bytes)) {
    const k = parseLinuxImage(bytes, file);
    const paddr = ramBase + k.textOffset;
    return {
      entry: paddr,
      segments: [{ paddr, vaddr: paddr, data: k.bytes, memsz: k.imageSize, flags: PF_R | PF_W | PF_X }],
      symbols: new Map(),
    };
  }
  if (bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) {
    return dropHeadersBelow(parseElf(bytes, file), ramBase);
  }
  throw new ElfError(file, "neither an ELF executable nor a RISC-V Linux Image (no \\x7fELF magic, no \"RSC\\x05\" at offset 0x38)");
}
