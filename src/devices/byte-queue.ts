// A first-in first-out queue of bytes: console input waiting for a device to take it (UART
// receive, virtio-console receive, SBI console reads). Pushing and taking cost O(1) per byte
// whatever the queue holds, so input of any size (a file given with --input, a paste) never
// makes a device slow down; the consumed front is dropped in amortised O(1).

export class ByteQueue {
  private bytes: number[] = [];
  private head = 0;

  get length(): number {
    return this.bytes.length - this.head;
  }

  push(bytes: Iterable<number>): void {
    for (const b of bytes) this.bytes.push(b & 0xff);
  }

  /** The next byte, or -1 when the queue is empty. */
  shift(): number {
    if (this.head === this.bytes.length) return -1;
    const b = this.bytes[this.head++];
    this.compact();
    return b;
  }

  /** Up to `n` bytes from the front. */
  take(n: number): Uint8Array {
    const count = Math.max(0, Math.min(n, this.length));
    const out = Uint8Array.from(this.bytes.slice(this.head, this.head + count));
    this.head += count;
    this.compact();
    return out;
  }

  /** The bytes waiting, front first (a copy). */
  peekAll(): Uint8Array {
    return Uint8Array.from(this.bytes.slice(this.head));
  }

  /** Replace the contents (a snapshot's restore). */
  replace(bytes: Uint8Array): void {
    this.bytes = Array.from(bytes);
    this.head = 0;
  }

  clear(): void {
    this.bytes = [];
    this.head = 0;
  }

  private compact(): void {
    if (this.head === this.bytes.length) {
      this.bytes = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.bytes.length) {
      this.bytes = this.bytes.slice(this.head);
      this.head = 0;
    }
  }
}

/** The last `capacity` bytes pushed (older ones fall off): a console's recent history. */
export class ByteRing {
  private readonly buf: Uint8Array;
  private length = 0;
  private end = 0;

  constructor(readonly capacity: number) {
    this.buf = new Uint8Array(capacity);
  }

  push(data: Uint8Array): void {
    const from = Math.max(0, data.length - this.capacity);
    for (let i = from; i < data.length; i++) {
      this.buf[this.end] = data[i];
      this.end = (this.end + 1) % this.capacity;
    }
    this.length = Math.min(this.capacity, this.length + data.length - from);
  }

  /** What it holds, oldest first. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    const start = (this.end - this.length + this.capacity) % this.capacity;
    for (let i = 0; i < this.length; i++) out[i] = this.buf[(start + i) % this.capacity];
    return out;
  }
}

/** The byte arrays one after the other, in one (the first itself when it is the only one). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
