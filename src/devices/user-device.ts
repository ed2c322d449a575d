// A device model of the embedder's own on a partition's bus (HypervisorOptions.devices): it gets
// the same isolation as the built-in devices. It sees only the offsets of its own window; it
// reaches the partition's memory only through the partition's gate (what the guest itself could
// reach, with the same permissions: no debug access); its interrupt is a line of the partition's
// PLIC; and whatever it throws stops its partition with a fatal fault naming it, never the host
// or another partition.

import type { MmioDevice, IrqLine } from "./device.js";
import type { GuestMemory } from "../vmm/guest-memory.js";
import type { StateValue } from "../snapshot/state.js";

/** What a user device is given when its partition's board is built. */
export interface UserDeviceContext {
  /** The partition's name. */
  partition: string;
  /** Drive the device's PLIC source (UserDevice.irq) high or low; a no-op without one. */
  irq(level: boolean): void;
  /** DMA: a copy of guest-physical [gpa, gpa + length) of the partition's memory the guest may
   *  read, or null if any byte is not (its RAM and the regions mapped into it readable). */
  read(gpa: number, length: number): Uint8Array | null;
  /** DMA: write `data` at gpa, all or nothing; false if any byte is not writable by the guest. */
  write(gpa: number, data: Uint8Array): boolean;
  /** The partition's clock in cycles (exact inside an access: the accessing instruction's). */
  now(): bigint;
}

/** A device model of one's own (docs/api.md). */
export interface UserDevice {
  /** A name for messages and the device tree (letters, digits, - and _). */
  name: string;
  /** Its window: a page-aligned guest-physical address and a size in whole pages. */
  base: number;
  size: number;
  /** Read `size` (1, 2 or 4) bytes at `offset` of the window; the result is masked to size. */
  read(offset: number, size: number): number;
  /** Write the low `size` bytes of `value` at `offset`. */
  write(offset: number, size: number, value: number): void;
  /** Its PLIC source (12 to 31: 1-8 are the virtio slots, 10 the UART, 11 the RTC, 32 on the
   *  IPC channels), or none. */
  irq?: number;
  /** A device-tree node for supervisor partitions: its compatible string (reg and interrupts
   *  are added). Without it the device is not in the tree. */
  compatible?: string;
  /** Called once the board exists (again for a restarted partition: a new board). */
  attach?(context: UserDeviceContext): void;
  /** Its state in a snapshot (JSON), and back; without them a snapshot of its partition is refused. */
  saveState?(): StateValue;
  loadState?(state: unknown): void;
}

/** The user IRQ range: PLIC sources a user device may take. */
export const USER_IRQ_MIN = 12;
export const USER_IRQ_MAX = 31;

/** The bus side of a user device: masks values, turns its exceptions into a fault of its partition. */
export class UserDeviceSlot implements MmioDevice {
  readonly name: string;
  readonly size: number;
  constructor(
    readonly device: UserDevice, partition: string, memory: GuestMemory, irq: IrqLine, now: () => bigint,
    private readonly fault: (message: string) => void,
  ) {
    this.name = `${partition}.${device.name}`;
    this.size = device.size;
    this.guard(() => device.attach?.({
      partition,
      irq: (level) => irq(level),
      read: (gpa, length) => memory.read(gpa, length, "read"),
      write: (gpa, data) => memory.write(gpa, data, "write"),
      now,
    }));
  }

  private guard<T>(op: () => T, fallback?: T): T | undefined {
    try {
      return op();
    } catch (err) {
      this.fault(`stopped by a fatal fault: the device ${this.device.name} failed (${err instanceof Error ? err.message : String(err)})`);
      return fallback;
    }
  }

  read(offset: number, size: number): number {
    const v = this.guard(() => this.device.read(offset, size), 0) ?? 0;
    const n = Number(v);
    if (!Number.isFinite(n)) return 0;
    return size >= 4 ? n >>> 0 : n & ((1 << (8 * size)) - 1);
  }

  write(offset: number, size: number, value: number): void {
    const masked = size >= 4 ? value >>> 0 : value & ((1 << (8 * size)) - 1);
    this.guard(() => this.device.write(offset, size, masked));
  }
}

/** What is wrong with a user device's declaration, or null. */
export function userDeviceProblem(d: UserDevice): string | null {
  if (typeof d !== "object" || d === null) return "a device must be an object";
  if (typeof d.name !== "string" || !/^[A-Za-z][\w-]{0,31}$/.test(d.name)) return `its name ${JSON.stringify(d.name)} must be a letter, then letters, digits, - or _ (at most 32)`;
  if (!Number.isInteger(d.base) || d.base < 0 || d.base % 4096 !== 0) return `${d.name}: base must be a page-aligned guest-physical address`;
  if (!Number.isInteger(d.size) || d.size <= 0 || d.size % 4096 !== 0 || d.base + d.size > 2 ** 32) return `${d.name}: size must be a multiple of 4 KiB, the window below 4 GiB`;
  if (typeof d.read !== "function" || typeof d.write !== "function") return `${d.name}: needs read(offset, size) and write(offset, size, value)`;
  if (d.irq !== undefined && (!Number.isInteger(d.irq) || d.irq < USER_IRQ_MIN || d.irq > USER_IRQ_MAX)) return `${d.name}: irq must be a PLIC source from ${USER_IRQ_MIN} to ${USER_IRQ_MAX}`;
  return null;
}
