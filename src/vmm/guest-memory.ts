// The one gate between the host and a partition's memory.
//
// Every device model, loader and kernel service of the host that reads or writes guest memory
// (virtio DMA, HTIF, the SBI debug console, the image loader, the GDB stub, RapiLog through
// virtio-blk) does it through a GuestMemory: an object that knows the partition's windows of
// guest-physical RAM (its own RAM and the shared regions mapped into it, with their
// permissions) and checks every range as a whole before it touches a byte — zero length and
// wrap-around past 4 GiB included, as Linux's access_ok() does. A range that is not entirely in
// one window (or not allowed) gives null / false, which the caller turns into the error its
// device would report (virtio: DEVICE_NEEDS_RESET, SBI: SBI_ERR_INVALID_PARAM, HTIF: -EFAULT).
//
// Nothing else in the host may look at guest RAM: the other views of the core's linear memory
// (layoutWords) end where guest RAM begins (layout.ts RAM_HOST_BASE), so an index computed from
// a guest address cannot reach it, and test/guest-memory-gate.test.ts fails when a file outside
// this one makes a view of a core's memory by other means.

import { RAM_HOST_BASE, SYS_DIRTY_ON, DIRTY_BASE, DIRTY_PAGES, JIT_AREA_BYTES, SYS_JIT_BASE } from "../../assembly/layout.js";

/** A window of guest-physical RAM: where it is, its host address, what the guest may do. */
export interface MemoryWindow {
  gpa: number;
  size: number;
  host: number;
  read: boolean;
  write: boolean;
  /** Instruction fetch: only the debugger cares (it may read any window). */
  exec?: boolean;
}

/** What an access wants: "read" and "write" obey the window's permissions, "debug" (a
 *  debugger, the loader) may read and write any window, as a JTAG probe or a boot ROM could. */
export type MemoryAccess = "read" | "write" | "debug";

const FOUR_GIB = 2 ** 32;

/**
 * A view of the words of the core's linear memory below guest RAM: the system block, the vCPU
 * blocks, the physical maps, the schedule, the stage-2 tables (assembly/layout.ts). It cannot
 * index guest RAM (such indices read undefined and writes are dropped).
 */
export function layoutWords(memory: ArrayBuffer): Int32Array {
  return new Int32Array(memory, 0, RAM_HOST_BASE >> 2);
}

/**
 * The translator's area (assembly/layout.ts JIT_*), which the host reserves after guest RAM
 * when the translator is on: its directory, code-page bitmap and IR, never guest memory. The
 * translator's back ends read a region's IR through it (docs/jit.md).
 */
export function jitArea(memory: ArrayBuffer, base: number): Int32Array {
  if (base < RAM_HOST_BASE || (base & 4095) !== 0 || base + JIT_AREA_BYTES > memory.byteLength) {
    throw new RangeError(`the translator's area at 0x${base.toString(16)} is not at the end of the core's memory`);
  }
  return new Int32Array(memory, base, JIT_AREA_BYTES >> 2);
}

/**
 * The whole linear memory as bytes, for a snapshot only (src/api/hypervisor.ts snapshot and
 * restore): the machine saved, or written back, as one — every partition's RAM and the layout.
 * Nothing else takes this view: devices, loaders and debuggers go through a GuestMemory.
 */
export function wholeMachine(memory: ArrayBuffer): Uint8Array {
  return new Uint8Array(memory);
}

/**
 * A vNUMA node's view of its core's memory (docs/vnuma.md): the protocol moves whole pages of
 * guest RAM between nodes and keeps the node's rights table (assembly/layout.ts SYS_DSM_BASE),
 * which the host reserves after guest RAM, a byte per page. Pages are host page numbers
 * (host address / 4 KiB): the same on every node, whose memories have one layout. Nothing but
 * the protocol's page store (src/machine/vnuma/rights.ts) takes this view.
 */
export interface NodeMemory {
  /** The rights table's base address (for SYS_DSM_BASE). */
  readonly tableBase: number;
  /** The host page numbers of guest RAM: [first, first + count). */
  readonly firstPage: number;
  readonly pageCount: number;
  /** The rights table, a byte per page of guest RAM (index: pageIndex(page)). */
  readonly rights: Uint8Array;
  /** Page `page`'s index in the rights table; a RangeError for anything but a page of guest
   *  RAM (page numbers come from other nodes' messages too). */
  pageIndex(page: number): number;
  readPage(page: number): Uint8Array;
  writePage(page: number, bytes: Uint8Array): void;
  /** Whether every byte of the page is zero (a fresh node's copy is). */
  zeroPage(page: number): boolean;
  /** The layout (everything below guest RAM: system and vCPU blocks, maps), copied. */
  layout(): Uint8Array;
  setLayout(bytes: Uint8Array): void;
}

/** The rights table's size for `ramBytes` of guest RAM (a byte per page, whole pages). */
export function nodeTableBytes(ramBytes: number): number {
  return Math.ceil(ramBytes / 4096 / 4096) * 4096;
}

export function nodeMemory(memory: ArrayBuffer, ramBytes: number): NodeMemory {
  const tableBase = RAM_HOST_BASE + ramBytes;
  const pageCount = ramBytes / 4096;
  if (!Number.isInteger(pageCount) || tableBase + nodeTableBytes(ramBytes) > memory.byteLength) {
    throw new RangeError(`a vNUMA node's memory needs ${ramBytes} bytes of RAM and its rights table: the core's memory is too small`);
  }
  const bytes = new Uint8Array(memory);
  const words = new Int32Array(memory, 0, Math.floor(memory.byteLength / 4));
  const firstPage = RAM_HOST_BASE / 4096;
  const pageIndex = (page: number): number => {
    if (!Number.isInteger(page) || page < firstPage || page >= firstPage + pageCount) throw new RangeError(`page 0x${page.toString(16)} is not guest RAM`);
    return page - firstPage;
  };
  const at = (page: number): number => (firstPage + pageIndex(page)) * 4096;
  return {
    tableBase, firstPage, pageCount, pageIndex,
    rights: new Uint8Array(memory, tableBase, pageCount),
    readPage: (page) => bytes.slice(at(page), at(page) + 4096),
    writePage: (page, data) => {
      if (data.length !== 4096) throw new RangeError(`a page is 4096 bytes, not ${data.length}`);
      bytes.set(data, at(page));
    },
    zeroPage: (page) => {
      const from = at(page) >> 2;
      for (let i = from; i < from + 1024; i++) if (words[i] !== 0) return false;
      return true;
    },
    layout: () => bytes.slice(0, RAM_HOST_BASE),
    setLayout: (data) => {
      if (data.length !== RAM_HOST_BASE) throw new RangeError(`the layout is ${RAM_HOST_BASE} bytes, not ${data.length}`);
      bytes.set(data, 0);
    },
  };
}

export class GuestMemory {
  readonly #bytes: Uint8Array;
  /** (null for a memory without the core's layout: a device tested on its own) */
  readonly #layout: Int32Array | null;
  #windows: MemoryWindow[] = [];
  readonly #codeWritten: ((host: number, length: number) => void) | null;

  /**
   * `memory` is the core's linear memory; the windows are set by the partition's board.
   * `codeWritten` is the core's jitWrote (src/core/core.ts): called for every range the host
   * writes while the translator is on, so translated code never outlives the bytes it came from.
   */
  constructor(memory: ArrayBuffer, windows: readonly MemoryWindow[] = [], codeWritten?: (host: number, length: number) => void) {
    this.#bytes = new Uint8Array(memory);
    this.#layout = memory.byteLength >= RAM_HOST_BASE ? layoutWords(memory) : null;
    this.#codeWritten = codeWritten ?? null;
    this.setWindows(windows);
  }

  /**
   * The host writes [host, host + length) (or may, through a view it was given): every write
   * into guest memory passes here, so this is where the core hears of them.
   * - Live migration: the pages are marked in the core's dirty-page bitmap while it tracks them
   *   (layout.ts DIRTY_BASE; the core marks the guest's own stores).
   * - The translator (docs/jit.md): translations of code in those pages are dropped before the
   *   bytes change (a view is written right after view() returns it, before the guest runs).
   */
  #wrote(host: number, length: number): void {
    if (!this.#layout || length <= 0) return;
    if (this.#codeWritten && this.#layout[SYS_JIT_BASE >> 2] !== 0) this.#codeWritten(host, length);
    if (this.#layout[SYS_DIRTY_ON >> 2] === 0) return;
    for (let page = (host - RAM_HOST_BASE) >>> 12, last = (host + length - 1 - RAM_HOST_BASE) >>> 12; page <= last && page < DIRTY_PAGES; page++) {
      this.#layout[(DIRTY_BASE >> 2) + (page >>> 5)] |= 1 << (page & 31);
    }
  }

  /**
   * The partition's RAM windows (the board calls this whenever it writes the physical map).
   * Adjacent windows that continue each other in guest-physical and host memory with the same
   * permissions merge (RAM split around the HTIF page is one window again). Every window must
   * lie in guest RAM of the linear memory.
   */
  setWindows(windows: readonly MemoryWindow[]): void {
    const sorted = [...windows].sort((a, b) => a.gpa - b.gpa);
    const merged: MemoryWindow[] = [];
    for (const w of sorted) {
      if (!Number.isInteger(w.gpa) || !Number.isInteger(w.size) || !Number.isInteger(w.host) || w.size <= 0 ||
        w.gpa < 0 || w.gpa + w.size > FOUR_GIB || w.host < RAM_HOST_BASE || w.host + w.size > this.#bytes.length) {
        throw new RangeError(`guest memory window 0x${w.gpa.toString(16)}+0x${w.size.toString(16)} at host 0x${w.host.toString(16)} is not valid`);
      }
      const last = merged[merged.length - 1];
      if (last && last.gpa + last.size === w.gpa && last.host + last.size === w.host && last.read === w.read &&
        last.write === w.write && !!last.exec === !!w.exec) {
        merged[merged.length - 1] = { ...last, size: last.size + w.size };
      } else {
        merged.push({ ...w });
      }
    }
    this.#windows = merged;
  }

  /**
   * Host address of guest-physical [gpa, gpa + length) if the whole range lies in one window
   * that allows `access`, else -1. A zero-length range must start inside a window too (it is
   * checked as one byte), so a device never accepts an address outside RAM, whatever the length.
   */
  #check(gpa: number, length: number, access: MemoryAccess): number {
    if (!Number.isSafeInteger(gpa) || !Number.isSafeInteger(length) || gpa < 0 || length < 0) return -1;
    const end = gpa + Math.max(length, 1);
    if (end > FOUR_GIB) return -1; // wraps past the top of the physical address space
    for (const w of this.#windows) {
      if (gpa < w.gpa || end > w.gpa + w.size) continue;
      if ((access === "read" && !w.read) || (access === "write" && !w.write)) return -1;
      return w.host + (gpa - w.gpa);
    }
    return -1;
  }

  /** Is the whole range in memory the access may reach? */
  contains(gpa: number, length: number, access: MemoryAccess = "read"): boolean {
    return this.#check(gpa, length, access) >= 0;
  }

  /**
   * A live view of [gpa, gpa + length) for direct memory access (valid until the partition's
   * memory map changes), or null if any byte is out of reach.
   */
  view(gpa: number, length: number, access: MemoryAccess): Uint8Array | null {
    const host = this.#check(gpa, length, access);
    if (host < 0) return null;
    if (access !== "read") this.#wrote(host, length); // (the caller may write through it)
    return this.#bytes.subarray(host, host + length);
  }

  /** A copy of [gpa, gpa + length), or null if any byte is out of reach. */
  read(gpa: number, length: number, access: MemoryAccess = "read"): Uint8Array | null {
    const host = this.#check(gpa, length, access);
    return host < 0 ? null : this.#bytes.slice(host, host + length);
  }

  /** Write `data` at gpa, all or nothing: false (and nothing written) if any byte is out of reach. */
  write(gpa: number, data: Uint8Array, access: MemoryAccess = "write"): boolean {
    const host = this.#check(gpa, data.length, access);
    if (host < 0) return false;
    this.#bytes.set(data, host);
    this.#wrote(host, data.length);
    return true;
  }

  /** Fill [gpa, gpa + length) with `value`, all or nothing. */
  fill(gpa: number, length: number, value: number, access: MemoryAccess = "write"): boolean {
    const host = this.#check(gpa, length, access);
    if (host < 0) return false;
    this.#bytes.fill(value, host, host + length);
    this.#wrote(host, length);
    return true;
  }

  /** The little-endian 32-bit word at gpa (any alignment), or null if out of reach. */
  readU32(gpa: number, access: MemoryAccess = "read"): number | null {
    const host = this.#check(gpa, 4, access);
    if (host < 0) return null;
    const b = this.#bytes;
    return (b[host] | (b[host + 1] << 8) | (b[host + 2] << 16) | (b[host + 3] << 24)) >>> 0;
  }

  /** Write the little-endian 32-bit word at gpa; false if out of reach. */
  writeU32(gpa: number, value: number, access: MemoryAccess = "write"): boolean {
    const host = this.#check(gpa, 4, access);
    if (host < 0) return false;
    const b = this.#bytes;
    b[host] = value & 0xff;
    b[host + 1] = (value >>> 8) & 0xff;
    b[host + 2] = (value >>> 16) & 0xff;
    b[host + 3] = (value >>> 24) & 0xff;
    this.#wrote(host, 4);
    return true;
  }
}
