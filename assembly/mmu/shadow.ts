// Shadow page tables (shadow paging mode of the partitioned system).
//
// For each vCPU, SHADOW_SLOTS tables cache composed translations of recently used guest address
// spaces, one table per (ASID, root table) pair: for a guest virtual page, the guest's leaf PTE
// (its permissions, after the hardware A/D update) and where the partition's physical map puts
// the page in host memory. Translations the guest marks global (PTE.G: a kernel's mappings,
// identical in every address space, priv spec 4.3.1) go into one more table, SHADOW_GLOBAL,
// shared by all of them, so a new address space does not walk again for the kernel. A TLB miss
// consults the current table, then the global one, before walking the guest's page table; the
// walk (sv32.ts, composed with the map) refills them. Switching address spaces (satp) selects
// another slot instead of discarding work, and fences drop only what they must:
//
//   SFENCE.VMA x0, x0        every slot and the global table
//   SFENCE.VMA va, x0        va's entry in every slot and in the global table
//   SFENCE.VMA x0, asid      the non-global entries of that ASID's slot
//   SFENCE.VMA va, asid      va's entry in that ASID's slot, unless it is global
//
// The interpreter's TLBs are not ASID-tagged: they are flushed when the current address space's
// translations change (satp write, a fence that covers the current ASID).

import { load32, store32, memFill } from "../shim";
import {
  V_SATP, V_SHADOW, V_SHADOW_CUR, V_SHADOW_AGE, V_SHADOW_META, SHADOW_META_ENTRY, SHADOW_SLOTS, SHADOW_GLOBAL,
  SHADOW_ENTRIES, SHADOW_ENTRY, SHADOW_TABLE, SM_ASID, SM_ROOT, SM_AGE, SM_USED, SE_TAG, SE_PTE,
} from "../layout";
import { tlbFlushTranslated, tlbFlushPage } from "./tlb";
import { PTE_G } from "../kernel/bits";


/**
 * Entry address for virtual address va in slot `slot`. The tables are direct-mapped; the index
 * folds the megapage number into the page number, so pages at the same offset in different
 * 4 MiB regions (code at 0x8000_0000 and data at 0x4000_0000, say) do not evict each other.
 */
export function shadowEntry(vcpu: i32, slot: i32, va: i32): i32 {
  const index = ((va >>> 12) ^ (va >>> 22)) & (SHADOW_ENTRIES - 1);
  return vcpu + V_SHADOW + slot * SHADOW_TABLE + index * SHADOW_ENTRY;
}

function meta(vcpu: i32, slot: i32): i32 {
  return vcpu + V_SHADOW_META + slot * SHADOW_META_ENTRY;
}

function clearSlot(vcpu: i32, slot: i32): void {
  const m = meta(vcpu, slot);
  if (load32(m + SM_USED) != 0) {
    memFill(vcpu + V_SHADOW + slot * SHADOW_TABLE, 0xff, SHADOW_TABLE);
    store32(m + SM_USED, 0);
  }
}

/** Reset a vCPU's shadow state: every slot free and empty. */
export function shadowReset(vcpu: i32): void {
  memFill(vcpu + V_SHADOW, 0xff, (SHADOW_SLOTS + 1) * SHADOW_TABLE);
  for (let s = 0; s <= SHADOW_GLOBAL; s++) {
    const m = meta(vcpu, s);
    store32(m + SM_ASID, -1);
    store32(m + SM_ROOT, 0);
    store32(m + SM_AGE, 0);
    store32(m + SM_USED, 0);
  }
  store32(vcpu + V_SHADOW_CUR, -1);
  store32(vcpu + V_SHADOW_AGE, 0);
}

/**
 * Select the slot for the address space in satp (after a satp write): the slot of the same ASID
 * and root table if there is one, else a free or the least recently selected slot, emptied.
 */
export function shadowSelect(vcpu: i32): void {
  const satp = load32(vcpu + V_SATP);
  if (satp >= 0) {
    store32(vcpu + V_SHADOW_CUR, -1); // translation off
    return;
  }
  const asid = (satp >>> 22) & 0x1ff;
  const root = satp & 0x3fffff;
  const age = i32(load32(vcpu + V_SHADOW_AGE) + 1);
  store32(vcpu + V_SHADOW_AGE, age);
  let victim = 0;
  let oldest = 0x7fffffff;
  for (let s = 0; s < SHADOW_SLOTS; s++) {
    const m = meta(vcpu, s);
    const slotAsid = load32(m + SM_ASID);
    if (slotAsid == asid && load32(m + SM_ROOT) == root) {
      store32(m + SM_AGE, age);
      store32(vcpu + V_SHADOW_CUR, s);
      return;
    }
    const a = slotAsid == -1 ? -1 : load32(m + SM_AGE);
    if (a < oldest) {
      oldest = a;
      victim = s;
    }
  }
  clearSlot(vcpu, victim);
  const m = meta(vcpu, victim);
  store32(m + SM_ASID, asid);
  store32(m + SM_ROOT, root);
  store32(m + SM_AGE, age);
  store32(vcpu + V_SHADOW_CUR, victim);
}

/** Mark the current slot as holding entries (so clearing it is not skipped). */
export function shadowMarkUsed(vcpu: i32, slot: i32): void {
  store32(meta(vcpu, slot) + SM_USED, 1);
}

/**
 * SFENCE.VMA semantics (and SBI remote fences) for the shadow tables and the TLB:
 * `va` applies when hasVa, `asid` when hasAsid (privileged spec §4.2.1).
 */
export function shadowFence(vcpu: i32, va: i32, hasVa: bool, asid: i32, hasAsid: bool): void {
  const satp = load32(vcpu + V_SATP);
  const current = satp < 0 && ((satp >>> 22) & 0x1ff) == (asid & 0x1ff);
  // The TLB caches the current address space only.
  if (!hasAsid || current || satp >= 0) {
    if (hasVa) tlbFlushPage(vcpu, va);
    else tlbFlushTranslated(vcpu);
  }
  for (let s = 0; s <= SHADOW_GLOBAL; s++) {
    const m = meta(vcpu, s);
    if (load32(m + SM_USED) == 0) continue;
    if (s == SHADOW_GLOBAL) {
      if (hasAsid) continue; // an ASID fence keeps global mappings
    } else {
      const slotAsid = load32(m + SM_ASID);
      if (slotAsid == -1 || (hasAsid && slotAsid != (asid & 0x1ff))) continue;
    }
    if (hasVa) {
      const e = shadowEntry(vcpu, s, va);
      if (load32(e + SE_TAG) == (va & -4096) && (!hasAsid || (load32(e + SE_PTE) & PTE_G) == 0)) {
        store32(e + SE_TAG, -1);
      }
    } else if (!hasAsid) {
      clearSlot(vcpu, s);
    } else {
      // An ASID fence keeps global mappings.
      let e = vcpu + V_SHADOW + s * SHADOW_TABLE;
      const end = e + SHADOW_TABLE;
      while (e < end) {
        if ((load32(e + SE_PTE) & PTE_G) == 0) store32(e + SE_TAG, -1);
        e += SHADOW_ENTRY;
      }
    }
  }
}
