// Pre-virtualization's soft layer in the loader (docs/previrt.md): find an afterburned guest's
// site table and patch its sites in guest memory into the form the kernel runs without a trap
// (assembly/kernel/previrt.ts).
//
// Where the table comes from:
// - an ELF: its `.wvsites` section (not allocated; word 0 of each entry a link address, mapped
//   to a guest-physical one through the PT_LOAD segment that holds it);
// - a Linux raw Image: the sidecar file `<image>.wvsites` beside it, written at build time from
//   vmlinux (guests/linux/wvsites-sidecar.mjs), word 0 an offset from the Image's first byte.
//
// The table is input like any other: a site is patched only where guest memory holds exactly
// the instruction its entry describes (siteEncoding), inside the partition's RAM (through the
// one gate, GuestMemory); everything else is counted as skipped. The patch replaces an
// instruction with one that the kernel runs exactly as it would the original, so even a
// hostile table gains a guest nothing. The table's size is bounded by the image's.

import { ElfError, type ElfImage } from "./elf.js";
import type { GuestMemory } from "../vmm/guest-memory.js";
import { SITE_ENTRY_BYTES, SITES_SECTION, VCSR_OPCODE_FLIP, siteEncoding, siteFromInfo } from "../tools/afterburn/sites.js";

/** The kinds of trap-and-emulate exits the kernel counts (assembly/kernel/previrt.ts exitKind),
 *  in the order of V_STAT_EXIT_KINDS. */
export const EXIT_KIND_NAMES = [
  "ecall/ebreak/wvcall", "sret", "mret", "wfi", "sfence.vma", "counter/time read", "sip/mip",
  "status write", "sie/mie write", "satp write", "stimecmp write", "other CSR write", "quiet CSR access",
  "other CSR read", "interrupt-enable write",
] as const;

/** One site: where it is in guest-physical memory and its entry's info word. */
export interface SiteRef {
  gpa: number;
  info: number;
}

export interface SiteTable {
  /** Where the table came from (the ELF section, or the sidecar file's name). */
  source: string;
  sites: SiteRef[];
  /** Entries whose address lies outside every loaded segment (dropped). */
  outside: number;
}

export interface PatchReport {
  source: string;
  patched: number;
  /** Entries not patched: memory there is not the instruction the entry describes, or the
   *  address is outside the partition's RAM, or outside the image. */
  skipped: number;
  /** The original word at each patched site (a debugger shows these; see docs/previrt.md). */
  originals: Map<number, number>;
}

/** At most one entry per 4 bytes of image: more cannot be real sites. */
function checkCount(count: number, imageBytes: number, file: string): void {
  if (count > imageBytes / 4 + 1) throw new ElfError(file, `its site table has ${count} entries, more than its ${imageBytes}-byte image can hold`);
}

/** The `.wvsites` section of an ELF as a site table, or null when it has none. */
export function elfSiteTable(bytes: Uint8Array, image: ElfImage, file: string): SiteTable | null {
  if (bytes.length < 52) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const u16 = (o: number) => dv.getUint16(o, true);
  const u32 = (o: number) => dv.getUint32(o, true);
  const shoff = u32(0x20);
  const shentsize = u16(0x2e);
  const shnum = u16(0x30);
  const shstrndx = u16(0x32);
  if (shoff === 0 || shnum === 0 || shentsize < 40 || shstrndx >= shnum || shoff + shnum * shentsize > bytes.length) return null;
  const strSh = shoff + shstrndx * shentsize;
  const strOff = u32(strSh + 16);
  const strSize = u32(strSh + 20);
  if (strOff + strSize > bytes.length) return null;
  const want = new TextEncoder().encode(SITES_SECTION);
  for (let i = 0; i < shnum; i++) {
    const sh = shoff + i * shentsize;
    const name = u32(sh);
    if (name + want.length + 1 > strSize) continue;
    let match = bytes[strOff + name + want.length] === 0;
    for (let k = 0; match && k < want.length; k++) match = bytes[strOff + name + k] === want[k];
    if (!match) continue;
    const off = u32(sh + 16);
    const size = u32(sh + 20);
    if (off + size > bytes.length) throw new ElfError(file, `its ${SITES_SECTION} section runs past the end of the file`);
    if (size % SITE_ENTRY_BYTES !== 0) throw new ElfError(file, `its ${SITES_SECTION} section is ${size} bytes, not a whole number of ${SITE_ENTRY_BYTES}-byte entries`);
    checkCount(size / SITE_ENTRY_BYTES, bytes.length, file);
    const table: SiteTable = { source: `${file} (${SITES_SECTION})`, sites: [], outside: 0 };
    for (let e = off; e < off + size; e += SITE_ENTRY_BYTES) {
      const va = u32(e);
      const seg = image.segments.find((s) => va >= s.vaddr && va + 4 <= s.vaddr + s.data.length);
      if (!seg) table.outside++;
      else table.sites.push({ gpa: seg.paddr + (va - seg.vaddr), info: u32(e + 4) });
    }
    return table;
  }
  return null;
}

/** A Linux Image's sidecar site table (offsets from `base`, the Image's load address). */
export function sidecarSiteTable(bytes: Uint8Array, base: number, imageBytes: number, file: string): SiteTable {
  if (bytes.length % SITE_ENTRY_BYTES !== 0) throw new ElfError(file, `a site table is a whole number of ${SITE_ENTRY_BYTES}-byte entries; this one is ${bytes.length} bytes`);
  checkCount(bytes.length / SITE_ENTRY_BYTES, imageBytes, file);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const table: SiteTable = { source: file, sites: [], outside: 0 };
  for (let e = 0; e < bytes.length; e += SITE_ENTRY_BYTES) {
    const offset = dv.getUint32(e, true);
    if (offset + 4 > imageBytes) table.outside++;
    else table.sites.push({ gpa: base + offset, info: dv.getUint32(e + 4, true) });
  }
  return table;
}

/** Patch every site of `table` whose memory holds the instruction its entry describes. */
export function patchSites(memory: GuestMemory, table: SiteTable): PatchReport {
  const report: PatchReport = { source: table.source, patched: 0, skipped: table.outside, originals: new Map() };
  for (const s of table.sites) {
    const expected = siteEncoding(siteFromInfo(s.info));
    const word = expected < 0 ? null : memory.read(s.gpa, 4, "read");
    if (word === null || report.originals.has(s.gpa)) {
      report.skipped++;
      continue;
    }
    const now = (word[0] | (word[1] << 8) | (word[2] << 16) | (word[3] << 24)) >>> 0;
    if (now !== expected) {
      report.skipped++;
      continue;
    }
    const patched = (now ^ VCSR_OPCODE_FLIP) >>> 0;
    memory.write(s.gpa, new Uint8Array([patched & 0xff, (patched >>> 8) & 0xff, (patched >>> 16) & 0xff, patched >>> 24]), "write");
    report.originals.set(s.gpa, now);
    report.patched++;
  }
  return report;
}

/**
 * `bytes` (guest memory read from `gpa`) as the guest's image has it: each patched site that
 * still holds its patched word (`wordAt`: the word in memory now) shows its original word
 * instead. A site the guest has since overwritten shows what it wrote. What a debugger shows
 * (Board.debugRead).
 */
export function unpatchView(bytes: Uint8Array, gpa: number, originals: ReadonlyMap<number, number>,
  wordAt: (gpa: number) => number | null): Uint8Array {
  if (originals.size === 0) return bytes;
  let out = bytes;
  for (let a = gpa - 3; a < gpa + bytes.length; a++) {
    const orig = originals.get(a >>> 0);
    if (orig === undefined || wordAt(a >>> 0) !== ((orig ^ VCSR_OPCODE_FLIP) >>> 0)) continue;
    if (out === bytes) out = bytes.slice();
    for (let k = 0; k < 4; k++) {
      const i = a + k - gpa;
      if (i >= 0 && i < out.length) out[i] = (orig >>> (8 * k)) & 0xff;
    }
  }
  return out;
}
