// The interpreter: fetch, one decode switch for RV32IMAC (+ Zicsr, Zifencei), one write-back.
//
// Structure (after TinyEMU and mini-rv32ima):
// - The outer loop is the block boundary: host requests, pending interrupts, WFI and the budget
//   are looked at only here.
// - The inner loop keeps a fetch window: the host address of the current code page. While pc
//   stays inside it, fetching is one compare and one load. Leaving the page, taken branches and
//   jumps check the budget; page crossings refill the window through the fetch TLB. In step
//   mode (RUNFLAG_STEP) the window is never kept, so every instruction is a block boundary.
// - Loads and stores use the split TLBs (tag + addend: one compare, one add). Misses,
//   misalignment and devices go to mmu/access.ts.
// - Every sensitive instruction (SYSTEM opcode) goes to kernel/system.ts and ends the block.
// - Faults are values (cpu/fault.ts): a failing step sets ev = EV_TRAP, skips write-back, and
//   the trap is raised once, after the inner loop, by kernel/trap.ts.
//
// Instruction counting: `n` counts instructions fetched in this call; a trapping instruction is
// taken back, so n is the number retired. Counters are committed when run() returns and are
// exact in between (kernel/counters.ts). Every trap taken costs one unit of budget and one cycle
// of virtual time: a guest whose trap handler itself faults cannot hold run() forever.

import { load8, load8s, load16, load16s, load32, store8, store16, store32, fetch32 } from "../shim";
import {
  SYS_CUR_VCPU, SYS_HOST_REQ, SYS_RUN_FLAGS, SYS_EXIT_REASON, SYS_RETIRED, SYS_TRACE_PC,
  SYS_TRACE_INSN, SYS_CLOCK_LO, SYS_TRAPS, V_PC, V_PRIV, V_WFI, V_RES_ADDR, V_RES_VALID, V_MCOUNTINHIBIT,
  V_MCYCLE_LO, V_MINSTRET_LO, TLB_LOAD, TLB_TABLE, EXIT_BUDGET, EXIT_HOST, EXIT_WFI, EXIT_WATCH,
  HOSTREQ_STOP, RUNFLAG_STEP, vcpuAddr, tlbSetAddr,
} from "../layout";
import {
  slowStatus, faultCause, faultTval, faultClear, raise, STATUS_OK, STATUS_FAULT, STATUS_WATCH,
  CAUSE_ILLEGAL, CAUSE_INTERRUPT, ACCESS_LOAD, ACCESS_STORE,
} from "./fault";
import {
  immI, immS, immB, immJ, cReg, cImmCI, cImmAddi4spn, cImmLw, cImmAddi16sp, cImmJ, cImmB,
  cImmLwsp, cImmSwsp,
} from "./decode";
import { mulDiv, amoCompute, amoValid } from "./alu";
import { loadSlow, storeSlow, fetchHost, atomicHost, dataPriv } from "../mmu/access";
import { tlbSlot } from "../mmu/tlb";
import { systemExecute, systemNextPc } from "../kernel/system";
import { trapEnter, pendingInterrupt, wfiWake } from "../kernel/trap";
import { setSliceRetired, counterAdd, chargeTrap } from "../kernel/counters";

// Why the inner loop stopped.
const EV_NONE: i32 = 0;
/** The current instruction faulted (fault.ts holds the trap); it did not retire. */
const EV_TRAP: i32 = 1;
/** The instruction completed; go back to the block boundary (budget, interrupts, privilege). */
const EV_RESYNC: i32 = 2;
/** The instruction completed; leave run() (watched store). */
const EV_EXIT: i32 = 3;

/** TLB tag mask for a word access: the page bits plus the two alignment bits. */
const MASK_WORD: i32 = -4093;

/** LOAD funct3 values 3, 6, 7 are not loads in RV32. */
const LOAD_F3_ILLEGAL: i32 = 0xc8;
/** Window length: offsets 0..4092 can fetch four bytes without leaving the page. */
const WINDOW: i32 = 4093;

/** Event for a slow-path status other than OK. */
function statusEvent(): i32 {
  if (slowStatus == STATUS_OK) return EV_NONE;
  if (slowStatus == STATUS_FAULT) return EV_TRAP;
  return slowStatus == STATUS_WATCH ? EV_EXIT : EV_RESYNC;
}

/** Event of the last loadSlowPath (its value is the load's result). */
let slowEvent: i32 = EV_NONE;

/** A load that missed the TLB fast path; `n` instructions have been fetched in this slice. */
function loadSlowPath(vcpu: i32, addr: i32, f3: i32, n: i32): i32 {
  setSliceRetired(n - 1);
  const value = loadSlow(vcpu, addr, f3);
  slowEvent = statusEvent();
  return value;
}

/** A store that missed the TLB fast path; returns the event for the interpreter. */
function storeSlowPath(vcpu: i32, addr: i32, f3: i32, value: i32, n: i32): i32 {
  setSliceRetired(n - 1);
  storeSlow(vcpu, addr, f3, value);
  return statusEvent();
}

/**
 * Run the current vCPU for about `budget` instructions (exactly, in step mode; otherwise up to
 * the end of the block in which the budget runs out). Returns the exit reason (EXIT_*).
 */
export function run(budget: i32): i32 {
  const vcpu = vcpuAddr(load32(SYS_CUR_VCPU));
  let pc = load32(vcpu + V_PC);
  let n = 0;
  let traps = 0;
  let exitReason = EXIT_BUDGET;
  faultClear();

  while (true) {
    // ── Block boundary ───────────────────────────────────────────────────────────────────
    const req = load32(SYS_HOST_REQ);
    if (req != 0) {
      // HOSTREQ_IRQ needs no action beyond the interrupt check below.
      store32(SYS_HOST_REQ, 0);
      if ((req & HOSTREQ_STOP) != 0) {
        exitReason = EXIT_HOST;
        break;
      }
    }
    const irq = pendingInterrupt(vcpu);
    if (irq >= 0) {
      pc = trapEnter(vcpu, irq | CAUSE_INTERRUPT, 0, pc);
      chargeTrap(vcpu);
      traps++;
      budget--;
    } else if (load32(vcpu + V_WFI) != 0) {
      if (!wfiWake(vcpu)) {
        exitReason = EXIT_WFI;
        break;
      }
      store32(vcpu + V_WFI, 0);
    }
    if (n >= budget) break;

    const tlbLoad = tlbSetAddr(vcpu, dataPriv(vcpu)) + TLB_LOAD;
    let winStart = 0;
    let winLen = 0;
    let winAdd = 0;
    let ev = EV_NONE;

    // ── Fast loop ────────────────────────────────────────────────────────────────────────
    while (true) {
      let insn = 0;
      if (u32(i32(pc - winStart)) < u32(winLen)) {
        insn = fetch32(i32(pc + winAdd));
      } else {
        // New code page (or step mode): a block boundary.
        if (n >= budget) {
          ev = EV_RESYNC;
          break;
        }
        store32(SYS_TRACE_PC, pc);
        const host = fetchHost(vcpu, pc, load32(vcpu + V_PRIV));
        if (host < 0) {
          n++; // taken back by the trap path: a fetch fault retires nothing
          ev = EV_TRAP;
          break;
        }
        winLen = 0;
        if ((pc & 4095) == 4094) {
          // The last parcel of a page: a 32-bit instruction continues on the next page.
          insn = load16(host);
          if ((insn & 3) == 3) {
            const host2 = fetchHost(vcpu, i32(pc + 2), load32(vcpu + V_PRIV));
            if (host2 < 0) {
              n++;
              ev = EV_TRAP;
              break;
            }
            insn |= load16(host2) << 16;
          }
        } else {
          insn = fetch32(host);
          if ((load32(SYS_RUN_FLAGS) & RUNFLAG_STEP) == 0) {
            winStart = pc & -4096;
            winAdd = i32(host - pc);
            winLen = WINDOW;
          }
        }
        store32(SYS_TRACE_INSN, (insn & 3) == 3 ? insn : insn & 0xffff);
      }
      n++;

      let rd = 0;
      let val = 0;
      let npc = 0;

      if ((insn & 3) != 3) {
        // ── RV32C: quadrants 0-2, keyed by funct3 << 2 | quadrant ──────────────────────────
        insn &= 0xffff;
        npc = i32(pc + 2);
        switch (((insn >> 11) & 0x1c) | (insn & 3)) {
          case 0x00: { // C.ADDI4SPN
            const imm = cImmAddi4spn(insn);
            if (imm == 0) {
              raise(CAUSE_ILLEGAL, insn);
              ev = EV_TRAP;
              break;
            }
            rd = cReg(insn, 2);
            val = i32(load32(vcpu + 8) + imm);
            break;
          }
          case 0x08: { // C.LW
            rd = cReg(insn, 2);
            const addr = i32(load32(vcpu + (cReg(insn, 7) << 2)) + cImmLw(insn));
            const e = tlbLoad + tlbSlot(addr);
            if (load32(e) == (addr & MASK_WORD)) {
              val = load32(i32(addr + load32(e + 4)));
            } else {
              val = loadSlowPath(vcpu, addr, 2, n);
              ev = slowEvent;
              if (ev == EV_TRAP) rd = 0;
            }
            break;
          }
          case 0x18: { // C.SW
            const addr = i32(load32(vcpu + (cReg(insn, 7) << 2)) + cImmLw(insn));
            const v = load32(vcpu + (cReg(insn, 2) << 2));
            const e = tlbLoad + TLB_TABLE + tlbSlot(addr);
            if (load32(e) == (addr & MASK_WORD)) store32(i32(addr + load32(e + 4)), v);
            else ev = storeSlowPath(vcpu, addr, 2, v, n);
            break;
          }
          case 0x01: // C.ADDI (C.NOP, hints)
            rd = (insn >> 7) & 31;
            val = i32(load32(vcpu + (rd << 2)) + cImmCI(insn));
            break;
          case 0x05: // C.JAL (RV32)
            rd = 1;
            val = npc;
            npc = i32(pc + cImmJ(insn));
            if (n >= budget) ev = EV_RESYNC;
            break;
          case 0x09: // C.LI
            rd = (insn >> 7) & 31;
            val = cImmCI(insn);
            break;
          case 0x0d: { // C.ADDI16SP / C.LUI
            rd = (insn >> 7) & 31;
            if (rd == 2) {
              const imm = cImmAddi16sp(insn);
              if (imm == 0) {
                rd = 0;
                raise(CAUSE_ILLEGAL, insn);
                ev = EV_TRAP;
                break;
              }
              val = i32(load32(vcpu + 8) + imm);
            } else {
              val = cImmCI(insn) << 12;
              if (val == 0) {
                rd = 0;
                raise(CAUSE_ILLEGAL, insn);
                ev = EV_TRAP;
              }
            }
            break;
          }
          case 0x11: { // MISC-ALU
            rd = cReg(insn, 7);
            const a = load32(vcpu + (rd << 2));
            const op = (insn >> 10) & 3;
            if (op == 2) {
              val = a & cImmCI(insn); // C.ANDI
            } else if ((insn & 0x1000) != 0) {
              // shamt[5] = 1 (RV32C reserved) or C.SUBW/C.ADDW (RV64 only)
              rd = 0;
              raise(CAUSE_ILLEGAL, insn);
              ev = EV_TRAP;
            } else if (op == 0) {
              val = i32(a >>> ((insn >> 2) & 31)); // C.SRLI
            } else if (op == 1) {
              val = a >> ((insn >> 2) & 31); // C.SRAI
            } else {
              const b = load32(vcpu + (cReg(insn, 2) << 2));
              const f2 = (insn >> 5) & 3;
              if (f2 == 0) val = i32(a - b); // C.SUB
              else if (f2 == 1) val = a ^ b; // C.XOR
              else if (f2 == 2) val = a | b; // C.OR
              else val = a & b; // C.AND
            }
            break;
          }
          case 0x15: // C.J
            npc = i32(pc + cImmJ(insn));
            if (n >= budget) ev = EV_RESYNC;
            break;
          case 0x19: // C.BEQZ
            if (load32(vcpu + (cReg(insn, 7) << 2)) == 0) {
              npc = i32(pc + cImmB(insn));
              if (n >= budget) ev = EV_RESYNC;
            }
            break;
          case 0x1d: // C.BNEZ
            if (load32(vcpu + (cReg(insn, 7) << 2)) != 0) {
              npc = i32(pc + cImmB(insn));
              if (n >= budget) ev = EV_RESYNC;
            }
            break;
          case 0x02: // C.SLLI
            if ((insn & 0x1000) != 0) {
              raise(CAUSE_ILLEGAL, insn);
              ev = EV_TRAP;
              break;
            }
            rd = (insn >> 7) & 31;
            val = load32(vcpu + (rd << 2)) << ((insn >> 2) & 31);
            break;
          case 0x0a: { // C.LWSP
            rd = (insn >> 7) & 31;
            if (rd == 0) {
              raise(CAUSE_ILLEGAL, insn);
              ev = EV_TRAP;
              break;
            }
            const addr = i32(load32(vcpu + 8) + cImmLwsp(insn));
            const e = tlbLoad + tlbSlot(addr);
            if (load32(e) == (addr & MASK_WORD)) {
              val = load32(i32(addr + load32(e + 4)));
            } else {
              val = loadSlowPath(vcpu, addr, 2, n);
              ev = slowEvent;
              if (ev == EV_TRAP) rd = 0;
            }
            break;
          }
          case 0x12: { // C.JR, C.MV, C.EBREAK, C.JALR, C.ADD
            const r1 = (insn >> 7) & 31;
            const r2 = (insn >> 2) & 31;
            if ((insn & 0x1000) == 0) {
              if (r2 != 0) { // C.MV
                rd = r1;
                val = load32(vcpu + (r2 << 2));
              } else if (r1 != 0) { // C.JR
                npc = load32(vcpu + (r1 << 2)) & -2;
                if (n >= budget) ev = EV_RESYNC;
              } else {
                raise(CAUSE_ILLEGAL, insn);
                ev = EV_TRAP;
              }
            } else if (r2 != 0) { // C.ADD
              rd = r1;
              val = i32(load32(vcpu + (r1 << 2)) + load32(vcpu + (r2 << 2)));
            } else if (r1 != 0) { // C.JALR
              rd = 1;
              val = npc;
              npc = load32(vcpu + (r1 << 2)) & -2;
              if (n >= budget) ev = EV_RESYNC;
            } else { // C.EBREAK: the same trap as EBREAK
              setSliceRetired(n - 1);
              systemExecute(vcpu, 0x00100073, pc, 0, 2);
              ev = EV_TRAP;
            }
            break;
          }
          case 0x1a: { // C.SWSP
            const addr = i32(load32(vcpu + 8) + cImmSwsp(insn));
            const v = load32(vcpu + (((insn >> 2) & 31) << 2));
            const e = tlbLoad + TLB_TABLE + tlbSlot(addr);
            if (load32(e) == (addr & MASK_WORD)) store32(i32(addr + load32(e + 4)), v);
            else ev = storeSlowPath(vcpu, addr, 2, v, n);
            break;
          }
          default: // C.FLD, C.FLW, C.FSD, C.FSW and their SP forms; reserved quadrant-0 slot
            raise(CAUSE_ILLEGAL, insn);
            ev = EV_TRAP;
            break;
        }
      } else {
        // ── 32-bit encodings, keyed by opcode[6:2] ─────────────────────────────────────────
        npc = i32(pc + 4);
        const rs1v = load32(vcpu + ((insn >> 13) & 0x7c));
        switch ((insn >> 2) & 31) {
          case 0x00: { // LOAD
            const f3 = (insn >> 12) & 7;
            if (((LOAD_F3_ILLEGAL >> f3) & 1) != 0) {
              raise(CAUSE_ILLEGAL, insn);
              ev = EV_TRAP;
              break;
            }
            rd = (insn >> 7) & 31;
            const addr = i32(rs1v + immI(insn));
            const e = tlbLoad + tlbSlot(addr);
            if (load32(e) == (addr & (-4096 | ((1 << (f3 & 3)) - 1)))) {
              const h = i32(addr + load32(e + 4));
              if (f3 == 2) val = load32(h);
              else if (f3 == 4) val = load8(h);
              else if (f3 == 0) val = load8s(h);
              else if (f3 == 5) val = load16(h);
              else val = load16s(h);
            } else {
              val = loadSlowPath(vcpu, addr, f3, n);
              ev = slowEvent;
              if (ev == EV_TRAP) rd = 0;
            }
            break;
          }
          case 0x08: { // STORE
            const f3 = (insn >> 12) & 7;
            if (f3 > 2) {
              raise(CAUSE_ILLEGAL, insn);
              ev = EV_TRAP;
              break;
            }
            const addr = i32(rs1v + immS(insn));
            const v = load32(vcpu + ((insn >> 18) & 0x7c));
            const e = tlbLoad + TLB_TABLE + tlbSlot(addr);
            if (load32(e) == (addr & (-4096 | ((1 << f3) - 1)))) {
              const h = i32(addr + load32(e + 4));
              if (f3 == 2) store32(h, v);
              else if (f3 == 0) store8(h, v);
              else store16(h, v);
            } else {
              ev = storeSlowPath(vcpu, addr, f3, v, n);
            }
            break;
          }
          case 0x04: { // OP-IMM
            const imm = immI(insn);
            rd = (insn >> 7) & 31;
            switch ((insn >> 12) & 7) {
              case 0: val = i32(rs1v + imm); break; // ADDI
              case 1: // SLLI
                if ((insn >>> 25) != 0) ev = EV_TRAP;
                else val = rs1v << (imm & 31);
                break;
              case 2: val = rs1v < imm ? 1 : 0; break; // SLTI
              case 3: val = u32(rs1v) < u32(imm) ? 1 : 0; break; // SLTIU
              case 4: val = rs1v ^ imm; break; // XORI
              case 5: { // SRLI / SRAI
                const f7 = insn >>> 25;
                if (f7 == 0) val = i32(rs1v >>> (imm & 31));
                else if (f7 == 0x20) val = rs1v >> (imm & 31);
                else ev = EV_TRAP;
                break;
              }
              case 6: val = rs1v | imm; break; // ORI
              default: val = rs1v & imm; break; // ANDI
            }
            if (ev == EV_TRAP) {
              rd = 0;
              raise(CAUSE_ILLEGAL, insn);
            }
            break;
          }
          case 0x0c: { // OP (base and M extension)
            const rs2v = load32(vcpu + ((insn >> 18) & 0x7c));
            const f7 = insn >>> 25;
            const op = (insn >> 12) & 7;
            rd = (insn >> 7) & 31;
            if (f7 == 0) {
              switch (op) {
                case 0: val = i32(rs1v + rs2v); break; // ADD
                case 1: val = rs1v << (rs2v & 31); break; // SLL
                case 2: val = rs1v < rs2v ? 1 : 0; break; // SLT
                case 3: val = u32(rs1v) < u32(rs2v) ? 1 : 0; break; // SLTU
                case 4: val = rs1v ^ rs2v; break; // XOR
                case 5: val = i32(rs1v >>> (rs2v & 31)); break; // SRL
                case 6: val = rs1v | rs2v; break; // OR
                default: val = rs1v & rs2v; break; // AND
              }
            } else if (f7 == 1) {
              val = mulDiv(op, rs1v, rs2v);
            } else if (f7 == 0x20 && op == 0) {
              val = i32(rs1v - rs2v); // SUB
            } else if (f7 == 0x20 && op == 5) {
              val = rs1v >> (rs2v & 31); // SRA
            } else {
              rd = 0;
              raise(CAUSE_ILLEGAL, insn);
              ev = EV_TRAP;
            }
            break;
          }
          case 0x0d: // LUI
            rd = (insn >> 7) & 31;
            val = insn & -4096;
            break;
          case 0x05: // AUIPC
            rd = (insn >> 7) & 31;
            val = i32(pc + (insn & -4096));
            break;
          case 0x1b: // JAL
            rd = (insn >> 7) & 31;
            val = npc;
            npc = i32(pc + immJ(insn));
            if (n >= budget) ev = EV_RESYNC;
            break;
          case 0x19: // JALR
            if (((insn >> 12) & 7) != 0) {
              raise(CAUSE_ILLEGAL, insn);
              ev = EV_TRAP;
              break;
            }
            rd = (insn >> 7) & 31;
            val = npc;
            npc = i32(rs1v + immI(insn)) & -2;
            if (n >= budget) ev = EV_RESYNC;
            break;
          case 0x18: { // BRANCH
            const rs2v = load32(vcpu + ((insn >> 18) & 0x7c));
            let taken = false;
            switch ((insn >> 12) & 7) {
              case 0: taken = rs1v == rs2v; break; // BEQ
              case 1: taken = rs1v != rs2v; break; // BNE
              case 4: taken = rs1v < rs2v; break; // BLT
              case 5: taken = rs1v >= rs2v; break; // BGE
              case 6: taken = u32(rs1v) < u32(rs2v); break; // BLTU
              case 7: taken = u32(rs1v) >= u32(rs2v); break; // BGEU
              default:
                raise(CAUSE_ILLEGAL, insn);
                ev = EV_TRAP;
                break;
            }
            if (taken) {
              npc = i32(pc + immB(insn));
              if (n >= budget) ev = EV_RESYNC;
            }
            break;
          }
          case 0x03: // MISC-MEM: FENCE and FENCE.I are no-ops for one in-order hart without caches
            if (((insn >> 12) & 7) > 1) {
              raise(CAUSE_ILLEGAL, insn);
              ev = EV_TRAP;
            }
            break;
          case 0x0b: { // AMO (A extension, word only)
            const f5 = insn >>> 27;
            if (((insn >> 12) & 7) != 2 || (f5 == 0x02 && ((insn >> 20) & 31) != 0) ||
              (f5 != 0x02 && f5 != 0x03 && !amoValid(f5))) {
              raise(CAUSE_ILLEGAL, insn);
              ev = EV_TRAP;
              break;
            }
            setSliceRetired(n - 1);
            const host = atomicHost(vcpu, rs1v, f5 == 0x02 ? ACCESS_LOAD : ACCESS_STORE);
            if (host < 0) {
              ev = EV_TRAP;
              break;
            }
            rd = (insn >> 7) & 31;
            const rs2v = load32(vcpu + ((insn >> 18) & 0x7c));
            if (f5 == 0x02) { // LR.W
              val = load32(host);
              store32(vcpu + V_RES_ADDR, host);
              store32(vcpu + V_RES_VALID, 1);
            } else if (f5 == 0x03) { // SC.W
              if (load32(vcpu + V_RES_VALID) != 0 && load32(vcpu + V_RES_ADDR) == host) {
                store32(host, rs2v);
                val = 0;
              } else {
                val = 1;
              }
              store32(vcpu + V_RES_VALID, 0);
            } else {
              val = load32(host);
              store32(host, amoCompute(f5, val, rs2v));
            }
            ev = statusEvent();
            break;
          }
          case 0x1c: // SYSTEM: trap-and-emulate
            setSliceRetired(n - 1);
            val = systemExecute(vcpu, insn, pc, rs1v, 4);
            if (slowStatus != 0) {
              ev = EV_TRAP;
            } else {
              rd = (insn >> 7) & 31;
              npc = systemNextPc;
              ev = EV_RESYNC;
            }
            break;
          default:
            raise(CAUSE_ILLEGAL, insn);
            ev = EV_TRAP;
            break;
        }
      }

      // ── Write-back (never x0, never after a fault) ─────────────────────────────────────
      if (rd != 0) store32(vcpu + (rd << 2), val);
      if (ev != EV_NONE) {
        if (ev != EV_TRAP) pc = npc;
        break;
      }
      pc = npc;
    }

    // ── Leaving the fast loop ──────────────────────────────────────────────────────────────
    if (ev == EV_TRAP) {
      n--; // the trapping instruction does not retire
      pc = trapEnter(vcpu, faultCause, faultTval, pc);
      faultClear();
      chargeTrap(vcpu);
      traps++;
      budget--;
    } else if (ev == EV_EXIT) {
      faultClear();
      exitReason = EXIT_WATCH;
      break;
    } else {
      faultClear();
    }
  }

  store32(vcpu + V_PC, pc);
  counterAdd(SYS_CLOCK_LO, n);
  const inhibit = load32(vcpu + V_MCOUNTINHIBIT);
  if ((inhibit & 1) == 0) counterAdd(vcpu + V_MCYCLE_LO, n);
  if ((inhibit & 4) == 0) counterAdd(vcpu + V_MINSTRET_LO, n);
  store32(SYS_RETIRED, n);
  store32(SYS_TRAPS, traps);
  store32(SYS_EXIT_REASON, exitReason);
  return exitReason;
}
