// vNUMA on Node (docs/vnuma.md): the nodes of a machine are processes, connected by TCP. The
// home node (the one that runs `wasmvisor run-elf --nodes K`) listens on a port of the loopback
// interface and starts K - 1 node processes (src/node/vnuma-node-main.ts), which connect to it;
// or, with `--listen HOST:PORT`, it waits for nodes started elsewhere with
// `wasmvisor vnuma-node --connect HOST:PORT`. Each connection carries the frames of
// src/machine/vnuma/wire.ts.
//
// For tests, a link can delay its messages (in order) and delay each message of the shared
// memory protocol by a random time of its own, so they overtake each other (the protocol needs
// no ordering: src/machine/vnuma/dsm.ts): WASMVISOR_VNUMA_DELAY_MS=max.

import { fork, type ChildProcess } from "node:child_process";
import { createServer, connect, type Server, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { FrameReader, encodeFrame, type HomeMessage, type NodeMessage } from "../machine/vnuma/wire.js";
import { VnumaError, type NodeLink } from "../machine/vnuma/home.js";
import { NodeRunner } from "../machine/vnuma/node.js";

/** Test hook: the largest random delay of a message in ms (0: none). */
function injectedDelay(): number {
  const v = Number(process.env.WASMVISOR_VNUMA_DELAY_MS ?? 0);
  return Number.isFinite(v) && v > 0 ? Math.min(v, 1000) : 0;
}

/**
 * A message pipe over a socket. With `delayMs`, every message waits a random time up to it
 * before it is written: the shared memory's messages each on their own (so they reorder), the
 * others in their order (the hart mirroring relies on it, as TCP gives it).
 */
function socketPipe<Out extends { kind: string }, In>(socket: Socket, delayMs: number): {
  send(m: Out): void; onMessage(h: (m: In) => void): void; onClose(h: (why: string) => void): void;
} {
  const reader = new FrameReader();
  let handler: (m: In) => void = () => {};
  let closeHandler: (why: string) => void = () => {};
  let closed = false;
  const close = (why: string) => {
    if (closed) return;
    closed = true;
    closeHandler(why);
  };
  socket.setNoDelay(true);
  socket.on("data", (chunk: Buffer) => {
    let messages: unknown[];
    try {
      messages = reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    } catch (err) {
      socket.destroy();
      close(err instanceof Error ? err.message : String(err));
      return;
    }
    for (const m of messages) handler(m as In);
  });
  socket.on("error", (err) => close(err.message));
  socket.on("close", () => close("the connection closed"));
  let orderedAt = 0; // when the last in-order message goes out
  const write = (m: Out) => {
    if (!socket.destroyed) socket.write(encodeFrame(m as unknown as HomeMessage));
  };
  return {
    send(m: Out): void {
      if (delayMs <= 0) {
        write(m);
        return;
      }
      const now = Date.now();
      const wait = Math.random() * delayMs;
      if (m.kind === "dsm") {
        setTimeout(() => write(m), wait);
      } else {
        orderedAt = Math.max(orderedAt, now + wait);
        setTimeout(() => write(m), orderedAt - now);
      }
    },
    onMessage(h) { handler = h; },
    onClose(h) { closeHandler = h; },
  };
}

/** The file a node process runs: the compiled one beside this compiled module, or (this module
 *  run from the sources, under tsx or vitest) the source under tsx. */
function nodeEntry(): { file: string; execArgv: string[] } {
  if (import.meta.url.endsWith(".ts")) return { file: fileURLToPath(new URL("./vnuma-node-main.ts", import.meta.url)), execArgv: ["--import", "tsx"] };
  return { file: fileURLToPath(new URL("./vnuma-node-main.js", import.meta.url)), execArgv: [] };
}

/** The other nodes of a vNUMA machine, connected; close() ends them. */
export interface Nodes {
  links: NodeLink[];
  /** Where the home node listens (host:port). */
  address: string;
  /** End node k's process at once (nodes started here): the run then stops, naming it. */
  kill(node: number): void;
  close(): Promise<void>;
}

/**
 * Listen on `listen` (default: the loopback interface, a free port) and get `count` nodes
 * connected: started here as processes (`spawn`, the default), or started elsewhere
 * (`wasmvisor vnuma-node --connect ADDRESS`); nodes are numbered 1, 2, … in the order they
 * connect. Gives up after `timeoutMs` (default 30 s; `onListening` says where to connect).
 */
export async function startNodes(count: number, options: { spawn?: boolean; listen?: string; timeoutMs?: number; onListening?: (address: string) => void } = {}): Promise<Nodes> {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`vNUMA: ${count} other nodes is not valid`);
  const spawn = options.spawn ?? true;
  const [host, portText] = (options.listen ?? "127.0.0.1:0").split(/:(?=[^:]*$)/);
  const port = Number(portText);
  if (!host || !Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`vNUMA: "${options.listen}" is not HOST:PORT`);
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const where = server.address();
  const address = typeof where === "object" && where ? `${host}:${where.port}` : `${host}:${port}`;
  options.onListening?.(address);
  const children: ChildProcess[] = [];
  const sockets: Socket[] = [];
  const delay = injectedDelay();
  const connected = new Promise<Socket[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new VnumaError(`vNUMA: ${sockets.length} of ${count} nodes connected to ${address} within ${(options.timeoutMs ?? 30_000) / 1000} s`)), options.timeoutMs ?? 30_000);
    server.on("connection", (socket) => {
      if (sockets.length >= count) {
        socket.destroy();
        return;
      }
      sockets.push(socket);
      if (sockets.length === count) {
        clearTimeout(timer);
        resolve(sockets);
      }
    });
  });
  if (spawn) {
    const entry = nodeEntry();
    for (let k = 0; k < count; k++) {
      const child = fork(entry.file, ["--connect", address], { execArgv: entry.execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
      children.push(child);
    }
  }
  let links: NodeLink[];
  try {
    links = (await connected).map((s) => socketPipe<HomeMessage, NodeMessage>(s, delay));
  } catch (err) {
    for (const c of children) c.kill();
    server.close();
    throw err;
  }
  server.close(); // (no more nodes: the connections stay)
  return {
    links, address,
    kill(node: number) {
      children[node - 1]?.kill("SIGKILL");
    },
    async close() {
      for (const s of sockets) s.end();
      await Promise.all(children.map((c) => new Promise<void>((resolve) => {
        if (c.exitCode !== null || c.signalCode !== null) return resolve();
        const timer = setTimeout(() => { c.kill(); resolve(); }, 5000);
        c.once("exit", () => { clearTimeout(timer); resolve(); });
      })));
    },
  };
}

/** Be a node: connect to the home node at `address` (HOST:PORT) and serve until the run ends. */
export async function runNode(address: string): Promise<void> {
  const [host, portText] = address.split(/:(?=[^:]*$)/);
  const port = Number(portText);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`vNUMA: "${address}" is not HOST:PORT`);
  // (the home node may not be listening yet: nodes may be started first; tried for 30 s)
  let socket: Socket;
  for (let tries = 0; ; tries++) {
    try {
      socket = await new Promise<Socket>((resolve, reject) => {
        const s = connect(port, host);
        s.once("connect", () => resolve(s));
        s.once("error", reject);
      });
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== "ECONNREFUSED" || tries >= 300) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const pipe = socketPipe<NodeMessage, HomeMessage>(socket, injectedDelay());
  const runner = new NodeRunner((m) => pipe.send(m));
  pipe.onMessage((m) => runner.receive(m));
  const closed = new Promise<string>((resolve) => pipe.onClose(resolve));
  const why = await Promise.race([runner.finished.then(() => ""), closed]);
  if (why) throw new Error(`vNUMA: the home node went away (${why})`);
  // (the last frame goes out, then the connection ends; a delayed frame waits for its timer)
  await new Promise((resolve) => setTimeout(resolve, injectedDelay() + 5));
  socket.end();
  await closed;
}
