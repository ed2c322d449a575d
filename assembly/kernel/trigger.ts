// Sdtrig: the trigger module of the RISC-V Debug Specification 1.0 (chapter 5), per vCPU.
//
// TRIGGER_COUNT (4) triggers, selected by tselect, each a tdata1/tdata2 pair (tdata3 is textra32
// with every field hard-wired to 0: no context conditions; it reads 0). Each trigger supports
// (tinfo: version 1, types 3, 6 and 15):
//   type 6 mcontrol6   address match on instruction execution, loads and stores (select = 0:
//                      the compare values are the instruction's address, or every byte address
//                      of the access); match equal, NAPOT (maskmax6 = 31), >=, <, mask low/high
//                      and the four "not" variants; size any/8/16/32 bits; m, s, u; chain; hit0
//                      set when it fires ("before": hit1:hit0 = 01). No vs/vu (no H), no
//                      uncertain, no data (select = 1) matches.
//   type 3 icount      counts instructions retired and traps taken in its enabled modes; when
//                      count goes from 1 to 0 it becomes pending and fires before the next
//                      instruction in an enabled mode (count = 1 is single-stepping).
//   type 15 disabled   what writing 0 (or any unsupported type) to tdata1 gives.
// Actions: 0, a breakpoint exception (mcause 3; mtval the matching address: the instruction's
// for execute, the lowest matching byte of the access for loads and stores — the access's own
// address for a "not" type, which matches when no byte does the positive one — 0 for icount;
// with a chain, the highest of its members' matching bytes), and,
// for dmode triggers only, 1 "enter Debug Mode". There is no Debug Mode: dmode triggers belong to
// the external debugger (src/debug/, through vcpuTriggerWrite), the guest reads them but its
// writes to them are ignored, and when one fires the run stops (EXIT_BREAK) with the instruction
// neither retired nor trapped — the guest sees nothing.
//
// Timing (spec table "Suggested Trigger Timings", all "before"): an execute trigger fires before
// the instruction is fetched (above fetch page and access faults), a load or store trigger before
// the access (above its misaligned, page and access faults; a load does not write its register,
// a store writes nothing). LR is a load, SC a store (whether or not it would succeed), an AMO
// both. A chain fires when all its triggers match the same instruction; its priority is that of
// its lowest member (a chain with a load trigger fires at the load).
//
// Re-entrancy (spec §5.3 "Native Triggers", the first solution): triggers with action 0 do not
// match or fire in M-mode while mstatus.MIE = 0, nor in S-mode while sstatus.SIE = 0 when
// breakpoints are delegated (medeleg[3] = 1). So a handler entered with interrupts off cannot be
// trapped by a trigger again, and no tcontrol register is needed (0x7a5 is not implemented).
//
// Performance: nothing is checked per instruction. V_TRIG_SUMMARY says which access kinds and
// privilege levels any trigger may match; a page a trigger may match for an access kind is never
// cached in that kind's TLB of a privilege level it may match at (mmu/access.ts asks
// triggerPageBlocked before each fill), so every access that could match takes the slow path,
// which checks exactly. With no trigger active the summary is 0 and the slow paths test one word.
// Every change of a trigger drops the vCPU's TLBs. An armed icount trigger makes run() go one
// instruction per block (cpu/exec.ts), which counts each instruction's retirement with the
// privilege and mstatus it was fetched with; trapEnter counts traps.

import { load32, store32 } from "../shim";
import {
  V_TSELECT, V_TRIG_SUMMARY, V_DEBUG_HIT, V_DEBUG_ADDR, V_TRIGGERS, TRIGGER_COUNT, TRIGGER_ENTRY,
  V_MSTATUS, V_MEDELEG, V_PRIV, PRIV_M, PRIV_S,
} from "../layout";
import { raise, CAUSE_TRIGGER, CAUSE_DEBUG_HALT, ACCESS_FETCH } from "../cpu/fault";
import { MSTATUS_MIE, MSTATUS_SIE } from "./bits";
import { tlbFlushAll } from "../mmu/tlb";

// ── tdata1 ──────────────────────────────────────────────────────────────────────────────────
const TYPE_ICOUNT: i32 = 3;
const TYPE_MCONTROL6: i32 = 6;
/** tdata1 of a disabled trigger: type 15, dmode 0. */
const DISABLED: i32 = i32(0xf0000000);
const DMODE: i32 = 1 << 27;

// mcontrol6 fields
const MC_HIT1: i32 = 1 << 25;
const MC_HIT0: i32 = 1 << 22;
const MC_CHAIN: i32 = 1 << 11;
export const MC_M: i32 = 1 << 6;
export const MC_S: i32 = 1 << 4;
export const MC_U: i32 = 1 << 3;
export const MC_EXECUTE: i32 = 4;
export const MC_STORE: i32 = 2;
export const MC_LOAD: i32 = 1;
/** Fields kept as written (the others are legalised one by one). */
const MC_KEEP: i32 = MC_HIT1 | MC_HIT0 | MC_M | MC_S | MC_U | MC_EXECUTE | MC_STORE | MC_LOAD;
/** Match types implemented: 0-5 and their negations 8, 9, 12, 13. */
const MATCH_LEGAL: i32 = 0x333f;

// icount fields
const IC_HIT: i32 = 1 << 24;
const IC_COUNT: i32 = 0x3fff << 10;
const IC_ONE: i32 = 1 << 10;
const IC_PENDING: i32 = 1 << 8;
const IC_KEEP: i32 = IC_HIT | IC_COUNT | (1 << 9) | IC_PENDING | (1 << 7) | (1 << 6);

const ACTION_DEBUG: i32 = 1;

/** tinfo: version 1 (Sdtrig 1.0) in bits 31:24; types 3, 6 and 15. */
const TINFO: i32 = (1 << 24) | (1 << 15) | (1 << TYPE_MCONTROL6) | (1 << TYPE_ICOUNT);

// ── V_TRIG_SUMMARY ──────────────────────────────────────────────────────────────────────────
/** Bit (kind << 2) + priv: an address trigger is enabled for accesses of `kind` (ACCESS_FETCH,
 *  ACCESS_LOAD, ACCESS_STORE) made in privilege `priv` (MIE/SIE not considered). */
export function trigBit(kind: i32, priv: i32): i32 {
  return 1 << ((kind << 2) + priv);
}
/** An icount trigger is armed (count > 0 or pending, some mode enabled): run() steps. */
export const TRIG_ICOUNT: i32 = 1 << 12;
/** An execute trigger has a size (it must see the instruction's length: checked after the
 *  fetch as well as before). */
export const TRIG_EXEC_SIZED: i32 = 1 << 13;

function entry(vcpu: i32, i: i32): i32 {
  return vcpu + V_TRIGGERS + i * TRIGGER_ENTRY;
}

function tdata1Of(vcpu: i32, i: i32): i32 {
  return load32(entry(vcpu, i));
}

function typeOf(t1: i32): i32 {
  return (t1 >> 28) & 15;
}

/** All triggers disabled, tselect 0 (hart reset). */
export function triggerReset(vcpu: i32): void {
  for (let i = 0; i < TRIGGER_COUNT; i++) {
    store32(entry(vcpu, i), DISABLED);
    store32(entry(vcpu, i) + 4, 0);
  }
  store32(vcpu + V_TSELECT, 0);
  store32(vcpu + V_TRIG_SUMMARY, 0);
}

/** Recompute V_TRIG_SUMMARY from the triggers. */
function summarize(vcpu: i32): void {
  let summary = 0;
  for (let i = 0; i < TRIGGER_COUNT; i++) {
    const t1 = tdata1Of(vcpu, i);
    const type = typeOf(t1);
    if (type == TYPE_MCONTROL6) {
      for (let priv = 0; priv <= PRIV_M; priv++) {
        if (priv == 2 || (t1 & (1 << (3 + priv))) == 0) continue; // u 3, s 4, m 6
        if ((t1 & MC_EXECUTE) != 0) summary |= trigBit(ACCESS_FETCH, priv);
        if ((t1 & MC_LOAD) != 0) summary |= trigBit(1, priv);
        if ((t1 & MC_STORE) != 0) summary |= trigBit(2, priv);
      }
      if ((t1 & MC_EXECUTE) != 0 && (t1 & (7 << 16)) != 0) summary |= TRIG_EXEC_SIZED;
    } else if (type == TYPE_ICOUNT) {
      if ((t1 & ((1 << 9) | (1 << 7) | (1 << 6))) != 0 && (t1 & (IC_COUNT | IC_PENDING)) != 0) summary |= TRIG_ICOUNT;
    }
  }
  store32(vcpu + V_TRIG_SUMMARY, summary);
}

/** A trigger changed what it matches: re-derive the summary and drop cached translations (a
 *  page cached before may now need every access checked). */
function triggersChanged(vcpu: i32): void {
  summarize(vcpu);
  tlbFlushAll(vcpu);
}

/** May trigger `i` chain to the next one? Not the last; and a trigger the guest writes (dmode
 *  0) may not chain into the debugger's (spec: chain is zeroed then). */
function chainAllowed(vcpu: i32, i: i32, dmode: i32): bool {
  if (i + 1 >= TRIGGER_COUNT) return false;
  return dmode != 0 || (tdata1Of(vcpu, i + 1) & DMODE) == 0;
}

/** The legal tdata1 value for a write of `value` to trigger `i` (WARL); `debug`: a Debug Mode
 *  (debugger) write, which may set dmode and action 1. */
function legalize(vcpu: i32, i: i32, value: i32, debug: bool): i32 {
  const type = typeOf(value);
  const dmode = debug ? value & DMODE : 0;
  if (type == TYPE_MCONTROL6) {
    let v = (TYPE_MCONTROL6 << 28) | dmode | (value & MC_KEEP);
    const size = (value >> 16) & 7;
    if (size <= 3) v |= size << 16; // 48 bits and wider: accesses this hart never makes → any
    const action = (value >> 12) & 15;
    if (action == ACTION_DEBUG && dmode != 0) v |= ACTION_DEBUG << 12; // else 0: breakpoint
    const match = (value >> 7) & 15;
    if (((MATCH_LEGAL >> match) & 1) != 0) v |= match << 7;
    if ((value & MC_CHAIN) != 0 && chainAllowed(vcpu, i, dmode)) v |= MC_CHAIN;
    return v;
  }
  if (type == TYPE_ICOUNT) {
    let v = (TYPE_ICOUNT << 28) | dmode | (value & IC_KEEP);
    if ((value & 0x3f) == ACTION_DEBUG && dmode != 0) v |= ACTION_DEBUG;
    return v;
  }
  return DISABLED | dmode;
}

/** tdata2 of a NAPOT trigger: bits 30:0 all ones (a 2^32-byte range, wider than maskmax6 = 31
 *  allows) clear bit 30 (spec: mcontrol6.match = 1). */
function legalizeTdata2(t1: i32, value: i32): i32 {
  if (typeOf(t1) == TYPE_MCONTROL6 && (((t1 >> 7) & 7) == 1) && (value & 0x7fffffff) == 0x7fffffff) {
    return value & ~(1 << 30);
  }
  return value;
}

/** An icount trigger whose tdata1 the current instruction wrote (its own retirement does not
 *  count for it, spec: "afterwards count contains the newly written value"), or -1. */
let icountWritten: i32 = -1;

/**
 * Write tdata`reg` (1 or 2; 3 is read-only zero) of trigger `i`. A guest write (`debug` false)
 * to a trigger with dmode set is ignored, and cannot set dmode; a debugger write that would set
 * dmode on a trigger the previous (guest) trigger chains into is ignored.
 */
export function triggerWrite(vcpu: i32, i: i32, reg: i32, value: i32, debug: bool): void {
  const e = entry(vcpu, i);
  const old = load32(e);
  if (!debug && (old & DMODE) != 0) return;
  if (reg == 1) {
    if (debug && (value & DMODE) != 0 && i > 0) {
      const prev = tdata1Of(vcpu, i - 1);
      if ((prev & DMODE) == 0 && typeOf(prev) == TYPE_MCONTROL6 && (prev & MC_CHAIN) != 0) return;
    }
    const next = legalize(vcpu, i, value, debug);
    if (!debug && typeOf(next) == TYPE_ICOUNT) icountWritten = i;
    if (next == old) return;
    store32(e, next);
    triggersChanged(vcpu);
  } else if (reg == 2) {
    const next = legalizeTdata2(old, value);
    if (next == load32(e + 4)) return;
    store32(e + 4, next);
    triggersChanged(vcpu);
  }
}

/** tdata`reg` (1-3) of trigger `i`, or tinfo for reg 4. */
export function triggerRead(vcpu: i32, i: i32, reg: i32): i32 {
  if (reg == 1) return tdata1Of(vcpu, i);
  if (reg == 2) return load32(entry(vcpu, i) + 4);
  if (reg == 4) return TINFO;
  return 0;
}

// ── The CSRs (kernel/csr.ts: M-mode only, by their addresses 0x7a0-0x7a4) ─────────────────

export function tselectRead(vcpu: i32): i32 {
  return load32(vcpu + V_TSELECT);
}

/** tselect is WARL: an index with no trigger keeps the old value. */
export function tselectWrite(vcpu: i32, value: i32): void {
  if (u32(value) < u32(TRIGGER_COUNT)) store32(vcpu + V_TSELECT, value);
}

/** tdata1..3 (reg 1-3) or tinfo (reg 4) of the selected trigger, as the guest reads it. */
export function tdataRead(vcpu: i32, reg: i32): i32 {
  return triggerRead(vcpu, load32(vcpu + V_TSELECT), reg);
}

/** A guest write to tdata1..3 (reg 1-3) of the selected trigger; tinfo ignores writes. */
export function tdataWrite(vcpu: i32, reg: i32, value: i32): void {
  if (reg <= 3) triggerWrite(vcpu, load32(vcpu + V_TSELECT), reg, value, false);
}

// ── Matching ────────────────────────────────────────────────────────────────────────────────

/** Is a trigger with this action enabled in `priv` now (`modeBit` set in its tdata1)? Action 0
 *  triggers are held off in M with MIE = 0, and in S with SIE = 0 when breakpoints go to S. */
function enabledNow(vcpu: i32, t1: i32, modeBit: i32, priv: i32, action: i32): bool {
  return enabledWith(vcpu, t1, modeBit, priv, action, load32(vcpu + V_MSTATUS));
}

/** enabledNow with mstatus as it was (when an instruction was fetched, or a trap taken). */
function enabledWith(vcpu: i32, t1: i32, modeBit: i32, priv: i32, action: i32, mstatus: i32): bool {
  if ((t1 & modeBit) == 0) return false;
  if (action != 0) return true;
  if (priv == PRIV_M) return (mstatus & MSTATUS_MIE) != 0;
  if (priv == PRIV_S && (load32(vcpu + V_MEDELEG) & 8) != 0) return (mstatus & MSTATUS_SIE) != 0;
  return true;
}

/** The low bits a NAPOT tdata2 leaves out of the comparison (at most 31: maskmax6 = 31). */
function napotMask(t2: i32): i32 {
  return (t2 ^ i32(t2 + 1)) & 0x7fffffff;
}

/** Does compare value `a` match tdata2 = t2 under match type `match`? (For an access with
 *  several compare values the "not" types negate the whole: memberMatches.) */
function valueMatches(match: i32, t2: i32, a: i32): bool {
  const kind = match & 7;
  let hit = false;
  if (kind == 0) hit = a == t2;
  else if (kind == 1) hit = ((a ^ t2) & ~napotMask(t2)) == 0;
  else if (kind == 2) hit = u32(a) >= u32(t2);
  else if (kind == 3) hit = u32(a) < u32(t2);
  else if (kind == 4) hit = (a & (t2 >>> 16)) == (t2 & 0xffff); // low half, masked by the high
  else hit = ((a >>> 16) & (t2 >>> 16)) == (t2 & 0xffff); // high half, masked
  return (match & 8) != 0 ? !hit : hit;
}

/** Does some address in [first, last] (same 64 KiB: the bits 31:16 are those of first) match
 *  "mask low"? */
function maskLowInPage(t2: i32, page: i32): bool {
  const mask = t2 >>> 16;
  const want = t2 & 0xffff;
  return (page & mask & 0xf000) == (want & 0xf000) && (want & ~mask & 0xfff) == 0;
}

/** May some address of the 4 KiB page at `page` match (match type, tdata2)? (Decides whether
 *  the page may be cached: a false "yes" only costs speed, a false "no" would miss a match.) */
function pageMayMatch(match: i32, t2: i32, page: i32): bool {
  const last = page | 4095;
  switch (match) {
    case 0: return u32(i32(t2 - page)) < 4096;
    case 1:
    case 9: {
      const mask = napotMask(t2);
      const first = t2 & ~mask;
      const end = first | mask;
      if (match == 1) return !(u32(last) < u32(first) || u32(page) > u32(end));
      return !(u32(page) >= u32(first) && u32(last) <= u32(end)); // not all of it inside
    }
    case 2: return u32(last) >= u32(t2);
    case 3: return u32(page) < u32(t2);
    case 4: return maskLowInPage(t2, page);
    case 5: return ((page >>> 16) & (t2 >>> 16)) == (t2 & 0xffff);
    case 12: // some address fails "mask low": the mask has a bit below 12, or the page fails
      return ((t2 >>> 16) & 0xfff) != 0 || (page & (t2 >>> 16) & 0xffff) != (t2 & 0xffff);
    case 13: return ((page >>> 16) & (t2 >>> 16)) != (t2 & 0xffff);
    default: return true; // 8: not equal (a page has more than one address)
  }
}

/**
 * May a trigger match an access of `kind` to the virtual page of `va` through the TLB of
 * privilege `setPriv`? Data TLBs are also used by M-mode with MPRV, so a trigger enabled for M
 * keeps its pages out of every data TLB. True keeps the page out of that TLB.
 */
export function triggerPageBlocked(vcpu: i32, kind: i32, setPriv: i32, va: i32): bool {
  const summary = load32(vcpu + V_TRIG_SUMMARY);
  const bits = trigBit(kind, setPriv) | (kind != ACCESS_FETCH ? trigBit(kind, PRIV_M) : 0);
  if ((summary & bits) == 0) return false;
  const kindBit = kind == ACCESS_FETCH ? MC_EXECUTE : kind == 1 ? MC_LOAD : MC_STORE;
  const modes = kind == ACCESS_FETCH || setPriv == PRIV_M ? 1 << (3 + setPriv) : (1 << (3 + setPriv)) | MC_M;
  const page = va & -4096;
  for (let i = 0; i < TRIGGER_COUNT; i++) {
    const t1 = tdata1Of(vcpu, i);
    if (typeOf(t1) != TYPE_MCONTROL6 || (t1 & kindBit) == 0 || (t1 & modes) == 0) continue;
    if (pageMayMatch((t1 >> 7) & 15, load32(entry(vcpu, i) + 4), page)) return true;
  }
  return false;
}

/** Address the last successful match matched (memberMatches). */
let matchedAt: i32 = 0;

/**
 * Does mcontrol6 trigger (t1, t2) match? `kinds`: MC_EXECUTE for an instruction at `pc` of
 * length `len` (0: not fetched yet, only size "any" can match), or MC_LOAD / MC_STORE bits for a
 * data access of `size` bytes at `va` by the instruction at `pc` (whose address an execute
 * trigger of the same chain compares). Sets matchedAt; `dataMatched` tells which kind matched.
 */
let dataMatched: bool = false;
function memberMatches(t1: i32, t2: i32, kinds: i32, va: i32, size: i32, pc: i32, len: i32): bool {
  const match = (t1 >> 7) & 15;
  const sz = (t1 >> 16) & 7;
  dataMatched = false;
  const data = kinds & (MC_LOAD | MC_STORE);
  if ((t1 & data) != 0 && (sz == 0 || 1 << (sz - 1) == size)) {
    // A positive type matches when any byte does (at the first such byte); a "not" type when
    // none does the positive one (at the access's address).
    let b = 0;
    while (b < size && !valueMatches(match & 7, t2, i32(va + b))) b++;
    if ((b < size) != ((match & 8) != 0)) {
      matchedAt = b < size ? i32(va + b) : va;
      dataMatched = true;
      return true;
    }
  }
  if ((t1 & MC_EXECUTE) != 0 && (kinds == MC_EXECUTE || data != 0)) {
    if (sz != 0 && (len == 0 || (sz == 2 ? 2 : sz == 3 ? 4 : -1) != len)) return false;
    if (valueMatches(match, t2, pc)) {
      matchedAt = pc;
      return true;
    }
  }
  return false;
}

/**
 * Check the address triggers for an event of privilege `priv`: an instruction about to execute
 * (kinds = MC_EXECUTE, at pc, length len or 0 before the fetch), or a data access (kinds
 * MC_LOAD and/or MC_STORE, `size` bytes at va, by the instruction at pc of length len). A chain
 * fires when every member matches; for a data access at least one must match the access (a
 * chain of execute triggers alone fired before the fetch). Every trigger of a chain that fires
 * gets hit0. If a debugger's trigger fires the run stops (CAUSE_DEBUG_HALT: V_DEBUG_HIT/ADDR),
 * else a breakpoint exception is raised (CAUSE_TRIGGER) with the address of the first chain
 * that fired. Returns true when one was raised.
 */
export function triggerCheck(vcpu: i32, priv: i32, kinds: i32, va: i32, size: i32, pc: i32, len: i32): bool {
  const modeBit = 1 << (3 + priv);
  let first = 0;
  let breakAt = 0;
  let broke = false;
  let halt = -1;
  let haltAt = 0;
  for (let last = 0; last < TRIGGER_COUNT; last++) {
    const t1 = tdata1Of(vcpu, last);
    const type = typeOf(t1);
    if (type == TYPE_MCONTROL6 && (t1 & MC_CHAIN) != 0) continue; // the chain goes on
    const start = first;
    first = last + 1;
    if (type != TYPE_MCONTROL6) continue; // (a chain must end in a type 6 trigger to fire)
    const action = (t1 >> 12) & 15;
    let all = true;
    let anyData = false;
    let at = pc;
    for (let j = start; j <= last && all; j++) {
      const m1 = tdata1Of(vcpu, j);
      if (!enabledNow(vcpu, m1, modeBit, priv, action) ||
        !memberMatches(m1, load32(entry(vcpu, j) + 4), kinds, va, size, pc, len)) {
        all = false;
      } else if (dataMatched) {
        // The chain's address: the highest of its members' lowest matching bytes (for a range
        // made of >= and <, the first byte of the access inside it).
        if (!anyData || u32(matchedAt) > u32(at)) at = matchedAt;
        anyData = true;
      }
    }
    if (!all || (kinds != MC_EXECUTE && !anyData)) continue;
    for (let j = start; j <= last; j++) {
      const e = entry(vcpu, j);
      store32(e, (load32(e) & ~MC_HIT1) | MC_HIT0); // hit = 1: fired before the instruction
    }
    if (action == ACTION_DEBUG) {
      if (halt < 0) {
        halt = last;
        haltAt = at;
      }
    } else if (!broke) {
      broke = true;
      breakAt = at;
    }
  }
  if (halt >= 0) {
    // Both a debugger's and the guest's trigger may fire at once: the debugger's stop wins (the
    // guest's still has hit set, and fires when the instruction runs again).
    debugHalt(vcpu, halt, haltAt);
    return true;
  }
  if (broke) {
    raise(CAUSE_TRIGGER, breakAt);
    return true;
  }
  return false;
}

/**
 * Before fetching the instruction at pc in `priv` (its length not known yet): a pending icount
 * trigger fires, then execute triggers of size "any" (and chains of them). True: one fired.
 */
export function triggerBeforeFetch(vcpu: i32, priv: i32, pc: i32): bool {
  const summary = load32(vcpu + V_TRIG_SUMMARY);
  if ((summary & TRIG_ICOUNT) != 0 && icountFire(vcpu, priv, pc)) return true;
  return (summary & trigBit(ACCESS_FETCH, priv)) != 0 && triggerCheck(vcpu, priv, MC_EXECUTE, pc, 0, pc, 0);
}

/**
 * Before a load and/or store (kinds MC_LOAD, MC_STORE) of `size` bytes at va by the instruction
 * `insn` at pc, in the hart's privilege level (not MPRV's: a trigger's m/s/u name the mode the
 * hart runs in). True: a trigger fired.
 */
export function triggerData(vcpu: i32, kinds: i32, va: i32, size: i32, pc: i32, insn: i32): bool {
  const summary = load32(vcpu + V_TRIG_SUMMARY);
  if (summary == 0) return false;
  const priv = load32(vcpu + V_PRIV);
  const bits = ((kinds & MC_LOAD) != 0 ? trigBit(1, priv) : 0) | ((kinds & MC_STORE) != 0 ? trigBit(2, priv) : 0);
  if ((summary & bits) == 0) return false;
  return triggerCheck(vcpu, priv, kinds, va, size, pc, (insn & 3) == 3 ? 4 : 2);
}

function debugHalt(vcpu: i32, trigger: i32, addr: i32): void {
  store32(vcpu + V_DEBUG_HIT, trigger + 1);
  store32(vcpu + V_DEBUG_ADDR, addr);
  raise(CAUSE_DEBUG_HALT, addr);
}

// ── icount ──────────────────────────────────────────────────────────────────────────────────

/**
 * An icount event in privilege `priv` with `mstatus` (as it was then): an instruction fetched
 * there retired (`retired`), or a trap was taken from it. Each armed icount trigger enabled
 * there counts down; at 1 it becomes pending (count 0), and fires before the next instruction
 * in an enabled mode.
 */
export function icountEvent(vcpu: i32, priv: i32, mstatus: i32, retired: bool): void {
  const skip = retired ? icountWritten : -1;
  if (retired) icountWritten = -1;
  for (let i = 0; i < TRIGGER_COUNT; i++) {
    const e = entry(vcpu, i);
    const t1 = load32(e);
    if (typeOf(t1) != TYPE_ICOUNT || i == skip || (t1 & IC_COUNT) == 0) continue;
    if (!enabledWith(vcpu, t1, 1 << (6 + priv), priv, t1 & 0x3f, mstatus)) continue;
    store32(e, (t1 & IC_COUNT) == IC_ONE ? (t1 & ~IC_COUNT) | IC_PENDING : i32(t1 - IC_ONE));
  }
}

/** The instruction just executed was not counted as retired (icount was not armed when it was
 *  fetched): forget which icount trigger it wrote. */
export function icountForget(): void {
  icountWritten = -1;
}

/**
 * Before fetching an instruction at pc in `priv`: every pending icount trigger enabled there
 * fires (pending cleared, hit set). Returns true when a breakpoint exception (tval 0) or a
 * debugger stop was raised.
 */
export function icountFire(vcpu: i32, priv: i32, pc: i32): bool {
  let halt = -1;
  let broke = false;
  for (let i = 0; i < TRIGGER_COUNT; i++) {
    const e = entry(vcpu, i);
    const t1 = load32(e);
    if (typeOf(t1) != TYPE_ICOUNT || (t1 & IC_PENDING) == 0) continue;
    const action = t1 & 0x3f;
    if (!enabledNow(vcpu, t1, 1 << (6 + priv), priv, action)) continue;
    store32(e, (t1 & ~IC_PENDING) | IC_HIT);
    if (action == ACTION_DEBUG) {
      if (halt < 0) halt = i;
    } else {
      broke = true;
    }
  }
  if (halt < 0 && !broke) return false;
  summarize(vcpu); // (it may no longer be armed; nothing cached depends on icount)
  if (halt >= 0) debugHalt(vcpu, halt, pc);
  else raise(CAUSE_TRIGGER, 0);
  return true;
}
