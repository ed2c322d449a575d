// Live migration: a running system moves from this process to another over a TCP connection,
// by iterative pre-copy (the source keeps running while its memory crosses), then a short
// stop-and-copy; the destination goes on exactly where the source stopped (the snapshot path:
// src/snapshot/). Node only (sockets); `wasmvisor run … --migrate-to` and `wasmvisor migrate
// --listen` drive it (src/cli/main.ts).
//
//   round 0     every non-zero page of guest RAM and 4 KiB block of each disk; dirty tracking
//               (the core's bitmap for memory, WriteTrackingDisk for disks) starts just before
//   rounds 1…   the pages and blocks written since the last round, while the system runs on
//               between rounds; until few enough pages are dirty, or the dirty set stops
//               shrinking, or MAX_ROUNDS
//   (the destination builds the announced system's core at once and writes the pages straight
//   into it; it acknowledges every frame, and the source stops only when all are applied)
//   final       the system stops: the last dirty pages and blocks, the non-zero pages of the
//               layout (harts, kernel: below guest RAM) and the host-side state — a snapshot
//               whose memory and disks are what crossed; the destination restores it and says
//               so (its answer ends the downtime)
//
// Frames: u8 type, u32 length (little-endian), payload. PAGES, DISK and FINAL payloads are zlib
// level 1; a page list is u32 count, count × u32 page numbers, count × 4 KiB; a DISK payload is
// u32 disk (its place in the snapshot's list) then a page list of its blocks.

import { connect, createServer, type Socket, type Server } from "node:net";
import { deflateSync, inflateSync } from "node:zlib";
import { Hypervisor, MAX_SNAPSHOT_DISK, type RestoreOptions, type HypervisorOptions } from "../api/hypervisor.js";
import { validateSystem, ConfigError, type SystemConfig } from "../config/system.js";
import { SnapshotError } from "../snapshot/state.js";
import { nonZeroPages, type SnapshotInfo } from "../snapshot/format.js";

const PAGE = 4096;
const T_HELLO = 1;
const T_PAGES = 2;
const T_FINAL = 3;
const T_RESUMED = 4;
const T_DISK = 5;
/** The destination applied one PAGES or DISK frame (the source stops only when it is caught up). */
const T_ACK = 6;
/** Pre-copy ends when at most this many pages are dirty after a round… */
const FEW_PAGES = 64;
/** …or after this many rounds. */
const MAX_ROUNDS = 30;
/** Real time the system runs between two rounds. */
const ROUND_MS = 20;
/** The largest frame a destination accepts (the core's memory limit plus disks). */
const MAX_FRAME = 2 ** 32 - 1;

export interface MigrationReport {
  rounds: number;
  /** Pages sent in each round (round 0 first), and in the stop-and-copy. */
  pagesPerRound: number[];
  finalPages: number;
  /** Bytes sent over the connection in all. */
  bytes: number;
  /** From the source's stop to the destination's answer that it runs (ms of real time). */
  downtimeMs: number;
  totalMs: number;
}

/** Send the frames of one message, waiting while the socket's buffer is full. */
async function send(socket: Socket, type: number, payload: Uint8Array): Promise<number> {
  const head = Buffer.alloc(5);
  head.writeUInt8(type, 0);
  head.writeUInt32LE(payload.length, 1);
  const ok = socket.write(head) && socket.write(payload);
  if (!ok) await new Promise<void>((resolve, reject) => {
    socket.once("drain", resolve);
    socket.once("error", reject);
  });
  return 5 + payload.length;
}

/** A page list: u32 count, the page numbers, the pages (taken from `memory` now; or `data`,
 *  the pages one after the other). */
function pageList(memory: Uint8Array | null, pages: number[], data?: Uint8Array, prefix?: number): Uint8Array {
  const head = prefix === undefined ? 0 : 4;
  const out = new Uint8Array(head + 4 + 4 * pages.length + PAGE * pages.length);
  const view = new DataView(out.buffer);
  if (prefix !== undefined) view.setUint32(0, prefix, true);
  view.setUint32(head, pages.length, true);
  pages.forEach((p, i) => view.setUint32(head + 4 + 4 * i, p, true));
  const at = head + 4 + 4 * pages.length;
  if (data) out.set(data, at);
  else pages.forEach((p, i) => out.set(memory!.subarray(p * PAGE, (p + 1) * PAGE), at + i * PAGE));
  return out;
}



/** Apply a page list to `memory` (a disk's last block may be short); returns where it ended. */
function applyPages(memory: Uint8Array, bytes: Uint8Array, at = 0): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (): never => {
    throw new SnapshotError("migration: a malformed page list");
  };
  if (at + 4 > bytes.length) bad();
  const count = view.getUint32(at, true);
  const pages = Math.ceil(memory.length / PAGE);
  if (count > pages || at + 4 + count * (4 + PAGE) > bytes.length) bad();
  const data = at + 4 + 4 * count;
  for (let i = 0; i < count; i++) {
    const p = view.getUint32(at + 4 + 4 * i, true);
    if (p >= pages) bad();
    const n = Math.min(PAGE, memory.length - p * PAGE);
    memory.set(bytes.subarray(data + i * PAGE, data + i * PAGE + n), p * PAGE);
  }
  return data + count * PAGE;
}

/**
 * Move `hv` (started, between steps of its run) to the destination at host:port: pre-copy while
 * it runs on, then stop-and-copy. `hv` must not run afterwards (it is the destination's now).
 */
export async function migrateOut(hv: Hypervisor, host: string, port: number, options: {
  /** The run's instruction limit (as run()'s maxInsns): pre-copy never runs the system past it,
   *  however slowly the pages cross, so the destination can still stop exactly there. */
  maxInsns?: number;
} = {}): Promise<MigrationReport> {
  const limit = options.maxInsns ?? Infinity;
  const t0 = performance.now();
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect({ host, port }, () => resolve(s));
    s.once("error", reject);
  });
  socket.setNoDelay(true);
  // The destination's answers: an ACK per frame applied, then RESUMED.
  let sent = 0;
  let acked = 0;
  let wake = null as (() => void) | null;
  const poke = () => wake?.();
  let failure: unknown = null;
  let resumedAt = 0;
  let closed = false;
  void (async () => {
    for await (const f of frames(socket)) {
      if (f.type === T_ACK) acked++;
      else if (f.type === T_RESUMED) resumedAt = performance.now();
      poke();
    }
  })().catch((err) => { failure = err; }).finally(() => { closed = true; poke(); });
  const waitUntil = async (done: () => boolean) => {
    while (!done()) {
      if (failure) throw failure;
      if (closed) throw new Error("migration: the destination went away");
      await new Promise<void>((resolve) => { wake = resolve; });
      wake = null;
    }
  };
  try {
    hv.trackDirtyPages(true);
    const start = await hv.snapshotParts(); // (the live memory, and copies of the disks from now)
    const memory = start.blobs[0];
    const announced = start.state as { disks: Array<{ partition: number; size: number }>; description: unknown; paging: string; ipcFastPath: boolean };
    const diskList = announced.disks;
    // The system is announced first: the destination builds its core while the pages cross.
    let bytes = await send(socket, T_HELLO, new TextEncoder().encode(JSON.stringify({
      memoryBytes: memory.length, disks: diskList.map((d) => d.size),
      description: announced.description, paging: announced.paging, ipcFastPath: announced.ipcFastPath,
    })));
    const pagesPerRound: number[] = [];
    for (const [k, contents] of start.blobs.slice(1).entries()) {
      const blocks = nonZeroPages(contents);
      const data = new Uint8Array(blocks.length * PAGE);
      blocks.forEach((b, j) => data.set(contents.subarray(b * PAGE, Math.min(contents.length, (b + 1) * PAGE)), j * PAGE));
      bytes += await send(socket, T_DISK, deflateSync(pageList(null, blocks, data, k), { level: 1 }));
      sent++;
    }
    const sendDiskBlocks = async () => {
      let n = 0;
      for (const [i, blocks] of hv.takeDirtyDiskBlocks()) {
        if (blocks.length === 0) continue;
        const k = diskList.findIndex((d) => d.partition === i);
        n += await send(socket, T_DISK, deflateSync(pageList(null, blocks, hv.diskBlocks(i, blocks), k), { level: 1 }));
        sent++;
      }
      return n;
    };
    const ranges = hv.memoryPages();
    let pages = nonZeroPages(memory, ranges.layoutEnd, ranges.end);
    let previous = Infinity;
    for (let round = 0; ; round++) {
      bytes += await send(socket, T_PAGES, deflateSync(pageList(memory, pages), { level: 1 }));
      sent++;
      bytes += await sendDiskBlocks();
      pagesPerRound.push(pages.length);
      // The system runs on while the pages cross (about ROUND_MS of real time), never past the
      // run's limit: there it simply waits for the stop-and-copy.
      const left = limit === Infinity ? Number.MAX_SAFE_INTEGER : limit - hv.work();
      const r = left > 0 ? hv.advance(left, ROUND_MS) : "limit";
      pages = hv.takeDirtyPages();
      if (r !== "budget" || pages.length <= FEW_PAGES || round + 1 >= MAX_ROUNDS || pages.length >= previous) break;
      previous = pages.length;
    }
    // Stop and copy, once the destination has applied what crossed: nothing runs from here on.
    await waitUntil(() => acked >= sent);
    const stopped = performance.now();
    bytes += await sendDiskBlocks();
    const parts = await hv.snapshotParts(false);
    // The layout (harts, kernel) whole — its non-zero pages: the destination's memory starts
    // zero — and the guest RAM written since the last round.
    const finalPages = [...nonZeroPages(memory, 0, ranges.layoutEnd), ...new Set([...hv.takeDirtyPages(), ...pages])];
    const unique = [...new Set(finalPages)].sort((a, b) => a - b);
    const state = new TextEncoder().encode(JSON.stringify({ info: parts.info, state: parts.state }));
    const list = pageList(memory, unique);
    const body = new Uint8Array(4 + state.length + list.length);
    new DataView(body.buffer).setUint32(0, state.length, true);
    body.set(state, 4);
    body.set(list, 4 + state.length);
    hv.trackDirtyPages(false);
    bytes += await send(socket, T_FINAL, deflateSync(body, { level: 1 }));
    await waitUntil(() => resumedAt > 0);
    const resumed = resumedAt;
    return {
      rounds: pagesPerRound.length, pagesPerRound, finalPages: unique.length, bytes,
      downtimeMs: resumed - stopped, totalMs: resumed - t0,
    };
  } finally {
    socket.end();
  }
}

/** The frames arriving on `socket`, in order. */
async function* frames(socket: Socket): AsyncGenerator<{ type: number; payload: Uint8Array }> {
  let buffered = Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  let failure: Error | null = null;
  socket.on("data", (c: Buffer) => { chunks.push(c); wake?.(); });
  socket.on("end", () => { ended = true; wake?.(); });
  socket.on("close", () => { ended = true; wake?.(); });
  socket.on("error", (err) => { failure = err; wake?.(); });
  while (true) {
    if (chunks.length) {
      buffered = Buffer.concat([buffered, ...chunks.splice(0)]);
    }
    if (buffered.length >= 5) {
      const length = buffered.readUInt32LE(1);
      if (length > MAX_FRAME) throw new SnapshotError("migration: a frame longer than any system");
      if (buffered.length >= 5 + length) {
        const frame = { type: buffered[0], payload: new Uint8Array(buffered.subarray(5, 5 + length)) };
        buffered = buffered.subarray(5 + length);
        yield frame;
        continue;
      }
    }
    if (failure) throw failure;
    if (ended) return;
    await new Promise<void>((resolve) => { wake = resolve; });
    wake = null;
  }
}

/**
 * Wait on `server` for one system to arrive, restore it (RestoreOptions as Hypervisor.restore)
 * and tell the source it runs. Returns the started Hypervisor, to run as any other.
 */
export async function migrateIn(server: Server, options: RestoreOptions = {}): Promise<{ hv: Hypervisor; info: SnapshotInfo; rounds: number; bytes: number }> {
  const socket = await new Promise<Socket>((resolve) => server.once("connection", resolve));
  socket.setNoDelay(true);
  const incoming = frames(socket);
  const next = async () => {
    const f = await incoming.next();
    if (f.done) throw new SnapshotError("migration: the source went away before the system crossed");
    return f.value;
  };
  const hello = await next();
  if (hello.type !== T_HELLO) throw new SnapshotError("migration: the source did not begin with its hello");
  let memoryBytes: number;
  let diskSizes: number[];
  let announced: { description?: unknown; paging?: unknown; ipcFastPath?: unknown };
  try {
    ({ memoryBytes, disks: diskSizes, ...announced } = JSON.parse(new TextDecoder().decode(hello.payload)));
  } catch {
    throw new SnapshotError("migration: a malformed hello");
  }
  let config: SystemConfig;
  try {
    config = validateSystem(announced.description, "the migrating system's description");
  } catch (err) {
    if (err instanceof ConfigError) throw new SnapshotError(`migration: ${err.message}`);
    throw err;
  }
  if ((announced.paging !== "shadow" && announced.paging !== "nested") || typeof announced.ipcFastPath !== "boolean") {
    throw new SnapshotError("migration: a malformed hello");
  }
  if (options.paging && options.paging !== announced.paging) {
    throw new SnapshotError(`migration: the system runs with ${announced.paging} paging and goes on only so, not with ${options.paging}`);
  }
  if (!Number.isInteger(memoryBytes) || memoryBytes <= 0 || memoryBytes % PAGE !== 0 || memoryBytes > 0x7fff0000) {
    throw new SnapshotError("migration: the source's memory size is not one a system can have");
  }
  if (!Array.isArray(diskSizes) || diskSizes.length > 64 || !diskSizes.every((n) => Number.isInteger(n) && n > 0 && n <= MAX_SNAPSHOT_DISK)) {
    throw new SnapshotError("migration: the source's disks are not ones a system can have");
  }
  // Its core now, written page by page as they come: nothing is copied at the end.
  const { restoreDisk: _unused, ...hvOptions } = options;
  const prepared = new Hypervisor(config, {
    ...hvOptions, paging: announced.paging, ipcFastPath: announced.ipcFastPath as boolean,
    loadImage: options.loadImage as HypervisorOptions["loadImage"],
  });
  const memory = await prepared.coreMemoryForMigration();
  if (memory.length !== memoryBytes) throw new SnapshotError(`migration: the source's memory is ${memoryBytes} bytes; this system's core has ${memory.length}`);
  const disks = diskSizes.map((n) => new Uint8Array(n));
  let rounds = 0;
  let bytes = 5 + hello.payload.length;
  const inflate = (payload: Uint8Array) => {
    try {
      return inflateSync(payload, { maxOutputLength: memoryBytes * 2 + 2 ** 31 });
    } catch (err) {
      throw new SnapshotError(`migration: a frame cannot be decompressed (${(err as Error).message})`);
    }
  };
  while (true) {
    const f = await next();
    bytes += 5 + f.payload.length;
    if (f.type === T_PAGES) {
      applyPages(memory, inflate(f.payload));
      rounds++;
      await send(socket, T_ACK, new Uint8Array(0));
      continue;
    }
    if (f.type === T_DISK) {
      const body = inflate(f.payload);
      const k = body.length >= 4 ? new DataView(body.buffer, body.byteOffset).getUint32(0, true) : -1;
      if (!(k >= 0 && k < disks.length)) throw new SnapshotError("migration: blocks of a disk the system does not have");
      if (applyPages(disks[k], body, 4) !== body.length) throw new SnapshotError("migration: a malformed disk frame");
      await send(socket, T_ACK, new Uint8Array(0));
      continue;
    }
    if (f.type !== T_FINAL) throw new SnapshotError(`migration: an unknown frame type ${f.type}`);
    const body = inflate(f.payload);
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const bad = (): never => {
      throw new SnapshotError("migration: a malformed final frame");
    };
    if (body.length < 8) bad();
    const stateLength = view.getUint32(0, true);
    if (4 + stateLength > body.length) bad();
    let parsed: { info: SnapshotInfo; state: unknown };
    try {
      parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body.subarray(4, 4 + stateLength)));
    } catch {
      return bad();
    }
    if (applyPages(memory, body, 4 + stateLength) !== body.length) bad();
    const hv = await Hypervisor.restoreContents({ info: parsed.info, state: parsed.state, blobs: [new Uint8Array(0), ...disks] }, options, prepared);
    await send(socket, T_RESUMED, new Uint8Array(0));
    socket.end();
    return { hv, info: parsed.info, rounds, bytes };
  }
}

/** A server for migrateIn on host:port (port 0: any free one; server.address() says which). */
export function listenForMigration(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
