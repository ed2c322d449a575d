// vNUMA (docs/vnuma.md): the harts of one machine on several processes, which share the guest's
// RAM page by page over loopback TCP. The guests are the parallel-harts ones (their output does
// not depend on how the harts interleave, so it is exact), on both cores; the shared memory
// protocol runs here under injected delay and reordering too (test/vnuma-dsm.test.ts tests it
// alone, with its invariants checked at every step).
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createServer, connect } from "node:net";
import { cli } from "./support/cli.ts";
import { CORES, guestPath, ROOT } from "./support/harness.ts";
import { GUESTS, parstressOutput, parbenchOutput, partimerOutput } from "./support/guests-table.ts";

const FIGURES = /vNUMA: (\d+) page faults served \((\d+) needed another node; \d+\/s\), (\d+) pages moved; messages: get (\d+), recall \d+, data \d+, inv \d+, inv-ack \d+, grant (\d+), ack (\d+)/;

/** Run `run-elf` with `env` set for the run (the node processes inherit it). */
async function runElf(args: string[], env: Record<string, string> = {}) {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await cli(["run-elf", ...args, "--stats"]);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

function figures(stderr: string) {
  const m = FIGURES.exec(stderr);
  expect(m, stderr).not.toBeNull();
  const [faults, remote, moved, get, grant, ack] = m!.slice(1).map(Number);
  return { faults, remote, moved, get, grant, ack };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("vNUMA: harts on several processes sharing RAM page by page (docs/vnuma.md)", () => {
  for (const core of CORES) {
    it(`parstress on 2 harts, a node each: every atomic count exact, no stale message (${core})`, async () => {
      const r = await runElf([guestPath("parstress"), "--harts", "2", "--nodes", "2", "--core", core]);
      expect(r.stdout).toBe(parstressOutput(2));
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain("2 harts on parallel threads on 2 nodes");
      const f = figures(r.stderr);
      // The counters' page went back and forth: the other node was needed, and every grant
      // was acknowledged.
      expect(f.remote).toBeGreaterThan(0);
      expect(f.grant).toBe(f.ack);
    }, 120_000);

    it(`smp on 2 nodes: IPIs through the home node's CLINT, code written on one node run on the other (${core})`, async () => {
      const smp = GUESTS.find((g) => g.name === "smp")!;
      const r = await runElf([guestPath("smp"), "--harts", "2", "--nodes", "2", "--core", core]);
      expect(r.stdout).toBe(smp.output);
      expect(r.status, r.stderr).toBe(smp.status);
    }, 120_000);
  }

  it("partimer on 4 harts, 2 nodes: every hart's timer interrupts, through the home node's CLINT, none early", async () => {
    const r = await runElf([guestPath("partimer"), "--harts", "4", "--nodes", "2"]);
    expect(r.stdout).toBe(partimerOutput(4));
    expect(r.status, r.stderr).toBe(0);
  }, 120_000);

  it("a hostile attacker on the other node (adv-vnuma): 0, 2^32 - 4, past RAM and across its end fault with nothing written; what may land lands — as on one node, both cores", async () => {
    const expected = [
      "adv-vnuma: 0, the top of the space, past RAM and both ways across its end faulted, nothing written",
      "adv-vnuma: an AMO on the last word, a word across two pages, LR/SC on the other hart's page: all landed",
      "adv-vnuma: PASS",
    ].map((l) => `${l}\n`).join("");
    for (const core of CORES) {
      const one = await cli(["run-elf", guestPath("adv-vnuma"), "--harts", "2", "--core", core]);
      expect(one.stdout, `one node, ${core}`).toBe(expected);
      expect(one.status).toBe(0);
      const two = await runElf([guestPath("adv-vnuma"), "--harts", "2", "--nodes", "2", "--core", core]);
      expect(two.stdout, `two nodes, ${core}`).toBe(expected);
      expect(two.status, two.stderr).toBe(0);
      expect(figures(two.stderr).remote).toBeGreaterThan(0);
    }
  }, 120_000);

  it("under injected delay and reordering (each protocol message 0-3 ms on its own): parstress on 4 harts, 2 nodes", async () => {
    const r = await runElf([guestPath("parstress"), "--harts", "4", "--nodes", "2"], { WASMVISOR_VNUMA_DELAY_MS: "3" });
    expect(r.stdout).toBe(parstressOutput(4));
    expect(r.status, r.stderr).toBe(0);
    expect(figures(r.stderr).remote).toBeGreaterThan(0);
  }, 180_000);

  it("parbench on 3 harts, a node each: the checksum of one hart", async () => {
    const r = await runElf([guestPath("parbench-short"), "--harts", "3", "--nodes", "3"]);
    expect(r.stdout).toBe(parbenchOutput(3, 256));
    expect(r.status, r.stderr).toBe(0);
  }, 180_000);

  it("a hart working in its own node's memory never waits for it: parbench-numa's harts fault only on the shared words", async () => {
    const r = await runElf([guestPath("parbench-numa"), "--harts", "2", "--nodes", "2"]);
    expect(r.stdout).toBe(parbenchOutput(2, 10000));
    expect(r.status, r.stderr).toBe(0);
    // Each hart's 12 KiB table and scratch lie in its own node's memory, which starts there: the
    // faults left are the code's page, the barrier and the sums (a handful of pages).
    const f = figures(r.stderr);
    expect(f.faults).toBeLessThan(60);
    // Node 1's memory is half of the 128 MiB of RAM: 16,384 pages, all zero when loaded.
    expect(r.stderr).toMatch(/; 16384 pages started at their own node/);
  }, 120_000);

  it("--listen: a node started on its own (wasmvisor vnuma-node --connect) joins the machine", async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    // The node first: it tries to connect until the home node listens.
    const node = spawn(process.execPath, ["--import", "tsx", "test/support/wasmvisor-src.ts", "vnuma-node", "--connect", address], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let nodeErr = "";
    node.stderr.on("data", (d) => { nodeErr += d; });
    const exited = new Promise<number | null>((resolve) => node.on("exit", (code) => resolve(code)));
    const r = await runElf([guestPath("parstress"), "--harts", "2", "--nodes", "2", "--listen", address]);
    expect(r.stdout).toBe(parstressOutput(2));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`waiting on ${address} for 1 node(s)`);
    expect(await exited, nodeErr).toBe(0);
  }, 120_000);

  it("a node that breaks the protocol stops the run with a message naming it (no hang, no crash)", async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const run = runElf([guestPath("parstress"), "--harts", "2", "--nodes", "2", "--listen", address]);
    // A "node" that answers the start with bytes that are no frame.
    await new Promise<void>((resolve, reject) => {
      const tryConnect = (left: number) => {
        const s = connect(port, "127.0.0.1");
        s.once("error", (err) => (left > 0 ? setTimeout(() => tryConnect(left - 1), 50) : reject(err)));
        s.once("data", () => {
          s.write(Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3]));
          resolve();
        });
      };
      tryConnect(100);
    });
    const r = await run;
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/node 1/);
  }, 60_000);

  it("refuses what vNUMA cannot do, with the reason", async () => {
    const elf = guestPath("parstress");
    const cases: Array<[string[], RegExp]> = [
      [["--harts", "2", "--nodes", "3"], /--nodes 3: use a number of nodes from 1 to the number of harts \(2/],
      [["--harts", "2", "--nodes", "0"], /--nodes 0/],
      [["--harts", "2", "--nodes", "2", "--max-insns", "1000"], /--nodes cannot be combined with --max-insns/],
      [["--harts", "2", "--listen", "127.0.0.1:1"], /--listen waits for the other nodes/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(["run-elf", elf, ...args]);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
    for (const args of [[], ["--connect"], ["--connect", "nowhere"], ["--listen", "127.0.0.1:5"]]) {
      const r = await cli(["vnuma-node", ...args]);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/usage: wasmvisor vnuma-node --connect HOST:PORT/);
    }
  });
});

describe("vNUMA: a node that dies in the middle of a run", () => {
  it("stops the machine with a message naming it, on time (no hang)", async () => {
    const { Machine } = await import("../src/machine/machine.ts");
    const { startNodes } = await import("../src/node/vnuma.ts");
    const { readFileSync } = await import("node:fs");
    const machine = await Machine.create({ core: "wasm", harts: 2, parallel: true, nodes: 2 });
    machine.loadElf(readFileSync(guestPath("parbench")), "parbench");
    const nodes = await startNodes(1);
    try {
      const run = machine.runParallel({ nodes: { placement: [0, 1], links: nodes.links, ramBytes: machine.ramBytes } });
      await new Promise((r) => setTimeout(r, 400));
      nodes.kill(1);
      const t0 = performance.now();
      // (killed while the machine starts: the start fails; while it runs: the machine stops)
      const outcome = await run.then(() => `${machine.halted?.status}: ${machine.halted?.message}`, (err: Error) => `${err.name}: ${err.message}`);
      expect(performance.now() - t0).toBeLessThan(10_000);
      expect(outcome).toMatch(/^(1: .*|VnumaError: )node 1 went away/);
      // The machine is whole again on its own: every page its own, no check left behind.
      const { layoutWords } = await import("../src/vmm/guest-memory.ts");
      const { SYS_DSM_BASE } = await import("../assembly/layout.ts");
      expect(layoutWords(machine.core.memory)[SYS_DSM_BASE >> 2]).toBe(0);
    } finally {
      await nodes.close();
    }
  }, 60_000);
});
