// HTIF, the Spike / riscv-tests host interface: two 64-bit words in guest RAM, `tohost` and
// `fromhost`, found through the ELF's symbols. The machine maps the page holding tohost as a
// watched page, so every store to it reaches onStore().
//
// tohost encodes {device[63:56], command[55:48], payload[47:0]}:
//   device 0, command 0, payload odd      → exit with code payload >> 1 (1 means success)
//   device 0, command 0, payload even ≠ 0 → "magic memory" system call: payload points to
//                                           uint64 words {number, arg0, arg1, arg2, …};
//                                           write (64) and exit (93) are served
//   device 1, command 1                   → console putchar (payload & 0xff)
//   device 1, command 0                   → console getchar (answered through fromhost)
// A 32-bit guest writes tohost as two words, low then high. A low-word write is held until the
// high word follows; if none follows within a few instructions (a guest that only writes the low
// word), the low word is taken as the whole value. The host clears tohost after each command.
//
// Guest memory is reached only through the partition's GuestMemory gate: a system call whose
// buffer is not entirely in the partition's RAM fails with -EFAULT; one whose argument block is
// not in RAM at all cannot be answered, and stops the partition as a fatal fault (Spike stops
// the simulation there). A write moves at most MAX_WRITE bytes per call (a short write, as POSIX
// allows), so one guest command never holds the host for long.

import type { GuestMemory } from "../vmm/guest-memory.js";
import type { StateReader, StateValue } from "../snapshot/state.js";

export interface HtifEvents {
  output(byte: number): void;
  /** Next input byte, or -1 if none is available now. */
  input(): number;
  exit(code: number): void;
  /** The guest asked for something that cannot be answered (stops the partition as a fault). */
  fault(message: string): void;
}

const SYS_WRITE = 64;
const SYS_EXIT = 93;
const ENOSYS = 38;
const EFAULT = 14;
const EBADF = 9;
/** The most bytes one `write` system call outputs (it returns the count, as a short write). */
export const MAX_WRITE = 64 * 1024;

export class Htif {
  /** A low-word write is waiting for its high word. */
  pendingLow = false;
  private pendingRead = false;

  constructor(
    readonly tohost: number,
    readonly fromhost: number | null,
    private readonly mem: GuestMemory,
    private readonly events: HtifEvents,
  ) {}

  saveState(): StateValue {
    return { pendingLow: this.pendingLow, pendingRead: this.pendingRead };
  }

  loadState(r: StateReader): void {
    this.pendingLow = r.bool("pendingLow");
    this.pendingRead = r.bool("pendingRead");
  }

  /** A word of tohost/fromhost (the board checked both are in RAM when it loaded the image). */
  private word(pa: number): number {
    return this.mem.readU32(pa, "debug") ?? 0;
  }

  /** A store hit the watched page at physical address pa. */
  onStore(pa: number): void {
    if (pa === this.tohost) {
      if (this.word(this.tohost) !== 0) this.pendingLow = true;
    } else if (pa === this.tohost + 4) {
      this.pendingLow = false;
      this.process();
    }
  }

  /** The grace period for the high word ended: take the low word as the whole command. */
  flushPendingLow(): void {
    if (!this.pendingLow) return;
    this.pendingLow = false;
    this.process();
  }

  /** Answer a getchar that was waiting for input. Call when input may have arrived. */
  poll(): void {
    if (!this.pendingRead || this.fromhost === null) return;
    const ch = this.events.input();
    if (ch < 0) return;
    this.pendingRead = false;
    this.respond(1, 0, 0x100 | ch);
  }

  private process(): void {
    const lo = this.word(this.tohost);
    const hi = this.word(this.tohost + 4);
    if (lo === 0 && hi === 0) return;
    this.mem.writeU32(this.tohost, 0, "debug");
    this.mem.writeU32(this.tohost + 4, 0, "debug");
    const device = hi >>> 24;
    const command = (hi >>> 16) & 0xff;
    const payload = (hi & 0xffff) * 0x1_0000_0000 + lo;
    if (device === 0 && command === 0) {
      if (payload % 2 === 1) this.events.exit(Math.floor(payload / 2));
      else this.syscall(lo);
    } else if (device === 1 && command === 1) {
      this.events.output(lo & 0xff);
      this.respond(1, 1, 0x100 | (lo & 0xff));
    } else if (device === 1 && command === 0) {
      this.pendingRead = true;
      this.poll();
    }
  }

  /** riscv-tests / riscv-pk "magic memory" system call: `magic` points to uint64 words
   *  {number, arg0, arg1, arg2, …}; the result goes to the first word. */
  private syscall(magic: number): void {
    // The words a call needs must be in RAM: {number} for any call, {number, fd, buf, len} for
    // write, {number, code} for exit; the result goes to the first.
    const words = (n: number): DataView | null => {
      const block = this.mem.read(magic, 8 * n, "read");
      return block && this.mem.contains(magic, 8, "write") ? new DataView(block.buffer) : null;
    };
    const head = words(1);
    const which = head?.getUint32(0, true);
    const view = which === SYS_WRITE ? words(4) : which === SYS_EXIT ? words(2) : head;
    if (!view) {
      this.events.fault(`HTIF system call block at 0x${magic.toString(16)} is outside the partition's RAM`);
      return;
    }
    const arg = (i: number) => view.getUint32(8 * i, true);
    let result: number;
    if (which === SYS_WRITE) {
      const fd = arg(1);
      const buf = arg(2);
      // The whole buffer must be the partition's; then at most MAX_WRITE bytes of it go out.
      const len = Math.min(arg(3), MAX_WRITE);
      const bytes = (fd === 1 || fd === 2) && this.mem.contains(buf, arg(3), "read") ? this.mem.read(buf, len, "read") : null;
      if (fd !== 1 && fd !== 2) {
        result = -EBADF;
      } else if (!bytes) {
        result = -EFAULT;
      } else {
        for (const b of bytes) this.events.output(b);
        result = len;
      }
    } else if (which === SYS_EXIT) {
      this.events.exit(arg(1));
      return;
    } else {
      result = -ENOSYS;
    }
    this.mem.writeU32(magic, result, "write");
    this.mem.writeU32(magic + 4, result < 0 ? -1 : 0, "write");
    this.respond(0, 0, 1);
  }

  private respond(device: number, command: number, payload: number): void {
    if (this.fromhost === null) return;
    this.mem.writeU32(this.fromhost, payload, "debug");
    this.mem.writeU32(this.fromhost + 4, (device << 24) | (command << 16), "debug");
  }
}
