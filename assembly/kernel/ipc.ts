// Inter-partition IPC in the model of seL4 Microkit: channels between two partitions carry
// notifications and protected procedure calls (PPCs). The guest side is the wasmvisor hypercall
// extension (sbi.ts, EID_WASMVISOR; guests/sdk/wasmvisor.h documents the ABI):
//
//   FID 3 notify(ch)                      a0 = error
//   FID 4 ppcall(ch, msginfo, mr0..mr3)   a0 = error, a1 = reply msginfo, a2..a5 = reply MRs
//   FID 5 reply(msginfo, mr0..mr3)        a0 = error              (active servers)
//   FID 6 recv()                          a0 = event (below)
//   FID 7 reply_recv(msginfo, mr0..mr3)   a0 = event
//
// msginfo = label << 4 | count: count message registers (0..4) travel in a2..a5. recv and
// reply_recv block until a call arrives (a0 = 1, a1 = msginfo, a2..a5 = MRs, a6 = the channel
// id in the server's numbering) or, like WFI, until an interrupt is pending (a0 = 0: take it,
// then wait again). Errors are SBI error codes: -3 (INVALID_PARAM) for a channel the caller does
// not hold and bad message lengths, -4 (DENIED) for a call to an end that does not accept
// protected calls or to a partition of lower or equal priority, and for a reply with no call to
// answer, -1 (FAILED) when the server has stopped.
//
// A call is synchronous: the caller blocks until the reply. The server receives calls one at a
// time, highest caller priority first (then first come). A passive server (system description
// "passive": true) has no time of its own: from receiving a call until replying it runs on the
// caller's scheduling context — in the caller's windows, charged to the caller's budget (seL4
// MCS donation; sched.ts follows the donation). An active server runs on its own time.
//
// Notifications are asynchronous and coalescing: the host raises the receiving end's channel
// interrupt (a PLIC source of its board), which stays pending once however often it is raised.
//
// Two paths (seL4's design): ipcCall/ipcReplyRecv below are the slow path, the reference — they
// handle every case through the call queue and return to the scheduler. ipcCallFast and
// ipcReplyRecvFast handle the common case without either: a call that fits in registers to a
// passive server that is waiting, and the server's reply_recv when nobody else waits, switch
// straight to the other vCPU inside run() (cpu/exec.ts). Each checks its preconditions first and
// returns IPC_SLOW, untouched, when any fails; the slow path then does the same request. With
// SYS_IPC_FAST clear the fast path is never tried; the tests run every IPC scenario both ways.

import { load32, store32 } from "../shim";
import {
  HART_X, V_X, V_STATE, V_PRIORITY, V_WFI, V_CHANNELS, V_IPC_STATE, V_IPC_SERVER, V_IPC_CLIENT,
  V_IPC_CHANNEL, V_IPC_MSG, V_IPC_SEQ, V_PASSIVE, V_PASSIVE_READY, V_STAT_IPC_CALLS,
  V_STAT_IPC_SERVED, IPC_CHANNELS, IPC_CHANNEL_ENTRY, CH_VCPU0, CH_ID0, CH_VCPU1, CH_ID1,
  CH_PP_END, IPC_NONE, IPC_RECEIVING, IPC_CALL_QUEUED, IPC_CALL_ACTIVE, SCHED_VCPU_COUNT,
  SYS_CUR_VCPU, SYS_IPC_FAST, SYS_IPC_SEQ, SYS_STAT_IPC_CALLS, SYS_STAT_IPC_FAST_CALLS,
  SYS_STAT_IPC_FAST_REPLIES, SYS_STAT_IPC_NOTIFIES, VS_HALTED, TL_IPC_CALL, TL_IPC_REPLY, vcpuAddr,
} from "../layout";

export const FID_NOTIFY: i32 = 3;
export const FID_PPCALL: i32 = 4;
export const FID_REPLY: i32 = 5;
export const FID_RECV: i32 = 6;
export const FID_REPLY_RECV: i32 = 7;

/** recv / reply_recv events (a0). */
export const EV_NONE: i32 = 0;
export const EV_CALL: i32 = 1;

const ERR_FAILED: i32 = -1;
const ERR_INVALID_PARAM: i32 = -3;
const ERR_DENIED: i32 = -4;

/** Message registers that travel in a2..a5. */
export const MR_MAX: i32 = 4;

// What run() must do after an IPC hypercall (the SBI_* actions of sbi.ts continue the list).
export const IPC_CONTINUE: i32 = 0;
/** The calling vCPU blocked: end its slice; the scheduler decides what runs. */
export const IPC_BLOCK: i32 = 3;
/** Fast path: continue the slice on vCPU ipcSwitchTo, without the scheduler. */
export const IPC_SWITCH: i32 = 4;
/** A fast path's preconditions do not hold: take the slow path. */
export const IPC_SLOW: i32 = -1;

/** The vCPU an IPC_SWITCH continues on, and why (TL_IPC_CALL or TL_IPC_REPLY: the timeline). */
export let ipcSwitchTo: i32 = -1;
export let ipcSwitchReason: i32 = 0;


// ── Registers of a vCPU that may not be running ─────────────────────────────────────────────

function regAddr(v: i32, r: i32): i32 {
  return v == load32(SYS_CUR_VCPU) ? HART_X + (r << 2) : vcpuAddr(v) + V_X + (r << 2);
}

function getReg(v: i32, r: i32): i32 {
  return load32(regAddr(v, r));
}

function setReg(v: i32, r: i32, value: i32): void {
  store32(regAddr(v, r), value);
}

// ── Channels ────────────────────────────────────────────────────────────────────────────────

/** The channel entry vCPU `v` holds as channel id `ch`, or 0 if none. */
function channelOf(v: i32, ch: i32): i32 {
  if (u32(ch) > 62) return 0;
  const index = load32(vcpuAddr(v) + V_CHANNELS + (ch << 2));
  return index == 0 ? 0 : IPC_CHANNELS + (index - 1) * IPC_CHANNEL_ENTRY;
}

/** The vCPU at the other end of channel entry `c` from `v`. */
function peerOf(c: i32, v: i32): i32 {
  return load32(c + CH_VCPU0) == v ? load32(c + CH_VCPU1) : load32(c + CH_VCPU0);
}

/** The channel id of entry `c` in vCPU `v`'s numbering. */
function idAt(c: i32, v: i32): i32 {
  return load32(c + CH_VCPU0) == v ? load32(c + CH_ID0) : load32(c + CH_ID1);
}

/** Is `v` the end of channel `c` that accepts protected calls? */
function isServerEnd(c: i32, v: i32): bool {
  const end = load32(c + CH_PP_END);
  return end >= 0 && load32(c + (end == 0 ? CH_VCPU0 : CH_VCPU1)) == v;
}

/** A call's checks, shared by both paths: 0, or the error the caller gets. */
function callError(caller: i32, c: i32, msginfo: i32): i32 {
  if (c == 0) return ERR_INVALID_PARAM;
  if ((msginfo & 0xf) > MR_MAX) return ERR_INVALID_PARAM;
  const server = peerOf(c, caller);
  if (!isServerEnd(c, server)) return ERR_DENIED;
  if (load32(vcpuAddr(server) + V_PRIORITY) <= load32(vcpuAddr(caller) + V_PRIORITY)) return ERR_DENIED;
  if (load32(vcpuAddr(server) + V_STATE) == VS_HALTED) return ERR_FAILED;
  return 0;
}

function countCall(caller: i32): void {
  store32(SYS_STAT_IPC_CALLS, i32(load32(SYS_STAT_IPC_CALLS) + 1));
  const a = vcpuAddr(caller) + V_STAT_IPC_CALLS;
  store32(a, i32(load32(a) + 1));
}

// ── Delivery (shared by both paths) ─────────────────────────────────────────────────────────

/** Hand caller's call (message in its registers if `fromRegs`, else queued) to the server. */
function deliver(server: i32, caller: i32, fromRegs: bool): void {
  const s = vcpuAddr(server);
  const c = vcpuAddr(caller);
  const channel = load32(c + V_IPC_CHANNEL);
  setReg(server, 10, EV_CALL);
  for (let i = 0; i <= MR_MAX; i++) {
    setReg(server, 11 + i, fromRegs ? getReg(caller, 11 + i) : load32(c + V_IPC_MSG + (i << 2)));
  }
  setReg(server, 16, idAt(channel, server));
  store32(s + V_IPC_STATE, IPC_NONE);
  store32(s + V_WFI, 0);
  store32(s + V_IPC_CLIENT, caller);
  store32(s + V_STAT_IPC_SERVED, i32(load32(s + V_STAT_IPC_SERVED) + 1));
  store32(c + V_IPC_STATE, IPC_CALL_ACTIVE);
}

/** Give the caller its reply (msginfo and MRs from the server's a1..a5). */
function answer(server: i32, caller: i32): void {
  setReg(caller, 10, 0);
  for (let i = 0; i <= MR_MAX; i++) setReg(caller, 11 + i, getReg(server, 11 + i));
  store32(vcpuAddr(caller) + V_IPC_STATE, IPC_NONE);
  store32(vcpuAddr(caller) + V_IPC_SERVER, -1);
  store32(vcpuAddr(server) + V_IPC_CLIENT, -1);
}

/** The queued caller the server takes next: highest priority, then first come; -1 if none. */
function nextCaller(server: i32): i32 {
  const count = load32(SCHED_VCPU_COUNT);
  let best = -1;
  for (let v = 0; v < count; v++) {
    const a = vcpuAddr(v);
    if (load32(a + V_IPC_STATE) != IPC_CALL_QUEUED || load32(a + V_IPC_SERVER) != server) continue;
    if (best < 0) {
      best = v;
      continue;
    }
    const b = vcpuAddr(best);
    const p = load32(a + V_PRIORITY);
    const q = load32(b + V_PRIORITY);
    if (p > q || (p == q && i32(load32(a + V_IPC_SEQ) - load32(b + V_IPC_SEQ)) < 0)) best = v;
  }
  return best;
}

/** Wait for a call: take a queued one now, else block in RECEIVING (woken like WFI). */
function receive(server: i32): i32 {
  const s = vcpuAddr(server);
  store32(s + V_PASSIVE_READY, 1);
  const caller = nextCaller(server);
  if (caller >= 0) {
    deliver(server, caller, false);
    // A passive server now runs on this caller's time: let the scheduler switch to it.
    return load32(s + V_PASSIVE) != 0 ? IPC_BLOCK : IPC_CONTINUE;
  }
  setReg(server, 10, EV_NONE);
  store32(s + V_IPC_STATE, IPC_RECEIVING);
  store32(s + V_WFI, 1);
  return IPC_BLOCK;
}

// ── The slow path (the reference) ───────────────────────────────────────────────────────────

/** ppcall from the running vCPU `caller` (arguments in its registers). */
function ipcCall(caller: i32): i32 {
  const ch = getReg(caller, 10);
  const msginfo = getReg(caller, 11);
  const c = channelOf(caller, ch);
  const error = callError(caller, c, msginfo);
  if (error != 0) {
    setReg(caller, 10, error);
    return IPC_CONTINUE;
  }
  countCall(caller);
  const server = peerOf(c, caller);
  const a = vcpuAddr(caller);
  for (let i = 0; i <= MR_MAX; i++) store32(a + V_IPC_MSG + (i << 2), getReg(caller, 11 + i));
  store32(a + V_IPC_STATE, IPC_CALL_QUEUED);
  store32(a + V_IPC_SERVER, server);
  store32(a + V_IPC_CHANNEL, c);
  const sequence = i32(load32(SYS_IPC_SEQ) + 1);
  store32(SYS_IPC_SEQ, sequence);
  store32(a + V_IPC_SEQ, sequence);
  const s = vcpuAddr(server);
  if (load32(s + V_IPC_STATE) == IPC_RECEIVING && nextCaller(server) == caller) deliver(server, caller, false);
  return IPC_BLOCK;
}

/** reply from the running vCPU `server`; 0 or an error. */
function replyTo(server: i32): i32 {
  const client = load32(vcpuAddr(server) + V_IPC_CLIENT);
  if (client < 0) return ERR_DENIED;
  if ((getReg(server, 11) & 0xf) > MR_MAX) return ERR_INVALID_PARAM;
  answer(server, client);
  return 0;
}

function ipcReply(server: i32): i32 {
  // A passive server has no time of its own to go on with: it answers with reply_recv.
  const error = load32(vcpuAddr(server) + V_PASSIVE) != 0 ? ERR_DENIED : replyTo(server);
  setReg(server, 10, error);
  return IPC_CONTINUE;
}

function ipcReplyRecv(server: i32): i32 {
  if (load32(vcpuAddr(server) + V_IPC_CLIENT) >= 0) {
    const error = replyTo(server);
    if (error != 0) {
      setReg(server, 10, error);
      return IPC_CONTINUE;
    }
  }
  return receive(server);
}

// ── The fast path ───────────────────────────────────────────────────────────────────────────

/**
 * ppcall, fast: mirrors ipcCall for a call that fits in registers to a passive server that is
 * waiting with nobody queued before this caller. Checks first; IPC_SLOW (nothing changed) when
 * any fails. Then, past the point of no return, delivers and switches to the server, which runs
 * on the caller's time (the slice goes on: no scheduler pass).
 */
function ipcCallFast(caller: i32): i32 {
  // Check: the caller holds the channel, the message fits, the other end serves calls.
  const c = channelOf(caller, getReg(caller, 10));
  if (c == 0 || callError(caller, c, getReg(caller, 11)) != 0) return IPC_SLOW;
  // Check: the server is passive and waiting, and nobody is queued for it.
  const server = peerOf(c, caller);
  const s = vcpuAddr(server);
  if (load32(s + V_PASSIVE) == 0 || load32(s + V_IPC_STATE) != IPC_RECEIVING || nextCaller(server) >= 0) return IPC_SLOW;
  // ── point of no return ──
  countCall(caller);
  store32(SYS_STAT_IPC_FAST_CALLS, i32(load32(SYS_STAT_IPC_FAST_CALLS) + 1));
  const a = vcpuAddr(caller);
  store32(a + V_IPC_SERVER, server);
  store32(a + V_IPC_CHANNEL, c);
  const sequence = i32(load32(SYS_IPC_SEQ) + 1);
  store32(SYS_IPC_SEQ, sequence);
  store32(a + V_IPC_SEQ, sequence);
  deliver(server, caller, true);
  ipcSwitchTo = server;
  ipcSwitchReason = TL_IPC_CALL;
  return IPC_SWITCH;
}

/**
 * reply_recv, fast: mirrors ipcReplyRecv for a passive server answering its caller, with a
 * message in registers and nobody else waiting: answer, wait, and switch straight back to the
 * caller (the time was the caller's).
 */
function ipcReplyRecvFast(server: i32): i32 {
  const s = vcpuAddr(server);
  const client = load32(s + V_IPC_CLIENT);
  // Check: a passive server answering a call, a message that fits, nobody queued.
  if (load32(s + V_PASSIVE) == 0 || client < 0 || (getReg(server, 11) & 0xf) > MR_MAX || nextCaller(server) >= 0) return IPC_SLOW;
  // ── point of no return ──
  store32(SYS_STAT_IPC_FAST_REPLIES, i32(load32(SYS_STAT_IPC_FAST_REPLIES) + 1));
  answer(server, client);
  setReg(server, 10, EV_NONE);
  store32(s + V_PASSIVE_READY, 1);
  store32(s + V_IPC_STATE, IPC_RECEIVING);
  store32(s + V_WFI, 1);
  ipcSwitchTo = client;
  ipcSwitchReason = TL_IPC_REPLY;
  return IPC_SWITCH;
}

// ── Entry from the hypercall extension ─────────────────────────────────────────────────────

/**
 * The IPC hypercalls of the running vCPU (registers at HART_X, pc already past the ECALL).
 * Returns IPC_CONTINUE, IPC_BLOCK or IPC_SWITCH. Notifications are raised by the host
 * (sbi.ts forwards them once this has checked the channel).
 */
export function ipcHypercall(vcpu: i32, fid: i32): i32 {
  const v = load32(SYS_CUR_VCPU); // (vcpu is its block's address)
  if (vcpu != vcpuAddr(v)) return IPC_CONTINUE;
  const fast = load32(SYS_IPC_FAST) != 0;
  if (fid == FID_PPCALL) {
    if (fast) {
      const r = ipcCallFast(v);
      if (r != IPC_SLOW) return r;
    }
    return ipcCall(v);
  }
  if (fid == FID_REPLY_RECV) {
    if (fast) {
      const r = ipcReplyRecvFast(v);
      if (r != IPC_SLOW) return r;
    }
    return ipcReplyRecv(v);
  }
  if (fid == FID_RECV) return receive(v);
  if (fid == FID_REPLY) return ipcReply(v);
  return IPC_CONTINUE;
}

/** May vCPU `v` notify on channel id `ch`? Counts the notification when it may. */
export function ipcNotifyAllowed(v: i32, ch: i32): bool {
  if (channelOf(v, ch) == 0) return false;
  store32(SYS_STAT_IPC_NOTIFIES, i32(load32(SYS_STAT_IPC_NOTIFIES) + 1));
  return true;
}

// ── For the scheduler ───────────────────────────────────────────────────────────────────────

/**
 * The vCPU that runs on `v`'s scheduling context: `v` itself, or — while `v` waits for a
 * passive server that is serving its call — that server (and so on down a chain of calls).
 * -1 when `v` is blocked and nothing runs on its time.
 */
export function ipcRunner(v: i32): i32 {
  let runner = v;
  for (let depth = 0; depth < 8; depth++) {
    const a = vcpuAddr(runner);
    const state = load32(a + V_IPC_STATE);
    if (state == IPC_CALL_QUEUED) return -1;
    if (state != IPC_CALL_ACTIVE) return runner;
    const server = load32(a + V_IPC_SERVER);
    if (load32(vcpuAddr(server) + V_PASSIVE) == 0) return -1; // an active server uses its own time
    runner = server;
  }
  return -1;
}

/** Is `v` a passive partition that has finished its initialisation (runs only on donations)? */
export function ipcPassive(v: i32): bool {
  const a = vcpuAddr(v);
  return load32(a + V_PASSIVE) != 0 && load32(a + V_PASSIVE_READY) != 0;
}

/** Callers waiting on a server that has stopped get FAILED and go on. */
export function ipcServerHalted(server: i32): void {
  const count = load32(SCHED_VCPU_COUNT);
  for (let v = 0; v < count; v++) {
    const a = vcpuAddr(v);
    const state = load32(a + V_IPC_STATE);
    if ((state == IPC_CALL_QUEUED || state == IPC_CALL_ACTIVE) && load32(a + V_IPC_SERVER) == server) {
      setReg(v, 10, ERR_FAILED);
      store32(a + V_IPC_STATE, IPC_NONE);
      store32(a + V_IPC_SERVER, -1);
    }
  }
}
