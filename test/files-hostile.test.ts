// Hostile guests against the file agent (docs/files.md, "Hostile guests"): a bare guest
// (guests/c/agentliar.c) drives the file-agent device itself and answers the host's FileAgent
// with lies — lengths beyond the limit, junk, more bytes than announced, answers to nothing,
// control characters, path-like names, silence, an endless stream — and abuses the device
// (a buffer outside RAM, a looping chain, zero-length buffers, a notify storm). Every request
// must settle with a clear answer or error; the run goes on; a second partition's agent never
// sees the first's requests or answers. Both cores, which must agree exactly.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CORES, guestElf, guestPath, ROOT } from "./support/harness.ts";
import { initrdWithFiles, newcArchive, newcNames } from "../src/loader/cpio.ts";
import { main, type CliIO } from "../src/cli/main.ts";
import { LinuxSession, linuxMissing } from "./support/linux.ts";
import { Hypervisor } from "../src/api/hypervisor.ts";
import { loadWasmModule } from "../src/node/core-file.ts";
import { FileAgentError, guestText } from "../src/api/files.ts";
import type { CoreKind } from "../src/core/core.ts";

const INITRAMFS = join(ROOT, "guests/linux/build/initramfs.cpio");
const DEVICES = ["uart", "clint", "plic", "finisher", "file-agent"];

async function campaign(core: CoreKind) {
  const hv = new Hypervisor({
    partitions: [
      { name: "a", image: "agentliar", ram: "1M", devices: DEVICES },
      { name: "b", image: "agentliar", ram: "1M", devices: DEVICES },
      { name: "c", image: "agentliar", ram: "1M", devices: ["uart", "clint", "plic", "finisher"] },
    ],
  }, { core, wasmModule: core === "wasm" ? await loadWasmModule() : undefined, loadImage: (i) => guestElf(i) });
  const out: Record<string, string> = { a: "", b: "", c: "" };
  hv.on("output", (e) => { out[e.partition] += Buffer.from(e.data).toString("latin1"); });
  const log: string[] = [];
  const settle = async (label: string, p: Promise<unknown>) => {
    try {
      const v = await hv.runUntil(p, 200_000_000);
      log.push(`${label}: ok ${v instanceof Uint8Array ? Buffer.from(v).toString("latin1") : JSON.stringify(v)}`);
    } catch (err) {
      if (!(err instanceof FileAgentError)) throw err; // (anything else is a host failure)
      log.push(`${label}: ${err.code}: ${err.message}`);
    }
  };
  const a = hv.files("a"), b = hv.files("b");
  // Two agents at once: each gets its own request and answer.
  const both = Promise.all([a.read("/ok/alpha"), b.read("/ok/beta")]);
  await settle("a+b", both.then((v) => v.map((x) => Buffer.from(x).toString())));
  await settle("c no agent", hv.files("c").read("/ok/x"));
  for (const path of ["/ok/first", "/lie/junk", "/lie/more", "/ok/second", "/lie/escape", "/lie/escape2", "/lie/ecode", "/lie/longline",
    "/dev/zero", "/dev/storm", "/dev/outside", "/ok/after-outside", "/dev/loop", "/ok/after-loop", "/dev/wrap", "/ok/after-wrap", "/dev/zero-outside", "/ok/after-zero-outside", "/lie/hello", "/ok/third"]) {
    await settle(path, a.read(path));
  }
  for (const dir of ["/lie/names", "/lie/dots"]) await settle(`list ${dir}`, a.list(dir));
  // A write whose data the agent stops reading: it times out, and what had not reached the guest
  // is dropped, so the agent that starts again reads the next request, not the old data.
  await settle("write /lie/deaf", a.write("/lie/deaf", new Uint8Array(100_000).fill(0x78), { timeout: 0.01 }));
  await settle("/ok/after-deaf", a.read("/ok/after-deaf"));
  // Silence: the request times out; the stream is out of step, so the next waits for a hello
  // that does not come and times out too. A restart brings the agent back.
  await settle("/lie/silent", a.read("/lie/silent", { timeout: 0.01 }));
  await settle("/ok/unsent", a.read("/ok/unsent", { timeout: 0.01 }));
  await hv.restart("a");
  await settle("/lie/oversize", a.read("/lie/oversize"));
  await hv.restart("a");
  await settle("/lie/huge", a.read("/lie/huge"));
  await hv.restart("a");
  // An endless stream without a newline: the request times out, the host holds at most one
  // answer line, and the other partition's agent still answers.
  await settle("/lie/endless", a.read("/lie/endless", { timeout: 0.05 }));
  await settle("b while a streams", b.read("/ok/late"));
  const stats = hv.stats();
  return { log, out, instructions: stats.partitions.map((p) => `${p.name} ${p.instructions}`), hv };
}

describe("hostile file agents (a bare guest that lies) on both cores", () => {
  it("every lie settles with a clear answer or error, the run goes on, partitions never see each other's traffic", async () => {
    const runs = [];
    for (const core of CORES) runs.push(await campaign(core));
    const [w, t] = runs;
    expect(t.log).toEqual(w.log);
    expect(t.out).toEqual(w.out);
    expect(t.instructions).toEqual(w.instructions);
    const log = w.log.join("\n");
    expect(w.log[0]).toBe('a+b: ok ["alpha","beta"]');
    expect(log).toContain("c no agent: no-agent:");
    expect(w.out.c).toBe("agentliar: slot 2 holds device 0: no file agent here\n");
    expect(log).toContain("/ok/first: ok first");
    expect(log).toContain('/lie/junk: protocol: a: read /lie/junk: the file agent said "HELLO THERE"');
    // More bytes than announced: the announced ones; the rest (and an answer to nothing) dropped.
    expect(log).toContain("/lie/more: ok abc\n/ok/second: ok second");
    // Control characters from the guest are escaped in the error's message.
    expect(log).toContain('/lie/escape: protocol: a: read /lie/escape: the file agent said "ERR EIO \\x1b]0;owned\\x07\\x1b[2J\\x0d gone"');
    expect(log).toContain("/lie/escape2: EIO: a: read /lie/escape2: \\x1b]0;owned\\x07 gone (EIO)");
    expect(log).toMatch(/\/lie\/ecode: protocol: /);
    expect(log).toMatch(/\/lie\/longline: protocol: a: read \/lie\/longline: the file agent said "O{200}\.\.\."/);
    expect(log).toContain("/dev/zero: ok zero\n/dev/storm: ok storm");
    // A buffer outside the partition and a looping chain stop the device (NEEDS_RESET, 0x40);
    // the guest resets it and its agent starts again: the request fails as "stopped".
    expect(w.out.a).toContain("agentliar: outside: status 4f\n");
    expect(w.out.a).toContain("agentliar: loop: status 4f\n");
    expect(log).toMatch(/\/dev\/outside: stopped: .*\n\/ok\/after-outside: ok after-outside\n\/dev\/loop: stopped: .*\n\/ok\/after-loop: ok after-loop/);
    // A buffer across 2^32, and a zero-length one outside RAM, stop the device the same way.
    expect(w.out.a).toContain("agentliar: wrap: status 4f\n");
    expect(w.out.a).toContain("agentliar: zero-outside: status 4f\n");
    expect(log).toMatch(/\/dev\/wrap: stopped: .*\n\/ok\/after-wrap: ok after-wrap\n\/dev\/zero-outside: stopped: .*\n\/ok\/after-zero-outside: ok after-zero-outside\n/);
    expect(log).toMatch(/\/lie\/hello: stopped: a: read \/lie\/hello: the file agent started again before answering\n\/ok\/third: ok third/);
    expect(log).toContain('list /lie/names: protocol: a: list /lie/names: the file agent listed "f 1 ../../etc/passwd"');
    expect(log).toContain('list /lie/dots: protocol: a: list /lie/dots: the file agent listed "d 0 .."');
    expect(log).toContain("write /lie/deaf: timeout: a: write /lie/deaf: no answer from the file agent within the request's timeout");
    expect(log).toContain("/ok/after-deaf: ok after-deaf");
    expect(log).toContain("/lie/silent: timeout: a: read /lie/silent: no answer from the file agent within the request's timeout");
    expect(log).toContain("/ok/unsent: timeout: a: read /ok/unsent: the file agent did not start within the request's timeout");
    expect(log).toContain("/lie/oversize: protocol: a: read /lie/oversize: the agent answers with 1048577 bytes, more than 1048576");
    expect(log).toMatch(/\/lie\/huge: protocol: a: read \/lie\/huge: the agent answers with 1e\+32 bytes/);
    expect(log).toContain("/lie/endless: timeout:");
    expect(log).toContain("b while a streams: ok late");
    // Partition b saw its own two requests and nothing of a's.
    expect(w.out.b).toBe("agentliar: up\nagentliar: request R /ok/beta\nagentliar: request R /ok/late\n");
    const buffered = (w.hv.files("a") as unknown as { line: number[] }).line.length;
    expect(buffered).toBeLessThanOrEqual(512);
    console.log(`files-hostile: ${w.instructions.join(", ")} (both cores)`);
  }, 240_000);

  it("the host refuses bad requests before anything reaches the guest", async () => {
    const hv = new Hypervisor({ partitions: [{ name: "a", image: "agentliar", ram: "1M", devices: DEVICES }] }, {
      core: "ts", loadImage: (i) => guestElf(i),
    });
    const a = hv.files("a");
    const bad: unknown[] = ["rel", "/a/../b", "/a\0b", "/a\nb", "/x/", "//x", `/${"n".repeat(256)}`, `/${"\u00e9".repeat(128)}`, "/\ud800x", 42, null];
    for (const p of bad) await expect(a.write(p as string, "x")).rejects.toMatchObject({ code: "bad-path" });
    await expect(a.write("/ok", 5 as unknown as string)).rejects.toThrow(TypeError);
    await expect(a.write("/ok", new Uint8Array((1 << 20) + 1))).rejects.toMatchObject({ code: "too-large" });
    await expect(a.read("/ok", { timeout: 0 })).rejects.toThrow(RangeError);
    expect(guestText("a\x1b[2J\x9b\x7fb")).toBe("a\\x1b[2J\\x9b\\x7fb");
  });
});

describe("files added at boot: hostile paths and host files", () => {
  const text = (s: string) => new TextEncoder().encode(s);

  it("guest paths: refused with the reason; twice, or a file and a directory of one name, refused", () => {
    for (const [path, why] of [["../x", "is not absolute"], ["/a/../../x", "component"], ["/./x", "component"], ["x", "is not absolute"],
      ["/a\0b", "NUL"], [`/${"x".repeat(300)}`, "longer than 255 bytes"], [`/${"\u00e9".repeat(128)}`, "longer than 255 bytes"], ["/\udc00", "lone surrogate"]]) {
      expect(() => newcArchive([{ path, data: text("") }]), path).toThrow(why);
    }
    expect(() => newcArchive([{ path: "/a", data: text("1") }, { path: "/a", data: text("2") }])).toThrow('guest file "/a" is added twice');
    expect(() => newcArchive([{ path: "/a", data: text("1") }, { path: "/a/b", data: text("2") }])).toThrow('guest file "/a" is added, and so is "/a/b" inside it');
    expect(() => newcArchive([{ path: "/a", data: "text" as unknown as Uint8Array }])).toThrow("its data must be a Uint8Array");
  });

  it("over the base initrd: a file replaces a file; a kind clash (file over directory, below a file) is refused", () => {
    const base = newcArchive([
      { path: "/etc/profile", data: text("base\n") }, { path: "/init", data: text("#!") },
    ]);
    expect(newcNames(base)).toEqual(new Map([["etc", true], ["etc/profile", false], ["init", false]]));
    expect(initrdWithFiles(base, [{ path: "/etc/profile", data: text("mine\n") }]).length).toBeGreaterThan(base.length);
    expect(() => initrdWithFiles(base, [{ path: "/etc", data: text("x") }])).toThrow('guest file "/etc": the initrd has a directory there');
    expect(() => initrdWithFiles(base, [{ path: "/init/x", data: text("x") }])).toThrow('guest file "/init/x": the initrd has "/init" as a file, not a directory');
    // A compressed (or any non-newc) initrd is not looked into.
    expect(newcNames(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0))).toBeNull();
    // A truncated or lying header ends the walk (bounded by the initrd's size).
    const lying = text(`070701${"0".repeat(8 * 6)}ffffffff${"0".repeat(8 * 4)}00000002${"0".repeat(8)}a\0`);
    expect(newcNames(lying)!.size).toBeLessThanOrEqual(1);
    // The project's own initramfs, when built: its /bin is a directory.
    if (existsSync(INITRAMFS)) {
      const real = readFileSync(INITRAMFS);
      expect(newcNames(real)!.get("bin")).toBe(true);
      expect(() => initrdWithFiles(real, [{ path: "/bin", data: text("x") }])).toThrow("the initrd has a directory there");
    }
  });

  it("--add-file: FIFOs, directories, devices, missing and over-large host files are refused unread, with a clear error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wasmvisor-add-hostile-"));
    writeFileSync(join(dir, "initrd"), newcArchive([{ path: "/init", data: text("x") }]));
    writeFileSync(join(dir, "sys.json"), JSON.stringify({ partitions: [{ name: "l", mode: "supervisor", image: guestPath("hello"), initrd: join(dir, "initrd"), ram: "1M" }] }));
    execFileSync("mkfifo", [join(dir, "fifo")]);
    const big = join(dir, "big");
    writeFileSync(big, "");
    truncateSync(big, 64 * 1024 * 1024 + 1); // (sparse: nothing is written)
    const cases: Array<[string, RegExp]> = [
      [`${join(dir, "fifo")}:/x`, /a FIFO \(named pipe\), not a regular file/],
      [`${dir}:/x`, /a directory, not a regular file/],
      ["/dev/zero:/x", /a character device, not a regular file/],
      [`${join(dir, "missing")}:/x`, /ENOENT/],
      [`${big}:/x`, /too large: the files added at boot hold at most 67108864 bytes in all/],
      [`${join(dir, "initrd")}:/a/../b`, /the guest path has an empty, \. or \.\. component/],
      [`${join(dir, "initrd")}:relative`, /expected HOST:GUEST, GUEST an absolute path/],
    ];
    for (const [spec, why] of cases) {
      let err = "";
      const io: CliIO = { stdout: () => {}, stderr: (t) => { err += t; } };
      const started = performance.now();
      expect(await main(["run", join(dir, "sys.json"), "--add-file", spec], io), spec).not.toBe(0);
      expect(err, spec).toMatch(why);
      expect(performance.now() - started, spec).toBeLessThan(5000); // (a FIFO is never waited on)
    }
  });
});

// The shell's line editor (guests/linux/userland/lib/lineedit.c) against a user's odd input:
// completion in a directory of more names than it keeps (it used to insert the kept ones'
// common part, which the dropped ones did not share), a name whose escaped form is longer than
// its 256-byte buffer (it used to insert it cut short, then a space), a line longer than the
// shell takes, more lines than the history keeps, and escape sequences no terminal sends.
const missing = linuxMissing();
describe.skipIf(missing !== null)(`the line editor against odd input${missing ? ` (skipped: ${missing})` : ""}`, () => {
  const text = (s: string) => new TextEncoder().encode(s);
  const SPACED = `y${" ".repeat(200)}z`;
  const files = [
    ...Array.from({ length: 200 }, (_, i) => ({ path: `/c/xa${String(i).padStart(3, "0")}`, data: text("") })),
    ...Array.from({ length: 200 }, (_, i) => ({ path: `/c/xb${String(i).padStart(3, "0")}`, data: text("") })),
    { path: `/c/${SPACED}`, data: text("spaced\n") },
    { path: "/d/q\x1b[2Jred", data: text("") }, { path: "/d/qq", data: text("") },
  ];
  const runs: Record<string, { transcript: string; insns: number }> = {};
  for (const core of CORES) {
    it(`completion, long lines, history and escapes (${core})`, async () => {
      const s = await LinuxSession.boot({ core, partner: null, addFiles: files });
      await s.prompt();
      const type = async (keys: string) => {
        s.hv.console("linux").write(keys);
        return s.until(/# $/, 2_000_000_000);
      };
      let transcript = "";
      // 400 candidates, 128 kept: nothing is inserted (xa and xb share only "x"), the kept ones listed.
      let out = await type("ls /c/x\t\x15\n");
      expect(out.slice(0, 9)).toBe("ls /c/x\r\n");
      expect(out).toContain("(and 272 more)");
      transcript += out;
      // A name of 202 bytes with 200 spaces: completed whole (402 bytes escaped), then run.
      out = await type("cat /c/y\t\n");
      expect(out).toBe(`cat /c/y${"\\ ".repeat(200)}z \r\nspaced\r\n# `);
      transcript += out;
      // Names listed with their control characters as '?': a file name cannot drive the terminal.
      out = await type("ls /d/q\t\x15\n");
      expect(out.slice(0, 25)).toBe("ls /d/q\r\nq?[2Jred  qq\r\n# ");
      transcript += out;
      // A line longer than the shell's 1023 bytes: the rest rings the bell; the shell goes on.
      out = await type(`${"a".repeat(1100)}\n`);
      expect(out).toBe(`${"a".repeat(1023)}${"\x07".repeat(77)}\r\nsh: ${"a".repeat(1023)}: not found\r\n# `);
      transcript += out;
      // 40 lines, then Up 40 times: the 32 kept, then the bell; Enter runs the oldest kept.
      for (let i = 0; i < 40; i++) transcript += await type(`echo ${i}\n`);
      out = await type(`${"\x1b[A".repeat(40)}\n`);
      expect(out.endsWith("\r\n8\r\n# ")).toBe(true);
      expect(out.split("\x07").length - 1).toBe(8);
      transcript += out;
      // Escape sequences no terminal sends: a huge parameter, many separators, ESC ESC (Alt with a key), an
      // unknown final byte: ignored, and the line still works.
      out = await type(`\x1b[99999999999999999999~\x1b[;;;;;;;;;;;;Q\x1b\x1b[5~\x1bOz\x1b[200~echo ok\n`);
      expect(out.endsWith("echo ok\r\nok\r\n# ")).toBe(true);
      transcript += out;
      runs[core] = { transcript, insns: s.hv.stats().partitions.find((p) => p.name === "linux")!.instructions };
      if (core === CORES[CORES.length - 1]) expect(runs[core]).toEqual(runs[CORES[0]]);
    }, 300_000);
  }
});

describe("requests to a partition that stops, or a hypervisor that closes", () => {
  it("settle at once with stopped: in flight when killed, made after, pending at close", async () => {
    const hv = new Hypervisor({ partitions: [{ name: "a", image: "agentliar", ram: "1M", devices: DEVICES }, { name: "b", image: "agentliar", ram: "1M", devices: DEVICES }] }, {
      core: "ts", loadImage: (i) => guestElf(i),
    });
    const a = hv.files("a");
    expect(Buffer.from(await hv.runUntil(a.read("/ok/up"), 50_000_000)).toString()).toBe("up");
    const silent = a.read("/lie/silent");
    await hv.step(1_000_000);
    hv.kill("a", "killed by the test");
    await expect(silent).rejects.toMatchObject({ code: "stopped", message: "a: read /lie/silent: the partition stopped (killed by the test)" });
    await expect(a.read("/ok/x")).rejects.toMatchObject({ code: "stopped", message: "a: read /ok/x: the partition has stopped (killed by the test)" });
    const pending = hv.files("b").read("/lie/silent");
    hv.close();
    await expect(pending).rejects.toMatchObject({ code: "stopped", message: "b: read /lie/silent: the hypervisor was closed" });
  });
});
