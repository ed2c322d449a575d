// RapiLog (src/node/rapilog-disk.ts) and its baseline, the writethrough disk.
//
// The disk itself: writes are readable at once and reach the file in order through the
// background writer; sync() waits for them; a small buffer makes the guest wait and loses
// nothing; a normal process exit persists what is buffered; bad files are reported.
//
// Crash testing: Linux runs `kvdb put` (guests/linux/userland/cmd/kvdb.c: one 512-byte O_DIRECT
// record + fdatasync per transaction, "ack S" printed once S is committed) on the disk in each
// mode. At a random cycle during the commits the host kills the partition, restarts it from its
// image, boots it, and runs `kvdb check`, which replays the log: every transaction the guest
// saw acknowledged must be there, none corrupt. 50 crashes per mode on the Wasm core; the first
// crashes of the same schedule on the pure-TS core must agree exactly (acks, recovery,
// instructions). A control tampers with the log behind Linux's back and shows the check finds
// a lost or corrupt commit.
import { describe, expect, it } from "vitest";
import { mkdtempSync, openSync, readSync, writeFileSync, readFileSync, writeSync, closeSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RapilogDisk } from "../src/node/rapilog-disk.ts";
import { LinuxSession, linuxMissing } from "./support/linux.ts";
import { ROOT } from "./support/harness.ts";
import { rng as prng } from "./support/random-program.ts"; // seeded: the same crash points on every run and core

const SECTOR = 512;

function blankDisk(bytes = 2 * 1024 * 1024): string {
  const path = join(mkdtempSync(join(tmpdir(), "wasmvisor-rapilog-")), "log.img");
  writeFileSync(path, new Uint8Array(bytes));
  return path;
}

/** What another reader of the host file sees (not through the disk object). */
function fileSector(path: string, sector: number): Uint8Array {
  const fd = openSync(path, "r");
  const out = new Uint8Array(SECTOR);
  readSync(fd, out, 0, SECTOR, sector * SECTOR);
  closeSync(fd);
  return out;
}

const filled = (value: number, bytes = SECTOR) => new Uint8Array(bytes).fill(value);

describe("the RapiLog disk", () => {
  it("serves its own writes at once and persists them in order, in the background", async () => {
    const path = blankDisk(64 * 1024);
    const d = new RapilogDisk(path, 64 * 1024);
    expect(d.stableWrites).toBe(true);
    d.write(3 * SECTOR, filled(1));
    d.write(3 * SECTOR, filled(2)); // the later write wins, in memory and in the file
    d.write(4 * SECTOR, filled(7, 2 * SECTOR));
    const back = new Uint8Array(4 * SECTOR);
    d.read(2 * SECTOR, back);
    expect(Array.from(back.filter((_, i) => i % SECTOR === 0))).toEqual([0, 2, 7, 7]);
    d.flush();
    // The writer persists without being asked.
    for (let waited = 0; d.pendingBytes > 0 && waited < 5000; waited += 5) await new Promise((r) => setTimeout(r, 5));
    expect(d.pendingBytes).toBe(0);
    expect(fileSector(path, 3)[0]).toBe(2);
    expect(fileSector(path, 5)[511]).toBe(7);
    expect(d.stats).toMatchObject({ flushes: 1, sectorsWritten: 4, backPressure: 0 });
    expect(d.stats.fsyncs).toBeGreaterThanOrEqual(1);
    d.close();
    expect(() => d.read(0, new Uint8Array(SECTOR))).toThrow(/closed/);
  });

  it("a full buffer makes the writer wait; nothing is lost, and sync() leaves everything in the file", () => {
    const path = blankDisk(256 * 1024);
    const d = new RapilogDisk(path, 4096); // records of one sector, a few at a time
    const data = new Uint8Array(128 * 1024);
    for (let s = 0; s < data.length / SECTOR; s++) data.fill(s + 1, s * SECTOR, (s + 1) * SECTOR);
    d.write(16 * SECTOR, data); // one request, 256 records through a 4 KiB ring
    for (let i = 0; i < 50; i++) d.write(SECTOR, filled(i)); // the same sector, over and over
    const back = new Uint8Array(data.length);
    d.read(16 * SECTOR, back);
    expect(back).toEqual(data);
    d.sync();
    expect(d.pendingBytes).toBe(0);
    expect(d.stats.backPressure).toBeGreaterThan(0);
    expect(readFileSync(path).subarray(16 * SECTOR, 16 * SECTOR + data.length)).toEqual(Buffer.from(data));
    expect(fileSector(path, 1)[0]).toBe(49);
    d.close();
  });

  it("a normal exit of the host process persists what is buffered", () => {
    const path = blankDisk(64 * 1024);
    const script = `
      import { RapilogDisk } from ${JSON.stringify(join(ROOT, "src/node/rapilog-disk.ts"))};
      const d = new RapilogDisk(${JSON.stringify(path)}, 1 << 20);
      for (let s = 0; s < 100; s++) d.write(s * 512, new Uint8Array(512).fill(s + 1));
      process.exit(0); // no close(), no sync()
    `;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    for (const s of [0, 50, 99]) expect(fileSector(path, s)[0]).toBe(s + 1);
  });

  it("bad files and buffers are reported", () => {
    const dir = mkdtempSync(join(tmpdir(), "wasmvisor-rapilog-"));
    expect(() => new RapilogDisk(join(dir, "none.img"))).toThrow(/cannot open the disk image .*none\.img: ENOENT/);
    writeFileSync(join(dir, "odd.img"), new Uint8Array(1000));
    expect(() => new RapilogDisk(join(dir, "odd.img"))).toThrow(/not a whole number of 512-byte sectors/);
    expect(() => new RapilogDisk(blankDisk(4096), 1024)).toThrow(/at least 4096 bytes/);
  });
});

// ── Crash testing ─────────────────────────────────────────────────────────────────────────────

interface Crash {
  /** Highest transaction acknowledged so far (over all crashes), acks seen in this round, what
   *  recovery found, and Linux's instruction count when the check was done. */
  acked: number;
  acksThisRound: number;
  recovered: number;
  corrupt: number;
  instructions: number;
  /** Commits acknowledged in this round (at least: the transaction in flight at the previous
   *  crash may have been recovered and not acknowledged, so count from the recovery). */
  commits: number;
  /** The disk as the guest drove it in this round, up to the crash: requests, flushes, and the
   *  cache mode it was shown (deterministic, unlike the host's fdatasyncs under RapiLog). */
  disk: { writes: number; flushes: number; cache: string };
}

/** The highest "ack S" line printed completely in `text` (0 if none). */
function lastAck(text: string): number {
  let last = 0;
  for (const m of text.replace(/\r/g, "").matchAll(/^ack (\d+)\n/gm)) last = Math.max(last, Number(m[1]));
  return last;
}

/** `kvdb check`'s report. */
function parseCheck(out: string): { recovered: number; corrupt: number } {
  const m = /kvdb: recovered (\d+) transactions, \d+ keys, (\d+) corrupt/.exec(out);
  if (!m) throw new Error(`kvdb check printed no report:\n${out}`);
  return { recovered: Number(m[1]), corrupt: Number(m[2]) };
}

/** What is wrong with a recovery after a crash: lost acknowledged commits, corruption, or
 *  transactions that were never issued. Empty when the guarantee held. */
function problems(c: { acked: number; recovered: number; corrupt: number }): string[] {
  const found: string[] = [];
  if (c.recovered < c.acked) found.push(`lost ${c.acked - c.recovered} acknowledged commits (acked ${c.acked}, recovered ${c.recovered})`);
  if (c.corrupt > 0) found.push(`${c.corrupt} corrupt records`);
  // At most the one transaction in flight at the crash (written, not yet acknowledged) extra.
  if (c.recovered > c.acked + 1) found.push(`recovered ${c.recovered} transactions, but only ${c.acked} were acknowledged`);
  return found;
}

const PUT = 40; // transactions per round; a crash comes before they are all done
const CRASH_WINDOW = 900_000; // cycles after the round's first ack (about 20 000 per commit)

/** Run `crashes` rounds of put → crash → reboot → check on a fresh disk. */
async function campaign(core: "wasm" | "ts", mode: "writethrough" | "rapilog", crashes: number, seed: number) {
  const disk = blankDisk();
  const s = await LinuxSession.boot({ core, disk: { file: disk, mode } });
  const random = prng(seed);
  const log: Crash[] = [];
  try {
    await s.prompt();
    expect(await s.run("kvdb init")).toMatch(/kvdb: new log, run 1/);
    let acked = 0;
    for (let k = 0; k < crashes; k++) {
      s.hv.console("linux").write(`kvdb put ${PUT}\n`);
      // Let kvdb start (its recovery grows with the log), then crash at a random cycle.
      let out = "";
      for (let spent = 0; !/^ack \d+\r?\n/m.test(out); spent += 20_000) {
        if (spent > 50_000_000) throw new Error(`kvdb put acknowledged nothing:\n${out}`);
        out += await s.advance(20_000);
      }
      out += await s.advance(1 + Math.floor(random() * CRASH_WINDOW));
      const { writes, flushes, cache } = s.hv.stats().partitions.find((p) => p.name === "linux")!.disk!;
      out += s.crash();
      const round = lastAck(out);
      const commits = round > 0 ? round - Math.max(acked, log.at(-1)?.recovered ?? 0) : 0;
      acked = Math.max(acked, round);
      await s.reboot();
      const { recovered, corrupt } = parseCheck(await s.run("kvdb check", 1e10));
      const linux = s.hv.stats().partitions.find((p) => p.name === "linux")!;
      log.push({ acked, acksThisRound: round, commits, recovered, corrupt, instructions: linux.instructions, disk: { writes, flushes, cache } });
    }
    return { log, session: s, disk };
  } catch (err) {
    s.hv.close();
    throw err;
  }
}

const missing = linuxMissing();
const CRASHES = 50;
const CRASHES_TS = 8;

describe.skipIf(missing !== null)("crashing Linux during commits", () => {
  for (const mode of ["rapilog", "writethrough"] as const) {
    it(`${mode}: ${CRASHES} crashes, no acknowledged commit lost, nothing corrupt; the TS core agrees`, async () => {
      const seed = mode === "rapilog" ? 0x5eed0001 : 0x5eed0002;
      const wasm = await campaign("wasm", mode, CRASHES, seed);
      try {
        const bad = wasm.log.flatMap((c, k) => problems(c).map((p) => `crash ${k + 1}: ${p}`));
        expect(bad).toEqual([]);
        // The crashes came during commits: nearly every round had acknowledged some.
        expect(wasm.log.filter((c) => c.acksThisRound > 0).length).toBeGreaterThanOrEqual(CRASHES - 2);
        expect(wasm.log.at(-1)!.acked).toBeGreaterThan(CRASHES * 5);
        // RapiLog shows Linux a writethrough cache, so its fdatasyncs send no flushes at all;
        // writethrough shows a writeback cache, and every commit flushes.
        for (const c of wasm.log) {
          expect(c.disk.cache).toBe(mode === "rapilog" ? "writethrough" : "writeback");
          if (mode === "rapilog") expect(c.disk.flushes).toBe(0);
          else expect(c.disk.flushes).toBeGreaterThanOrEqual(c.commits);
          expect(c.disk.writes).toBeGreaterThanOrEqual(c.commits);
        }

        // The control: the check notices a lost commit and a corrupt one. Crash once more,
        // then change the host file behind the (stopped) guest's back.
        wasm.session.hv.console("linux").write(`kvdb put ${PUT}\n`);
        let out = "";
        while (lastAck(out) < 3) out += await wasm.session.advance(50_000);
        out += wasm.session.crash(); // the disk is synced: the file holds every acknowledged commit
        const acked = lastAck(out);
        const fd = openSync(wasm.disk, "r+");
        writeSync(fd, new Uint8Array(SECTOR), 0, SECTOR, acked * SECTOR); // lose the last ack
        const byte = new Uint8Array(1); // corrupt one before: flip a byte of its value
        readSync(fd, byte, 0, 1, (acked - 2) * SECTOR + 24);
        writeSync(fd, new Uint8Array([byte[0] ^ 0x5a]), 0, 1, (acked - 2) * SECTOR + 24);
        closeSync(fd);
        await wasm.session.reboot();
        const tampered = parseCheck(await wasm.session.run("kvdb check", 1e10));
        expect(problems({ acked, ...tampered })).toEqual([
          `lost 3 acknowledged commits (acked ${acked}, recovered ${acked - 3})`,
          "1 corrupt records",
        ]);
      } finally {
        wasm.session.hv.close();
      }

      const ts = await campaign("ts", mode, CRASHES_TS, seed);
      ts.session.hv.close();
      expect(ts.log).toEqual(wasm.log.slice(0, CRASHES_TS));
    }, 600_000);
  }
});
