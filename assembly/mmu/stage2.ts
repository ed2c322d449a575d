// Stage-2 translation for nested paging: guest-physical → host, through a real two-level table
// per partition (the host builds it from the partition's physical map; layout.ts, STAGE2_*).
// In nested mode every guest-physical address the MMU touches on a TLB miss — each guest PTE and
// the final data address — goes through this walk: two dependent loads per lookup, nothing
// composed or cached beyond the interpreter's own TLB. (Shadow mode instead scans the region
// table once per walk and caches the composed result in the shadow page tables.)

import { load32 } from "../shim";
import { V_STAGE2 } from "../layout";

/** Address of the physical-map region entry for guest-physical `gpa`, or 0 (unmapped). */
export function stage2Region(vcpu: i32, gpa: i32): i32 {
  const root = load32(vcpu + V_STAGE2);
  if (root == 0) return 0;
  const l1 = load32(root + ((gpa >>> 22) << 2));
  if ((l1 & 1) == 0) return 0;
  const l0 = load32((l1 & -2) + (((gpa >>> 12) & 1023) << 2));
  if ((l0 & 1) == 0) return 0;
  return l0 & -2;
}
