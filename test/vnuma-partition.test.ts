// vNUMA for a hypervisor partition (docs/vnuma.md, "A partition on nodes"): a partition's harts
// on several processes beside deterministic partitions on the home node. What the hypervisor's
// SBI does between harts (IPIs, remote fences, HSM start, stop and status) crosses the nodes as
// messages (src/machine/vnuma/harts.ts); the SBI console of a hart on another node is served
// by the home node with that hart's registers. Both cores.
import { describe, expect, it } from "vitest";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hypervisor } from "../src/api/hypervisor.ts";
import { validateSystem, ConfigError } from "../src/config/system.ts";
import { startNodes } from "../src/node/vnuma.ts";
import { VnumaError } from "../src/machine/vnuma/home.ts";
import { CORES, guestElf, guestPath } from "./support/harness.ts";
import { loadWasmModule } from "../src/node/core-file.ts";
import { GUESTS } from "./support/guests-table.ts";
import { RTOS_PARTNER, linuxMissing, linuxPartition, watchConsoles } from "./support/linux.ts";
import { cli } from "./support/cli.ts";

const ticks = GUESTS.find((g) => g.name === "ticks")!;

/** A system with partition `p` on `nodes` nodes (processes started here): run `body`, then end
 *  the nodes. */
/** Run `hv` to its end; the harts spin while they wait for each other, so no instruction limit
 *  bounds it (a slow host lets the spinning hart retire any number): a real-time guard does. */
async function runGuarded(hv: Hypervisor, seconds = 60): Promise<void> {
  const guard = setTimeout(() => hv.stop(), seconds * 1000);
  try {
    await hv.run();
  } finally {
    clearTimeout(guard);
  }
}

async function onNodes<T>(nodes: number, body: (links: Awaited<ReturnType<typeof startNodes>>["links"]) => Promise<T>): Promise<T> {
  const started = await startNodes(nodes - 1);
  try {
    return await body(started.links);
  } finally {
    await started.close();
  }
}

describe("vNUMA: a partition's harts on several nodes", () => {
  for (const core of CORES) {
    it(`smp-s (HSM start, stop, status and restart, remote fences, IPIs, the SBI console and a hypercall from hart 1) passes with hart 1 on another node, its neighbour exact (${core})`, async () => {
      await onNodes(2, async (links) => {
        const hv = new Hypervisor({
          partitions: [
            { name: "s", image: "smp-s-vnuma", mode: "supervisor", ram: "1M", harts: 2, parallel: true, nodes: 2 },
            { name: "rt", image: "ticks", ram: "1M" },
          ],
        }, { core, wasmModule: core === "wasm" ? await loadWasmModule() : undefined, loadImage: (i) => guestElf(i), vnuma: { links } });
        const out: Record<string, string> = {};
        hv.on("output", (e) => { out[e.partition] = (out[e.partition] ?? "") + Buffer.from(e.data).toString("latin1"); });
        await runGuarded(hv);
        expect(out.s, JSON.stringify(hv.halted[0])).toBe("smp-s: hart 1 started\nsmp-s: PASS\n");
        expect(hv.halted[0]).toMatchObject({ kind: "shutdown", status: 0 });
        // The deterministic partition beside it runs exactly as alone.
        expect(out.rt).toBe(ticks.output);
        expect(hv.stats().partitions[1].instructions).toBe(ticks.instructions);
        const v = hv.stats().partitions[0].vnuma!;
        expect(v.nodes).toBe(2);
        expect(v.dsm.remoteFaults).toBeGreaterThan(0); // (the harts share their words)
        await expect(hv.run({ maxInsns: 1000 })).resolves.toBeDefined(); // (halted: nothing runs again)
      });
    }, 120_000);
  }

  for (const core of CORES) {
    it(`a hostile pair of harts (adv-sbi-nodes: both fence, query, start and signal each other at once with hostile ranges and masks) gets every answer right on 2 nodes, as on one thread; its neighbour exact (${core})`, async () => {
      const lines = [
        "adv-sbi-nodes: fences with hostile ranges, status, starts and IPIs both ways at once, every answer right",
        "adv-sbi-nodes: woken from WFI, stopped, restarted with its value, stopped; fences and IPIs to it returned",
        "adv-sbi-nodes: PASS",
      ].join("\n") + "\n";
      const wasmModule = core === "wasm" ? await loadWasmModule() : undefined;
      // The deterministic partition first: the same answers on one host thread.
      const one = new Hypervisor({ partitions: [{ name: "a", image: "adv-sbi-nodes", mode: "supervisor", ram: "1M", harts: 2 }] },
        { core, wasmModule, loadImage: (i) => guestElf(i) });
      let oneOut = "";
      one.on("output", (e) => { oneOut += Buffer.from(e.data).toString("latin1"); });
      await one.run({ maxInsns: 50_000_000 });
      expect(oneOut).toBe(lines);
      await onNodes(2, async (links) => {
        const hv = new Hypervisor({
          partitions: [
            { name: "a", image: "adv-sbi-nodes", mode: "supervisor", ram: "1M", harts: 2, parallel: true, nodes: 2 },
            { name: "rt", image: "ticks", ram: "1M" },
          ],
        }, { core, wasmModule, loadImage: (i) => guestElf(i), vnuma: { links } });
        const out: Record<string, string> = {};
        hv.on("output", (e) => { out[e.partition] = (out[e.partition] ?? "") + Buffer.from(e.data).toString("latin1"); });
        await runGuarded(hv);
        expect(out.a, JSON.stringify(hv.halted[0])).toBe(lines);
        expect(hv.halted[0]).toMatchObject({ kind: "shutdown", status: 0 });
        expect(out.rt).toBe(ticks.output);
        expect(hv.stats().partitions[1].instructions).toBe(ticks.instructions);
      });
    }, 120_000);
  }

  for (const core of CORES) {
    it(`hostile HSM and fences at a hart on another node (adv-hsm-nodes: hart ids 2 and 2^32-1, fences of zero length and at the top of the space, then hart 1 started at 2^32-4): the same answers and the same fatal halt of its own partition as on one thread; its neighbour exact (${core})`, async () => {
      const lines = [
        "adv-hsm-nodes: hart ids 2 and 2^32-1 refused; fences of zero length, at 0 and at the top of the space, at a stopped hart on the other node, returned",
        "adv-hsm-nodes: hart 1 starts at 2^32-4",
      ].join("\n") + "\n";
      const wasmModule = core === "wasm" ? await loadWasmModule() : undefined;
      const halts: unknown[] = [];
      for (const nodes of [1, 2]) {
        const run = async (links?: Awaited<ReturnType<typeof startNodes>>["links"]) => {
          const hv = new Hypervisor({
            partitions: [
              { name: "a", image: "adv-hsm-nodes", mode: "supervisor", ram: "1M", harts: 2, ...(links ? { parallel: true, nodes: 2 } : {}) },
              { name: "rt", image: "ticks", ram: "1M" },
            ],
          }, { core, wasmModule, loadImage: (i) => guestElf(i), ...(links ? { vnuma: { links } } : {}) });
          const out: Record<string, string> = {};
          hv.on("output", (e) => { out[e.partition] = (out[e.partition] ?? "") + Buffer.from(e.data).toString("latin1"); });
          await runGuarded(hv);
          expect(out.a, JSON.stringify(hv.halted[0])).toBe(lines);
          if (links) {
            // (outside the schedule, on its nodes: the deterministic partition runs exactly as
            // alone; on one thread the two share the schedule, and its timing is the schedule's)
            expect(out.rt).toBe(ticks.output);
            expect(hv.stats().partitions[1].instructions).toBe(ticks.instructions);
          }
          const h = hv.halted[0]!;
          halts.push({ kind: h.kind, status: h.status, message: h.message });
        };
        if (nodes === 1) await run();
        else await onNodes(2, run);
      }
      // (a trap loop of hart 1: its fetch at 0 faults, its trap vector is 0)
      expect(halts[0]).toMatchObject({ status: 126 });
      expect(halts[1]).toEqual(halts[0]);
    }, 120_000);
  }

  for (const core of CORES) {
    it(`two harts on two nodes calling hart_stop at the same moment halt their partition (smp-stop, 4 runs; ${core})`, async () => {
      const wasmModule = core === "wasm" ? await loadWasmModule() : undefined;
      for (let i = 0; i < 4; i++) {
        await onNodes(2, async (links) => {
          const hv = new Hypervisor({ partitions: [{ name: "s", image: "smp-stop", mode: "supervisor", ram: "1M", harts: 2, parallel: true, nodes: 2 }] },
            { core, wasmModule, loadImage: (n) => guestElf(n), vnuma: { links } });
          let out = "";
          hv.on("output", (e) => { out += Buffer.from(e.data).toString("latin1"); });
          await runGuarded(hv);
          expect(out).toBe("smp-stop: both harts stop at once\n");
          expect(hv.halted[0]).toMatchObject({ kind: "shutdown", status: 0 });
        });
      }
    }, 120_000);
  }

  it("wasmvisor run: a system with a partition on 2 nodes starts its node, reports the shared memory and ends with its guests", async () => {
    // (guests that end by themselves: a run bounded by --max-insns would end wherever the harts'
    // spinning had spent the count — with page faults slow on a loaded host, before a guest's
    // output — so the test would depend on the host's load)
    const file = join(mkdtempSync(join(tmpdir(), "wv-numa-")), "numa.json");
    writeFileSync(file, JSON.stringify({
      partitions: [
        { name: "s", image: guestPath("smp-s-vnuma"), mode: "supervisor", ram: "1M", harts: 2, parallel: true, nodes: 2 },
        { name: "rt", image: guestPath("ticks"), ram: "1M" },
      ],
    }));
    const r = await cli(["run", file, "--stats"]);
    expect(r.stderr).toMatch(/\[s\] vNUMA: \d+ page faults served \(\d+ needed another node/);
    expect(r.stdout).toContain("[s] smp-s: hart 1 started\n[s] smp-s: PASS\n");
    expect(r.status, r.stderr).toBe(0);
  }, 120_000);

  it("the description: nodes need parallel, at most the harts, no disk, no virtio device", () => {
    const part = (extra: Record<string, unknown>) => ({ partitions: [{ name: "s", image: "smp-s", mode: "supervisor", ram: "1M", harts: 2, ...extra }] });
    const problem = (extra: Record<string, unknown>) => {
      try {
        validateSystem(part(extra), "n.json");
        return "";
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
    };
    expect(problem({ parallel: true, nodes: 2 })).toBe("");
    expect(problem({ nodes: 2 })).toContain('add "parallel": true');
    expect(problem({ parallel: true, nodes: 3 })).toContain("from 1 to the partition's harts (2)");
    expect(problem({ parallel: true, nodes: 1.5 })).toContain("must be an integer");
    expect(problem({ parallel: true, nodes: 2, devices: ["uart", "virtio-console"] })).toContain('"virtio-console" moves data through guest RAM from the home node');
    expect(problem({ parallel: true, nodes: 2, disk: "x.img" })).toContain("has no disk");
  });

  it("a Hypervisor without the links, or run a second time, says why", async () => {
    const hv = new Hypervisor({ partitions: [{ name: "s", image: "smp-s", mode: "supervisor", ram: "1M", harts: 2, parallel: true, nodes: 2 }] },
      { core: "ts", loadImage: (i) => guestElf(i) });
    await expect(hv.run({ maxInsns: 1000 })).rejects.toThrow(VnumaError);
    await expect(hv.run({ maxInsns: 1000 })).rejects.toThrow(/links to 1 other node\(s\), not 0/);
  });
});

const missing = linuxMissing();

describe.skipIf(missing !== null)(`Linux in a partition on 2 nodes beside the RTOS${missing ? ` (skipped: ${missing})` : ""}`, () => {
  for (const core of CORES) {
    it(`boots with a CPU on each process, sees 2 NUMA nodes, runs threads and forks across them, powers off; the RTOS meets its deadlines (${core})`, async () => {
      await onNodes(2, async (links) => {
        const linux: Record<string, unknown> = { ...linuxPartition({ harts: 2 }), parallel: true, nodes: 2, devices: ["uart", "clint", "plic", "finisher"] };
        delete linux.priority; // (outside the schedule: no priority)
        const hv = new Hypervisor({ partitions: [RTOS_PARTNER, linux] }, {
          core, wasmModule: core === "wasm" ? await loadWasmModule() : undefined, vnuma: { links },
          loadImage: (f) => (f.startsWith("/") ? readFileSync(f) : guestElf(f)),
        });
        const c = watchConsoles(hv);
        try {
          await c.until(/smp: Brought up 2 nodes, 2 CPUs[^]*\n# $/, "the prompt");
          expect(c.text()).toContain("Initmem setup node 1 [mem 0x0000000081000000-0x0000000081ffffff]");
          c.type("cat /sys/devices/system/node/node1/distance");
          await c.until(/\n20 10\r?\n# $/, "the distances");
          await c.threadsForkexecPoweroff(2000, 8);
          // The RTOS reports every 5 s of its virtual time (which keeps to real time while
          // threads run): its jobs and deadlines since it started, through Linux's whole run.
          await c.until(/jobs, worst release latency \d+ ns, \d+ deadlines missed/, "the RTOS's report", "rtos");
        } finally {
          await c.end();
        }
        const rt = c.text("rtos");
        expect(hv.halted[1]?.kind).toBe("shutdown");
        expect(rt).toMatch(/ 0 deadlines missed/);
        expect(rt).not.toMatch(/ [1-9]\d* deadlines missed/);
        const v = hv.stats().partitions[1].vnuma!;
        expect(v.dsm.remoteFaults).toBeGreaterThan(0);
        expect(v.dsm.messages.grant).toBe(v.dsm.messages.ack);
        console.log(`Linux partition on 2 nodes (${core}): ${JSON.stringify(v)}`);
      });
    }, 300_000);
  }

});
