// Node adapter: stdin as the guest's console input.
//
// A regular file on stdin is read completely before the guest starts, so runs are
// deterministic. A pipe or a terminal is streamed: bytes reach the guest as they arrive (in
// raw mode on a terminal, where Ctrl-C stops the run).

import { fstatSync, readFileSync } from "node:fs";

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

export function stdinInput(onInterrupt: () => void): ConsoleInput {
  const stdin = process.stdin;
  let isFile = false;
  try {
    isFile = fstatSync(0).isFile();
  } catch {
    isFile = false;
  }
  if (isFile) {
    const initial = new Uint8Array(readFileSync(0));
    return { initial, open: false, onData: () => () => {}, next: () => Promise.resolve(), close() {} };
  }
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
    if (stdin.isTTY && chunk.includes(3)) {
      onInterrupt();
      return;
    }
    for (const l of listeners) l(new Uint8Array(chunk));
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
