// The interpreter: fetch, one decode switch for RV32IMAC (+ Zicsr, Zifencei), one write-back;
// the F and D instructions are decoded and executed by cpu/fpu.ts, called from run().
//
// Structure (after TinyEMU and mini-rv32ima), in two functions:
// - fastLoop() is the hot path and makes no calls. It fetches from a window (the host address
//   of the current code page: fetching is one compare and one load), refilled from the fetch
//   TLB when pc enters another page, does loads and stores through the split TLBs (tag +
//   addend: one compare, one add), and returns an event as soon as anything needs more: a TLB
//   miss, a sensitive instruction, a fault, the budget spent at a taken branch, jump or page
//   crossing. Without calls in this loop V8 keeps its state in registers.
// - run() owns everything else: block boundaries (host requests, pending interrupts, WFI, the
//   budget), fetch-TLB misses, the slow paths of memory access (mmu/access.ts), AMOs, the
//   SYSTEM opcode (kernel/system.ts), F and D (cpu/fpu.ts) and the single trap path
//   (kernel/trap.ts).
// - Budgets are exact (run(1) executes one instruction): the fetch window never reaches past
//   the remaining budget (windowLength) and taken branches and jumps check it.
// - Faults are values (cpu/fault.ts): a failing step raises the fault, skips write-back, and
//   run() takes the trap.
//
// Instruction counting: `n` counts instructions fetched in this call; a trapping instruction is
// taken back, so n is the number retired. Counters are committed when run() returns and are
// exact in between (kernel/counters.ts). Every trap taken costs one unit of budget and one cycle
// of virtual time: a guest whose trap handler itself faults cannot hold run() forever.

import {
  load8, load8s, load16, load16s, load32, store8, store16, store32, fetch32, atomicCas32, atomicAdd32,
  atomicSwap32, atomicXor32, atomicOr32, atomicAnd32, atomicFence,
} from "../shim";
import {
  SYS_CUR_VCPU, SYS_HOST_REQ, SYS_EXIT_REASON, SYS_RETIRED, SYS_TRACE_PC,
  SYS_TRACE_INSN, SYS_CLOCK_LO, SYS_TRAPS, V_PC, V_PRIV, V_WFI, V_RES_ADDR, V_RES_VALID,
  V_MCOUNTINHIBIT, V_MCYCLE_LO, V_MINSTRET_LO, V_MCAUSE, V_MSTATUS, V_TRAP_STREAK, V_STATE, V_HALT_REASON,
  V_HALT_STATUS, V_STAT_RETIRED_LO, V_STAT_CYCLES_LO, V_STAT_TRAPS, V_STAT_SYSTEM, SYS_HV_MODE,
  VS_HALTED, VS_STOPPED, HALT_TRAP_LOOP, TLB_FETCH, TLB_LOAD, TLB_TABLE, EXIT_BUDGET, EXIT_HOST, EXIT_WFI,
  EXIT_WATCH, EXIT_HALT, EXIT_TIMELINE, EXIT_BREAK, EXIT_RETRY, HOSTREQ_STOP, HOSTREQ_TIMELINE,
  SYS_CUR_TLB_FETCH, HART_X, V_DEBUG, DEBUG_BREAK, V_SCAUSE, PRIV_S, V_TRIG_SUMMARY, V_DEBUG_HIT,
  V_F, V_PREVIRT, V_STAT_VCSR_SLOW, V_RES_VALUE, THREADED, SYS_FENCE, vcpuAddr, tlbSetAddr,
  SYS_JIT_BASE, SYS_STAT_JIT_ENTRIES, SYS_STAT_JIT_RETIRED_LO, JIT_HOT_TABLE, JIT_HOT_SLOTS, JIT_PREFILTER,
} from "../layout";
import {
  slowStatus, faultCause, faultTval, faultClear, raise, setStatus, STATUS_OK, STATUS_FAULT, STATUS_WATCH, STATUS_RETRY,
  CAUSE_ILLEGAL, CAUSE_BREAKPOINT, CAUSE_INTERRUPT, CAUSE_ECALL_U, ACCESS_LOAD, ACCESS_STORE,
  CAUSE_TRIGGER, CAUSE_DEBUG_HALT,
} from "./fault";
import {
  immI, immS, immB, immJ, cReg, cImmCI, cImmAddi4spn, cImmLw, cImmAddi16sp, cImmJ, cImmB,
  cImmLwsp, cImmSwsp, cImmLd, cImmLdsp, cImmSdsp,
} from "./decode";
import { mulDiv, amoCompute, amoValid } from "./alu";
import { fpExecute, fpFastRegs } from "./fpu";
import { loadSlow, storeSlow, fetchHost, atomicHost, dataPriv } from "../mmu/access";
import { tlbSlot, MASK_WORD, MASK_DOUBLE } from "../mmu/tlb";
import { systemExecute, systemNextPc } from "../kernel/system";
import { trapEnter, pendingInterrupt, wfiWake, wfiEnd } from "../kernel/trap";
import { setSliceRetired, setSliceBase, counterAdd, chargeTrap } from "../kernel/counters";
import { timerCheckAt } from "../kernel/timer";
import { ecallIntercepted, hypercallAllowed } from "../kernel/vcpu";
import { sbiCall, wvcall, WVCALL, SBI_HALT, SBI_YIELD, SBI_STOP } from "../kernel/sbi";
import { vcsrFast, vcsrValid, vcsrOriginal, vcsrValue, exitCount } from "../kernel/previrt";
import { semihostAt, semihostCall, EBREAK } from "../kernel/semihost";
import { IPC_BLOCK, IPC_SWITCH, ipcSwitchTo, ipcSwitchReason } from "../kernel/ipc";
import { vcpuSwitch } from "../kernel/vcpu";
import { threadService } from "../kernel/threads";
import { jitLookup, jitProbeWeight, jitCounterStart } from "../jit/frontend";
import { jitExec, jitExitPc } from "../shim";
import { timelineRecord } from "../kernel/timeline";
import {
  triggerBeforeFetch, triggerCheck, triggerData, icountEvent, icountForget, trigBit, TRIG_ICOUNT,
  TRIG_EXEC_SIZED, MC_EXECUTE, MC_LOAD, MC_STORE,
} from "../kernel/trigger";

// Events: why fastLoop() returned.
/** ECALL's encoding. */
const ECALL: i32 = 0x00000073;
/** The instruction completed and pc left the fetch window: fetch through run(). */
const EV_FETCH: i32 = 1;
/**
 * A taken branch or jump completed within NEAR instructions of the end of the budget: run()
 * continues through its exact fetch path (a backward jump could otherwise re-enter a window
 * sized for straight-line code).
 */
const EV_BRANCH: i32 = 2;
/** The instruction faulted (fault.ts holds the trap); it does not retire. */
const EV_TRAP: i32 = 3;
/** The instruction needs run(): a load or store that missed the TLB fast path, an AMO, SYSTEM. */
const EV_LOAD: i32 = 4;
const EV_STORE: i32 = 5;
const EV_AMO: i32 = 6;
const EV_SYSTEM: i32 = 7;
/** An F or D instruction (or a reserved compressed encoding): cpu/fpu.ts, in run(). */
const EV_FP: i32 = 8;

// fastLoop()'s state when it returns (the instruction in flight, for EV_LOAD and later).
let exitPc: i32 = 0;
let exitN: i32 = 0;
let exitInsn: i32 = 0;
let exitRd: i32 = 0;
let exitNpc: i32 = 0;
let exitAddr: i32 = 0;
let exitF3: i32 = 0;
let exitVal: i32 = 0;

/**
 * The TLB fast path of every load and store: the host address of `addr` if `table` caches its
 * page for this access (and `mask`'s alignment bits of addr are clear), else -1 (host addresses
 * are below 2 GiB).
 */
function tlbHost(table: i32, addr: i32, mask: i32): i32 {
  const e = table + tlbSlot(addr);
  return load32(e) == (addr & mask) ? i32(addr + load32(e + 4)) : -1;
}

/** LOAD funct3 values 3, 6, 7 are not loads in RV32. */
const LOAD_F3_ILLEGAL: i32 = 0xc8;
/** Window length: offsets 0..4092 can fetch four bytes without leaving the page. */
const WINDOW: i32 = 4093;

/**
 * Length of a fetch window that starts on the page of the instruction at page offset `offset`
 * and may fetch `remaining` more instructions. Every instruction is at least 2 bytes, so
 * straight-line code cannot run past the budget without leaving the window; taken branches and
 * jumps check the budget themselves. Budgets are therefore exact, with no check per instruction.
 */
function windowLength(offset: i32, remaining: i32): i32 {
  if (remaining >= 2048) return WINDOW;
  const len = offset + 2 * remaining - 1;
  return len < WINDOW ? len : WINDOW;
}

/**
 * At most this many instructions per call of translated code. A region can hold a whole
 * recursion (its calls' return sites are blocks of it), and a host compiles the code it runs in
 * tiers — V8 first runs a new module's code from its baseline compiler and uses the optimized
 * code from the next call on (no on-stack replacement for Wasm): a call that ran for a whole
 * slice stayed in the slow tier (bench.elf: 520-590 MIPS against 680-750 with shorter calls).
 */
const JIT_CALL_MAX: i32 = 1 << 14;

/** Taken branches and jumps this many instructions before the end of the budget check it. */
const NEAR: i32 = 2048;

/**
 * Does a taken branch or jump to `npc`, the n-th instruction, leave the fast loop (EV_BRANCH)?
 * At n >= `branchAt` (within NEAR of the end of the budget) always; with the translator on
 * (`hot`: its taken-branch counters, else 0) when the target's counter is used up, for run() to
 * look for translated code there (a target with some keeps its counter used up).
 */
function branchLeaves(n: i32, branchAt: i32, hot: i32, npc: i32): bool {
  return n >= branchAt || (hot != 0 && hotProbe(hotSlot(hot, npc)));
}

/** The taken-branch counter of target `pc` in the counters at `hot`. */
function hotSlot(hot: i32, pc: i32): i32 {
  return hot + (((pc >>> 1) & (JIT_HOT_SLOTS - 1)) << 2);
}

/** Count a taken branch at its counter `slot`: true when it reaches JIT_PREFILTER. */
function hotProbe(slot: i32): bool {
  const c = i32(load32(slot) + 1);
  if (c >= JIT_PREFILTER) return true;
  store32(slot, c);
  return false;
}

/**
 * Execute instructions from `insn` at `pc` (already fetched) for as long as they need nothing
 * from run(). Crossing into another code page refills the fetch window from the fetch TLB
 * (SYS_CUR_TLB_FETCH) when it holds the page (a block boundary: the budget is checked there).
 * Makes no calls (but to count taken branches with the translator on), and keeps only pc, n,
 * the budget (as nearEnd = budget - NEAR), insn, the load TLB and the window in registers. A
 * taken branch or jump returns (EV_BRANCH) when branchLeaves() says so.
 */
function fastLoop(pc: i32, n: i32, nearEnd: i32, insn: i32, tlbLoad: i32, fpRegs: i32, branchAt: i32, hot: i32): i32 {
  let ev = 0;
  // The fetch window: host address = pc + winAdd while u32(pc - winStart) < winLen. It starts
  // on the page run() just fetched from, when the fetch TLB holds it. Its length never reaches
  // past the budget; a taken branch or jump within NEAR instructions of the end leaves the loop
  // (EV_BRANCH). Further from the end, a page holds fewer instructions than remain.
  const e0 = load32(SYS_CUR_TLB_FETCH) + tlbSlot(pc);
  let winStart = pc & -4096;
  let winAdd = load32(e0 + 4);
  let winLen = load32(e0) == winStart ? windowLength(pc & 4095, i32(nearEnd + NEAR - n)) : 0;
  while (true) {
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
          val = i32(load32(HART_X + 8) + imm);
          break;
        }
        case 0x08: { // C.LW
          rd = cReg(insn, 2);
          const addr = i32(load32(HART_X + (cReg(insn, 7) << 2)) + cImmLw(insn));
          const h = tlbHost(tlbLoad, addr, MASK_WORD);
          if (h >= 0) {
            val = load32(h);
          } else {
            exitAddr = addr;
            exitF3 = 2;
            ev = EV_LOAD;
          }
          break;
        }
        case 0x18: { // C.SW
          const addr = i32(load32(HART_X + (cReg(insn, 7) << 2)) + cImmLw(insn));
          const v = load32(HART_X + (cReg(insn, 2) << 2));
          const h = tlbHost(tlbLoad + TLB_TABLE, addr, MASK_WORD);
          if (h >= 0) store32(h, v);
          else {
            exitAddr = addr;
            exitF3 = 2;
            exitVal = v;
            ev = EV_STORE;
          }
          break;
        }
        case 0x01: // C.ADDI (C.NOP, hints)
          rd = (insn >> 7) & 31;
          val = i32(load32(HART_X + (rd << 2)) + cImmCI(insn));
          break;
        case 0x05: // C.JAL (RV32)
          rd = 1;
          val = npc;
          npc = i32(pc + cImmJ(insn));
          if (branchLeaves(n, branchAt, hot, npc)) ev = EV_BRANCH;
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
            val = i32(load32(HART_X + 8) + imm);
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
          const a = load32(HART_X + (rd << 2));
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
            const b = load32(HART_X + (cReg(insn, 2) << 2));
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
          if (branchLeaves(n, branchAt, hot, npc)) ev = EV_BRANCH;
          break;
        case 0x19: // C.BEQZ
          if (load32(HART_X + (cReg(insn, 7) << 2)) == 0) {
            npc = i32(pc + cImmB(insn));
            if (branchLeaves(n, branchAt, hot, npc)) ev = EV_BRANCH;
          }
          break;
        case 0x1d: // C.BNEZ
          if (load32(HART_X + (cReg(insn, 7) << 2)) != 0) {
            npc = i32(pc + cImmB(insn));
            if (branchLeaves(n, branchAt, hot, npc)) ev = EV_BRANCH;
          }
          break;
        case 0x02: // C.SLLI
          if ((insn & 0x1000) != 0) {
            raise(CAUSE_ILLEGAL, insn);
            ev = EV_TRAP;
            break;
          }
          rd = (insn >> 7) & 31;
          val = load32(HART_X + (rd << 2)) << ((insn >> 2) & 31);
          break;
        case 0x0a: { // C.LWSP
          rd = (insn >> 7) & 31;
          if (rd == 0) {
            raise(CAUSE_ILLEGAL, insn);
            ev = EV_TRAP;
            break;
          }
          const addr = i32(load32(HART_X + 8) + cImmLwsp(insn));
          const h = tlbHost(tlbLoad, addr, MASK_WORD);
          if (h >= 0) {
            val = load32(h);
          } else {
            exitAddr = addr;
            exitF3 = 2;
            ev = EV_LOAD;
          }
          break;
        }
        case 0x12: { // C.JR, C.MV, C.EBREAK, C.JALR, C.ADD
          const r1 = (insn >> 7) & 31;
          const r2 = (insn >> 2) & 31;
          if ((insn & 0x1000) == 0) {
            if (r2 != 0) { // C.MV
              rd = r1;
              val = load32(HART_X + (r2 << 2));
            } else if (r1 != 0) { // C.JR
              npc = load32(HART_X + (r1 << 2)) & -2;
              if (branchLeaves(n, branchAt, hot, npc)) ev = EV_BRANCH;
            } else {
              raise(CAUSE_ILLEGAL, insn);
              ev = EV_TRAP;
            }
          } else if (r2 != 0) { // C.ADD
            rd = r1;
            val = i32(load32(HART_X + (r1 << 2)) + load32(HART_X + (r2 << 2)));
          } else if (r1 != 0) { // C.JALR
            rd = 1;
            val = npc;
            npc = load32(HART_X + (r1 << 2)) & -2;
            if (branchLeaves(n, branchAt, hot, npc)) ev = EV_BRANCH;
          } else { // C.EBREAK: the same trap as EBREAK
            raise(CAUSE_BREAKPOINT, 0);
            ev = EV_TRAP;
          }
          break;
        }
        case 0x1a: { // C.SWSP
          const addr = i32(load32(HART_X + 8) + cImmSwsp(insn));
          const v = load32(HART_X + (((insn >> 2) & 31) << 2));
          const h = tlbHost(tlbLoad + TLB_TABLE, addr, MASK_WORD);
          if (h >= 0) store32(h, v);
          else {
            exitAddr = addr;
            exitF3 = 2;
            exitVal = v;
            ev = EV_STORE;
          }
          break;
        }
        case 0x04: // C.FLD
        case 0x14: // C.FSD
        case 0x06: // C.FLDSP
        case 0x16: { // C.FSDSP
          // On a TLB hit with the FP state on and Dirty (fpRegs): mirrors cpu/fpu.ts memLoad /
          // memStore, which run() calls for everything else (misses, FS not Dirty, no F).
          if (fpRegs != 0) {
            const sp = (insn & 2) != 0;
            const load = (insn & 0x8000) == 0;
            const addr = sp
              ? i32(load32(HART_X + 8) + (load ? cImmLdsp(insn) : cImmSdsp(insn)))
              : i32(load32(HART_X + (cReg(insn, 7) << 2)) + cImmLd(insn));
            const h = tlbHost(load ? tlbLoad : tlbLoad + TLB_TABLE, addr, MASK_DOUBLE);
            if (h >= 0) {
              const f = fpRegs + ((sp ? (load ? (insn >> 7) & 31 : (insn >> 2) & 31) : cReg(insn, 2)) << 3);
              if (load) {
                store32(f, load32(h));
                store32(f + 4, load32(h + 4));
              } else {
                store32(h, load32(f));
                store32(h + 4, load32(f + 4));
              }
              break;
            }
          }
          ev = EV_FP;
          break;
        }
        default: // C.FLW, C.FSW and their SP forms; reserved quadrant-0 slot: cpu/fpu.ts in run()
          ev = EV_FP;
          break;
      }
    } else {
      // ── 32-bit encodings, keyed by opcode[6:2] ─────────────────────────────────────────
      npc = i32(pc + 4);
      const rs1v = load32(HART_X + ((insn >> 13) & 0x7c));
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
          const h = tlbHost(tlbLoad, addr, -4096 | ((1 << (f3 & 3)) - 1));
          if (h >= 0) {
            if (f3 == 2) val = load32(h);
            else if (f3 == 4) val = load8(h);
            else if (f3 == 0) val = load8s(h);
            else if (f3 == 5) val = load16(h);
            else val = load16s(h);
          } else {
            exitAddr = addr;
            exitF3 = f3;
            ev = EV_LOAD;
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
          const v = load32(HART_X + ((insn >> 18) & 0x7c));
          const h = tlbHost(tlbLoad + TLB_TABLE, addr, -4096 | ((1 << f3) - 1));
          if (h >= 0) {
            if (f3 == 2) store32(h, v);
            else if (f3 == 0) store8(h, v);
            else store16(h, v);
          } else {
            exitAddr = addr;
            exitF3 = f3;
            exitVal = v;
            ev = EV_STORE;
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
          const rs2v = load32(HART_X + ((insn >> 18) & 0x7c));
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
          if (branchLeaves(n, branchAt, hot, npc)) ev = EV_BRANCH;
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
          if (branchLeaves(n, branchAt, hot, npc)) ev = EV_BRANCH;
          break;
        case 0x18: { // BRANCH
          const rs2v = load32(HART_X + ((insn >> 18) & 0x7c));
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
            if (branchLeaves(n, branchAt, hot, npc)) ev = EV_BRANCH;
          }
          break;
        }
        case 0x03: // MISC-MEM: FENCE and FENCE.I are no-ops for one in-order hart without caches
          if (((insn >> 12) & 7) > 1) {
            raise(CAUSE_ILLEGAL, insn);
            ev = EV_TRAP;
          } else if (THREADED) {
            atomicFence(SYS_FENCE); // other harts run on other threads: order this one's accesses
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
          ev = EV_AMO; // performed by run(): reservations and atomicity live there
          break;
        }
        case 0x1c: // SYSTEM: trap-and-emulate, in run()
          ev = EV_SYSTEM;
          break;
        case 0x01: { // LOAD-FP: FLW, FLD on a TLB hit with the FP state on and Dirty, else run()
          const f3 = (insn >> 12) & 7;
          if (fpRegs != 0 && (f3 == 2 || f3 == 3)) {
            const h = tlbHost(tlbLoad, i32(rs1v + immI(insn)), f3 == 2 ? MASK_WORD : MASK_DOUBLE);
            if (h >= 0) {
              const f = fpRegs + (((insn >> 7) & 31) << 3);
              store32(f, load32(h));
              store32(f + 4, f3 == 2 ? -1 : load32(h + 4)); // a single is NaN-boxed
              break;
            }
          }
          ev = EV_FP;
          break;
        }
        case 0x09: { // STORE-FP: FSW, FSD likewise
          const f3 = (insn >> 12) & 7;
          if (fpRegs != 0 && (f3 == 2 || f3 == 3)) {
            const h = tlbHost(tlbLoad + TLB_TABLE, i32(rs1v + immS(insn)), f3 == 2 ? MASK_WORD : MASK_DOUBLE);
            if (h >= 0) {
              const f = fpRegs + (((insn >> 20) & 31) << 3);
              store32(h, load32(f));
              if (f3 == 3) store32(h + 4, load32(f + 4));
              break;
            }
          }
          ev = EV_FP;
          break;
        }
        case 0x10: // FMADD
        case 0x11: // FMSUB
        case 0x12: // FNMSUB
        case 0x13: // FNMADD
        case 0x14: // OP-FP
          // With the FP state on and Dirty, executed here (they touch no memory: their only
          // fault is an illegal instruction, raised by fpExecute); else in run().
          if (fpRegs != 0) {
            fpExecute(i32(fpRegs - V_F), insn, pc);
            if (slowStatus != STATUS_OK) ev = EV_TRAP;
            break;
          }
          ev = EV_FP;
          break;
        case 0x0a: { // custom-1: a patched pre-virtualization site (kernel/previrt.ts)
          const v = vcpuAddr(load32(SYS_CUR_VCPU));
          if (load32(v + V_PREVIRT) == 0 || !vcsrValid(insn)) {
            raise(CAUSE_ILLEGAL, insn); // as on hardware, and in partitions without previrt
            ev = EV_TRAP;
          } else if (vcsrFast(v, insn, rs1v)) {
            if (slowStatus != STATUS_OK) ev = EV_TRAP; // denied, as the original would be
            else {
              rd = (insn >> 7) & 31;
              val = vcsrValue;
            }
          } else {
            ev = EV_SYSTEM; // trap-and-emulate of the original instruction, in run()
          }
          break;
        }
        case 0x02: // custom-0: only WVCALL, wasmvisor's hypercall (kernel/sbi.ts), in run()
          if (insn == WVCALL) {
            ev = EV_SYSTEM;
          } else {
            raise(CAUSE_ILLEGAL, insn);
            ev = EV_TRAP;
          }
          break;
        default:
          raise(CAUSE_ILLEGAL, insn);
          ev = EV_TRAP;
          break;
      }
    }


    if (ev != 0) {
      if (ev == EV_BRANCH) {
        if (rd != 0) store32(HART_X + (rd << 2), val);
        pc = npc;
      }
      exitRd = rd;
      exitNpc = npc;
      break;
    }
    // ── Write-back (never x0) and the next fetch ─────────────────────────────────────────
    if (rd != 0) store32(HART_X + (rd << 2), val);
    pc = npc;
    if (u32(i32(pc - winStart)) < u32(winLen)) {
      insn = fetch32(i32(pc + winAdd));
      continue;
    }
    // Another page: a block boundary. Refill the window if the fetch TLB has the page and the
    // instruction does not straddle into the next page (offset 4094); else run() fetches.
    const e = load32(SYS_CUR_TLB_FETCH) + tlbSlot(pc);
    if (n >= i32(nearEnd + NEAR) || load32(e) != (pc & -4096) || (pc & 4095) == 4094) {
      ev = EV_FETCH;
      break;
    }
    winStart = pc & -4096;
    winAdd = load32(e + 4);
    winLen = windowLength(pc & 4095, i32(nearEnd + NEAR - n));
    insn = fetch32(i32(pc + winAdd));
  }
  exitPc = pc;
  exitN = n;
  exitInsn = insn;
  return ev;
}

/**
 * Run the current vCPU until `budget` units of work are done — an instruction retired or a
 * trap taken, exactly — or an exit: the host asked to stop, the hart waits in WFI with nothing
 * pending, a watched store. Returns the exit reason (EXIT_*).
 */
export function run(budget: i32): i32 {
  let vcpu = vcpuAddr(load32(SYS_CUR_VCPU));
  let pc = load32(vcpu + V_PC);
  let n = 0;
  let traps = 0;
  // Device accesses to be retried (at most one per call: run() returns after it).
  let stalls = 0;
  // The IPC fast path may switch vCPUs inside the slice: what the current vCPU had done when
  // it took over (its counters get n - nBase instructions and traps - trapsBase traps).
  let nBase = 0;
  let trapsBase = 0;
  setSliceBase(0);
  let exitReason = EXIT_BUDGET;
  // The vCPU stopped (SBI HSM hart_stop): marked STOPPED once its slice is committed below.
  let stopping = false;
  let boundary = true;
  let tlbLoad = 0;
  // Where the current block must end: the budget, or the vCPU's next timer deadline.
  let stopAt = 0;
  // The translator's area while it may be entered (docs/jit.md), else 0: chosen at block
  // boundaries, like the TLBs (no translated code while a trigger is armed: Sdtrig stays exact).
  let jit = 0;
  // Exceptions taken in a row without an instruction retiring: a trap loop is fatal (hvRun).
  let streak = load32(vcpu + V_TRAP_STREAK);
  let lastTrapN = streak > 0 ? 0 : -1;
  faultClear();
  icountN = -1;

  while (true) {
    // ── Block boundary ───────────────────────────────────────────────────────────────────
    if (boundary) {
      boundary = false;
      icountSettle(vcpu, n);
      if (THREADED) threadService(load32(SYS_CUR_VCPU)); // (a remote fence another hart's thread asked)
      const req = load32(SYS_HOST_REQ);
      if (req != 0) {
        // HOSTREQ_IRQ needs no action beyond the interrupt check below.
        store32(SYS_HOST_REQ, 0);
        if ((req & HOSTREQ_STOP) != 0) {
          exitReason = EXIT_HOST;
          break;
        }
        if ((req & HOSTREQ_TIMELINE) != 0) {
          exitReason = EXIT_TIMELINE;
          break;
        }
      }
      // Nothing more happens in a spent budget, not even an interrupt: it is taken at the start
      // of the next run() instead, at the same clock, so where the host splits a run into
      // slices never changes what the guest sees.
      if (n >= budget) break;
      // Timers first, so an interrupt whose deadline is due now is taken now.
      const untilTimer = timerCheckAt(vcpu, n);
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
        wfiEnd(vcpu);
      }
      if (n >= budget) break;
      stopAt = untilTimer < i32(budget - n) ? i32(n + untilTimer) : budget;
      // An armed icount trigger sees every instruction: one per block.
      if ((load32(vcpu + V_TRIG_SUMMARY) & TRIG_ICOUNT) != 0 && i32(n + 1) < stopAt) stopAt = i32(n + 1);
      // Privilege, MPRV or translation may have changed: reselect the TLBs.
      tlbLoad = tlbSetAddr(vcpu, dataPriv(vcpu)) + TLB_LOAD;
      store32(SYS_CUR_TLB_FETCH, tlbSetAddr(vcpu, load32(vcpu + V_PRIV)) + TLB_FETCH);
      jit = load32(vcpu + V_TRIG_SUMMARY) == 0 ? load32(SYS_JIT_BASE) : 0;
    }

    // ── Fetch (fastLoop fetches everything it can; this is the slow path) ───────────────
    // A new code page or a TLB miss: a block boundary for the budget and the timers.
    if (n >= stopAt) {
      if (n >= budget) break;
      boundary = true; // a timer deadline
      continue;
    }
    store32(SYS_TRACE_PC, pc);
    const priv = load32(vcpu + V_PRIV);
    let insn = 0;
    let host = -1;
    // Sdtrig: a pending icount trigger, then execute triggers, fire before the fetch (and its
    // faults). Pages they may match are not in the fetch TLB, so their instructions come here.
    const trig = load32(vcpu + V_TRIG_SUMMARY);
    icountSettle(vcpu, n);
    if (trig == 0 || !triggerBeforeFetch(vcpu, priv, pc)) {
      host = fetchHost(vcpu, pc, priv);
      if (host >= 0) {
        if ((pc & 4095) == 4094) {
          // The last parcel of a page: a 32-bit instruction continues on the next page.
          insn = load16(host);
          if ((insn & 3) == 3) {
            host = fetchHost(vcpu, i32(pc + 2), priv);
            if (host >= 0) insn |= load16(host) << 16;
          }
        } else {
          insn = fetch32(host);
        }
      }
      // An execute trigger with a size needs the instruction's length.
      if (host >= 0 && (trig & TRIG_EXEC_SIZED) != 0 && (trig & trigBit(0, priv)) != 0 &&
        triggerCheck(vcpu, priv, MC_EXECUTE, pc, 0, pc, (insn & 3) == 3 ? 4 : 2)) {
        host = -1;
      }
      if ((trig & TRIG_ICOUNT) != 0) {
        icountN = n; // its retirement counts when it is settled
        icountPriv = priv;
        icountMstatus = load32(vcpu + V_MSTATUS);
      }
    }
    if (host >= 0) {
      store32(SYS_TRACE_INSN, (insn & 3) == 3 ? insn : insn & 0xffff);

      // ── Execute in the fast loop, then serve what it stopped for ───────────────────────
      const fpRegs = fpFastRegs(vcpu);
      const branchAt = i32(stopAt - NEAR);
      const hot = jit != 0 ? jit + JIT_HOT_TABLE : 0;
      let ev = fastLoop(pc, n, branchAt, insn, tlbLoad, fpRegs, branchAt, hot);
      pc = exitPc;
      n = exitN;
      let counted = n < branchAt; // (the branch left for its counter, not for the budget's end)
      // Near the end of the budget (and, with the translator on, when a taken branch's counter
      // says so) a taken branch comes back here: go straight back in while budget is left and the fetch TLB holds
      // the target's page. (This keeps the end of every slice cheap; it is the cost of a
      // preemption.)
      while (ev == EV_BRANCH && n < stopAt) {
        const e = load32(SYS_CUR_TLB_FETCH) + tlbSlot(pc);
        if (load32(e) != (pc & -4096) || (pc & 4095) == 4094) break;
        const hostPc = i32(pc + load32(e + 4));
        if (jit != 0) {
          // Translated code for this target (found, or translated now that it is hot): it runs
          // at most the budget left and stops before anything it cannot do (a TLB miss, an
          // instruction the IR lacks), which the interpreter then does. No interrupt can fall
          // due inside: stopAt is also the next timer deadline, and only the instructions that
          // end translated code change what is pending.
          // A probe the target's counter sent counts JIT_PREFILTER; one near the end of the
          // budget or where translated code stopped, 1. A target with translated code keeps
          // its counter used up; another starts again.
          const handle = jitLookup(jit, pc, hostPc, counted ? jitProbeWeight() : 1);
          if (counted) store32(hotSlot(hot, pc), handle > 0 ? JIT_PREFILTER : jitCounterStart());
          if (handle > 0) {
            const left = i32(stopAt - n);
            const done = jitExec(handle, pc, left < JIT_CALL_MAX ? left : JIT_CALL_MAX, tlbLoad, tlbLoad + TLB_TABLE);
            if (done > 0) {
              counted = false;
              n = i32(n + done);
              pc = jitExitPc();
              store32(SYS_STAT_JIT_ENTRIES, i32(load32(SYS_STAT_JIT_ENTRIES) + 1));
              counterAdd(SYS_STAT_JIT_RETIRED_LO, done);
              continue;
            }
          }
        }
        ev = fastLoop(pc, n, branchAt, fetch32(hostPc), tlbLoad, fpRegs, branchAt, hot);
        pc = exitPc;
        n = exitN;
        counted = n < branchAt;
      }
      if (ev <= EV_BRANCH) continue; // completed; the fetch path checks the budget

      setSliceRetired(n - 1);
      let status = STATUS_OK;
      if (ev == EV_SYSTEM && ((exitInsn >> 2) & 31) == 0x0a) {
        // A patched site the fast loop left to run(): emulate the original instruction.
        exitInsn = vcsrOriginal(exitInsn);
        store32(vcpu + V_STAT_VCSR_SLOW, i32(load32(vcpu + V_STAT_VCSR_SLOW) + 1));
      }
      if (ev != EV_TRAP) {
        // Load and store triggers fire before the access (and its faults).
        if (ev == EV_LOAD) {
          if (!triggerData(vcpu, MC_LOAD, exitAddr, 1 << (exitF3 & 3), pc, exitInsn)) {
            const value = loadSlow(vcpu, exitAddr, exitF3);
            if (slowStatus != STATUS_FAULT && slowStatus != STATUS_RETRY && exitRd != 0) store32(HART_X + (exitRd << 2), value);
          }
        } else if (ev == EV_STORE) {
          if (!triggerData(vcpu, MC_STORE, exitAddr, 1 << exitF3, pc, exitInsn)) storeSlow(vcpu, exitAddr, exitF3, exitVal);
        } else if (ev == EV_AMO) {
          const f5 = exitInsn >>> 27; // LR loads, SC stores, an AMO does both
          const kinds = f5 == 0x02 ? MC_LOAD : f5 == 0x03 ? MC_STORE : MC_LOAD | MC_STORE;
          if (!triggerData(vcpu, kinds, load32(HART_X + ((exitInsn >> 13) & 0x7c)), 4, pc, exitInsn)) amo(vcpu, exitInsn);
        } else if (ev == EV_FP) {
          fpExecute(vcpu, exitInsn, pc);
        } else if (exitInsn == EBREAK && semihostAt(vcpu, pc)) {
          // A semihosting call (kernel/semihost.ts): the host serves it and the EBREAK
          // completes, or it asks for the call again (bounded work per exit).
          store32(vcpu + V_STAT_SYSTEM, i32(load32(vcpu + V_STAT_SYSTEM) + 1));
          exitCount(vcpu, 0, 0);
          if (semihostCall()) {
            pc = i32(pc + 4);
            boundary = true; // the host may have posted a request (SYS_EXIT stops the run)
            continue;
          }
          setStatus(STATUS_RETRY);
        } else if ((exitInsn == ECALL && ecallIntercepted(vcpu, CAUSE_ECALL_U + load32(vcpu + V_PRIV))) ||
          (exitInsn == WVCALL && hypercallAllowed(vcpu))) {
          // An SBI call or a hypercall: the kernel answers it and the instruction completes.
          store32(vcpu + V_STAT_SYSTEM, i32(load32(vcpu + V_STAT_SYSTEM) + 1));
          exitCount(vcpu, 0, 0);
          pc = i32(pc + 4);
          boundary = true;
          const action = exitInsn == ECALL ? sbiCall(vcpu) : wvcall(vcpu);
          if (action == SBI_HALT) {
            exitReason = EXIT_HALT;
            break;
          }
          if (action == SBI_STOP) stopping = true;
          if (action == SBI_YIELD || action == IPC_BLOCK || action == SBI_STOP) break;
          if (action == IPC_SWITCH) {
            // IPC fast path: the slice goes on with the other vCPU of the call or reply.
            icountSettle(vcpu, n);
            commitVcpu(vcpu, pc, n - nBase, traps - trapsBase, lastTrapN == n ? streak : 0);
            timelineRecord(ipcSwitchTo, n, ipcSwitchReason); // the clock is SYS_CLOCK + n here
            vcpuSwitch(ipcSwitchTo);
            vcpu = vcpuAddr(ipcSwitchTo);
            pc = load32(vcpu + V_PC);
            nBase = n;
            trapsBase = traps;
            setSliceBase(n);
            streak = load32(vcpu + V_TRAP_STREAK);
            lastTrapN = streak > 0 ? n : -1;
          }
          continue;
        } else {
          store32(vcpu + V_STAT_SYSTEM, i32(load32(vcpu + V_STAT_SYSTEM) + 1));
          const src1 = load32(HART_X + ((exitInsn >> 13) & 0x7c));
          exitCount(vcpu, exitInsn, src1);
          const value = systemExecute(vcpu, exitInsn, pc, src1, load32(HART_X + ((exitInsn >> 18) & 0x7c)), 4);
          if (icountN < 0) icountForget(); // (it was not fetched under icount: it does not count)
          if (slowStatus != STATUS_FAULT) {
            const rd = (exitInsn >> 7) & 31;
            if (rd != 0) store32(HART_X + (rd << 2), value);
            exitNpc = systemNextPc;
            boundary = true; // any SYSTEM instruction may change privilege, translation or enables
          }
        }
        status = slowStatus;
      }
      if (status == STATUS_RETRY) {
        // Bounded work per exit: the device did part of this access's work and wants the access
        // again. It does not complete (pc stays on it); the attempt costs one cycle, like a trap,
        // so time and budgets advance; the host gets control back before the vCPU runs again.
        faultClear();
        n--;
        chargeTrap(vcpu);
        counterAdd(vcpu + V_STAT_CYCLES_LO, 1);
        stalls++;
        exitReason = EXIT_RETRY;
        break;
      }
      if (ev != EV_TRAP && status != STATUS_FAULT) {
        pc = exitNpc;
        faultClear();
        if (status == STATUS_WATCH) {
          exitReason = EXIT_WATCH;
          break;
        }
        if (status != STATUS_OK) boundary = true; // a device posted a host request
        continue;
      }
      n--; // the trapping instruction does not retire
    } else if (THREADED && slowStatus == STATUS_RETRY) {
      // vNUMA: the instruction's page is not on this node yet (mmu/access.ts resolve); the
      // host fetches it and the hart fetches again, as a device's retry.
      faultClear();
      chargeTrap(vcpu);
      counterAdd(vcpu + V_STAT_CYCLES_LO, 1);
      stalls++;
      exitReason = EXIT_RETRY;
      break;
    }

    // ── An exception: the single trap path ───────────────────────────────────────────────
    if (faultCause == CAUSE_DEBUG_HALT || (faultCause == CAUSE_BREAKPOINT && (load32(vcpu + V_DEBUG) & DEBUG_BREAK) != 0)) {
      // A debugger's breakpoint (an EBREAK it wrote, or one of its triggers, which recorded
      // itself in V_DEBUG_HIT): stop on the instruction; the guest sees nothing happen.
      if (faultCause == CAUSE_BREAKPOINT) store32(vcpu + V_DEBUG_HIT, 0);
      faultClear();
      exitReason = EXIT_BREAK;
      break;
    }
    streak = n == lastTrapN ? i32(streak + 1) : 1;
    lastTrapN = n;
    takeTrap(vcpu, pc);
    pc = trapPc;
    traps++;
    budget--;
    boundary = true;
    if (streak >= TRAP_LOOP_LIMIT && load32(SYS_HV_MODE) != 0) {
      // Fatal: the guest traps forever without running an instruction (e.g. a bad vector).
      store32(vcpu + V_STATE, VS_HALTED);
      store32(vcpu + V_HALT_REASON, HALT_TRAP_LOOP);
      // (The cause of the last trap, at the level that took it.)
      store32(vcpu + V_HALT_STATUS, load32(vcpu + (load32(vcpu + V_PRIV) == PRIV_S ? V_SCAUSE : V_MCAUSE)));
      exitReason = EXIT_HALT;
      break;
    }
  }

  icountSettle(vcpu, n);
  counterAdd(SYS_CLOCK_LO, n);
  commitVcpu(vcpu, pc, n - nBase, traps - trapsBase, lastTrapN == n ? streak : 0);
  // (only now: on threads another hart may start it as soon as it looks stopped, writing its pc
  // and registers — which the commit above must not overwrite)
  if (stopping) atomicSwap32(vcpu + V_STATE, VS_STOPPED);
  store32(SYS_RETIRED, n);
  store32(SYS_TRAPS, traps + stalls);
  store32(SYS_EXIT_REASON, exitReason);
  return exitReason;
}

/**
 * Save what a vCPU did in this slice: its pc and trap streak, and `retired` instructions and
 * `trapped` traps into its counters and statistics (the clock is committed by run() itself).
 */
function commitVcpu(vcpu: i32, pc: i32, retired: i32, trapped: i32, streak: i32): void {
  store32(vcpu + V_PC, pc);
  store32(vcpu + V_TRAP_STREAK, streak);
  const inhibit = load32(vcpu + V_MCOUNTINHIBIT);
  if ((inhibit & 1) == 0) counterAdd(vcpu + V_MCYCLE_LO, retired);
  if ((inhibit & 4) == 0) counterAdd(vcpu + V_MINSTRET_LO, retired);
  counterAdd(vcpu + V_STAT_RETIRED_LO, retired);
  counterAdd(vcpu + V_STAT_CYCLES_LO, i32(retired + trapped));
  store32(vcpu + V_STAT_TRAPS, i32(load32(vcpu + V_STAT_TRAPS) + trapped));
}

/** Sdtrig icount: the instruction in flight was fetched while an icount trigger was armed, at
 *  this n (-1: none), in this privilege level. Its retirement (n went past it) is counted when
 *  it is settled: before the next boundary or fetch, a vCPU switch, or the end of run(). */
let icountN: i32 = -1;
let icountPriv: i32 = 0;
let icountMstatus: i32 = 0;

function icountSettle(vcpu: i32, n: i32): void {
  if (icountN < 0) return;
  if (n > icountN) icountEvent(vcpu, icountPriv, icountMstatus, true);
  else icountForget();
  icountN = -1;
}

/** Exceptions in a row without a retired instruction that make a trap loop (fatal in hvRun). */
const TRAP_LOOP_LIMIT: i32 = 100000;

/** pc of the trap handler after takeTrap(). */
let trapPc: i32 = 0;

/** The single trap path for faults: enter the handler for the fault in fault.ts, charge it. */
function takeTrap(vcpu: i32, pc: i32): void {
  trapPc = trapEnter(vcpu, faultCause == CAUSE_TRIGGER ? CAUSE_BREAKPOINT : faultCause, faultTval, pc);
  faultClear();
  chargeTrap(vcpu);
}

/**
 * LR.W, SC.W and the AMOs (validated by fastLoop); faults are raised through fault.ts.
 * LR keeps the address and the value it read; SC stores only if the reservation is valid, names
 * the same word and the word still holds that value — a compare-and-exchange in the threaded
 * build, where other harts run at the same time (an ABA store between them goes unnoticed, as
 * in QEMU; the ISA allows an SC to fail or succeed after the reserving hart's own stores).
 */
function amo(vcpu: i32, insn: i32): void {
  const f5 = insn >>> 27;
  const host = atomicHost(vcpu, load32(HART_X + ((insn >> 13) & 0x7c)), f5 == 0x02 ? ACCESS_LOAD : ACCESS_STORE);
  if (host < 0) return;
  const rd = (insn >> 7) & 31;
  const rs2v = load32(HART_X + ((insn >> 18) & 0x7c));
  let val = 0;
  if (f5 == 0x02) { // LR.W
    val = load32(host);
    store32(vcpu + V_RES_ADDR, host);
    store32(vcpu + V_RES_VALUE, val);
    store32(vcpu + V_RES_VALID, 1);
  } else if (f5 == 0x03) { // SC.W
    val = 1;
    if (load32(vcpu + V_RES_VALID) != 0 && load32(vcpu + V_RES_ADDR) == host) {
      const expected = load32(vcpu + V_RES_VALUE);
      if (THREADED) {
        if (atomicCas32(host, expected, rs2v) == expected) val = 0;
      } else if (load32(host) == expected) {
        store32(host, rs2v);
        val = 0;
      }
    }
    store32(vcpu + V_RES_VALID, 0);
  } else if (THREADED) {
    val = amoAtomic(f5, host, rs2v);
  } else {
    val = load32(host);
    store32(host, amoCompute(f5, val, rs2v));
  }
  if (rd != 0) store32(HART_X + (rd << 2), val);
}

/** An AMO as one atomic operation on shared memory (the threaded build); the old value. */
function amoAtomic(f5: i32, host: i32, src: i32): i32 {
  switch (f5) {
    case 0x00: return atomicAdd32(host, src);
    case 0x01: return atomicSwap32(host, src);
    case 0x04: return atomicXor32(host, src);
    case 0x08: return atomicOr32(host, src);
    case 0x0c: return atomicAnd32(host, src);
    default: { // MIN, MAX, MINU, MAXU: retried until no other hart wrote in between
      let old = load32(host);
      while (true) {
        const seen = atomicCas32(host, old, amoCompute(f5, old, src));
        if (seen == old) return old;
        old = seen;
      }
    }
  }
}
