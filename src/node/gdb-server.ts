// The GDB remote protocol (src/debug/gdb.ts) on a TCP port, for `wasmvisor run-elf --gdb PORT`
// and `wasmvisor run --gdb PORT`: one debugger at a time, on the loopback interface only (the
// protocol has no authentication: anyone who reaches the port owns the guest).

import { createServer, type Server, type Socket } from "node:net";
import { GdbSession, type SessionEnd } from "../debug/gdb.js";
import type { DebugTarget } from "../debug/target.js";

export interface GdbServer {
  /** The port it listens on (useful with port 0: any free port). */
  readonly port: number;
  /** Resolves when the debugger's session ends: it detached, killed the guest, saw it exit, or
   *  disconnected (which counts as a detach). */
  readonly ended: Promise<SessionEnd>;
  close(): void;
}

export interface GdbServerOptions {
  port: number;
  host?: string;
  /** Each packet received and answered, for troubleshooting. */
  log?: (line: string) => void;
}

/** Listen for one GDB connection to `target`; resolves once listening. */
export function serveGdb(target: DebugTarget, options: GdbServerOptions): Promise<GdbServer> {
  return new Promise((resolve, reject) => {
    let socket: Socket | null = null;
    let finish: (how: SessionEnd) => void = () => {};
    const ended = new Promise<SessionEnd>((r) => { finish = r; });
    const server: Server = createServer((s) => {
      if (socket) {
        s.end("$E01#a6"); // a second debugger: refused
        return;
      }
      socket = s;
      s.setNoDelay(true);
      server.close(); // no further connections
      const session = new GdbSession(target, {
        send: (data) => { if (!s.destroyed) s.write(data, "latin1"); },
        onEnd: (how) => {
          finish(how);
          if (how !== "detach") s.end();
        },
        log: options.log,
      });
      s.setEncoding("latin1");
      s.on("data", (chunk: string) => session.receive(chunk));
      s.on("close", () => session.disconnected());
      s.on("error", () => session.disconnected());
    });
    server.once("error", (err: NodeJS.ErrnoException) => reject(err));
    server.listen(options.port, options.host ?? "127.0.0.1", () => {
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : options.port,
        ended,
        close: () => {
          server.close();
          (socket as Socket | null)?.destroy();
        },
      });
    });
  });
}
