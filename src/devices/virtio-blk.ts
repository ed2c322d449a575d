// virtio-blk (Virtual I/O Device specification v1.1, §5.2): a disk behind one request queue.
// Requests are served at once from a BlockStorage: a host file in Node (src/node/disk-file.ts), a
// byte array in the browser and in tests (MemoryDisk below). Every request is checked against
// the disk's size; a read-only disk refuses writes with an I/O error, and FLUSH reaches the
// storage's own flush (fsync for a file), so data the guest has flushed is on the host's disk.

import type { GuestMemory, Virtqueue, VirtioBackend, VirtioChain } from "./virtio-mmio.js";
import { VirtqueueError } from "./virtio-mmio.js";

export const SECTOR = 512;

/** A disk's contents: `size` bytes, a multiple of 512. */
export interface BlockStorage {
  readonly size: number;
  readonly readOnly: boolean;
  read(offset: number, into: Uint8Array): void;
  write(offset: number, data: Uint8Array): void;
  flush(): void;
}

/** Check a disk size, returning a message if it cannot be used (null when it is fine). */
export function diskSizeProblem(size: number): string | null {
  if (size === 0) return "the disk image is empty";
  if (size % SECTOR !== 0) return `the disk image is ${size} bytes, not a whole number of ${SECTOR}-byte sectors`;
  if (size > 2 ** 41) return `the disk image is ${size} bytes; at most 2 TiB`;
  return null;
}

/** A disk held in memory. */
export class MemoryDisk implements BlockStorage {
  constructor(readonly bytes: Uint8Array, readonly readOnly = false) {
    const problem = diskSizeProblem(bytes.length);
    if (problem) throw new RangeError(problem);
  }
  get size(): number {
    return this.bytes.length;
  }
  read(offset: number, into: Uint8Array): void {
    into.set(this.bytes.subarray(offset, offset + into.length));
  }
  write(offset: number, data: Uint8Array): void {
    this.bytes.set(data, offset);
  }
  flush(): void {}
}

// Request types and status values (§5.2.6).
const T_IN = 0;
const T_OUT = 1;
const T_FLUSH = 4;
const T_GET_ID = 8;
const S_OK = 0;
const S_IOERR = 1;
const S_UNSUPP = 2;

const F_RO = 1n << 5n;
const F_FLUSH = 1n << 9n;

export class VirtioBlk implements VirtioBackend {
  readonly deviceId = 2;
  readonly queueSizes = [128];
  private queue: Virtqueue | null = null;
  private interrupt: (cause: number) => void = () => {};
  private mem: GuestMemory | null = null;
  /** Requests served, by kind (for statistics). */
  readonly counts = { reads: 0, writes: 0, flushes: 0, errors: 0, bytesRead: 0, bytesWritten: 0 };

  constructor(private readonly storage: BlockStorage, private readonly serial = "wasmvisor-disk") {}

  get features(): bigint {
    return F_FLUSH | (this.storage.readOnly ? F_RO : 0n);
  }

  readConfig(offset: number, size: number): number {
    // capacity (le64, in sectors) at 0; nothing else is offered.
    const sectors = BigInt(this.storage.size / SECTOR);
    const config = new Uint8Array(8);
    new DataView(config.buffer).setBigUint64(0, sectors, true);
    let v = 0;
    for (let i = 0; i < size; i++) v |= (config[offset + i] ?? 0) << (8 * i);
    return v;
  }

  attach(queues: Virtqueue[], interrupt: (cause: number) => void, mem: GuestMemory): void {
    this.queue = queues[0];
    this.interrupt = interrupt;
    this.mem = mem;
  }

  reset(): void {
    this.queue = null;
  }

  notify(q: number): void {
    if (q !== 0 || !this.queue) return;
    let served = 0;
    for (let chain = this.queue.pop(); chain; chain = this.queue.pop()) {
      const written = this.serve(chain);
      this.queue.push(chain.head, written);
      served++;
    }
    if (served > 0) this.interrupt(1);
  }

  /** Serve one request; returns the bytes written into the driver's buffers. */
  private serve(chain: VirtioChain): number {
    const mem = this.mem!;
    const bufs = chain.buffers;
    // Header (16 bytes, device-readable) … data … status (1 byte, device-writable) (§5.2.6).
    if (bufs.length < 2 || bufs[0].writable || bufs[0].length < 16) throw new VirtqueueError("virtio-blk: malformed request header");
    const status = bufs[bufs.length - 1];
    if (!status.writable || status.length < 1) throw new VirtqueueError("virtio-blk: no status byte");
    const header = new DataView(mem.slice(bufs[0].gpa, 16)!.slice().buffer);
    const type = header.getUint32(0, true);
    const sector = Number(header.getBigUint64(8, true));
    const data = bufs.slice(1, -1);
    let result = S_OK;
    let written = 0;
    const setStatus = (s: number) => {
      mem.slice(status.gpa, 1)![0] = s;
      if (s !== S_OK) this.counts.errors++;
    };
    if (type === T_IN || type === T_OUT) {
      const length = data.reduce((n, b) => n + b.length, 0);
      const offset = sector * SECTOR;
      if (length % SECTOR !== 0 || offset + length > this.storage.size || !Number.isSafeInteger(offset)) {
        result = S_IOERR; // out of bounds or not whole sectors
      } else if (type === T_OUT && this.storage.readOnly) {
        result = S_IOERR;
      } else if (data.some((b) => b.writable !== (type === T_IN))) {
        throw new VirtqueueError("virtio-blk: data buffer with the wrong direction");
      } else {
        let at = offset;
        for (const b of data) {
          const view = mem.slice(b.gpa, b.length)!;
          if (type === T_IN) {
            this.storage.read(at, view);
            written += b.length;
          } else {
            this.storage.write(at, view);
          }
          at += b.length;
        }
        if (type === T_IN) {
          this.counts.reads++;
          this.counts.bytesRead += length;
        } else {
          this.counts.writes++;
          this.counts.bytesWritten += length;
        }
      }
    } else if (type === T_FLUSH) {
      this.storage.flush();
      this.counts.flushes++;
    } else if (type === T_GET_ID) {
      // A 20-byte serial number, NUL-padded (§5.2.6.1).
      const id = new TextEncoder().encode(this.serial).slice(0, 20);
      const out = data.find((b) => b.writable);
      if (out) {
        const view = mem.slice(out.gpa, Math.min(out.length, 20))!;
        view.fill(0);
        view.set(id.subarray(0, view.length));
        written += view.length;
      }
    } else {
      result = S_UNSUPP;
    }
    setStatus(result);
    return written + 1;
  }
}
