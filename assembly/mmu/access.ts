// Slow paths of guest memory access: everything the interpreter's TLB fast path does not
// handle. Each resolves a virtual address (translation, physical map), fills the TLB when the
// result may be cached (one PMP decision covers the page, and no trigger may match an access of
// that kind to it: kernel/trigger.ts), and performs the access: RAM directly, devices through
// the host. (Triggers themselves are checked by the interpreter before it calls these.)
//
// Misaligned loads and stores are performed (privileged spec §3.6.3.3 lets the execution
// environment handle them); a misaligned store checks both pages before writing any byte, so a
// fault leaves memory unchanged. LR/SC and AMOs must be aligned (they raise address-misaligned).

import {
  load8, load8s, load16, load16s, load32, store8, store16, store32, hostMmioRead, hostMmioWrite,
} from "../shim";
import {
  V_PRIV, V_MSTATUS, V_SATP, V_SHADOW_CUR, V_STAT_SHADOW_FILLS, V_STAT_SHADOW_HITS, V_STAT_MMIO,
  PRIV_M, PM_BASE, PM_KIND, PM_TARGET, PM_MMIO, PM_RAM, PM_RAM_WATCH, PM_KIND_MASK, PM_NO_READ,
  PM_NO_WRITE, PM_NO_EXEC, TLB_FETCH, TLB_LOAD, TLB_STORE, SYS_NOW_LO, SYS_NOW_HI, SYS_HOST_REQ,
  SYS_WATCH_ADDR, SYS_STAT_TLB_FILLS, SYS_STAT_MMIO, SYS_STAT_SHADOW_HITS, SYS_HV_MODE, SYS_PAGING,
  PAGING_SHADOW, SE_TAG, SE_ADDEND, SE_PTE, SE_LEVEL, SHADOW_GLOBAL, HOSTREQ_RETRY, tlbSetAddr,
  THREADED, DSM_READ, DSM_WRITE,
} from "../layout";
import { dsmMiss, dsmRight } from "./dsm";
import {
  raise, setStatus, slowStatus, STATUS_RESYNC, STATUS_WATCH, STATUS_RETRY, ACCESS_FETCH, ACCESS_LOAD,
  ACCESS_STORE, CAUSE_LOAD_ACCESS, CAUSE_STORE_ACCESS, CAUSE_FETCH_ACCESS,
  CAUSE_LOAD_MISALIGNED, CAUSE_STORE_MISALIGNED,
} from "../cpu/fault";
import { MSTATUS_MPRV } from "../kernel/bits";
import { clockLo, clockHi } from "../kernel/counters";
import { translate, accessFaultCause, leafAllows, walkPte, walkLevel } from "./sv32";
import { gpaRegion } from "./physmap";
import { shadowEntry, shadowMarkUsed } from "./shadow";
import { PTE_D, PTE_G } from "../kernel/bits";
import { tlbSlot, tlbFill } from "./tlb";
import { jitWrote } from "../jit/frontend";
import { dirtyMark } from "./dirty";
import { pmpEnforced, pmpAllows, pmpPagePerms, pmpBit, PMP_ALL } from "./pmp";
import { triggerPageBlocked } from "../kernel/trigger";

/** Privilege of data accesses: with mstatus.MPRV, M-mode loads and stores act at MPP. */
export function dataPriv(vcpu: i32): i32 {
  const priv = load32(vcpu + V_PRIV);
  if (priv != PRIV_M) return priv;
  const mstatus = load32(vcpu + V_MSTATUS);
  return (mstatus & MSTATUS_MPRV) != 0 ? (mstatus >> 11) & 3 : PRIV_M;
}

// Results of resolve() besides its return value.
/** The answer holds for the whole page (PMP makes one decision for it): it may be cached. */
let resolvedCacheable: bool = true;
let resolvedKind: i32 = 0;
let resolvedPa: i32 = 0;
let resolvedDevice: i32 = 0;
let resolvedOffset: i32 = 0;

const RESOLVE_FAULT: i32 = -1;
const RESOLVE_MMIO: i32 = -2;

/** The region deny bits (PM_NO_*) for what PMP does not allow on a page (a shadow entry keeps
 *  them with the region's own). */
function pmpDenyBits(perms: i32): i32 {
  return ((perms & 1) == 0 ? PM_NO_READ : 0) | ((perms & 2) == 0 ? PM_NO_WRITE : 0) | ((perms & 4) == 0 ? PM_NO_EXEC : 0);
}

/** Region permission bit that denies an access of kind `access`. */
function denyBit(access: i32): i32 {
  return access == ACCESS_FETCH ? PM_NO_EXEC : access == ACCESS_STORE ? PM_NO_WRITE : PM_NO_READ;
}

/** Are shadow page tables in use (shadow paging mode of the partitioned system)? */
function shadowing(): bool {
  return load32(SYS_HV_MODE) != 0 && load32(SYS_PAGING) == PAGING_SHADOW;
}

/**
 * Translate va and locate it in the physical map. Returns the host address of RAM, RESOLVE_MMIO
 * for a device (resolvedDevice/resolvedOffset set), or RESOLVE_FAULT with the fault raised.
 * With shadow paging, a translated access first consults the shadow page table of the current
 * address space, and a walk that ends in RAM refills it.
 */
function resolve(vcpu: i32, va: i32, access: i32, priv: i32): i32 {
  const translated = priv != PRIV_M && load32(vcpu + V_SATP) < 0;
  const slot = translated && shadowing() ? load32(vcpu + V_SHADOW_CUR) : -1;
  if (slot >= 0) {
    // This address space's table first, then the one of global mappings all of them share.
    let e = shadowEntry(vcpu, slot, va);
    if (load32(e + SE_TAG) != (va & -4096)) e = shadowEntry(vcpu, SHADOW_GLOBAL, va);
    if (load32(e + SE_TAG) == (va & -4096)) {
      const pte = load32(e + SE_PTE);
      // A store to a page whose D bit is clear walks, so the guest's PTE gets its D bit.
      if (leafAllows(pte, access, priv, load32(vcpu + V_MSTATUS)) && (access != ACCESS_STORE || (pte & PTE_D) != 0) &&
        (load32(e + SE_LEVEL) & denyBit(access)) == 0) {
        countShadowHit(vcpu);
        resolvedKind = PM_RAM;
        const hit = i32(va + load32(e + SE_ADDEND));
        if (access == ACCESS_STORE) dirtyMark(hit);
        return hit;
      }
      // Otherwise the walk decides: it raises the fault, or updates D and refills.
    }
  }
  const pa = translate(vcpu, va, access, priv);
  if (slowStatus != 0) return RESOLVE_FAULT;
  // Physical memory protection (mmu/pmp.ts): this access's word, then whether one decision
  // covers the page (else nothing about it is cached, and every access comes back here).
  let pmpDeny = 0;
  resolvedCacheable = true;
  if (pmpEnforced(vcpu)) {
    if (!pmpAllows(vcpu, pa, access, priv)) {
      raise(accessFaultCause(access), va);
      return RESOLVE_FAULT;
    }
    const page = pmpPagePerms(vcpu, pa, priv);
    if (page < 0 || (page & pmpBit(access)) == 0) resolvedCacheable = false;
    else pmpDeny = pmpDenyBits(page);
  }
  const region = gpaRegion(vcpu, pa);
  if (region == 0) {
    raise(accessFaultCause(access), va);
    return RESOLVE_FAULT;
  }
  const kind = load32(region + PM_KIND);
  if ((kind & denyBit(access)) != 0) {
    raise(accessFaultCause(access), va);
    return RESOLVE_FAULT;
  }
  resolvedKind = kind & PM_KIND_MASK;
  resolvedPa = pa;
  resolvedOffset = i32(pa - load32(region + PM_BASE));
  if (resolvedKind == PM_MMIO) {
    resolvedDevice = load32(region + PM_TARGET);
    return RESOLVE_MMIO;
  }
  const host = i32(load32(region + PM_TARGET) + resolvedOffset);
  // vNUMA (threaded build): a page this node holds no copy of, or only a read copy of for a
  // store, is fetched by the host first (layout.ts SYS_DSM_BASE; docs/vnuma.md).
  const right = dsmRight(host);
  const want = access == ACCESS_STORE ? DSM_WRITE : DSM_READ;
  if (THREADED && right < want) {
    dsmMiss(host, want);
    return RESOLVE_FAULT;
  }
  // (a shadow entry made under a read copy must not let a store through)
  const dsmDeny = right < DSM_WRITE ? PM_NO_WRITE : 0;
  // Every store the slow paths perform resolves here first (byte, word, misaligned, 64-bit,
  // atomic): the one place live migration's dirty tracking marks them (mmu/dirty.ts).
  if (access == ACCESS_STORE) dirtyMark(host);
  if (slot >= 0 && resolvedKind == PM_RAM && resolvedCacheable) {
    // Compose: this virtual page → the host page the partition's map gives its physical page.
    // A global mapping goes to the table every address space shares.
    const into = (walkPte & PTE_G) != 0 ? SHADOW_GLOBAL : slot;
    const e = shadowEntry(vcpu, into, va);
    store32(e + SE_TAG, va & -4096);
    store32(e + SE_ADDEND, i32(host - va));
    store32(e + SE_PTE, walkPte);
    store32(e + SE_LEVEL, walkLevel | (kind & ~PM_KIND_MASK) | pmpDeny | dsmDeny);
    shadowMarkUsed(vcpu, into);
    store32(vcpu + V_STAT_SHADOW_FILLS, i32(load32(vcpu + V_STAT_SHADOW_FILLS) + 1));
  }
  return host;
}

function countShadowHit(vcpu: i32): void {
  store32(SYS_STAT_SHADOW_HITS, i32(load32(SYS_STAT_SHADOW_HITS) + 1));
  store32(vcpu + V_STAT_SHADOW_HITS, i32(load32(vcpu + V_STAT_SHADOW_HITS) + 1));
}

/** May the page of the access just resolved be cached in the TLB of `priv` for `access`? Only
 *  when one PMP decision covers it (resolve) and no trigger may match an access to it there
 *  (kernel/trigger.ts): the fast path checks neither. */
function cacheable(vcpu: i32, access: i32, priv: i32, va: i32): bool {
  return resolvedCacheable && !triggerPageBlocked(vcpu, access, priv, va);
}

function countFill(): void {
  store32(SYS_STAT_TLB_FILLS, i32(load32(SYS_STAT_TLB_FILLS) + 1));
}

/** Publish the exact current time for the device, count the exit. */
function mmioBegin(vcpu: i32): void {
  store32(SYS_NOW_LO, clockLo());
  store32(SYS_NOW_HI, clockHi());
  store32(SYS_STAT_MMIO, i32(load32(SYS_STAT_MMIO) + 1));
  store32(vcpu + V_STAT_MMIO, i32(load32(vcpu + V_STAT_MMIO) + 1));
}

/** A device may have posted a request (halt, interrupt line change): leave the inner loop. A
 *  device with more work for this access than one exit may do asks for the access again. */
function mmioEnd(): void {
  const req = load32(SYS_HOST_REQ);
  if ((req & HOSTREQ_RETRY) != 0) {
    store32(SYS_HOST_REQ, req & ~HOSTREQ_RETRY);
    setStatus(STATUS_RETRY);
  } else if (req != 0) {
    setStatus(STATUS_RESYNC);
  }
}

/** Read RAM at a host address with the width and extension of LOAD funct3. */
function loadHost(host: i32, f3: i32): i32 {
  switch (f3) {
    case 0: return load8s(host);
    case 1: return load16s(host);
    case 4: return load8(host);
    case 5: return load16(host);
    default: return load32(host);
  }
}

function extend(value: i32, f3: i32): i32 {
  switch (f3) {
    case 0: return (value << 24) >> 24;
    case 1: return (value << 16) >> 16;
    case 4: return value & 0xff;
    case 5: return value & 0xffff;
    default: return value;
  }
}

/** Load that missed the TLB (LOAD funct3: 0 LB, 1 LH, 2 LW, 4 LBU, 5 LHU). */
export function loadSlow(vcpu: i32, va: i32, f3: i32): i32 {
  const size = 1 << (f3 & 3);
  const priv = dataPriv(vcpu);
  if ((va & (size - 1)) != 0) return loadMisaligned(vcpu, va, f3, size, priv);
  const host = resolve(vcpu, va, ACCESS_LOAD, priv);
  if (host == RESOLVE_FAULT) return 0;
  if (host == RESOLVE_MMIO) {
    mmioBegin(vcpu);
    const value = hostMmioRead(resolvedDevice, resolvedOffset, size);
    mmioEnd();
    return extend(value, f3);
  }
  if (cacheable(vcpu, ACCESS_LOAD, priv, va)) {
    tlbFill(tlbSetAddr(vcpu, priv) + TLB_LOAD, va, host);
    countFill();
  }
  return loadHost(host, f3);
}

function loadMisaligned(vcpu: i32, va: i32, f3: i32, size: i32, priv: i32): i32 {
  let value = 0;
  for (let i = 0; i < size; i++) {
    const host = resolve(vcpu, i32(va + i), ACCESS_LOAD, priv);
    if (host == RESOLVE_FAULT) return 0;
    if (host == RESOLVE_MMIO) {
      raise(CAUSE_LOAD_ACCESS, va);
      return 0;
    }
    value |= load8(host) << (i << 3);
  }
  return extend(value, f3);
}

function storeHost(host: i32, size: i32, value: i32): void {
  if (size == 4) store32(host, value);
  else if (size == 2) store16(host, value);
  else store8(host, value);
}

/** Store that missed the TLB (STORE funct3: 0 SB, 1 SH, 2 SW). */
export function storeSlow(vcpu: i32, va: i32, f3: i32, value: i32): void {
  const size = 1 << (f3 & 3);
  const priv = dataPriv(vcpu);
  if ((va & (size - 1)) != 0) {
    storeMisaligned(vcpu, va, size, value, priv);
    return;
  }
  const host = resolve(vcpu, va, ACCESS_STORE, priv);
  if (host == RESOLVE_FAULT) return;
  if (host == RESOLVE_MMIO) {
    mmioBegin(vcpu);
    hostMmioWrite(resolvedDevice, resolvedOffset, size, size == 4 ? value : value & ((1 << (size << 3)) - 1));
    mmioEnd();
    return;
  }
  storeHost(host, size, value);
  jitWrote(host, size); // (a page with translated code is never in a store TLB: docs/jit.md)
  if (resolvedKind == PM_RAM) {
    if (cacheable(vcpu, ACCESS_STORE, priv, va)) {
      tlbFill(tlbSetAddr(vcpu, priv) + TLB_STORE, va, host);
      countFill();
    }
  } else if (resolvedKind == PM_RAM_WATCH) {
    store32(SYS_WATCH_ADDR, resolvedPa);
    setStatus(STATUS_WATCH);
  }
}

function storeMisaligned(vcpu: i32, va: i32, size: i32, value: i32, priv: i32): void {
  // Resolve both parts first (the first byte's word, and the part that starts at the next page
  // or, within a page, at the last byte's word: PMP decides per word): nothing is written unless
  // every byte can be. A fault names the part that faulted by its first byte (priv spec §3.1.16).
  const last = i32(va + size - 1);
  const split = ((va ^ last) & -4096) != 0 ? last & -4096 : last & -4;
  const hostFirst = resolve(vcpu, va, ACCESS_STORE, priv);
  if (hostFirst == RESOLVE_FAULT) return;
  const firstKind = resolvedKind;
  const firstPa = resolvedPa;
  const hostSplit = resolve(vcpu, split, ACCESS_STORE, priv);
  if (hostSplit == RESOLVE_FAULT) return;
  if (hostFirst == RESOLVE_MMIO || hostSplit == RESOLVE_MMIO) {
    raise(CAUSE_STORE_ACCESS, va);
    return;
  }
  for (let i = 0; i < size; i++) {
    const at = i32(va + i);
    const samePage = ((at ^ va) & -4096) == 0;
    const host = samePage ? i32(hostFirst + i) : i32(hostSplit + (at - split));
    store8(host, value >> (i << 3));
    jitWrote(host, 1);
  }
  if (firstKind == PM_RAM_WATCH || resolvedKind == PM_RAM_WATCH) {
    store32(SYS_WATCH_ADDR, firstKind == PM_RAM_WATCH ? firstPa : resolvedPa);
    setStatus(STATUS_WATCH);
  }
}

/**
 * Host address of the instruction parcel at va for privilege priv, through the fetch TLB;
 * -1 with a fault raised if it cannot be fetched (devices are not executable).
 */
export function fetchHost(vcpu: i32, va: i32, priv: i32): i32 {
  const table = tlbSetAddr(vcpu, priv) + TLB_FETCH;
  const e = table + tlbSlot(va);
  if (load32(e) == (va & -4096)) return i32(va + load32(e + 4));
  const host = resolve(vcpu, va, ACCESS_FETCH, priv);
  if (host == RESOLVE_FAULT) return -1;
  if (host == RESOLVE_MMIO) {
    raise(CAUSE_FETCH_ACCESS, va);
    return -1;
  }
  if (cacheable(vcpu, ACCESS_FETCH, priv, va)) {
    tlbFill(table, va, host);
    countFill();
  }
  return host;
}

/**
 * Host address for LR (access = load) or SC/AMO (access = store) at va. These must be aligned
 * and must hit RAM; -1 with a fault raised otherwise.
 */
export function atomicHost(vcpu: i32, va: i32, access: i32): i32 {
  if ((va & 3) != 0) {
    raise(access == ACCESS_LOAD ? CAUSE_LOAD_MISALIGNED : CAUSE_STORE_MISALIGNED, va);
    return -1;
  }
  const priv = dataPriv(vcpu);
  const table = tlbSetAddr(vcpu, priv) + (access == ACCESS_LOAD ? TLB_LOAD : TLB_STORE);
  const e = table + tlbSlot(va);
  if (load32(e) == (va & -4096)) return i32(va + load32(e + 4));
  const host = resolve(vcpu, va, access, priv);
  if (host == RESOLVE_FAULT) return -1;
  if (host == RESOLVE_MMIO) {
    raise(access == ACCESS_LOAD ? CAUSE_LOAD_ACCESS : CAUSE_STORE_ACCESS, va);
    return -1;
  }
  if (access != ACCESS_LOAD) jitWrote(host, 4); // (the AMO or SC writes right after)
  if (resolvedKind == PM_RAM || access == ACCESS_LOAD) {
    if (cacheable(vcpu, access, priv, va)) {
      tlbFill(table, va, host);
      countFill();
    }
  } else {
    store32(SYS_WATCH_ADDR, resolvedPa);
    setStatus(STATUS_WATCH);
  }
  return host;
}

// ── 8-byte accesses (FLD, FSD) ──────────────────────────────────────────────────────────────
// Every part is resolved (translation, PMP, physical map) before any register or byte changes:
// four-byte-aligned accesses as two words, others byte by byte. Devices take accesses of at
// most 32 bits here, so an 8-byte access that reaches one is an access fault.

/** The high word of the last loadSlow64(). */
export let loadedHi: i32 = 0;

/** An 8-byte load that missed the TLB: returns the low word, the high one in loadedHi. */
export function loadSlow64(vcpu: i32, va: i32): i32 {
  const priv = dataPriv(vcpu);
  const step = (va & 3) == 0 ? 4 : 1;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 8; i += step) {
    const at = i32(va + i);
    const host = resolve(vcpu, at, ACCESS_LOAD, priv);
    if (host == RESOLVE_FAULT) return 0;
    if (host == RESOLVE_MMIO) {
      raise(CAUSE_LOAD_ACCESS, step == 4 ? at : va);
      return 0;
    }
    if (step == 4) {
      if (i == 0) lo = load32(host);
      else hi = load32(host);
      if (cacheable(vcpu, ACCESS_LOAD, priv, at)) {
        tlbFill(tlbSetAddr(vcpu, priv) + TLB_LOAD, at, host);
        countFill();
      }
    } else if (i < 4) {
      lo |= load8(host) << (i << 3);
    } else {
      hi |= load8(host) << ((i - 4) << 3);
    }
  }
  loadedHi = hi;
  return lo;
}

/** An 8-byte store that missed the TLB: nothing is written unless all eight bytes can be. */
export function storeSlow64(vcpu: i32, va: i32, lo: i32, hi: i32): void {
  const priv = dataPriv(vcpu);
  if ((va & 3) != 0) {
    storeMisaligned64(vcpu, va, lo, hi, priv);
    return;
  }
  const at1 = i32(va + 4);
  const host0 = resolve(vcpu, va, ACCESS_STORE, priv);
  if (host0 == RESOLVE_FAULT) return;
  const kind0 = resolvedKind;
  const pa0 = resolvedPa;
  const cache0 = host0 >= 0 && cacheable(vcpu, ACCESS_STORE, priv, va);
  const host1 = resolve(vcpu, at1, ACCESS_STORE, priv);
  if (host1 == RESOLVE_FAULT) return;
  if (host0 == RESOLVE_MMIO || host1 == RESOLVE_MMIO) {
    raise(CAUSE_STORE_ACCESS, host0 == RESOLVE_MMIO ? va : at1);
    return;
  }
  store32(host0, lo);
  store32(host1, hi);
  jitWrote(host0, 4);
  jitWrote(host1, 4);
  if (kind0 == PM_RAM && cache0) {
    tlbFill(tlbSetAddr(vcpu, priv) + TLB_STORE, va, host0);
    countFill();
  }
  if (resolvedKind == PM_RAM && cacheable(vcpu, ACCESS_STORE, priv, at1)) {
    tlbFill(tlbSetAddr(vcpu, priv) + TLB_STORE, at1, host1);
    countFill();
  }
  if (kind0 == PM_RAM_WATCH || resolvedKind == PM_RAM_WATCH) {
    store32(SYS_WATCH_ADDR, kind0 == PM_RAM_WATCH ? pa0 : resolvedPa);
    setStatus(STATUS_WATCH);
  }
}

/** A misaligned 8-byte store: every byte resolved first, then written (resolved again). */
function storeMisaligned64(vcpu: i32, va: i32, lo: i32, hi: i32, priv: i32): void {
  for (let i = 0; i < 8; i++) {
    const host = resolve(vcpu, i32(va + i), ACCESS_STORE, priv);
    if (host == RESOLVE_FAULT) return;
    if (host == RESOLVE_MMIO) {
      raise(CAUSE_STORE_ACCESS, va);
      return;
    }
  }
  let watched = false;
  let watchPa = 0;
  for (let i = 0; i < 8; i++) {
    const host = resolve(vcpu, i32(va + i), ACCESS_STORE, priv);
    store8(host, i < 4 ? lo >> (i << 3) : hi >> ((i - 4) << 3));
    jitWrote(host, 1);
    if (resolvedKind == PM_RAM_WATCH && !watched) {
      watched = true;
      watchPa = resolvedPa;
    }
  }
  if (watched) {
    store32(SYS_WATCH_ADDR, watchPa);
    setStatus(STATUS_WATCH);
  }
}
