// Mutators for the fuzzer: raw bytes, ELF headers (structure-aware: every field of the ELF
// header, the program headers, the section headers and the symbol table), the RISC-V Linux
// Image header and its PE/COFF section table, cpio archives, and JSON documents. Every choice
// comes from the case's seeded PRNG, so a seed names a case exactly.

import { EHDR, PHDR, SHDR } from "../elf-writer.ts";

/** The case's random source: a PRNG (test/support/random-program.ts) and helpers on it. */
export class Rand {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  u32(): number {
    return (this.int(0x10000) | (this.int(0x10000) << 16)) >>> 0;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

const u16 = (b: Uint8Array, off: number) => (off + 2 <= b.length ? b[off] | (b[off + 1] << 8) : 0);
const u32 = (b: Uint8Array, off: number) => (off + 4 <= b.length ? (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0 : 0);
function put(b: Uint8Array, off: number, value: number, size: 1 | 2 | 4 | 8): void {
  for (let i = 0; i < size; i++) {
    if (off + i >= 0 && off + i < b.length) b[off + i] = i < 4 ? (value >>> (8 * i)) & 0xff : i === 4 ? Math.floor(value / 2 ** 32) & 0xff : 0;
  }
}

/** Values that tend to break parsers: zero, one, sign and size boundaries, the file's size. */
export function interesting(r: Rand, size: number, fileLength: number): number {
  const max = size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
  const v = r.pick([0, 1, 2, 3, 4, 7, 8, 16, 32, 40, 52, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
    0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff, fileLength, fileLength - 1, fileLength + 1, fileLength >>> 1,
    0x80000000 + r.int(0x200000), 0x80000000 - 4, 0x90000000, r.u32()]);
  return (v >>> 0) % (max + 1);
}

// ── Raw bytes ────────────────────────────────────────────────────────────────────────────────

export function flipBits(r: Rand, b: Uint8Array, count: number, from = 0, to = b.length): Uint8Array {
  const out = b.slice();
  if (to <= from) return out;
  for (let i = 0; i < count; i++) out[from + r.int(to - from)] ^= 1 << r.int(8);
  return out;
}

export function setInteresting(r: Rand, b: Uint8Array, from = 0, to = b.length): Uint8Array {
  const out = b.slice();
  if (to <= from) return out;
  const size = r.pick([1, 2, 4] as const);
  put(out, from + r.int(to - from), interesting(r, size, b.length), size);
  return out;
}

export function truncate(r: Rand, b: Uint8Array, boundaries: number[] = []): Uint8Array {
  const at = boundaries.length && r.chance(0.5) ? r.pick(boundaries) + r.range(-2, 2) : r.int(b.length + 1);
  return b.slice(0, Math.max(0, Math.min(b.length, at)));
}

export function extend(r: Rand, b: Uint8Array): Uint8Array {
  const extra = r.chance(0.5) ? r.bytes(r.int(4096)) : new Uint8Array(r.int(65536));
  const out = new Uint8Array(b.length + extra.length);
  out.set(b);
  out.set(extra, b.length);
  return out;
}

/** A few generic mutations of a byte string. */
export function mutateBytes(r: Rand, b: Uint8Array, boundaries: number[] = []): Uint8Array {
  let out = b;
  for (let n = r.range(1, 3); n > 0; n--) {
    const k = r.int(4);
    out = k === 0 ? flipBits(r, out, r.range(1, 16)) : k === 1 ? setInteresting(r, out) : k === 2 ? truncate(r, out, boundaries) : extend(r, out);
  }
  return out;
}

// ── ELF ──────────────────────────────────────────────────────────────────────────────────────

const EHDR_FIELDS: Array<[number, 1 | 2 | 4]> = [
  [4, 1], [5, 1], [6, 1], [16, 2], [18, 2], [20, 4], [EHDR.entry, 4], [EHDR.phoff, 4], [EHDR.shoff, 4],
  [40, 2], [EHDR.phentsize, 2], [EHDR.phnum, 2], [EHDR.shentsize, 2], [EHDR.shnum, 2], [EHDR.shstrndx, 2],
];
const PHDR_FIELDS = [PHDR.type, PHDR.offset, PHDR.vaddr, PHDR.paddr, PHDR.filesz, PHDR.memsz, PHDR.flags];
const SHDR_FIELDS = [SHDR.type, SHDR.offset, SHDR.size, SHDR.link, SHDR.entsize, SHDR.name, SHDR.info];

/** Byte offsets where an ELF's structures begin and end (for truncations that matter). */
export function elfBoundaries(b: Uint8Array): number[] {
  const phoff = u32(b, EHDR.phoff);
  const shoff = u32(b, EHDR.shoff);
  const out = [16, 52, phoff, phoff + u16(b, EHDR.phnum) * 32, shoff, shoff + u16(b, EHDR.shnum) * 40];
  for (let i = 0; i < Math.min(u16(b, EHDR.phnum), 16); i++) {
    const ph = phoff + i * 32;
    out.push(u32(b, ph + PHDR.offset), u32(b, ph + PHDR.offset) + u32(b, ph + PHDR.filesz));
  }
  return out.filter((x) => x <= b.length);
}

/** One structure-aware mutation of an ELF file. */
export function mutateElf(r: Rand, b: Uint8Array): { bytes: Uint8Array; what: string } {
  const out = b.slice();
  const phoff = u32(b, EHDR.phoff);
  const phnum = u16(b, EHDR.phnum);
  const shoff = u32(b, EHDR.shoff);
  const shnum = u16(b, EHDR.shnum);
  switch (r.int(10)) {
    case 0: {
      const [off, size] = r.pick(EHDR_FIELDS);
      const v = interesting(r, size, b.length);
      put(out, off, v, size);
      return { bytes: out, what: `ELF header byte ${off} = 0x${v.toString(16)}` };
    }
    case 1:
    case 2: {
      if (phnum === 0) break;
      const i = r.int(phnum);
      const f = r.pick(PHDR_FIELDS);
      const v = interesting(r, 4, b.length);
      put(out, phoff + i * 32 + f, v, 4);
      return { bytes: out, what: `program header ${i} +${f} = 0x${v.toString(16)}` };
    }
    case 3: {
      if (shnum === 0) break;
      const i = r.int(shnum);
      const f = r.pick(SHDR_FIELDS);
      const v = interesting(r, 4, b.length);
      put(out, shoff + i * 40 + f, v, 4);
      return { bytes: out, what: `section header ${i} +${f} = 0x${v.toString(16)}` };
    }
    case 4: {
      // Segments that overlap, or many copies of one program header.
      if (phnum === 0 || phoff + 32 > b.length) break;
      const copies = r.pick([2, 3, 100, 5000]);
      const grown = new Uint8Array(b.length + copies * 32);
      grown.set(b);
      const first = b.slice(phoff, phoff + 32);
      for (let k = 0; k < copies; k++) grown.set(first, b.length + k * 32);
      put(grown, EHDR.phoff, b.length, 4);
      put(grown, EHDR.phnum, Math.min(0xffff, copies), 2);
      return { bytes: grown, what: `${copies} copies of program header 0 (overlapping segments)` };
    }
    case 5:
      return { bytes: craftSymbols(r, b), what: "crafted symbol table" };
    case 6:
      return { bytes: truncate(r, b, elfBoundaries(b)), what: "truncated" };
    case 7: {
      // Damage the code of the first segment: the guest runs into illegal instructions.
      if (phnum === 0) break;
      const off = u32(b, phoff + PHDR.offset);
      const size = u32(b, phoff + PHDR.filesz);
      return { bytes: flipBits(r, b, r.range(1, 64), off, Math.min(b.length, off + size)), what: "flipped bits in segment 0" };
    }
    default:
      break;
  }
  return { bytes: mutateBytes(r, b, elfBoundaries(b)), what: "random byte mutations" };
}

/**
 * Append a symbol table built to make a careless loader slow or wrong: long names that share
 * their bytes (a quadratic name scan), several symbol tables, odd entry sizes, names running to
 * the end of the string table, and tohost/fromhost at odd addresses.
 */
export function craftSymbols(r: Rand, b: Uint8Array): Uint8Array {
  const strLen = r.pick([1, 16, 4096, 65536, 262144]);
  const nsyms = r.pick([1, 2, 100, 4096, 16384]);
  const tables = r.pick([1, 1, 2, 50, 2000]);
  const entsize = r.pick([16, 16, 16, 0, 1, 8, 24]);
  const strtab = new Uint8Array(strLen).fill(0x41);
  const names = ["tohost\0", "fromhost\0", "tohos", "_start\0"];
  for (let k = 0; k < 4 && strLen > 64; k++) {
    const at = 1 + r.int(strLen - 16);
    strtab.set(new TextEncoder().encode(r.pick(names)), at);
  }
  if (r.chance(0.5) && strLen > 0) strtab[strLen - 1] = 0;
  const strOff = b.length;
  const symOff = strOff + strLen;
  const symBytes = nsyms * 16;
  const shOff = symOff + symBytes;
  const shnum = 2 + tables;
  const out = new Uint8Array(shOff + shnum * 40);
  out.set(b);
  out.set(strtab, strOff);
  for (let i = 0; i < nsyms; i++) {
    const s = symOff + i * 16;
    put(out, s, r.chance(0.9) ? 1 + (i % Math.max(1, strLen - 1)) : r.u32(), 4);
    put(out, s + 4, r.pick([0x80000000, 0x80001000, 0x80000004, 0x7ffffff8, 0xfffffff8, 0x80000000 + 8 * r.int(0x40000), r.u32()]), 4);
  }
  put(out, EHDR.shoff, shOff, 4);
  put(out, EHDR.shentsize, 40, 2);
  put(out, EHDR.shnum, shnum, 2);
  put(out, EHDR.shstrndx, 0, 2);
  put(out, shOff + 40 + SHDR.type, 3, 4); // section 1: the string table
  put(out, shOff + 40 + SHDR.offset, strOff, 4);
  put(out, shOff + 40 + SHDR.size, strLen, 4);
  for (let k = 0; k < tables; k++) {
    const sh = shOff + (2 + k) * 40;
    put(out, sh + SHDR.type, 2, 4);
    put(out, sh + SHDR.offset, symOff, 4);
    put(out, sh + SHDR.size, symBytes, 4);
    put(out, sh + SHDR.link, r.chance(0.95) ? 1 : r.pick([0, 2, shnum, 0xffff]), 4);
    put(out, sh + SHDR.entsize, entsize, 4);
  }
  return out;
}

// ── Linux Image ──────────────────────────────────────────────────────────────────────────────

/** One structure-aware mutation of a RISC-V Linux Image (header, PE/COFF table, code). */
export function mutateLinuxImage(r: Rand, b: Uint8Array): { bytes: Uint8Array; what: string } {
  const out = b.slice();
  const pe = u32(b, 0x3c);
  switch (r.int(8)) {
    case 0: {
      // text_offset, image_size, flags (u64), version, res3 (PE offset)
      const [off, size] = r.pick([[0x08, 8], [0x10, 8], [0x18, 8], [0x20, 4], [0x3c, 4], [0x38, 4], [0x30, 8]] as Array<[number, 4 | 8]>);
      const v = r.pick([0, 1, 0x200000, 0x400000, 0x800000, 0x3fc00000, 0x40000000, b.length, b.length - 1, b.length + 4096,
        0x7fffffff, 0xffffffff, r.u32()]);
      put(out, off, v, size);
      if (size === 8 && r.chance(0.3)) put(out, off + 4, r.pick([1, 0xffffffff, 0x200000]), 4);
      return { bytes: out, what: `Image header +0x${off.toString(16)} = 0x${v.toString(16)}` };
    }
    case 1: {
      if (pe === 0 || pe + 24 > b.length) break;
      const field = r.pick([6, 20, 24 + u16(b, pe + 20) + 16, 24 + u16(b, pe + 20) + 20, 24 + u16(b, pe + 20) + 40 + 16]);
      const v = interesting(r, field === 6 || field === 20 ? 2 : 4, b.length);
      put(out, pe + field, v, field === 6 || field === 20 ? 2 : 4);
      return { bytes: out, what: `PE/COFF header +${field} = 0x${v.toString(16)}` };
    }
    case 2:
      return { bytes: truncate(r, b, [64, pe, pe + 24, b.length >>> 1, b.length - 4096]), what: "truncated" };
    case 3:
      return { bytes: flipBits(r, b, r.range(1, 32), 0, Math.min(b.length, 0x10000)), what: "flipped bits in the first 64 KiB (boot code)" };
    case 4:
      return { bytes: flipBits(r, b, r.range(1, 256)), what: "flipped bits anywhere" };
    case 5:
      return { bytes: setInteresting(r, b, 0, 64), what: "a header word set" };
    default:
      break;
  }
  return { bytes: mutateBytes(r, b, [64, pe]), what: "random byte mutations" };
}

/** A mutated initial RAM disk (a newc cpio archive). */
export function mutateInitrd(r: Rand, b: Uint8Array): { bytes: Uint8Array; what: string } {
  switch (r.int(5)) {
    case 0:
      return { bytes: truncate(r, b, [110, 512, b.length >>> 1]), what: "truncated initrd" };
    case 1:
      return { bytes: flipBits(r, b, r.range(1, 64)), what: "flipped bits in the initrd" };
    case 2:
      return { bytes: new Uint8Array(0), what: "empty initrd" };
    case 3:
      return { bytes: r.bytes(r.pick([1, 100, 4096, 100_000])), what: "random bytes as initrd" };
    default:
      return { bytes: mutateBytes(r, b), what: "random byte mutations of the initrd" };
  }
}

// ── JSON ─────────────────────────────────────────────────────────────────────────────────────

/** Every key the system description knows (a typo or misplaced key is plausible input). */
export const KNOWN_KEYS = ["$schema", "name", "cyclesPerTick", "quantum", "rtcEpoch", "partitions", "schedule", "memoryRegions", "channels",
  "image", "mode", "ram", "priority", "budget", "period", "devices", "bootargs", "initrd", "disk", "mappings", "passive", "htif",
  "file", "readOnly", "buffer", "region", "address", "perms", "majorFrame", "windows", "start", "length", "size", "ends",
  "partition", "id", "pp"];

/** How deeply `v` nests, counted up to `limit`. */
function depthOf(v: unknown, limit: number): number {
  if (limit <= 0 || v === null || typeof v !== "object") return 0;
  let deepest = 0;
  for (const c of Object.values(v as object)) {
    deepest = Math.max(deepest, depthOf(c, limit - 1));
    if (deepest >= limit - 1) break;
  }
  return 1 + deepest;
}

/** A value copied into a document: none that would nest the document past 1500 levels (more
 *  than structuredClone and JSON take), since copies of copies nest deeper each time. */
function copyOf(v: unknown, into: unknown): unknown {
  return depthOf(v, 1500) + depthOf(into, 1500) < 1500 ? structuredClone(v) : null;
}

function deep(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** A JSON value of some surprising kind or size. */
export function junkValue(r: Rand): unknown {
  return r.pick<() => unknown>([
    () => null, () => true, () => false, () => 0, () => -1, () => 1, () => 1.5, () => 255, () => 256, () => 4095, () => 4096,
    () => 2 ** 31, () => 2 ** 32, () => 2 ** 53 + 2, () => 1e300, () => -1e300, () => 5e-324, () => -0,
    () => "", () => " ", () => "x", () => "0", () => "-1", () => "1K", () => "4K", () => "64K", () => "1M", () => "1G", () => "2G",
    () => "1.5M", () => "0K", () => "10ms", () => "0ms", () => "0.0001ns", () => "1e3ms", () => "99999999999999999999G",
    () => "1000000000s", () => "5cycles", () => "2026-01-01T00:00:00Z", () => "2026-02-30T00:00:00Z", () => "2501-01-01T00:00:00Z", () => "0x90000000", () => "0x", () => "0x1", () => "rwx", () => "xr", () => "machine",
    () => "supervisor", () => "rapilog", () => "writethrough", () => "uart", () => "virtio-blk", () => "constructor", () => "__proto__",
    () => "toString", () => "hasOwnProperty", () => "x".repeat(10_000), () => "日本語", () => "a\u0000b", () => [], () => ({}),
    () => [null], () => [[]], () => ({ a: 1 }), () => deep(r.pick([10, 200, 1000])), () => Array.from({ length: 1000 }, (_, i) => i),
    () => Array.from({ length: 300 }, () => "uart"),
  ])();
}

interface Slot {
  get(): unknown;
  set(v: unknown): void;
  remove(): void;
  container: unknown;
}

function slots(doc: unknown): Slot[] {
  const out: Slot[] = [];
  const walk = (v: unknown, depth: number) => {
    if (depth > 12 || v === null || typeof v !== "object") return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        out.push({ get: () => v[i], set: (y) => { v[i] = y; }, remove: () => { v.splice(i, 1); }, container: v });
        walk(x, depth + 1);
      });
    } else {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        out.push({ get: () => o[k], set: (y) => { o[k] = y; }, remove: () => { delete o[k]; }, container: o });
        walk(o[k], depth + 1);
      }
    }
  };
  walk(doc, 0);
  return out;
}

/** Apply `count` mutations to a JSON document (in place); returns what was done. */
export function mutateJson(r: Rand, doc: unknown, count: number): string[] {
  const done: string[] = [];
  for (let n = 0; n < count; n++) {
    const all = slots(doc);
    if (all.length === 0) break;
    const s = r.pick(all);
    const v = s.get();
    const k = r.int(9);
    if (k === 0) {
      s.remove();
      done.push("removed a field");
    } else if (k === 1 || k === 2) {
      s.set(junkValue(r));
      done.push("replaced a value with junk");
    } else if (k === 3 && typeof v === "number") {
      s.set(r.pick([v + 1, v - 1, v * 2, -v, v * 4096, v / 3, 0]));
      done.push("changed a number");
    } else if (k === 3 && typeof v === "string") {
      s.set(r.pick([v + v, v.slice(0, -1), v.toUpperCase(), ` ${v}`, `${v}x`, v.replace(/\d+/, "0"), v.replace(/\d+/, "99999999")]));
      done.push("changed a string");
    } else if (k === 4 && Array.isArray(v) && v.length > 0) {
      const i = r.int(v.length);
      if (r.chance(0.5)) v.push(copyOf(v[i], doc));
      else v.splice(i, 1);
      done.push("duplicated or dropped an array element");
    } else if (k === 5 && v !== null && typeof v === "object" && !Array.isArray(v)) {
      (v as Record<string, unknown>)[r.pick(KNOWN_KEYS)] = r.chance(0.5) ? junkValue(r) : copyOf(r.pick(all).get(), doc);
      done.push("added a known key");
    } else if (k === 6) {
      // A value from elsewhere in the document (plausible type confusion).
      s.set(copyOf(r.pick(all).get(), doc));
      done.push("copied a value from elsewhere");
    } else if (k === 7 && v !== null && typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length) {
        const key = r.pick(keys);
        o[key.slice(0, -1) || "x"] = o[key];
        delete o[key];
        done.push("misspelled a key");
      }
    } else {
      s.set(junkValue(r));
      done.push("replaced a value with junk");
    }
  }
  return done;
}
