// Snapshots (src/snapshot/): a system snapshotted at an instruction boundary and restored goes on
// exactly as if it had never stopped — console output, halts, instruction counts, virtual time —
// on the same core and across cores (saved on the Wasm core, restored on the pure-TS core and
// the other way round). Bad files are refused with a SnapshotError before anything starts.

import { describe, expect, it } from "vitest";
import { Hypervisor } from "../src/api/hypervisor.ts";
import { SnapshotError } from "../src/snapshot/state.ts";
import { readSnapshotInfo, decodeSnapshot, captureSnapshot } from "../src/snapshot/format.ts";
import { vcpuAddr, physmapAddr, V_PRIV, V_MODE, V_IPC_SERVER, V_TLB, PM_TARGET, SCHED_VCPU_COUNT } from "../assembly/layout.ts";
import { loadWasmModule } from "../src/node/core-file.ts";
import type { CoreKind } from "../src/core/core.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, guestElf } from "./support/harness.ts";
import { linuxMissing, defaultSystem, DISK } from "./support/linux.ts";
import { MemoryDisk, type BlockStorage } from "../src/devices/virtio-blk.ts";
import type { DiskConfig } from "../src/config/system.ts";
import { rng as makePrng } from "./support/random-program.ts";

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
    partitions: s.partitions.map((p) => ({ name: p.name, instructions: p.instructions, cycles: p.cycles, exits: p.exits, paging: p.paging, ipc: p.ipc })),
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

const RTOS_SYSTEM = {
  memoryRegions: [{ name: "rtos-mailbox", size: "4K" }],
  partitions: [
    { name: "rtos", image: "rtos", ram: "1M", priority: 10, mappings: [{ region: "rtos-mailbox", address: "0x90000000", perms: "rw" }] },
    { name: "client", image: "rtos-client", ram: "1M", priority: 1, mappings: [{ region: "rtos-mailbox", address: "0x90000000", perms: "rw" }] },
  ],
  channels: [
    { name: "rtos-client", ends: [{ partition: "client", id: 0 }, { partition: "rtos", id: 1, pp: true }] },
    { name: "rtos-mailbox", ends: [{ partition: "rtos", id: 0 }, { partition: "client", id: 1 }] },
  ],
};

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

  it("refuses crafted files (well-formed, but a state no run reaches) before anything runs", async () => {
    const hv = new Hypervisor(TWO, { core: "wasm", wasmModule: await loadWasmModule(), loadImage: (i) => guestElf(i) });
    await hv.run({ maxInsns: 3_000 });
    const good = await decodeSnapshot(await hv.snapshot());
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
