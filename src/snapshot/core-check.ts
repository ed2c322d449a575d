// A snapshot's core memory is input too: a crafted file could hold kernel state no run can
// produce. Restoring therefore (1) writes again everything the system description decides —
// the schedule, the channel table, each vCPU's priority, budget, channels and memory map
// (Hypervisor.restore does that through the same code that builds a system) — and (2) checks
// here every field of the kernel state the core uses as an index or a host address, so the core
// never reads or writes outside its memory and never meets a state it has no case for. The
// rest of the state (registers, CSRs, counters, timers, guest RAM) is what any guest may hold.

import {
  SYS_CUR_VCPU, SYS_CUR_TLB_FETCH, V_PRIV, V_MODE, V_STATE, V_HALT_REASON, V_IPC_STATE, V_IPC_SERVER,
  V_IPC_CLIENT, V_IPC_CHANNEL, V_SHADOW_CUR, V_TSELECT, V_DEBUG, V_WFI, V_TLB, TLB_ENTRY, TLB_SET,
  V_SHADOW, SHADOW_SLOTS, SHADOW_ENTRIES, SHADOW_ENTRY, SE_TAG, SE_ADDEND, TLB_INVALID, TRIGGER_COUNT,
  IPC_CHANNELS, IPC_CHANNEL_ENTRY, GUEST_MACHINE, GUEST_SUPERVISOR, RAM_HOST_BASE, PRIV_M, TLB_FETCH, vcpuAddr, tlbSetAddr,
  V_LEADER, V_HART_COUNT, V_HART_FIRST, V_HART_TURN, V_HART_LEFT, SMP_QUANTUM,
} from "../../assembly/layout.js";
import { hartVcpus, type SystemConfig } from "../config/system.js";
import { SnapshotError } from "./state.js";

const PAGE = 4096;

export function checkCoreState(words: Int32Array, config: SystemConfig, memoryBytes: number): void {
  const n = config.partitions.length;
  const bad = (what: string): never => {
    throw new SnapshotError(`snapshot: the core's state is not one a run can reach (${what})`);
  };
  const w = (addr: number) => words[addr >> 2];
  const inRange = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;

  // Every hart of every partition is a vCPU (config/system.ts hartVcpus); what the description
  // decides of them (which vCPUs are a partition's harts) is written again, not taken from the file.
  const harts = hartVcpus(config.partitions);
  const total = harts.reduce((t, h) => t + h.length, 0);
  const cur = w(SYS_CUR_VCPU);
  if (!inRange(cur, -1, total - 1)) bad(`running vCPU ${cur}`);
  harts.forEach((list, p) => list.forEach((index, hart) => {
    words[(vcpuAddr(index) + V_LEADER) >> 2] = p;
    if (hart > 0) return;
    const v = vcpuAddr(p);
    words[(v + V_HART_COUNT) >> 2] = list.length;
    words[(v + V_HART_FIRST) >> 2] = list.length > 1 ? list[1] : p;
    if (!inRange(w(v + V_HART_TURN), 0, list.length - 1)) bad(`${config.partitions[p].name}: hart turn ${w(v + V_HART_TURN)}`);
    if (!inRange(w(v + V_HART_LEFT), -0x4000_0000, SMP_QUANTUM)) bad(`${config.partitions[p].name}: hart quantum ${w(v + V_HART_LEFT)}`);
  }));
  const everyHart = harts.flatMap((list, p) => list.map((index, hart) => ({ i: index, name: list.length > 1 ? `${config.partitions[p].name} hart ${hart}` : config.partitions[p].name, p })));
  for (const { i, name, p } of everyHart) {
    const v = vcpuAddr(i);
    const priv = w(v + V_PRIV);
    if (priv !== 0 && priv !== 1 && priv !== PRIV_M) bad(`${name}: privilege level ${priv}`);
    const mode = config.partitions[p].mode === "supervisor" ? GUEST_SUPERVISOR : GUEST_MACHINE;
    if (w(v + V_MODE) !== mode) bad(`${name}: guest mode ${w(v + V_MODE)}`);
    if (mode === GUEST_SUPERVISOR && priv === PRIV_M) bad(`${name}: a supervisor partition in M-mode`);
    if (!inRange(w(v + V_STATE), 0, 3)) bad(`${name}: state ${w(v + V_STATE)}`);
    if (!inRange(w(v + V_HALT_REASON), 0, 4)) bad(`${name}: halt reason ${w(v + V_HALT_REASON)}`);
    if (!inRange(w(v + V_WFI), 0, 1)) bad(`${name}: WFI ${w(v + V_WFI)}`);
    if (!inRange(w(v + V_IPC_STATE), 0, 3)) bad(`${name}: IPC state ${w(v + V_IPC_STATE)}`);
    for (const [field, at] of [["IPC server", V_IPC_SERVER], ["IPC client", V_IPC_CLIENT]] as const) {
      if (!inRange(w(v + at), -1, n - 1)) bad(`${name}: ${field} ${w(v + at)}`);
    }
    // (the address of the call's entry in the channel table, or 0 before any call)
    const channel = w(v + V_IPC_CHANNEL);
    const k = (channel - IPC_CHANNELS) / IPC_CHANNEL_ENTRY;
    if (channel !== 0 && !(Number.isInteger(k) && k >= 0 && k < config.channels.length)) bad(`${name}: IPC channel entry ${channel}`);
    if (!inRange(w(v + V_SHADOW_CUR), -1, SHADOW_SLOTS - 1)) bad(`${name}: shadow slot ${w(v + V_SHADOW_CUR)}`);
    if (!inRange(w(v + V_TSELECT), 0, TRIGGER_COUNT - 1)) bad(`${name}: tselect ${w(v + V_TSELECT)}`);
    // No debugger is attached to a restored system.
    words[(v + V_DEBUG) >> 2] = 0;
    // Cached translations: every valid entry must lead to a page of guest memory.
    const hostPage = (tag: number, addend: number) => {
      const host = (tag + addend) | 0;
      return host >= RAM_HOST_BASE && host + PAGE <= memoryBytes && (host & (PAGE - 1)) === 0;
    };
    for (let e = v + V_TLB, end = v + V_TLB + 3 * TLB_SET; e < end; e += TLB_ENTRY) {
      const tag = w(e);
      if (tag !== TLB_INVALID && !hostPage(tag, w(e + 4))) bad(`${name}: a TLB entry outside guest memory`);
    }
    for (let e = v + V_SHADOW, end = v + V_SHADOW + (SHADOW_SLOTS + 1) * SHADOW_ENTRIES * SHADOW_ENTRY; e < end; e += SHADOW_ENTRY) {
      const tag = w(e + SE_TAG);
      if (tag !== TLB_INVALID && !hostPage(tag, w(e + SE_ADDEND))) bad(`${name}: a shadow page table entry outside guest memory`);
    }
  }
  // The fetch table the interpreter starts from: the running vCPU's, for its privilege level.
  if (cur >= 0) words[SYS_CUR_TLB_FETCH >> 2] = tlbSetAddr(vcpuAddr(cur), w(vcpuAddr(cur) + V_PRIV)) + TLB_FETCH;
}
