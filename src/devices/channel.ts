// The doorbells of a partition's IPC channels: one 4 KiB page per channel id at
// CHANNEL_BASE + id × 0x1000, the MMIO half of the UIO-compatible channel device a
// supervisor-mode guest sees (its device tree also lists the channel's shared region and its
// interrupt, PLIC source CHANNEL_IRQ_BASE + id). Guests that can make hypercalls may use the
// notify hypercall instead; both end in the same notification.
//
//   +0x0  NOTIFY  (write) notify the other end of the channel
//   +0x4  ID      (read)  this page's channel id
//   +0x8  MAGIC   (read)  0x48435657 ("WVCH")
//
// A page whose channel id the partition does not hold reads as zero and ignores writes.

import type { MmioDevice } from "./device.js";

export const CHANNEL_BASE = 0x1100_0000;
/** Channel ids 0..62: a window of 63 pages. */
export const CHANNEL_WINDOW = 63 * 0x1000;
/** PLIC source of channel id `id` at a partition: CHANNEL_IRQ_BASE + id (sources 32..94). */
export const CHANNEL_IRQ_BASE = 32;
const MAGIC = 0x48435657;

export class ChannelDoorbells implements MmioDevice {
  readonly size = CHANNEL_WINDOW;

  constructor(readonly name: string, private readonly held: ReadonlySet<number>, private readonly notify: (id: number) => void) {}

  read(offset: number, size: number): number {
    const id = offset >> 12;
    if (size !== 4 || !this.held.has(id)) return 0;
    switch (offset & 0xfff) {
      case 0x4: return id;
      case 0x8: return MAGIC;
      default: return 0;
    }
  }

  write(offset: number, _size: number, _value: number): void {
    const id = offset >> 12;
    if (this.held.has(id) && (offset & 0xfff) === 0) this.notify(id);
  }
}
