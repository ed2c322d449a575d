// Sv32 address translation (privileged spec 1.12, §4.3.2 "Virtual Address Translation Process").
//
// translate() walks the guest's own two-level page table, checks the leaf's permissions for the
// access kind and privilege (U bit, SUM, MXR), rejects misaligned superpages, and sets the A and
// D bits in the guest's PTE the way hardware that manages them does (§4.3.1: the update is made
// only when the access is permitted). PTE reads and writes go through the partition's physical
// map, so a guest page table can only live in that partition's RAM, and PMP checks them as
// S-mode accesses (§3.7.1): a denied PTE access is an access fault of the original kind.

import { load32, store32 } from "../shim";
import { dirtyMark } from "./dirty";
import { jitWrote } from "../jit/frontend";
import {
  V_SATP, V_MSTATUS, V_STAT_WALKS, SYS_STAT_WALKS, PRIV_M, PRIV_S, PRIV_U, PM_BASE, PM_KIND, PM_TARGET,
  PM_MMIO, PM_KIND_MASK, PM_NO_READ, PM_NO_WRITE, DSM_READ, DSM_WRITE,
} from "../layout";
import {
  raise, ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, CAUSE_FETCH_PAGE, CAUSE_LOAD_PAGE, CAUSE_STORE_PAGE,
  CAUSE_FETCH_ACCESS, CAUSE_LOAD_ACCESS, CAUSE_STORE_ACCESS,
} from "../cpu/fault";
import {
  MSTATUS_SUM, MSTATUS_MXR, SATP_PPN, PTE_V, PTE_R, PTE_W, PTE_X, PTE_U, PTE_A, PTE_D,
} from "../kernel/bits";
import { gpaRegion } from "./physmap";
import { dsmLacks } from "./dsm";
import { pmpEnforced, pmpAllows } from "./pmp";

export function pageFaultCause(access: i32): i32 {
  return access == ACCESS_FETCH ? CAUSE_FETCH_PAGE : access == ACCESS_STORE ? CAUSE_STORE_PAGE : CAUSE_LOAD_PAGE;
}

export function accessFaultCause(access: i32): i32 {
  return access == ACCESS_FETCH ? CAUSE_FETCH_ACCESS : access == ACCESS_STORE ? CAUSE_STORE_ACCESS : CAUSE_LOAD_ACCESS;
}

/**
 * Host address of the PTE at physical address pteAddr, or -1 if no readable RAM backs it (the
 * region is found the way the paging mode finds it: in nested mode a stage-2 walk).
 */
function pteHost(vcpu: i32, pteAddr: i32): i32 {
  const region = gpaRegion(vcpu, pteAddr);
  if (region == 0) return -1;
  const kind = load32(region + PM_KIND);
  if ((kind & PM_KIND_MASK) == PM_MMIO || (kind & PM_NO_READ) != 0) return -1;
  pteWritable = (kind & PM_NO_WRITE) == 0;
  return i32(load32(region + PM_TARGET) + (pteAddr - load32(region + PM_BASE)));
}

/** Whether the region holding the last PTE read may be written (for the A/D update). */
let pteWritable: bool = true;

/** The leaf PTE and its level of the last successful walk (for the shadow tables). */
export let walkPte: i32 = 0;
export let walkLevel: i32 = 0;

/**
 * Does leaf `pte` allow an access of kind `access` at privilege `priv` under `mstatus` (SUM, MXR)?
 * (§4.3.2 step 5; the A/D rules are separate.)
 */
export function leafAllows(pte: i32, access: i32, priv: i32, mstatus: i32): bool {
  let allowed = false;
  if (access == ACCESS_FETCH) allowed = (pte & PTE_X) != 0;
  else if (access == ACCESS_STORE) allowed = (pte & PTE_W) != 0;
  else allowed = (pte & PTE_R) != 0 || ((mstatus & MSTATUS_MXR) != 0 && (pte & PTE_X) != 0);
  if ((pte & PTE_U) != 0) {
    // S-mode may touch user pages only with SUM, and never execute them.
    if (priv != PRIV_U && (access == ACCESS_FETCH || (mstatus & MSTATUS_SUM) == 0)) allowed = false;
  } else if (priv == PRIV_U) {
    allowed = false;
  }
  return allowed;
}

/**
 * Translate virtual address va for an access of kind `access` at privilege `priv`.
 * Returns the physical address; on failure raises a page or access fault (tval = va) and
 * returns 0 — callers test slowStatus.
 */
export function translate(vcpu: i32, va: i32, access: i32, priv: i32): i32 {
  const satp = load32(vcpu + V_SATP);
  if (priv == PRIV_M || satp >= 0) return va; // M-mode, or satp.MODE = Bare
  const mstatus = load32(vcpu + V_MSTATUS);
  store32(SYS_STAT_WALKS, i32(load32(SYS_STAT_WALKS) + 1));
  store32(vcpu + V_STAT_WALKS, i32(load32(vcpu + V_STAT_WALKS) + 1));
  const ppnRoot = satp & SATP_PPN;
  if ((ppnRoot >>> 20) != 0) {
    // The root table lies above 4 GiB, where this machine has no memory.
    raise(accessFaultCause(access), va);
    return 0;
  }
  let table = ppnRoot << 12;
  const pmp = pmpEnforced(vcpu);
  let pteAddr = 0;
  let level = 1;
  let pte = 0;
  let host = 0;
  while (true) {
    const index = level == 1 ? va >>> 22 : (va >>> 12) & 0x3ff;
    pteAddr = i32(table + (index << 2));
    host = pteHost(vcpu, pteAddr);
    if (host < 0 || (pmp && !pmpAllows(vcpu, pteAddr, ACCESS_LOAD, PRIV_S))) {
      raise(accessFaultCause(access), va);
      return 0;
    }
    if (dsmLacks(host, DSM_READ)) return 0; // (vNUMA: the page table's page is elsewhere)
    pte = load32(host);
    if ((pte & PTE_V) == 0 || (pte & (PTE_R | PTE_W)) == PTE_W) {
      raise(pageFaultCause(access), va);
      return 0;
    }
    if ((pte & (PTE_R | PTE_X)) != 0) break; // leaf
    if (level == 0) {
      raise(pageFaultCause(access), va);
      return 0;
    }
    if ((pte >>> 30) != 0) {
      raise(accessFaultCause(access), va);
      return 0;
    }
    table = (pte >>> 10) << 12;
    level = 0;
  }

  // Leaf permission checks (§4.3.2 step 5).
  if (!leafAllows(pte, access, priv, mstatus)) {
    raise(pageFaultCause(access), va);
    return 0;
  }
  // A misaligned superpage (§4.3.2 step 6).
  if (level == 1 && ((pte >>> 10) & 0x3ff) != 0) {
    raise(pageFaultCause(access), va);
    return 0;
  }
  // Hardware A/D update (§4.3.2 step 7).
  const need = access == ACCESS_STORE ? PTE_A | PTE_D : PTE_A;
  if ((pte & need) != need) {
    // The update is a store: a page table in a read-only region cannot take it (§4.3.2 step 7).
    if (!pteWritable || (pmp && !pmpAllows(vcpu, pteAddr, ACCESS_STORE, PRIV_S))) {
      raise(accessFaultCause(access), va);
      return 0;
    }
    if (dsmLacks(host, DSM_WRITE)) return 0;
    pte |= need;
    store32(host, pte);
    dirtyMark(host);
    jitWrote(host, 4); // (a page table may share a page with translated code: docs/jit.md)
  }
  walkPte = pte;
  walkLevel = level;

  if ((pte >>> 30) != 0) {
    // The page lies above 4 GiB (Sv32 physical addresses have 34 bits): nothing is there.
    raise(accessFaultCause(access), va);
    return 0;
  }
  const offsetMask = level == 1 ? 0x3fffff : 0xfff;
  return ((pte >>> 10) << 12) & ~offsetMask | (va & offsetMask);
}
