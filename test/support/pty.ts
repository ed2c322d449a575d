// A command on a pseudo-terminal, driven like a user at a keyboard: for the interactive
// terminal of `npm start` and `wasmvisor run`/`run-elf` (src/cli/terminal.ts).
//
// The terminal is util-linux `script` (script -qfec CMD /dev/null), not a pty library such as
// node-pty: script is part of every Debian system (bsdutils is Essential, so CI's fresh machine
// has it), needs no native addon compiled against the Node in use (node-pty builds with node-gyp
// and a C++ toolchain), and the host-kill campaign (host-kill.ts) already runs wasmvisor under
// it. What the test writes to script's stdin reaches the command as typed keys; what the
// command writes to the terminal comes back on script's stdout (the command's stderr too: it is
// the same terminal).

import { spawn, spawnSync, type ChildProcess } from "node:child_process";

/** Why the pseudo-terminal tests cannot run here, or null. */
export function ptyMissing(): string | null {
  const r = spawnSync("script", ["--version"], { encoding: "utf8" });
  return r.status === 0 ? null : "util-linux script(1) is not installed";
}

export class PtySession {
  private readonly child: ChildProcess;
  /** Everything the terminal showed so far (latin1, with the terminal's \r\n). */
  screen = "";
  readonly exited: Promise<number | null>;
  private readonly t0 = performance.now();

  constructor(argv: string[], cwd: string) {
    const command = argv.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    this.child = spawn("script", ["-qfec", command, "/dev/null"], { cwd, env: { ...process.env, SHELL: "/bin/sh" }, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout!.on("data", (d: Buffer) => { this.screen += d.toString("latin1"); });
    this.child.stderr!.on("data", (d: Buffer) => { this.screen += d.toString("latin1"); });
    this.exited = new Promise((resolve) => this.child.on("close", (code) => resolve(code)));
  }

  /** Type keys. */
  type(keys: string): void {
    this.child.stdin!.write(Buffer.from(keys, "latin1"));
  }

  /** Wait until the screen, from `from` on, matches `pattern` (then returns the match's end). */
  async waitFor(pattern: RegExp, from = 0, timeoutMs = 60_000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.screen.slice(from));
      if (m) return from + m.index + m[0].length;
      if (performance.now() > deadline) throw new Error(`no ${pattern} on the terminal after ${timeoutMs} ms; it shows:\n${this.screen.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Milliseconds since the session started. */
  get elapsed(): number {
    return performance.now() - this.t0;
  }

  /** The command's exit status (script -e passes it on), or kill it after `timeoutMs`. */
  async exit(timeoutMs = 20_000): Promise<number | null> {
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  kill(): void {
    this.child.kill("SIGKILL");
  }
}
