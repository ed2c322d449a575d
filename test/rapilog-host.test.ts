// RapiLog's promise under host signals: the host-kill campaign (test/support/host-kill.ts) on the
// real `wasmvisor run` process. Linux commits kvdb transactions to a disk in each mode; the host
// ends the process with SIGTERM, SIGHUP or SIGINT, by closing its terminal or the reader of its
// stdout, or with SIGKILL; after every exit every transaction whose ack the guest printed must be
// in the image, intact (host-side replay, and the guest's own `kvdb check` on the next boot).
//
// That the campaign can fail: test/rapilog-mutations.test.ts. Also here: the host-side replay
// against hand-made logs, and the test hooks' guard rails.
//
// Fixed seeds, a few kills each (the long campaign: `npm run campaign:rapilog`).
import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { campaignSystem, hostKillCampaign, summarize, type CampaignOptions, type Ending } from "./support/host-kill.ts";
import { readKvdbLog } from "./support/kvdb-log.ts";
import { linuxMissing } from "./support/linux.ts";
import { ROOT } from "./support/harness.ts";

const missing = linuxMissing();
const hasScript = spawnSync("script", ["-qec", "true", "/dev/null"]).status === 0; // (a terminal can be had)
/** Every ending wasmvisor handles (closing its terminal needs script(1), from util-linux). */
const HANDLED_ENDINGS: Ending[] = ["SIGTERM", "SIGHUP", "SIGINT", "repeated", "stdout", ...(hasScript ? ["terminal" as const] : [])];

async function campaign(o: CampaignOptions) {
  const r = await hostKillCampaign(o);
  console.log(summarize(r));
  return r;
}

describe.skipIf(missing !== null)("the host ends wasmvisor while Linux commits", () => {
  it("rapilog: no acknowledged commit lost after SIGTERM, SIGHUP, SIGINT, repeated signals, a closed terminal or stdout (wasm core)", async () => {
    const r = await campaign({ core: "wasm", mode: "rapilog", kills: 10, seed: 0x4b11_0001, endings: HANDLED_ENDINGS });
    expect(r.problems).toEqual([]);
    expect(r.lostHandled).toBe(0);
    expect(r.rounds.filter((x) => !x.idle && x.acked > x.start).length).toBeGreaterThanOrEqual(8); // killed mid-stream
  }, 300_000);

  it("writethrough: the same, and SIGKILL loses nothing either (wasm core)", async () => {
    const r = await campaign({ core: "wasm", mode: "writethrough", kills: 8, seed: 0x4b11_0002, endings: [...HANDLED_ENDINGS, "SIGKILL"] });
    expect(r.problems).toEqual([]);
    expect(r.lostHandled).toBe(0);
    expect(r.byEnding.SIGKILL?.lost ?? 0).toBe(0);
  }, 300_000);

  it("SIGKILL of a RapiLog run: what the writer had not written is lost, but the log stays a clean prefix (measured, wasm core)", async () => {
    const r = await campaign({ core: "wasm", mode: "rapilog", kills: 4, seed: 0x4b11_0003, endings: ["SIGKILL"] });
    // Not promised: losses are reported (see the README's figures), corruption is a failure.
    expect(r.problems).toEqual([]);
    expect(r.byEnding.SIGKILL!.corrupt).toBe(0);
  }, 300_000);

  it("a signal while wasmvisor waits for GDB ends the wait and the run (the disks are closed)", async () => {
    const { dir, system } = campaignSystem("rapilog");
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "test/support/wasmvisor-src.ts"), "run", system, "--gdb", "0"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
    await new Promise<void>((resolve) => child.stderr.on("data", (d: string) => {
      stderr += d;
      if (/waiting for GDB/.test(stderr)) resolve();
    }));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const exit = await exited;
    clearTimeout(timer);
    expect(exit, stderr).toEqual({ code: 143, signal: null });
    expect(stderr).toMatch(/SIGTERM: no longer waiting for GDB/);
    expect(stderr).toMatch(/\[linux\] interrupted \(SIGTERM\) \(status 143\)/);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  for (const mode of ["rapilog", "writethrough"] as const) {
    it(`${mode}: SIGTERM and SIGHUP on the pure-TS core`, async () => {
      const r = await campaign({ core: "ts", mode, kills: 2, seed: 0x4b11_0004, endings: ["SIGTERM", "SIGHUP"], ackWindow: 60 });
      expect(r.problems).toEqual([]);
      expect(r.lostHandled).toBe(0);
    }, 300_000);
  }
});

describe("the host-side replay of kvdb's log", () => {
  /** A log of `n` transactions of run `run`, written as kvdb writes them. */
  function log(n: number, run = 1, sectors = 64): Uint8Array {
    const image = new Uint8Array(sectors * 512);
    const view = new DataView(image.buffer);
    view.setUint32(0, 0x4244564b, true);
    view.setUint32(4, 1, true);
    view.setUint32(8, run, true);
    for (let s = 1; s <= n; s++) {
      const at = s * 512;
      const len = 16 + (s % 400);
      view.setUint32(at, 0x4c52564b, true);
      view.setUint32(at + 4, run, true);
      view.setUint32(at + 8, s, true);
      view.setUint32(at + 12, s % 64, true);
      view.setUint32(at + 16, len, true);
      for (let i = 0; i < len; i++) image[at + 20 + i] = (s * 31 + i * 7) & 255;
      view.setUint32(at + 508, crc32(image.subarray(at, at + 20 + len)), true);
    }
    return image;
  }
  function crc32(bytes: Uint8Array): number { // (bitwise, independent of kvdb-log.ts's table)
    let c = 0xffffffff;
    for (const b of bytes) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = c & 1 ? (0xedb88320 ^ (c >>> 1)) >>> 0 : c >>> 1;
    }
    return (c ^ 0xffffffff) >>> 0;
  }

  it("replays a log, stops at its end and at another run's records, and finds damage", () => {
    expect(readKvdbLog(new Uint8Array(4096))).toEqual({ run: null, recovered: 0, keys: 0, corrupt: 0 });
    expect(readKvdbLog(log(10))).toEqual({ run: 1, recovered: 10, keys: 10, corrupt: 0 });
    expect(readKvdbLog(log(63, 1, 64))).toMatchObject({ recovered: 63, keys: 63 }); // to the last sector
    const newer = log(5, 2);
    newer.set(log(10).subarray(6 * 512, 11 * 512), 6 * 512); // records 6-10 of the old run behind it
    expect(readKvdbLog(newer)).toMatchObject({ run: 2, recovered: 5, corrupt: 0 });
    const flipped = log(10);
    flipped[4 * 512 + 30] ^= 1; // a byte of record 4's value
    expect(readKvdbLog(flipped)).toEqual({ run: 1, recovered: 3, keys: 3, corrupt: 1 });
    const torn = log(10);
    torn.fill(0, 7 * 512, 8 * 512); // record 7 never written: 8-10 do not count
    expect(readKvdbLog(torn)).toMatchObject({ recovered: 6, corrupt: 0 });
  });
});

describe("the RapiLog test hooks", () => {
  it("are refused when misspelt, and warn when on", () => {
    const path = join(mkdtempSync(join(tmpdir(), "wasmvisor-rapilog-")), "d.img");
    writeFileSync(path, new Uint8Array(64 * 1024));
    const script = `
      import { RapilogDisk } from ${JSON.stringify(join(ROOT, "src/node/rapilog-disk.ts"))};
      try { new RapilogDisk(${JSON.stringify(path)}, 1 << 20).close(); console.log("opened"); } catch (e) { console.log(e.message); }
    `;
    const run = (env: Record<string, string>) => spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } });
    expect(run({ WASMVISOR_RAPILOG_FAULT: "sync-nowait" }).stdout).toMatch(/WASMVISOR_RAPILOG_FAULT=sync-nowait: not a RapiLog fault \(test-only: sync-no-wait, no-fdatasync, close-no-sync\)/);
    expect(run({ WASMVISOR_RAPILOG_SLOW_DISK_MS: "fast" }).stdout).toMatch(/WASMVISOR_RAPILOG_SLOW_DISK_MS=fast: expected milliseconds/);
    const on = run({ WASMVISOR_RAPILOG_FAULT: "close-no-sync" });
    expect(on.stdout).toBe("opened\n");
    expect(on.stderr).toMatch(/RapiLog test hooks are on \(WASMVISOR_RAPILOG_FAULT=close-no-sync\): acknowledged writes can be lost/);
    const off = run({});
    expect(off.stdout).toBe("opened\n");
    expect(off.stderr).not.toMatch(/test hooks/);
  });
});
