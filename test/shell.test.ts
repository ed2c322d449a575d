// The Linux shell's line editor (guests/linux/userland/lib/lineedit.c, docs/shell.md), key by
// key on the console tty: what each key sequence draws and what then runs. Deterministic, so the
// exact bytes are checked, and both cores must agree (transcript and instruction count).
// Skipped, saying why, only where the kernel is not built.
import { describe, expect, it } from "vitest";
import { LinuxSession, linuxMissing } from "./support/linux.ts";
import { CORES } from "./support/harness.ts";

const missing = linuxMissing();
const ESC = "\x1b";

/** Keys typed at the prompt, and exactly what the console shows until the shell waits again. */
const CASES: Array<[string, string, string]> = [
  ["plain typing echoes as the tty's echo would", "echo hello\n", "echo hello\r\nhello\r\n# "],
  ["a backspace at the end erases as the tty does", "echo hellp\x7fo\n", "echo hellp\b \bo\r\nhello\r\n# "],
  // Left five times (BS each), Backspace deletes the x: the rest is drawn again, erased to the end, and
  // the cursor goes back; Enter first moves to the end.
  ["a typo fixed with Left and Backspace", `ecxho hi${ESC}[D${ESC}[D${ESC}[D${ESC}[D${ESC}[D\x7f\n`,
    "ecxho hi\b\b\b\b\b\bho hi\x1b[K\x1b[5D\x1b[5C\r\nhi\r\n# "],
  ["Up recalls the last line", `${ESC}[A\n`, "echo hi\x1b[K\r\nhi\r\n# "],
  ["Up twice, Down once (the ESC O form)", `${ESC}OA${ESC}OA${ESC}OB\n`,
    "echo hi\x1b[K\x1b[7Decho hello\x1b[K\x1b[10Decho hi\x1b[K\r\nhi\r\n# "],
  // Ctrl-A (home), insert, Ctrl-E (end), append, Left twice, Delete (ESC [ 3 ~), Home (ESC [ H), Ctrl-K.
  ["Home, End, Delete, Ctrl-K", `abc\x01x\x05y${ESC}OD${ESC}OD${ESC}[3~${ESC}[H\x0b\n`,
    "abc\x1b[3Dxabc\x1b[K\x1b[3D\x1b[3Cy\b\by\x1b[K\b\x1b[3D\x1b[K\r\n# "],
  ["Ctrl-W deletes a word, Ctrl-U the line", "echo one two\x17three\n\x15", "echo one two\x1b[3D\x1b[Kthree\r\none three\r\n# "],
  ["Tab completes a command (a program in $PATH)", "forke\t2\n", "forkexec 2\r\nforkexec: 2 children, all exited 0\r\n# "],
  ["Tab completes a builtin", "cle\t\n", "clear \r\n\x1b[H\x1b[2J# "],
  ["Tab completes a path, a directory with its /", "ls /e\tm\t\n", "ls /etc/motd \r\n/etc/motd\r\n# "],
  ["Tab with nothing to add lists the choices", "ls /\t\x15\n", "ls /\r\nbin/  dev/  etc/  init  mnt/  proc/  root/  sys/  tmp/\r\n# ls /\x1b[4D\x1b[K\r\n# "],
  ["Tab with no match rings the bell", "ls /nothing\t\x15\n", "ls /nothing\x07\x1b[11D\x1b[K\r\n# "],
  ["Ctrl-L clears the screen and draws the line again", "echo x\x0c\n", "echo x\x1b[H\x1b[2J# echo x\r\nx\r\n# "],
];

describe.skipIf(missing !== null)(`the Linux shell's line editor${missing ? ` (skipped: ${missing})` : ""}`, () => {
  const runs: Record<string, { transcript: string; insns: number }> = {};
  for (const core of CORES) {
    it(`draws each edit exactly and runs the line (${core})`, async () => {
      const s = await LinuxSession.boot({ core, partner: null });
      await s.prompt();
      let transcript = "";
      for (const [what, keys, shows] of CASES) {
        s.hv.console("linux").write(keys);
        const out = await s.until(/# $/, 2_000_000_000);
        expect(out, what).toBe(shows);
        transcript += out;
      }
      // Commands run with the tty cooked again: the tty echoes and edits what cat reads.
      s.hv.console("linux").write("cat\n");
      expect(await s.advance(20_000_000)).toBe("cat\r\n");
      s.hv.console("linux").write("ab\x7fc\n\x04");
      expect(await s.until(/# $/)).toBe("ab\b \bc\r\nac\r\n# ");
      // Ctrl-C: the running command is interrupted, the shell survives and prompts again;
      // at the prompt Ctrl-C drops the line being typed.
      s.hv.console("linux").write("sleep 100\n");
      expect(await s.advance(20_000_000)).toBe("sleep 100\r\n");
      s.hv.console("linux").write("\x03");
      expect(await s.until(/# $/)).toBe("^C\r\nsh: sleep: killed by signal 2\r\n# ");
      s.hv.console("linux").write("echo dropped");
      expect(await s.advance(20_000_000)).toBe("echo dropped");
      s.hv.console("linux").write("\x03");
      expect(await s.until(/# $/)).toBe("^C\r\n# ");
      s.hv.console("linux").write("echo $?\n");
      expect(await s.until(/# $/)).toBe("echo $?\r\n130\r\n# ");
      runs[core] = { transcript, insns: s.hv.stats().partitions.find((p) => p.name === "linux")!.instructions };
      if (core === CORES[CORES.length - 1]) expect(runs[core]).toEqual(runs[CORES[0]]);
    }, 300_000);
  }
});
