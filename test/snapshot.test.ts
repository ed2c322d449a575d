// Snapshots (src/snapshot/): a system snapshotted at an instruction boundary and restored goes on
// exactly as if it had never stopped — console output, halts, instruction counts, virtual time —
// on the same core and across cores (saved on the Wasm core, restored on the pure-TS core and
// the other way round). Bad files are refused with a SnapshotError before anything starts.

import { describe, expect, it } from "vitest";
import { Hypervisor } from "../src/api/hypervisor.ts";
import { SnapshotError } from "../src/snapshot/state.ts";
import { readSnapshotInfo, decodeSnapshot, captureSnapshot, nonZeroPages, SnapshotCache } from "../src/snapshot/format.ts";
import { vcpuAddr, physmapAddr, V_PRIV, V_MODE, V_IPC_SERVER, V_TLB, PM_TARGET, SCHED_VCPU_COUNT, RAM_HOST_BASE } from "../assembly/layout.ts";
import { loadWasmModule } from "../src/node/core-file.ts";
import type { CoreKind } from "../src/core/core.ts";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "./support/cli.ts";
import { Rand, mutateJson } from "./support/fuzz/mutate.ts";
import { ROOT, guestElf } from "./support/harness.ts";
import { RTOS_CLIENT_SYSTEM as RTOS_SYSTEM } from "./support/system.ts";
import { linuxMissing, defaultSystem, DISK } from "./support/linux.ts";
import { MemoryDisk, type BlockStorage } from "../src/devices/virtio-blk.ts";
import type { DiskConfig } from "../src/config/system.ts";
import { rng as makePrng } from "./support/random-program.ts";
import { gunzipSync, gzipSync } from "node:zlib";

/** A run's observable results: what each partition printed, how it stopped, what it cost. */
interface Transcript {
  output: Record<string, string>;
  halts: unknown;
  cycles: number;
  partitions: unknown;
}

function watch(hv: Hypervisor, output: Record<string, string>): void {
  hv.on("output", (e) => { output[e.partition] = (output[e.partition] ?? "") + Buffer.from(e.data).toString("latin1"); });
}

function transcript(hv: Hypervisor, output: Record<string, string>): Transcript {
  const s = hv.stats();
  return {
    output,
    halts: hv.halted,
    cycles: s.cycles,
    // (with the translator on — WASMVISOR_JIT=on — its flushes of the store TLBs change how often
    // the page tables are walked, not what the guest sees, and its state is not in a snapshot: a
    // restored system walks them differently. Everything else stays compared.)
    partitions: s.partitions.map((p) => ({ name: p.name, instructions: p.instructions, cycles: p.cycles, exits: p.exits, paging: hv.jitStats() ? null : p.paging, ipc: p.ipc })),
  };
}

const LIMIT = 20_000_000;

interface Scenario {
  description: unknown;
  /** Instructions the run ends at (the systems that never halt run to a limit). */
  limit: number;
  ipcFastPath?: boolean;
}

async function uninterrupted(sc: Scenario, core: CoreKind, paging: "shadow" | "nested" = "shadow"): Promise<Transcript> {
  const hv = new Hypervisor(sc.description, { core, paging, ipcFastPath: sc.ipcFastPath, wasmModule: await loadWasmModule(), loadImage: (i) => guestElf(i) });
  const output: Record<string, string> = {};
  watch(hv, output);
  await hv.run({ maxInsns: sc.limit });
  return transcript(hv, output);
}

/** Run to `at` instructions on `from`, snapshot, restore on `to`, run on to the same end. */
async function interrupted(sc: Scenario, at: number, from: CoreKind, to: CoreKind, paging: "shadow" | "nested" = "shadow"): Promise<{ t: Transcript; bytes: Uint8Array }> {
  const wasmModule = await loadWasmModule();
  const hv = new Hypervisor(sc.description, { core: from, paging, ipcFastPath: sc.ipcFastPath, wasmModule, loadImage: (i) => guestElf(i) });
  const output: Record<string, string> = {};
  watch(hv, output);
  await hv.run({ maxInsns: at });
  const bytes = await hv.snapshot();
  const restored = await Hypervisor.restore(bytes, { core: to, wasmModule });
  watch(restored, output);
  await restored.run({ maxInsns: sc.limit });
  return { t: transcript(restored, output), bytes };
}

function totalInstructions(t: Transcript): number {
  return (t.partitions as Array<{ instructions: number }>).reduce((n, p) => n + p.instructions, 0);
}

/** Snapshot at `count` seeded random instruction counts inside the run, restored on the other
 *  core (and the same one); each must end exactly like the uninterrupted run. */
async function roundTrips(sc: Scenario, seed: number, count: number, paging: "shadow" | "nested" = "shadow"): Promise<void> {
  const whole = await uninterrupted(sc, "wasm", paging);
  expect(await uninterrupted(sc, "ts", paging)).toEqual(whole);
  const total = totalInstructions(whole);
  const rng = makePrng(seed);
  for (let k = 0; k < count; k++) {
    const at = 1 + Math.floor(rng() * (total - 1));
    const from: CoreKind = k % 2 === 0 ? "wasm" : "ts";
    const to: CoreKind = k % 4 < 2 ? (from === "wasm" ? "ts" : "wasm") : from;
    const { t } = await interrupted(sc, at, from, to, paging);
    expect(t, `snapshot at ${at} of ${total} instructions, ${from} → ${to}`).toEqual(whole);
  }
}

/** The compressed chunks of a version 2 file (its chunk table read). */
function chunksOf(file: Uint8Array): Uint8Array[] {
  const info = readSnapshotInfo(file);
  const view = new DataView(file.buffer, file.byteOffset + info.headerEnd);
  const out: Uint8Array[] = [];
  let at = info.headerEnd + 8 * info.chunks;
  for (let i = 0; i < info.chunks; i++) {
    const length = view.getUint32(8 * i, true);
    out.push(file.subarray(at, at + length));
    at += length;
  }
  return out;
}

function u32le(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
}

/** A decoded snapshot with its memory as a byte array (blobs[0]), for tests that change it. */
function materialized(c: Awaited<ReturnType<typeof decodeSnapshot>>) {
  const memory = new Uint8Array(c.memory!.total);
  c.memory!.writeInto(memory);
  return { ...c, blobs: [memory, ...c.blobs.slice(1)], memory: undefined };
}

const TWO = {
  partitions: [
    { name: "a", image: "rv32m", ram: "1M" },
    { name: "t", image: "timer", ram: "1M" },
    { name: "s", image: "sv32s", mode: "supervisor", ram: "1M" },
  ],
  schedule: { majorFrame: "300us", windows: ["a", "t", "s"].map((n) => ({ length: "100us", partitions: [n] })) },
};

describe("snapshot and restore", () => {
  it("a snapshot's header says what it holds", async () => {
    const hv = new Hypervisor(TWO, { core: "wasm", wasmModule: await loadWasmModule(), loadImage: (i) => guestElf(i) });
    await hv.run({ maxInsns: 50_000 });
    const bytes = await hv.snapshot();
    const info = readSnapshotInfo(bytes);
    expect(info.partitions).toEqual(["a", "t", "s"]);
    expect(info.core).toBe("wasm");
    expect(info.instructions).toBe(hv.stats().instructions);
    expect(bytes.length).toBeLessThan(256 * 1024);
  });

  it("bare programs, a timer and a supervisor guest with its page tables go on exactly (both cores, across cores)", async () => {
    await roundTrips({ description: TWO, limit: LIMIT }, 11, 8);
  });

  it("F and D state (f registers, fcsr, FS) goes on exactly: two FP partitions and one without F and D", async () => {
    const FP = {
      quantum: "5000 cycles",
      partitions: [
        { name: "f", image: "fpmath", ram: "1M" },
        { name: "g", image: "fpmath", ram: "1M" },
        { name: "n", image: "fpmath", ram: "1M", fpu: false },
      ],
    };
    await roundTrips({ description: FP, limit: LIMIT }, 13, 2);
  });

  it("with nested paging too", async () => {
    await roundTrips({ description: TWO, limit: LIMIT }, 12, 4, "nested");
  });

  for (const fast of [true, false]) {
    it(`IPC in flight: protected calls to a passive server, notifications (fast path ${fast ? "on" : "off"})`, async () => {
      const system = JSON.parse(readFileSync(join(ROOT, "guests/ipc/bench-system.json"), "utf8"));
      await roundTrips({ description: system, limit: 3_000_000, ipcFastPath: fast }, fast ? 21 : 22, 6);
    });
  }

  it("the RTOS serving calls and mailbox requests, its timers and UART", async () => {
    await roundTrips({ description: RTOS_SYSTEM, limit: 4_000_000 }, 31, 6);
  });

  it("refuses bad files with a SnapshotError", async () => {
    const hv = new Hypervisor(TWO, { core: "wasm", wasmModule: await loadWasmModule(), loadImage: (i) => guestElf(i) });
    await hv.run({ maxInsns: 10_000 });
    const bytes = await hv.snapshot();
    const refuse = async (b: Uint8Array, message: RegExp) => {
      await expect(Hypervisor.restore(b, { core: "ts" })).rejects.toThrow(SnapshotError);
      await expect(Hypervisor.restore(b, { core: "ts" })).rejects.toThrow(message);
    };
    await refuse(bytes.subarray(0, bytes.length - 10), /truncated/);
    await refuse(new Uint8Array(20), /not a wasmvisor snapshot/);
    const flipped = bytes.slice();
    flipped[flipped.length - 40] ^= 0x40;
    await refuse(flipped, /corrupted|checksum|decompress/);
    const version = bytes.slice();
    version[8] = 9;
    await refuse(version, /version 9/);
    await expect(Hypervisor.restore(bytes, { core: "ts", paging: "nested" })).rejects.toThrow(/shadow paging/);
  });

  it("a second snapshot reuses the regions that did not change, and is exact (both cores, across cores)", async () => {
    const sc = { description: TWO, limit: LIMIT };
    const whole = await uninterrupted(sc, "wasm");
    const total = totalInstructions(whole);
    const wasmModule = await loadWasmModule();
    for (const [from, to] of [["wasm", "ts"], ["ts", "wasm"]] as const) {
      const hv = new Hypervisor(TWO, { core: from, wasmModule, loadImage: (i) => guestElf(i) });
      const output: Record<string, string> = {};
      watch(hv, output);
      await hv.run({ maxInsns: Math.floor(total / 5) });
      const first = await hv.snapshot();
      await hv.run({ maxInsns: Math.floor(total / 3) });
      const second = await hv.snapshot(); // (the regions the run left alone come from the first)
      // The file holds the memory as it is: the same as a snapshot without the cache.
      const live = (await hv.snapshotParts(false)).blobs[0].slice();
      expect(Buffer.compare(materialized(await decodeSnapshot(second)).blobs[0], live)).toBe(0);
      const firstChunks = chunksOf(first);
      const reused = chunksOf(second).filter((c) => firstChunks.some((d) => Buffer.compare(c, d) === 0));
      expect(reused.length).toBeGreaterThan(0);
      expect(reused.length).toBeLessThan(chunksOf(second).length);
      // A restored system's first snapshot starts from the file's regions.
      const restored = await Hypervisor.restore(second, { core: to, wasmModule });
      watch(restored, output);
      await restored.run({ maxInsns: Math.floor(total / 2) });
      const third = await restored.snapshot();
      expect(chunksOf(third).some((c) => chunksOf(second).some((d) => Buffer.compare(c, d) === 0))).toBe(true);
      const last = await Hypervisor.restore(third, { core: from, wasmModule });
      watch(last, output);
      await last.run({ maxInsns: LIMIT });
      expect(transcript(last, output), `${from} → ${to}`).toEqual(whole);
    }
  });

  it("without Node's Buffer (as in browsers) the zero-page scan and the region cache give the same file contents", async () => {
    const bytes = new Uint8Array(300 * 4096 + 100); // (the last page cut short)
    for (const at of [5, 63 * 4096 + 4095, 64 * 4096, 130 * 4096 + 2048, 299 * 4096 + 7, 300 * 4096 + 99]) bytes[at] = 0x5a;
    const expected = [0, 63, 64, 130, 299, 300];
    expect(nonZeroPages(bytes)).toEqual(expected);
    /** `f` as in a browser: no Buffer (only around synchronous calls: vitest itself needs it). */
    const withoutBuffer = <T>(f: () => T): T => {
      const saved = globalThis.Buffer;
      (globalThis as { Buffer?: unknown }).Buffer = undefined;
      try {
        return f();
      } finally {
        globalThis.Buffer = saved;
      }
    };
    expect(withoutBuffer(() => nonZeroPages(bytes))).toEqual(expected);
    expect(withoutBuffer(() => nonZeroPages(bytes.subarray(1)))).toEqual(nonZeroPages(bytes.subarray(1))); // (unaligned)
    // The cache: a changed page is compressed again, the others reused; the contents exact.
    const info = { format: "wasmvisor snapshot", system: "s", partitions: [], clock: 0, instructions: 0, core: "ts", paging: "shadow", created: "" };
    const cache = new SnapshotCache();
    const first = await withoutBuffer(() => captureSnapshot(info, { x: 1 }, [bytes], cache))();
    bytes[130 * 4096 + 9] = 1;
    const second = await withoutBuffer(() => captureSnapshot(info, { x: 2 }, [bytes], cache))();
    const again = materialized(await decodeSnapshot(second));
    expect(Buffer.compare(again.blobs[0], bytes)).toBe(0);
    expect(again.state).toEqual({ x: 2 });
    const reused = chunksOf(second).filter((c) => chunksOf(first).some((d) => Buffer.compare(c, d) === 0));
    expect(reused.length).toBe(chunksOf(second).length - 2); // (all but the state's chunk and region 2's)
  });

  it("reads a version 1 file (one gzip stream) and refuses a chunk table that does not match", async () => {
    const hv = new Hypervisor(TWO, { core: "wasm", wasmModule: await loadWasmModule(), loadImage: (i) => guestElf(i) });
    await hv.run({ maxInsns: 40_000 });
    const bytes = await hv.snapshot();
    const info = readSnapshotInfo(bytes);
    expect(info.version).toBe(2);
    // Version 1, written as that version's writer wrote it: the same payload as one gzip stream.
    const payload = Buffer.concat(chunksOf(bytes).map((c) => gunzipSync(c)));
    const { version: _v, chunks: _n, headerEnd: _e, ...rest } = info;
    const compressed = gzipSync(payload, { level: 1 });
    const header = Buffer.from(JSON.stringify({ ...rest, payloadBytes: payload.length, compressedBytes: compressed.length }));
    const v1 = Buffer.concat([Buffer.from("WVSNAP\r\n"), u32le(1), u32le(header.length), header, compressed]);
    const a = await Hypervisor.restore(bytes, { core: "ts" });
    const b = await Hypervisor.restore(v1, { core: "ts" });
    await a.run({ maxInsns: LIMIT });
    await b.run({ maxInsns: LIMIT });
    expect(b.stats()).toEqual(a.stats());
    // A chunk table entry changed: the sizes no longer add up.
    const table = bytes.slice();
    new DataView(table.buffer).setUint32(info.headerEnd + 4, 7, true);
    await expect(Hypervisor.restore(table, { core: "ts" })).rejects.toThrow(/chunk table does not match/);
    const tooMany = bytes.slice();
    const h = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(bytes.subarray(16, info.headerEnd)).toString()), chunks: 1e9 }));
    await expect(Hypervisor.restore(Buffer.concat([tooMany.subarray(0, 12), u32le(h.length), h, tooMany.subarray(info.headerEnd)]), { core: "ts" })).rejects.toThrow(/chunks is not valid|chunk table/);
  });

  it("refuses crafted files (well-formed, but a state no run reaches) before anything runs", async () => {
    const hv = new Hypervisor(TWO, { core: "wasm", wasmModule: await loadWasmModule(), loadImage: (i) => guestElf(i) });
    await hv.run({ maxInsns: 3_000 });
    const good = materialized(await decodeSnapshot(await hv.snapshot()));
    /** The snapshot with one change, written as a valid file again. */
    const crafted = (change: (state: Record<string, any>, memory: Int32Array) => void) => {
      const state = structuredClone(good.state) as Record<string, any>;
      const memory = good.blobs[0].slice();
      change(state, new Int32Array(memory.buffer));
      return captureSnapshot(good.info, state, [memory, ...good.blobs.slice(1)])();
    };
    const refuse = async (change: (state: Record<string, any>, memory: Int32Array) => void, message: RegExp) => {
      for (const core of ["wasm", "ts"] as const) {
        await expect(Hypervisor.restore(await crafted(change), { core, wasmModule: await loadWasmModule() })).rejects.toThrow(message);
      }
    };
    const v1 = vcpuAddr(1) >> 2;
    await refuse((_, m) => { m[v1 + (V_PRIV >> 2)] = 2; }, /privilege level 2/);
    await refuse((_, m) => { m[v1 + (V_IPC_SERVER >> 2)] = 7; }, /IPC server 7/);
    await refuse((_, m) => { m[(vcpuAddr(2) + V_MODE) >> 2] = 0; }, /guest mode/);
    await refuse((_, m) => { m[(vcpuAddr(0) + V_TLB) >> 2] = 0x1000; m[((vcpuAddr(0) + V_TLB) >> 2) + 1] = 0x7fff0000; }, /TLB entry outside guest memory/);
    await refuse((s) => { s.description.partitions[0].ram = "3M"; }, /memory is \d+ bytes/);
    await refuse((s) => { s.description.partitions[0].ram = "12345"; }, /ram/);
    await refuse((s) => { s.host.boards[0].uart.ier = 999; }, /boards\[0\]\.uart\.ier/);
    await refuse((s) => { s.host.boards[1].plic.priority[3] = 9; }, /priority/);
    await refuse((s) => { delete s.host.halts; }, /halts is missing/);
    // The memory map, the schedule and the channels are the description's, whatever the file says.
    const map = await crafted((_, m) => { m[(physmapAddr(0) + PM_TARGET) >> 2] = 0x7000_0000; m[SCHED_VCPU_COUNT >> 2] = 8; });
    const restored = await Hypervisor.restore(map, { core: "ts", wasmModule: await loadWasmModule() });
    const out: Record<string, string> = {};
    watch(restored, out);
    await restored.run({ maxInsns: LIMIT });
    expect(restored.halted.every((h) => h?.status === 0)).toBe(true);
  });
});

// ── Linux mid-command, with disk I/O in flight ──────────────────────────────────────────────

const linuxAbsent = linuxMissing();
describe.skipIf(linuxAbsent !== null)(`Linux${linuxAbsent ? ` (skipped: ${linuxAbsent})` : ""}`, () => {
  /** Typed lines at fixed moments of virtual time: both runs type them at the same clock. */
  type Script = Array<{ at: number; text: string }>;
  const COMMANDS = ["mount -t ext2 /dev/vda /mnt", "forkexec 4", "stress 30 /mnt", "cat /proc/uptime", "umount /mnt"];

  async function linuxHv(core: CoreKind, disk: (d: DiskConfig) => BlockStorage): Promise<Hypervisor> {
    return new Hypervisor(defaultSystem({ disk: DISK }), {
      core, wasmModule: await loadWasmModule(), loadImage: (f) => (f.startsWith("/") ? readFileSync(f) : guestElf(f)), openDisk: disk,
    });
  }

  /** Steps a system to given clocks exactly, typing the script's lines at their moments (a
   *  restored system goes on with the same replay: nothing is typed twice). */
  class Replay {
    private next = 0;
    constructor(private readonly script: Script) {}
    async to(hv: Hypervisor, target: number): Promise<void> {
      while (hv.clock() < target) {
        const e = this.script[this.next];
        if (e && e.at === hv.clock()) {
          hv.console("linux").write(e.text);
          this.next++;
          continue;
        }
        await hv.step(Math.min(e ? e.at : target, target) - hv.clock());
      }
      expect(hv.clock()).toBe(target);
    }
  }

  it("Linux typing commands, forking and writing its disk goes on exactly after a restore on the other core", async () => {
    // The reference: boot, then type each command at the first 1M-cycle step after the prompt.
    const refDisk = new MemoryDisk(new Uint8Array(readFileSync(DISK)));
    const ref = await linuxHv("wasm", () => refDisk);
    const refOut: Record<string, string> = {};
    watch(ref, refOut);
    const script: Script = [];
    for (const command of [...COMMANDS, null]) {
      const seen = (refOut.linux ?? "").length;
      for (let spent = 0; !/\n# $/.test((refOut.linux ?? "").slice(seen)); spent++) {
        if (spent > 3000) throw new Error(`no prompt; Linux printed:\n${(refOut.linux ?? "").slice(-2000)}`);
        await ref.step(1_000_000);
      }
      if (command === null) break;
      script.push({ at: ref.clock(), text: `${command}\n` });
      ref.console("linux").write(`${command}\n`);
    }
    const end = ref.clock();
    const whole = transcript(ref, refOut);
    expect(refOut.linux).toContain("stress: ");
    expect(refOut.linux).toContain("forkexec: 4 children, all exited 0");

    // Snapshots during boot and during the commands (seeded), restored on the other core.
    const rng = makePrng(41);
    const first = script[0].at;
    for (const [k, at] of [Math.floor(rng() * first), first + Math.floor(rng() * (end - first)), first + Math.floor(rng() * (end - first))].entries()) {
      const from: CoreKind = k % 2 === 0 ? "wasm" : "ts";
      const to: CoreKind = from === "wasm" ? "ts" : "wasm";
      const disk = new MemoryDisk(new Uint8Array(readFileSync(DISK)));
      const hv = await linuxHv(from, () => disk);
      const out: Record<string, string> = {};
      watch(hv, out);
      const replay = new Replay(script);
      await replay.to(hv, at);
      const bytes = await hv.snapshot();
      let restoredDisk: MemoryDisk | null = null;
      const restored = await Hypervisor.restore(bytes, {
        core: to, wasmModule: await loadWasmModule(),
        restoreDisk: (_d, contents) => (restoredDisk = new MemoryDisk(contents)),
      });
      watch(restored, out);
      await replay.to(restored, end);
      expect(transcript(restored, out), `snapshot at clock ${at}, ${from} → ${to}`).toEqual(whole);
      expect(Buffer.compare(restoredDisk!.bytes, refDisk.bytes), "the disk's contents").toBe(0);
    }
  }, 600_000);
});

// ── The command line ─────────────────────────────────────────────────────────────────────────

describe("wasmvisor run --snapshot-at / --snapshot-on-exit, wasmvisor restore", () => {
  it("snapshots on the way and at the end; restore goes on with the same output and statistics, on either core", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wasmvisor-snap-"));
    const sys = join(dir, "sys.json");
    writeFileSync(sys, JSON.stringify({
      partitions: [
        { name: "a", image: join(ROOT, "guests/bin/rv32m.elf"), ram: "1M" },
        { name: "t", image: join(ROOT, "guests/bin/timer.elf"), ram: "1M" },
        { name: "s", image: join(ROOT, "guests/bin/sv32s.elf"), mode: "supervisor", ram: "1M" },
      ],
    }));
    const whole = await cli(["run", sys, "--stats"]);
    expect(whole.status).toBe(0);
    const mid = join(dir, "mid.snap");
    const early = join(dir, "early.snap");
    const end = join(dir, "end.snap");
    const first = await cli(["run", sys, "--core", "ts", "--snapshot-at", "3ms", mid, "--snapshot-at", "500", early, "--snapshot-on-exit", end]);
    expect(first.status).toBe(0);
    expect(first.stdout).toBe(whole.stdout);
    expect(first.stderr).toMatch(/snapshot written to .*early\.snap .*\n(.*\n)*.*snapshot written to .*mid\.snap .*virtual time 3 ms\)\n(.*\n)*.*snapshot written to .*end\.snap/);
    const statsOf = (stderr: string) => stderr.split("\n").filter((l) => /^ {2}\[|instructions in/.test(l)).map((l) => l.replace(/in [\d.]+ s \([\d.]+ MIPS, \w+ core/, "in … core"));
    for (const [snap, core] of [[mid, "wasm"], [early, "ts"]] as const) {
      const r = await cli(["restore", snap, "--core", core, "--stats"]);
      expect(r.status).toBe(0);
      // Output before the snapshot was printed by the first run; together they are the whole.
      expect(whole.stdout.endsWith(r.stdout)).toBe(true);
      expect(statsOf(r.stderr)).toEqual(statsOf(whole.stderr));
    }
    const done = await cli(["restore", end]);
    expect(done.stdout).toBe("");
    expect(done.stderr).toContain("[a] passed");
    // Errors: a file that is not a snapshot, options restore does not take, a point never reached.
    const bad = await cli(["restore", sys]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/not a wasmvisor snapshot .*\nnothing was started/);
    expect((await cli(["restore", mid, "--ipc-slow-path"])).status).toBe(2);
    expect((await cli(["run", sys, "--snapshot-at", "5ms"])).stderr).toMatch(/--snapshot-at needs WHEN and FILE/);
    expect((await cli(["run", sys, "--snapshot-at", "soon", join(dir, "x")])).stderr).toMatch(/--snapshot-at soon: expected/);
    const late = await cli(["run", sys, "--snapshot-at", "1s", join(dir, "late.snap")]);
    expect(late.status).toBe(0);
    expect(late.stderr).toMatch(/no snapshot at virtual time 1s: the run ended before \(halted\)/);
    expect(existsSync(join(dir, "late.snap"))).toBe(false);
  });
});

// ── Fuzzing the restore ──────────────────────────────────────────────────────────────────────
// Snapshot files are input: truncated, with flipped bits, or crafted (well-formed files whose
// state or core memory was changed, then written as valid files again). Each must be refused
// with a SnapshotError, or restore into a system that runs (a bounded run) without the host
// failing; for crafted state both cores must agree. SNAPSHOT_FUZZ_CASES=N runs a longer campaign.

describe("fuzzing restore", () => {
  const CASES = Number(process.env.SNAPSHOT_FUZZ_CASES ?? 60);
  it(`${CASES} mutated snapshot files: refused clearly or run safely, on both cores`, async () => {
    const wasmModule = await loadWasmModule();
    const hv = new Hypervisor(RTOS_SYSTEM, { core: "wasm", wasmModule, loadImage: (i) => guestElf(i) });
    await hv.run({ maxInsns: 300_000 });
    const base = await hv.snapshot();
    const good = materialized(await decodeSnapshot(base));
    const counts = { refused: 0, ran: 0 };
    for (let seed = 1; seed <= CASES; seed++) {
      const r = new Rand(makePrng(seed * 7919));
      let file: Uint8Array;
      let what: string;
      let mustAgree = true;
      switch (r.int(4)) {
        case 0:
          file = base.subarray(0, r.int(base.length));
          what = `truncated to ${file.length} bytes`;
          break;
        case 1: {
          file = base.slice();
          const at = r.int(file.length);
          file[at] ^= 1 << r.int(8);
          what = `bit flipped at ${at}`;
          break;
        }
        case 2: {
          const state = structuredClone(good.state);
          what = `state: ${mutateJson(r, state, r.pick([1, 1, 2, 3, 5])).join("; ")}`;
          file = await captureSnapshot(good.info, state, good.blobs)();
          break;
        }
        default: {
          const memory = good.blobs[0].slice();
          const words = new Int32Array(memory.buffer);
          const changes: string[] = [];
          for (let k = r.range(1, 4); k > 0; k--) {
            const at = r.int(RAM_HOST_BASE >> 2);
            words[at] = r.pick([0, -1, 1, 2, 3, 0x7fffffff, -0x80000000, r.int(2 ** 32) | 0, RAM_HOST_BASE, 0x13040]);
            changes.push(`word 0x${(at * 4).toString(16)} = ${words[at]}`);
          }
          what = `core memory: ${changes.join(", ")}`;
          file = await captureSnapshot(good.info, good.state, [memory, ...good.blobs.slice(1)])();
          mustAgree = false; // (a state no run reaches: each core may stop it differently, safely)
          break;
        }
      }
      const outcomes: unknown[] = [];
      for (const core of ["wasm", "ts"] as const) {
        try {
          const restored = await Hypervisor.restore(file, { core, wasmModule });
          const out: Record<string, string> = {};
          watch(restored, out);
          const result = await restored.run({ maxInsns: 200_000 });
          outcomes.push({ result, out, halts: restored.halted });
          counts.ran++;
        } catch (err) {
          if (!(err instanceof SnapshotError)) throw new Error(`seed ${seed} (${what}), ${core} core: ${err instanceof Error ? err.stack : err}`);
          expect(err.message.length, `seed ${seed}: ${err.message}`).toBeLessThan(2000);
          outcomes.push({ refused: err.message });
          counts.refused++;
        }
      }
      if (mustAgree) expect(outcomes[1], `seed ${seed} (${what})`).toEqual(outcomes[0]);
    }
    expect(counts.refused).toBeGreaterThan(0);
    expect(counts.ran).toBeGreaterThan(0);
  }, 600_000);
});
