// The Supervisor Binary Interface as the kernel answers it for supervisor-mode partitions (as
// OpenSBI or KVM would; RISC-V SBI specification v2.0), and wasmvisor's own hypercalls for both
// guest modes.
//
// Hypercalls: WVCALL, one encoding in the custom-0 opcode space that no unmodified guest
// produces (0x5760000B: opcode 0x0B, funct3 0, rd = rs1 = x0, imm 0x576 "WV"), with the SBI
// register convention: a7 = the wasmvisor extension ID, a6 = FID, a0-a5 arguments, results in
// a0/a1. A machine-mode guest's M-mode and a supervisor-mode guest's S-mode may use it; anywhere
// else it is an illegal instruction, as on hardware. A supervisor-mode guest may also reach the
// extension through ECALL (the SBI is the hypervisor's there); a machine-mode guest's ECALLs are
// always its own (an RTOS yields with a bare ECALL, whatever a7 holds).
//
// A supervisor-mode vCPU has no M-mode code: everything but ECALL from S is delegated to S, and
// an ECALL from S arrives here. Arguments in a0-a5, function ID in a6, extension ID in a7; the
// result is an error in a0 and a value in a1 (the legacy extensions return a0 only). Fast calls
// (Base, TIME, IPI, RFENCE, HSM, SRST, the hypercall extension) are served in the core; console
// I/O (legacy putchar/getchar, DBCN) goes to the host through env.hypercall.

import { load32, store32, hostHypercall, memFill, atomicOr32, atomicAdd32, atomicSwap32, atomicLoad32 } from "../shim";
import {
  HART_X, V_MIP, V_STATE, V_HALT_REASON, V_HALT_STATUS, V_STAT_SBI, SYS_STAT_SBI, SYS_CUR_VCPU,
  SYS_HC_ERROR, SYS_HC_VALUE, SYS_YIELDED,
  SYS_NOW_LO, SYS_NOW_HI, VS_HALTED, HALT_SHUTDOWN, HALT_RESET, VS_STOPPED, VS_RUNNABLE, VS_STOP_PENDING, V_X, V_PC,
  V_PRIV, V_SATP, V_MSTATUS, V_WFI, PRIV_S, V_FENCE_REQ, V_STARTS, FENCE_TRANSLATED, FENCE_REMOTE,
  HART_OP_IPI, HART_OP_FENCE, HART_OP_START, HART_OP_STATUS, vcpuAddr,
} from "../layout";
import { smpHarts, smpHartVcpu, smpLeader } from "./smp";
import { mipUpdate, threadWake, threadElsewhere, fenceAsk, fenceWait, hartOnNode, remoteAsk, remoteWait } from "./threads";
import { tlbFlushAll } from "../mmu/tlb";
import { MSTATUS_SIE } from "./bits";
import { clockLo, clockHi } from "./counters";
import { stimecmpSet } from "./timer";
import { shadowFence, shadowReset } from "../mmu/shadow";
import { ipcHypercall, ipcNotifyAllowed, FID_NOTIFY, FID_PPCALL, FID_REPLY, FID_RECV, FID_REPLY_RECV } from "./ipc";

// Extension IDs.
const EID_LEGACY_SET_TIMER: i32 = 0x00;
const EID_LEGACY_PUTCHAR: i32 = 0x01;
const EID_LEGACY_GETCHAR: i32 = 0x02;
const EID_LEGACY_CLEAR_IPI: i32 = 0x03;
const EID_LEGACY_SEND_IPI: i32 = 0x04;
const EID_LEGACY_FENCE_I: i32 = 0x05;
const EID_LEGACY_SFENCE: i32 = 0x06;
const EID_LEGACY_SFENCE_ASID: i32 = 0x07;
const EID_LEGACY_SHUTDOWN: i32 = 0x08;
const EID_BASE: i32 = 0x10;
const EID_TIME: i32 = 0x54494d45; // "TIME"
const EID_IPI: i32 = 0x735049; // "sPI"
const EID_RFENCE: i32 = 0x52464e43; // "RFNC"
const EID_HSM: i32 = 0x48534d; // "HSM"
const EID_SRST: i32 = 0x53525354; // "SRST"
const EID_DBCN: i32 = 0x4442434e; // "DBCN"
/** wasmvisor's hypercall extension, in the experimental range 0x0800_0000-0x08FF_FFFF ("\x08WMV"). */
export const EID_WASMVISOR: i32 = 0x08574d56;
/** The hypercall instruction (custom-0; see the top of this file). */
export const WVCALL: i32 = 0x5760000b;

// Error codes.
const SBI_SUCCESS: i32 = 0;
const SBI_ERR_NOT_SUPPORTED: i32 = -2;
const SBI_ERR_INVALID_PARAM: i32 = -3;
const SBI_ERR_ALREADY_AVAILABLE: i32 = -6;

/** SBI specification version 2.0: major in bits 30:24. */
const SPEC_VERSION: i32 = 2 << 24;
/** Implementation ID (not in the SBI registry: wasmvisor). */
const IMPL_ID: i32 = 0x574d56;
const IMPL_VERSION: i32 = 1;

// What the interpreter must do after the call.
export const SBI_CONTINUE: i32 = 0;
/** The calling vCPU gave up the rest of its slice (hypercall yield). */
export const SBI_YIELD: i32 = 1;
/** The calling vCPU's partition halted (SRST, legacy shutdown, HSM stop of its only hart). */
export const SBI_HALT: i32 = 2;
// (kernel/ipc.ts continues the list: IPC_BLOCK 3, IPC_SWITCH 4.)

const MIP_SSIP: i32 = 1 << 1;

function reg(n: i32): i32 {
  return load32(HART_X + (n << 2));
}

function setReg(n: i32, value: i32): void {
  store32(HART_X + (n << 2), value);
}

function ret(error: i32, value: i32): void {
  setReg(10, error);
  setReg(11, value);
}

function halt(vcpu: i32, reason: i32, status: i32): i32 {
  store32(vcpu + V_STATE, VS_HALTED);
  store32(vcpu + V_HALT_REASON, reason);
  store32(vcpu + V_HALT_STATUS, status);
  return SBI_HALT;
}

/** The calling hart stopped (HSM hart_stop) while others of its partition go on: its slice ends
 *  (run() marks it STOPPED when it has committed the slice). */
export const SBI_STOP: i32 = 5;

/**
 * The harts of the caller's partition (hart 0: vCPU `leader`) that {mask, base} names, as a
 * bit per hart number, or -1 if it names a hart that does not exist (SBI v2.0 §3.1: base -1
 * names every hart).
 */
function hartsSelected(leader: i32, mask: i32, base: i32): i32 {
  const n = smpHarts(leader);
  const all = i32((1 << n) - 1);
  if (base == -1) return all;
  if (u32(base) >= u32(n)) return -1;
  const selected = mask << base;
  return (mask >>> (n - base)) != 0 ? -1 : selected & all;
}

/**
 * SBI HSM hart_start (SBI v2.0 §9.1): hart `hart` of the partition, STOPPED, starts in S-mode at
 * `start` with a0 = its hart id, a1 = `opaque`, satp = 0 and sstatus.SIE = 0 (every other
 * register zero), its translations dropped. It is not running (the caller is), so its registers
 * are in its block.
 */
function hartStart(target: i32, hart: i32, start: i32, opaque: i32): void {
  memFill(target + V_X, 0, 128);
  store32(target + V_X + 10 * 4, hart);
  store32(target + V_X + 11 * 4, opaque);
  store32(target + V_PC, start);
  store32(target + V_PRIV, PRIV_S);
  store32(target + V_SATP, 0);
  store32(target + V_MSTATUS, load32(target + V_MSTATUS) & ~MSTATUS_SIE);
  store32(target + V_WFI, 0);
  tlbFlushAll(target);
  shadowReset(target);
  // (its thread, if it has one, loads the registers again when it sees the count move; atomic,
  // and before the state: a thread that sees the hart runnable sees the new registers)
  atomicAdd32(target + V_STARTS, 1);
  atomicSwap32(target + V_STATE, VS_RUNNABLE);
}

// SBI HSM states (SBI v2.0 §9: STARTED 0, STOPPED 1, STOP_PENDING 3; SUSPENDED is a WFI here).
const HSM_STARTED: i32 = 0;
const HSM_STOPPED: i32 = 1;
const HSM_STOP_PENDING: i32 = 3;

/** HSM status of vCPU block `t` of this node. */
function hsmState(t: i32): i32 {
  const state = atomicLoad32(t + V_STATE);
  return state == VS_RUNNABLE ? HSM_STARTED : state == VS_STOP_PENDING ? HSM_STOP_PENDING : HSM_STOPPED;
}

/** HSM status of vCPU `index`, STOP_PENDING included (asked of its node if it is on another;
 *  stopped if the run ended before the answer). */
function hartStatus(index: i32): i32 {
  if (!hartOnNode(index)) return hsmState(vcpuAddr(index));
  remoteAsk(index, HART_OP_STATUS, 0, 0, true);
  const status = remoteWait();
  return status < 0 ? HSM_STOPPED : status;
}

/**
 * vNUMA: do what a hart of another node asked (kernel/threads.ts remoteAsk) to vCPU `index`, a
 * hart of this node; called by this node's host (src/machine/vnuma/harts.ts), which then wakes
 * the hart's thread. An IPI sets SSIP; a fence asks the hart's thread to drop its translations
 * (the host answers once it has: FENCE_REMOTE); hart_start and status answer as the SBI does.
 */
export function hartServe(index: i32, op: i32, a: i32, b: i32): i32 {
  const t = vcpuAddr(index);
  switch (op) {
    case HART_OP_IPI:
      mipUpdate(t, 0, MIP_SSIP);
      return SBI_SUCCESS;
    case HART_OP_FENCE:
      atomicOr32(t + V_FENCE_REQ, FENCE_TRANSLATED | FENCE_REMOTE);
      return SBI_SUCCESS;
    case HART_OP_START: {
      if (load32(t + V_STATE) != VS_STOPPED) return SBI_ERR_ALREADY_AVAILABLE;
      const leader = smpLeader(index);
      let hart = 0;
      while (hart < smpHarts(leader) && smpHartVcpu(leader, hart) != index) hart++;
      hartStart(t, hart, a, b);
      return SBI_SUCCESS;
    }
    case HART_OP_STATUS:
      return hsmState(t);
    default:
      return SBI_ERR_NOT_SUPPORTED;
  }
}

// How a forwarded call's result comes back: a0 = the value (legacy SBI), a0/a1 = error and
// value (SBI), a0 = the error only (hypercalls without a value leave a1 alone).
const RESULT_LEGACY: i32 = 0;
const RESULT_SBI: i32 = 1;
const RESULT_ERROR: i32 = 2;

/** Forward a console call or a notification to the host; copy its result into a0 (and a1). */
function hostCall(eid: i32, fid: i32, result: i32): void {
  store32(SYS_HC_ERROR, SBI_ERR_NOT_SUPPORTED);
  store32(SYS_HC_VALUE, 0);
  // The ECALL's exact time, as for an MMIO access (the host's tracing reads it).
  store32(SYS_NOW_LO, clockLo());
  store32(SYS_NOW_HI, clockHi());
  hostHypercall(load32(SYS_CUR_VCPU), eid, fid);
  if (result == RESULT_LEGACY) setReg(10, load32(SYS_HC_VALUE));
  else if (result == RESULT_ERROR) setReg(10, load32(SYS_HC_ERROR));
  else ret(load32(SYS_HC_ERROR), load32(SYS_HC_VALUE));
}

function probe(eid: i32): i32 {
  if (eid >= EID_LEGACY_SET_TIMER && eid <= EID_LEGACY_SHUTDOWN) return 1;
  return eid == EID_BASE || eid == EID_TIME || eid == EID_IPI || eid == EID_RFENCE || eid == EID_HSM ||
    eid == EID_SRST || eid == EID_DBCN || eid == EID_WASMVISOR ? 1 : 0;
}

/**
 * Serve the SBI call of the running vCPU `vcpu` (registers at HART_X). The caller has already
 * advanced its pc past the ECALL. Returns SBI_CONTINUE, SBI_YIELD or SBI_HALT.
 */
export function sbiCall(vcpu: i32): i32 {
  store32(SYS_STAT_SBI, i32(load32(SYS_STAT_SBI) + 1));
  store32(vcpu + V_STAT_SBI, i32(load32(vcpu + V_STAT_SBI) + 1));
  const eid = reg(17);
  const fid = reg(16);
  const a0 = reg(10);
  const a1 = reg(11);
  switch (eid) {
    case EID_LEGACY_SET_TIMER: // (RV32: a0 = low, a1 = high word of stime_value)
      stimecmpSet(vcpu, a1, a0, true);
      setReg(10, 0);
      return SBI_CONTINUE;
    case EID_LEGACY_PUTCHAR:
    case EID_LEGACY_GETCHAR:
      hostCall(eid, 0, RESULT_LEGACY);
      return SBI_CONTINUE;
    case EID_LEGACY_CLEAR_IPI:
      mipUpdate(vcpu, MIP_SSIP, 0);
      setReg(10, 0);
      return SBI_CONTINUE;
    case EID_LEGACY_SEND_IPI: // a0: address of a hart mask in guest memory; hart 0 is the only one
      mipUpdate(vcpu, 0, MIP_SSIP);
      setReg(10, 0);
      return SBI_CONTINUE;
    case EID_LEGACY_FENCE_I:
      setReg(10, 0);
      return SBI_CONTINUE;
    case EID_LEGACY_SFENCE:
    case EID_LEGACY_SFENCE_ASID:
      shadowFence(vcpu, 0, false, eid == EID_LEGACY_SFENCE_ASID ? reg(13) : 0, eid == EID_LEGACY_SFENCE_ASID);
      setReg(10, 0);
      return SBI_CONTINUE;
    case EID_LEGACY_SHUTDOWN:
      return halt(vcpu, HALT_SHUTDOWN, 0);
    case EID_BASE:
      switch (fid) {
        case 0: ret(SBI_SUCCESS, SPEC_VERSION); break;
        case 1: ret(SBI_SUCCESS, IMPL_ID); break;
        case 2: ret(SBI_SUCCESS, IMPL_VERSION); break;
        case 3: ret(SBI_SUCCESS, probe(a0)); break;
        case 4: ret(SBI_SUCCESS, 0); break; // mvendorid
        case 5: ret(SBI_SUCCESS, 0); break; // marchid
        case 6: ret(SBI_SUCCESS, 0); break; // mimpid
        default: ret(SBI_ERR_NOT_SUPPORTED, 0); break;
      }
      return SBI_CONTINUE;
    case EID_TIME:
      if (fid == 0) {
        stimecmpSet(vcpu, a1, a0, true);
        ret(SBI_SUCCESS, 0);
      } else {
        ret(SBI_ERR_NOT_SUPPORTED, 0);
      }
      return SBI_CONTINUE;
    case EID_IPI: {
      const leader = smpLeader(load32(SYS_CUR_VCPU));
      const harts = hartsSelected(leader, a0, a1);
      if (fid != 0) {
        ret(SBI_ERR_NOT_SUPPORTED, 0);
      } else if (harts < 0) {
        ret(SBI_ERR_INVALID_PARAM, 0); // names a hart that does not exist
      } else {
        // sbi_send_ipi: SSIP on every hart named (its supervisor software interrupt).
        for (let h = 0; h < smpHarts(leader); h++) {
          if ((harts & (1 << h)) == 0) continue;
          const index = smpHartVcpu(leader, h);
          if (hartOnNode(index)) {
            remoteAsk(index, HART_OP_IPI, 0, 0, false); // (as on hardware, the IPI arrives later)
            continue;
          }
          mipUpdate(vcpuAddr(index), 0, MIP_SSIP);
          threadWake(index); // (a hart on a thread of its own may sleep in WFI)
        }
        ret(SBI_SUCCESS, 0);
      }
      return SBI_CONTINUE;
    }
    case EID_RFENCE: {
      const leader = smpLeader(load32(SYS_CUR_VCPU));
      const harts = hartsSelected(leader, a0, a1);
      if (u32(fid) > 2) {
        ret(SBI_ERR_NOT_SUPPORTED, 0); // hypervisor fences: no H extension
      } else if (harts < 0) {
        ret(SBI_ERR_INVALID_PARAM, 0);
      } else {
        // remote_fence_i: nothing to drop (the interpreter fetches from memory every time).
        // remote_sfence_vma(mask, base, start, size) / _asid(…, asid): each hart named drops the
        // translations (TLB and shadow tables) the fence covers; a size of -1 (or one too
        // large to walk) means everything.
        for (let h = 0; fid >= 1 && h < smpHarts(leader); h++) {
          if ((harts & (1 << h)) == 0) continue;
          const index = smpHartVcpu(leader, h);
          // A hart on a thread of its own drops its translations itself (all of them), and the
          // call returns once it has (the loop after this one); one on another node likewise,
          // asked by a message.
          if (hartOnNode(index)) {
            remoteAsk(index, HART_OP_FENCE, 0, 0, true);
            continue;
          }
          if (threadElsewhere(index)) {
            fenceAsk(index);
            continue;
          }
          const t = vcpuAddr(index);
          const start = reg(12);
          const size = reg(13);
          const asid = reg(14);
          if (size == -1 || u32(size) > 0x100000) {
            shadowFence(t, 0, false, asid, fid == 2);
          } else {
            for (let off = 0; u32(off) < u32(size); off += 4096) shadowFence(t, i32(start + off), true, asid, fid == 2);
          }
        }
        for (let h = 0; fid >= 1 && h < smpHarts(leader); h++) {
          if ((harts & (1 << h)) != 0 && threadElsewhere(smpHartVcpu(leader, h)) && !hartOnNode(smpHartVcpu(leader, h))) fenceWait(smpHartVcpu(leader, h));
        }
        if (fid >= 1) remoteWait();
        ret(SBI_SUCCESS, 0);
      }
      return SBI_CONTINUE;
    }
    case EID_HSM: {
      const leader = smpLeader(load32(SYS_CUR_VCPU));
      const n = smpHarts(leader);
      if (n == 1) {
        switch (fid) {
          case 0: ret(a0 == 0 ? SBI_ERR_ALREADY_AVAILABLE : SBI_ERR_INVALID_PARAM, 0); break; // hart_start
          case 1: return halt(vcpu, HALT_SHUTDOWN, 0); // hart_stop: the only hart stops
          case 2: ret(a0 == 0 ? SBI_SUCCESS : SBI_ERR_INVALID_PARAM, 0); break; // hart_get_status: 0 started
          default: ret(SBI_ERR_NOT_SUPPORTED, 0); break; // hart_suspend
        }
        return SBI_CONTINUE;
      }
      const target = u32(a0) < u32(n) ? vcpuAddr(smpHartVcpu(leader, a0)) : 0;
      switch (fid) {
        case 0: // hart_start(hartid, start_addr, opaque)
          if (target == 0) ret(SBI_ERR_INVALID_PARAM, 0);
          else if (hartOnNode(smpHartVcpu(leader, a0))) {
            remoteAsk(smpHartVcpu(leader, a0), HART_OP_START, a1, reg(12), true);
            ret(remoteWait(), 0); // (-1, SBI_ERR_FAILED, if the run ended before the answer)
          } else if (load32(target + V_STATE) != VS_STOPPED) ret(SBI_ERR_ALREADY_AVAILABLE, 0);
          else {
            hartStart(target, a0, a1, reg(12));
            threadWake(smpHartVcpu(leader, a0)); // (its thread sleeps while it is stopped)
            ret(SBI_SUCCESS, 0);
          }
          break;
        case 1: { // hart_stop: the caller stops; the last started hart to stop halts the partition
          // STOP_PENDING first, then the count (atomic both, on threads; on nodes the count asks
          // each hart's own node): of two harts stopping at once, the one that counts second
          // sees the other no longer started, so the partition never sits with every hart
          // stopped. (Both may halt it: a halt is taken once.)
          atomicSwap32(vcpu + V_STATE, VS_STOP_PENDING);
          let started = 0;
          for (let h = 0; h < n; h++) if (hartStatus(smpHartVcpu(leader, h)) == HSM_STARTED) started++;
          if (started == 0) return halt(vcpu, HALT_SHUTDOWN, 0);
          // (run() marks it STOPPED once the slice is committed: a hart_start from another
          // thread that saw it stopped before then would have its pc overwritten)
          return SBI_STOP;
        }
        case 2: { // hart_get_status: 0 STARTED, 1 STOPPED (SUSPENDED is a WFI here: STARTED)
          // (a hart ending its stopping slice reads STARTED, as before it called hart_stop: it
          // cannot be started again until it is STOPPED, and guests wait for that)
          if (target == 0) {
            ret(SBI_ERR_INVALID_PARAM, 0);
            break;
          }
          const status = hartStatus(smpHartVcpu(leader, a0));
          ret(SBI_SUCCESS, status == HSM_STOP_PENDING ? HSM_STARTED : status);
          break;
        }
        case 3: // hart_suspend(type, resume_addr, opaque): the default retentive suspend waits
          // for an interrupt as WFI does; non-retentive suspend is not offered.
          if (a0 == 0) {
            store32(vcpu + V_WFI, 1);
            ret(SBI_SUCCESS, 0);
          } else {
            ret(a0 == i32(0x80000000) ? SBI_ERR_NOT_SUPPORTED : SBI_ERR_INVALID_PARAM, 0);
          }
          break;
        default: ret(SBI_ERR_NOT_SUPPORTED, 0); break;
      }
      return SBI_CONTINUE;
    }
    case EID_SRST:
      if (fid != 0) {
        ret(SBI_ERR_NOT_SUPPORTED, 0);
        return SBI_CONTINUE;
      }
      if (u32(a0) > 2 || u32(a1) > 1) {
        ret(SBI_ERR_INVALID_PARAM, 0);
        return SBI_CONTINUE;
      }
      // type 0 shutdown, 1 cold reboot, 2 warm reboot; reason 0 none, 1 system failure
      return halt(vcpu, a0 == 0 ? HALT_SHUTDOWN : HALT_RESET, a1);
    case EID_DBCN:
      if (u32(fid) > 2) ret(SBI_ERR_NOT_SUPPORTED, 0);
      else hostCall(eid, fid, RESULT_SBI);
      return SBI_CONTINUE;
    case EID_WASMVISOR:
      return hypercall(vcpu, fid);
    default:
      ret(SBI_ERR_NOT_SUPPORTED, 0);
      return SBI_CONTINUE;
  }
}

/**
 * A WVCALL of the running vCPU `vcpu` (registers at HART_X, pc already past it; the caller
 * checked that it may make one): the wasmvisor extension if a7 names it, else NOT_SUPPORTED.
 */
export function wvcall(vcpu: i32): i32 {
  store32(SYS_STAT_SBI, i32(load32(SYS_STAT_SBI) + 1));
  store32(vcpu + V_STAT_SBI, i32(load32(vcpu + V_STAT_SBI) + 1));
  if (reg(17) != EID_WASMVISOR) {
    ret(SBI_ERR_NOT_SUPPORTED, 0);
    return SBI_CONTINUE;
  }
  return hypercall(vcpu, reg(16));
}

/**
 * wasmvisor's hypercalls (both guest modes; guests/sdk/wasmvisor.h documents the ABI): FID 0
 * returns the extension version, FID 1 the partition (vCPU) index, FID 2 yields the rest of the
 * slice; FIDs 3-7 are IPC (kernel/ipc.ts): notify, ppcall, reply, recv, reply_recv.
 */
function hypercall(vcpu: i32, fid: i32): i32 {
  switch (fid) {
    case 0: ret(SBI_SUCCESS, 1); return SBI_CONTINUE;
    case 1: ret(SBI_SUCCESS, smpLeader(load32(SYS_CUR_VCPU))); return SBI_CONTINUE; // (the partition: its hart 0's vCPU)
    case 2:
      setReg(10, SBI_SUCCESS); // (no value: a1 is left alone, as the SDK promises)
      store32(SYS_YIELDED, 1);
      return SBI_YIELD;
    case FID_NOTIFY:
      // The host raises the other end's channel interrupt (a PLIC source of its board). Any
      // hart of a partition may notify on its channels (they are its hart 0's).
      if (ipcNotifyAllowed(smpLeader(load32(SYS_CUR_VCPU)), reg(10))) {
        hostCall(EID_WASMVISOR, FID_NOTIFY, RESULT_ERROR);
      } else {
        setReg(10, SBI_ERR_INVALID_PARAM);
      }
      return SBI_CONTINUE;
    case FID_PPCALL:
    case FID_REPLY:
    case FID_RECV:
    case FID_REPLY_RECV:
      return ipcHypercall(vcpu, fid);
    default: ret(SBI_ERR_NOT_SUPPORTED, 0); return SBI_CONTINUE;
  }
}
