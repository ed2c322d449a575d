// The physical memory map of a vCPU's partition: guest-physical regions → host RAM or a device.
// The host writes the region table (layout.ts, PHYSMAP_*); regions are page-aligned and do not
// overlap (the host validates that). A lookup is a short linear scan: it only runs on TLB misses
// and MMIO accesses.

import { load32 } from "../shim";
import { V_PHYSMAP, V_PHYSMAP_COUNT, PHYSMAP_ENTRY, PM_BASE, PM_SIZE } from "../layout";

/** Address of the region entry containing physical address pa, or 0 if nothing is there. */
export function physFind(vcpu: i32, pa: i32): i32 {
  let e = load32(vcpu + V_PHYSMAP);
  const end = e + load32(vcpu + V_PHYSMAP_COUNT) * PHYSMAP_ENTRY;
  while (e < end) {
    if (u32(pa - load32(e + PM_BASE)) < u32(load32(e + PM_SIZE))) return e;
    e += PHYSMAP_ENTRY;
  }
  return 0;
}
