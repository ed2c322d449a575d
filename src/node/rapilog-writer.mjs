// RapiLog's background writer (a worker thread; see rapilog-disk.ts, which owns the protocol).
// It takes the records the hypervisor has published in the shared ring, oldest first, writes
// each to the disk file at its offset, then makes the whole group durable with one fdatasync,
// and only then tells the hypervisor (PERSISTED, USED) that their ring space may be reused.
// A group waits up to GROUP_MS for more records to join it (fewer fdatasyncs: less load on the
// host for the same guarantee), unless the hypervisor waits for the writer (URGENT: a sync, or a
// full buffer) or the ring is half full. Plain JavaScript so that it runs unchanged from the
// sources and from dist/.
//
// Test-only (rapilog-disk.ts reads the settings and passes them in workerData):
//   fault "no-fdatasync"  a mutation for the campaigns to catch: the group is never fdatasynced.
//   durableModel          a path: a model of stable storage. Each group's records are copied there
//                         when (and only when) the fdatasync that made them durable has returned,
//                         so after the process has ended it holds what a power cut would have left
//                         of the image (what the page cache held beyond the last fdatasync is lost).
//                         The campaign replaces the image by it to simulate the power cut.
//   slowDiskMs            an environment: wait this long before writing each group (a slow disk).

import { workerData } from "node:worker_threads";
import { openSync, writeSync, fdatasyncSync, closeSync } from "node:fs";

// Keep in step with rapilog-disk.ts.
const C_WRITTEN = 0;
const C_PERSISTED = 1;
const C_USED = 2;
const C_STOP = 3;
const C_ERROR = 4;
const C_FSYNCS = 5;
const C_SECTORS = 6;
const C_URGENT = 7;
const HEADER = 16;
const KIND_DATA = 1;
const KIND_WRAP = 2;
const SECTOR = 512;
const GROUP_MS = 2;

const ctl = new Int32Array(workerData.ctl);
const ring = new Uint8Array(workerData.ring);
const header = new DataView(workerData.ring);
const errorText = new Uint8Array(workerData.error);
const skipFdatasync = workerData.fault === "no-fdatasync";
const slowDiskMs = workerData.slowDiskMs ?? 0;
const pause = new Int32Array(new SharedArrayBuffer(4)); // (nobody notifies it: a sleep)

/** Write `length` bytes of the ring at `from` to `fd` at file offset `offset`. */
function writeAll(fd, from, length, offset) {
  let at = 0;
  while (at < length) at += writeSync(fd, ring, from + at, length - at, offset + at);
}

let fd = -1;
let modelFd = -1;
try {
  fd = openSync(workerData.path, "r+");
  if (workerData.durableModel) modelFd = openSync(workerData.durableModel, "r+");
  /** The group's records (ring offset, bytes, file offset) for the durability model. */
  const group = [];
  let tail = 0; // ring offset of the next record
  let done = 0; // records persisted
  for (;;) {
    let written = Atomics.load(ctl, C_WRITTEN);
    if (written === done) {
      if (Atomics.load(ctl, C_STOP) !== 0) break;
      Atomics.wait(ctl, C_WRITTEN, written);
      continue;
    }
    if (Atomics.load(ctl, C_URGENT) === 0 && Atomics.load(ctl, C_USED) * 2 < ring.length) {
      Atomics.wait(ctl, C_URGENT, 0, GROUP_MS);
    }
    if (slowDiskMs > 0) Atomics.wait(pause, 0, 0, slowDiskMs);
    written = Atomics.load(ctl, C_WRITTEN);
    // One group: every record published so far, in order, then one fdatasync.
    let bytes = 0;
    let sectors = 0;
    group.length = 0;
    while (done !== written) {
      const kind = header.getUint32(tail + 12, true);
      if (kind === KIND_WRAP) {
        bytes += ring.length - tail;
        tail = 0;
        continue;
      }
      if (kind !== KIND_DATA) throw new Error(`corrupt ring record at ${tail} (kind ${kind})`);
      const sector = header.getUint32(tail, true) + header.getUint32(tail + 4, true) * 0x1_0000_0000;
      const length = header.getUint32(tail + 8, true);
      writeAll(fd, tail + HEADER, length, sector * SECTOR);
      if (modelFd >= 0) group.push([tail + HEADER, length, sector * SECTOR]);
      bytes += HEADER + length;
      sectors += length / SECTOR;
      tail += HEADER + length;
      if (tail === ring.length) tail = 0;
      done = (done + 1) | 0;
    }
    if (!skipFdatasync) {
      fdatasyncSync(fd);
      Atomics.add(ctl, C_FSYNCS, 1);
      // Durable now: the model receives the group (its ring space is not freed before the
      // PERSISTED/USED update below, so the bytes are still there).
      for (const [from, length, offset] of group) writeAll(modelFd, from, length, offset);
    }
    Atomics.add(ctl, C_SECTORS, sectors);
    // Persisted before the space is freed: the hypervisor drops its read overlay for these
    // records before it reuses their space.
    Atomics.store(ctl, C_PERSISTED, done);
    Atomics.sub(ctl, C_USED, bytes);
    Atomics.notify(ctl, C_PERSISTED);
    Atomics.notify(ctl, C_USED);
  }
} catch (err) {
  const message = new TextEncoder().encode(String(err instanceof Error ? err.message : err)).subarray(0, errorText.length);
  errorText.set(message);
  Atomics.store(ctl, C_ERROR, message.length || 1);
  Atomics.notify(ctl, C_PERSISTED);
  Atomics.notify(ctl, C_USED);
} finally {
  if (fd >= 0) closeSync(fd);
  if (modelFd >= 0) closeSync(modelFd);
}
