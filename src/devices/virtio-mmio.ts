// virtio over MMIO, version 2 ("modern"), with split virtqueues (Virtual I/O Device specification
// v1.1: §4.2 the MMIO transport, §2.6 split virtqueues). One transport per device slot; the
// device type (virtio-blk.ts, virtio-console.ts) plugs in as a VirtioBackend.
//
// Requests are served synchronously, inside the guest's write to QueueNotify, so runs stay
// deterministic: the used ring is updated and the interrupt raised before the guest's next
// instruction. Guest memory is reached only through the partition's GuestMemory gate
// (src/vmm/guest-memory.ts), which checks every range as a whole against the partition's RAM;
// a descriptor that points elsewhere (whatever its length, zero included), a chain that loops or
// a ring index beyond the queue puts the device in DEVICE_NEEDS_RESET (§2.1.2) — the guest sees
// an error, the host never throws.
//
// Bounded work per exit: one QueueNotify does at most a budget of work (backends count bytes
// moved). A backend that stops with requests left asks the core to execute the guest's write
// again (HOSTREQ_RETRY, through `retry`): the vCPU stays on that store, the host gets control
// back, and the next attempt goes on where this one stopped. No guest action holds the host for
// longer than one budget.

import type { IrqLine, MmioDevice } from "./device.js";
import type { GuestMemory } from "../vmm/guest-memory.js";
import { encode, SnapshotError, type StateReader, type StateValue } from "../snapshot/state.js";

export type { GuestMemory } from "../vmm/guest-memory.js";

/** Bytes a device moves (or writes to the console) for one guest access before it asks for the
 *  access again. */
export const WORK_PER_EXIT = 1 << 20;

const MAGIC = 0x74726976; // "virt"
const VERSION = 2;
/** Vendor ID: "WMV" (wasmvisor). */
export const VIRTIO_VENDOR = 0x00574d56;
const VENDOR = VIRTIO_VENDOR;

// Registers (§4.2.2).
const R_MAGIC = 0x000;
const R_VERSION = 0x004;
const R_DEVICE_ID = 0x008;
const R_VENDOR_ID = 0x00c;
const R_DEVICE_FEATURES = 0x010;
const R_DEVICE_FEATURES_SEL = 0x014;
const R_DRIVER_FEATURES = 0x020;
const R_DRIVER_FEATURES_SEL = 0x024;
const R_QUEUE_SEL = 0x030;
const R_QUEUE_NUM_MAX = 0x034;
const R_QUEUE_NUM = 0x038;
const R_QUEUE_READY = 0x044;
const R_QUEUE_NOTIFY = 0x050;
const R_INTERRUPT_STATUS = 0x060;
const R_INTERRUPT_ACK = 0x064;
const R_STATUS = 0x070;
const R_QUEUE_DESC_LOW = 0x080;
const R_QUEUE_DESC_HIGH = 0x084;
const R_QUEUE_DRIVER_LOW = 0x090;
const R_QUEUE_DRIVER_HIGH = 0x094;
const R_QUEUE_DEVICE_LOW = 0x0a0;
const R_QUEUE_DEVICE_HIGH = 0x0a4;
const R_CONFIG_GENERATION = 0x0fc;
const R_CONFIG = 0x100;

// Device status bits (§2.1).
const S_DRIVER_OK = 4;
const S_FEATURES_OK = 8;
const S_NEEDS_RESET = 64;

/** VIRTIO_F_VERSION_1 (§6): the device is a modern one. */
export const F_VERSION_1 = 1n << 32n;

export const INT_USED_BUFFER = 1;
export const INT_CONFIG_CHANGE = 2;

const DESC_F_NEXT = 1;
const DESC_F_WRITE = 2;
const DESC_F_INDIRECT = 4;

/** One buffer of a descriptor chain. */
export interface VirtioBuffer {
  gpa: number;
  length: number;
  /** Device-writable (the device fills it) or device-readable. */
  writable: boolean;
}

/** A descriptor chain the driver made available: its head index and its buffers in order. */
export interface VirtioChain {
  head: number;
  buffers: VirtioBuffer[];
}

/** The error a malformed ring or descriptor raises inside a queue operation. */
export class VirtqueueError extends Error {}

/** A split virtqueue as the device sees it (§2.6). */
export class Virtqueue {
  num = 0;
  ready = false;
  desc = 0;
  driver = 0;
  device = 0;
  /** Next avail ring index the device will read. */
  private lastAvail = 0;

  constructor(readonly index: number, readonly maxSize: number, private readonly mem: GuestMemory) {}

  saveState(): StateValue {
    return { num: this.num, ready: this.ready, desc: this.desc, driver: this.driver, device: this.device, lastAvail: this.lastAvail };
  }

  loadState(r: StateReader): void {
    const num = r.int("num", 0, this.maxSize);
    if ((num & (num - 1)) !== 0) throw new SnapshotError(`snapshot: ${r.path}.num must be a power of two`);
    this.num = num;
    this.ready = r.bool("ready") && num > 0;
    this.desc = r.int("desc", 0, 0xffff_ffff);
    this.driver = r.int("driver", 0, 0xffff_ffff);
    this.device = r.int("device", 0, 0xffff_ffff);
    this.lastAvail = r.int("lastAvail", 0, 0xffff);
  }

  reset(): void {
    this.num = 0;
    this.ready = false;
    this.desc = this.driver = this.device = 0;
    this.lastAvail = 0;
  }

  private view(gpa: number, length: number, access: "read" | "write"): DataView {
    const s = this.mem.view(gpa, length, access);
    if (!s) throw new VirtqueueError(`queue ${this.index}: ring at 0x${gpa.toString(16)}+${length} is outside the partition's RAM`);
    return new DataView(s.buffer, s.byteOffset, s.byteLength);
  }

  /** Has the driver made a chain available that pop() has not taken? */
  hasAvailable(): boolean {
    if (!this.ready) return false;
    return this.view(this.driver, 4, "read").getUint16(2, true) !== this.lastAvail;
  }

  /** The next available chain, or null when the driver has made none available. */
  pop(): VirtioChain | null {
    if (!this.ready) return null;
    const avail = this.view(this.driver, 4 + 2 * this.num, "read");
    const availIdx = avail.getUint16(2, true);
    if (availIdx === this.lastAvail) return null;
    if (((availIdx - this.lastAvail) & 0xffff) > this.num) throw new VirtqueueError(`queue ${this.index}: avail index ${availIdx} is more than the queue size ahead`);
    const head = avail.getUint16(4 + 2 * (this.lastAvail % this.num), true);
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    return { head, buffers: this.chain(head) };
  }

  private chain(head: number): VirtioBuffer[] {
    const buffers: VirtioBuffer[] = [];
    let i = head;
    for (let steps = 0; ; steps++) {
      if (i >= this.num) throw new VirtqueueError(`queue ${this.index}: descriptor ${i} is beyond the table (${this.num})`);
      if (steps >= this.num) throw new VirtqueueError(`queue ${this.index}: the descriptor chain at ${head} loops`);
      const d = this.view(this.desc + 16 * i, 16, "read");
      const addr = d.getUint32(0, true);
      const addrHigh = d.getUint32(4, true);
      const length = d.getUint32(8, true);
      const flags = d.getUint16(12, true);
      // VIRTIO_F_INDIRECT_DESC is not offered, so a driver must not use it (§2.6.5.3.1).
      if (flags & DESC_F_INDIRECT) throw new VirtqueueError(`queue ${this.index}: indirect descriptor without the feature`);
      if (addrHigh !== 0) throw new VirtqueueError(`queue ${this.index}: buffer above 4 GiB`);
      const writable = (flags & DESC_F_WRITE) !== 0;
      // Every buffer is checked whole, a zero-length one too: no address outside RAM is accepted.
      if (!this.mem.contains(addr, length, writable ? "write" : "read")) {
        throw new VirtqueueError(`queue ${this.index}: buffer 0x${addr.toString(16)}+${length} is outside the partition's RAM`);
      }
      buffers.push({ gpa: addr, length, writable });
      if (!(flags & DESC_F_NEXT)) return buffers;
      i = d.getUint16(14, true);
    }
  }

  /** Return a chain to the driver with `written` bytes written into its writable buffers. */
  push(head: number, written: number): void {
    const used = this.view(this.device, 4 + 8 * this.num, "write");
    const idx = used.getUint16(2, true);
    const slot = 4 + 8 * (idx % this.num);
    used.setUint32(slot, head, true);
    used.setUint32(slot + 4, written, true);
    used.setUint16(2, (idx + 1) & 0xffff, true);
  }
}

/** What a device type provides to the transport. */
export interface VirtioBackend {
  readonly deviceId: number;
  /** Device-specific feature bits (VIRTIO_F_VERSION_1 is added by the transport). */
  readonly features: bigint;
  readonly queueSizes: readonly number[];
  /** Read `size` bytes of the device-specific configuration space at `offset`. */
  readConfig(offset: number, size: number): number;
  /** The driver wrote `size` bytes at `offset` of the configuration space (devices without
   *  writable fields leave this out: such writes are ignored). */
  writeConfig?(offset: number, size: number, value: number): void;
  /** The transport is ready (DRIVER_OK) with these queues and the feature bits the driver
   *  accepted; called again after every reset. */
  attach(queues: Virtqueue[], interrupt: (cause: number) => void, mem: GuestMemory, features: bigint, restoring?: boolean): void;
  /** The backend's own state in a snapshot (loaded after attach, when the driver had attached). */
  saveState(): StateValue;
  loadState(state: StateReader): void;
  /** The driver notified queue `q`. Returns false when it stopped with work left because the
   *  work budget of one exit (WORK_PER_EXIT) is used up: the transport asks for the access
   *  again, and the next notify goes on. Throws VirtqueueError for a malformed ring. */
  notify(q: number): boolean;
  /** The driver reset the device. */
  reset(): void;
}

export class VirtioMmio implements MmioDevice {
  readonly size = 0x1000;
  private status = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverFeatures = 0n;
  private queueSel = 0;
  private interruptStatus = 0;
  private readonly queues: Virtqueue[];
  /** Why the device last entered DEVICE_NEEDS_RESET (for diagnostics). */
  lastError: string | null = null;

  /** `retry` makes the guest's current access run again later (HOSTREQ_RETRY). */
  constructor(
    readonly name: string, private readonly backend: VirtioBackend, private readonly mem: GuestMemory,
    private readonly irq: IrqLine, private readonly retry: () => void = () => {},
  ) {
    this.queues = backend.queueSizes.map((max, i) => new Virtqueue(i, max, mem));
  }

  private get features(): bigint {
    return this.backend.features | F_VERSION_1;
  }

  saveState(): StateValue {
    return {
      status: this.status, deviceFeaturesSel: this.deviceFeaturesSel, driverFeaturesSel: this.driverFeaturesSel,
      driverFeatures: encode.big(this.driverFeatures), queueSel: this.queueSel, interruptStatus: this.interruptStatus,
      lastError: this.lastError, queues: this.queues.map((q) => q.saveState()), backend: this.backend.saveState(),
    };
  }

  /** The transport's registers and queues, then the backend (attached again first if the driver
   *  had made the device ready: without delivering anything, which happened before the save). */
  loadState(r: StateReader): void {
    this.status = r.int("status", 0, 0xff);
    this.deviceFeaturesSel = r.int("deviceFeaturesSel", 0, 0xffff_ffff);
    this.driverFeaturesSel = r.int("driverFeaturesSel", 0, 0xffff_ffff);
    this.driverFeatures = r.big("driverFeatures");
    this.queueSel = r.int("queueSel", 0, 0xffff_ffff);
    this.interruptStatus = r.int("interruptStatus", 0, 3);
    this.lastError = r.strOrNull("lastError");
    const queues = r.list("queues", this.queues.length);
    if (queues.length !== this.queues.length) throw new SnapshotError(`snapshot: ${r.path}.queues must have ${this.queues.length} entries`);
    this.queues.forEach((q, i) => q.loadState(queues[i]));
    this.backend.reset();
    if (this.status & S_DRIVER_OK) this.backend.attach(this.queues, (cause) => this.raise(cause), this.mem, this.driverFeatures, true);
    this.backend.loadState(r.child("backend"));
  }

  private get queue(): Virtqueue | null {
    return this.queues[this.queueSel] ?? null;
  }

  private raise(cause: number): void {
    this.interruptStatus |= cause;
    this.irq(this.interruptStatus !== 0);
  }

  /** Something in a ring was malformed: stop the device until the driver resets it. */
  private broken(err: VirtqueueError): void {
    this.lastError = err.message;
    this.status |= S_NEEDS_RESET;
    this.raise(INT_CONFIG_CHANGE);
  }

  private doReset(): void {
    this.status = 0;
    this.driverFeatures = 0n;
    this.deviceFeaturesSel = this.driverFeaturesSel = this.queueSel = 0;
    for (const q of this.queues) q.reset();
    this.interruptStatus = 0;
    this.irq(false);
    this.backend.reset();
  }

  /** Run a backend operation that may find a malformed ring. */
  guarded(op: () => void): void {
    if (this.status & S_NEEDS_RESET) return;
    try {
      op();
    } catch (err) {
      if (err instanceof VirtqueueError) this.broken(err);
      else throw err;
    }
  }

  read(offset: number, size: number): number {
    if (offset >= R_CONFIG) return this.backend.readConfig(offset - R_CONFIG, size);
    if (size !== 4) return 0; // registers are 32-bit (§4.2.2.2)
    const q = this.queue;
    switch (offset) {
      case R_MAGIC: return MAGIC;
      case R_VERSION: return VERSION;
      case R_DEVICE_ID: return this.backend.deviceId;
      case R_VENDOR_ID: return VENDOR;
      case R_DEVICE_FEATURES:
        return this.deviceFeaturesSel > 1 ? 0 : Number((this.features >> BigInt(32 * this.deviceFeaturesSel)) & 0xffffffffn) | 0;
      case R_QUEUE_NUM_MAX: return q ? q.maxSize : 0;
      case R_QUEUE_READY: return q?.ready ? 1 : 0;
      case R_INTERRUPT_STATUS: return this.interruptStatus;
      case R_STATUS: return this.status;
      case R_CONFIG_GENERATION: return 0;
      case R_QUEUE_DESC_LOW: return q?.desc ?? 0;
      case R_QUEUE_DRIVER_LOW: return q?.driver ?? 0;
      case R_QUEUE_DEVICE_LOW: return q?.device ?? 0;
      default: return 0;
    }
  }

  write(offset: number, size: number, value: number): void {
    if (offset >= R_CONFIG) {
      this.backend.writeConfig?.(offset - R_CONFIG, size, value);
      return;
    }
    if (size !== 4) return; // registers are 32-bit (§4.2.2.2)
    const q = this.queue;
    const v = value >>> 0;
    switch (offset) {
      case R_DEVICE_FEATURES_SEL: this.deviceFeaturesSel = v; break;
      case R_DRIVER_FEATURES_SEL: this.driverFeaturesSel = v; break;
      case R_DRIVER_FEATURES:
        if (this.driverFeaturesSel <= 1 && !(this.status & S_FEATURES_OK)) {
          const shift = BigInt(32 * this.driverFeaturesSel);
          this.driverFeatures = (this.driverFeatures & ~(0xffffffffn << shift)) | (BigInt(v) << shift);
        }
        break;
      case R_QUEUE_SEL: this.queueSel = v; break;
      case R_QUEUE_NUM:
        // A power of two up to the maximum (§2.6: split queues).
        if (q && !q.ready && v > 0 && v <= q.maxSize && (v & (v - 1)) === 0) q.num = v;
        break;
      case R_QUEUE_READY:
        if (q) q.ready = v === 1 && q.num > 0;
        break;
      case R_QUEUE_DESC_LOW: if (q && !q.ready) q.desc = v; break;
      case R_QUEUE_DRIVER_LOW: if (q && !q.ready) q.driver = v; break;
      case R_QUEUE_DEVICE_LOW: if (q && !q.ready) q.device = v; break;
      case R_QUEUE_DESC_HIGH:
      case R_QUEUE_DRIVER_HIGH:
      case R_QUEUE_DEVICE_HIGH:
        // Rings above 4 GiB cannot exist in an Sv32 partition's RAM.
        if (v !== 0) this.broken(new VirtqueueError("ring above 4 GiB"));
        break;
      case R_QUEUE_NOTIFY:
        if ((this.status & S_DRIVER_OK) && v < this.queues.length) {
          this.guarded(() => {
            if (!this.backend.notify(v)) this.retry();
          });
        }
        break;
      case R_INTERRUPT_ACK:
        this.interruptStatus &= ~v;
        this.irq(this.interruptStatus !== 0);
        break;
      case R_STATUS:
        if (v === 0) {
          this.doReset();
        } else {
          let next = v & 0xff;
          // FEATURES_OK stays set only if the driver accepted a subset including VERSION_1.
          if ((next & S_FEATURES_OK) && ((this.driverFeatures & ~this.features) !== 0n || !(this.driverFeatures & F_VERSION_1))) {
            next &= ~S_FEATURES_OK;
          }
          const becameReady = (next & S_DRIVER_OK) && !(this.status & S_DRIVER_OK);
          this.status = next | (this.status & S_NEEDS_RESET);
          if (becameReady) this.guarded(() => this.backend.attach(this.queues, (cause) => this.raise(cause), this.mem, this.driverFeatures));
        }
        break;
    }
  }
}

/**
 * The virtio-mmio slots with no device behind them (QEMU's virt board has eight slots and
 * answers in every one): the magic value, version 2, device ID 0 ("no device": drivers leave
 * the slot alone) and the vendor ID of the real devices; every other register reads 0, and
 * writes are ignored. Like QEMU's, a narrower read of one of those three registers gives the
 * low bytes of its value. Stateless: one instance answers in any number of slots (its window
 * may span several; the offset within the slot is what counts).
 */
export class EmptyVirtioSlots implements MmioDevice {
  constructor(readonly name: string, readonly size: number) {}

  read(offset: number, size: number): number {
    let value = 0;
    switch (offset & 0xfff) {
      case R_MAGIC: value = MAGIC; break;
      case R_VERSION: value = VERSION; break;
      case R_VENDOR_ID: value = VENDOR; break;
    }
    return size >= 4 ? value : value & ((1 << (8 * size)) - 1);
  }

  write(): void {}
}
