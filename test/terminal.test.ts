// The interactive terminal (src/cli/terminal.ts): Ctrl-C goes to the guest, Ctrl-A is
// wasmvisor's prefix (x quit, h help, c monitor, s snapshot, Ctrl-A a literal Ctrl-A). First the
// key state machine alone, then `npm start` (scripts/demo.mjs: the default system, RTOS beside
// Linux, in wall-clock mode) and `run-elf` on a real pseudo-terminal, on both cores.
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { readSnapshotInfo } from "../src/snapshot/format.ts";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { TerminalKeys, TERMINAL_HELP, type TerminalHost } from "../src/cli/terminal.ts";
import { ConsoleMux } from "../src/cli/main.ts";
import { PtySession, ptyMissing } from "./support/pty.ts";
import { linuxMissing } from "./support/linux.ts";
import { ROOT, guestPath } from "./support/harness.ts";

function keys(): { keys: TerminalKeys; said: string[]; quits: number; guest: (typed: string) => string } {
  const state = { said: [] as string[], quits: 0 };
  const host: TerminalHost = {
    say: (t) => { state.said.push(t); },
    quit: () => { state.quits++; },
    status: () => "STATUS\n",
    partitions: () => "PARTITIONS\n",
  };
  const k = new TerminalKeys(host);
  return {
    keys: k,
    get said() { return state.said; },
    get quits() { return state.quits; },
    guest: (typed) => Buffer.from(k.feed(Buffer.from(typed, "latin1"))).toString("latin1"),
  };
}

describe("the terminal keys", () => {
  it("pass everything but the prefix to the guest, Ctrl-C included; Ctrl-A Ctrl-A is a Ctrl-A", () => {
    const t = keys();
    expect(t.guest("ls -l\r")).toBe("ls -l\r");
    expect(t.guest("sleep 9\r\x03")).toBe("sleep 9\r\x03");
    expect(t.guest("a\x01\x01b")).toBe("a\x01b");
    expect(t.guest("\x01")).toBe(""); // the prefix may end a chunk: the next key completes it
    expect(t.guest("\x01")).toBe("\x01");
    expect(t.guest("\x01z\x01\x7fq")).toBe("q"); // unknown keys after the prefix are dropped (QEMU's way)
    expect(t.said).toEqual([]);
    expect(t.quits).toBe(0);
  });

  it("Ctrl-A h helps, Ctrl-A s without snapshots (run-elf) says so, Ctrl-A x quits and takes nothing more", () => {
    const t = keys();
    expect(t.guest("a\x01hb\x01sc")).toBe("abc");
    expect(t.said).toEqual([TERMINAL_HELP, "wasmvisor: snapshots are for partitioned systems (wasmvisor run); run-elf has none\n"]);
    expect(t.guest("d\x01xe")).toBe("d");
    expect(t.quits).toBe(1);
    expect(t.guest("more\x01x")).toBe("");
    expect(t.quits).toBe(1);
  });

  it("Ctrl-A c: the monitor takes the keys (echo, backspace, Ctrl-C) until Ctrl-A c again", () => {
    const t = keys();
    expect(t.guest("\x01c")).toBe("");
    expect(t.keys.monitor).toBe(true);
    expect(t.said.join("")).toMatch(/^wasmvisor monitor .*\n\(wasmvisor\) $/);
    t.said.length = 0;
    expect(t.guest("info partx\x7fitions\r")).toBe("");
    expect(t.said.join("")).toBe("info partx\b \bitions\nPARTITIONS\n(wasmvisor) ");
    t.said.length = 0;
    expect(t.guest("info   status\rhelp\r")).toBe("");
    expect(t.said.join("")).toMatch(/^info   status\nSTATUS\n\(wasmvisor\) help\ninfo status .*\ninfo partitions .*\nquit .*\nhelp .*\n\(wasmvisor\) $/);
    t.said.length = 0;
    expect(t.guest("qiut\rinfo\x03\r")).toBe("");
    expect(t.said.join("")).toBe('qiut\nunknown command "qiut"; did you mean quit?\n(wasmvisor) info^C\n(wasmvisor) \n(wasmvisor) ');
    t.said.length = 0;
    expect(t.guest("x".repeat(1000)).length).toBe(0); // (a line is bounded)
    expect(t.guest("\x01cls\r")).toBe("ls\r");
    expect(t.keys.monitor).toBe(false);
    expect(t.said.at(-1)).toBe("\nwasmvisor: back to the console\n");
    expect(t.guest("\x01cquit\rignored")).toBe("");
    expect(t.quits).toBe(1);
  });
});

/** A guest that loops forever, printing nothing. */
const SPIN = guestPath("spin");

describe.skipIf(ptyMissing() !== null)("on a pseudo-terminal", () => {
  const noLinux = linuxMissing();
  const noDist = existsSync(join(ROOT, "dist", "src", "cli", "main.js")) ? null : "dist/ is not built (npm run build)";
  for (const core of ["wasm", "ts"]) {
    it.skipIf(noLinux !== null || noDist !== null)(`npm start: Linux's shell (line editing, history, Tab), Ctrl-C to its command, the monitor, Ctrl-A x quits (${core})`, async () => {
      const pty = new PtySession([process.execPath, join(ROOT, "scripts", "demo.mjs"), "--core", core, "--stats"], ROOT);
      try {
        let at = await pty.waitFor(/Ctrl-C goes to the guest; Ctrl-A x quits, Ctrl-A h lists the other keys/);
        at = await pty.waitFor(/\[linux\] # $/, at);
        const toPrompt = pty.elapsed;
        pty.type("echo hello from the pty\r");
        at = await pty.waitFor(/\[linux\] hello from the pty\r*\n\[linux\] # /, at);
        // Ctrl-C interrupts the shell's command through Linux's tty (the shell survives).
        pty.type("sleep 100\r");
        at = await pty.waitFor(/sleep 100\r*\n/, at);
        await new Promise((resolve) => setTimeout(resolve, 300)); // (sleep runs)
        pty.type("\x03");
        at = await pty.waitFor(/\[linux\] \^C\r*\n\[linux\] sh: sleep: killed by signal 2\r*\n\[linux\] # /, at);
        // The shell's line editor through the whole chain (terminal, wasmvisor's keys, the UART,
        // Linux's tty): a typo fixed with the cursor keys, then run.
        pty.type("ecxho fixed by the cursor keys");
        at = await pty.waitFor(/ecxho fixed by the cursor keys/, at);
        pty.type(`${"\x1b[D".repeat(27)}\x7f\r`);
        at = await pty.waitFor(/\[linux\] fixed by the cursor keys\r*\n\[linux\] # /, at);
        // Up recalls it (the ESC O form, as a terminal in application mode sends it).
        pty.type("\x1bOA\r");
        at = await pty.waitFor(/echo fixed by the cursor keys\x1b\[K\r*\n\[linux\] fixed by the cursor keys\r*\n\[linux\] # /, at);
        // Tab completes a command and a path.
        pty.type("forke\t3\r");
        at = await pty.waitFor(/forkexec 3\r*\n\[linux\] forkexec: 3 children, all exited 0\r*\n\[linux\] # /, at);
        pty.type("cat /etc/mo\t\r");
        at = await pty.waitFor(/cat \/etc\/motd \r*\n\[linux\] wasmvisor: Linux in a partition\r*\n\[linux\] # /, at);
        // Ctrl-C interrupts a busy command too; the shell survives.
        pty.type("stress 100000\r");
        at = await pty.waitFor(/stress 100000\r*\n/, at);
        await new Promise((resolve) => setTimeout(resolve, 300)); // (it runs)
        pty.type("\x03");
        at = await pty.waitFor(/\[linux\] \^C\r*\n\[linux\] sh: stress: killed by signal 2\r*\n\[linux\] # /, at);
        // Ctrl-A Ctrl-A gives the guest a Ctrl-A: the line editor's Home.
        pty.type("cho A\x01\x01e\r");
        at = await pty.waitFor(/\[linux\] A\r*\n\[linux\] # /, at);
        pty.type("\x01h");
        at = await pty.waitFor(/Ctrl-A s {3}save a snapshot of the system/, at);
        pty.type("\x01c");
        at = await pty.waitFor(/\(wasmvisor\) $/, at);
        pty.type("info partitions\r");
        at = await pty.waitFor(/ {2}rtos: machine mode, \d+ instructions, [\d.]+ % of the time; running\r*\n {2}linux: supervisor mode, \d+ instructions, [\d.]+ % of the time; running \(the console\)\r*\n\(wasmvisor\) $/, at);
        pty.type("info status\r");
        at = await pty.waitFor(new RegExp(`2 partitions, \\d+ instructions, virtual time [\\d.]+ m?s, real time [\\d.]+ s; ${core} core, shadow paging, wall-clock`), at);
        pty.type("\x01c\x01s");
        at = await pty.waitFor(/back to the console\r*\nwasmvisor: snapshot written to \S+\.wvsnap \(\d+ bytes/, at);
        // (the file is in the current directory: it restores, and goes)
        const snap = join(ROOT, /snapshot written to (\S+\.wvsnap)/.exec(pty.screen)![1]);
        expect(readSnapshotInfo(readFileSync(snap)).partitions).toEqual(["rtos", "linux"]);
        rmSync(snap);
        // Still Linux's console: a command runs.
        pty.type("uname\r");
        at = await pty.waitFor(/\[linux\] Linux\r*\n/, at);
        pty.type("\x01x");
        expect(await pty.exit()).toBe(0);
        const end = pty.screen.slice(at);
        expect(end).toMatch(/wasmvisor: \[rtos\] quit \(Ctrl-A x\)\r*\nwasmvisor: \[linux\] quit \(Ctrl-A x\)\r*\n/);
        expect(end).toMatch(new RegExp(`wasmvisor: \\d+ instructions in [\\d.]+ s \\([\\d.]+ MIPS, ${core} core, shadow paging(, jit: \\d+ regions)?\\)`));
        expect(toPrompt).toBeLessThan(30_000);
      } finally {
        pty.kill();
      }
    }, 90_000);
  }

  it("run-elf: the same keys; Ctrl-A x ends a guest that never stops, with --stats (both cores)", async () => {
    for (const core of ["wasm", "ts"]) {
      const pty = new PtySession([process.execPath, "--import", "tsx", join(ROOT, "test", "support", "wasmvisor-src.ts"), "run-elf", SPIN, "--stats", "--core", core], ROOT);
      try {
        const at = await pty.waitFor(/Ctrl-A x quits/);
        pty.type("\x03\x01s");
        await pty.waitFor(/snapshots are for partitioned systems/, at);
        pty.type("\x01x");
        expect(await pty.exit()).toBe(0);
        expect(pty.screen.slice(at)).toMatch(new RegExp(`wasmvisor: \\d+ instructions in [\\d.]+ s \\([\\d.]+ MIPS, ${core} core(, jit: \\d+ regions)?\\)\\r*\\nwasmvisor: quit \\(Ctrl-A x\\)`));
      } finally {
        pty.kill();
      }
    }
  }, 60_000);

  it("a pipe is not a terminal: Ctrl-C and Ctrl-A reach the guest as bytes, as before", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "test", "support", "wasmvisor-src.ts"), "run-elf", guestPath("echo")], {
      cwd: ROOT, input: Buffer.from("a\x01xb\x03\nquit\n", "latin1"), encoding: "latin1", timeout: 30_000,
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("echo ready\n1: A\x01XB\x03\n1 lines\n");
    expect(r.status).toBe(0);
  });
});

describe("the console on a terminal", () => {
  it("another partition's line never tears the line being typed: the typed line is drawn again below it", () => {
    let shown = "";
    const mux = new ConsoleMux((s) => { shown += s; });
    const say = (name: string, text: string) => mux.output(name, new TextEncoder().encode(text));
    mux.redraw = "linux";
    say("linux", "boot\n# ");
    say("linux", "ec");                                   // (the guest's echo of what is typed)
    say("rtos", "rtos: 5000 jobs\n");
    say("linux", "ho hi\nhi\n# ");
    expect(shown).toBe("[linux] boot\n[linux] # ec\r\x1b[K[rtos] rtos: 5000 jobs\n[linux] # echo hi\n[linux] hi\n[linux] # ");
    // Without a terminal (pipes, files) the line is ended instead, as before.
    shown = "";
    const plain = new ConsoleMux((s) => { shown += s; });
    plain.output("linux", new TextEncoder().encode("# ec"));
    plain.output("rtos", new TextEncoder().encode("tick\n"));
    expect(shown).toBe("[linux] # ec\n[rtos] tick\n");
  });

  it("a screen cleared (the shell's Ctrl-L, `clear`) starts a line: the prompt gets its prefix, a redraw does not clear again", () => {
    let shown = "";
    const mux = new ConsoleMux((s) => { shown += s; });
    const say = (name: string, text: string) => mux.output(name, new TextEncoder().encode(text));
    mux.redraw = "linux";
    say("linux", "# ls");
    say("linux", "\x1b[H\x1b[2J# ls");                    // (Ctrl-L: clear, prompt and line again)
    say("rtos", "tick\n");
    expect(shown).toBe("[linux] # ls\x1b[H\x1b[2J[linux] # ls\r\x1b[K[rtos] tick\n[linux] # ls");
  });
});
