// Files into and out of a running guest: the host's side of the guest's file agent
// (guests/linux/userland/cmd/wvagent.c), over the partition's "file-agent" device, a virtio
// console of its own (so the agent never shares a channel with the user's console). The design,
// and why it is so, in docs/files.md.
//
// Protocol (bytes both ways, the agent's tty in raw mode). The agent says "WVAGENT 1\n" when it
// starts; until then requests wait here, unsent. Then one request at a time:
//   W <len> <mode, octal> <path>\n <len bytes>   →  OK 0\n
//   R <path>\n                                   →  OK <len>\n <len bytes>
//   L <path>\n                                   →  OK <len>\n "<f|d|l|o> <size> <name>\n"...
// or ERR <ENAME> <message>\n for any of them.
//
// Requests are answered as the guest runs (hv.run or hv.step drive it): each method returns a
// promise, settled when the answer has arrived. Sizes are bounded on both sides: a file of at
// most MAX_AGENT_FILE bytes, a listing of at most MAX_AGENT_LIST bytes; the host refuses a
// longer answer as a protocol error rather than buffering it.

import { guestPathProblem } from "../loader/cpio.js";

/** The largest file read or written through the agent (the agent's buffer, wvagent.c MAX_FILE). */
export const MAX_AGENT_FILE = 1024 * 1024;
/** The largest directory listing the agent sends (wvagent.c MAX_LIST). */
export const MAX_AGENT_LIST = 64 * 1024;
/** The longest answer line the host takes ("OK n", "ERR ENAME message"). */
const MAX_ANSWER_LINE = 512;

/**
 * Why a request failed. `code`: "no-agent" (the partition has no file-agent device),
 * "too-large" (over MAX_AGENT_FILE, refused before anything was sent), "bad-path", "stopped"
 * (the partition stopped or restarted before the answer), "protocol" (the agent said something
 * that is not an answer), or the guest's errno name ("ENOENT", "EISDIR", "EFBIG", ...).
 */
export class FileAgentError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = "FileAgentError";
  }
}

/** One entry of a guest directory. `size` is 0 for anything but a regular file. */
export interface GuestDirEntry {
  name: string;
  type: "file" | "dir" | "link" | "other";
  size: number;
}

interface Request {
  what: string;
  bytes: Uint8Array;
  resolve: (answer: Uint8Array) => void;
  reject: (err: FileAgentError) => void;
  limit: number;
}

const TYPES: Record<string, GuestDirEntry["type"]> = { f: "file", d: "dir", l: "link", o: "other" };

export class FileAgent {
  private readonly queue: Request[] = [];
  private current: Request | null = null;
  private ready_ = false;
  /** The answer line so far, or the answer's data while `data` is set. */
  private line: number[] = [];
  private data: Uint8Array | null = null;
  private filled = 0;

  /** `send` gives bytes to the agent's device; `present`: the partition has the device. */
  constructor(readonly partition: string, private readonly present: boolean, private readonly send: (bytes: Uint8Array) => void) {}

  /** True once the agent has said it runs (requests made before wait for it). */
  get ready(): boolean {
    return this.ready_;
  }

  /** Write `data` to the guest file `path` (created, or truncated), with `mode` (default 0644). */
  async write(path: string, data: Uint8Array | string, options: { mode?: number } = {}): Promise<void> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    this.check(path, false);
    if (bytes.length > MAX_AGENT_FILE) throw new FileAgentError("too-large", `${this.partition}:${path}: ${bytes.length} bytes, more than the agent takes (${MAX_AGENT_FILE})`);
    const mode = options.mode ?? 0o644;
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new RangeError(`mode ${mode}: permission bits, 0 to 0o7777`);
    const head = new TextEncoder().encode(`W ${bytes.length} ${mode.toString(8)} ${path}\n`);
    const request = new Uint8Array(head.length + bytes.length);
    request.set(head);
    request.set(bytes, head.length);
    await this.request(`write ${path}`, request, 0);
  }

  /** The whole guest file `path`. */
  async read(path: string): Promise<Uint8Array> {
    this.check(path, false);
    return this.request(`read ${path}`, new TextEncoder().encode(`R ${path}\n`), MAX_AGENT_FILE);
  }

  /** The entries of guest directory `dir` (without . and ..), sorted by name. */
  async list(dir: string): Promise<GuestDirEntry[]> {
    this.check(dir, true);
    const text = new TextDecoder().decode(await this.request(`list ${dir}`, new TextEncoder().encode(`L ${dir}\n`), MAX_AGENT_LIST));
    const entries: GuestDirEntry[] = [];
    for (const line of text.split("\n")) {
      if (!line) continue;
      const m = /^([fdlo]) (\d+) (.+)$/.exec(line);
      if (!m) throw new FileAgentError("protocol", `${this.partition}: the file agent listed ${JSON.stringify(line.slice(0, 80))}`);
      entries.push({ name: m[3], type: TYPES[m[1]], size: Number(m[2]) });
    }
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private check(path: string, dir: boolean): void {
    if (!this.present) {
      throw new FileAgentError("no-agent", `partition "${this.partition}" has no file agent: add "file-agent" to its devices (and boot the project's Linux userland, whose init starts the agent)`);
    }
    const problem = dir && path === "/" ? null : guestPathProblem(path);
    if (problem) throw new FileAgentError("bad-path", `guest path "${path}" ${problem}`);
  }

  private request(what: string, bytes: Uint8Array, limit: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.queue.push({ what, bytes, resolve, reject, limit });
      this.next();
    });
  }

  private next(): void {
    if (this.current || !this.ready_) return;
    this.current = this.queue.shift() ?? null;
    if (this.current) this.send(this.current.bytes);
  }

  /** A byte from the agent (the board's file-agent device calls this). */
  received(byte: number): void {
    if (this.data) {
      this.data[this.filled++] = byte;
      if (this.filled === this.data.length) this.answered(this.data);
      return;
    }
    if (byte !== 0x0a) {
      if (this.line.length < MAX_ANSWER_LINE) this.line.push(byte);
      return;
    }
    const line = new TextDecoder().decode(new Uint8Array(this.line));
    this.line = [];
    if (line === "WVAGENT 1") {
      // (a restarted agent: whatever was in flight is lost with the one before)
      this.fail(this.current, new FileAgentError("stopped", `${this.partition}: the file agent started again before answering`));
      this.current = null;
      this.ready_ = true;
      this.next();
      return;
    }
    const req = this.current;
    if (!req) return; // (nothing asked: not an answer, dropped)
    const ok = /^OK (\d+)$/.exec(line);
    const err = /^ERR (E[A-Z0-9]+) (.*)$/.exec(line);
    if (ok) {
      const n = Number(ok[1]);
      if (n > req.limit) {
        this.current = null;
        this.fail(req, new FileAgentError("protocol", `${this.partition}: ${req.what}: the agent answers with ${n} bytes, more than ${req.limit}`));
        this.ready_ = false; // (its stream is out of step now: wait for it to start again)
        return;
      }
      if (n === 0) this.answered(new Uint8Array(0));
      else {
        this.data = new Uint8Array(n);
        this.filled = 0;
      }
    } else if (err) {
      this.current = null;
      this.fail(req, new FileAgentError(err[1], `${this.partition}: ${req.what}: ${err[2]} (${err[1]})`));
      this.next();
    } else {
      this.current = null;
      this.fail(req, new FileAgentError("protocol", `${this.partition}: ${req.what}: the file agent said ${JSON.stringify(line.slice(0, 80))}`));
      this.next();
    }
  }

  private answered(bytes: Uint8Array): void {
    const req = this.current!;
    this.current = null;
    this.data = null;
    req.resolve(bytes);
    this.next();
  }

  private fail(req: Request | null, err: FileAgentError): void {
    req?.reject(err);
  }

  /** The partition stopped or starts again: every request waiting fails; the next agent says
   *  when it is ready. */
  reset(reason: string): void {
    const all = [...(this.current ? [this.current] : []), ...this.queue.splice(0)];
    this.current = null;
    this.ready_ = false;
    this.line = [];
    this.data = null;
    for (const r of all) r.reject(new FileAgentError("stopped", `${this.partition}: ${r.what}: ${reason}`));
  }
}
