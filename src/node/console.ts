// Node adapter: stdin as the guest's console input.
//
// A regular file on stdin is read completely before the guest starts, so runs are
// deterministic. A pipe or a terminal is streamed: bytes reach the guest as they arrive (in
// raw mode on a terminal, where Ctrl-C stops the run — unless the caller gives its own handling
// of the keys, as the command line does: src/cli/terminal.ts).

import { fstatSync, readSync } from "node:fs";
import { HostFileError, formatBytes } from "./host-file.js";
import { concatBytes } from "../devices/byte-queue.js";

/** Console input read before the run (--input FILE, a regular file on stdin) is held in memory
 *  whole, by the guest's UART: at most this much. */
export const MAX_CONSOLE_INPUT_BYTES = 64 * 1024 * 1024;
export const CONSOLE_INPUT_LIMIT = `console input read before the run is held in memory, at most ${formatBytes(MAX_CONSOLE_INPUT_BYTES)}`;

export interface ConsoleInput {
  /** Bytes available before the run starts (regular-file stdin). */
  initial: Uint8Array;
  /** True while more input may still arrive. */
  readonly open: boolean;
  /** Subscribe to streamed input; returns an unsubscribe function. */
  onData(listener: (bytes: Uint8Array) => void): () => void;
  /** Resolves when new input arrives or the stream ends. */
  next(): Promise<void>;
  close(): void;
}

/** Input known before the run (--input FILE, a regular file on stdin): nothing more comes. */
export function fileInput(initial: Uint8Array): ConsoleInput {
  return { initial, open: false, onData: () => () => {}, next: () => Promise.resolve(), close() {} };
}

/** Read the regular file on descriptor 0 from its current position; throws HostFileError. */
function readStdinFile(size: number): Uint8Array {
  if (size > MAX_CONSOLE_INPUT_BYTES) {
    throw new HostFileError("stdin", null, `a file of ${formatBytes(size)}, too large: ${CONSOLE_INPUT_LIMIT} (a pipe is streamed instead)`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const chunk = new Uint8Array(Math.max(65536, Math.min(size - total, MAX_CONSOLE_INPUT_BYTES - total + 1)));
    const n = readSync(0, chunk, 0, chunk.length, null);
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (total > MAX_CONSOLE_INPUT_BYTES) {
      throw new HostFileError("stdin", null, `a file that grew past ${formatBytes(MAX_CONSOLE_INPUT_BYTES)} while read, too large: ${CONSOLE_INPUT_LIMIT}`);
    }
  }
  return concatBytes(chunks);
}

/** True when stdin is a terminal (interactive runs: see stdinInput's `keys`). */
export function stdinIsTerminal(): boolean {
  return process.stdin.isTTY === true;
}

/**
 * Console input from the process's stdin. On a terminal (raw mode), Ctrl-C calls `onInterrupt`;
 * with `keys`, every chunk typed goes through it instead and what it returns reaches the guest
 * (Ctrl-C included). Pipes and files are passed on as they are.
 */
export function stdinInput(onInterrupt: () => void, keys?: (bytes: Uint8Array) => Uint8Array): ConsoleInput {
  const stdin = process.stdin;
  let size = -1;
  try {
    const st = fstatSync(0);
    if (st.isFile()) size = st.size;
  } catch {
    size = -1;
  }
  if (size >= 0) return fileInput(readStdinFile(size));
  let open = true;
  const listeners = new Set<(bytes: Uint8Array) => void>();
  let waiters: Array<() => void> = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  if (stdin.isTTY) stdin.setRawMode(true);
  const onData = (chunk: Buffer) => {
    let bytes: Uint8Array = new Uint8Array(chunk);
    if (stdin.isTTY && keys) {
      bytes = keys(bytes);
      if (bytes.length === 0) {
        wake(); // (a run waiting for input looks again: the keys may have ended it)
        return;
      }
    } else if (stdin.isTTY && chunk.includes(3)) {
      onInterrupt();
      return;
    }
    for (const l of listeners) l(bytes);
    wake();
  };
  const onEnd = () => {
    open = false;
    wake();
  };
  stdin.on("data", onData);
  stdin.on("end", onEnd);
  stdin.on("error", onEnd);
  return {
    initial: new Uint8Array(0),
    get open() {
      return open;
    },
    onData(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    next() {
      return open ? new Promise((resolve) => waiters.push(resolve)) : Promise.resolve();
    },
    close() {
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      stdin.unref?.();
    },
  };
}
