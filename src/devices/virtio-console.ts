// virtio-console (Virtual I/O Device specification v1.1, §5.3) with one port and no features:
// queue 0 receives (host → guest), queue 1 transmits (guest → host). Linux names it /dev/hvc0.
// Transmitted bytes go to the partition's console output; input bytes wait in a queue until the
// driver has posted receive buffers. One notify transmits at most WORK_PER_EXIT bytes; a longer
// transmission goes on at the next attempt of the same notify (virtio-mmio.ts), from where it
// stopped, even inside one buffer.

import { ByteQueue } from "./byte-queue.js";
import { VirtqueueError, WORK_PER_EXIT, type GuestMemory, type Virtqueue, type VirtioBackend, type VirtioChain } from "./virtio-mmio.js";
import { encode, MAX_SNAPSHOT_INPUT, type StateReader, type StateValue } from "../snapshot/state.js";

export class VirtioConsole implements VirtioBackend {
  readonly deviceId = 3;
  readonly features = 0n;
  readonly queueSizes = [64, 64];
  private queues: Virtqueue[] = [];
  private interrupt: (cause: number) => void = () => {};
  private mem: GuestMemory | null = null;
  private readonly input = new ByteQueue();
  /** A transmit chain in progress: its buffers' bytes before `sent` have been output. */
  private sending: { chain: VirtioChain; sent: number } | null = null;
  private guard: (op: () => void) => void = (op) => op();

  constructor(private readonly output: (byte: number) => void) {}

  /** The transport's guard (VirtioMmio.guarded), so input delivery reports malformed rings too. */
  setGuard(guard: (op: () => void) => void): void {
    this.guard = guard;
  }

  readConfig(): number {
    return 0; // no F_SIZE, no F_MULTIPORT: nothing in the configuration space
  }

  attach(queues: Virtqueue[], interrupt: (cause: number) => void, mem: GuestMemory, _features: bigint, restoring = false): void {
    this.queues = queues;
    this.interrupt = interrupt;
    this.mem = mem;
    if (!restoring) this.deliver();
  }

  saveState(): StateValue {
    return {
      input: encode.bytes(this.input.peekAll()),
      sending: this.sending && {
        head: this.sending.chain.head, sent: this.sending.sent,
        buffers: this.sending.chain.buffers.map((b) => ({ gpa: b.gpa, length: b.length, writable: b.writable })),
      },
    };
  }

  /** (After the transport attached it again, when the driver had.) The chain in progress is
   *  reached through the memory gate when it goes on, like any other. */
  loadState(r: StateReader): void {
    this.input.replace(r.bytes("input", MAX_SNAPSHOT_INPUT));
    const s = r.childOrNull("sending");
    this.sending = s && {
      sent: s.int("sent", 0, 0xffff_ffff),
      chain: {
        head: s.int("head", 0, 0xffff),
        buffers: s.list("buffers", this.queueSizes[1]).map((b) => ({
          gpa: b.int("gpa", 0, 0xffff_ffff), length: b.int("length", 0, 0xffff_ffff), writable: b.bool("writable"),
        })),
      },
    };
  }

  reset(): void {
    this.queues = [];
    this.sending = null;
  }

  get pendingInput(): number {
    return this.input.length;
  }

  /** Drop the input not yet delivered (the file agent's stream is out of step, src/api/files.ts). */
  discardInput(): void {
    this.input.clear();
  }

  /** Bytes for the guest: delivered now if it has posted buffers, else when it does. */
  pushInput(bytes: Uint8Array | number[]): void {
    this.input.push(bytes);
    this.guard(() => this.deliver());
  }

  notify(q: number): boolean {
    if (q === 0) this.deliver();
    else if (q === 1) return this.transmit();
    return true;
  }

  /** Output what the driver made available, up to WORK_PER_EXIT bytes; false if more is left. */
  private transmit(): boolean {
    const tx = this.queues[1];
    if (!tx) return true;
    let served = 0;
    let budget = WORK_PER_EXIT;
    let done = true;
    while (true) {
      if (!this.sending) {
        const chain = tx.pop();
        if (!chain) break;
        this.sending = { chain, sent: 0 };
      }
      const { chain } = this.sending;
      // Skip what was sent, send what the budget allows.
      let skip = this.sending.sent;
      let finished = true;
      for (const b of chain.buffers) {
        if (b.writable) continue;
        if (skip >= b.length) {
          skip -= b.length;
          continue;
        }
        if (budget === 0) {
          finished = false;
          break;
        }
        const n = Math.min(b.length - skip, budget);
        const bytes = this.mem!.view(b.gpa + skip, n, "read");
        if (!bytes) throw new VirtqueueError(`virtio-console: buffer 0x${b.gpa.toString(16)}+${b.length} is outside the partition's RAM`);
        for (const byte of bytes) this.output(byte);
        this.sending.sent += n;
        budget -= n;
        if (skip + n < b.length) {
          finished = false; // the budget ran out inside this buffer
          break;
        }
        skip = 0;
      }
      if (!finished) {
        done = false;
        break;
      }
      tx.push(chain.head, 0);
      this.sending = null;
      served++;
      if (budget === 0) {
        done = !tx.hasAvailable();
        break;
      }
    }
    if (served > 0) this.interrupt(1);
    return done;
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
        const into = this.mem!.view(b.gpa, n, "write");
        if (!into) throw new VirtqueueError(`virtio-console: buffer 0x${b.gpa.toString(16)}+${b.length} is outside the partition's RAM`);
        into.set(this.input.take(n));
        written += n;
      }
      rx.push(chain.head, written);
      served++;
    }
    if (served > 0) this.interrupt(1);
  }
}
