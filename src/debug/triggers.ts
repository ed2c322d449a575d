// Hardware breakpoints and watchpoints for a debugger: the hart's Sdtrig trigger module
// (assembly/kernel/trigger.ts) used as an external debugger uses it through the Debug Module —
// triggers with dmode = 1 and the action "enter Debug Mode". The guest sees them in tdata1 but
// cannot change them; when one fires the run stops before the instruction (EXIT_BREAK) and the
// core records which trigger it was and the address it matched (V_DEBUG_HIT, V_DEBUG_ADDR).
//
// A breakpoint is one execute trigger on its address (any privilege level, any instruction
// size). A watchpoint of `len` bytes at `addr` matches every access that touches one of its bytes
// (the core compares every byte of an access): one trigger when len is 1 (equal) or a power of
// two the address is aligned to (NAPOT), else two chained triggers, >= addr and < addr + len.
// Addresses are virtual: they match in whatever address space the hart runs.

import type { CoreExports } from "../core/core.js";
import { V_DEBUG_HIT, V_DEBUG_ADDR, TRIGGER_COUNT, vcpuAddr } from "../../assembly/layout.js";

export type HardwareKind = "break" | "write" | "read" | "access";

const TYPE_SHIFT = 28;
const TYPE_MCONTROL6 = 6;
const TYPE_ICOUNT = 3;
const DMODE = 1 << 27;
const ACTION_DEBUG = 1 << 12;
const CHAIN = 1 << 11;
const MATCH_NAPOT = 1 << 7;
const MATCH_GE = 2 << 7;
const MATCH_LT = 3 << 7;
/** Enabled in M, S and U. */
const ALL_MODES = (1 << 6) | (1 << 4) | (1 << 3);
const EXECUTE = 4;
const STORE = 2;
const LOAD = 1;

/** What a trigger stop was: the debugger's trigger (the last of its chain) and the address. */
export interface TriggerHit {
  trigger: number;
  address: number;
}

/** One vCPU's trigger module, from the debugger's side. */
export class TriggerUnit {
  readonly count = TRIGGER_COUNT;
  constructor(private readonly exports: CoreExports, private readonly words: Int32Array, readonly vcpu: number) {}

  /** tdata`reg` (1-3) of a trigger, or tinfo (4), as a 32-bit unsigned value. */
  read(trigger: number, reg: number): number {
    return this.exports.vcpuTriggerRead(this.vcpu, trigger, reg) >>> 0;
  }

  /** A Debug Mode write of tdata`reg` (1 or 2) of a trigger (WARL: read it back). */
  write(trigger: number, reg: number, value: number): void {
    this.exports.vcpuTriggerWrite(this.vcpu, trigger, reg, value | 0);
  }

  /** After a stop on a breakpoint: the trigger that made it, or null (an EBREAK). */
  lastHit(): TriggerHit | null {
    const v = vcpuAddr(this.vcpu);
    const hit = this.words[(v + V_DEBUG_HIT) >> 2];
    return hit > 0 ? { trigger: hit - 1, address: this.words[(v + V_DEBUG_ADDR) >> 2] >>> 0 } : null;
  }

  /**
   * Can the debugger take this trigger? Not one it holds already (dmode), nor one the guest
   * uses (one that can match or count), nor one a guest trigger before it chains into (the
   * hardware would ignore the write).
   */
  free(trigger: number): boolean {
    const t1 = this.read(trigger, 1);
    if ((t1 & DMODE) !== 0 || !idle(t1)) return false;
    if (trigger === 0) return true;
    const prev = this.read(trigger - 1, 1);
    return !((prev & DMODE) === 0 && prev >>> TYPE_SHIFT === TYPE_MCONTROL6 && (prev & CHAIN) !== 0);
  }

  /**
   * Set a breakpoint or watchpoint; returns the triggers it takes (the last one is the one
   * that reports the stop), or null when not enough are free.
   */
  insert(kind: HardwareKind, addr: number, len: number): number[] | null {
    addr >>>= 0;
    const kinds = kind === "break" ? EXECUTE : kind === "write" ? STORE : kind === "read" ? LOAD : LOAD | STORE;
    const base = (6 << TYPE_SHIFT) | DMODE | ACTION_DEBUG | ALL_MODES | kinds;
    let plan: Array<[number, number]>; // [tdata1, tdata2] per trigger
    if (kind === "break" || len <= 1) {
      plan = [[base, addr]];
    } else if ((len & (len - 1)) === 0 && addr % len === 0) {
      plan = [[base | MATCH_NAPOT, addr + len / 2 - 1]]; // its low log2(len) - 1 bits are ones
    } else if (addr + len >= 2 ** 32) {
      plan = [[base | MATCH_GE, addr]];
    } else {
      plan = [[base | MATCH_GE | CHAIN, addr], [base | MATCH_LT, addr + len]];
    }
    for (let first = 0; first + plan.length <= this.count; first++) {
      const slots = plan.map((_, k) => first + k);
      if (!slots.every((t) => this.free(t))) continue;
      slots.forEach((t, k) => {
        this.write(t, 1, 0);
        this.write(t, 2, plan[k][1]);
        this.write(t, 1, plan[k][0]);
      });
      if (slots.every((t, k) => this.read(t, 1) === plan[k][0] >>> 0 && this.read(t, 2) === plan[k][1] >>> 0)) return slots;
      this.remove(slots); // (not what was asked for: give them back)
    }
    return null;
  }

  /** Give triggers back (disabled, no longer the debugger's). */
  remove(triggers: readonly number[]): void {
    for (const t of triggers) this.write(t, 1, 0);
  }
}

/** A trigger that cannot match or count: disabled, or enabled in no mode or for nothing. */
function idle(t1: number): boolean {
  const type = t1 >>> TYPE_SHIFT;
  if (type === TYPE_MCONTROL6) return (t1 & ALL_MODES) === 0 || (t1 & (EXECUTE | STORE | LOAD)) === 0;
  if (type === TYPE_ICOUNT) return (t1 & ((1 << 9) | (1 << 7) | (1 << 6))) === 0 || (t1 & ((0x3fff << 10) | (1 << 8))) === 0;
  return true;
}
