// The messages between the page (web/main.ts) and the emulator's worker (web/worker.ts).
// Everything crosses by postMessage (structured clone; byte buffers are transferred), so the page
// needs no SharedArrayBuffer and no cross-origin isolation headers.

import type { TimelineView } from "./timeline.ts";

export type CoreChoice = "wasm" | "ts";

/**
 * What the worker boots: one of the offered systems (web/systems.ts); a description of the
 * user's (edited in the page, or made around an uploaded ELF), whose files are the uploads
 * (by the name the description uses) or images the page serves (paths relative to `file`, as
 * for the offered ones); or a snapshot (restored on the chosen core).
 */
export type SystemSource =
  | { kind: "offered"; id: string }
  | { kind: "description"; title: string; description: unknown; file: string; uploads: Array<{ name: string; bytes: Uint8Array }> }
  | { kind: "snapshot"; title: string; bytes: Uint8Array };

/** Page → worker. */
export type ToWorker =
  /** Boot `source` on `core`, with the translator (`jit`: docs/jit.md) or not; served guest images are listed in `imagesUrl` + "manifest.json"
   *  (web/images.ts). */
  | { type: "start"; source: SystemSource; core: CoreChoice; jit: boolean; imagesUrl: string }
  /** Bytes typed into a partition's console (its UART / SBI console). */
  | { type: "input"; partition: string; data: string }
  /** Snapshot the running system: "save" sends the file back ("snapshot"), "autosave" keeps it
   *  in IndexedDB (web/autosave.ts) and says so ("autosaved"). */
  | { type: "snapshot"; purpose: "save" | "autosave" }
  /** Replace the running system by this snapshot, on the same core. A bad file leaves the
   *  running system alone ("restore-failed"). */
  | { type: "restore"; bytes: Uint8Array; title: string }
  /** Pause (true) or go on (false). */
  | { type: "pause"; paused: boolean }
  /** While paused: run `count` more instructions (traps counted, as `--max-insns` counts). */
  | { type: "step"; count: number }
  /** Virtual time paced by real time (true), or as fast as the host allows (false). */
  | { type: "speed"; wallClock: boolean };

export interface SystemInfo {
  /** What the page shows as the system's name: the offered system's title, the uploaded file's
   *  name, "snapshot …"; and the description's own name. */
  title: string;
  name: string;
  core: CoreChoice;
  /** The translator is on. */
  jit: boolean;
  partitions: Array<{
    name: string; mode: "machine" | "supervisor"; interactive: boolean;
    /** For the picture of the system: RAM (at 0x8000_0000), devices, the regions it maps. */
    ramBytes: number; devices: string[]; image: string;
    mappings: Array<{ region: string; address: number; perms: string }>;
  }>;
  regions: Array<{ name: string; size: number }>;
  channels: Array<{ name: string; region?: string; ends: Array<{ partition: string; id: number; pp: boolean }> }>;
  /** Cycles of virtual time per second (hv.cyclesPerSecond). */
  cyclesPerSecond: number;
  /** The schedule's major frame and its windows, in cycles; window partitions are indices. */
  majorFrame: number;
  windows: Array<{ start: number; length: number; partitions: number[] }>;
}

/** Where the run is: paused or not, its pace, the work done (instructions + traps, as
 *  `--max-insns` counts) and the virtual clock. */
export interface Progress {
  paused: boolean;
  wallClock: boolean;
  work: number;
  instructions: number;
  clock: number;
  ended: boolean;
}

/** Rates over the last sampling interval (about 250 ms of real time). */
export interface Figures {
  /** Virtual time since boot, in seconds, and how fast it advanced against real time. */
  virtualSeconds: number;
  speed: number;
  /** Millions of guest instructions per second of real time, all partitions. */
  mips: number;
  /** Exits to the host per real second: device accesses (MMIO) and SBI calls. */
  exitsPerSecond: number;
  mmioPerSecond: number;
  sbiPerSecond: number;
  worldSwitchesPerSecond: number;
  /** IPC per real second: protected procedure calls (and how many took the fast path), notifications. */
  ipcCallsPerSecond: number;
  ipcFastCallsPerSecond: number;
  notificationsPerSecond: number;
  /** Share of the interval's virtual time in which no partition ran. */
  idleShare: number;
  instructions: number;
  /** With the translator on: regions translated so far and the back end's time (null: off). */
  translator: { regions: number; milliseconds: number } | null;
  partitions: Array<{
    name: string;
    /** Share of the interval's virtual time this partition ran. */
    share: number;
    mips: number;
    /** Its exits per real second: MMIO, SBI calls, trap-and-emulate, guest traps; switches in. */
    mmio: number;
    sbi: number;
    trapAndEmulate: number;
    traps: number;
    switchesIn: number;
    halted: string | null;
  }>;
}

/** Worker → page. */
export type FromWorker =
  | { type: "status"; text: string }
  /** The validated description: the page lays out one terminal and one timeline lane per
   *  partition (afresh: a restore replaces the system). `history`: what each partition printed
   *  before (a restored snapshot's consoleHistory), to redraw its terminal with. */
  | { type: "system"; system: SystemInfo; history: Array<{ partition: string; data: Uint8Array }> }
  /** Guest images that could not be fetched (not built): nothing was started. */
  | { type: "missing"; files: string[] }
  /** The system started (`startupMs`: fetching the images excluded). */
  | { type: "running"; startupMs: number }
  /**
   * What happened since the last batch (sent every ~50 ms): console output per partition, and
   * schedule switches as pairs (virtual cycle, partition index or -1 for idle) in time order.
   * `clock` is the virtual time at the end of the batch. Partitions that stopped come after
   * their output.
   */
  | {
      type: "batch"; clock: number; output: Array<{ partition: string; data: Uint8Array }>; switches: Float64Array;
      halted: Array<{ partition: string; message: string; status: number }>;
    }
  | { type: "figures"; figures: Figures }
  | { type: "progress"; progress: Progress }
  /** A snapshot for the page to download (`name`: the system's name). */
  | { type: "snapshot"; bytes: Uint8Array; name: string; created: string }
  | { type: "autosaved"; created: string; bytes: number }
  /** A snapshot could not be restored (the running system, if any, goes on). */
  | { type: "restore-failed"; message: string }
  /** Something asked of the worker failed (a save, an autosave); the system goes on. */
  | { type: "problem"; message: string }
  /** The run ended (every partition stopped). */
  | { type: "ended"; reason: string; status: number }
  | { type: "error"; message: string };

/**
 * Where a file named in a description is served, relative to the images URL: its path from the
 * repository root (in examples/default.json, "../guests/bin/rtos.elf" → "guests/bin/rtos.elf").
 * `descriptionFile` is the description's own path from the root, as in web/systems.ts. The Vite
 * plugin (web/vite.config.ts) serves and emits the files under these names, the worker fetches them.
 */
export function imageKey(descriptionPath: string, descriptionFile: string): string {
  const url = new URL(descriptionPath, new URL(descriptionFile, "file:///repository/"));
  const prefix = "/repository/";
  if (url.protocol !== "file:" || !url.pathname.startsWith(prefix)) {
    throw new RangeError(`${descriptionPath}: the page only serves files inside the repository`);
  }
  return decodeURIComponent(url.pathname.slice(prefix.length));
}

/** What the page exposes as `window.wasmvisor`, for the end-to-end test (test/web.test.ts) and
 *  for anyone curious in the devtools. */
export interface PageHooks {
  /** A terminal's text as shown (scrollback included), lines trimmed on the right; rows the
   *  terminal wrapped are joined to the line they continue. */
  terminalText(partition: string): string;
  /** The latest figures, null before the first sample. */
  figures(): Figures | null;
  /** What the timeline drew last, null before it drew. */
  timeline(): TimelineView | null;
  /** The status line in the header. */
  status(): string;
  /** The latest progress report (pause, step, speed), null before the first. */
  progress(): Progress | null;
  /** Autosave now (as every 30 s of running does); resolves when it is in IndexedDB. */
  autosave(): Promise<void>;
}

declare global {
  interface Window {
    wasmvisor: PageHooks;
  }
}
