// RISC-V semihosting, the host's side: the operations of Arm's semihosting specification
// ("Semihosting for AArch32 and AArch64", 32-bit field size on RV32) as QEMU 7.2 answers them
// for `qemu-system-riscv32 -semihosting` (semihosting/arm-compat-semi.c, syscalls.c), with the
// host's files confined to one directory. The core recognises the call (assembly/kernel/
// semihost.ts) and forwards it here: a0 = operation, a1 = parameter; the result goes to a0.
//
// What differs from QEMU, deliberately (docs/machine.md: Semihosting):
// - Files live in the partition's directory (SemihostFiles): absolute names, ".." and symlinks
//   that lead out of it fail with -1 and errno EACCES. SYS_SYSTEM is refused (-1, EPERM),
//   SYS_TMPNAM names a file in the directory ("tmpNN"), and an unknown operation returns -1
//   with ENOSYS (QEMU aborts the emulator).
// - Append modes ("a", "a+") append (QEMU 7.2 opens them without O_APPEND and writes from the
//   start of the file).
// - The console is the partition's console: ":tt" handles and SYS_WRITEC/WRITE0 write to its
//   output (QEMU: stdout for ":tt", the semihosting chardev or stderr for WRITEC/WRITE0), and
//   reads take the partition's console input, the queue the UART reads (QEMU: its stdin, and the
//   chardev). SYS_ISTTY says 1 for ":tt" whatever the host's stdout is.
// - Time is the partition's own (PartitionTime): SYS_CLOCK (centiseconds) and SYS_ELAPSED
//   (nanoseconds; SYS_TICKFREQ is 10^9 as on QEMU) count from the partition's start in its
//   virtual time; SYS_TIME is its RTC's seconds (the rtcEpoch in deterministic runs).
// - Bounded work: one SYS_READ/SYS_WRITE moves at most MAX_IO bytes and returns the count not
//   moved (the specification's short transfer); a SYS_WRITE0 string longer than MAX_IO is
//   written MAX_IO bytes per exit (the core executes the call again: HOSTREQ_RETRY); names are
//   at most MAX_NAME bytes; at most MAX_OPEN handles are open at once (EMFILE).
// - Buffers are checked whole before anything moves (a length of 2^32 - 1, or a buffer outside
//   the partition's memory, fails at once: EFAULT). With the guest's address translation on,
//   addresses are virtual (as on QEMU) and a buffer is checked page by page, at most
//   MAX_TRANSLATED bytes (longer ones fail with EFAULT).

import type { GuestMemory, MemoryAccess } from "../vmm/guest-memory.js";
import { concatBytes } from "./byte-queue.js";

// Operation numbers.
export const SYS_OPEN = 0x01;
export const SYS_CLOSE = 0x02;
export const SYS_WRITEC = 0x03;
export const SYS_WRITE0 = 0x04;
export const SYS_WRITE = 0x05;
export const SYS_READ = 0x06;
export const SYS_READC = 0x07;
export const SYS_ISERROR = 0x08;
export const SYS_ISTTY = 0x09;
export const SYS_SEEK = 0x0a;
export const SYS_FLEN = 0x0c;
export const SYS_TMPNAM = 0x0d;
export const SYS_REMOVE = 0x0e;
export const SYS_RENAME = 0x0f;
export const SYS_CLOCK = 0x10;
export const SYS_TIME = 0x11;
export const SYS_SYSTEM = 0x12;
export const SYS_ERRNO = 0x13;
export const SYS_GET_CMDLINE = 0x15;
export const SYS_HEAPINFO = 0x16;
export const SYS_EXIT = 0x18;
export const SYS_EXIT_EXTENDED = 0x20;
export const SYS_ELAPSED = 0x30;
export const SYS_TICKFREQ = 0x31;

/** SYS_EXIT's "application exit" reason (ADP_Stopped_ApplicationExit): success. */
export const ADP_STOPPED_APPLICATION_EXIT = 0x20026;

/** errno values as the guest sees them: Linux's, as QEMU on Linux passes on. */
export const Errno = {
  EPERM: 1, ENOENT: 2, EBADF: 9, EACCES: 13, EFAULT: 14, EEXIST: 17, ENOTDIR: 20, EISDIR: 21,
  EINVAL: 22, EMFILE: 24, ENOTTY: 25, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, E2BIG: 7,
  ENAMETOOLONG: 36, ENOSYS: 38, ENOTEMPTY: 39, EIO: 5,
} as const;

/** The most bytes one SYS_READ, SYS_WRITE or SYS_WRITE0 exit moves. */
export const MAX_IO = 64 * 1024;
/** Handles open at once per partition (":tt" and ":semihosting-features" included). */
export const MAX_OPEN = 16;
/** The longest file name, terminating NUL included (Linux's PATH_MAX). */
export const MAX_NAME = 4096;
/** The longest buffer checked page by page while the guest translates addresses. */
export const MAX_TRANSLATED = 16 * 1024 * 1024;

/** The ":semihosting-features" file: magic "SHFB", then feature byte 0 with
 *  SH_EXT_EXIT_EXTENDED (bit 0) and SH_EXT_STDOUT_STDERR (bit 1), as QEMU offers. */
const FEATURES = Uint8Array.of(0x53, 0x48, 0x46, 0x42, 0x03);

/** How SYS_OPEN's modes 0-11 (fopen's "r", "rb", "r+", "r+b", "w", … "a+b") open a file. */
export interface OpenMode {
  read: boolean;
  write: boolean;
  create: boolean;
  truncate: boolean;
  append: boolean;
}

export function openMode(mode: number): OpenMode {
  const kind = mode >> 2; // 0 r, 1 w, 2 a
  const plus = (mode & 2) !== 0;
  return {
    read: kind === 0 || plus,
    write: kind !== 0 || plus,
    create: kind !== 0,
    truncate: kind === 1,
    append: kind === 2,
  };
}

/** An open host file. Errors are thrown as SemihostError (or anything with a `code` such as
 *  Node's "ENOENT", which errnoOf() maps). */
export interface SemihostFile {
  /** Read up to into.length bytes at `position`; the count (0 at the end). */
  read(into: Uint8Array, position: number): number;
  /** Write `data` at `position` (at the end for a file opened to append); the count. */
  write(data: Uint8Array, position: number): number;
  size(): number;
  close(): void;
}

/** The directory a partition's semihosting files live in (src/node/semihost-dir.ts on Node). */
export interface SemihostFiles {
  /** Open `name` (relative to the directory) as `mode` says. */
  open(name: string, mode: OpenMode): SemihostFile;
  remove(name: string): void;
  rename(from: string, to: string): void;
}

/** An error with the errno the guest sees. */
export class SemihostError extends Error {
  constructor(readonly errno: number, message = `errno ${errno}`) {
    super(message);
  }
}

/** The errno for a thrown error: SemihostError's own, a Node error's code, else EIO. */
export function errnoOf(err: unknown): number {
  if (err instanceof SemihostError) return err.errno;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code in Errno) return Errno[code as keyof typeof Errno];
  return Errno.EIO;
}

/** What the partition's board gives its semihosting. */
export interface SemihostingHost {
  /** The partition's memory (the one gate). */
  memory: GuestMemory;
  /** Guest-physical address of virtual address `va` as the hart sees it now (itself when it does
   *  not translate), -1 if unmapped; `translating` says whether it translates now. */
  translating(): boolean;
  translate(va: number): number;
  /** A register of the calling hart (the stack pointer, for SYS_READC). */
  register(r: number): number;
  /** The directory of the partition's files (null: none, every name fails with ENOENT). */
  files: SemihostFiles | null;
  output(bytes: Uint8Array): void;
  /** The next console input byte, -1 when none is queued. */
  input(): number;
  /** More console input may still come (a pipe or terminal that is still open): a read that
   *  finds none waits for it; otherwise it sees the end of input. */
  inputOpen(): boolean;
  /** The partition's own time in nanoseconds since it started (its mtime × 100). */
  elapsedNs(): bigint;
  /** Seconds since 1970 (its RTC). */
  timeSeconds(): number;
  /** SYS_GET_CMDLINE's answer. */
  cmdline(): string;
  /** SYS_HEAPINFO's answer: heap base and limit (the stack is the same range, top down). */
  heap(): { base: number; limit: number };
  /** The guest ended with `status` (SYS_EXIT, SYS_EXIT_EXTENDED). */
  exit(status: number, message: string): void;
  /** Ask the core to execute the call again (HOSTREQ_RETRY): more work than one exit may do. */
  retry(): void;
}

type Handle =
  | { kind: "console" }
  | { kind: "features"; pos: number }
  | { kind: "file"; file: SemihostFile; pos: number; append: boolean; read: boolean; write: boolean };

/** Thrown inside a call: a parameter block or buffer the guest may not name (-1, EFAULT). */
class Fault extends Error {}

export class Semihosting {
  /** The last error of a failing call (SYS_ERRNO); calls that succeed leave it alone. */
  errno = 0;
  private readonly handles = new Map<number, Handle>();
  /** A SYS_WRITE0 string being written in pieces: its address and how much is out. */
  private write0: { at: number; done: number } | null = null;
  /** The last call waits for console input (set by a call, cleared by the next). */
  waitingForInput = false;

  constructor(private readonly h: SemihostingHost) {}

  /** Serve operation `op` with parameter `arg`; returns a0 (an unsigned 32-bit value). */
  call(op: number, arg: number): number {
    op >>>= 0;
    arg >>>= 0;
    if (op !== SYS_WRITE0) this.write0 = null;
    this.waitingForInput = false;
    try {
      return this.serve(op, arg) >>> 0;
    } catch (err) {
      if (!(err instanceof Fault)) throw err;
      this.errno = Errno.EFAULT;
      return 0xffffffff;
    }
  }

  /** Close every host file (the partition ended or is being reloaded). */
  closeAll(): void {
    for (const h of this.handles.values()) {
      if (h.kind === "file") {
        try {
          h.file.close();
        } catch {
          // closing is best effort: the file is forgotten either way
        }
      }
    }
    this.handles.clear();
    this.write0 = null;
  }

  /** Open handles (for tests and statistics). */
  get openCount(): number {
    return this.handles.size;
  }

  private fail(errno: number, value = -1): number {
    this.errno = errno;
    return value;
  }

  // ── Guest memory (virtual addresses when the hart translates) ─────────────────────────────

  /** [va, va + length) as guest-physical spans [pa, offset, length], or null if any byte is
   *  out of reach for `access`. */
  private spans(va: number, length: number, access: MemoryAccess): Array<[number, number, number]> | null {
    va >>>= 0;
    if (!this.h.translating()) {
      if (va + length > 2 ** 32 || !this.h.memory.contains(va, length, access)) return null;
      return length === 0 ? [] : [[va, 0, length]];
    }
    if (length > MAX_TRANSLATED || va + length > 2 ** 32) return null;
    const spans: Array<[number, number, number]> = [];
    for (let done = 0; done < Math.max(length, 1);) {
      const at = va + done;
      const n = Math.min(Math.max(length, 1) - done, 4096 - (at & 4095));
      const pa = this.h.translate(at);
      if (pa < 0 || !this.h.memory.contains(pa, n, access)) return null;
      if (length > 0) spans.push([pa, done, n]);
      done += n;
    }
    return spans;
  }

  private readable(va: number, length: number): boolean {
    return this.spans(va, length, "read") !== null;
  }

  private writable(va: number, length: number): boolean {
    return this.spans(va, length, "write") !== null;
  }

  private read(va: number, length: number): Uint8Array {
    const spans = this.spans(va, length, "read");
    if (!spans) throw new Fault();
    const out = new Uint8Array(length);
    for (const [pa, at, n] of spans) out.set(this.h.memory.read(pa, n, "read")!, at);
    return out;
  }

  private write(va: number, data: Uint8Array): void {
    const spans = this.spans(va, data.length, "write");
    if (!spans) throw new Fault();
    for (const [pa, at, n] of spans) this.h.memory.write(pa, data.subarray(at, at + n), "write");
  }

  private word(va: number): number {
    const b = this.read(va, 4);
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  }

  private setWord(va: number, value: number): void {
    this.write(va, Uint8Array.of(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff));
  }

  /** Field i of the parameter block at `block` (GET_ARG: a fault fails the call, EFAULT). */
  private args(block: number, count: number): number[] {
    const bytes = this.read(block, 4 * count);
    const view = new DataView(bytes.buffer);
    return Array.from({ length: count }, (_, i) => view.getUint32(4 * i, true));
  }

  /** The NUL-terminated string at va, at most `max` bytes before the NUL: null when it is
   *  longer; a Fault when memory ends first. Read a page at a time. */
  private cstring(va: number, max: number): Uint8Array | null {
    const parts: Uint8Array[] = [];
    let length = 0;
    for (let at = va >>> 0; length <= max;) {
      const n = Math.min(4096 - (at & 4095), max + 1 - length);
      const chunk = this.read(at, n); // throws Fault if the page is out of reach
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        parts.push(chunk.subarray(0, nul));
        return concatBytes(parts);
      }
      parts.push(chunk);
      length += n;
      at += n;
      if (at >= 2 ** 32) throw new Fault();
    }
    return null;
  }

  /**
   * A file name given as {address, length without the NUL} (QEMU's validate_strlen with
   * length + 1): the byte at address + length must be the NUL (EINVAL otherwise); the name is
   * the C string (up to its first NUL). Returns the name or an errno.
   */
  private name(at: number, length: number): string | number {
    const total = length + 1;
    if (total > MAX_NAME || length >= 2 ** 32 - 1) return Errno.ENAMETOOLONG;
    const bytes = this.spans(at, total, "read") ? this.read(at, total) : null;
    if (!bytes) return Errno.EFAULT;
    if (bytes[length] !== 0) return Errno.EINVAL;
    const nul = bytes.indexOf(0);
    return new TextDecoder().decode(bytes.subarray(0, nul));
  }

  private allocHandle(h: Handle): number {
    if (this.handles.size >= MAX_OPEN) return -1;
    let fd = 1; // SYS_OPEN returns a nonzero handle (QEMU starts at 1 too)
    while (this.handles.has(fd)) fd++;
    this.handles.set(fd, h);
    return fd;
  }

  // ── The operations ─────────────────────────────────────────────────────────────────────────

  private serve(op: number, arg: number): number {
    switch (op) {
      case SYS_OPEN: return this.open(arg);
      case SYS_CLOSE: {
        const [fd] = this.args(arg, 1);
        const h = this.handles.get(fd);
        if (!h) return this.fail(Errno.EBADF);
        this.handles.delete(fd);
        if (h.kind === "file") {
          try {
            h.file.close();
          } catch (err) {
            return this.fail(errnoOf(err));
          }
        }
        return 0;
      }
      case SYS_WRITEC: {
        // The byte at address a1; QEMU answers 0xdeadbeef (no defined result), also on a fault.
        if (this.readable(arg, 1)) this.h.output(this.read(arg, 1));
        return 0xdeadbeef;
      }
      case SYS_WRITE0: return this.writeString(arg);
      case SYS_WRITE: return this.transfer(arg, "write");
      case SYS_READ: return this.transfer(arg, "read");
      case SYS_READC: {
        // QEMU reads the byte into the guest's stack, just below sp, and returns it from there.
        const c = this.h.input();
        if (c < 0) return this.waitForInput() ?? this.fail(Errno.EIO); // (else end of input)
        const sp = (this.h.register(2) - 1) >>> 0;
        if (!this.writable(sp, 1)) return this.fail(Errno.EFAULT);
        this.write(sp, Uint8Array.of(c));
        return c;
      }
      case SYS_ISERROR: {
        const [value] = this.args(arg, 1);
        return (value | 0) < 0 ? 1 : 0;
      }
      case SYS_ISTTY: {
        const [fd] = this.args(arg, 1);
        const h = this.handles.get(fd);
        if (!h) return this.fail(Errno.EBADF);
        if (h.kind === "console") return 1;
        this.errno = Errno.ENOTTY;
        return 0;
      }
      case SYS_SEEK: {
        const [fd, pos] = this.args(arg, 2);
        const h = this.handles.get(fd);
        if (!h) return this.fail(Errno.EBADF);
        if (h.kind === "console") return this.fail(Errno.ESPIPE);
        if (h.kind === "features") {
          if (pos > FEATURES.length) return this.fail(Errno.EINVAL);
          h.pos = pos;
          return 0;
        }
        h.pos = pos; // (beyond the end is allowed: a later write leaves a hole)
        return 0;
      }
      case SYS_FLEN: {
        const [fd] = this.args(arg, 1);
        const h = this.handles.get(fd);
        if (!h) return this.fail(Errno.EBADF);
        if (h.kind === "console") return 0;
        if (h.kind === "features") return FEATURES.length;
        try {
          return h.file.size();
        } catch (err) {
          return this.fail(errnoOf(err));
        }
      }
      case SYS_TMPNAM: {
        const [buf, id, length] = this.args(arg, 3);
        const name = new TextEncoder().encode(`tmp${(id & 0xff).toString(16).padStart(2, "0")}\0`);
        if (name.length > length) return -1;
        this.write(buf, name);
        return 0;
      }
      case SYS_REMOVE: {
        const [at, length] = this.args(arg, 2);
        const name = this.name(at, length);
        if (typeof name === "number") return this.fail(name);
        return this.fileOp(() => this.dir().remove(name));
      }
      case SYS_RENAME: {
        const [from, fromLength, to, toLength] = this.args(arg, 4);
        const a = this.name(from, fromLength);
        if (typeof a === "number") return this.fail(a);
        const b = this.name(to, toLength);
        if (typeof b === "number") return this.fail(b);
        return this.fileOp(() => this.dir().rename(a, b));
      }
      case SYS_CLOCK: return Number(this.h.elapsedNs() / 10_000_000n) >>> 0; // centiseconds
      case SYS_TIME: return this.h.timeSeconds() >>> 0;
      case SYS_SYSTEM: {
        this.args(arg, 2); // (a block the guest may not name is still EFAULT)
        return this.fail(Errno.EPERM); // never: a guest runs no host command
      }
      case SYS_ERRNO: return this.errno;
      case SYS_GET_CMDLINE: {
        const [buf, size] = this.args(arg, 2);
        const line = new TextEncoder().encode(`${this.h.cmdline()}\0`);
        if (line.length > size) return this.fail(Errno.E2BIG);
        this.setWord((arg + 4) >>> 0, line.length - 1);
        this.write(buf, line);
        return 0;
      }
      case SYS_HEAPINFO: {
        const [block] = this.args(arg, 1);
        const { base, limit } = this.h.heap();
        // heap base, heap limit, stack base, stack limit (QEMU: the same range both ways)
        const out = new Uint8Array(16);
        const view = new DataView(out.buffer);
        [base, limit, limit, base].forEach((v, i) => view.setUint32(4 * i, v >>> 0, true));
        this.write(block, out);
        return 0;
      }
      case SYS_EXIT: {
        // RV32: a1 is the reason itself; only "application exit" is success (status 1 otherwise).
        const status = arg === ADP_STOPPED_APPLICATION_EXIT ? 0 : 1;
        this.h.exit(status, status === 0 ? "passed (semihosting SYS_EXIT)" : `failed (semihosting SYS_EXIT, reason 0x${arg.toString(16)})`);
        return 0;
      }
      case SYS_EXIT_EXTENDED: {
        const [reason, code] = this.args(arg, 2);
        const status = reason === ADP_STOPPED_APPLICATION_EXIT ? code : 1;
        this.h.exit(status, status === 0
          ? "passed (semihosting SYS_EXIT_EXTENDED)"
          : `failed (semihosting SYS_EXIT_EXTENDED, ${reason === ADP_STOPPED_APPLICATION_EXIT ? `status ${code}` : `reason 0x${reason.toString(16)}`})`);
        return 0;
      }
      case SYS_ELAPSED: {
        const ns = this.h.elapsedNs() & 0xffff_ffff_ffff_ffffn;
        const out = new Uint8Array(8);
        new DataView(out.buffer).setBigUint64(0, ns, true);
        this.write(arg, out);
        return 0;
      }
      case SYS_TICKFREQ: return 1_000_000_000;
      default: return this.fail(Errno.ENOSYS);
    }
  }

  /** Console input is empty but more may come: the call waits (the core executes it again
   *  later; waitingForInput tells the run loop it may wait for input first). null: it will not
   *  come, the call sees the end of input. */
  private waitForInput(): number | null {
    if (!this.h.inputOpen()) return null;
    this.waitingForInput = true;
    this.h.retry();
    return 0;
  }

  private dir(): SemihostFiles {
    if (!this.h.files) throw new SemihostError(Errno.ENOENT, "no semihosting directory");
    return this.h.files;
  }

  private fileOp(op: () => void): number {
    try {
      op();
      return 0;
    } catch (err) {
      return this.fail(errnoOf(err));
    }
  }

  private open(arg: number): number {
    const [at, mode, length] = this.args(arg, 3);
    const cname = this.cstring(at, MAX_NAME - 1);
    if (!cname) return this.fail(Errno.ENAMETOOLONG);
    if (mode >= 12) return this.fail(Errno.EINVAL);
    const special = new TextDecoder().decode(cname);
    if (special === ":tt") {
      // SH_EXT_STDOUT_STDERR: read = stdin, write = stdout, append = stderr: all the console.
      const fd = this.allocHandle({ kind: "console" });
      return fd < 0 ? this.fail(Errno.EMFILE) : fd;
    }
    if (special === ":semihosting-features") {
      if (mode !== 0 && mode !== 1) return this.fail(Errno.EACCES);
      const fd = this.allocHandle({ kind: "features", pos: 0 });
      return fd < 0 ? this.fail(Errno.EMFILE) : fd;
    }
    const name = this.name(at, length);
    if (typeof name === "number") return this.fail(name);
    if (this.handles.size >= MAX_OPEN) return this.fail(Errno.EMFILE);
    const how = openMode(mode);
    let file: SemihostFile;
    try {
      file = this.dir().open(name, how);
    } catch (err) {
      return this.fail(errnoOf(err));
    }
    return this.allocHandle({ kind: "file", file, pos: 0, append: how.append, read: how.read, write: how.write });
  }

  /** SYS_WRITE / SYS_READ {handle, buffer, length}: returns the bytes NOT moved (the whole
   *  length on an error, with errno set), as the specification and QEMU do. */
  private transfer(arg: number, dir: "read" | "write"): number {
    const [fd, buf, length] = this.args(arg, 3);
    const h = this.handles.get(fd);
    if (!h) return this.fail(Errno.EBADF, length);
    // QEMU bounds the length to INT32_MAX, then the whole buffer must be the guest's.
    const want = Math.min(length, 0x7fffffff);
    if (h.kind === "features") {
      if (dir === "write") return this.fail(Errno.EBADF, length);
      const n = Math.min(want, FEATURES.length - h.pos);
      if (!this.writable(buf, n)) return this.fail(Errno.EFAULT, length);
      this.write(buf, FEATURES.subarray(h.pos, h.pos + n));
      h.pos += n;
      return length - n;
    }
    if (!(dir === "write" ? this.readable(buf, want) : this.writable(buf, want))) return this.fail(Errno.EFAULT, length);
    const n = Math.min(want, MAX_IO);
    if (h.kind === "console") {
      if (dir === "write") {
        this.h.output(this.read(buf, n));
        return length - n;
      }
      const got: number[] = [];
      while (got.length < n) {
        const c = this.h.input();
        if (c < 0) break;
        got.push(c);
      }
      if (got.length === 0 && n > 0) {
        const waiting = this.waitForInput();
        if (waiting !== null) return waiting;
      }
      this.write(buf, Uint8Array.from(got));
      return length - got.length;
    }
    if (dir === "write" ? !h.write : !h.read) return this.fail(Errno.EBADF, length);
    try {
      if (dir === "write") {
        const done = h.file.write(this.read(buf, n), h.pos);
        h.pos = h.append ? h.file.size() : h.pos + done;
        return length - done;
      }
      const into = new Uint8Array(n);
      const done = h.file.read(into, h.pos);
      h.pos += done;
      this.write(buf, into.subarray(0, done));
      return length - done;
    } catch (err) {
      return this.fail(errnoOf(err), length);
    }
  }

  /** SYS_WRITE0: the NUL-terminated string at `at` to the console. Memory that ends before the
   *  NUL writes nothing (QEMU's EFAULT, without an errno); a string longer than MAX_IO goes out
   *  MAX_IO bytes per exit. */
  private writeString(at: number): number {
    const from = this.write0?.at === at ? this.write0.done : 0;
    this.write0 = null;
    let chunk: Uint8Array | null;
    try {
      chunk = this.cstring((at + from) >>> 0, MAX_IO);
    } catch (err) {
      if (err instanceof Fault) return 0xdeadbeef;
      throw err;
    }
    if (chunk === null) {
      // No NUL within MAX_IO bytes: this piece now, the rest when the call comes again.
      this.h.output(this.read((at + from) >>> 0, MAX_IO));
      this.write0 = { at, done: from + MAX_IO };
      this.h.retry();
      return 0;
    }
    if (chunk.length > 0) this.h.output(chunk);
    return 0xdeadbeef;
  }
}
