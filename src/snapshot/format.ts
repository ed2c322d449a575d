// The snapshot file: one self-describing, versioned file for a whole running system.
//
//   offset 0   "WVSNAP\r\n"          magic (the CR LF catches a text-mode copy)
//          8   u32 version            SNAPSHOT_VERSION; another version is refused, never guessed
//         12   u32 H                  length of the header (at most 64 KiB)
//         16   header                 UTF-8 JSON: SnapshotInfo (what it is, readable without
//                                     decompressing) + payloadBytes, compressedBytes
//     16 + H   payload, gzip          exactly compressedBytes bytes, nothing after it
//
// The payload (uncompressed; gzip's CRC-32 and length check it whole, so corruption anywhere is
// caught before anything is used):
//
//   u32 S, S bytes of UTF-8 JSON      the host-side state (system description, devices, …)
//   u32 B, then B blobs               blob 0: the core's linear memory; then each embedded disk
//   blob: u32 total bytes, u32 n, n × u32 page numbers (ascending), n × 4 KiB pages
//                                     only the pages that are not all zero; the last page of a
//                                     blob whose size is not a multiple of 4 KiB is cut short
//
// Compression: gzip, from the platform, no dependency. In Node, node:zlib at level 1 (native,
// synchronous, ~10x faster than the stream interface, with maxOutputLength so a crafted file
// cannot inflate without bound); in browsers, CompressionStream / DecompressionStream (read
// chunk by chunk, stopping as soon as the output exceeds the size the header declares). The
// zero-page elision does most of the work (a booted Linux leaves most of its RAM zero), so a
// fast low level loses little: the default system at its prompt is about 1 MB either way.

import { SnapshotError } from "./state.js";
import { concatBytes } from "../devices/byte-queue.js";

export const SNAPSHOT_MAGIC = "WVSNAP\r\n";
export const SNAPSHOT_VERSION = 1;
const PAGE = 4096;
const MAX_HEADER = 64 * 1024;
/** The most a payload may inflate to: the core's memory limit plus embedded disks. */
export const MAX_PAYLOAD_BYTES = 2 ** 32;
const MAX_STATE_JSON = 512 * 1024 * 1024;
const MAX_BLOBS = 1 + 64;

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
}

/** A blob's non-zero pages, found and copied synchronously (the caller may run on after). */
interface PackedBlob {
  total: number;
  pages: number[];
  data: Uint8Array[];
}

/** The 4 KiB pages of `bytes` from page `from` to page `to` (exclusive; default: all, the last
 *  one possibly short) that are not all zero. */
export function nonZeroPages(bytes: Uint8Array, from = 0, to = Math.ceil(bytes.length / PAGE)): number[] {
  const pages: number[] = [];
  const whole = Math.floor(bytes.length / PAGE);
  const w = bytes.byteOffset % 4 === 0 ? new Int32Array(bytes.buffer, bytes.byteOffset, whole * (PAGE / 4)) : null;
  for (let p = from; p < to; p++) {
    let zero = true;
    if (w && p < whole) {
      // (sixteen words to an OR, a branch per 64 bytes: the scan is the snapshot's main cost)
      for (let i = p * (PAGE / 4), end = i + PAGE / 4; i < end; i += 16) {
        if ((w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7] |
          w[i + 8] | w[i + 9] | w[i + 10] | w[i + 11] | w[i + 12] | w[i + 13] | w[i + 14] | w[i + 15]) !== 0) {
          zero = false;
          break;
        }
      }
    } else {
      zero = bytes.subarray(p * PAGE, Math.min(bytes.length, (p + 1) * PAGE)).every((b) => b === 0);
    }
    if (!zero) pages.push(p);
  }
  return pages;
}

function pack(bytes: Uint8Array): PackedBlob {
  const pages = nonZeroPages(bytes);
  return { total: bytes.length, pages, data: pages.map((p) => bytes.slice(p * PAGE, Math.min(bytes.length, (p + 1) * PAGE))) };
}

/** node:zlib when the host is Node (found by a dynamic import bundlers do not follow). */
interface Zlib {
  gzipSync(data: Uint8Array, options: { level: number }): Uint8Array;
  gunzipSync(data: Uint8Array, options: { maxOutputLength: number }): Uint8Array;
}
let zlib: Promise<Zlib | null> | null = null;
function nodeZlib(): Promise<Zlib | null> {
  zlib ??= (async () => {
    const process = (globalThis as { process?: { versions?: { node?: string } } }).process;
    if (!process?.versions?.node) return null;
    const name = "node:zlib";
    return (await import(/* @vite-ignore */ name)) as Zlib;
  })().catch(() => null);
  return zlib;
}

async function gzip(data: Uint8Array): Promise<Uint8Array> {
  const z = await nodeZlib();
  if (z) return z.gzipSync(data, { level: 1 });
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Inflate, refusing to produce more than `limit` bytes. */
async function gunzip(data: Uint8Array, limit: number): Promise<Uint8Array> {
  const z = await nodeZlib();
  if (z) {
    try {
      return z.gunzipSync(data, { maxOutputLength: Math.max(1, limit) });
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

/**
 * The first step of a snapshot, synchronous: the state as JSON and the non-zero pages of every
 * blob copied out, so the system may run on while the rest (compression, hashing) is awaited.
 */
export function captureSnapshot(info: SnapshotInfo, state: unknown, blobs: Uint8Array[]): () => Promise<Uint8Array> {
  const json = new TextEncoder().encode(JSON.stringify(state));
  const packed = blobs.map(pack);
  return async () => {
    let size = 4 + json.length + 4;
    for (const b of packed) size += 8 + 4 * b.pages.length + b.data.reduce((n, d) => n + d.length, 0);
    const payload = new Uint8Array(size);
    const view = new DataView(payload.buffer);
    let at = 0;
    view.setUint32(at, json.length, true);
    payload.set(json, 4);
    at = 4 + json.length;
    view.setUint32(at, packed.length, true);
    at += 4;
    for (const b of packed) {
      view.setUint32(at, b.total, true);
      view.setUint32(at + 4, b.pages.length, true);
      at += 8;
      for (const p of b.pages) {
        view.setUint32(at, p, true);
        at += 4;
      }
      for (const d of b.data) {
        payload.set(d, at);
        at += d.length;
      }
    }
    const compressed = await gzip(payload);
    const header = new TextEncoder().encode(JSON.stringify({
      ...info, payloadBytes: payload.length, compressedBytes: compressed.length,
    }));
    const file = new Uint8Array(16 + header.length + compressed.length);
    const fv = new DataView(file.buffer);
    for (let i = 0; i < 8; i++) file[i] = SNAPSHOT_MAGIC.charCodeAt(i);
    fv.setUint32(8, SNAPSHOT_VERSION, true);
    fv.setUint32(12, header.length, true);
    file.set(header, 16);
    file.set(compressed, 16 + header.length);
    return file;
  };
}

/** The header of a snapshot file (cheap: nothing is decompressed). */
export function readSnapshotInfo(file: Uint8Array): SnapshotInfo & { payloadBytes: number; compressedBytes: number; headerEnd: number } {
  const bad = (what: string): never => {
    throw new SnapshotError(`snapshot: ${what}`);
  };
  if (file.length < 16) bad(`the file is ${file.length} bytes: too short to be a wasmvisor snapshot`);
  for (let i = 0; i < 8; i++) {
    if (file[i] !== SNAPSHOT_MAGIC.charCodeAt(i)) bad("not a wasmvisor snapshot (the file does not start with WVSNAP)");
  }
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const version = view.getUint32(8, true);
  if (version !== SNAPSHOT_VERSION) bad(`format version ${version}; this wasmvisor reads version ${SNAPSHOT_VERSION} only`);
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
    payloadBytes: num("payloadBytes", MAX_PAYLOAD_BYTES), compressedBytes: num("compressedBytes", MAX_PAYLOAD_BYTES),
    headerEnd: 16 + h,
  };
  if (16 + h + info.compressedBytes !== file.length) {
    bad(file.length < 16 + h + info.compressedBytes
      ? `the file is ${file.length} bytes but its header says ${16 + h + info.compressedBytes}: it is truncated`
      : `the file has ${file.length - 16 - h - info.compressedBytes} bytes after the snapshot (corrupted, or two files joined)`);
  }
  return info;
}

/** Read a snapshot file: header, integrity, payload. Throws SnapshotError on any problem. */
export async function decodeSnapshot(file: Uint8Array): Promise<SnapshotContents> {
  const head = readSnapshotInfo(file);
  const payload = await gunzip(file.subarray(head.headerEnd), head.payloadBytes);
  if (payload.length !== head.payloadBytes) throw new SnapshotError("snapshot: the payload is shorter than its header declares (truncated or corrupted)");
  // From here on the bytes are what was written; the checks below guard against a crafted file.
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const bad = (what: string): never => {
    throw new SnapshotError(`snapshot: ${what}`);
  };
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
    for (const p of indices) at += Math.min(PAGE, total - p * PAGE);
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
  const { payloadBytes: _p, compressedBytes: _c, headerEnd: _e, ...info } = head;
  return { info, state, blobs, memory };
}
