// virtio-console (Virtual I/O Device specification v1.1, §5.3) with one port and no features:
// queue 0 receives (host → guest), queue 1 transmits (guest → host). Linux names it /dev/hvc0.
// Transmitted bytes go to the partition's console output; input bytes wait in a queue until the
// driver has posted receive buffers.

import type { GuestMemory, Virtqueue, VirtioBackend } from "./virtio-mmio.js";

export class VirtioConsole implements VirtioBackend {
  readonly deviceId = 3;
  readonly features = 0n;
  readonly queueSizes = [64, 64];
  private queues: Virtqueue[] = [];
  private interrupt: (cause: number) => void = () => {};
  private mem: GuestMemory | null = null;
  private readonly input: number[] = [];
  private guard: (op: () => void) => void = (op) => op();

  constructor(private readonly output: (byte: number) => void) {}

  /** The transport's guard (VirtioMmio.guarded), so input delivery reports malformed rings too. */
  setGuard(guard: (op: () => void) => void): void {
    this.guard = guard;
  }

  readConfig(): number {
    return 0; // no F_SIZE, no F_MULTIPORT: nothing in the configuration space
  }

  attach(queues: Virtqueue[], interrupt: (cause: number) => void, mem: GuestMemory): void {
    this.queues = queues;
    this.interrupt = interrupt;
    this.mem = mem;
    this.deliver();
  }

  reset(): void {
    this.queues = [];
  }

  get pendingInput(): number {
    return this.input.length;
  }

  /** Bytes for the guest: delivered now if it has posted buffers, else when it does. */
  pushInput(bytes: Uint8Array | number[]): void {
    this.input.push(...bytes);
    this.guard(() => this.deliver());
  }

  notify(q: number): void {
    if (q === 0) this.deliver();
    else if (q === 1) this.transmit();
  }

  private transmit(): void {
    const tx = this.queues[1];
    if (!tx) return;
    let served = 0;
    for (let chain = tx.pop(); chain; chain = tx.pop()) {
      for (const b of chain.buffers) {
        if (b.writable) continue;
        const bytes = this.mem!.slice(b.gpa, b.length)!;
        for (const byte of bytes) this.output(byte);
      }
      tx.push(chain.head, 0);
      served++;
    }
    if (served > 0) this.interrupt(1);
  }

  private deliver(): void {
    const rx = this.queues[0];
    if (!rx || this.input.length === 0) return;
    let served = 0;
    while (this.input.length > 0) {
      const chain = rx.pop();
      if (!chain) break;
      let written = 0;
      for (const b of chain.buffers) {
        if (!b.writable || this.input.length === 0) continue;
        const n = Math.min(b.length, this.input.length);
        this.mem!.slice(b.gpa, n)!.set(this.input.splice(0, n));
        written += n;
      }
      rx.push(chain.head, written);
      served++;
    }
    if (served > 0) this.interrupt(1);
  }
}
