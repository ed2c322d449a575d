// The snapshot file: one self-describing, versioned file for a whole running system.
//
//   offset 0   "WVSNAP\r\n"          magic (the CR LF catches a text-mode copy)
//          8   u32 version            SNAPSHOT_VERSION (2); version 1 is still read; another
//                                     version is refused, never guessed
//         12   u32 H                  length of the header (at most 64 KiB)
//         16   header                 UTF-8 JSON: SnapshotInfo (what it is, readable without
//                                     decompressing) + payloadBytes, compressedBytes (every byte
//                                     after the header), chunks (version 2)
//     16 + H   version 2: the chunk table, chunks × (u32 compressed bytes, u32 payload bytes),
//              then the chunks, each a gzip stream of its own; the payload is the chunks'
//              contents one after the other.
//              version 1: the payload as one gzip stream.
//
// The payload (uncompressed; each gzip stream's CRC-32 and length check it, so corruption
// anywhere is caught before anything is used):
//
//   u32 S, S bytes of UTF-8 JSON      the host-side state (system description, devices, …)
//   u32 B, then B blobs               blob 0: the core's linear memory; then each embedded disk
//   blob: u32 total bytes, u32 n, n × u32 page numbers (ascending), n × 4 KiB pages
//                                     only the pages that are not all zero; the last page of a
//                                     blob whose size is not a multiple of 4 KiB is cut short
//
// Chunks (version 2): the state and each blob's page list are chunks of their own; a blob's
// pages are cut into chunks by REGION (64 pages, 256 KiB of the blob), so that
//  - the chunks are compressed (and, on restore, inflated) concurrently: in Node on libuv's
//    thread pool, in browsers as concurrent CompressionStreams;
//  - a region whose pages are the same as at this Hypervisor's previous snapshot is not
//    compressed again (SnapshotCache: the earlier chunk is reused after a byte comparison, so
//    a reused chunk is exactly what compressing would give).
// Cutting the deflate stream at 256 KiB costs about 0.3 % of the size (its window is 32 KiB).
//
// Compression: gzip, from the platform, no dependency: node:zlib at level 1 (with
// maxOutputLength, so a crafted file cannot inflate without bound), or CompressionStream /
// DecompressionStream in browsers (read chunk by chunk, stopping as soon as the output exceeds
// the size the chunk table declares). The zero-page elision does most of the work (a booted
// Linux leaves most of its RAM zero), so a fast low level loses little: the default system at
// its prompt is about 1.2 MB. docs/snapshots.md has the measurements behind these choices.

import { SnapshotError } from "./state.js";
import { concatBytes } from "../devices/byte-queue.js";

export const SNAPSHOT_MAGIC = "WVSNAP\r\n";
export const SNAPSHOT_VERSION = 2;
/** The versions this build reads (1: one gzip stream; 2: chunks). */
const READ_VERSIONS = [1, 2];
const PAGE = 4096;
/** Pages to a chunk of a blob's pages (and to a cached region). */
const REGION_PAGES = 64;
const MAX_HEADER = 64 * 1024;
/** The most a payload may inflate to: the core's memory limit plus embedded disks. */
export const MAX_PAYLOAD_BYTES = 2 ** 32;
const MAX_STATE_JSON = 512 * 1024 * 1024;
const MAX_BLOBS = 1 + 64;
/** The most chunks a file may have: every region of the largest payload, and the lists. */
const MAX_CHUNKS = MAX_PAYLOAD_BYTES / (REGION_PAGES * PAGE) + 2 * MAX_BLOBS + 2;

/** What the header says about a snapshot (readable without loading it). */
export interface SnapshotInfo {
  /** "wasmvisor snapshot". */
  format: string;
  /** The system description's name and its partitions. */
  system: string;
  partitions: string[];
  /** Virtual time (cycles) and instructions run when it was taken. */
  clock: number;
  instructions: number;
  /** The core that took it (either core restores it). */
  core: string;
  paging: string;
  /** ISO time of day it was taken (information only). */
  created: string;
}

export interface SnapshotContents {
  info: SnapshotInfo;
  /** The host-side state (StateReader reads it). */
  state: unknown;
  /** Blob 0 is the core's memory; then the embedded disks, in the order the state lists them. */
  blobs: Uint8Array[];
  /** Blob 0 as its pages (decodeSnapshot: blobs[0] is then empty): written into a core's zeroed
   *  memory directly, without a second copy of the whole memory. */
  memory?: { total: number; writeInto(target: Uint8Array): void };
  /** The file's region chunks (version 2), for the restored system's SnapshotCache. */
  regions?: SnapshotRegion[];
}

/** Node's Buffer when the host is Node: its compare is a native memcmp, so the zero-page scan
 *  and the cache's comparison run at memory speed (about 10x the word loop below, on either
 *  core: both keep their memory in an ArrayBuffer). */
function nodeBuffer(): { compare(a: Uint8Array, b: Uint8Array): number } | undefined {
  return (globalThis as { Buffer?: { compare(a: Uint8Array, b: Uint8Array): number } }).Buffer;
}
const ZERO_REGION = new Uint8Array(REGION_PAGES * PAGE);

/** `a` and `b` (same length) hold the same bytes. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  const node = nodeBuffer();
  if (node) return node.compare(a, b) === 0;
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 && a.length % 4 === 0) {
    const x = new Int32Array(a.buffer, a.byteOffset, a.length >> 2);
    const y = new Int32Array(b.buffer, b.byteOffset, b.length >> 2);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `bytes` are all zero. */
function allZero(bytes: Uint8Array): boolean {
  if (nodeBuffer()) {
    for (let at = 0; at < bytes.length; at += ZERO_REGION.length) {
      const part = bytes.subarray(at, Math.min(bytes.length, at + ZERO_REGION.length));
      if (!sameBytes(part, ZERO_REGION.subarray(0, part.length))) return false;
    }
    return true;
  }
  const whole = bytes.byteOffset % 4 === 0 ? bytes.length >> 2 : 0;
  const w = whole > 0 ? new Int32Array(bytes.buffer, bytes.byteOffset, whole) : new Int32Array(0);
  // (sixteen words to an OR, a branch per 64 bytes)
  let i = 0;
  for (; i + 16 <= whole; i += 16) {
    if ((w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7] |
      w[i + 8] | w[i + 9] | w[i + 10] | w[i + 11] | w[i + 12] | w[i + 13] | w[i + 14] | w[i + 15]) !== 0) return false;
  }
  for (let b = i * 4; b < bytes.length; b++) if (bytes[b] !== 0) return false;
  return true;
}

/** The 4 KiB pages of `bytes` from page `from` to page `to` (exclusive; default: all, the last
 *  one possibly short) that are not all zero. */
export function nonZeroPages(bytes: Uint8Array, from = 0, to = Math.ceil(bytes.length / PAGE)): number[] {
  const pages: number[] = [];
  for (let p = from; p < to; p++) {
    // (a whole region of zeros is passed over in one comparison: most of a booted system's RAM)
    if (p % REGION_PAGES === 0 && p + REGION_PAGES <= to && allZero(bytes.subarray(p * PAGE, (p + REGION_PAGES) * PAGE))) {
      p += REGION_PAGES - 1;
      continue;
    }
    if (!allZero(bytes.subarray(p * PAGE, Math.min(bytes.length, (p + 1) * PAGE)))) pages.push(p);
  }
  return pages;
}

/** node:zlib when the host is Node (found by a dynamic import bundlers do not follow). */
interface ZlibOptions { level?: number; memLevel?: number; maxOutputLength?: number; chunkSize?: number }
type ZlibCallback = (err: Error | null, out: Uint8Array) => void;
interface Zlib {
  gzip(data: Uint8Array, options: ZlibOptions, done: ZlibCallback): void;
  gunzip(data: Uint8Array, options: ZlibOptions, done: ZlibCallback): void;
}
let zlib: Zlib | null | undefined;
let zlibLoading: Promise<Zlib | null> | null = null;
function nodeZlib(): Promise<Zlib | null> | Zlib | null {
  if (zlib !== undefined) return zlib;
  zlibLoading ??= (async () => {
    const process = (globalThis as { process?: { versions?: { node?: string } } }).process;
    if (!process?.versions?.node) return null;
    const name = "node:zlib";
    return (await import(/* @vite-ignore */ name)) as Zlib;
  })().catch(() => null).then((z) => (zlib = z));
  return zlibLoading;
}

/** node:zlib's output buffer for `bytes` of data: the thread pool is called once per buffer
 *  filled (its default, 16 KiB, makes a 256 KiB chunk a dozen round trips). */
function zlibChunk(bytes: number): number {
  return Math.min(4 * 1024 * 1024, Math.max(64 * 1024, bytes + 1024));
}

/** gzip at level 1: on libuv's thread pool in Node (chunks go concurrently), else a stream.
 *  memLevel 9 (a 256 KiB hash table instead of 128 KiB): 12-20 % less CPU for the default
 *  system's regions, 0.1 % larger (docs/snapshots.md). */
async function gzip(data: Uint8Array): Promise<Uint8Array> {
  const z = await nodeZlib();
  if (z) return new Promise((resolve, reject) => z.gzip(data, { level: 1, memLevel: 9, chunkSize: zlibChunk(data.length) }, (err, out) => (err ? reject(err) : resolve(out))));
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Inflate, refusing to produce more than `limit` bytes. */
async function gunzip(data: Uint8Array, limit: number): Promise<Uint8Array> {
  const z = await nodeZlib();
  if (z) {
    try {
      return await new Promise<Uint8Array>((resolve, reject) =>
        z.gunzip(data, { maxOutputLength: Math.max(1, limit), chunkSize: zlibChunk(limit) }, (err, out) => (err ? reject(err) : resolve(out))));
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "ERR_BUFFER_TOO_LARGE") throw new SnapshotError("snapshot: the payload inflates beyond the size its header declares (corrupted or crafted)");
      throw new SnapshotError(`snapshot: the payload cannot be decompressed (${err instanceof Error ? err.message : String(err)}): the file is truncated or corrupted`);
    }
  }
  const reader = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip")).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > limit) throw new SnapshotError("snapshot: the payload inflates beyond the size its header declares (corrupted or crafted)");
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof SnapshotError) throw err;
    throw new SnapshotError(`snapshot: the payload cannot be decompressed (${err instanceof Error ? err.message : String(err)}): the file is truncated or corrupted`);
  } finally {
    reader.cancel().catch(() => {});
  }
  return concatBytes(chunks);
}

/** A cached region's key: blob and region (a blob has at most 2^32 / 256 KiB regions). */
function regionKey(blob: number, region: number): number {
  return blob * 2 ** 14 + region;
}

/** A region's chunk as a decoded file holds it (SnapshotCache.seed). */
export interface SnapshotRegion {
  key: number;
  pages: number[];
  raw: Uint8Array;
  gz: Uint8Array;
}

/** A chunk of a region's pages: their bytes as the snapshot saw them, and gzipped. */
interface RegionChunk {
  pages: number[];
  raw: Uint8Array;
  gz: Promise<Uint8Array>;
}

/**
 * The compressed regions of a Hypervisor's last snapshot (blob, region → chunk). A region whose
 * non-zero pages are the same pages with the same bytes is not compressed again. It holds a copy
 * of the last snapshot's non-zero pages (and their compressed form): the memory a snapshot
 * takes anyway while it is encoded, kept.
 */
export class SnapshotCache {
  private regions = new Map<number, RegionChunk>();

  /** The chunk for pages `pages` of `bytes` (region `key`), reused or new; copied now. */
  chunk(key: number, bytes: Uint8Array, pages: number[]): RegionChunk {
    const old = this.regions.get(key);
    if (old && old.pages.length === pages.length && old.pages.every((p, i) => p === pages[i])) {
      let same = true;
      let at = 0;
      for (const p of pages) {
        const page = bytes.subarray(p * PAGE, Math.min(bytes.length, (p + 1) * PAGE));
        if (!sameBytes(page, old.raw.subarray(at, at + page.length))) {
          same = false;
          break;
        }
        at += page.length;
      }
      if (same) return old;
    }
    let size = 0;
    for (const p of pages) size += Math.min(PAGE, bytes.length - p * PAGE);
    const raw = new Uint8Array(size);
    let at = 0;
    for (const p of pages) {
      const page = bytes.subarray(p * PAGE, Math.min(bytes.length, (p + 1) * PAGE));
      raw.set(page, at);
      at += page.length;
    }
    const chunk = { pages, raw, gz: gzip(raw) };
    chunk.gz.catch(() => {
      if (this.regions.get(key) === chunk) this.regions.delete(key);
    });
    this.regions.set(key, chunk);
    return chunk;
  }

  /** Start from the regions of a restored file: a snapshot of the restored system compresses
   *  only the regions that differ from the file's (the file's chunk is reused as it is, so the
   *  chunk a snapshot writes is always a valid gzip of the bytes it stands for). */
  seed(regions: SnapshotRegion[]): void {
    for (const r of regions) this.regions.set(r.key, { pages: r.pages, raw: r.raw, gz: Promise.resolve(r.gz) });
  }

  /** Forget the regions not used by the snapshot just taken. */
  keepOnly(keys: Set<number>): void {
    for (const k of this.regions.keys()) if (!keys.has(k)) this.regions.delete(k);
  }
}

/**
 * The first step of a snapshot, synchronous: the state as JSON and the non-zero pages of every
 * blob copied out (or found unchanged in `cache`), so the system may run on while the rest
 * (compression) is awaited.
 */
export function captureSnapshot(info: SnapshotInfo, state: unknown, blobs: Uint8Array[], cache = new SnapshotCache()): () => Promise<Uint8Array> {
  const json = new TextEncoder().encode(JSON.stringify(state));
  /** The payload in chunks: lists (compressed each time) and regions (maybe reused). */
  const parts: Array<Uint8Array | RegionChunk> = [];
  let list = [u32s([json.length]), json, u32s([blobs.length])];
  const used = new Set<number>();
  blobs.forEach((bytes, b) => {
    const pages = nonZeroPages(bytes);
    list.push(u32s([bytes.length, pages.length]), u32s(pages));
    parts.push(concatBytes(list));
    list = [];
    for (let i = 0; i < pages.length; ) {
      const region = Math.floor(pages[i] / REGION_PAGES);
      let j = i;
      while (j < pages.length && Math.floor(pages[j] / REGION_PAGES) === region) j++;
      const key = regionKey(b, region);
      used.add(key);
      parts.push(cache.chunk(key, bytes, pages.slice(i, j)));
      i = j;
    }
  });
  cache.keepOnly(used);
  return async () => {
    const compressed = await Promise.all(parts.map((p) => (p instanceof Uint8Array ? gzip(p) : p.gz)));
    const rawLength = (p: Uint8Array | RegionChunk) => (p instanceof Uint8Array ? p.length : p.raw.length);
    const table = u32s(parts.flatMap((p, i) => [compressed[i].length, rawLength(p)]));
    const payloadBytes = parts.reduce((n, p) => n + rawLength(p), 0);
    const compressedBytes = table.length + compressed.reduce((n, c) => n + c.length, 0);
    const header = new TextEncoder().encode(JSON.stringify({ ...info, payloadBytes, compressedBytes, chunks: parts.length }));
    const file = new Uint8Array(16 + header.length + compressedBytes);
    const fv = new DataView(file.buffer);
    for (let i = 0; i < 8; i++) file[i] = SNAPSHOT_MAGIC.charCodeAt(i);
    fv.setUint32(8, SNAPSHOT_VERSION, true);
    fv.setUint32(12, header.length, true);
    file.set(header, 16);
    let at = 16 + header.length;
    file.set(table, at);
    at += table.length;
    for (const c of compressed) {
      file.set(c, at);
      at += c.length;
    }
    return file;
  };
}

/** Words as little-endian bytes. */
function u32s(words: number[]): Uint8Array {
  const out = new Uint8Array(4 * words.length);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint32(4 * i, w, true));
  return out;
}

/** The header of a snapshot file (cheap: nothing is decompressed). */
export function readSnapshotInfo(file: Uint8Array): SnapshotInfo & { version: number; payloadBytes: number; compressedBytes: number; chunks: number; headerEnd: number } {
  const bad = (what: string): never => {
    throw new SnapshotError(`snapshot: ${what}`);
  };
  if (file.length < 16) bad(`the file is ${file.length} bytes: too short to be a wasmvisor snapshot`);
  for (let i = 0; i < 8; i++) {
    if (file[i] !== SNAPSHOT_MAGIC.charCodeAt(i)) bad("not a wasmvisor snapshot (the file does not start with WVSNAP)");
  }
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const version = view.getUint32(8, true);
  if (!READ_VERSIONS.includes(version)) bad(`format version ${version}; this wasmvisor reads versions ${READ_VERSIONS.join(" and ")} only`);
  const h = view.getUint32(12, true);
  if (h > MAX_HEADER || 16 + h > file.length) bad("the header is cut short or too long (truncated or corrupted file)");
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(file.subarray(16, 16 + h)));
  } catch {
    return bad("the header is not valid JSON (corrupted file)");
  }
  if (typeof header !== "object" || header === null || header.format !== "wasmvisor snapshot") bad("the header does not describe a wasmvisor snapshot");
  const num = (k: string, max: number) => {
    const v = header[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) bad(`the header's ${k} is not valid`);
    return v as number;
  };
  const str = (k: string) => {
    const v = header[k];
    if (typeof v !== "string" || v.length > 4096) bad(`the header's ${k} is not valid`);
    return v as string;
  };
  const partitions = header.partitions;
  if (!Array.isArray(partitions) || partitions.length > 64 || !partitions.every((p) => typeof p === "string" && p.length <= 64)) bad("the header's partitions are not valid");
  const info = {
    format: str("format"), system: str("system"), partitions: partitions as string[],
    clock: num("clock", Number.MAX_SAFE_INTEGER), instructions: num("instructions", Number.MAX_SAFE_INTEGER),
    core: str("core"), paging: str("paging"), created: str("created"),
    version, payloadBytes: num("payloadBytes", MAX_PAYLOAD_BYTES), compressedBytes: num("compressedBytes", MAX_PAYLOAD_BYTES),
    chunks: version === 1 ? 1 : num("chunks", MAX_CHUNKS),
    headerEnd: 16 + h,
  };
  if (16 + h + info.compressedBytes !== file.length) {
    bad(file.length < 16 + h + info.compressedBytes
      ? `the file is ${file.length} bytes but its header says ${16 + h + info.compressedBytes}: it is truncated`
      : `the file has ${file.length - 16 - h - info.compressedBytes} bytes after the snapshot (corrupted, or two files joined)`);
  }
  return info;
}

/** The payload of a file of `version` from what follows its header: version 1 one gzip stream,
 *  version 2 the chunk table and its chunks (inflated concurrently). Nothing is allocated for
 *  the payload before the chunks are inflated: each inflates to at most the size the table
 *  declares, so a crafted file's sizes cannot make the host allocate what its data does not
 *  hold. */
async function inflatePayload(rest: Uint8Array, version: number, chunks: number, payloadBytes: number): Promise<{ payload: Uint8Array; chunks: Array<{ start: number; size: number; gz: Uint8Array }> }> {
  if (version === 1) return { payload: await gunzip(rest, payloadBytes), chunks: [] };
  const bad = (what: string): never => {
    throw new SnapshotError(`snapshot: ${what}`);
  };
  if (chunks < 1 || 8 * chunks > rest.length) bad("the chunk table is cut short (truncated or corrupted file)");
  const table = new DataView(rest.buffer, rest.byteOffset, 8 * chunks);
  let at = 8 * chunks;
  let total = 0;
  const parts: Array<{ data: Uint8Array; size: number }> = [];
  for (let i = 0; i < chunks; i++) {
    const length = table.getUint32(8 * i, true);
    const size = table.getUint32(8 * i + 4, true);
    total += size;
    if (at + length > rest.length || total > payloadBytes) bad("the chunk table does not match the file (truncated or corrupted)");
    parts.push({ data: rest.subarray(at, at + length), size });
    at += length;
  }
  if (at !== rest.length || total !== payloadBytes) bad("the chunk table does not match the file (truncated or corrupted)");
  const inflated = await Promise.all(parts.map((p) => gunzip(p.data, p.size)));
  let start = 0;
  const extents = inflated.map((c, i) => {
    if (c.length !== parts[i].size) bad("a chunk is shorter than the chunk table declares (truncated or corrupted)");
    start += c.length;
    return { start: start - c.length, size: c.length, gz: parts[i].data };
  });
  return { payload: concatBytes(inflated), chunks: extents };
}

/** Read a snapshot file: header, integrity, payload. Throws SnapshotError on any problem. */
export async function decodeSnapshot(file: Uint8Array): Promise<SnapshotContents> {
  const head = readSnapshotInfo(file);
  const bad = (what: string): never => {
    throw new SnapshotError(`snapshot: ${what}`);
  };
  const { payload, chunks } = await inflatePayload(file.subarray(head.headerEnd), head.version, head.chunks, head.payloadBytes);
  const chunkAt = new Map(chunks.map((c) => [c.start, c]));
  const regions: SnapshotRegion[] = [];
  if (payload.length !== head.payloadBytes) bad("the payload is shorter than its header declares (truncated or corrupted)");
  // From here on the bytes are what was written; the checks below guard against a crafted file.
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  let at = 0;
  const u32 = () => {
    if (at + 4 > payload.length) bad("the payload ends early");
    const v = view.getUint32(at, true);
    at += 4;
    return v;
  };
  const s = u32();
  if (s > MAX_STATE_JSON || at + s > payload.length) bad("the state is cut short");
  let state: unknown;
  try {
    state = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload.subarray(at, at + s)));
  } catch {
    bad("the state is not valid JSON");
  }
  at += s;
  const count = u32();
  if (count < 1 || count > MAX_BLOBS) bad(`${count} blobs: expected the memory and at most ${MAX_BLOBS - 1} disks`);
  const blobs: Uint8Array[] = [];
  let memory: SnapshotContents["memory"];
  for (let k = 0; k < count; k++) {
    const total = u32();
    const n = u32();
    const pages = Math.ceil(total / PAGE);
    if (n > pages) bad(`blob ${k} lists more pages than it has`);
    const indices: number[] = [];
    for (let i = 0; i < n; i++) {
      const p = u32();
      if (p >= pages || (i > 0 && p <= indices[i - 1])) bad(`blob ${k}'s page list is not valid`);
      indices.push(p);
    }
    const start = at;
    for (let i = 0; i < indices.length; ) {
      // (each region's pages as the encoder cut them: a chunk of their own, for the cache)
      const region = Math.floor(indices[i] / REGION_PAGES);
      const from = at;
      const first = i;
      for (; i < indices.length && Math.floor(indices[i] / REGION_PAGES) === region; i++) at += Math.min(PAGE, total - indices[i] * PAGE);
      const chunk = chunkAt.get(from);
      if (chunk && chunk.size === at - from) {
        regions.push({ key: regionKey(k, region), pages: indices.slice(first, i), raw: payload.subarray(from, at), gz: chunk.gz });
      }
    }
    if (at > payload.length) bad(`blob ${k} is cut short`);
    const writeInto = (target: Uint8Array) => {
      let from = start;
      for (const p of indices) {
        const len = Math.min(PAGE, total - p * PAGE);
        target.set(payload.subarray(from, from + len), p * PAGE);
        from += len;
      }
    };
    if (k === 0) {
      memory = { total, writeInto };
      blobs.push(new Uint8Array(0));
    } else {
      const blob = new Uint8Array(total);
      writeInto(blob);
      blobs.push(blob);
    }
  }
  if (at !== payload.length) bad("the payload has bytes after its last blob");
  const { version: _v, payloadBytes: _p, compressedBytes: _c, chunks: _n, headerEnd: _e, ...info } = head;
  return { info, state, blobs, memory, regions };
}
