// The physical memory map of a vCPU's partition: guest-physical regions → host RAM or a device.
// The host writes the region table (layout.ts, PHYSMAP_*); regions are page-aligned and do not
// overlap (the host validates that). physFind() is a short linear scan: it only runs on TLB
// misses and device accesses. In nested paging mode the same regions are reached through the
// partition's stage-2 table instead (stage2.ts).

import { load32 } from "../shim";
import {
  V_PHYSMAP, V_PHYSMAP_COUNT, PHYSMAP_ENTRY, PM_BASE, PM_SIZE, SYS_HV_MODE, SYS_PAGING, PAGING_NESTED,
} from "../layout";
import { stage2Region } from "./stage2";

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

/** The region of guest-physical `pa` the way the current paging mode finds it. */
export function gpaRegion(vcpu: i32, pa: i32): i32 {
  if (load32(SYS_HV_MODE) != 0 && load32(SYS_PAGING) == PAGING_NESTED) return stage2Region(vcpu, pa);
  return physFind(vcpu, pa);
}
