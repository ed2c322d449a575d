// What the home node and the other nodes of a vNUMA machine say to each other (docs/vnuma.md),
// and how it travels: each message is one frame, [u32 length][u32 header length][header: JSON]
// [bytes], little-endian, so a page or the layout goes as it is and the rest stays readable.
// Portable: the frames go over whatever carries bytes in order (src/node/vnuma.ts: TCP sockets).

import type { DsmMessage } from "./dsm.js";
import type { HartOp } from "./harts.js";

/** Home → node. */
export type HomeMessage =
  /** Start: the node makes a core like the home node's and runs these harts. */
  | { kind: "init"; node: number; core: "wasm" | "ts"; memoryBytes: number; ramBytes: number; vcpus: number[];
      slice: number; htifGrace: number; clockBase: number; bytes: Uint8Array;
      /** Pages the node owns from the start (its own memory, zero): [first page, count] runs. */
      owned: Array<[number, number]> }
  /** Every hart of every node is ready: run. */
  | { kind: "go" }
  /** The answer to a hart's request; `hostReq`: what the device asked of the hart's core;
   *  `devNext`: the next device deadline now (-1: none), which the hart's slices end at;
   *  `hc`: a hypercall's result (SBI error and value). */
  | { kind: "answer"; vcpu: number; result: number; hostReq: number; devNext: number; hc?: [number, number] }
  /** Wake the hart (the home node's door count for it), with requests for its core. */
  | { kind: "ring"; vcpu: number; door: number; hostReq: number }
  | { kind: "stop"; vcpu: number }
  /** The hart's interrupt lines (bits to set and to clear) and timer deadline changed. */
  | { kind: "lines"; vcpu: number; set: number; clear: number; timerLo: number; timerHi: number }
  /** The machine's clock and the next device deadline (-1: none). */
  | { kind: "clock"; lo: number; hi: number; devNext: number }
  | { kind: "dsm"; m: DsmMessage }
  /** A hart operation (an IPI, a fence, an HSM start or status: harts.ts) for a hart of the
   *  node, and the answer to one a hart of the node asked. */
  | { kind: "hart"; m: HartOp }
  | { kind: "hart-done"; from: number; result: number }
  /** The run is over: report the harts' registers (bytes: their vCPU blocks) and end. */
  | { kind: "end" };

/** Node → home. */
export type NodeMessage =
  | { kind: "ready"; node: number }
  /** A hart's request (a device access, HTIF, a hypercall, the devices' events, a halt), with
   *  the clock of the accessing instruction, the hart's clock and its timer line; `bytes`: its
   *  vCPU block for a halt (the home node reads why it halted there), its registers x0-x31
   *  for a hypercall (its arguments). */
  | { kind: "request"; vcpu: number; op: number; a: number; b: number; c: number; d: number;
      nowLo: number; nowHi: number; clockLo: number; clockHi: number; mtip: number; bytes?: Uint8Array }
  /** A hart's state as the home node's idle and limit logic needs it. `seen`: the home node's
   *  door count the hart has looked after (-1: not the latest). */
  | { kind: "status"; vcpu: number; clockLo: number; clockHi: number; idle: number; seen: number; wakeLo: number; wakeHi: number;
      retired: number; work: number; done: number; limited: number; mtip: number }
  | { kind: "dsm"; m: DsmMessage }
  /** A hart of the node asks an operation of a hart elsewhere; the answer to one asked of a hart
   *  of the node. */
  | { kind: "hart"; m: HartOp }
  | { kind: "hart-done"; from: number; result: number }
  /** The end: the harts' vCPU blocks (vcpus.length blocks, in order), then the pages the node
   *  owns (`owned`, in order), in `bytes`; and how its revocations went. */
  | { kind: "ended"; vcpus: number[]; owned: number[]; bytes: Uint8Array; fences: number; fenceMs: number }
  | { kind: "error"; message: string };

type AnyMessage = HomeMessage | NodeMessage;

/** The binary part of a message, if any (a DSM message's page travels the same way). */
function bytesOf(m: AnyMessage): Uint8Array | undefined {
  if (m.kind === "dsm") return "bytes" in m.m ? m.m.bytes : undefined;
  return "bytes" in m ? m.bytes : undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeFrame(m: AnyMessage): Uint8Array {
  const bytes = bytesOf(m);
  const header = encoder.encode(JSON.stringify(m, (k, v) => (k === "bytes" ? undefined : v)));
  const total = 8 + header.length + (bytes?.length ?? 0);
  const frame = new Uint8Array(total);
  const view = new DataView(frame.buffer);
  view.setUint32(0, total - 4, true);
  view.setUint32(4, header.length, true);
  frame.set(header, 8);
  if (bytes) frame.set(bytes, 8 + header.length);
  return frame;
}

/** The largest frame a peer may send (the layout, 4 MiB, is the largest message). */
export const MAX_FRAME = 16 << 20;

/**
 * Splits a byte stream into messages. push() takes what arrived; it returns the messages that
 * are complete. A frame that cannot be one (too long, a header that is not a message) throws.
 */
export class FrameReader {
  /** What arrived and is not a whole frame yet (chunks are copied once, into their frame). */
  private chunks: Uint8Array[] = [];
  private total = 0;

  push(chunk: Uint8Array): AnyMessage[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.total += chunk.length;
    }
    const out: AnyMessage[] = [];
    while (this.total >= 4) {
      const length = new DataView(this.peek(4).buffer).getUint32(0, true);
      if (length < 4 || length > MAX_FRAME) throw new Error(`vNUMA: a frame of ${length} bytes is not valid`);
      if (this.total - 4 < length) break;
      out.push(this.parse(this.take(4 + length)));
    }
    return out;
  }

  /** The first n bytes (n ≤ total), copied. */
  private peek(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    for (const c of this.chunks) {
      const part = Math.min(c.length, n - at);
      out.set(c.subarray(0, part), at);
      at += part;
      if (at === n) break;
    }
    return out;
  }

  /** Remove and return the first n bytes (n ≤ total). */
  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0];
      const part = Math.min(c.length, n - at);
      out.set(c.subarray(0, part), at);
      at += part;
      if (part === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(part);
    }
    this.total -= n;
    return out;
  }

  private parse(frame: Uint8Array): AnyMessage {
    const view = new DataView(frame.buffer);
    const headerLength = view.getUint32(4, true);
    if (headerLength > frame.length - 8) throw new Error("vNUMA: a frame's header is longer than the frame");
    let m: AnyMessage;
    try {
      m = JSON.parse(decoder.decode(frame.subarray(8, 8 + headerLength))) as AnyMessage;
    } catch {
      throw new Error("vNUMA: a frame's header is not JSON");
    }
    if (typeof m !== "object" || m === null || typeof m.kind !== "string") throw new Error("vNUMA: a frame is not a message");
    const rest = frame.subarray(8 + headerLength);
    if (rest.length > 0) {
      if (m.kind === "dsm") (m.m as { bytes?: Uint8Array }).bytes = rest;
      else (m as { bytes?: Uint8Array }).bytes = rest;
    }
    return m;
  }
}
