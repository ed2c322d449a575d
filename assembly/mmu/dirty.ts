// Dirty-page tracking for live migration (layout.ts: SYS_DIRTY_ON, DIRTY_BASE). Zero cost while
// it is off (one flag test where a slow-path store resolves its address, mmu/access.ts, and in a
// page-table walk's A/D update; none on the fast path); while it is on, the
// fast path still writes through the store TLB, whose entries exist only for pages marked since
// the last re-arm: re-arming drops every store translation, so the first store to each page after
// it takes the slow path and marks the page. Loads and fetches are never affected.

import { load32, store32, memFill, atomicOr32 } from "../shim";
import {
  THREADED, SYS_DIRTY_ON, DIRTY_BASE, DIRTY_BYTES, DIRTY_PAGES, RAM_HOST_BASE, V_TLB, TLB_SET, TLB_STORE, TLB_TABLE,
  vcpuAddr,
} from "../layout";

/** Mark the page holding host address `host` as written (if tracking is on). */
export function dirtyMark(host: i32): void {
  if (load32(SYS_DIRTY_ON) == 0) return;
  const page = u32(host - RAM_HOST_BASE) >>> 12;
  if (page >= u32(DIRTY_PAGES)) return;
  const word = DIRTY_BASE + i32((page >>> 5) << 2);
  // (harts on threads mark pages of one word at the same time: no bit may be lost)
  if (THREADED) atomicOr32(word, 1 << i32(page & 31));
  else store32(word, load32(word) | (1 << i32(page & 31)));
}

/** Start a new round: clear the bitmap and drop the store translations of vCPUs 0..count-1. */
export function dirtyRearm(count: i32): void {
  memFill(DIRTY_BASE, 0, DIRTY_BYTES);
  for (let i = 0; i < count; i++) {
    const v = vcpuAddr(i);
    for (let set = 0; set < 3; set++) memFill(v + V_TLB + set * TLB_SET + TLB_STORE, 0xff, TLB_TABLE);
  }
}
