// Pre-virtualization's soft layer in the kernel (docs/previrt.md). The loader (src/loader/
// previrt.ts) patches each site an afterburned guest lists: its sensitive SYSTEM instruction
// becomes the same instruction with the custom-1 opcode (VCSR: original ^ PREVIRT_OPCODE_FLIP).
// On a vCPU whose partition enabled it (V_PREVIRT), the interpreter runs a VCSR like this:
//
// - vcsrFast(), from the fast loop, without leaving it: a CSR access with no effect beyond the
//   CSR's own word — a read of a CSR whose read has no side effect, or a write of a plain
//   scratch/trap register (QUIET_WRITES) — done by csrInstruction(), the one emulation of every
//   CSR access, exactly as the trap path does it.
// - everything else (SRET, WFI, SFENCE.VMA, writes of sstatus, satp, sie, ..., counter reads,
//   armed triggers): vcsrOriginal() restores the original encoding and run() emulates it
//   through the trap-and-emulate path, unchanged.
//
// Either way the guest sees what trap-and-emulate gives it, to the instruction: the same
// results, the same faults (a denied access raises the original instruction as tval), the same
// instruction counts. What it saves is the host's work: leaving the fast loop, the run() dispatch
// and the block boundary after every SYSTEM instruction (interrupt, timer and host-request
// checks, TLB reselection, a slow fetch). A block boundary after a quiet access would find
// nothing new: it changes no privilege, translation, enable, pending bit or timer.

import { load32, store32 } from "../shim";
import { V_TRIG_SUMMARY, V_STAT_VCSR_FAST, V_STAT_EXIT_KINDS, V_MIE, PREVIRT_OPCODE_FLIP } from "../layout";
import { csrInstruction, mipRead } from "./csr";
import { MSTATUS_SIE, MSTATUS_MIE } from "./bits";
import { slowStatus, STATUS_OK } from "../cpu/fault";

/** rd's value after vcsrFast() returned true and no fault was raised. */
export let vcsrValue: i32 = 0;

/** Is `insn` (opcode custom-1) the patched form of a sensitive instruction a site may hold? */
export function vcsrValid(insn: i32): bool {
  const f3 = (insn >> 12) & 7;
  if (f3 != 0) return f3 != 4; // the six Zicsr instructions
  const orig = insn ^ PREVIRT_OPCODE_FLIP;
  return orig == 0x10200073 || orig == 0x30200073 || orig == 0x10500073 || // SRET, MRET, WFI
    (orig & i32(0xfe007fff)) == 0x12000073; // SFENCE.VMA
}

/** The original SYSTEM instruction of a patched site. */
export function vcsrOriginal(insn: i32): i32 {
  return insn ^ PREVIRT_OPCODE_FLIP;
}

/**
 * CSRs whose write changes nothing but their own word (WARL legalisation aside): sscratch,
 * sepc, scause, stval, stvec and their M-level counterparts. (stvec and mtvec are read only
 * when a trap is taken, which is never inside the fast loop.)
 */
function quietWrite(csr: i32): bool {
  const low = csr & 0xff;
  const level = csr >> 8;
  if (level != 1 && level != 3) return false;
  return low == 0x05 || (low >= 0x40 && low <= 0x43);
}

/**
 * CSRs whose read has no side effect and depends on no clock: the quiet-write ones and the
 * status, enable, delegation, translation and identity registers. (sip and mip depend on the
 * timers, the counters on the instruction being retired: those take run()'s path.)
 */
function quietRead(csr: i32): bool {
  if (quietWrite(csr)) return true;
  switch (csr) {
    case 0x100: case 0x104: case 0x106: case 0x10a: case 0x180: // sstatus sie scounteren senvcfg satp
    case 0x300: case 0x301: case 0x302: case 0x303: case 0x304: // mstatus misa medeleg mideleg mie
    case 0x306: case 0x30a: // mcounteren menvcfg
    case 0xf11: case 0xf12: case 0xf13: case 0xf14: // mvendorid marchid mimpid mhartid
      return true;
  }
  return false;
}

/**
 * Is this a write of the global interrupt enable alone (csrrs/csrrc, immediate or register, of
 * sstatus.SIE, or of mstatus.SIE/MIE) that cannot make an interrupt deliverable? Clearing an
 * enable never can; setting one cannot while no interrupt is both pending and enabled in mie
 * (mip changes only at block boundaries, device accesses and CSR writes, none of which happen
 * inside the fast loop). Linux's local_irq_save/restore (csrrci/csrs sstatus) are most of its
 * exits: these do not need the block boundary either.
 */
function enableWriteQuiet(vcpu: i32, insn: i32, csr: i32, rs1Value: i32): bool {
  const f3 = (insn >> 12) & 7;
  const op = f3 & 3; // 2 set, 3 clear (1, a whole write, may change anything)
  if (op == 1 || (csr != 0x100 && csr != 0x300)) return false;
  const src = f3 >= 5 ? (insn >> 15) & 31 : rs1Value;
  const enables = csr == 0x100 ? MSTATUS_SIE : MSTATUS_SIE | MSTATUS_MIE;
  if ((src & ~enables) != 0) return false;
  return op == 3 || (mipRead(vcpu) & load32(vcpu + V_MIE)) == 0;
}

/**
 * Complete patched site `insn` (a valid VCSR) in the fast loop if it is a quiet CSR access;
 * returns false to leave it to run(). On true, either vcsrValue holds rd's value or a fault was
 * raised (the access was denied: the caller takes the trap, as for the original instruction).
 */
export function vcsrFast(vcpu: i32, insn: i32, rs1Value: i32): bool {
  const f3 = (insn >> 12) & 7;
  if (f3 == 0 || load32(vcpu + V_TRIG_SUMMARY) != 0) return false;
  const csr = (insn >>> 20) & 0xfff;
  const writes = (f3 & 3) == 1 || ((insn >> 15) & 31) != 0;
  if (writes ? !quietWrite(csr) && !enableWriteQuiet(vcpu, insn, csr, rs1Value) : !quietRead(csr)) return false;
  vcsrValue = csrInstruction(vcpu, insn ^ PREVIRT_OPCODE_FLIP, rs1Value);
  if (slowStatus == STATUS_OK) store32(vcpu + V_STAT_VCSR_FAST, i32(load32(vcpu + V_STAT_VCSR_FAST) + 1));
  return true;
}

/**
 * Profile (V_STAT_EXIT_KINDS): count trap-and-emulate exit `insn` (a SYSTEM instruction or
 * WVCALL, in its original encoding) under its kind. Kinds: 0 ECALL, EBREAK, WVCALL and other;
 * 1 SRET; 2 MRET; 3 WFI; 4 SFENCE.VMA; 5 counter and time reads; 6 sip/mip access; 7 sstatus/
 * mstatus writes; 8 sie/mie writes; 9 satp writes; 10 stimecmp writes; 11 other CSR writes;
 * 12 quiet accesses (what a patched site completes in the fast loop); 13 other CSR reads;
 * 14 writes of the status register's interrupt enables alone (csrrs/csrrc of SIE, MIE: a patched
 * site completes them in the fast loop unless an interrupt is pending and enabled).
 */
export function exitCount(vcpu: i32, insn: i32, rs1Value: i32): void {
  const a = vcpu + V_STAT_EXIT_KINDS + (exitKind(insn, rs1Value) << 2);
  store32(a, i32(load32(a) + 1));
}

function exitKind(insn: i32, rs1Value: i32): i32 {
  if ((insn & 0x7f) != 0x73) return 0;
  const f3 = (insn >> 12) & 7;
  if (f3 == 0) {
    if (insn == 0x10200073) return 1;
    if (insn == 0x30200073) return 2;
    if (insn == 0x10500073) return 3;
    if ((insn & i32(0xfe007fff)) == 0x12000073) return 4;
    return 0;
  }
  const csr = (insn >>> 20) & 0xfff;
  const writes = (f3 & 3) == 1 || ((insn >> 15) & 31) != 0;
  if ((csr & 0xff) == 0x44 && ((csr >> 8) == 1 || (csr >> 8) == 3)) return 6;
  if (writes ? quietWrite(csr) : quietRead(csr)) return 12;
  if (!writes) return (csr >= 0xb00 && csr < 0xba0) || (csr >= 0xc00 && csr < 0xca0) ? 5 : 13;
  if ((csr == 0x100 || csr == 0x300) && (f3 & 3) != 1) {
    const src = f3 >= 5 ? (insn >> 15) & 31 : rs1Value;
    if ((src & ~(csr == 0x100 ? MSTATUS_SIE : MSTATUS_SIE | MSTATUS_MIE)) == 0) return 14;
  }
  if (csr == 0x100 || csr == 0x300) return 7;
  if (csr == 0x104 || csr == 0x304) return 8;
  if (csr == 0x180) return 9;
  if (csr == 0x14d || csr == 0x15d) return 10;
  return 11;
}
