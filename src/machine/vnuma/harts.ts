// What the hypervisor's SBI does to a hart on another node (docs/vnuma.md, "A partition on
// nodes"): an IPI, a remote SFENCE.VMA, an HSM hart_start or status. The asking hart's core
// names the operation in its vCPU block and calls its host (HC_HART_REMOTE, kernel/threads.ts
// remoteAsk); the message goes through the home node to the target's node, whose core does it
// (hartServe, kernel/sbi.ts); the answer comes back the same way into the asking hart's block,
// where its core waits for it (remoteWait), serving what is asked of it meanwhile.
//
// One piece serves both ends on every node: serve() on the target's node, complete() on the
// asker's. Portable.

import {
  V_FENCE_REQ, V_REMOTE_WAIT, V_REMOTE_RESULT, V_REMOTE_OP, V_REMOTE_A, V_REMOTE_B, HART_OP_IPI, HART_OP_FENCE,
  HART_OP_START, HART_OP_STATUS, vcpuAddr,
} from "../../../assembly/layout.js";
import type { Core } from "../../core/core.js";
import type { LocalHart } from "./rights.js";

/** A hart operation on its way: `from` asked it of `target`. */
export interface HartOp {
  from: number;
  target: number;
  op: number;
  a: number;
  b: number;
}

const OPS = new Set([HART_OP_IPI, HART_OP_FENCE, HART_OP_START, HART_OP_STATUS]);

/** The operation vCPU `from`'s core names in its block (it called HC_HART_REMOTE for `target`). */
export function askedOp(words: Int32Array, from: number, target: number): HartOp {
  const v = vcpuAddr(from);
  return { from, target, op: words[(v + V_REMOTE_OP) >> 2], a: words[(v + V_REMOTE_A) >> 2], b: words[(v + V_REMOTE_B) >> 2] };
}

/** Does an operation get an answer (all but the IPI)? */
export function answered(op: number): boolean {
  return op !== HART_OP_IPI;
}

/** Check a hart operation that came from another node: a known operation on whole numbers. */
export function checkOp(m: HartOp): void {
  if (!OPS.has(m.op) || ![m.from, m.target, m.a, m.b].every((x) => Number.isInteger(x))) {
    throw new Error(`vNUMA: a hart operation ${JSON.stringify(m)} is not one`);
  }
}

export class HartOps {
  /** Fences asked of this node's harts whose answer waits until the hart has dropped its
   *  translations (its V_FENCE_REQ is clear again). */
  private readonly fences: HartOp[] = [];

  constructor(
    private readonly core: Core,
    private readonly words: Int32Array,
    /** This node's harts (as the page store knows them: a thread blocked outside run() — waiting
     *  for a page, or ended — is fenced here, on its behalf). */
    private readonly harts: () => readonly LocalHart[],
    /** Send the answer to `from` (wherever it is). */
    private readonly answer: (from: number, result: number) => void,
  ) {}

  /** Do operation `m` to `m.target`, a hart of this node; answer it now or, for a fence, once done. */
  serve(m: HartOp): void {
    const hart = this.harts().find((h) => h.vcpu === m.target);
    if (!hart) throw new Error(`vNUMA: vCPU ${m.target} is not a hart of this node`);
    const result = this.core.exports.hartServe(m.target, m.op, m.a, m.b);
    hart.ring();
    if (m.op === HART_OP_FENCE) this.fences.push(m);
    else if (answered(m.op)) this.answer(m.from, result);
    this.poll();
  }

  /** Answer the fences that are done. */
  poll(): void {
    for (let i = 0; i < this.fences.length; i++) {
      const m = this.fences[i];
      const word = (vcpuAddr(m.target) + V_FENCE_REQ) >> 2;
      if (Atomics.load(this.words, word) !== 0) {
        if (!this.harts().find((h) => h.vcpu === m.target)?.parked()) continue;
        this.core.exports.threadService(m.target);
      }
      this.fences.splice(i--, 1);
      this.answer(m.from, 0);
    }
  }

  /** The answer to what hart `from` of this node asked: its core stops waiting for it. */
  static complete(words: Int32Array, from: number, result: number): void {
    const v = vcpuAddr(from);
    words[(v + V_REMOTE_RESULT) >> 2] = result | 0;
    // (a hart whose wait the end of the run cut short has cleared the count: it stays at 0)
    if (Atomics.sub(words, (v + V_REMOTE_WAIT) >> 2, 1) <= 0) Atomics.store(words, (v + V_REMOTE_WAIT) >> 2, 0);
    Atomics.notify(words, (v + V_REMOTE_WAIT) >> 2);
  }
}
