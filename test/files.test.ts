// Files into and out of a guest (docs/files.md): at boot, appended to the initrd as a second cpio
// archive (addFiles, --add-file); at run time, through the guest's file agent over the
// partition's file-agent device (hv.files(name).write/read/list). The Linux part runs on both
// cores, which must agree (what the guest saw, the answers, instruction counts).
import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LinuxSession, linuxMissing, linuxPartition } from "./support/linux.ts";
import { CORES } from "./support/harness.ts";
import { FileAgent, FileAgentError, MAX_AGENT_FILE } from "../src/api/files.ts";
import { newcArchive, initrdWithFiles } from "../src/loader/cpio.ts";
import { Hypervisor } from "../src/api/hypervisor.ts";
import { main, type CliIO } from "../src/cli/main.ts";
import type { ConsoleInput } from "../src/node/console.ts";

const missing = linuxMissing();
const text = (s: string) => new TextEncoder().encode(s);
const ALL_BYTES = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7 + (i >> 8)) & 255); // every byte value, CR, LF, ^C, ^D, ESC...

describe("the cpio archive of added files", () => {
  it("holds each file after its parent directories, newc records padded to 4 bytes, and the trailer", () => {
    const a = new TextDecoder("latin1").decode(newcArchive([{ path: "/root/data/x.txt", data: text("abc") }]));
    const names = [...a.matchAll(/070701([0-9a-f]{8})([0-9a-f]{8})[0-9a-f]{32}([0-9a-f]{8})[0-9a-f]{32}([0-9a-f]{8})[0-9a-f]{8}([^\0]*)\0/g)]
      .map((m) => [m[5], parseInt(m[2], 16).toString(8), parseInt(m[3], 16)]);
    expect(names).toEqual([["root", "40755", 0], ["root/data", "40755", 0], ["root/data/x.txt", "100644", 3], ["TRAILER!!!", "0", 0]]);
    expect(a.length % 4).toBe(0);
    // After an initrd of any length, the archive starts at the next 4-byte boundary.
    expect(initrdWithFiles(new Uint8Array(5), [{ path: "/a", data: text("1") }]).subarray(8, 14)).toEqual(text("070701"));
  });

  it("refuses paths that are not absolute, have . or .., NUL or newline, and too much data", () => {
    for (const [path, why] of [["root/x", "is not absolute"], ["/a/../b", "has an empty, . or .. component"], ["/a/", "ends with /"], ["/a\nb", "contains a NUL or a newline"]]) {
      expect(() => newcArchive([{ path, data: text("") }])).toThrow(why);
    }
    expect(() => newcArchive([{ path: "/big", data: new Uint8Array(65 << 20) }])).toThrow(/more than 67108864 bytes \(at \/big\)/);
  });

  it("needs a partition with an initrd, named in the description", async () => {
    const p = linuxPartition() as { initrd?: string };
    const { initrd: _, ...bare } = p;
    expect(() => new Hypervisor({ partitions: [bare] }, { loadImage: () => new Uint8Array(), addFiles: { linux: [{ path: "/a", data: text("") }] } }))
      .toThrow('addFiles of "linux": the partition has no initrd to add files to');
    expect(() => new Hypervisor({ partitions: [p] }, { loadImage: () => new Uint8Array(), addFiles: { nobody: [] } })).toThrow('no partition "nobody"');
  });
});

describe("the file agent's protocol (host side)", () => {
  function agent(present = true): { a: FileAgent; sent: string[]; say: (s: string | Uint8Array) => void } {
    const sent: string[] = [];
    const a = new FileAgent("g", present, (b) => sent.push(new TextDecoder("latin1").decode(b)));
    const say = (s: string | Uint8Array) => { for (const b of typeof s === "string" ? text(s) : s) a.received(b); };
    return { a, sent, say };
  }

  it("sends nothing before the agent's hello, then one request at a time", async () => {
    const { a, sent, say } = agent();
    const r1 = a.read("/x");
    const r2 = a.list("/");
    say("noise before the agent runs\n");
    expect(sent).toEqual([]);
    say("WVAGENT 1\n");
    expect(sent).toEqual(["R /x\n"]);
    say("OK 3\na\nb");
    expect(await r1).toEqual(text("a\nb"));
    expect(sent).toEqual(["R /x\n", "L /\n"]);
    say("OK 25\nd 0 sub\nf 5 a file\nl 0 z\n");
    expect(await r2).toEqual([{ name: "a file", type: "file", size: 5 }, { name: "sub", type: "dir", size: 0 }, { name: "z", type: "link", size: 0 }]);
  });

  it("errors: the guest's errno, no agent, too large, a bad path, an answer too long, a restart", async () => {
    const { a, say } = agent();
    say("WVAGENT 1\n");
    const r = a.read("/nope");
    say("ERR ENOENT No such file or directory\n");
    await expect(r).rejects.toMatchObject({ code: "ENOENT", message: "g: read /nope: No such file or directory (ENOENT)" });
    await expect(agent(false).a.read("/x")).rejects.toMatchObject({ code: "no-agent" });
    await expect(a.write("/big", new Uint8Array(MAX_AGENT_FILE + 1))).rejects.toMatchObject({ code: "too-large" });
    await expect(a.read("relative")).rejects.toMatchObject({ code: "bad-path" });
    // A hostile guest announcing more than a file may hold: refused before anything is buffered.
    const big = a.read("/x");
    say(`OK ${MAX_AGENT_FILE + 1}\n`);
    await expect(big).rejects.toMatchObject({ code: "protocol" });
    expect(a.ready).toBe(false); // (its stream is out of step: the next request waits for a hello)
    const waiting = a.read("/y");
    a.reset("the partition restarted");
    await expect(waiting).rejects.toBeInstanceOf(FileAgentError);
    await expect(waiting).rejects.toMatchObject({ code: "stopped", message: "g: read /y: the partition restarted" });
  });
});

describe.skipIf(missing !== null)(`files into and out of Linux${missing ? ` (skipped: ${missing})` : ""}`, () => {
  const runs: Record<string, { transcript: string; insns: number }> = {};
  for (const core of CORES) {
    it(`at boot through the initrd, at run time through the agent (${core})`, async () => {
      const s = await LinuxSession.boot({
        core, partner: null, fileAgent: true,
        addFiles: [{ path: "/root/notes/hello.txt", data: text("added at boot\n") }, { path: "/bin/hi", data: text("#!/bin/sh\necho hi from an added script\n"), mode: 0o755 }],
      });
      await s.prompt();
      let transcript = "";
      const run = async (cmd: string) => { const out = await s.run(cmd); transcript += `${cmd}\n${out}`; return out; };
      // At boot: the files are there, the script runs, nothing else of the initramfs changed.
      expect(await run("cat /root/notes/hello.txt")).toBe("added at boot\n");
      expect(await run("hi")).toBe("hi from an added script\n");
      expect(await run("ls /")).toBe("bin\ndev\netc\ninit\nmnt\nproc\nroot\nsys\ntmp\n");
      // At run time.
      const files = s.hv.files("linux");
      expect(files.ready).toBe(true);
      await s.settle(files.write("/tmp/from-host.txt", "written by the host\n"));
      expect(await run("cat /tmp/from-host.txt")).toBe("written by the host\n");
      await s.settle(files.write("/tmp/bytes.bin", ALL_BYTES));
      expect(await s.settle(files.read("/tmp/bytes.bin"))).toEqual(ALL_BYTES);
      if (process.env.FILES_MEASURE) { // (the throughput figure of docs/files.md)
        for (const size of [256 * 1024, MAX_AGENT_FILE]) {
        const big = Uint8Array.from({ length: size }, (_, i) => (i * 13) & 255);
        for (const [what, op] of [["write", () => files.write("/root/big", big)], ["read", () => files.read("/root/big")]] as const) {
          const t0 = performance.now();
          const i0 = s.hv.stats().partitions[0].instructions;
          const c0 = s.hv.stats().cycles;
          await s.settle(op() as Promise<unknown>);
          console.log(`${core}: ${what} ${size / 1024} KiB: ${((performance.now() - t0) / 1000).toFixed(2)} s, ${s.hv.stats().partitions[0].instructions - i0} guest instructions, ${((s.hv.stats().cycles - c0) / s.hv.cyclesPerSecond).toFixed(3)} s of virtual time`);
        }
        }
        await s.settle(files.write("/root/big", "")); // (RAM back)
      }
      await run("echo made by the guest > /tmp/g.txt");
      expect(new TextDecoder().decode(await s.settle(files.read("/tmp/g.txt")))).toBe("made by the guest\n");
      expect(await s.settle(files.list("/tmp"))).toEqual([
        { name: "bytes.bin", type: "file", size: 4096 }, { name: "from-host.txt", type: "file", size: 20 }, { name: "g.txt", type: "file", size: 18 },
      ]);
      expect((await s.settle(files.list("/"))).map((e) => `${e.type} ${e.name}`)).toContain("dir proc");
      // The guest's errors, with its errno.
      await expect(s.settle(files.read("/nope"))).rejects.toMatchObject({ code: "ENOENT", message: "linux: read /nope: No such file or directory (ENOENT)" });
      await expect(s.settle(files.read("/tmp"))).rejects.toMatchObject({ code: "EISDIR" });
      await expect(s.settle(files.write("/no/such/dir/x", "x"))).rejects.toMatchObject({ code: "ENOENT" });
      await expect(s.settle(files.list("/tmp/g.txt"))).rejects.toMatchObject({ code: "ENOTDIR" });
      await expect(s.settle(files.write("/tmp/big", new Uint8Array(MAX_AGENT_FILE + 1)))).rejects.toMatchObject({ code: "too-large" });
      // Another guest process writing junk to the agent's tty (30 KB of an ELF file): the host
      // drops what answers nothing, keeps at most a line of it, and is in step again after at
      // most one request (that one fails as a protocol error, or succeeds).
      await run("cat /init > /dev/hvc1");
      const first = await s.settle(files.read("/tmp/g.txt")).then(() => "ok", (e: FileAgentError) => e.code);
      expect(["ok", "protocol"]).toContain(first);
      expect(new TextDecoder().decode(await s.settle(files.read("/tmp/g.txt")))).toBe("made by the guest\n");
      transcript += `after junk: ${first}\n`;
      // The agent's bytes never reach the console; the console still works.
      expect(s.linux).not.toContain("WVAGENT");
      expect(await run("echo still here")).toBe("still here\n");
      // A restart fails what waits; the new agent answers again.
      const pending = files.read("/tmp/g.txt");
      await s.hv.restart("linux");
      await expect(pending).rejects.toMatchObject({ code: "stopped" });
      await s.prompt();
      expect(new TextDecoder().decode(await s.settle(files.read("/root/notes/hello.txt")))).toBe("added at boot\n");
      runs[core] = { transcript, insns: s.hv.stats().partitions[0].instructions };
      if (core === CORES[CORES.length - 1]) expect(runs[core]).toEqual(runs[CORES[0]]);
    }, 300_000);
  }

  it("--add-file HOST:GUEST on the command line (a program added keeps its execute bit)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wasmvisor-add-file-"));
    writeFileSync(join(dir, "greet"), "#!/bin/sh\necho greetings from the host\n");
    chmodSync(join(dir, "greet"), 0o755);
    writeFileSync(join(dir, "data.txt"), "some data\n");
    writeFileSync(join(dir, "sys.json"), JSON.stringify({ partitions: [linuxPartition()] }));
    // The console's input, typed once the shell prompts (input before the kernel's tty is open is lost).
    let stdout = "";
    let stderr = "";
    let typed = false;
    let listener: ((b: Uint8Array) => void) | null = null;
    let wake: (() => void) | null = null;
    const input: ConsoleInput = {
      initial: new Uint8Array(0), open: true,
      onData: (l) => { listener = l; return () => { listener = null; }; },
      next: () => new Promise((resolve) => { wake = resolve; }),
      close() {},
    };
    const io: CliIO = {
      input,
      stdout: (t) => {
        stdout += typeof t === "string" ? t : new TextDecoder().decode(t);
        if (!typed && stdout.endsWith("# ")) {
          typed = true;
          listener?.(text("greet; cat /root/data.txt\npoweroff\n"));
          wake?.();
        }
      },
      stderr: (t) => { stderr += t; },
    };
    const status = await main(["run", join(dir, "sys.json"), "--console", "linux",
      "--add-file", `${join(dir, "greet")}:/bin/greet`, "--add-file", `${join(dir, "data.txt")}:/root/data.txt`], io);
    expect(stderr).toBe("wasmvisor: [linux] shut down (SBI system reset)\n");
    expect(status).toBe(0);
    expect(stdout).toContain("[linux] # greet; cat /root/data.txt\r\n[linux] greetings from the host\r\n[linux] some data\r\n");
    let err = "";
    const bad: CliIO = { stdout: () => {}, stderr: (t) => { err += t; } };
    expect(await main(["run", join(dir, "sys.json"), "--add-file", "nocolon"], bad)).toBe(2);
    expect(err).toMatch(/--add-file nocolon: expected HOST:GUEST, GUEST an absolute path/);
  }, 120_000);
});
