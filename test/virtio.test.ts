// virtio-mmio devices driven directly, as a driver would through the registers and a split
// virtqueue in guest memory: the modern handshake, block reads/writes/flush with bounds
// checks, the read-only disk, the console in both directions, and malformed rings (outside RAM,
// loops, indices beyond the queue), which must stop the device (DEVICE_NEEDS_RESET) and never
// throw into the host. Linux's own drivers exercise the same devices in test/linux.test.ts.
import { describe, expect, it } from "vitest";
import { VirtioMmio, WORK_PER_EXIT } from "../src/devices/virtio-mmio.ts";
import { GuestMemory } from "../src/vmm/guest-memory.ts";
import { RAM_HOST_BASE } from "../assembly/layout.ts";
import { VirtioBlk, MemoryDisk, diskSizeProblem, type BlockStorage } from "../src/devices/virtio-blk.ts";
import { VirtioConsole } from "../src/devices/virtio-console.ts";

const RAM = 0x8000_0000;
const RAM_BYTES = 1 << 20;

/** 1 MiB of "guest RAM" at 0x8000_0000 (behind the same memory gate a board gives its devices)
 *  and a little driver for one queue at a time. */
class Driver {
  readonly ram: Uint8Array;
  readonly view: DataView;
  readonly mem: GuestMemory;
  /** Accesses the device asked to have again (bounded work per exit). */
  retries = 0;
  irqLevel = false;
  readonly dev: VirtioMmio;
  private nextAvail: number[] = [];
  // Queue q: descriptors at 0x8001_0000 + q*0x1000, avail at +0x400, used at +0x800 (size 8).
  static readonly SIZE = 8;
  desc = (q: number) => RAM + 0x10000 + q * 0x1000;
  avail = (q: number) => this.desc(q) + 0x400;
  used = (q: number) => this.desc(q) + 0x800;

  constructor(backend: ConstructorParameters<typeof VirtioMmio>[1], ramBytes = RAM_BYTES) {
    const memory = new ArrayBuffer(RAM_HOST_BASE + ramBytes);
    this.ram = new Uint8Array(memory, RAM_HOST_BASE, ramBytes);
    this.view = new DataView(memory, RAM_HOST_BASE, ramBytes);
    this.mem = new GuestMemory(memory, [{ gpa: RAM, size: ramBytes, host: RAM_HOST_BASE, read: true, write: true }]);
    this.dev = new VirtioMmio("test", backend, this.mem, (l) => { this.irqLevel = l; }, () => { this.retries++; });
  }
  /** Notify queue q again, as the guest's retried store does. */
  renotify(q: number): void { this.w(0x50, q); }
  r(off: number): number { return this.dev.read(off, 4) >>> 0; }
  w(off: number, v: number): void { this.dev.write(off, 4, v); }
  u32(gpa: number): number { return this.view.getUint32(gpa - RAM, true); }
  u16(gpa: number): number { return this.view.getUint16(gpa - RAM, true); }

  /** The handshake of §3.1.1, with `queues` queues of SIZE entries; the driver accepts the
   *  device's feature bits 0-31 in `lowMask`. */
  init(queues: number, accept = true, lowMask = -1): void {
    this.w(0x70, 0);
    this.w(0x70, 1);
    this.w(0x70, 1 | 2);
    this.w(0x14, 1);
    const hi = this.r(0x10);
    this.w(0x24, 1);
    this.w(0x20, accept ? hi : 0);
    this.w(0x24, 0);
    this.w(0x14, 0);
    this.w(0x20, this.r(0x10) & lowMask);
    this.w(0x70, 1 | 2 | 8);
    for (let q = 0; q < queues; q++) {
      this.w(0x30, q);
      this.w(0x38, Driver.SIZE);
      this.w(0x80, this.desc(q));
      this.w(0x90, this.avail(q));
      this.w(0xa0, this.used(q));
      this.w(0x44, 1);
      this.nextAvail[q] = 0;
    }
    this.w(0x70, 1 | 2 | 4 | 8);
  }

  /** Put a chain of [gpa, len, writable] buffers on queue q and notify. Returns the head. */
  submit(q: number, bufs: Array<[number, number, boolean]>, first = 0): number {
    this.post(q, bufs, first);
    this.w(0x50, q);
    return first;
  }

  /** Make a chain available on queue q (descriptors from `first`) without notifying. */
  post(q: number, bufs: Array<[number, number, boolean]>, first = 0): void {
    bufs.forEach(([gpa, len, writable], i) => {
      const d = this.desc(q) + 16 * (first + i);
      this.view.setUint32(d - RAM, gpa >>> 0, true);
      this.view.setUint32(d - RAM + 4, 0, true);
      this.view.setUint32(d - RAM + 8, len, true);
      this.view.setUint16(d - RAM + 12, (i < bufs.length - 1 ? 1 : 0) | (writable ? 2 : 0), true);
      this.view.setUint16(d - RAM + 14, first + i + 1, true);
    });
    const a = this.avail(q);
    const idx = this.nextAvail[q];
    this.view.setUint16(a - RAM + 4 + 2 * (idx % Driver.SIZE), first, true);
    this.nextAvail[q] = idx + 1;
    this.view.setUint16(a - RAM + 2, idx + 1, true);
  }
  usedIdx(q: number): number { return this.u16(this.used(q) + 2); }
  usedLen(q: number, i: number): number { return this.u32(this.used(q) + 4 + 8 * i + 4); }
}

function blkRequest(d: Driver, type: number, sector: number, dataLen: number, write: boolean): { status: number; data: number } {
  const hdr = RAM + 0x20000;
  const data = RAM + 0x21000;
  const status = RAM + 0x30000;
  d.view.setUint32(hdr - RAM, type, true);
  d.view.setBigUint64(hdr - RAM + 8, BigInt(sector), true);
  d.ram[status - RAM] = 0xff;
  const bufs: Array<[number, number, boolean]> = [[hdr, 16, false]];
  if (dataLen) bufs.push([data, dataLen, !write]);
  bufs.push([status, 1, true]);
  d.submit(0, bufs);
  return { status: d.ram[status - RAM], data };
}

describe("virtio-mmio transport", () => {
  it("identifies itself and negotiates VERSION_1", () => {
    const d = new Driver(new VirtioBlk(new MemoryDisk(new Uint8Array(4096))));
    expect(d.r(0x000)).toBe(0x74726976);
    expect(d.r(0x004)).toBe(2);
    expect(d.r(0x008)).toBe(2);
    d.w(0x14, 1);
    expect(d.r(0x10) & 1).toBe(1); // VIRTIO_F_VERSION_1 is feature bit 32
    d.init(1);
    expect(d.r(0x70)).toBe(15);
    // A driver that refuses VERSION_1 does not get FEATURES_OK.
    const legacy = new Driver(new VirtioBlk(new MemoryDisk(new Uint8Array(4096))));
    legacy.init(1, false);
    expect(legacy.r(0x70) & 8).toBe(0);
  });
});

describe("virtio-blk", () => {
  const disk = () => {
    const bytes = new Uint8Array(8 * 512);
    for (let i = 0; i < bytes.length; i++) bytes[i] = i % 251;
    return bytes;
  };

  it("reads, writes and flushes within the disk; interrupts and the used ring report it", () => {
    const bytes = disk();
    let flushes = 0;
    const storage: BlockStorage = Object.assign(new MemoryDisk(bytes), { flush: () => { flushes++; } });
    const d = new Driver(new VirtioBlk(storage));
    d.init(1);
    expect(d.dev.read(0x100, 4)).toBe(8); // capacity in sectors
    let r = blkRequest(d, 0, 2, 1024, false);
    expect(r.status).toBe(0);
    expect(Array.from(d.ram.subarray(r.data - RAM, r.data - RAM + 4))).toEqual([1024 % 251, 1025 % 251, 1026 % 251, 1027 % 251]);
    expect(d.usedIdx(0)).toBe(1);
    expect(d.usedLen(0, 0)).toBe(1025);
    expect(d.irqLevel).toBe(true);
    d.w(0x64, d.r(0x60));
    expect(d.irqLevel).toBe(false);
    d.ram.fill(7, 0x21000, 0x21200);
    r = blkRequest(d, 1, 7, 512, true);
    expect(r.status).toBe(0);
    expect(bytes[7 * 512]).toBe(7);
    r = blkRequest(d, 4, 0, 0, false);
    expect(r.status).toBe(0);
    expect(flushes).toBe(1);
  });

  it("refuses requests past the end, partial sectors, unknown types, writes to a read-only disk", () => {
    const d = new Driver(new VirtioBlk(new MemoryDisk(disk())));
    d.init(1);
    expect(blkRequest(d, 0, 7, 1024, false).status).toBe(1); // sectors 7-8 of 8
    expect(blkRequest(d, 0, 0, 100, false).status).toBe(1);
    expect(blkRequest(d, 0, 2 ** 52, 512, false).status).toBe(1);
    expect(blkRequest(d, 99, 0, 0, false).status).toBe(2);
    const ro = new Driver(new VirtioBlk(new MemoryDisk(disk(), true)));
    ro.w(0x14, 0);
    expect(ro.r(0x10) & (1 << 5)).toBe(1 << 5); // VIRTIO_BLK_F_RO
    ro.init(1);
    expect(blkRequest(ro, 1, 0, 512, true).status).toBe(1);
  });

  it("a descriptor outside RAM, a loop or a wild index stops the device, never the host", () => {
    for (const breakIt of [
      (d: Driver) => d.submit(0, [[0x1000, 16, false], [RAM, 1, true]]),                       // header outside RAM
      (d: Driver) => d.submit(0, [[RAM + 0x20000, 16, false], [RAM + RAM_BYTES - 1, 4096, false], [RAM, 1, true]]), // runs off the end
      (d: Driver) => { d.submit(0, [[RAM + 0x20000, 16, false], [RAM, 1, true]]); d.view.setUint16(d.desc(0) - RAM + 16 + 12, 1 | 2, true); d.view.setUint16(d.desc(0) - RAM + 16 + 14, 0, true); d.view.setUint16(d.avail(0) - RAM + 2, 2, true); d.view.setUint16(d.avail(0) - RAM + 6, 0, true); d.w(0x50, 0); }, // a loop
      (d: Driver) => { d.view.setUint16(d.avail(0) - RAM + 4, 200, true); d.view.setUint16(d.avail(0) - RAM + 2, 1, true); d.w(0x50, 0); }, // head beyond the table
      (d: Driver) => { d.view.setUint16(d.avail(0) - RAM + 2, 500, true); d.w(0x50, 0); }, // avail index far ahead
    ]) {
      const d = new Driver(new VirtioBlk(new MemoryDisk(disk())));
      d.init(1);
      expect(() => breakIt(d)).not.toThrow();
      expect(d.r(0x70) & 64).toBe(64);
      expect(d.r(0x60) & 2).toBe(2); // configuration-change interrupt
      expect(d.dev.lastError).toMatch(/queue 0|virtio-blk/);
      // A reset brings it back.
      d.init(1);
      expect(d.r(0x70)).toBe(15);
      expect(blkRequest(d, 0, 0, 512, false).status).toBe(0);
    }
  });

  it("the write cache: writeback over a volatile cache, writethrough over stable storage; the driver may switch it", () => {
    /** Storage like a host file: writes sit in a cache until flush(). */
    const volatile = () => {
      const log: string[] = [];
      const storage: BlockStorage = Object.assign(new MemoryDisk(disk()), {
        stableWrites: false,
        write: () => { log.push("write"); },
        flush: () => { log.push("flush"); },
      });
      return { storage, log };
    };
    const CONFIG_WCE = 1 << 11;
    const WRITEBACK = 0x100 + 32;
    // A host-file-like disk starts as writeback: writes complete without a flush.
    const v = volatile();
    const d = new Driver(new VirtioBlk(v.storage));
    d.w(0x14, 0);
    expect(d.r(0x10) & (CONFIG_WCE | (1 << 9))).toBe(CONFIG_WCE | (1 << 9)); // CONFIG_WCE and FLUSH
    d.init(1);
    expect(d.dev.read(WRITEBACK, 1)).toBe(1);
    expect(blkRequest(d, 1, 1, 512, true).status).toBe(0);
    expect(v.log).toEqual(["write"]);
    // Switched to writethrough, the cache is flushed once, then every write is made durable.
    d.dev.write(WRITEBACK, 1, 0);
    expect(d.dev.read(WRITEBACK, 1)).toBe(0);
    expect(blkRequest(d, 1, 2, 512, true).status).toBe(0);
    expect(v.log).toEqual(["write", "flush", "write", "flush"]);
    // A reset restores the default; other configuration bytes are not writable.
    d.init(1);
    expect(d.dev.read(WRITEBACK, 1)).toBe(1);
    d.dev.write(0x100, 1, 0xff);
    expect(d.dev.read(0x100, 4)).toBe(8);
    // Stable storage (RapiLog's buffer, memory) is writethrough from the start: no flushes needed.
    const m = new Driver(new VirtioBlk(new MemoryDisk(disk())));
    m.init(1);
    expect(m.dev.read(WRITEBACK, 1)).toBe(0);
    // A driver that does not negotiate FLUSH gets every write made durable on a volatile disk.
    const nf = volatile();
    const legacyish = new Driver(new VirtioBlk(nf.storage));
    legacyish.init(1, true, 0);
    expect(blkRequest(legacyish, 1, 1, 512, true).status).toBe(0);
    expect(nf.log).toEqual(["write", "flush"]);
  });

  it("a failing storage gives the guest an I/O error, not the host an exception", () => {
    const storage: BlockStorage = Object.assign(new MemoryDisk(disk()), {
      read: () => { throw new Error("EIO: the host disk failed"); },
      flush: () => { throw new Error("ENOSPC"); },
    });
    const blk = new VirtioBlk(storage);
    const d = new Driver(blk);
    d.init(1);
    expect(blkRequest(d, 0, 0, 512, false).status).toBe(1);
    expect(blkRequest(d, 4, 0, 0, false).status).toBe(1);
    expect(blk.lastStorageError).toBe("ENOSPC");
    expect(blk.counts.errors).toBe(2);
    expect(d.r(0x70)).toBe(15); // the device goes on
    expect(blkRequest(d, 1, 0, 512, true).status).toBe(0);
  });

  it("disk sizes", () => {
    expect(diskSizeProblem(0)).toMatch(/empty/);
    expect(diskSizeProblem(1000)).toMatch(/not a whole number of 512-byte sectors/);
    expect(diskSizeProblem(1 << 20)).toBeNull();
    expect(() => new MemoryDisk(new Uint8Array(100))).toThrow(/not a whole number/);
  });
});

describe("virtio-console", () => {
  it("transmits to the host and delivers input into posted buffers, in order", () => {
    const out: number[] = [];
    const con = new VirtioConsole((b) => out.push(b));
    const d = new Driver(con);
    con.setGuard((op) => d.dev.guarded(op));
    d.init(2);
    const msg = new TextEncoder().encode("hello");
    d.ram.set(msg, 0x40000);
    d.submit(1, [[RAM + 0x40000, msg.length, false]]);
    expect(new TextDecoder().decode(Uint8Array.from(out))).toBe("hello");
    // Input before any receive buffer waits; posting buffers delivers it.
    con.pushInput(new TextEncoder().encode("abc"));
    expect(con.pendingInput).toBe(3);
    d.submit(0, [[RAM + 0x50000, 2, true]], 0);
    expect(d.usedLen(0, 0)).toBe(2);
    expect(con.pendingInput).toBe(1);
    d.submit(0, [[RAM + 0x50100, 16, true]], 1);
    expect(new TextDecoder().decode(d.ram.subarray(0x50000, 0x50002)) + new TextDecoder().decode(d.ram.subarray(0x50100, 0x50101))).toBe("abc");
    expect(con.pendingInput).toBe(0);
  });
});

describe("bounded work per exit", () => {
  it("a console transmission longer than one exit's budget comes out whole, a budget per attempt", () => {
    const out: number[] = [];
    const con = new VirtioConsole((b) => out.push(b));
    const d = new Driver(con, 8 << 20);
    d.init(2);
    // Two chains: 2.5 MiB in one buffer, then 100 bytes in two buffers.
    const big = 5 * (WORK_PER_EXIT >> 1);
    for (let i = 0; i < big; i++) d.ram[0x100000 + i] = i % 253;
    d.ram.fill(7, 0x400000, 0x400064);
    d.submit(1, [[RAM + 0x100000, big, false]], 0);
    expect(out.length).toBe(WORK_PER_EXIT); // one budget, then the device asks for the access again
    expect(d.retries).toBe(1);
    expect(d.usedIdx(1)).toBe(0); // nothing completed yet
    d.submit(1, [[RAM + 0x400000, 60, false], [RAM + 0x400000 + 60, 40, false]], 1); // (notifies: attempt 2)
    expect(out.length).toBe(2 * WORK_PER_EXIT);
    expect(d.retries).toBe(2);
    d.renotify(1); // attempt 3: the rest of the big buffer and the small chain
    expect(out.length).toBe(big + 100);
    expect(d.retries).toBe(2);
    expect(d.usedIdx(1)).toBe(2);
    expect(out.slice(0, big).every((b, i) => b === i % 253)).toBe(true);
    expect(out.slice(big).every((b) => b === 7)).toBe(true);
  });

  it("virtio-blk serves requests up to a budget per attempt, and refuses one larger than 16 MiB", () => {
    const disk = new MemoryDisk(new Uint8Array(32 << 20));
    const blk = new VirtioBlk(disk);
    const d = new Driver(blk, 20 << 20);
    d.init(1);
    const request = (i: number, sector: number, bytes: number): Array<[number, number, boolean]> => {
      const hdr = RAM + 0x1000 + 32 * i;
      d.view.setUint32(hdr - RAM, 0, true); // T_IN
      d.view.setBigUint64(hdr - RAM + 8, BigInt(sector), true);
      d.ram[0x3000 + i] = 0xff;
      return [[hdr, 16, false], [RAM + 0x100000, bytes, true], [RAM + 0x3000 + i, 1, true]];
    };
    // Two reads of 1 MiB made available at once: the first uses up one attempt's budget, the
    // second waits for the retried access.
    d.post(0, request(0, 0, 1 << 20), 0);
    d.post(0, request(1, 2048, 1 << 20), 3);
    d.renotify(0);
    expect(d.usedIdx(0)).toBe(1);
    expect(d.retries).toBe(1);
    d.renotify(0);
    expect(d.usedIdx(0)).toBe(2);
    expect(d.retries).toBe(1);
    expect([d.ram[0x3000], d.ram[0x3001]]).toEqual([0, 0]);
    // One request of more than 16 MiB is refused with an I/O error.
    d.submit(0, request(2, 0, 17 << 20), 0);
    expect(d.ram[0x3002]).toBe(1);
    expect(blk.counts.errors).toBe(1);
    expect(blk.counts.reads).toBe(2);
  });
});
