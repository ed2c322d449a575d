// vNUMA's check of a node's page rights (docs/vnuma.md; the threaded build only): every access
// to guest RAM that fills a translation (mmu/access.ts resolve), and the page-table walker's own
// reads and A/D writes (mmu/sv32.ts), go through it. A page the node lacks the right for is not
// touched: the access does not complete (STATUS_RETRY: run() returns EXIT_RETRY with pc on the
// instruction) and SYS_DSM_PAGE/SYS_DSM_WANT tell the host what to fetch.

import { load8, load32, store32 } from "../shim";
import { THREADED, SYS_DSM_BASE, SYS_DSM_PAGES, SYS_DSM_PAGE, SYS_DSM_WANT, DSM_WRITE, RAM_HOST_BASE } from "../layout";
import { setStatus, STATUS_RETRY } from "../cpu/fault";

/** The right this node has on the page of host address `host`: DSM_WRITE without vNUMA, and
 *  for a host page the rights table does not cover (memory that is not shared). */
export function dsmRight(host: i32): i32 {
  if (!THREADED) return DSM_WRITE;
  const table = load32(SYS_DSM_BASE);
  if (table == 0) return DSM_WRITE;
  const index = u32(host - RAM_HOST_BASE) >>> 12;
  if (index >= u32(load32(SYS_DSM_PAGES))) return DSM_WRITE;
  return i32(load8(table + i32(index)));
}

/** The access must stop: the node lacks `want` on the page of host address `host`. */
export function dsmMiss(host: i32, want: i32): void {
  store32(SYS_DSM_PAGE, host & -4096);
  store32(SYS_DSM_WANT, want);
  setStatus(STATUS_RETRY);
}

/** True (and the access must stop: dsmMiss) when the node lacks `want` on host's page. */
export function dsmLacks(host: i32, want: i32): bool {
  if (!THREADED || dsmRight(host) >= want) return false;
  dsmMiss(host, want);
  return true;
}
