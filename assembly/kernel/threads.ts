// The threaded build's entry points (docs/smp.md, "Harts on parallel threads"): each host thread
// runs one hart for good, with its own instance of the core over the one shared memory and its
// own system block (SYS_BASE, given at instantiation; layout.ts). The home block (SYS_HOME) is
// the machine's: the host thread that owns the devices keeps it; a hart's thread starts from a
// copy of it (clock rate, mode, paging, clock) and then keeps its own clock and exit state.
//
// In the one-thread cores SYS_BASE is SYS_HOME: threadAttach() of the running vCPU changes
// nothing there, and nothing calls these functions.

import {
  load32, store32, memCopy, hostHypercall, atomicOr32, atomicAnd32, atomicAdd32, atomicLoad32, atomicWait32, atomicNotify,
} from "../shim";
import {
  SYS_BASE, SYS_HOME, SYS_SIZE, SYS_CUR_VCPU, SYS_HOST_REQ, SYS_CLOCK_LO, SYS_CLOCK_HI, HART_X, V_X,
  V_RES_VALID, V_MIP, V_ELSEWHERE, V_FENCE_REQ, FENCE_TRANSLATED, FENCE_ALL, FENCE_REMOTE, HC_THREAD_WAKE, HC_FENCED,
  HC_HART_REMOTE, ELSEWHERE_NODE, V_REMOTE_WAIT, V_REMOTE_RESULT, V_REMOTE_OP, V_REMOTE_A, V_REMOTE_B,
  HOSTREQ_END, THREADED, vcpuAddr,
} from "../layout";
import { shadowFence } from "../mmu/shadow";
import { tlbFlushAll } from "../mmu/tlb";

/**
 * Make vCPU `index` this thread's hart: the system block from the home block's, the hart's
 * registers into this thread's HART_X. (Nothing is saved: the thread ran no hart before.)
 */
export function threadAttach(index: i32): void {
  if (SYS_BASE != SYS_HOME) memCopy(SYS_BASE, SYS_HOME, SYS_SIZE);
  store32(SYS_CUR_VCPU, index);
  store32(SYS_HOST_REQ, 0);
  memCopy(HART_X, vcpuAddr(index) + V_X, 128);
}

/** Load this thread's hart's registers from its vCPU block again (a stopped hart that another
 *  hart started: SBI HSM hart_start wrote them there). */
export function threadReload(index: i32): void {
  memCopy(HART_X, vcpuAddr(index) + V_X, 128);
}

/** Save this thread's hart's registers in its vCPU block (the host reads them there). */
export function threadDetach(): void {
  const vcpu = vcpuAddr(load32(SYS_CUR_VCPU));
  memCopy(vcpu + V_X, HART_X, 128);
  store32(vcpu + V_RES_VALID, 0);
}

/**
 * Move this thread's clock forward to {hi, lo} if that is later (the machine's clock is the
 * latest of the harts' clocks: each hart sees time go forward, never back).
 */
export function threadClockAtLeast(hi: i32, lo: i32): void {
  const myHi = load32(SYS_CLOCK_HI);
  if (hi > myHi || (hi == myHi && u32(lo) > u32(load32(SYS_CLOCK_LO)))) {
    store32(SYS_CLOCK_LO, lo);
    store32(SYS_CLOCK_HI, hi);
  }
}

/**
 * Change vCPU `vcpu`'s software-writable mip bits (an address): clear `clear`, then set `set`.
 * In the threaded build atomically, bit by bit: another hart's thread may be setting SSIP in the
 * same word at the same time (an IPI), and that must not be lost.
 */
export function mipUpdate(vcpu: i32, clear: i32, set: i32): void {
  if (THREADED) {
    if (clear != 0) atomicAnd32(vcpu + V_MIP, ~clear);
    if (set != 0) atomicOr32(vcpu + V_MIP, set);
  } else {
    store32(vcpu + V_MIP, (load32(vcpu + V_MIP) & ~clear) | set);
  }
}

/** Is vCPU `index` on a thread of its own (a partition on threads), another than this one's? */
export function threadElsewhere(index: i32): bool {
  return THREADED && index != load32(SYS_CUR_VCPU) && load32(vcpuAddr(index) + V_ELSEWHERE) != 0;
}

/** Wake the thread of vCPU `index` if it has one (it may sleep in WFI or stopped). */
export function threadWake(index: i32): void {
  if (threadElsewhere(index)) hostHypercall(load32(SYS_CUR_VCPU), HC_THREAD_WAKE, index);
}

/**
 * Serve what other harts' threads asked of vCPU `index` (this thread's): a remote SFENCE.VMA
 * drops every translation it holds (TLBs and shadow tables), then says it is done.
 */
export function threadService(index: i32): void {
  if (!THREADED) return;
  const vcpu = vcpuAddr(index);
  const asked = atomicOr32(vcpu + V_FENCE_REQ, 0);
  if (asked == 0) return;
  shadowFence(vcpu, 0, false, 0, false);
  if ((asked & FENCE_ALL) != 0) tlbFlushAll(vcpu);
  atomicAnd32(vcpu + V_FENCE_REQ, 0);
  atomicNotify(vcpu + V_FENCE_REQ);
  // (another node waits for the answer: the host sends it now, not at its next look)
  if ((asked & FENCE_REMOTE) != 0) hostHypercall(load32(SYS_CUR_VCPU), HC_FENCED, index);
}

/** Ask vCPU `index`'s thread to drop its translations (a remote SFENCE.VMA); fenceWait() waits. */
export function fenceAsk(index: i32): void {
  atomicOr32(vcpuAddr(index) + V_FENCE_REQ, FENCE_TRANSLATED);
  threadWake(index);
}

/** Wait until vCPU `index`'s thread has done what fenceAsk() asked, serving this thread's own
 *  requests meanwhile (two harts fencing each other never wait for ever). */
export function fenceWait(index: i32): void {
  // (the address again after each sleep, as in remoteWait)
  while (atomicLoad32(vcpuAddr(index) + V_FENCE_REQ) != 0) {
    // The run ends (a halt, the limit, a signal): the target's thread may be gone already, and
    // this hart stops too — waiting on would hold the run for ever.
    if ((load32(SYS_HOST_REQ) & HOSTREQ_END) != 0) return;
    threadService(load32(SYS_CUR_VCPU));
    sleepWhile(vcpuAddr(index) + V_FENCE_REQ);
  }
}

// ── vNUMA: harts on other nodes ─────────────────────────────────────────────────────────────
// A hart of this partition on another node (another process) has its live vCPU block there:
// this node's copy is not its own. What the SBI does to such a hart goes through the host as
// a message (src/machine/vnuma/harts.ts); the target's node does it with hartServe()
// (kernel/sbi.ts) and answers.

/** Is vCPU `index` on another node (vNUMA)? */
export function hartOnNode(index: i32): bool {
  return THREADED && index != load32(SYS_CUR_VCPU) && load32(vcpuAddr(index) + V_ELSEWHERE) == ELSEWHERE_NODE;
}

/**
 * Ask the node of vCPU `index` to do operation `op` (HART_OP_*) with arguments `a`, `b` to it.
 * `answered`: the call waits for the answer (remoteWait()); an IPI is not answered.
 */
export function remoteAsk(index: i32, op: i32, a: i32, b: i32, answered: bool): void {
  const self = load32(SYS_CUR_VCPU);
  const v = vcpuAddr(self);
  store32(v + V_REMOTE_OP, op);
  store32(v + V_REMOTE_A, a);
  store32(v + V_REMOTE_B, b);
  if (answered) atomicAdd32(v + V_REMOTE_WAIT, 1);
  hostHypercall(self, HC_HART_REMOTE, index);
}

/**
 * Wait until every answer this hart asked for has come (the host counts V_REMOTE_WAIT down),
 * serving the requests made of this hart meanwhile (two harts fencing each other across nodes
 * never wait for ever). The last answer, or -1 if the run ended first.
 */
export function remoteWait(): i32 {
  // (Every address is computed again after each sleep, from memory, and the sleep is the host's:
  // V8's baseline compiler (Liftoff, Node 20) lost a value held across memory.atomic.wait32 in
  // this loop, so the wait ended early with a stale answer — most answers of a run on the Wasm
  // core, never with the optimizing compiler alone; assembly/shim/index.ts atomicWait32.)
  while (true) {
    const self = load32(SYS_CUR_VCPU);
    if (atomicLoad32(vcpuAddr(self) + V_REMOTE_WAIT) == 0) break;
    if ((load32(SYS_HOST_REQ) & HOSTREQ_END) != 0) {
      store32(vcpuAddr(self) + V_REMOTE_WAIT, 0);
      return -1;
    }
    threadService(self);
    sleepWhile(vcpuAddr(load32(SYS_CUR_VCPU)) + V_REMOTE_WAIT);
  }
  // (read atomically, after the count: the host wrote the answer before it counted down)
  return atomicLoad32(vcpuAddr(load32(SYS_CUR_VCPU)) + V_REMOTE_RESULT);
}

/** Sleep (at most 200 µs) while the word at `word` is what it is now. */
function sleepWhile(word: i32): void {
  atomicWait32(word, atomicLoad32(word), 200);
}
