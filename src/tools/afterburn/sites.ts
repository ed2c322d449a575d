// The pre-virtualization site table (docs/previrt.md): what the afterburner (filter.ts) writes
// into a guest's `.wvsites` section and the loader (src/loader/previrt.ts) reads back. One entry
// per site, two little-endian words:
//
//   word 0  the site's address (link-time; for a Linux Image the sidecar file holds offsets)
//   word 1  bits  3:0  kind: 1-3 csrrw/csrrs/csrrc, 5-7 csrrwi/csrrsi/csrrci (= funct3),
//                      8 sret, 9 mret, 10 wfi, 11 sfence.vma
//           bits  8:4  rd
//           bits 13:9  rs1, or the 5-bit immediate of the immediate forms (sfence.vma: rs1)
//           bits 25:14 csr (sfence.vma: rs2 in bits 18:14)
//           bits 31:26 the site's length in 4-byte words (the instruction and its padding)
//
// The entry determines the original instruction's encoding exactly (siteEncoding), so the loader
// patches a site only where guest memory holds that very instruction. The patched form is the
// same instruction with its major opcode moved from SYSTEM (0x73) to custom-1 (0x2b): every
// field stays where it was, so the kernel can undo the patch with one XOR (VCSR_OPCODE_FLIP),
// and a patched word tells a debugger the original at a glance.

import { PREVIRT_OPCODE_FLIP } from "../../../assembly/layout.js";

export const SITE_ENTRY_BYTES = 8;
export const SITES_SECTION = ".wvsites";

export const KIND_SRET = 8;
export const KIND_MRET = 9;
export const KIND_WFI = 10;
export const KIND_SFENCE = 11;

export const KIND_NAMES: Record<number, string> = {
  1: "csrrw", 2: "csrrs", 3: "csrrc", 5: "csrrwi", 6: "csrrsi", 7: "csrrci",
  [KIND_SRET]: "sret", [KIND_MRET]: "mret", [KIND_WFI]: "wfi", [KIND_SFENCE]: "sfence.vma",
};

/** SYSTEM (0x73) XOR custom-1 (0x2b): the patch, and its undoing (assembly/kernel/previrt.ts). */
export const VCSR_OPCODE_FLIP = PREVIRT_OPCODE_FLIP;

export interface Site {
  kind: number;
  rd: number;
  rs1: number;
  /** The CSR number (sfence.vma: rs2). */
  csr: number;
  /** Bytes from the site's start to the first instruction after its padding. */
  length: number;
}

export function siteInfo(s: Site): number {
  return ((s.kind & 15) | ((s.rd & 31) << 4) | ((s.rs1 & 31) << 9) | ((s.csr & 0xfff) << 14) |
    (((s.length >> 2) & 63) << 26)) >>> 0;
}

export function siteFromInfo(info: number): Site {
  return {
    kind: info & 15, rd: (info >>> 4) & 31, rs1: (info >>> 9) & 31, csr: (info >>> 14) & 0xfff,
    length: ((info >>> 26) & 63) << 2,
  };
}

/** The 32-bit encoding of a site's original instruction, or -1 for an unknown kind. */
export function siteEncoding(s: Site): number {
  if (s.kind >= 1 && s.kind <= 7 && s.kind !== 4) {
    return ((s.csr << 20) | (s.rs1 << 15) | (s.kind << 12) | (s.rd << 7) | 0x73) >>> 0;
  }
  switch (s.kind) {
    case KIND_SRET: return 0x10200073;
    case KIND_MRET: return 0x30200073;
    case KIND_WFI: return 0x10500073;
    case KIND_SFENCE: return (0x12000073 | ((s.csr & 31) << 20) | (s.rs1 << 15)) >>> 0;
    default: return -1;
  }
}
