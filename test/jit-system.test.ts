// The translator (docs/jit.md) in systems of partitions: the Hypervisor's `jit` option and
// `wasmvisor run|restore --jit on|off`. With it on, every observable result is the one without
// it (output, halts, instructions, cycles, exits), on both cores (each with its back end);
// snapshots hold no translations and restore with it on or off; a
// restarted partition runs its new image.
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { Hypervisor } from "../src/api/hypervisor.ts";
import { loadWasmModule } from "../src/node/core-file.ts";
import type { CoreKind } from "../src/core/core.ts";
import { ROOT, guestElf, JIT_TEST_HOT } from "./support/harness.ts";
import { RTOS_CLIENT_SYSTEM } from "./support/system.ts";
import { cli } from "./support/cli.ts";

const TWO = {
  partitions: [
    { name: "hello", image: "hello", ram: "1M", priority: 1 },
    { name: "bench", image: "bench", ram: "1M", priority: 2 },
  ],
  schedule: { majorFrame: "2ms", windows: [{ start: 0, length: "1ms", partitions: ["hello"] }, { length: "1ms", partitions: ["bench"] }] },
};

interface Result { output: Record<string, string>; halts: unknown; cycles: number; partitions: unknown }

async function make(description: unknown, core: CoreKind, jit: boolean): Promise<{ hv: Hypervisor; output: Record<string, string> }> {
  const hv = new Hypervisor(description, { core, jit, ...(jit ? { jitHot: JIT_TEST_HOT } : {}), wasmModule: await loadWasmModule(), loadImage: (i) => guestElf(i) });
  const output: Record<string, string> = {};
  hv.on("output", (e) => { output[e.partition] = (output[e.partition] ?? "") + Buffer.from(e.data).toString("latin1"); });
  return { hv, output };
}

function result(hv: Hypervisor, output: Record<string, string>): Result {
  const s = hv.stats();
  return {
    output: { ...output }, halts: hv.halted, cycles: s.cycles,
    partitions: s.partitions.map((p) => ({ name: p.name, instructions: p.instructions, cycles: p.cycles, exits: p.exits, paging: p.paging, ipc: p.ipc })),
  };
}

async function whole(description: unknown, core: CoreKind, jit: boolean, limit: number): Promise<{ r: Result; regions: number }> {
  const { hv, output } = await make(description, core, jit);
  await hv.run({ maxInsns: limit });
  return { r: result(hv, output), regions: hv.jitStats()?.regions ?? 0 };
}

describe("jit: systems of partitions (Hypervisor option jit)", () => {
  for (const [name, description, limit] of [["hello + bench", TWO, 6_000_000], ["rtos + client (IPC, shared memory)", RTOS_CLIENT_SYSTEM, 4_000_000]] as const) {
    for (const core of ["ts", "wasm"] as const) {
      it(`${name}, ${core} core: the same results with the translator on`, async () => {
        const off = await whole(description, core, false, limit);
        const on = await whole(description, core, true, limit);
        expect(on.r).toEqual(off.r);
        expect(on.regions).toBeGreaterThan(0);
      }, 120_000);
    }
  }

  it("snapshots hold no translations: taken with it on, restored with it on or off (either core), the run ends as without", async () => {
    const limit = 6_000_000;
    const off = await whole(TWO, "ts", false, limit);
    const wasmModule = await loadWasmModule();
    for (const [from, to] of [[true, false], [false, true], [true, true]] as const) {
      for (const core of ["ts", "wasm"] as const) {
        const { hv, output } = await make(TWO, "ts", from);
        await hv.run({ maxInsns: 2_500_000 });
        const bytes = await hv.snapshot();
        const restored = await Hypervisor.restore(bytes, { core, jit: to, wasmModule });
        restored.on("output", (e) => { output[e.partition] = (output[e.partition] ?? "") + Buffer.from(e.data).toString("latin1"); });
        await restored.run({ maxInsns: limit });
        expect(result(restored, output), `jit ${from} → ${to}, ${core}`).toEqual(off.r);
        if (to) expect(restored.jitStats()!.regions, `jit ${from} → ${to}`).toBeGreaterThan(0);
      }
    }
  }, 300_000);

  it("a restarted partition runs its image again with the translator on, as without", async () => {
    const runs: Result[] = [];
    for (const jit of [false, true]) {
      const { hv, output } = await make(TWO, "ts", jit);
      await hv.run({ maxInsns: 2_000_000 });
      await hv.restart("bench");
      await hv.run({ maxInsns: 5_000_000 });
      runs.push(result(hv, output));
    }
    expect(runs[1]).toEqual(runs[0]);
  }, 120_000);
});

describe("jit: wasmvisor run / restore --jit on|off", () => {
  const two = join(ROOT, "examples", "two-guests.json");
  for (const core of ["ts", "wasm"] as const) {
    it(`run --core ${core}: the same output and statistics with --jit on`, async () => {
      const off = await cli(["run", two, "--core", core, "--jit", "off", "--max-insns", "3000000", "--stats"]);
      const on = await cli(["run", two, "--core", core, "--jit", "on", "--jit-hot", "32", "--max-insns", "3000000", "--stats"]);
      expect(on.status).toBe(off.status);
      expect(on.stdout).toBe(off.stdout);
      const counts = (s: string) => s.split("\n").filter((l) => l.startsWith("  [")).join("\n");
      expect(counts(on.stderr)).toBe(counts(off.stderr));
      expect(on.stderr).toMatch(/jit: [1-9]\d* regions/);
    }, 120_000);
  }

  it("restore --jit on goes on from a snapshot taken without it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wasmvisor-jit-"));
    const snap = join(dir, "s.wvsnap");
    const whole = await cli(["run", two, "--core", "ts", "--jit", "off", "--max-insns", "3000000"]);
    const first = await cli(["run", two, "--core", "ts", "--jit", "off", "--max-insns", "1000000", "--snapshot-on-exit", snap]);
    const rest = await cli(["restore", snap, "--core", "ts", "--jit", "on", "--jit-hot", "32", "--max-insns", "3000000"]);
    expect(rest.status).toBe(whole.status);
    expect(first.stdout + rest.stdout).toBe(whole.stdout);
  }, 120_000);

  it("is on without --jit (unless WASMVISOR_JIT=off); --jit-hot with the translator off is a usage error", async () => {
    const saved = process.env.WASMVISOR_JIT;
    try {
      delete process.env.WASMVISOR_JIT;
      const plain = await cli(["run", two, "--core", "wasm", "--jit-hot", "32", "--max-insns", "3000000", "--stats"]);
      expect(plain.status).toBe(0);
      expect(plain.stderr).toMatch(/jit: [1-9]\d* regions/);
      const off = await cli(["run", two, "--jit", "off", "--jit-hot", "32"]);
      expect(off.status).toBe(2);
      expect(off.stderr).toContain("--jit-hot needs the translator, which --jit off turns off");
      process.env.WASMVISOR_JIT = "off";
      const envOff = await cli(["run", two, "--core", "wasm", "--max-insns", "3000000", "--stats"]);
      expect(envOff.stdout).toBe(plain.stdout);
      expect(envOff.stderr).not.toMatch(/jit: /);
      expect((await cli(["run", two, "--jit-hot", "32"])).stderr).toContain("which WASMVISOR_JIT=off turns off");
    } finally {
      if (saved === undefined) delete process.env.WASMVISOR_JIT;
      else process.env.WASMVISOR_JIT = saved;
    }
  }, 120_000);

  it("--help says what --jit does on each core", async () => {
    const h = await cli(["help", "run"]);
    expect(h.stdout + h.stderr).toMatch(/--jit on\|off[\s\S]*into Wasm modules[\s\S]*on the Wasm core/);
  });
});
