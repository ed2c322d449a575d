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
/** How long a request may wait for its answer, by default: seconds of virtual time from the
 *  call (a Linux boot to the agent's hello takes about 0.1 s, a 1 MiB write 0.7 s). */
export const AGENT_TIMEOUT = 60;

/** Per-request options: `timeout` in seconds of virtual time (default AGENT_TIMEOUT). */
export interface AgentRequestOptions {
  timeout?: number;
}

/**
 * Why a request failed. `code`: "no-agent" (the partition has no file-agent device),
 * "too-large" (over MAX_AGENT_FILE, refused before anything was sent), "bad-path", "stopped"
 * (the partition stopped or restarted before the answer), "timeout" (no answer within the
 * request's timeout), "protocol" (the agent said something that is not an answer), or the
 * guest's errno name ("ENOENT", "EISDIR", "EFBIG", ...). Text that came from the guest is in
 * the message with its control characters escaped (it may be shown on a terminal).
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
  /** The virtual time (cycles of the system clock) by which it fails with "timeout". */
  deadline: number;
}

/** Guest text made safe to show: control characters (C0, DEL, C1) as \xNN, at most 200
 *  characters. */
export function guestText(text: string): string {
  const s = text.length > 200 ? `${text.slice(0, 200)}...` : text;
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
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

  /** `send` gives bytes to the agent's device; `present`: the partition has the device; `clock`
   *  reads the system's virtual time in cycles, `cyclesPerSecond` converts timeouts to it;
   *  `stopped` says why the partition cannot answer now (or null). */
  constructor(
    readonly partition: string, private readonly present: boolean, private readonly send: (bytes: Uint8Array) => void,
    private readonly clock: () => number = () => 0, private readonly cyclesPerSecond = 10_000_000,
    /** Why the partition cannot answer now (it has stopped), or null. */
    private readonly stopped: () => string | null = () => null,
    /** Drops what was sent but has not reached the guest yet. */
    private readonly discard: () => void = () => {},
  ) {}

  /** The stream is out of step (a timeout, an announcement over the limit): nothing more is sent
   *  until the agent says it started again, and what of the last request has not reached the
   *  guest yet is dropped (a new agent must not find it; wvagent also flushes its tty's input
   *  before its hello). */
  private outOfStep(): void {
    this.ready_ = false;
    this.data = null;
    this.discard();
  }

  /** True once the agent has said it runs (requests made before wait for it). */
  get ready(): boolean {
    return this.ready_;
  }

  /** Write `data` to the guest file `path` (created, or truncated), with `mode` (default 0644). */
  async write(path: string, data: Uint8Array | string, options: { mode?: number } & AgentRequestOptions = {}): Promise<void> {
    this.check(path, false);
    if (typeof data !== "string" && !(data instanceof Uint8Array)) throw new TypeError(`${this.partition}:${path}: the data must be a Uint8Array or a string`);
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    if (bytes.length > MAX_AGENT_FILE) throw new FileAgentError("too-large", `${this.partition}:${path}: ${bytes.length} bytes, more than the agent takes (${MAX_AGENT_FILE})`);
    const mode = options.mode ?? 0o644;
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new RangeError(`mode ${mode}: permission bits, 0 to 0o7777`);
    const head = new TextEncoder().encode(`W ${bytes.length} ${mode.toString(8)} ${path}\n`);
    const request = new Uint8Array(head.length + bytes.length);
    request.set(head);
    request.set(bytes, head.length);
    await this.request(`write ${path}`, request, 0, options);
  }

  /** The whole guest file `path`. */
  async read(path: string, options: AgentRequestOptions = {}): Promise<Uint8Array> {
    this.check(path, false);
    return this.request(`read ${path}`, new TextEncoder().encode(`R ${path}\n`), MAX_AGENT_FILE, options);
  }

  /** The entries of guest directory `dir` (without . and ..), sorted by name. */
  async list(dir: string, options: AgentRequestOptions = {}): Promise<GuestDirEntry[]> {
    this.check(dir, true);
    const text = new TextDecoder().decode(await this.request(`list ${dir}`, new TextEncoder().encode(`L ${dir}\n`), MAX_AGENT_LIST, options));
    const entries: GuestDirEntry[] = [];
    for (const line of text.split("\n")) {
      if (!line) continue;
      // A name is one path component (never ".", ".." or with a "/": a caller may join it to a
      // path of its own), a size a safe integer.
      const m = /^([fdlo]) (\d{1,15}) ([^/\0]+)$/.exec(line);
      if (!m || m[3] === "." || m[3] === "..") throw new FileAgentError("protocol", `${this.partition}: list ${dir}: the file agent listed "${guestText(line)}"`);
      entries.push({ name: m[3], type: TYPES[m[1]], size: Number(m[2]) });
    }
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private check(path: string, dir: boolean): void {
    if (typeof path !== "string") throw new FileAgentError("bad-path", `guest path ${String(path)}: not a string`);
    if (!this.present) {
      throw new FileAgentError("no-agent", `partition "${this.partition}" has no file agent: add "file-agent" to its devices (and boot the project's Linux userland, whose init starts the agent)`);
    }
    const problem = dir && path === "/" ? null : guestPathProblem(path);
    if (problem) throw new FileAgentError("bad-path", `guest path "${guestText(path)}" ${problem}`);
  }

  private request(what: string, bytes: Uint8Array, limit: number, options: AgentRequestOptions): Promise<Uint8Array> {
    const timeout = options.timeout ?? AGENT_TIMEOUT;
    if (!(timeout > 0) || !Number.isFinite(timeout)) throw new RangeError(`timeout ${timeout}: seconds of virtual time, more than 0`);
    // (a stopped partition's agent cannot answer, and its virtual time does not pass)
    const stopped = this.stopped();
    if (stopped) return Promise.reject(new FileAgentError("stopped", `${this.partition}: ${what}: ${stopped}`));
    return new Promise((resolve, reject) => {
      const deadline = this.clock() + Math.ceil(timeout * this.cyclesPerSecond);
      this.queue.push({ what, bytes, resolve, reject, limit, deadline });
      this.next();
    });
  }

  private next(): void {
    if (this.current || !this.ready_) return;
    this.current = this.queue.shift() ?? null;
    if (this.current) {
      // (what the agent sent before this request cannot be its answer)
      this.line = [];
      this.send(this.current.bytes);
    }
  }

  /**
   * Fail the requests whose deadline has passed at virtual time `now` (the hypervisor's run
   * loop calls this like a device's deadline); the next deadline, or null. A request that timed
   * out after it was sent leaves the stream out of step (a late answer could be taken for the
   * next request's): the host then waits for the agent to start again, as after a protocol error.
   */
  expire(now: number): number | null {
    let next: number | null = null;
    if (this.current && this.current.deadline <= now) {
      const req = this.current;
      this.current = null;
      this.outOfStep();
      req.reject(new FileAgentError("timeout", `${this.partition}: ${req.what}: no answer from the file agent within the request's timeout; requests wait for the agent to start again`));
    }
    for (let i = 0; i < this.queue.length; i++) {
      const req = this.queue[i];
      if (req.deadline <= now) {
        this.queue.splice(i--, 1);
        req.reject(new FileAgentError("timeout", `${this.partition}: ${req.what}: ${this.ready_ ? "no answer" : "the file agent did not start"} within the request's timeout`));
      }
    }
    for (const r of [...(this.current ? [this.current] : []), ...this.queue]) if (next === null || r.deadline < next) next = r.deadline;
    return next;
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
      const req = this.current;
      if (req) req.reject(new FileAgentError("stopped", `${this.partition}: ${req.what}: the file agent started again before answering`));
      this.data = null;
      this.current = null;
      this.ready_ = true;
      this.next();
      return;
    }
    const req = this.current;
    if (!req) return; // (nothing asked: not an answer, dropped)
    const ok = /^OK (\d+)$/.exec(line);
    const err = /^ERR (E[A-Z0-9]{1,31}) (.*)$/.exec(line);
    if (ok) {
      const n = Number(ok[1]);
      if (n > req.limit) {
        this.current = null;
        this.fail(req, new FileAgentError("protocol", `${this.partition}: ${req.what}: the agent answers with ${n} bytes, more than ${req.limit}`));
        this.outOfStep(); // (wait for it to start again)
        return;
      }
      if (n === 0) this.answered(new Uint8Array(0));
      else {
        this.data = new Uint8Array(n);
        this.filled = 0;
      }
    } else if (err) {
      this.current = null;
      this.fail(req, new FileAgentError(err[1], `${this.partition}: ${req.what}: ${guestText(err[2])} (${err[1]})`));
      this.next();
    } else {
      this.current = null;
      this.fail(req, new FileAgentError("protocol", `${this.partition}: ${req.what}: the file agent said "${guestText(line)}"`));
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
