// The system descriptions the page offers: the one list that the page (its select), the worker
// (what it boots) and the Vite plugin in web/vite.config.ts (which images it serves and emits)
// all read, so a description added here is offered, bootable and served at once.

import defaultSystem from "../examples/default.json";
import twoGuests from "../examples/two-guests.json";
import isolation from "../examples/isolation.json";
import threads from "../examples/threads.json";

/** SharedArrayBuffer is there (a cross-origin isolated page, docs/web.md); true outside a page. */
const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;

export interface OfferedSystem {
  /** The select's value and `?system=` in the URL. */
  id: string;
  /** The description's path from the repository root; its image paths are relative to it. */
  file: string;
  /** The select's label and the header's line. */
  title: string;
  summary: string;
  /** The parsed description; absent when the page cannot run it. */
  description?: unknown;
  /** Why the page cannot run it (its option in the select is disabled, this in its tooltip). */
  unavailable?: string;
}

export const SYSTEMS: readonly OfferedSystem[] = [
  {
    id: "default",
    file: "examples/default.json",
    title: "RTOS + Linux",
    summary: "a real-time OS with a 1 kHz task beside Linux 6.1, each in its own partition, joined by an IPC channel.",
    description: defaultSystem,
  },
  {
    id: "two-guests",
    file: "examples/two-guests.json",
    title: "two guests",
    summary: "two bare-metal guests, each in its own 1 ms window of a 2 ms frame; both stop when their test is done.",
    description: twoGuests,
  },
  {
    id: "isolation",
    file: "examples/isolation.json",
    title: "isolation",
    summary: "a hostile supervisor guest (probes, escapes, interrupt storms, then an endless loop) in its own window beside a real-time victim.",
    description: isolation,
  },
  {
    id: "threads",
    file: "examples/threads.json",
    title: "Linux on 2 threads",
    summary: "Linux SMP with each of its 2 harts on a thread of its own (not deterministic), beside a 1 kHz real-time partition that keeps to real time.",
    ...(isolated ? { description: threads } : {
      unavailable: "needs SharedArrayBuffer: serve the page cross-origin isolated (COOP/COEP headers, docs/web.md)",
    }),
  },
  {
    id: "rapilog",
    file: "examples/rapilog.json",
    title: "RapiLog",
    summary: "Linux on a RapiLog disk.",
    // RapiLog persists to a host file with fdatasync (src/node/); the page has in-memory disks only.
    unavailable: "needs a disk file on the host: run it with `npx wasmvisor run examples/rapilog.json`",
  },
];

export const DEFAULT_SYSTEM = SYSTEMS[0];

/** The offered system `id`, or undefined if there is none or the page cannot run it. */
export function runnableSystem(id: string | null): OfferedSystem | undefined {
  return SYSTEMS.find((s) => s.id === id && s.description !== undefined);
}
