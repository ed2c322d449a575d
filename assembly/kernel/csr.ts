// The control and status registers of a vCPU (privileged spec 1.12, chapter 2 and §3.1, §4.1).
//
// Access is gated first by the address bits (csr[11:10] = 3 is read-only, csr[9:8] is the lowest
// privilege that may touch it), then a switch. Unknown CSRs and denied accesses are one
// illegal-instruction trap. sstatus, sie and sip are masked views of mstatus, mie and mip, not
// copies. Every WARL field is legalised on write; the choices are listed in README.md. The
// trigger registers (Sdtrig: tselect, tdata1-3, tinfo) live in kernel/trigger.ts; fflags, frm
// and fcsr are the F state of cpu/fpu.ts.

import { load32, store32 } from "../shim";
import {
  V_MSTATUS, V_MEDELEG, V_MIDELEG, V_MIE, V_MIP, V_IRQ_LINES, V_MTVEC, V_MCOUNTEREN, V_MSCRATCH,
  V_MEPC, V_MCAUSE, V_MTVAL, V_MCOUNTINHIBIT, V_MENVCFG, V_MHARTID, V_STVEC, V_SCOUNTEREN,
  V_SSCRATCH, V_SEPC, V_SCAUSE, V_STVAL, V_SATP, V_SENVCFG, V_MCYCLE_LO, V_MINSTRET_LO,
  V_PRIV, V_STIMECMP_LO, V_STIMECMP_HI, V_MENVCFGH, V_MISA, V_FCSR, PRIV_M, PRIV_S,
} from "../layout";
import { stimecmpSet, stimerRearm, stimerDisarm, sstcActive, MENVCFGH_STCE } from "./timer";
import { raise, slowStatus, CAUSE_ILLEGAL } from "../cpu/fault";
import {
  MSTATUS_WRITABLE, MSTATUS_MPP, MSTATUS_SUM, MSTATUS_MXR, MSTATUS_TVM, SSTATUS_VIEW,
  MIP_ALL, MIP_SW_WRITABLE, MIDELEG_WRITABLE, MEDELEG_WRITABLE, MSTATUS_FS, MSTATUS_SD, MISA_F,
} from "./bits";
import {
  sliceRetired, sliceBase, counterLo, counterHi, counterSub, timeLo, timeHi,
} from "./counters";
import { tlbFlushTranslated, tlbFlushData, tlbFlushLoads } from "../mmu/tlb";
import { shadowSelect } from "../mmu/shadow";
import { pmpcfgRead, pmpcfgWrite, pmpaddrRead, pmpaddrWrite } from "../mmu/pmp";
import { tselectRead, tselectWrite, tdataRead, tdataWrite } from "./trigger";
import { fpEnabled, fpMarkDirty } from "../cpu/fpu";
import { mipUpdate } from "./threads";

// CSR numbers used below.
/** F and D (cpu/fpu.ts): the accrued flags, the rounding mode, and both as fcsr. */
const CSR_FFLAGS: i32 = 0x001;
const CSR_FRM: i32 = 0x002;
const CSR_FCSR: i32 = 0x003;
const CSR_SSTATUS: i32 = 0x100;
const CSR_SIE: i32 = 0x104;
const CSR_STVEC: i32 = 0x105;
const CSR_SCOUNTEREN: i32 = 0x106;
const CSR_SENVCFG: i32 = 0x10a;
const CSR_SSCRATCH: i32 = 0x140;
const CSR_SEPC: i32 = 0x141;
const CSR_SCAUSE: i32 = 0x142;
const CSR_STVAL: i32 = 0x143;
const CSR_SIP: i32 = 0x144;
const CSR_STIMECMP: i32 = 0x14d;
const CSR_STIMECMPH: i32 = 0x15d;
const CSR_SATP: i32 = 0x180;
const CSR_MSTATUS: i32 = 0x300;
const CSR_MISA: i32 = 0x301;
const CSR_MEDELEG: i32 = 0x302;
const CSR_MIDELEG: i32 = 0x303;
const CSR_MIE: i32 = 0x304;
const CSR_MTVEC: i32 = 0x305;
const CSR_MCOUNTEREN: i32 = 0x306;
const CSR_MENVCFG: i32 = 0x30a;
const CSR_MSTATUSH: i32 = 0x310;
const CSR_MENVCFGH: i32 = 0x31a;
const CSR_MCOUNTINHIBIT: i32 = 0x320;
const CSR_MSCRATCH: i32 = 0x340;
const CSR_MEPC: i32 = 0x341;
const CSR_MCAUSE: i32 = 0x342;
const CSR_MTVAL: i32 = 0x343;
const CSR_MIP: i32 = 0x344;
/** Sdtrig (kernel/trigger.ts): tselect, tdata1-3, tinfo. tcontrol (0x7a5) and the context
 *  registers are not implemented. */
const CSR_TSELECT: i32 = 0x7a0;
const CSR_TINFO: i32 = 0x7a4;
const CSR_MCYCLE: i32 = 0xb00;
const CSR_MINSTRET: i32 = 0xb02;
const CSR_MCYCLEH: i32 = 0xb80;
const CSR_MINSTRETH: i32 = 0xb82;
const CSR_CYCLE: i32 = 0xc00;
const CSR_TIME: i32 = 0xc01;
const CSR_INSTRET: i32 = 0xc02;
const CSR_CYCLEH: i32 = 0xc80;
const CSR_TIMEH: i32 = 0xc81;
const CSR_INSTRETH: i32 = 0xc82;
const CSR_MVENDORID: i32 = 0xf11;
const CSR_MARCHID: i32 = 0xf12;
const CSR_MIMPID: i32 = 0xf13;
const CSR_MHARTID: i32 = 0xf14;
const CSR_MCONFIGPTR: i32 = 0xf15;

/** mcountinhibit bits that exist: CY (0) and IR (2); the hpm counters are hardwired zero. */
const MCOUNTINHIBIT_WRITABLE: i32 = 5;
/** menvcfg/senvcfg: only FIOM (bit 0); no Zicbo* or Svpbmt. menvcfgh: STCE (Sstc). */
const ENVCFG_WRITABLE: i32 = 1;
/** mip.STIP: read-only while Sstc drives it (menvcfg.STCE). */
const MIP_STIP: i32 = 1 << 5;

/** The full mip value as a CSR read sees it: software bits ORed with the device lines. */
export function mipRead(vcpu: i32): i32 {
  return load32(vcpu + V_MIP) | load32(vcpu + V_IRQ_LINES);
}

function counting(vcpu: i32, bit: i32): bool {
  return (load32(vcpu + V_MCOUNTINHIBIT) & bit) == 0;
}

/** Value of a 64-bit counter's half at the current instruction (CY bit 0, IR bit 2). */
function counterRead(vcpu: i32, addr: i32, bit: i32, high: bool): i32 {
  const delta = counting(vcpu, bit) ? i32(sliceRetired - sliceBase) : 0;
  return high ? counterHi(addr, delta) : counterLo(addr, delta);
}

/**
 * Write one half of a 64-bit counter so the next instruction reads the written value, the other
 * half as it was before this instruction: the writing instruction's own increment is suppressed
 * for the whole 64-bit counter, as in Spike and the Sail model (priv spec §3.1.10: a CSR write
 * takes effect after the instruction's own increment would have). The stored word is relative
 * to the slice (counters.ts).
 */
function counterWrite(vcpu: i32, addr: i32, bit: i32, high: bool, value: i32): void {
  const on = counting(vcpu, bit);
  const before = on ? i32(sliceRetired - sliceBase) : 0;
  // Materialise the counter at this instruction, replace one half, re-relativise so the next
  // instruction (one more retired in the slice) reads exactly that.
  const lo = counterLo(addr, before);
  const hi = counterHi(addr, before);
  store32(addr, high ? lo : value);
  store32(addr + 4, high ? value : hi);
  counterSub(addr, on ? i32(before + 1) : 0);
}

/** Counter CSRs below M-mode need the mcounteren (and, for U, scounteren) bit (§3.1.11). */
function counterAllowed(vcpu: i32, csr: i32, priv: i32): bool {
  if (priv == PRIV_M) return true;
  const bit = 1 << (csr & 31);
  if ((load32(vcpu + V_MCOUNTEREN) & bit) == 0) return false;
  return priv == PRIV_S || (load32(vcpu + V_SCOUNTEREN) & bit) != 0;
}

/** stimecmp from S needs menvcfg.STCE and mcounteren.TM (Sstc); M may always use it. */
function stimecmpAllowed(vcpu: i32, priv: i32): bool {
  return priv == PRIV_M || (sstcActive(vcpu) && (load32(vcpu + V_MCOUNTEREN) & 2) != 0);
}

/** mstatus as it reads: SD summarises FS = Dirty (VS and XS read 0). */
function mstatusRead(vcpu: i32): i32 {
  const value = load32(vcpu + V_MSTATUS);
  return (value & MSTATUS_FS) == MSTATUS_FS ? value | MSTATUS_SD : value;
}

function mstatusWrite(vcpu: i32, value: i32, mask: i32): void {
  const old = load32(vcpu + V_MSTATUS);
  // FS exists only on a vCPU with F (else it reads 0: priv spec §3.1.6.6).
  const writable = (load32(vcpu + V_MISA) & MISA_F) != 0 ? MSTATUS_WRITABLE | MSTATUS_FS : MSTATUS_WRITABLE;
  let next = (old & ~mask) | (value & mask & writable);
  // MPP is WARL over {U, S, M}: the reserved encoding 2 keeps the previous value.
  if ((next & MSTATUS_MPP) == 2 << 11) next = (next & ~MSTATUS_MPP) | (old & MSTATUS_MPP);
  store32(vcpu + V_MSTATUS, next);
  const changed = old ^ next;
  if ((changed & MSTATUS_SUM) != 0) tlbFlushData(vcpu, PRIV_S);
  if ((changed & MSTATUS_MXR) != 0) tlbFlushLoads(vcpu);
}

/**
 * Read CSR `csr` at privilege `priv`. On an illegal access raises an illegal-instruction trap
 * with tval = insn and returns 0 (callers test slowStatus).
 */
export function csrRead(vcpu: i32, csr: i32, priv: i32, insn: i32): i32 {
  // Counters readable from every mode, subject to the counter-enable registers.
  if ((csr >= CSR_CYCLE && csr <= 0xc1f) || (csr >= CSR_CYCLEH && csr <= 0xc9f)) {
    if (!counterAllowed(vcpu, csr, priv)) {
      raise(CAUSE_ILLEGAL, insn);
      return 0;
    }
    switch (csr) {
      case CSR_CYCLE: return counterRead(vcpu, vcpu + V_MCYCLE_LO, 1, false);
      case CSR_CYCLEH: return counterRead(vcpu, vcpu + V_MCYCLE_LO, 1, true);
      case CSR_INSTRET: return counterRead(vcpu, vcpu + V_MINSTRET_LO, 4, false);
      case CSR_INSTRETH: return counterRead(vcpu, vcpu + V_MINSTRET_LO, 4, true);
      case CSR_TIME: return timeLo(vcpu);
      case CSR_TIMEH: return timeHi(vcpu);
      default: return 0; // hpmcounter3..31: hardwired zero
    }
  }
  if ((csr >= 0xb03 && csr <= 0xb1f) || (csr >= 0xb83 && csr <= 0xb9f)) return 0; // mhpmcounterN(h)
  if (csr >= 0x323 && csr <= 0x33f) return 0; // mhpmeventN
  if (csr >= 0x3a0 && csr <= 0x3a3) return pmpcfgRead(vcpu, csr - 0x3a0);
  if (csr >= 0x3b0 && csr <= 0x3bf) return pmpaddrRead(vcpu, csr - 0x3b0);
  if (csr >= 0x3a4 && csr <= 0x3ef) return 0; // pmpcfg4-15, pmpaddr16-63: entries not implemented
  if (csr > CSR_TSELECT && csr <= CSR_TINFO) return tdataRead(vcpu, csr - CSR_TSELECT);
  switch (csr) {
    case CSR_FFLAGS:
    case CSR_FRM:
    case CSR_FCSR: {
      // From every privilege level, with F present and mstatus.FS not Off.
      if (!fpEnabled(vcpu)) break;
      const fcsr = load32(vcpu + V_FCSR);
      return csr == CSR_FCSR ? fcsr : csr == CSR_FRM ? fcsr >> 5 : fcsr & 0x1f;
    }
    case CSR_SSTATUS: return mstatusRead(vcpu) & SSTATUS_VIEW;
    case CSR_SIE: return load32(vcpu + V_MIE) & load32(vcpu + V_MIDELEG);
    case CSR_STVEC: return load32(vcpu + V_STVEC);
    case CSR_SCOUNTEREN: return load32(vcpu + V_SCOUNTEREN);
    case CSR_SENVCFG: return load32(vcpu + V_SENVCFG);
    case CSR_SSCRATCH: return load32(vcpu + V_SSCRATCH);
    case CSR_SEPC: return load32(vcpu + V_SEPC);
    case CSR_SCAUSE: return load32(vcpu + V_SCAUSE);
    case CSR_STVAL: return load32(vcpu + V_STVAL);
    case CSR_SIP: return mipRead(vcpu) & load32(vcpu + V_MIDELEG);
    case CSR_SATP:
      if (priv == PRIV_S && (load32(vcpu + V_MSTATUS) & MSTATUS_TVM) != 0) break;
      return load32(vcpu + V_SATP);
    case CSR_MSTATUS: return mstatusRead(vcpu);
    case CSR_MISA: return load32(vcpu + V_MISA);
    case CSR_MEDELEG: return load32(vcpu + V_MEDELEG);
    case CSR_MIDELEG: return load32(vcpu + V_MIDELEG);
    case CSR_MIE: return load32(vcpu + V_MIE);
    case CSR_MTVEC: return load32(vcpu + V_MTVEC);
    case CSR_MCOUNTEREN: return load32(vcpu + V_MCOUNTEREN);
    case CSR_MENVCFG: return load32(vcpu + V_MENVCFG);
    case CSR_MSTATUSH: return 0;
    case CSR_MENVCFGH: return load32(vcpu + V_MENVCFGH);
    case CSR_STIMECMP:
    case CSR_STIMECMPH:
      if (!stimecmpAllowed(vcpu, priv)) break;
      return load32(vcpu + (csr == CSR_STIMECMP ? V_STIMECMP_LO : V_STIMECMP_HI));
    case CSR_MCOUNTINHIBIT: return load32(vcpu + V_MCOUNTINHIBIT);
    case CSR_MSCRATCH: return load32(vcpu + V_MSCRATCH);
    case CSR_MEPC: return load32(vcpu + V_MEPC);
    case CSR_MCAUSE: return load32(vcpu + V_MCAUSE);
    case CSR_MTVAL: return load32(vcpu + V_MTVAL);
    case CSR_MIP: return mipRead(vcpu);
    case CSR_TSELECT: return tselectRead(vcpu);
    case CSR_MCYCLE: return counterRead(vcpu, vcpu + V_MCYCLE_LO, 1, false);
    case CSR_MCYCLEH: return counterRead(vcpu, vcpu + V_MCYCLE_LO, 1, true);
    case CSR_MINSTRET: return counterRead(vcpu, vcpu + V_MINSTRET_LO, 4, false);
    case CSR_MINSTRETH: return counterRead(vcpu, vcpu + V_MINSTRET_LO, 4, true);
    case CSR_MVENDORID: return 0;
    case CSR_MARCHID: return 0;
    case CSR_MIMPID: return 0;
    case CSR_MHARTID: return load32(vcpu + V_MHARTID);
    case CSR_MCONFIGPTR: return 0;
    default: break;
  }
  raise(CAUSE_ILLEGAL, insn);
  return 0;
}

/** Write CSR `csr` (already known to exist and be writable at this privilege). */
function csrWrite(vcpu: i32, csr: i32, value: i32): void {
  switch (csr) {
    case CSR_FFLAGS:
    case CSR_FRM:
    case CSR_FCSR: {
      // fcsr bits 31-8 are reserved: writes ignored, read 0. frm may hold any of its 8 values
      // (reserved ones make DYN instructions illegal, cpu/fpu.ts).
      const fcsr = load32(vcpu + V_FCSR);
      const next = csr == CSR_FCSR ? value & 0xff : csr == CSR_FRM ? (fcsr & 0x1f) | ((value & 7) << 5) : (fcsr & 0xe0) | (value & 0x1f);
      store32(vcpu + V_FCSR, next);
      fpMarkDirty(vcpu);
      break;
    }
    case CSR_SSTATUS: mstatusWrite(vcpu, value, SSTATUS_VIEW); break;
    case CSR_SIE: {
      const mask = load32(vcpu + V_MIDELEG);
      store32(vcpu + V_MIE, (load32(vcpu + V_MIE) & ~mask) | (value & mask));
      break;
    }
    case CSR_STVEC: if ((value & 3) < 2) store32(vcpu + V_STVEC, value); break;
    case CSR_SCOUNTEREN: store32(vcpu + V_SCOUNTEREN, value); break;
    case CSR_SENVCFG: store32(vcpu + V_SENVCFG, value & ENVCFG_WRITABLE); break;
    case CSR_SSCRATCH: store32(vcpu + V_SSCRATCH, value); break;
    case CSR_SEPC: store32(vcpu + V_SEPC, value & -2); break;
    case CSR_SCAUSE: store32(vcpu + V_SCAUSE, value); break;
    case CSR_STVAL: store32(vcpu + V_STVAL, value); break;
    case CSR_SIP: {
      // Only SSIP is writable through sip, and only when it is delegated.
      const mask = load32(vcpu + V_MIDELEG) & 2;
      mipUpdate(vcpu, mask, value & mask);
      break;
    }
    case CSR_SATP:
      // The TLBs hold one address space's translations; the shadow tables keep several.
      if (value != load32(vcpu + V_SATP)) {
        store32(vcpu + V_SATP, value);
        tlbFlushTranslated(vcpu);
        shadowSelect(vcpu);
      }
      break;
    case CSR_MSTATUS: mstatusWrite(vcpu, value, -1); break;
    case CSR_MEDELEG: store32(vcpu + V_MEDELEG, value & MEDELEG_WRITABLE); break;
    case CSR_MIDELEG: store32(vcpu + V_MIDELEG, value & MIDELEG_WRITABLE); break;
    case CSR_MIE: store32(vcpu + V_MIE, value & MIP_ALL); break;
    case CSR_MTVEC: if ((value & 3) < 2) store32(vcpu + V_MTVEC, value); break;
    case CSR_MCOUNTEREN: store32(vcpu + V_MCOUNTEREN, value); break;
    case CSR_MENVCFG: store32(vcpu + V_MENVCFG, value & ENVCFG_WRITABLE); break;
    case CSR_MENVCFGH: {
      const was = sstcActive(vcpu);
      store32(vcpu + V_MENVCFGH, value & MENVCFGH_STCE);
      if (!was && sstcActive(vcpu)) stimerRearm(vcpu); // stimecmp takes over STIP
      else if (was && !sstcActive(vcpu)) stimerDisarm(vcpu);
      break;
    }
    case CSR_STIMECMP:
      stimecmpSet(vcpu, load32(vcpu + V_STIMECMP_HI), value, false);
      break;
    case CSR_STIMECMPH:
      stimecmpSet(vcpu, value, load32(vcpu + V_STIMECMP_LO), false);
      break;
    case CSR_MCOUNTINHIBIT: {
      // Keep counter values continuous across the change (see counters.ts).
      const old = load32(vcpu + V_MCOUNTINHIBIT);
      const next = value & MCOUNTINHIBIT_WRITABLE;
      const k = i32(sliceRetired - sliceBase + 1);
      if (((old ^ next) & 1) != 0) rebase(vcpu + V_MCYCLE_LO, (old & 1) == 0, k);
      if (((old ^ next) & 4) != 0) rebase(vcpu + V_MINSTRET_LO, (old & 4) == 0, k);
      store32(vcpu + V_MCOUNTINHIBIT, next);
      break;
    }
    case CSR_MSCRATCH: store32(vcpu + V_MSCRATCH, value); break;
    case CSR_MEPC: store32(vcpu + V_MEPC, value & -2); break;
    case CSR_MCAUSE: store32(vcpu + V_MCAUSE, value); break;
    case CSR_MTVAL: store32(vcpu + V_MTVAL, value); break;
    case CSR_MIP: {
      const mask = sstcActive(vcpu) ? MIP_SW_WRITABLE & ~MIP_STIP : MIP_SW_WRITABLE;
      mipUpdate(vcpu, mask, value & mask);
      break;
    }
    case CSR_MCYCLE: counterWrite(vcpu, vcpu + V_MCYCLE_LO, 1, false, value); break;
    case CSR_MCYCLEH: counterWrite(vcpu, vcpu + V_MCYCLE_LO, 1, true, value); break;
    case CSR_MINSTRET: counterWrite(vcpu, vcpu + V_MINSTRET_LO, 4, false, value); break;
    case CSR_MINSTRETH: counterWrite(vcpu, vcpu + V_MINSTRET_LO, 4, true, value); break;
    case CSR_TSELECT: tselectWrite(vcpu, value); break;
    default:
      if (csr >= 0x3a0 && csr <= 0x3a3) pmpcfgWrite(vcpu, csr - 0x3a0, value);
      else if (csr >= 0x3b0 && csr <= 0x3bf) pmpaddrWrite(vcpu, csr - 0x3b0, value);
      else if (csr > CSR_TSELECT && csr <= CSR_TINFO) tdataWrite(vcpu, csr - CSR_TSELECT, value);
      break; // else read-only-zero WARL registers (misa, PMP entries 16-63, hpm*, mstatush)
  }
}

/** A counter that stops or starts counting at slice position k keeps its current value. */
function rebase(addr: i32, wasCounting: bool, k: i32): void {
  if (wasCounting) {
    // It stops: fold the k instructions counted so far into the stored word.
    const lo = counterLo(addr, k);
    const hi = counterHi(addr, k);
    store32(addr, lo);
    store32(addr + 4, hi);
  } else {
    // It starts: the commit at the end of the slice will add the whole slice; pre-subtract k.
    counterSub(addr, k);
  }
}

/**
 * Execute a Zicsr instruction (funct3 1-3, 5-7) for the vCPU. Returns the old value for rd, or
 * raises an illegal-instruction trap (tval = insn). §2.1: CSRRW/CSRRWI always write; CSRRS/C
 * write only when rs1/uimm is nonzero; writing a read-only CSR is illegal.
 */
export function csrInstruction(vcpu: i32, insn: i32, rs1Value: i32): i32 {
  const csr = (insn >>> 20) & 0xfff;
  const f3 = (insn >> 12) & 7;
  const rs1 = (insn >> 15) & 31;
  const priv = load32(vcpu + V_PRIV);
  const src = f3 >= 5 ? rs1 : rs1Value;
  const op = f3 & 3; // 1 write, 2 set, 3 clear
  const writes = op == 1 || rs1 != 0;
  if (((csr >> 8) & 3) > priv || ((csr >> 10) == 3 && writes)) {
    raise(CAUSE_ILLEGAL, insn);
    return 0;
  }
  const old = csrRead(vcpu, csr, priv, insn);
  if (slowStatus != 0 || !writes) return old;
  // §3.1.9: read-modify-write of mip uses the software SEIP bit, not the external line.
  const base = csr == CSR_MIP || csr == CSR_SIP ? old & ~(load32(vcpu + V_IRQ_LINES) & ~load32(vcpu + V_MIP)) : old;
  const next = op == 1 ? src : op == 2 ? base | src : base & ~src;
  csrWrite(vcpu, csr, next);
  return old;
}
