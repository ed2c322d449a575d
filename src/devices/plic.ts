// SiFive-compatible Platform-Level Interrupt Controller ("riscv,plic0"), as on QEMU's virt board
// at 0x0C00_0000, with two contexts per hart as QEMU's virt board has them: context 2i = hart i's
// M-mode (drives its MEIP), 2i + 1 = hart i's S-mode (drives its SEIP). Sources 1..95 are level-triggered lines (the UART is source 10); each has a priority
// (0-7, 0 = never), a pending bit, and per-context enable bits; a context's output is up when an
// enabled pending source has a priority above the context's threshold. Claim returns the highest
// such source (ties: lowest ID) and clears its pending bit until completion (the gateway then
// samples the line again). RISC-V PLIC specification 1.0.0.

import type { MmioDevice } from "./device.js";
import { encode, SnapshotError, type StateReader, type StateValue } from "../snapshot/state.js";

export const PLIC_SOURCES = 96; // IDs 0..95; 0 is "no interrupt"
const PRIORITY_BASE = 0x000000;
const PENDING_BASE = 0x001000;
const ENABLE_BASE = 0x002000;
const ENABLE_STRIDE = 0x80;
const CONTEXT_BASE = 0x200000;
const CONTEXT_STRIDE = 0x1000;
const WORDS = PLIC_SOURCES / 32;

export class Plic implements MmioDevice {
  readonly size = 0x600000;
  private readonly priority = new Uint32Array(PLIC_SOURCES);
  private readonly pending = new Uint32Array(WORDS);
  private readonly level = new Uint32Array(WORDS);
  private readonly claimed = new Uint32Array(WORDS);
  /** Edges that arrived while their source was in service (pending again at completion). */
  private readonly edgeWhileClaimed = new Uint32Array(WORDS);
  private readonly contexts: number;
  private readonly enable: Uint32Array[];
  private readonly threshold: Uint32Array;
  private readonly outputs: boolean[];

  /** `setOutput(context, level)`: context 2i drives hart i's MEIP, 2i + 1 its SEIP. */
  constructor(readonly name: string, private readonly setOutput: (context: number, level: boolean) => void, harts = 1) {
    this.contexts = 2 * harts;
    this.enable = Array.from({ length: this.contexts }, () => new Uint32Array(WORDS));
    this.threshold = new Uint32Array(this.contexts);
    this.outputs = Array.from({ length: this.contexts }, () => false);
  }

  /** (Context k's enables and output as enableK and outputK: one hart's are as before SMP.) */
  saveState(): StateValue {
    const state: { [key: string]: StateValue } = {
      priority: encode.words(this.priority), pending: encode.words(this.pending), level: encode.words(this.level),
      claimed: encode.words(this.claimed), edgeWhileClaimed: encode.words(this.edgeWhileClaimed),
    };
    this.enable.forEach((e, k) => { state[`enable${k}`] = encode.words(e); });
    state.threshold = encode.words(this.threshold);
    this.outputs.forEach((o, k) => { state[`output${k}`] = o; });
    return state;
  }

  loadState(r: StateReader): void {
    const priority = r.words("priority", PLIC_SOURCES);
    if (priority.some((p) => p > 7)) throw new SnapshotError(`snapshot: ${r.path}.priority: a priority is 0 to 7`);
    this.priority.set(priority);
    for (const name of ["pending", "level", "claimed", "edgeWhileClaimed"] as const) this[name].set(r.words(name, WORDS));
    this.enable.forEach((e, k) => e.set(r.words(`enable${k}`, WORDS)));
    const threshold = r.words("threshold", this.contexts);
    if (threshold.some((t) => t > 7)) throw new SnapshotError(`snapshot: ${r.path}.threshold: a threshold is 0 to 7`);
    this.threshold.set(threshold);
    this.outputs.forEach((_, k) => { this.outputs[k] = r.bool(`output${k}`); });
  }

  /**
   * An edge on source `id` (an edge-triggered gateway, PLIC spec §4): the source becomes pending
   * once, however many edges arrive before it is claimed; one that arrives while the source is
   * in service makes it pending again at completion. Channel notifications use this: they
   * coalesce, and nothing needs to lower a line afterwards.
   */
  pulse(id: number): void {
    if (id <= 0 || id >= PLIC_SOURCES) return;
    const w = id >> 5;
    const bit = 1 << (id & 31);
    if (this.claimed[w] & bit) this.edgeWhileClaimed[w] |= bit;
    else this.pending[w] |= bit;
    this.update();
  }

  /** Drive interrupt source `id` (a device's line). */
  setLevel(id: number, level: boolean): void {
    if (id <= 0 || id >= PLIC_SOURCES) return;
    const w = id >> 5;
    const bit = 1 << (id & 31);
    if (level) this.level[w] |= bit;
    else this.level[w] &= ~bit;
    // The gateway forwards a level while the source is not in service.
    if (level && !(this.claimed[w] & bit)) this.pending[w] |= bit;
    if (!level) this.pending[w] &= ~bit;
    this.update();
  }

  read(offset: number, _size: number): number {
    if (offset < PENDING_BASE) return this.priority[(offset - PRIORITY_BASE) >> 2] ?? 0;
    if (offset < PENDING_BASE + WORDS * 4) return this.pending[(offset - PENDING_BASE) >> 2] >>> 0;
    if (offset >= ENABLE_BASE && offset < ENABLE_BASE + this.contexts * ENABLE_STRIDE) {
      const ctx = (offset - ENABLE_BASE) >> 7;
      const w = ((offset - ENABLE_BASE) & (ENABLE_STRIDE - 1)) >> 2;
      return w < WORDS ? this.enable[ctx][w] >>> 0 : 0;
    }
    if (offset >= CONTEXT_BASE && offset < CONTEXT_BASE + this.contexts * CONTEXT_STRIDE) {
      const ctx = (offset - CONTEXT_BASE) >> 12;
      const reg = offset & (CONTEXT_STRIDE - 1);
      if (reg === 0) return this.threshold[ctx];
      if (reg === 4) return this.claim(ctx);
    }
    return 0;
  }

  write(offset: number, _size: number, value: number): void {
    if (offset < PENDING_BASE) {
      const id = (offset - PRIORITY_BASE) >> 2;
      if (id > 0 && id < PLIC_SOURCES) this.priority[id] = value & 7;
    } else if (offset >= ENABLE_BASE && offset < ENABLE_BASE + this.contexts * ENABLE_STRIDE) {
      const ctx = (offset - ENABLE_BASE) >> 7;
      const w = ((offset - ENABLE_BASE) & (ENABLE_STRIDE - 1)) >> 2;
      if (w < WORDS) this.enable[ctx][w] = w === 0 ? value & ~1 : value; // source 0 does not exist
    } else if (offset >= CONTEXT_BASE && offset < CONTEXT_BASE + this.contexts * CONTEXT_STRIDE) {
      const ctx = (offset - CONTEXT_BASE) >> 12;
      const reg = offset & (CONTEXT_STRIDE - 1);
      if (reg === 0) this.threshold[ctx] = value & 7;
      else if (reg === 4) this.complete(ctx, value);
    }
    this.update();
  }

  /** The best claimable source for a context, or 0. */
  private best(ctx: number): number {
    let best = 0;
    let bestPriority = this.threshold[ctx];
    for (let w = 0; w < WORDS; w++) {
      let bits = this.pending[w] & this.enable[ctx][w];
      while (bits) {
        const b = 31 - Math.clz32(bits & -bits);
        bits &= bits - 1;
        const id = w * 32 + b;
        if (this.priority[id] > bestPriority) {
          best = id;
          bestPriority = this.priority[id];
        }
      }
    }
    return best;
  }

  private claim(ctx: number): number {
    const id = this.best(ctx);
    if (id !== 0) {
      this.pending[id >> 5] &= ~(1 << (id & 31));
      this.claimed[id >> 5] |= 1 << (id & 31);
      this.update();
    }
    return id;
  }

  private complete(ctx: number, id: number): void {
    if (id <= 0 || id >= PLIC_SOURCES) return;
    // Completion for a source the context cannot claim is ignored (PLIC spec §9).
    if (!(this.enable[ctx][id >> 5] & (1 << (id & 31)))) return;
    const w = id >> 5;
    const bit = 1 << (id & 31);
    this.claimed[w] &= ~bit;
    if ((this.level[w] | this.edgeWhileClaimed[w]) & bit) this.pending[w] |= bit;
    this.edgeWhileClaimed[w] &= ~bit;
  }

  private update(): void {
    for (let ctx = 0; ctx < this.contexts; ctx++) {
      const level = this.best(ctx) !== 0;
      if (level !== this.outputs[ctx]) {
        this.outputs[ctx] = level;
        this.setOutput(ctx, level);
      }
    }
  }
}
