// Helpers shared by the tests: build machines on either core, run guests to completion, read
// the architectural state, and compare two cores.

import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { Machine, type MachineOptions, type Halt } from "../../src/machine/machine.ts";
import { loadWasmModule } from "../../src/node/core-file.ts";
import type { CoreKind } from "../../src/core/core.ts";
import { RAM_HOST_BASE,
  HART_X, V_PC, V_PRIV, V_MSTATUS, V_MINSTRET_HI, V_TSELECT, V_TRIGGERS, TRIGGER_COUNT, TRIGGER_ENTRY, V_F, V_MISA,
  SYS_TRACE_INSN, vcpuAddr,
} from "../../assembly/layout.ts";
import { disassemble } from "../../src/debug/disasm.ts";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const CORES: readonly CoreKind[] = ["wasm", "ts"];

export function guestPath(name: string): string {
  return join(ROOT, "guests", "bin", `${name}.elf`);
}

export function guestElf(name: string): Uint8Array {
  return readFileSync(guestPath(name));
}

export function guestExists(name: string): boolean {
  return existsSync(guestPath(name));
}

/** The translator's threshold in the tests (`jitHot`): a branch target is translated after 32
 *  probes, not the default 16384, so that short programs run translated code too and every
 *  path of the translator is taken. */
export const JIT_TEST_HOT = 32;

export async function makeMachine(core: CoreKind, options: Omit<MachineOptions, "core" | "wasmModule"> = {}): Promise<Machine> {
  return Machine.create({ ...options, core, wasmModule: await loadWasmModule() });
}

export interface GuestRun {
  output: string;
  halt: Halt | null;
  retired: number;
  x: number[];
  pc: number;
}

/** Run an ELF to completion (or `limit` units of work) with the given console input. */
export async function runGuest(core: CoreKind, elf: Uint8Array, opts: { input?: string; limit?: number; ramBytes?: number; harts?: number; jit?: boolean } = {}): Promise<GuestRun> {
  const chunks: Uint8Array[] = [];
  const m = await makeMachine(core, { ramBytes: opts.ramBytes, harts: opts.harts, jit: opts.jit, ...(opts.jit ? { jitHot: JIT_TEST_HOT } : {}), onOutput: (b) => chunks.push(b) });
  m.loadElf(elf);
  if (opts.input) m.pushInput(new TextEncoder().encode(opts.input));
  const limit = opts.limit ?? 2_000_000_000;
  while (!m.halted && m.work < limit) m.step(limit - m.work);
  const { x, pc } = m.registers();
  return { output: Buffer.concat(chunks).toString("latin1"), halt: m.halted, retired: m.retired, x, pc };
}

/**
 * The architectural state of vCPU 0 that two cores must agree on: x1..x31, pc, privilege, and
 * every CSR word and counter of the vCPU block (layout.ts V_MSTATUS .. V_MINSTRET_HI), the
 * trigger registers, and the F/D state (f0-f31, fcsr, misa).
 */
export function archState(m: Machine): Int32Array {
  const words = new Int32Array(m.core.memory);
  const v = vcpuAddr(0);
  const regs = words.subarray(HART_X >> 2, (HART_X + 128) >> 2);
  const csrs = words.subarray((v + V_MSTATUS) >> 2, (v + V_MINSTRET_HI + 4) >> 2);
  // The trigger module: tselect, the summary, the debugger's last stop, tdata1/tdata2 of each.
  const triggers = words.subarray((v + V_TSELECT) >> 2, (v + V_TRIGGERS + TRIGGER_COUNT * TRIGGER_ENTRY) >> 2);
  // F and D: f0..f31 ({lo, hi} each), fcsr, misa.
  const fp = words.subarray((v + V_F) >> 2, (v + V_MISA + 4) >> 2);
  return Int32Array.from([...regs, words[(v + V_PC) >> 2], words[(v + V_PRIV) >> 2], ...csrs, ...triggers, ...fp]);
}

const STATE_NAMES = (() => {
  const names = Array.from({ length: 32 }, (_, i) => `x${i}`);
  names.push("pc", "priv");
  const csrNames: Record<number, string> = {
    0x100: "mstatus", 0x104: "medeleg", 0x108: "mideleg", 0x10c: "mie", 0x110: "mip(sw)", 0x114: "mtvec",
    0x118: "mcounteren", 0x11c: "mscratch", 0x120: "mepc", 0x124: "mcause", 0x128: "mtval",
    0x12c: "mcountinhibit", 0x130: "menvcfg", 0x134: "mhartid", 0x140: "stvec", 0x144: "scounteren",
    0x148: "sscratch", 0x14c: "sepc", 0x150: "scause", 0x154: "stval", 0x158: "satp", 0x15c: "senvcfg",
    0x160: "mcycle", 0x164: "mcycleh", 0x168: "minstret", 0x16c: "minstreth",
  };
  for (let off = V_MSTATUS; off <= V_MINSTRET_HI; off += 4) names.push(csrNames[off] ?? `csr+0x${off.toString(16)}`);
  names.push("tselect", "trigger summary", "debugger hit", "debugger address");
  for (let t = 0; t < TRIGGER_COUNT; t++) names.push(`tdata1[${t}]`, `tdata2[${t}]`);
  for (let f = 0; f < 32; f++) names.push(`f${f}.lo`, `f${f}.hi`);
  names.push("fcsr", "misa");
  return names;
})();

/** Describe where two state vectors differ ("" when they agree). */
export function stateDiff(a: Int32Array, b: Int32Array, labels = ["wasm", "ts"]): string {
  const out: string[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      out.push(`${STATE_NAMES[i]}: ${labels[0]}=0x${(a[i] >>> 0).toString(16)} ${labels[1]}=0x${(b[i] >>> 0).toString(16)}`);
    }
  }
  return out.join(", ");
}

/** A cheap hash of guest RAM, to compare memories between cores. */
export function ramHash(m: Machine): number {
  const words = new Int32Array(m.core.memory);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 0x01000193);
  return h >>> 0;
}

/** A hash of guest RAM only (machines whose cores keep different state beside it: the
 *  translator's statistics, TLBs it flushed, its area). */
export function guestRamHash(m: Machine): number {
  const words = new Int32Array(m.core.memory, RAM_HOST_BASE, m.ramBytes >> 2);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 0x01000193);
  return h >>> 0;
}

export interface Divergence {
  /** Work units (instructions + traps) both cores had done when they were last equal. */
  at: number;
  detail: string;
}

/**
 * Run two machines (already loaded identically) side by side, comparing architectural state
 * every `every` units of work and guest RAM at the end. On the first mismatch, replay both
 * from the start, one instruction at a time from the last agreeing point and return the first instruction after
 * which they differ, with its disassembly. Returns null when they agree throughout.
 */
export async function lockstep(
  make: () => Promise<[Machine, Machine]>,
  total: number,
  every: number,
  memoryHash: (m: Machine) => number = ramHash,
): Promise<Divergence | null> {
  const [a, b] = await make();
  let lastGood = 0;
  let bad = -1;
  while (a.work < total && !(a.halted && b.halted)) {
    a.step(every);
    b.step(every);
    if (a.work !== b.work || stateDiff(archState(a), archState(b)) !== "" || !!a.halted !== !!b.halted) {
      bad = a.work;
      break;
    }
    lastGood = a.work;
  }
  if (bad < 0) {
    if (memoryHash(a) !== memoryHash(b)) return { at: a.work, detail: "registers agree but guest memory differs at the end" };
    return null;
  }
  // Replay: same steps up to lastGood (deterministic), then one instruction at a time.
  const [c, d] = await make();
  while (c.work < lastGood) {
    c.step(every);
    d.step(every);
  }
  const words = new Int32Array(c.core.memory);
  for (let i = 0; i < 10 * every + 1000; i++) {
    const before = archState(c);
    const pc = before[32];
    c.step(1);
    d.step(1);
    const diff = stateDiff(archState(c), archState(d));
    if (diff !== "" || c.work !== d.work) {
      const insn = words[SYS_TRACE_INSN >> 2];
      return {
        at: c.work,
        detail: `after the instruction at pc 0x${(pc >>> 0).toString(16)} (${disassemble(insn, pc).text}), work ${c.work}/${d.work}: ${diff}`,
      };
    }
    if (c.halted && d.halted) break;
  }
  return { at: bad, detail: `state differed at work ${bad}, but the step-by-step replay did not reproduce it` };
}
