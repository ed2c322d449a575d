// The split translation caches (TLBs) of a vCPU: for each privilege level a fetch, a load and a
// store table of direct-mapped {tag, addend} entries (layout.ts draws them). An entry caches the
// whole answer for one 4 KiB virtual page: translation, permission for that privilege level and
// the host address of the backing RAM. MMIO pages are never cached, so devices always see every
// access.
//
// Invalidation (what each event must drop, and no more):
//   satp write, SFENCE.VMA x0      → the U and S sets (M runs untranslated)
//   SFENCE.VMA vaddr               → that page's entry in the U and S sets
//   mstatus.SUM change             → the S set's load and store tables
//   mstatus.MXR change             → the U and S load tables
//   physical-map change            → everything
//   PMP or trigger change          → everything (mmu/pmp.ts, kernel/trigger.ts: pages they may
//                                    treat differently within are never cached)
// Privilege changes (traps, xRET) select another set and drop nothing; MPRV selects the data set.

import { store32, memFill } from "../shim";
import { V_TLB, TLB_SET, TLB_TABLE, TLB_ENTRY, TLB_ENTRIES, TLB_LOAD, TLB_INVALID } from "../layout";

/** Tag masks for a 4- and an 8-byte data access: the page bits plus the alignment bits, so a
 *  misaligned access never matches a tag (tags are page addresses) and takes the slow path. */
export const MASK_WORD: i32 = -4093;
export const MASK_DOUBLE: i32 = -4089;

/** Index of the entry for virtual address va inside a table, as a byte offset. */
export function tlbSlot(va: i32): i32 {
  return ((va >>> 12) & (TLB_ENTRIES - 1)) * TLB_ENTRY;
}

export function tlbFlushAll(vcpu: i32): void {
  memFill(vcpu + V_TLB, 0xff, 3 * TLB_SET);
}

/** Drop every translated entry (U and S sets). */
export function tlbFlushTranslated(vcpu: i32): void {
  memFill(vcpu + V_TLB, 0xff, 2 * TLB_SET);
}

/** Drop the entries that cache virtual page `va` in the U and S sets. */
export function tlbFlushPage(vcpu: i32, va: i32): void {
  const slot = tlbSlot(va);
  for (let t = 0; t < 6; t++) store32(vcpu + V_TLB + t * TLB_TABLE + slot, TLB_INVALID);
}

/** Drop one privilege set's load and store tables (SUM changed for S). */
export function tlbFlushData(vcpu: i32, set: i32): void {
  memFill(vcpu + V_TLB + set * TLB_SET + TLB_LOAD, 0xff, 2 * TLB_TABLE);
}

/** Drop the load tables of the U and S sets (MXR changed). */
export function tlbFlushLoads(vcpu: i32): void {
  memFill(vcpu + V_TLB + TLB_LOAD, 0xff, TLB_TABLE);
  memFill(vcpu + V_TLB + TLB_SET + TLB_LOAD, 0xff, TLB_TABLE);
}

/** Install a translation: table is the address of a fetch, load or store table. */
export function tlbFill(table: i32, va: i32, hostAddr: i32): void {
  const e = table + tlbSlot(va);
  const page = va & -4096;
  store32(e, page);
  store32(e + 4, i32(hostAddr - va));
}
