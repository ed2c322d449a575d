// The system description: partitions, their images, guest modes, RAM, priorities and budgets,
// the time-partitioning schedule, shared memory regions and where partitions map them, and the
// channels between partitions. `validateSystem` checks a parsed JSON value completely and
// reports every problem with the path of the field and what would be valid; nothing starts
// unless the whole description is valid. The JSON Schema for editors is schema/system.schema.json.
//
// Units: sizes are bytes or strings like "64K", "16M", "1G"; durations are microseconds of
// virtual time or strings like "250us", "10ms", "1s", "5000cycles". Virtual time runs at the
// hart's clock: cyclesPerTick cycles per 10 MHz mtime tick (default 10: a 100 MHz hart).

import { DEVICE_WINDOWS, BOARD_WINDOWS, ALL_DEVICES, KNOWN_DEVICES, RAM_BASE, type DeviceName, type GuestMode } from "../vmm/board.js";
import { CHANNEL_BASE, CHANNEL_WINDOW } from "../devices/channel.js";
import { DEFAULT_RTC_EPOCH } from "../devices/goldfish-rtc.js";
import { PHYSMAP_MAX, HARTS_MAX as CORE_HARTS_MAX } from "../../assembly/layout.js";
import { BOOT_ROM_BASE, BOOT_ROM_SIZE } from "../loader/firmware-boot.js";

// ── The JSON format (what users write) ─────────────────────────────────────────────────────

export type Size = number | string;
export type Duration = number | string;

export interface SystemDescription {
  $schema?: string;
  name?: string;
  /** Clock cycles per 10 MHz mtime tick (default 10). */
  cyclesPerTick?: number;
  /** Longest slice a partition runs while another of equal priority waits for its turn in the
   *  same window (round robin; default "1ms"). */
  quantum?: Duration;
  /** Where every partition's real-time clock (the Goldfish RTC) starts in deterministic runs:
   *  a UTC date and time such as "2026-01-01T00:00:00Z" (the default), or seconds since 1970;
   *  each partition's RTC then advances with its own virtual time. */
  rtcEpoch?: string | number;
  partitions: PartitionDescription[];
  /** Default: one window spanning a 10 ms frame in which every partition may run. */
  schedule?: ScheduleDescription;
  memoryRegions?: MemoryRegionDescription[];
  channels?: ChannelDescription[];
}

export interface PartitionDescription {
  name: string;
  /** Boot image, relative to the description file: an ELF executable or a RISC-V Linux Image.
   *  (Give image, or firmware.) */
  image?: string;
  /** Boot the QEMU way (`-bios`, src/loader/firmware-boot.ts): an M-mode firmware, ELF or raw
   *  binary, in a machine-mode partition; it gets a0 = hart id, a1 = the device tree, a2 =
   *  OpenSBI's fw_dynamic_info, which names the kernel. Instead of image. */
  firmware?: string;
  /** With firmware: the kernel the firmware starts (QEMU's -kernel). */
  kernel?: string;
  /** Initial RAM disk, named in the device tree: supervisor mode (loaded below the tree), or
   *  with firmware and kernel (where QEMU puts it). */
  initrd?: string;
  /** A disk image behind virtio-blk: its path, or { file, readOnly, mode, buffer }. */
  disk?: string | DiskDescription;
  /** "machine" (default): the guest owns a virtual M-mode; "supervisor": it starts in S-mode with SBI. */
  mode?: GuestMode;
  /** RAM at 0x8000_0000 (default 16M). */
  ram?: Size;
  /** 0-255, larger runs first (default 0). */
  priority?: number;
  /** Cycles of CPU per period (seL4 MCS); give both or neither. */
  budget?: Duration;
  period?: Duration;
  /** Devices on the board (default uart, clint, plic, finisher); virtio-console on request. */
  devices?: DeviceName[];
  /** Kernel command line in the device tree (supervisor mode, or with firmware: QEMU's -append). */
  bootargs?: string;
  /** Shared memory regions mapped into this partition. */
  mappings?: MappingDescription[];
  /** A passive server: no time of its own (no window, no budget); it runs only on the time of
   *  the partitions that call it (protected procedure calls, seL4 MCS donation). */
  passive?: boolean;
  /** HTIF (the ELF's tohost/fromhost, the Spike convention) for this partition (default false:
   *  inside a partition an ELF's tohost symbol is plain memory unless this is true). */
  htif?: boolean;
  /** The F and D extensions (default true: an RV32GC hart). false: the partition's hart is
   *  RV32IMAC as before F and D existed: misa without them, every FP instruction and fcsr access
   *  an illegal instruction, the device tree's ISA string rv32imac. */
  fpu?: boolean;
  /** Pre-virtualization (docs/previrt.md): patch the sites of an afterburned image (its ELF
   *  .wvsites section, or a Linux Image's <image>.wvsites sidecar) so they run without a trap.
   *  Default false: the image runs as it is. */
  previrt?: boolean;
  /** RISC-V semihosting for this partition (absent: off). */
  semihosting?: SemihostingDescription;
  /** Harts of this partition (default 1, at most HARTS_MAX; all the system's harts together at
   *  most HARTS_MAX): an SMP partition (docs/smp.md). */
  harts?: number;
  /** Each of this partition's harts on a host thread of its own, outside the schedule, as a
   *  partition on physical cores of its own (docs/smp.md, "harts on parallel threads"); not
   *  deterministic. Without channels or semihosting. Default false. */
  parallel?: boolean;
  /** vNUMA (docs/vnuma.md): this partition's harts (on threads: "parallel") spread over this many
   *  nodes — processes that share its RAM page by page; Linux sees a NUMA node per node. From 2
   *  to its harts; without a disk. Default 1: every hart in this process. */
  nodes?: number;
}

/** A partition's semihosting: its files' directory (relative to the description; absent: console
 *  only), whether U-mode may call (default M and S only), SYS_GET_CMDLINE's answer (default the
 *  image as written). */
export interface SemihostingDescription {
  dir?: string;
  userspace?: boolean;
  cmdline?: string;
}

export interface DiskDescription {
  file: string;
  readOnly?: boolean;
  /** "writethrough" (default): a guest flush completes once the host file is fsynced.
   *  "rapilog": it completes once the data is in the hypervisor's memory; a writer persists it
   *  in order with grouped fsyncs (docs/rapilog.md). */
  mode?: DiskMode;
  /** RapiLog's buffer (default "16M"): a guest that fills it waits for the disk. */
  buffer?: Size;
}

export type DiskMode = "writethrough" | "rapilog";

export interface ScheduleDescription {
  majorFrame: Duration;
  windows: WindowDescription[];
}

export interface WindowDescription {
  /** Offset in the major frame (default: where the previous window ends). */
  start?: Duration;
  length: Duration;
  /** Partitions that may run in this window (the highest-priority runnable one does). */
  partitions: string[];
}

export interface MemoryRegionDescription {
  name: string;
  size: Size;
}

export interface MappingDescription {
  region: string;
  /** Guest-physical address (page-aligned), a number or a string like "0x90000000". */
  address: number | string;
  /** Any of r, w, x (default "rw"). */
  perms?: string;
}

export interface ChannelDescription {
  name: string;
  ends: [ChannelEnd, ChannelEnd];
  /** A memory region both partitions map, that goes with the channel (a supervisor-mode end
   *  sees it as the first memory area of the channel's UIO device). */
  region?: string;
}

export interface ChannelEnd {
  partition: string;
  /** The channel's number in this partition (0-62). */
  id: number;
  /** This end accepts protected procedure calls (its partition must have the higher priority). */
  pp?: boolean;
}

// ── The validated system (what the hypervisor runs) ────────────────────────────────────────

export interface SystemConfig {
  name: string;
  cyclesPerTick: number;
  /** Cycles. */
  quantum: number;
  /** Seconds since 1970-01-01T00:00:00Z. */
  rtcEpoch: number;
  partitions: PartitionConfig[];
  schedule: { majorFrame: number; windows: Array<{ start: number; length: number; partitions: number[] }> };
  regions: Array<{ name: string; size: number }>;
  channels: Array<{ name: string; ends: Array<{ partition: number; id: number; pp: boolean }>; region?: number }>;
}

export interface PartitionConfig {
  name: string;
  /** The boot image, or with `firmware` the firmware. */
  image: string;
  /** `image` is an M-mode firmware booted the QEMU way (src/loader/firmware-boot.ts). */
  firmware: boolean;
  /** The kernel of a firmware boot. */
  kernel?: string;
  mode: GuestMode;
  ramBytes: number;
  priority: number;
  /** Cycles; 0 and 0: no budget limit. */
  budget: number;
  period: number;
  devices: DeviceName[];
  bootargs?: string;
  initrd?: string;
  disk?: DiskConfig;
  mappings: Array<{ region: number; address: number; read: boolean; write: boolean; exec: boolean }>;
  passive: boolean;
  htif: boolean;
  /** F and D on this partition's hart. */
  fpu: boolean;
  /** Patch an afterburned image's pre-virtualization sites (docs/previrt.md). */
  previrt: boolean;
  semihosting?: { dir?: string; userspace: boolean; cmdline: string };
  /** Harts (1: a uniprocessor partition). */
  harts: number;
  /** Its harts on threads of their own (docs/smp.md). */
  parallel: boolean;
  /** The nodes (processes) its harts run on (vNUMA, docs/vnuma.md): 1 without. */
  nodes: number;
}

export interface DiskConfig {
  file: string;
  readOnly: boolean;
  mode: DiskMode;
  /** RapiLog buffer size in bytes. */
  bufferBytes: number;
}

/** The files a partition names, for checks that need the file system (src/node/system-file.ts). */
export interface PartitionFiles {
  /** The boot image, or the firmware. */
  image: string;
  firmware: boolean;
  kernel?: string;
  initrd?: string;
  disk?: DiskConfig;
  ramBytes: number;
  mode: GuestMode;
  /** The partition uses the ELF's HTIF symbols. */
  htif: boolean;
  /** The partition's semihosting directory (must be a directory). */
  semihostingDir?: string;
}

/** A problem with one of a partition's files: which field, and what is wrong. */
export interface FileProblem {
  field: "image" | "firmware" | "kernel" | "initrd" | "disk" | "semihosting.dir";
  message: string;
}

export interface ConfigProblem {
  /** JSON path of the field, e.g. "partitions[1].budget" ("" for the document). */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly file: string, readonly problems: ConfigProblem[]) {
    super(problems.map((p) => `${file}: ${p.path ? `${p.path}: ` : ""}${p.message}`).join("\n"));
    this.name = "ConfigError";
  }
}

export const MAX_PARTITIONS = 8;
/** Most harts of a partition, and of the whole system (assembly/layout.ts: a vCPU each). (A
 *  number here, so the package's declarations need not describe the core's layout.) */
export const HARTS_MAX: number = CORE_HARTS_MAX;

/**
 * Where each partition's harts are in the core: hart 0 of partition i is vCPU i; the other harts
 * of every partition follow the partitions' vCPUs, in partition order (kernel/smp.ts).
 */
export function hartVcpus(partitions: ReadonlyArray<{ harts: number }>): number[][] {
  let next = partitions.length;
  return partitions.map((p, i) => [i, ...Array.from({ length: p.harts - 1 }, () => next++)]);
}
/** RapiLog's buffer: the default, and the smallest and largest a description may ask for. */
export const DEFAULT_DISK_BUFFER = 16 * 1024 * 1024;
export const MIN_DISK_BUFFER = 4096;
export const MAX_DISK_BUFFER = 256 * 1024 * 1024;
export const MAX_WINDOWS = 64;
/** The kernel command line in the device tree, in UTF-8 bytes (the tree has 64 KiB). */
export const MAX_BOOTARGS = 4096;
/** Shared regions in a description (each is mapped by someone to be of use; a partition maps
 *  at most a few dozen). */
export const MAX_REGIONS = 256;
/** Channels: each partition has ids 0-62, so 8 partitions have at most 8 × 63 / 2 ends' worth. */
export const MAX_CHANNELS = (MAX_PARTITIONS * 63) / 2;
/** The guest-physical windows of a partition's memory map (the core's PHYSMAP_MAX): its RAM
 *  (split in up to 3 around an HTIF tohost page), its devices, the channel doorbells, windows
 *  the virt board keeps for itself, and the regions it maps. */
export const MAX_MEMORY_WINDOWS = PHYSMAP_MAX;
const RAM_WINDOWS = 3;
/** Memory windows of the board's own beyond the named devices (BOARD_WINDOWS in
 *  src/vmm/board.ts): the Goldfish RTC and the empty virtio-mmio slots, at most two runs of them. */
const BOARD_OWN_WINDOWS = 3;
export const MIN_RAM = 64 * 1024;
export const MAX_PARTITION_RAM = 1024 * 1024 * 1024;
/** Everything the host allocates for guests (partitions' RAM and shared regions). */
export const MAX_TOTAL_RAM = 1536 * 1024 * 1024;
/** Frames, periods and budgets stay below 2^30 cycles (the core's time arithmetic). */
export const MAX_CYCLES = 0x3fffffff;

const NAME = /^[a-zA-Z][a-zA-Z0-9_-]{0,31}$/;

/** A JSON value quoted for a message: short, whatever its size. */
export function quote(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 36)}…${text.slice(-1)}` : text;
}

/** A file name: a non-empty string without NUL characters (which no file name has). */
const isPath = (v: unknown): v is string => typeof v === "string" && v.length > 0 && !v.includes("\0");
const pathProblem = (v: unknown, what: string) =>
  typeof v === "string" && v.includes("\0") ? `${quote(v)} contains a NUL character, which no file name can: give the path of ${what}` : `must be the path of ${what} (relative to this file)`;

/** Names for a message: at most 12 of them. */
function listNames(names: string[]): string {
  return names.length > 12 ? `${names.slice(0, 12).join(", ")} and ${names.length - 12} more` : names.join(", ");
}

/** The latest RTC epoch a description may give: 2500-01-01T00:00:00Z (the RTC counts 64-bit
 *  nanoseconds, which run out in 2554). */
export const MAX_RTC_EPOCH = 16_725_225_600;

/** "2026-01-01T00:00:00Z" (UTC, to the second) or a whole number of seconds since 1970, from
 *  1970 to MAX_RTC_EPOCH; null if malformed or out of range. */
export function parseRtcEpoch(v: unknown): number | null {
  let seconds: number;
  if (typeof v === "number") {
    seconds = v;
  } else if (typeof v === "string") {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/.exec(v);
    if (!m) return null;
    const [y, mo, d, h, mi, sec] = m.slice(1).map(Number);
    const ms = Date.UTC(y, mo - 1, d, h, mi, sec);
    // Date.UTC rolls over (February 30th becomes March 2nd): the fields must come back.
    const t = new Date(ms);
    if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d || t.getUTCHours() !== h ||
      t.getUTCMinutes() !== mi || t.getUTCSeconds() !== sec) return null;
    seconds = ms / 1000;
  } else {
    return null;
  }
  return Number.isInteger(seconds) && seconds >= 0 && seconds <= MAX_RTC_EPOCH ? seconds : null;
}

/** "64K", "16M", "1G", "4096" or a number of bytes; null if malformed. */
export function parseSizeValue(v: unknown): number | null {
  if (typeof v === "number") return Number.isInteger(v) && v >= 0 ? v : null;
  if (typeof v !== "string") return null;
  const m = /^\s*(\d+)\s*([kmg]?)(i?b)?\s*$/i.exec(v);
  if (!m) return null;
  return Number(m[1]) * { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as "" | "k" | "m" | "g"];
}

/** A duration in cycles: "250us", "10ms", "1s", "5000cycles", or a number of microseconds. */
export function parseDurationValue(v: unknown, cyclesPerTick: number): number | null {
  const perUs = 10 * cyclesPerTick;
  if (typeof v === "number") return Number.isFinite(v) && v >= 0 ? Math.round(v * perUs) : null;
  if (typeof v !== "string") return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(cycles|ns|us|µs|ms|s)\s*$/.exec(v);
  if (!m) return null;
  const n = Number(m[1]);
  const cycles = m[2] === "cycles" ? n : n * perUs * { ns: 0.001, us: 1, "µs": 1, ms: 1000, s: 1_000_000 }[m[2] as "ns"];
  return Math.round(cycles);
}

export function formatDuration(cycles: number, cyclesPerTick: number): string {
  const us = cycles / (10 * cyclesPerTick);
  return us >= 1000 ? `${+(us / 1000).toFixed(3)} ms` : `${+us.toFixed(3)} µs`;
}

/**
 * Validate a parsed system description. `fileProblems(files)` (optional) checks a partition's
 * image, initrd and disk and returns what is wrong with them. Returns the system, or throws ConfigError listing
 * every problem found.
 */
export function validateSystem(
  doc: unknown,
  file = "system.json",
  fileProblems?: (files: PartitionFiles) => FileProblem[],
): SystemConfig {
  const problems: ConfigProblem[] = [];
  const fail = (path: string, message: string) => problems.push({ path, message });
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  const unknownKeys = (obj: Record<string, unknown>, path: string, allowed: string[]) => {
    for (const k of Object.keys(obj)) {
      if (!allowed.includes(k)) fail(path ? `${path}.${k}` : k, `unknown field; the fields here are ${allowed.join(", ")}`);
    }
  };

  if (!isObj(doc)) throw new ConfigError(file, [{ path: "", message: "the system description must be a JSON object" }]);
  unknownKeys(doc, "", ["$schema", "name", "cyclesPerTick", "quantum", "rtcEpoch", "partitions", "schedule", "memoryRegions", "channels"]);

  let cyclesPerTick = 10;
  if (doc.cyclesPerTick !== undefined) {
    const c = doc.cyclesPerTick;
    if (typeof c !== "number" || !Number.isInteger(c) || c < 1 || c > 1_000_000) fail("cyclesPerTick", "must be an integer from 1 to 1000000");
    else cyclesPerTick = c;
  }
  const duration = (v: unknown, path: string, { zero = false } = {}): number | null => {
    const d = parseDurationValue(v, cyclesPerTick);
    if (d === null) {
      fail(path, `${v === undefined ? "missing" : `${quote(v)} is not a duration`}: write microseconds (e.g. 1500) or a string such as "250us", "10ms", "1s", "5000cycles"`);
      return null;
    }
    if (!zero && d <= 0) {
      fail(path, "must be longer than zero");
      return null;
    }
    if (d > MAX_CYCLES) {
      fail(path, `${formatDuration(d, cyclesPerTick)} is too long: at most ${formatDuration(MAX_CYCLES, cyclesPerTick)} at this clock rate`);
      return null;
    }
    return d;
  };
  const name = typeof doc.name === "string" ? doc.name : "system";
  if (doc.name !== undefined && typeof doc.name !== "string") fail("name", "must be a string");
  const quantum = doc.quantum === undefined ? 1000 * 10 * cyclesPerTick : duration(doc.quantum, "quantum");
  const rtcEpoch = doc.rtcEpoch === undefined ? DEFAULT_RTC_EPOCH : parseRtcEpoch(doc.rtcEpoch);
  if (rtcEpoch === null) {
    fail("rtcEpoch", `${quote(doc.rtcEpoch)} is not a start for the real-time clock: write a UTC date and time such as "2026-01-01T00:00:00Z", or whole seconds since 1970-01-01T00:00:00Z, up to 2500-01-01T00:00:00Z`);
  }

  // ── Memory regions ────────────────────────────────────────────────────────────────────────
  const regions: SystemConfig["regions"] = [];
  const regionIndex = new Map<string, number>();
  if (doc.memoryRegions !== undefined) {
    if (!Array.isArray(doc.memoryRegions)) fail("memoryRegions", "must be an array of {name, size}");
    else if (doc.memoryRegions.length > MAX_REGIONS) fail("memoryRegions", `${doc.memoryRegions.length} regions: at most ${MAX_REGIONS}`);
    else doc.memoryRegions.forEach((r, i) => {
      const p = `memoryRegions[${i}]`;
      if (!isObj(r)) return fail(p, "must be an object {name, size}");
      unknownKeys(r, p, ["name", "size"]);
      if (typeof r.name !== "string" || !NAME.test(r.name)) return fail(`${p}.name`, "must be a name: a letter, then letters, digits, - or _ (at most 32)");
      if (regionIndex.has(r.name)) return fail(`${p}.name`, `"${r.name}" is already the name of memoryRegions[${regionIndex.get(r.name)}]`);
      const size = parseSizeValue(r.size);
      if (size === null || size <= 0 || size % 4096 !== 0) return fail(`${p}.size`, `${r.size === undefined ? "missing" : `${quote(r.size)} is not a valid size`}: use a multiple of 4 KiB such as "64K" or "1M"`);
      regionIndex.set(r.name, regions.length);
      regions.push({ name: r.name, size });
    });
  }

  // ── Partitions ────────────────────────────────────────────────────────────────────────────
  const partitions: PartitionConfig[] = [];
  const partIndex = new Map<string, number>();
  let totalHarts = 0;
  let totalRam = regions.reduce((n, r) => n + r.size, 0);
  if (!Array.isArray(doc.partitions) || doc.partitions.length === 0) {
    fail("partitions", "must be a non-empty array of partitions");
  } else if (doc.partitions.length > MAX_PARTITIONS) {
    fail("partitions", `${doc.partitions.length} partitions: at most ${MAX_PARTITIONS}`);
  } else {
    doc.partitions.forEach((pd, i) => {
      const p = `partitions[${i}]`;
      if (!isObj(pd)) return fail(p, "must be an object with at least name and image");
      unknownKeys(pd, p, ["name", "image", "firmware", "kernel", "mode", "ram", "priority", "budget", "period", "devices", "bootargs", "initrd", "disk", "mappings", "passive", "htif", "fpu", "previrt", "semihosting", "harts", "parallel", "nodes"]);
      let ok = true;
      const bad = (field: string, msg: string) => { fail(`${p}.${field}`, msg); ok = false; };
      if (pd.passive !== undefined && typeof pd.passive !== "boolean") bad("passive", "must be true or false");
      if (pd.htif !== undefined && typeof pd.htif !== "boolean") bad("htif", "must be true or false");
      if (pd.fpu !== undefined && typeof pd.fpu !== "boolean") bad("fpu", "must be true (F and D, the default) or false (an RV32IMAC hart)");
      const harts = pd.harts === undefined ? 1 : pd.harts;
      if (typeof harts !== "number" || !Number.isInteger(harts) || harts < 1 || harts > HARTS_MAX) {
        bad("harts", `must be an integer from 1 to ${HARTS_MAX} (the partition's harts; default 1), not ${quote(pd.harts)}`);
      } else if (harts > 1 && pd.passive === true) {
        bad("harts", "a passive partition has one hart: it runs only on its callers' time");
      } else {
        totalHarts += harts;
        if (totalHarts > HARTS_MAX && totalHarts - harts <= HARTS_MAX) {
          bad("harts", `the system's partitions have ${totalHarts} harts so far: at most ${HARTS_MAX} in all (every hart is a vCPU of the core)`);
        }
      }
      if (pd.previrt !== undefined && typeof pd.previrt !== "boolean") bad("previrt", "must be true (patch an afterburned image's sites: docs/previrt.md) or false (the default)");
      let semihosting: PartitionConfig["semihosting"];
      if (pd.semihosting !== undefined) {
        const sh = pd.semihosting;
        if (!isObj(sh)) {
          bad("semihosting", 'must be an object: { "dir": "a directory for the guest\'s files", "userspace": false, "cmdline": "…" } (every field optional)');
        } else {
          unknownKeys(sh, `${p}.semihosting`, ["dir", "userspace", "cmdline"]);
          if (sh.dir !== undefined && !isPath(sh.dir)) bad("semihosting.dir", pathProblem(sh.dir, "the directory of the guest's semihosting files"));
          if (sh.userspace !== undefined && typeof sh.userspace !== "boolean") bad("semihosting.userspace", "must be true or false");
          if (sh.cmdline !== undefined && (typeof sh.cmdline !== "string" || sh.cmdline.length > 4095 || sh.cmdline.includes("\0"))) {
            bad("semihosting.cmdline", "must be a string of at most 4095 characters without NUL");
          }
          semihosting = {
            dir: isPath(sh.dir) ? sh.dir : undefined,
            userspace: sh.userspace === true,
            cmdline: typeof sh.cmdline === "string" ? sh.cmdline : typeof pd.image === "string" ? pd.image : "",
          };
        }
      }
      if (pd.passive === true && pd.budget !== undefined) bad("budget", "a passive partition has no time of its own: it runs on its callers' budgets");
      if (pd.parallel !== undefined && typeof pd.parallel !== "boolean") bad("parallel", "must be true (each hart on a host thread of its own: docs/smp.md) or false (the default)");
      if (pd.parallel === true) {
        const why = "a partition on threads runs outside the schedule, on host threads of its own";
        if (pd.passive === true) bad("parallel", `a passive partition runs on its callers' time; ${why}`);
        if (pd.budget !== undefined || pd.period !== undefined || pd.priority !== undefined) bad("parallel", `${why}: it has no priority, budget or period`);
        if (pd.semihosting !== undefined) bad("parallel", "semihosting is not available to a partition on threads");
      }
      if (pd.nodes !== undefined) {
        const h = typeof pd.harts === "number" ? pd.harts : 1;
        if (typeof pd.nodes !== "number" || !Number.isInteger(pd.nodes) || pd.nodes < 1 || pd.nodes > h) {
          bad("nodes", `must be an integer from 1 to the partition's harts (${h}), not ${quote(pd.nodes)}`);
        } else if (pd.nodes > 1) {
          if (pd.parallel !== true) bad("nodes", 'harts on several nodes (vNUMA) run in parallel: add "parallel": true');
          // (a device that reads and writes guest RAM from the host would see the home node's copy)
          if (pd.disk !== undefined) bad("nodes", "a partition on several nodes has no disk: virtio-blk moves data in guest RAM from the home node, whose copy of a page may be stale (docs/vnuma.md)");
          if (pd.previrt === true) bad("nodes", "pre-virtualization is not offered on several nodes (docs/vnuma.md)");
        }
      }
      // (An invalid or repeated name is reported here and used nowhere else.)
      let pname = typeof pd.name === "string" ? pd.name : "";
      if (!NAME.test(pname)) {
        bad("name", "must be a name: a letter, then letters, digits, - or _ (at most 32)");
        pname = "";
      } else if (partIndex.has(pname)) {
        bad("name", `"${pname}" is already the name of partitions[${partIndex.get(pname)}]`);
        pname = "";
      }
      const firmware = pd.firmware !== undefined;
      if (firmware && pd.image !== undefined) bad("firmware", 'give either "image" (a boot image) or "firmware" (with "kernel": booted the QEMU way), not both');
      else if (firmware && !isPath(pd.firmware)) bad("firmware", pathProblem(pd.firmware, "an M-mode firmware (ELF or raw binary)"));
      else if (!firmware && !isPath(pd.image)) {
        bad("image", pd.image === undefined ? 'missing: give "image" (an ELF executable or a Linux Image) or "firmware" (an M-mode firmware, with "kernel")' : pathProblem(pd.image, "an ELF image or a Linux Image"));
      }
      const mode = pd.mode ?? "machine";
      if (mode !== "machine" && mode !== "supervisor") bad("mode", `${quote(pd.mode)}: expected "machine" or "supervisor"`);
      else if (firmware && mode !== "machine") bad("mode", 'a firmware runs in M-mode: a partition with "firmware" is a machine-mode partition (leave out "mode" or set "machine")');
      let kernel: string | undefined;
      if (pd.kernel !== undefined) {
        if (!isPath(pd.kernel)) bad("kernel", pathProblem(pd.kernel, "a kernel (ELF, Linux Image or raw binary)"));
        else if (!firmware) bad("kernel", 'a kernel is started by a firmware: give the partition "firmware" (QEMU\'s -bios) instead of "image"');
        else kernel = pd.kernel;
      }
      const bootImage = firmware ? pd.firmware : pd.image;
      const ram = pd.ram === undefined ? 16 * 1024 * 1024 : parseSizeValue(pd.ram);
      if (ram === null || ram % 4096 !== 0 || ram < MIN_RAM || ram > MAX_PARTITION_RAM) {
        bad("ram", `${quote(pd.ram)} is not a valid RAM size: use a multiple of 4 KiB from 64K to 1G`);
      } else {
        totalRam += ram;
      }
      const priority = pd.priority ?? 0;
      if (typeof priority !== "number" || !Number.isInteger(priority) || priority < 0 || priority > 255) bad("priority", "must be an integer from 0 to 255");
      let budget = 0;
      let period = 0;
      if ((pd.budget === undefined) !== (pd.period === undefined)) {
        bad(pd.budget === undefined ? "budget" : "period", "missing: budget and period go together, give both or neither");
      } else if (pd.budget !== undefined) {
        const b = duration(pd.budget, `${p}.budget`);
        const t = duration(pd.period, `${p}.period`);
        if (b === null || t === null) ok = false;
        else if (b > t) bad("budget", `${formatDuration(b, cyclesPerTick)} is longer than the period (${formatDuration(t, cyclesPerTick)}): a budget must fit in its period`);
        else {
          budget = b;
          period = t;
        }
      }
      let devices: DeviceName[] = [...ALL_DEVICES];
      if (pd.devices !== undefined) {
        if (!Array.isArray(pd.devices)) bad("devices", `must be an array of device names (${KNOWN_DEVICES.join(", ")})`);
        else {
          devices = [];
          pd.devices.forEach((d, j) => {
            if (!KNOWN_DEVICES.includes(d as DeviceName)) bad(`devices[${j}]`, `${quote(d)} is not a device; the devices are ${KNOWN_DEVICES.join(", ")}`);
            else if (devices.includes(d as DeviceName)) bad(`devices[${j}]`, `"${d}" is listed twice`);
            else if (d === "virtio-blk" && pd.disk === undefined) bad(`devices[${j}]`, 'virtio-blk needs a disk: give the partition a "disk"');
            else if (typeof pd.nodes === "number" && pd.nodes > 1 && (String(d).startsWith("virtio-") || d === "file-agent")) {
              // (their rings and buffers are guest RAM, which the home node reaches for: its copy of a page may be stale)
              bad(`devices[${j}]`, `"${d}" moves data through guest RAM from the home node: not on a partition on several nodes (docs/vnuma.md)`);
            }
            else devices.push(d as DeviceName);
          });
        }
      }
      let disk: PartitionConfig["disk"];
      if (pd.disk !== undefined) {
        const d = pd.disk;
        if (isPath(d)) disk = { file: d, readOnly: false, mode: "writethrough", bufferBytes: DEFAULT_DISK_BUFFER };
        else if (typeof d === "string") bad("disk", pathProblem(d, "a disk image"));
        else if (isObj(d) && isPath(d.file) && (d.readOnly === undefined || typeof d.readOnly === "boolean")) {
          unknownKeys(d, `${p}.disk`, ["file", "readOnly", "mode", "buffer"]);
          const diskMode = d.mode ?? "writethrough";
          const buffer = d.buffer === undefined ? DEFAULT_DISK_BUFFER : parseSizeValue(d.buffer);
          if (diskMode !== "writethrough" && diskMode !== "rapilog") bad("disk.mode", `${quote(d.mode)}: expected "writethrough" or "rapilog"`);
          else if (buffer === null || buffer < MIN_DISK_BUFFER || buffer > MAX_DISK_BUFFER) bad("disk.buffer", `${quote(d.buffer)} is not a valid buffer size: use 4K to 256M`);
          else if (diskMode === "rapilog" && d.readOnly === true) bad("disk.mode", "a read-only disk has nothing to buffer: rapilog needs a writable disk");
          else disk = { file: d.file, readOnly: d.readOnly === true, mode: diskMode, bufferBytes: buffer };
        } else bad("disk", 'must be the path of a disk image, or { "file": path, "readOnly": true|false, "mode": "writethrough"|"rapilog", "buffer": size }');
        if (disk && !devices.includes("virtio-blk")) devices.push("virtio-blk");
      }
      let initrd: string | undefined;
      if (pd.initrd !== undefined) {
        if (!isPath(pd.initrd)) bad("initrd", pathProblem(pd.initrd, "an initial RAM disk"));
        else if (firmware && pd.kernel === undefined) bad("initrd", 'an initial RAM disk goes with a kernel: give the partition "kernel" (QEMU\'s -initrd needs -kernel)');
        else if (mode !== "supervisor" && !firmware) bad("initrd", 'only supervisor-mode partitions, or firmware boots with a kernel, boot with an initial RAM disk (set "mode": "supervisor", or give "firmware" and "kernel")');
        else initrd = pd.initrd;
      }
      if (pd.bootargs !== undefined) {
        if (typeof pd.bootargs !== "string") bad("bootargs", "must be a string");
        else if (new TextEncoder().encode(pd.bootargs).length > MAX_BOOTARGS) {
          bad("bootargs", `${new TextEncoder().encode(pd.bootargs).length} bytes: at most ${MAX_BOOTARGS} fit in the device tree (Linux itself reads the first 1023)`);
        }
        else if (mode !== "supervisor" && !firmware) bad("bootargs", 'only supervisor-mode partitions and firmware boots have a device tree to carry bootargs (set "mode": "supervisor", or give "firmware")');
      }
      const mappings: PartitionConfig["mappings"] = [];
      if (pd.mappings !== undefined) {
        if (!Array.isArray(pd.mappings)) bad("mappings", "must be an array of {region, address, perms}");
        else if (pd.mappings.length > MAX_MEMORY_WINDOWS) bad("mappings", `${pd.mappings.length} mappings: a partition has at most ${MAX_MEMORY_WINDOWS} memory windows, its RAM and devices included`);
        else pd.mappings.forEach((m, j) => {
          const mp = `mappings[${j}]`;
          if (!isObj(m)) return bad(mp, "must be an object {region, address, perms}");
          unknownKeys(m, `${p}.${mp}`, ["region", "address", "perms"]);
          const region = typeof m.region === "string" ? regionIndex.get(m.region) : undefined;
          if (region === undefined) {
            return bad(`${mp}.region`, `${m.region === undefined ? "missing: name a memory region" : `${quote(m.region)} is not a memory region`}; ${regions.length ? `the regions are ${listNames(regions.map((r) => r.name))}` : "declare it under memoryRegions"}`);
          }
          const address = typeof m.address === "number" ? m.address : typeof m.address === "string" && /^\s*(0x[0-9a-f]+|\d+)\s*$/i.test(m.address) ? Number(m.address) : NaN;
          if (!Number.isInteger(address) || address < 0 || address % 4096 !== 0 || address + regions[region].size > 0x1_0000_0000) {
            return bad(`${mp}.address`, `${m.address === undefined ? "missing: give" : `${quote(m.address)} is not`} a page-aligned guest-physical address for a ${regions[region].size}-byte region below 4 GiB (e.g. "0x90000000")`);
          }
          const perms = m.perms ?? "rw";
          if (typeof perms !== "string" || !/^r?w?x?$/.test(perms) || perms.length === 0) {
            return bad(`${mp}.perms`, `${quote(m.perms)}: use a combination of r, w, x in that order ("r", "rw", "rx", "rwx")`);
          }
          if (mappings.some((o) => o.region === region)) return bad(`${mp}.region`, `"${regions[region].name}" is already mapped into this partition`);
          mappings.push({ region, address, read: perms.includes("r"), write: perms.includes("w"), exec: perms.includes("x") });
        });
        // Overlaps with RAM, devices and each other.
        const taken: Array<{ what: string; base: number; size: number }> = [];
        if (ram !== null) taken.push({ what: "the partition's RAM", base: RAM_BASE, size: ram });
        for (const d of devices) taken.push({ what: `the ${d} device`, base: DEVICE_WINDOWS[d].base, size: DEVICE_WINDOWS[d].size });
        taken.push(...BOARD_WINDOWS);
        if (firmware) taken.push({ what: "the boot ROM", base: BOOT_ROM_BASE, size: BOOT_ROM_SIZE });
        mappings.forEach((m, j) => {
          const size = regions[m.region].size;
          const clash = taken.find((t) => m.address < t.base + t.size && t.base < m.address + size);
          if (clash) {
            bad(`mappings[${j}].address`, `region "${regions[m.region].name}" at 0x${m.address.toString(16)}-0x${(m.address + size - 1).toString(16)} overlaps ${clash.what} (0x${clash.base.toString(16)}-0x${(clash.base + clash.size - 1).toString(16)})`);
          }
          taken.push({ what: `region "${regions[m.region].name}"`, base: m.address, size });
        });
      }
      if (ok && isPath(bootImage) && ram !== null && fileProblems) {
        for (const f of fileProblems({ image: bootImage, firmware, kernel, initrd, disk, ramBytes: ram, mode: mode as GuestMode, htif: pd.htif === true, semihostingDir: semihosting?.dir })) fail(`${p}.${f.field}`, f.message);
      }
      if (pname) partIndex.set(pname, i);
      partitions.push({
        name: pname, image: typeof bootImage === "string" ? bootImage : "", firmware, kernel, mode: mode as GuestMode,
        ramBytes: ram ?? 0, priority: typeof priority === "number" ? priority : 0, budget, period, devices,
        bootargs: typeof pd.bootargs === "string" ? pd.bootargs : undefined, initrd, disk, mappings,
        passive: pd.passive === true,
        parallel: pd.parallel === true,
        htif: pd.htif === true,
        fpu: pd.fpu !== false,
        previrt: pd.previrt === true,
        ...(semihosting ? { semihosting } : {}),
        harts: typeof harts === "number" && Number.isInteger(harts) && harts >= 1 && harts <= HARTS_MAX ? harts : 1,
        nodes: typeof pd.nodes === "number" && Number.isInteger(pd.nodes) && pd.nodes >= 1 && pd.nodes <= HARTS_MAX ? pd.nodes : 1,
      });
    });
  }
  if (totalRam > MAX_TOTAL_RAM) {
    fail("partitions", `${totalRam / 1048576} MiB of RAM and shared regions in all: at most ${MAX_TOTAL_RAM / 1048576} MiB`);
  }

  // ── Schedule ──────────────────────────────────────────────────────────────────────────────
  const schedule: SystemConfig["schedule"] = { majorFrame: 0, windows: [] };
  const lookupPartition = (v: unknown, path: string): number | null => {
    const idx = typeof v === "string" ? partIndex.get(v) : undefined;
    if (idx === undefined) {
      fail(path, `${v === undefined ? "missing: name a partition" : `${quote(v)} is not a partition`}; the partitions are ${[...partIndex.keys()].join(", ") || "(none)"}`);
      return null;
    }
    return idx;
  };
  if (doc.schedule === undefined) {
    schedule.majorFrame = 10 * 1000 * 10 * cyclesPerTick;
    schedule.windows.push({ start: 0, length: schedule.majorFrame, partitions: partitions.flatMap((pc, i) => (pc.passive || pc.parallel ? [] : [i])) });
  } else if (!isObj(doc.schedule)) {
    fail("schedule", "must be an object {majorFrame, windows}");
  } else {
    unknownKeys(doc.schedule, "schedule", ["majorFrame", "windows"]);
    const frame = duration(doc.schedule.majorFrame, "schedule.majorFrame");
    if (frame !== null) schedule.majorFrame = frame;
    const windows = doc.schedule.windows;
    if (!Array.isArray(windows) || windows.length === 0) fail("schedule.windows", "must be a non-empty array of windows {start, length, partitions}");
    else if (windows.length > MAX_WINDOWS) fail("schedule.windows", `${windows.length} windows: at most ${MAX_WINDOWS}`);
    else {
      let previousEnd = 0;
      windows.forEach((w, i) => {
        const p = `schedule.windows[${i}]`;
        if (!isObj(w)) return fail(p, "must be an object {start, length, partitions}");
        unknownKeys(w, p, ["start", "length", "partitions"]);
        const start = w.start === undefined ? previousEnd : duration(w.start, `${p}.start`, { zero: true });
        const length = duration(w.length, `${p}.length`);
        if (start === null || length === null) return;
        if (start < previousEnd) {
          fail(`${p}.start`, `starts at ${formatDuration(start, cyclesPerTick)}, before the previous window ends (${formatDuration(previousEnd, cyclesPerTick)}): windows must be in order and must not overlap`);
        }
        if (frame !== null && start + length > frame) {
          fail(`${p}.length`, `the window ends at ${formatDuration(start + length, cyclesPerTick)}, after the major frame (${formatDuration(frame, cyclesPerTick)}): windows must fit in the frame`);
        }
        previousEnd = Math.max(previousEnd, start + length);
        const members: number[] = [];
        if (!Array.isArray(w.partitions) || w.partitions.length === 0) {
          fail(`${p}.partitions`, "must be a non-empty array of partition names");
        } else {
          w.partitions.forEach((name, j) => {
            const idx = lookupPartition(name, `${p}.partitions[${j}]`);
            if (idx !== null && members.includes(idx)) fail(`${p}.partitions[${j}]`, `"${name}" is listed twice`);
            else if (idx !== null) members.push(idx);
          });
        }
        schedule.windows.push({ start, length, partitions: members });
      });
      partitions.forEach((pc, i) => {
        const inWindow = schedule.windows.some((w) => w.partitions.includes(i));
        if (pc.name && !pc.passive && !pc.parallel && !inWindow) {
          fail("schedule.windows", `partition "${pc.name}" is in no window: it would never run`);
        }
        if (pc.parallel && inWindow) {
          const w = schedule.windows.findIndex((x) => x.partitions.includes(i));
          fail(`schedule.windows[${w}].partitions`, `"${pc.name}" runs on threads of its own (parallel): it belongs in no window`);
        }
        if (pc.passive && inWindow) {
          const w = schedule.windows.findIndex((x) => x.partitions.includes(i));
          fail(`schedule.windows[${w}].partitions`, `"${pc.name}" is passive: it runs only on its callers' time and belongs in no window`);
        }
      });
    }
  }

  // ── Channels ──────────────────────────────────────────────────────────────────────────────
  const channels: SystemConfig["channels"] = [];
  if (doc.channels !== undefined) {
    if (!Array.isArray(doc.channels)) fail("channels", "must be an array of channels {name, ends}");
    else if (doc.channels.length > MAX_CHANNELS) fail("channels", `${doc.channels.length} channels: at most ${MAX_CHANNELS}`);
    else {
      const names = new Set<string>();
      const usedIds = new Map<string, string>();
      doc.channels.forEach((c, i) => {
        const p = `channels[${i}]`;
        if (!isObj(c)) return fail(p, "must be an object {name, ends}");
        unknownKeys(c, p, ["name", "ends", "region"]);
        if (typeof c.name !== "string" || !NAME.test(c.name)) fail(`${p}.name`, "must be a name: a letter, then letters, digits, - or _ (at most 32)");
        else if (names.has(c.name)) fail(`${p}.name`, `"${c.name}" names another channel too`);
        else names.add(c.name);
        if (!Array.isArray(c.ends) || c.ends.length !== 2) return fail(`${p}.ends`, "must be an array of exactly two ends {partition, id, pp}");
        const ends: Array<{ partition: number; id: number; pp: boolean }> = [];
        c.ends.forEach((e, j) => {
          const ep = `${p}.ends[${j}]`;
          if (!isObj(e)) return fail(ep, "must be an object {partition, id, pp}");
          unknownKeys(e, ep, ["partition", "id", "pp"]);
          const part = lookupPartition(e.partition, `${ep}.partition`);
          if (typeof e.id !== "number" || !Number.isInteger(e.id) || e.id < 0 || e.id > 62) fail(`${ep}.id`, "must be an integer from 0 to 62 (the channel's number in that partition)");
          if (e.pp !== undefined && typeof e.pp !== "boolean") fail(`${ep}.pp`, "must be true or false");
          if (part === null || typeof e.id !== "number") return;
          const key = `${part}:${e.id}`;
          if (usedIds.has(key)) fail(`${ep}.id`, `partition "${e.partition}" already uses channel id ${e.id} (${usedIds.get(key)})`);
          usedIds.set(key, p);
          ends.push({ partition: part, id: e.id, pp: e.pp === true });
        });
        let region: number | undefined;
        if (c.region !== undefined) {
          region = typeof c.region === "string" ? regionIndex.get(c.region) : undefined;
          if (region === undefined) {
            fail(`${p}.region`, `${quote(c.region)} is not a memory region; ${regions.length ? `the regions are ${listNames(regions.map((r) => r.name))}` : "declare it under memoryRegions"}`);
          } else {
            for (const e of ends) {
              if (partitions[e.partition] && !partitions[e.partition].mappings.some((m) => m.region === region)) {
                fail(`${p}.region`, `"${regions[region].name}" goes with this channel, so "${partitions[e.partition].name}" must map it (add it to its mappings)`);
              }
            }
          }
        }
        if (ends.length === 2) {
          if (ends[0].partition === ends[1].partition) fail(`${p}.ends`, "a channel connects two different partitions");
          if (ends[0].pp && ends[1].pp) fail(`${p}.ends`, "only one end can accept protected procedure calls (pp)");
          for (const [k, e] of ends.entries()) {
            const other = ends[1 - k];
            if (e.pp && partitions[e.partition] && partitions[other.partition] &&
              partitions[e.partition].priority <= partitions[other.partition].priority) {
              fail(`${p}.ends[${k}].pp`, `"${partitions[e.partition].name}" (priority ${partitions[e.partition].priority}) must have a higher priority than its caller "${partitions[other.partition].name}" (priority ${partitions[other.partition].priority}) to accept protected procedure calls`);
            }
          }
        }
        channels.push({ name: typeof c.name === "string" ? c.name : "", ends, ...(region !== undefined ? { region } : {}) });
      });
    }
  }

  // A partition on threads has no channels (protected calls and notifications are the kernel's,
  // on the home thread).
  partitions.forEach((pc, i) => {
    if (pc.parallel && channels.some((c) => c.ends.some((e) => e.partition === i))) {
      fail(`partitions[${i}].parallel`, `"${pc.name}" runs on threads of its own and cannot be an end of a channel`);
    }
  });
  // A passive partition runs only when called: it must accept protected calls somewhere.
  partitions.forEach((pc, i) => {
    if (pc.passive && !channels.some((c) => c.ends.some((e) => e.partition === i && e.pp))) {
      fail(`partitions[${i}].passive`, `"${pc.name}" is passive but accepts no protected calls (no channel end with "pp": true): it would never run`);
    }
  });
  // The core's memory map holds MAX_MEMORY_WINDOWS windows per partition.
  partitions.forEach((pc, i) => {
    const doorbells = channels.some((c) => c.ends.some((e) => e.partition === i)) ? 1 : 0;
    const fixed = RAM_WINDOWS + BOARD_OWN_WINDOWS + (pc.firmware ? 1 : 0) + pc.devices.length + doorbells;
    if (fixed + pc.mappings.length > MAX_MEMORY_WINDOWS) {
      fail(`partitions[${i}].mappings`, `${pc.mappings.length} mappings are too many: with its RAM (up to ${RAM_WINDOWS} windows), ${pc.devices.length} devices${doorbells ? ", the channel doorbells" : ""}${pc.firmware ? ", the boot ROM" : ""} and the board's own (${BOARD_OWN_WINDOWS}), a partition can map at most ${MAX_MEMORY_WINDOWS - fixed} regions (${MAX_MEMORY_WINDOWS} memory windows in all)`);
    }
  });
  // Channel doorbells live at CHANNEL_BASE in every partition that has channels.
  partitions.forEach((pc, i) => {
    if (!channels.some((c) => c.ends.some((e) => e.partition === i))) return;
    pc.mappings.forEach((m, j) => {
      const size = regions[m.region].size;
      if (m.address < CHANNEL_BASE + CHANNEL_WINDOW && CHANNEL_BASE < m.address + size) {
        fail(`partitions[${i}].mappings[${j}].address`, `region "${regions[m.region].name}" overlaps the channel doorbells (0x${CHANNEL_BASE.toString(16)}-0x${(CHANNEL_BASE + CHANNEL_WINDOW - 1).toString(16)})`);
      }
    });
  });

  if (quantum === null || rtcEpoch === null || problems.length > 0) throw new ConfigError(file, problems);
  return { name, cyclesPerTick, quantum, rtcEpoch, partitions, schedule, regions, channels };
}

/**
 * The system description (JSON) that validateSystem turns into `config` again: what a snapshot
 * carries, so the one validator judges a restored system as it judged the original. Durations
 * are written in cycles and sizes in bytes, so nothing is rounded on the way back.
 */
export function describeSystem(config: SystemConfig): Record<string, unknown> {
  const cycles = (n: number) => `${n}cycles`;
  const regionName = (r: number) => config.regions[r].name;
  return {
    name: config.name,
    cyclesPerTick: config.cyclesPerTick,
    quantum: cycles(config.quantum),
    rtcEpoch: config.rtcEpoch,
    memoryRegions: config.regions.map((r) => ({ name: r.name, size: r.size })),
    partitions: config.partitions.map((p) => ({
      name: p.name, ...(p.firmware ? { firmware: p.image, kernel: p.kernel } : { image: p.image }),
      mode: p.mode, ram: p.ramBytes, ...(p.parallel ? {} : { priority: p.priority }), // (a partition on threads has none)
      ...(p.period > 0 ? { budget: cycles(p.budget), period: cycles(p.period) } : {}),
      devices: [...p.devices],
      ...(p.bootargs !== undefined ? { bootargs: p.bootargs } : {}),
      ...(p.initrd !== undefined ? { initrd: p.initrd } : {}),
      ...(p.disk ? { disk: { file: p.disk.file, readOnly: p.disk.readOnly, mode: p.disk.mode, buffer: p.disk.bufferBytes } } : {}),
      mappings: p.mappings.map((m) => ({
        region: regionName(m.region), address: m.address,
        perms: `${m.read ? "r" : ""}${m.write ? "w" : ""}${m.exec ? "x" : ""}`,
      })),
      passive: p.passive,
      htif: p.htif,
      fpu: p.fpu,
      ...(p.previrt ? { previrt: true } : {}),
      ...(p.semihosting ? { semihosting: { ...p.semihosting } } : {}),
      ...(p.harts > 1 ? { harts: p.harts } : {}),
      ...(p.nodes > 1 ? { nodes: p.nodes } : {}),
      ...(p.parallel ? { parallel: true } : {}),
    })),
    schedule: {
      majorFrame: cycles(config.schedule.majorFrame),
      windows: config.schedule.windows.map((w) => ({
        start: cycles(w.start), length: cycles(w.length), partitions: w.partitions.map((i) => config.partitions[i].name),
      })),
    },
    channels: config.channels.map((c) => ({
      name: c.name,
      ends: c.ends.map((e) => ({ partition: config.partitions[e.partition].name, id: e.id, pp: e.pp })),
      ...(c.region !== undefined ? { region: regionName(c.region) } : {}),
    })),
  };
}
