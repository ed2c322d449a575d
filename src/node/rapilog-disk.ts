// RapiLog: a virtio-blk disk whose writes are acknowledged as soon as the hypervisor holds them,
// and persisted to the host file in order, in the background, with one fdatasync per group.
// After the idea of RapiLog (Heiser et al., "RapiLog: reducing system complexity through
// verification", EuroSys 2013): a trusted hypervisor that survives its guest can acknowledge the
// guest's synchronous log writes before they reach stable storage, because from then on the data
// no longer depends on the guest (or its kernel) to get there.
//
// How it works (one host file, two threads):
//   write    the hypervisor copies the sectors into a ring of shared memory (`buffer` bytes) as
//            one record and publishes it (WRITTEN). The request completes at once.
//   writer   a worker thread (rapilog-writer.mjs) writes the published records to the file,
//            oldest first, then fdatasyncs once for the whole group, then publishes PERSISTED
//            and frees their space (USED). A group gathers for up to 2 ms (none while the
//            hypervisor waits for it): group commit.
//   read     the file, overlaid with the newest buffered copy of each sector not yet persisted.
//   flush    nothing to wait for: the data is already held. (The guest sees a writethrough
//            cache, stableWrites, so Linux sends no flushes; one that arrives completes at once.)
//   sync     waits until the writer has persisted everything (a partition halts, crashes or is
//            restarted, the system ends): what the guest was told is written is in the file
//            before the disk is reopened or released.
//   full     a write that does not fit waits for the writer to free space (back-pressure: the
//            guest waits, in host time; nothing is dropped).
//
// What it does not survive: the loss of the host process or machine (a crash of Node, a kill,
// a power cut) before the writer has persisted the buffer — acknowledged writes still in the
// ring are gone. The writethrough mode (disk-file.ts) does not acknowledge a flush before the
// host's fdatasync returns, and survives those too, at the cost of an fdatasync per commit.
//
// Test-only hooks (never set them in production; read once, when this module is loaded). They
// exist so that the host-kill campaign (test/rapilog-host.test.ts) can show it catches the bugs
// that would break RapiLog's promise:
//   WASMVISOR_RAPILOG_FAULT=sync-no-wait    a mutation: sync() returns without waiting for the writer
//   WASMVISOR_RAPILOG_FAULT=no-fdatasync    a mutation: the writer never fdatasyncs
//   WASMVISOR_RAPILOG_FAULT=close-no-sync   a mutation: close() stops the writer without syncing
//   WASMVISOR_RAPILOG_DURABLE_MODEL=1       an observer: the writer keeps FILE.durable, a copy of the
//                                           image that receives a group of records only when the
//                                           fdatasync covering it has returned: what a power cut
//                                           would leave on the host's disk (see rapilog-writer.mjs)
//   WASMVISOR_RAPILOG_SLOW_DISK_MS=N        an environment: the writer waits N ms (1-1000) before
//                                           writing each group, as on a slow host disk; correct
//                                           code loses nothing by it, a sync that does not wait
//                                           for the writer loses the group nearly every time
// A disk opened with any of them set warns (process warning) once per process.

import { closeSync, copyFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { SECTOR, type BlockStorage } from "../devices/virtio-blk.js";
import { openDiskImage, readFully } from "./disk-file.js";
import { DEFAULT_DISK_BUFFER, MIN_DISK_BUFFER } from "../config/system.js";


// The control words shared with the writer (rapilog-writer.mjs keeps the same numbers).
const C_WRITTEN = 0; // records published (main thread), wrapping int32
const C_PERSISTED = 1; // records persisted (writer)
const C_USED = 2; // ring bytes in use: published and not yet persisted
const C_STOP = 3; // the writer should exit once it has persisted everything
const C_ERROR = 4; // nonzero: the writer failed (length of the message in the error buffer)
const C_FSYNCS = 5;
const C_SECTORS = 6;
const C_URGENT = 7; // the hypervisor waits for the writer: no grouping delay
const CONTROL_WORDS = 8;
/** Record header: sector (u32 low, u32 high), data bytes, kind. */
const HEADER = 16;
const KIND_DATA = 1;
const KIND_WRAP = 2; // the rest of the ring is skipped; the next record is at offset 0
const ERROR_BYTES = 512;
/** How long sync() waits for the writer before it reports a stuck writer. */
const SYNC_TIMEOUT_MS = 60_000;

/** The test-only fault injection and durability model (see the top of this file). */
export const RAPILOG_FAULTS = ["sync-no-wait", "no-fdatasync", "close-no-sync"] as const;
export type RapilogFault = (typeof RAPILOG_FAULTS)[number];
const FAULT_SETTING = process.env.WASMVISOR_RAPILOG_FAULT ?? "";
const FAULT = (RAPILOG_FAULTS as readonly string[]).includes(FAULT_SETTING) ? FAULT_SETTING as RapilogFault : null;
const DURABLE_MODEL = (process.env.WASMVISOR_RAPILOG_DURABLE_MODEL ?? "") !== "" && process.env.WASMVISOR_RAPILOG_DURABLE_MODEL !== "0";
const SLOW_DISK_SETTING = process.env.WASMVISOR_RAPILOG_SLOW_DISK_MS ?? "";
const SLOW_DISK_MS = /^\d+$/.test(SLOW_DISK_SETTING) ? Number(SLOW_DISK_SETTING) : 0;
/** The file the durability model keeps beside a disk image. */
export const durableModelPath = (path: string): string => `${path}.durable`;
let testHooksWarned = false;

/** Refuse an unknown fault (a typo must not look like a clean run); warn once that hooks are on. */
function checkTestHooks(): void {
  if (FAULT_SETTING !== "" && FAULT === null) {
    throw new RangeError(`WASMVISOR_RAPILOG_FAULT=${FAULT_SETTING}: not a RapiLog fault (test-only: ${RAPILOG_FAULTS.join(", ")})`);
  }
  if (SLOW_DISK_SETTING !== "" && !(SLOW_DISK_MS >= 1 && SLOW_DISK_MS <= 1000)) {
    throw new RangeError(`WASMVISOR_RAPILOG_SLOW_DISK_MS=${SLOW_DISK_SETTING}: expected milliseconds, 1-1000 (test-only)`);
  }
  if ((FAULT || DURABLE_MODEL || SLOW_DISK_MS) && !testHooksWarned) {
    testHooksWarned = true;
    const hooks = [FAULT && `WASMVISOR_RAPILOG_FAULT=${FAULT}`, DURABLE_MODEL && "WASMVISOR_RAPILOG_DURABLE_MODEL", SLOW_DISK_MS && `WASMVISOR_RAPILOG_SLOW_DISK_MS=${SLOW_DISK_MS}`];
    process.emitWarning(`RapiLog test hooks are on (${hooks.filter(Boolean).join(", ")})${FAULT ? ": acknowledged writes can be lost" : ""}`);
  }
}

export interface RapilogStats {
  /** Guest flushes seen, host fdatasyncs done by the writer, sectors it wrote, writes that
   *  waited for buffer space. */
  flushes: number;
  fsyncs: number;
  sectorsWritten: number;
  backPressure: number;
}

/** Disks still open when the process exits are synced first: a normal end, process.exit(), an
 *  uncaught exception (Node emits "exit" for those too). Not SIGKILL, not a native crash. */
const openDisks = new Set<RapilogDisk>();
let exitHook = false;

export class RapilogDisk implements BlockStorage {
  private fd: number;
  readonly size: number;
  readonly readOnly = false;
  readonly stableWrites = true;
  private readonly ring: Uint8Array;
  private readonly header: DataView;
  private readonly ctl: Int32Array;
  private readonly errorText: Uint8Array;
  private readonly worker: Worker;
  /** Ring offset of the next record, and records published (main thread only). */
  private head = 0;
  private written = 0;
  /** The newest buffered copy of each sector: its ring offset and record number. */
  private readonly overlay = new Map<number, { at: number; seq: number }>();
  /** Published records not yet known persisted: record number, first sector, sector count. */
  private pending: Array<[number, number, number]> = [];
  private pendingHead = 0;
  private readonly maxRecord: number;
  private flushes = 0;
  private backPressure = 0;

  /** Open `path` read-write with a `bufferBytes` ring; throws RangeError with the reason. */
  constructor(readonly path: string, readonly bufferBytes = DEFAULT_DISK_BUFFER) {
    if (!Number.isInteger(bufferBytes) || bufferBytes < MIN_DISK_BUFFER) {
      throw new RangeError(`the RapiLog buffer must be at least ${MIN_DISK_BUFFER} bytes (got ${bufferBytes})`);
    }
    checkTestHooks();
    ({ fd: this.fd, size: this.size } = openDiskImage(path, false));
    // The model starts from the image as it is: the test treats the file it opens as durable.
    if (DURABLE_MODEL) copyFileSync(path, durableModelPath(path));
    const ringBytes = bufferBytes - (bufferBytes % HEADER);
    this.ring = new Uint8Array(new SharedArrayBuffer(ringBytes));
    this.header = new DataView(this.ring.buffer);
    this.ctl = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
    this.errorText = new Uint8Array(new SharedArrayBuffer(ERROR_BYTES));
    // A record takes at most a quarter of the ring, so a wrap never needs more than half.
    this.maxRecord = Math.max(SECTOR, Math.floor((ringBytes / 4 - HEADER) / SECTOR) * SECTOR);
    this.worker = new Worker(new URL("./rapilog-writer.mjs", import.meta.url), {
      workerData: {
        path, ctl: this.ctl.buffer, ring: this.ring.buffer, error: this.errorText.buffer,
        fault: FAULT, durableModel: DURABLE_MODEL ? durableModelPath(path) : null, slowDiskMs: SLOW_DISK_MS,
      },
      // Plain JavaScript: no loader hooks (e.g. tsx) needed, and none may delay its start, since
      // the exit hook waits for this thread with the main thread blocked.
      execArgv: [],
    });
    this.worker.unref(); // it must not keep the process alive; close() or the exit hook sync it
    this.worker.on("error", () => {}); // reported through C_ERROR
    openDisks.add(this);
    if (!exitHook) {
      exitHook = true;
      process.on("exit", () => {
        for (const d of openDisks) {
          try {
            d.close();
          } catch {
            // the process is ending: nothing more can be done about a failed writer here
          }
        }
      });
    }
  }

  get stats(): RapilogStats {
    return {
      flushes: this.flushes, fsyncs: this.hostSyncs,
      sectorsWritten: Atomics.load(this.ctl, C_SECTORS), backPressure: this.backPressure,
    };
  }

  /** fdatasyncs the writer has done (one per group of records). */
  get hostSyncs(): number {
    return Atomics.load(this.ctl, C_FSYNCS);
  }

  /** Bytes of the ring in use (acknowledged, not yet persisted). */
  get pendingBytes(): number {
    return Atomics.load(this.ctl, C_USED);
  }

  read(offset: number, into: Uint8Array): void {
    this.check();
    // Forget what is persisted *before* reading the file: a record the writer persists after
    // this point is still in the overlay (its ring bytes stay valid until this thread appends
    // again), so the read sees it either way. (Releasing after the file read lost a race: a
    // record persisted between the two was dropped from the overlay although the file read had
    // returned the old sector — a stale read under host load.)
    this.release();
    readFully(this.fd, into, offset);
    if (this.overlay.size === 0) return;
    for (let at = 0; at < into.length; at += SECTOR) {
      const e = this.overlay.get((offset + at) / SECTOR);
      if (e) into.set(this.ring.subarray(e.at, e.at + SECTOR), at);
    }
  }

  write(offset: number, data: Uint8Array): void {
    this.check();
    for (let at = 0; at < data.length; at += this.maxRecord) {
      this.append(offset + at, data.subarray(at, Math.min(data.length, at + this.maxRecord)));
    }
  }

  /** The guest's flush: what it wrote is already held here. */
  flush(): void {
    this.check();
    this.flushes++;
  }

  /** Wait until everything written is in the file (fdatasynced). */
  sync(): void {
    if (this.fd < 0) return;
    if (FAULT !== "sync-no-wait") this.waitForWriter(C_PERSISTED, (persisted) => persisted === this.written);
    this.release();
  }

  /** Sync, stop the writer and close the file. */
  close(): void {
    if (this.fd < 0) return;
    try {
      if (FAULT !== "close-no-sync") this.sync();
    } finally {
      Atomics.store(this.ctl, C_STOP, 1);
      Atomics.notify(this.ctl, C_WRITTEN);
      closeSync(this.fd);
      this.fd = -1;
      openDisks.delete(this);
    }
  }

  /** Copy one record into the ring (waiting for space if needed) and publish it. */
  private append(offset: number, data: Uint8Array): void {
    const record = HEADER + data.length;
    const ringBytes = this.ring.length;
    const wrap = this.head + record > ringBytes;
    const need = wrap ? ringBytes - this.head + record : record;
    if (ringBytes - Atomics.load(this.ctl, C_USED) < need) this.waitForSpace(need);
    this.release(); // the space about to be reused no longer backs any overlay entry
    if (wrap) {
      if (ringBytes - this.head >= HEADER) this.header.setUint32(this.head + 12, KIND_WRAP, true);
      // (Fewer than HEADER bytes left cannot happen: records and the ring are multiples of 16.)
      this.head = 0;
    }
    const sector = offset / SECTOR;
    const at = this.head;
    this.header.setUint32(at, sector % 0x1_0000_0000, true);
    this.header.setUint32(at + 4, Math.floor(sector / 0x1_0000_0000), true);
    this.header.setUint32(at + 8, data.length, true);
    this.header.setUint32(at + 12, KIND_DATA, true);
    this.ring.set(data, at + HEADER);
    this.head = at + record === ringBytes ? 0 : at + record;
    this.written = (this.written + 1) | 0;
    const sectors = data.length / SECTOR;
    for (let k = 0; k < sectors; k++) this.overlay.set(sector + k, { at: at + HEADER + k * SECTOR, seq: this.written });
    this.pending.push([this.written, sector, sectors]);
    Atomics.add(this.ctl, C_USED, need);
    Atomics.store(this.ctl, C_WRITTEN, this.written); // after the bytes: the writer reads them next
    Atomics.notify(this.ctl, C_WRITTEN);
  }

  /** Back-pressure: the guest outran the disk; wait (in host time) until the writer frees room. */
  private waitForSpace(need: number): void {
    this.backPressure++;
    this.waitForWriter(C_USED, (used) => this.ring.length - used >= need);
  }

  /**
   * Block until control word `word` satisfies `ready`, telling the writer not to hold groups back
   * meanwhile; a writer that fails or makes no progress for SYNC_TIMEOUT_MS is reported.
   */
  private waitForWriter(word: number, ready: (value: number) => boolean): void {
    Atomics.add(this.ctl, C_URGENT, 1);
    Atomics.notify(this.ctl, C_URGENT);
    try {
      const deadline = performance.now() + SYNC_TIMEOUT_MS;
      for (;;) {
        this.check();
        const value = Atomics.load(this.ctl, word);
        if (ready(value)) return;
        if (performance.now() > deadline) throw new Error(`RapiLog ${this.path}: the writer made no progress for ${SYNC_TIMEOUT_MS / 1000} s`);
        Atomics.wait(this.ctl, word, value, 100);
      }
    } finally {
      Atomics.sub(this.ctl, C_URGENT, 1);
    }
  }

  /** Forget the overlay entries of records the writer has persisted. */
  private release(): void {
    const persisted = Atomics.load(this.ctl, C_PERSISTED);
    while (this.pendingHead < this.pending.length) {
      const [seq, first, count] = this.pending[this.pendingHead];
      if (((persisted - seq) | 0) < 0) break; // not yet persisted
      for (let k = 0; k < count; k++) {
        if (this.overlay.get(first + k)?.seq === seq) this.overlay.delete(first + k);
      }
      this.pendingHead++;
    }
    if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
  }

  /** A failed writer fails every later request (the guest gets I/O errors; sync throws). */
  private check(): void {
    if (this.fd < 0) throw new Error(`RapiLog ${this.path}: the disk is closed`);
    const n = Atomics.load(this.ctl, C_ERROR);
    if (n !== 0) throw new Error(`RapiLog ${this.path}: the background writer failed: ${new TextDecoder().decode(this.errorText.slice(0, n))}`);
  }
}
