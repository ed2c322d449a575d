// A vNUMA node's page store (src/machine/vnuma/dsm.ts PageStore) over its core's memory: the
// rights table the core checks on a TLB miss, the pages themselves, and the one delicate step —
// lowering a right while the node's harts run. The byte changes first (no new translation gets
// the old right), then every hart of the node drops its translations (a remote fence, as SBI's
// RFENCE asks it: V_FENCE_REQ, served at the hart's next block boundary, or right away when it
// sleeps) and only then is the change done: the page's bytes can no longer change under the
// directory, and the hart's next access checks the table again. A hart that waits for a page
// itself (its thread blocked outside run()) is fenced here, on its behalf.

import { V_FENCE_REQ, FENCE_ALL, vcpuAddr } from "../../../assembly/layout.js";
import type { NodeMemory } from "../../vmm/guest-memory.js";
import type { PageStore, Right } from "./dsm.js";

/** A hart of this node, as the page store needs it. */
export interface LocalHart {
  vcpu: number;
  /** Wake its thread (it may sleep in WFI). */
  ring(): void;
  /** Its thread is blocked outside run() (waiting for a page, or ended): fence it here. */
  parked(): boolean;
}

export class CoreRights implements PageStore {
  /** Revocations that had to wait for harts, and the time they waited (ms). */
  fences = 0;
  fenceMs = 0;

  constructor(
    private readonly mem: NodeMemory,
    private readonly words: Int32Array,
    private readonly harts: () => readonly LocalHart[],
    /** Drop vCPU `vcpu`'s translations from this thread (the node's own core's threadService). */
    private readonly fenceHere: (vcpu: number) => void,
  ) {}

  right(page: number): Right {
    return Atomics.load(this.mem.rights, this.mem.pageIndex(page)) as Right;
  }

  grant(page: number, right: Right): void {
    Atomics.store(this.mem.rights, this.mem.pageIndex(page), right);
  }

  async revoke(page: number, to: Right): Promise<void> {
    const i = this.mem.pageIndex(page);
    if (Atomics.load(this.mem.rights, i) <= to) return;
    Atomics.store(this.mem.rights, i, to);
    const harts = this.harts();
    if (harts.length === 0) return;
    const t0 = performance.now();
    const word = (h: LocalHart) => (vcpuAddr(h.vcpu) + V_FENCE_REQ) >> 2;
    for (const h of harts) {
      Atomics.or(this.words, word(h), FENCE_ALL);
      h.ring();
    }
    for (let round = 0; ; round++) {
      let left: LocalHart | null = null;
      for (const h of harts) {
        if (Atomics.load(this.words, word(h)) === 0) continue;
        if (h.parked()) {
          this.fenceHere(h.vcpu);
          continue;
        }
        left = h;
      }
      if (!left) break;
      // (the hart notifies the word when it has served it; a parked one is looked at again)
      const waitAsync = (Atomics as unknown as { waitAsync?: (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: Promise<string> | string } }).waitAsync;
      if (waitAsync) {
        const seen = Atomics.load(this.words, word(left));
        const r = waitAsync(this.words, word(left), seen, 2);
        if (r.async) await r.value;
      } else {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      if (round > 100_000) throw new Error(`vNUMA: hart ${left.vcpu} never dropped its translations of page 0x${page.toString(16)}`);
    }
    this.fences++;
    this.fenceMs += performance.now() - t0;
  }

  read(page: number): Uint8Array {
    return this.mem.readPage(page);
  }

  write(page: number, bytes: Uint8Array): void {
    this.mem.writePage(page, bytes);
  }
}
