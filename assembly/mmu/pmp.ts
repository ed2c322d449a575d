// Physical memory protection (privileged spec 1.12 §3.7) for machine-mode guests: 16 entries,
// each a configuration byte (pmpcfg0-3: R, W, X, the address-matching mode A — OFF, TOR, NA4,
// NAPOT — and the lock bit L) and an address register (pmpaddr0-15: bits 33:2 of a physical
// address; the grain is 4 bytes, so NA4 exists).
//
// Rules: the lowest-numbered entry that matches any byte of an access decides it, and it must
// match every byte; an S- or U-mode access that no entry matches fails (entries exist), an
// M-mode access succeeds; a matching entry's R/W/X bind S and U always, and M only when the entry
// is locked. A locked entry ignores writes to its configuration and address, and to the address
// below it when it is a TOR entry. Page-table walks are checked as S-mode accesses.
//
// PMP is checked on the slow path only (TLB misses, device accesses, walks). A translation is
// cached (TLB, shadow table) only when one PMP decision covers its whole 4 KiB page, so a hit
// never skips a check; every PMP write drops the vCPU's cached translations. Supervisor-mode
// partitions have no PMP of their own: the hypervisor is their firmware and opens all of their
// memory to them, as OpenSBI does for a kernel.
//
// Addresses are compared as 32-bit word numbers (physical address >>> 2): guest-physical
// addresses are below 4 GiB, pmpaddr values up to 2^32 - 1 (34-bit addresses) still compare
// correctly, and no 64-bit arithmetic is needed.

import { load32, store32 } from "../shim";
import { V_MODE, V_PMPCFG, V_PMPADDR, GUEST_MACHINE, PRIV_M } from "../layout";
import { ACCESS_FETCH, ACCESS_STORE } from "../cpu/fault";
import { tlbFlushAll } from "./tlb";
import { shadowReset } from "./shadow";

export const PMP_ENTRIES: i32 = 16;

const CFG_R: i32 = 0x01;
const CFG_W: i32 = 0x02;
const CFG_X: i32 = 0x04;
const CFG_A: i32 = 0x18;
const CFG_L: i32 = 0x80;
const A_TOR: i32 = 0x08;
const A_NA4: i32 = 0x10;
const A_NAPOT: i32 = 0x18;

/** The permission bits of the PMP result: read 1, write 2, execute 4 (as in pmpcfg). */
export const PMP_ALL: i32 = 7;

/** Is PMP checked for this vCPU's accesses (a machine-mode guest)? */
export function pmpEnforced(vcpu: i32): bool {
  return load32(vcpu + V_MODE) == GUEST_MACHINE;
}

/** The permission bit an access of kind `access` needs. */
export function pmpBit(access: i32): i32 {
  return access == ACCESS_FETCH ? CFG_X : access == ACCESS_STORE ? CFG_W : CFG_R;
}

function cfgOf(vcpu: i32, i: i32): i32 {
  return (load32(vcpu + V_PMPCFG + (i & -4)) >>> ((i & 3) << 3)) & 0xff;
}

function addrOf(vcpu: i32, i: i32): i32 {
  return load32(vcpu + V_PMPADDR + (i << 2));
}

/**
 * What PMP allows privilege `priv` for the words [lo, hi] (word numbers, lo <= hi): the R/W/X
 * bits of the deciding entry (all of them for M through an unlocked entry or with no match;
 * none for S/U with no match), or -1 when the deciding entry does not cover every word (the
 * access fails; a page so split must not be cached).
 */
export function pmpPerms(vcpu: i32, lo: i32, hi: i32, priv: i32): i32 {
  for (let i = 0; i < PMP_ENTRIES; i++) {
    const cfg = cfgOf(vcpu, i);
    const a = cfg & CFG_A;
    if (a == 0) continue;
    // The entry's words [first, last] (inclusive); empty TOR ranges match nothing.
    let first = 0;
    let last = 0;
    const addr = addrOf(vcpu, i);
    if (a == A_TOR) {
      first = i == 0 ? 0 : addrOf(vcpu, i - 1);
      if (u32(first) >= u32(addr)) continue;
      last = i32(addr - 1);
    } else if (a == A_NA4) {
      first = addr;
      last = addr;
    } else {
      // NAPOT: t trailing ones of pmpaddr give a region of 2^(t+1) words (8 bytes and up);
      // addr ^ (addr + 1) is 2^(t+1) - 1, all ones for all-ones pmpaddr (the whole space).
      const mask = addr ^ i32(addr + 1);
      first = addr & ~mask;
      last = first | mask;
    }
    if (u32(hi) < u32(first) || u32(lo) > u32(last)) continue; // no word of the range matches
    if (u32(lo) < u32(first) || u32(hi) > u32(last)) return -1; // some words match, not all
    return priv == PRIV_M && (cfg & CFG_L) == 0 ? PMP_ALL : cfg & PMP_ALL;
  }
  return priv == PRIV_M ? PMP_ALL : 0;
}

/** Does PMP allow an access of kind `access` by `priv` to the word holding physical `pa`? */
export function pmpAllows(vcpu: i32, pa: i32, access: i32, priv: i32): bool {
  const word = pa >>> 2;
  const perms = pmpPerms(vcpu, word, word, priv);
  return perms >= 0 && (perms & pmpBit(access)) != 0;
}

/** What PMP allows `priv` for the whole 4 KiB page of physical `pa`, or -1 if it is not one
 *  decision (the page must not be cached). */
export function pmpPagePerms(vcpu: i32, pa: i32, priv: i32): i32 {
  const first = (pa & -4096) >>> 2;
  return pmpPerms(vcpu, first, first + 1023, priv);
}

// ── The CSRs ────────────────────────────────────────────────────────────────────────────────

/** pmpcfg`n` (n = 0..3; each holds entries 4n..4n+3). */
export function pmpcfgRead(vcpu: i32, n: i32): i32 {
  return load32(vcpu + V_PMPCFG + (n << 2));
}

/** Write pmpcfg`n`: locked entries keep their byte; reserved bits (5, 6) read zero; the
 *  reserved R = 0, W = 1 combination keeps W clear. */
export function pmpcfgWrite(vcpu: i32, n: i32, value: i32): void {
  const old = pmpcfgRead(vcpu, n);
  let next = 0;
  for (let k = 0; k < 4; k++) {
    const shift = k << 3;
    const before = (old >>> shift) & 0xff;
    let cfg = (value >>> shift) & 0xff;
    if ((before & CFG_L) != 0) {
      cfg = before;
    } else {
      cfg &= CFG_R | CFG_W | CFG_X | CFG_A | CFG_L;
      if ((cfg & (CFG_R | CFG_W)) == CFG_W) cfg &= ~CFG_W;
    }
    next |= cfg << shift;
  }
  if (next != old) {
    store32(vcpu + V_PMPCFG + (n << 2), next);
    pmpChanged(vcpu);
  }
}

export function pmpaddrRead(vcpu: i32, i: i32): i32 {
  return addrOf(vcpu, i);
}

/** Write pmpaddr`i`, unless its entry is locked, or the next is a locked TOR entry. */
export function pmpaddrWrite(vcpu: i32, i: i32, value: i32): void {
  if ((cfgOf(vcpu, i) & CFG_L) != 0) return;
  if (i + 1 < PMP_ENTRIES) {
    const next = cfgOf(vcpu, i + 1);
    if ((next & CFG_L) != 0 && (next & CFG_A) == A_TOR) return;
  }
  if (value == addrOf(vcpu, i)) return;
  store32(vcpu + V_PMPADDR + (i << 2), value);
  pmpChanged(vcpu);
}

/** Cached translations were checked against the old PMP: drop them. */
function pmpChanged(vcpu: i32): void {
  tlbFlushAll(vcpu);
  shadowReset(vcpu);
}
