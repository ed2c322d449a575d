#!/usr/bin/env node
// vNUMA (docs/vnuma.md): a parallel guest with its two harts on two processes (nodes) that share
// the guest's RAM page by page over loopback TCP, against the same guest on one node.
// `npm run bench:vnuma`; `npm run bench` reports the same figures (measureVnuma).
//
// The workload is guests/bin/parbench.elf (bench/parallel.mjs describes it): hart h takes items
// h, h+N, …, and every item's result goes into one shared sum with AMOADD, so the page holding
// the sum moves between the nodes all through the run. Each round runs, on the Wasm core:
//   one node, 1 hart on a thread          (vnuma.1node.1hart.s)
//   one node, 2 harts on threads          (vnuma.1node.2harts.s: harts on parallel threads)
//   two nodes, a hart on each             (vnuma.2nodes.2harts.s)
//   two nodes, each hart's memory its node's own (parbench-numa.elf: vnuma.2nodes.local.s)
// The time is the runParallel() call (for two nodes: sending the layout, starting the node's
// hart, the run, and collecting its state); starting the node process is measured apart
// (vnuma.node-start.ms). vnuma.speedup = time(one node, 1 hart) / time(two nodes). The
// protocol's figures are the last round's: page faults served and those that needed the other
// node, per second of the run, pages moved, and the messages by kind.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Machine } from "../dist/src/machine/machine.js";
import { Hypervisor } from "../dist/src/api/hypervisor.js";
import { startNodes } from "../dist/src/node/vnuma.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const ELF = readFileSync(`${root}guests/bin/parbench.elf`);
// The same program with each hart's table and scratch in its own part of RAM (-DNUMA_AREAS):
// on two nodes, in its node's own memory.
const ELF_NUMA = readFileSync(`${root}guests/bin/parbench-numa.elf`);
const CHECKSUM = /checksum (0x[0-9a-f]+)/;

async function once(harts, nodeCount, elf = ELF) {
  let out = "";
  const machine = await Machine.create({ core: "wasm", harts, parallel: true, nodes: nodeCount, onOutput: (b) => { out += Buffer.from(b).toString("latin1"); } });
  machine.loadElf(elf, "parbench");
  let nodes = null;
  const s0 = performance.now();
  if (nodeCount > 1) nodes = await startNodes(nodeCount - 1);
  const startMs = performance.now() - s0;
  const t0 = performance.now();
  let r;
  try {
    r = await machine.runParallel(nodes ? { nodes: { placement: machine.hartNodes, links: nodes.links, ramBytes: machine.ramBytes } } : {});
  } finally {
    await nodes?.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  if (machine.halted?.status !== 0) throw new Error(`parbench (${harts} harts, ${nodeCount} nodes): ${machine.halted?.message}\n${out}`);
  return { seconds, startMs, checksum: CHECKSUM.exec(out)?.[1], instructions: machine.retired, vnuma: r.vnuma };
}

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** The vNUMA figures, as bench/run.mjs reports them: [{ name, unit, value }]. */
export async function measureVnuma({ rounds = 3, log = () => {} } = {}) {
  const t = { one: [], threads: [], nodes: [], local: [], start: [] };
  let checksum = null;
  let last = null;
  for (let r = 0; r < rounds; r++) {
    for (const [key, harts, nodes, elf] of [["one", 1, 1, ELF], ["threads", 2, 1, ELF], ["nodes", 2, 2, ELF], ["local", 2, 2, ELF_NUMA]]) {
      const res = await once(harts, nodes, elf);
      checksum ??= res.checksum;
      if (res.checksum !== checksum) throw new Error(`parbench: checksum ${res.checksum} with ${harts} harts on ${nodes} nodes, ${checksum} before`);
      t[key].push(res.seconds);
      if (key === "nodes") {
        t.start.push(res.startMs);
        last = { ...res.vnuma, seconds: res.seconds };
      }
      log(`  round ${r + 1}: ${`${harts} hart(s), ${nodes} node(s)${key === "local" ? ", node-local" : ""}`.padEnd(32)} ${res.seconds.toFixed(3)} s${nodes > 1 ? ` (node process started in ${res.startMs.toFixed(0)} ms; ${res.vnuma.dsm.remoteFaults} remote faults)` : ""}`);
    }
  }
  const r2 = (v) => Math.round(v * 100) / 100;
  const r3 = (v) => Math.round(v * 1000) / 1000;
  const m = last.dsm.messages;
  return [
    { name: "vnuma.1node.1hart.s", unit: "s", value: r3(median(t.one)) },
    { name: "vnuma.1node.2harts.s", unit: "s", value: r3(median(t.threads)) },
    { name: "vnuma.2nodes.2harts.s", unit: "s", value: r3(median(t.nodes)) },
    { name: "vnuma.speedup", unit: "x", value: r2(median(t.one) / median(t.nodes)) },
    { name: "vnuma.2nodes.local.s", unit: "s", value: r3(median(t.local)) },
    { name: "vnuma.speedup.local", unit: "x", value: r2(median(t.one) / median(t.local)) },
    { name: "vnuma.node-start.ms", unit: "ms", value: Math.round(median(t.start)) },
    { name: "vnuma.faults", unit: "", value: last.dsm.faults },
    { name: "vnuma.remote-faults", unit: "", value: last.dsm.remoteFaults },
    { name: "vnuma.remote-faults-per-s", unit: "/s", value: Math.round(last.dsm.remoteFaults / last.seconds) },
    { name: "vnuma.pages-moved", unit: "", value: last.dsm.pagesMoved },
    { name: "vnuma.messages", unit: "", value: Object.values(m).reduce((a, b) => a + b, 0) },
    { name: "vnuma.messages.by-kind", unit: "", value: Object.entries(m).map(([k, n]) => `${k} ${n}`).join(", ") },
    { name: "vnuma.revocation-wait.ms", unit: "ms", value: Math.round(last.fenceMs) },
  ];
}

/**
 * SMP Linux in a partition beside the periodic RTOS (docs/vnuma.md, "A partition on nodes"): its
 * 2 harts on threads of this process, or a hart on each of 2 processes. Real time from run() to
 * the shell prompt, and of the script `threads 4 2000; forkexec -p 8`; the shared memory's
 * figures of the whole run (boot and script). Wasm core.
 */
async function linuxOnce(nodeCount) {
  const linux = {
    name: "linux", image: `${root}guests/linux/build/Image`, initrd: `${root}guests/linux/build/initramfs.cpio`, mode: "supervisor",
    ram: "32M", harts: 2, parallel: true, ...(nodeCount > 1 ? { nodes: nodeCount } : {}), devices: ["uart", "clint", "plic", "finisher"], bootargs: "console=ttyS0",
  };
  const rtos = { name: "rtos", image: `${root}guests/bin/periodic.elf`, ram: "1M", priority: 10, budget: "200us", period: "1ms" };
  const nodes = nodeCount > 1 ? await startNodes(nodeCount - 1) : null;
  try {
    const hv = new Hypervisor({ partitions: [rtos, linux] }, {
      core: "wasm", loadImage: (f) => readFileSync(f), ...(nodes ? { vnuma: { links: nodes.links } } : {}),
    });
    let out = "";
    hv.on("output", (e) => { if (e.partition === "linux") out += Buffer.from(e.data).toString("latin1"); });
    const until = async (pattern) => {
      const t0 = performance.now();
      while (!pattern.test(out)) {
        if (performance.now() - t0 > 300_000) throw new Error(`Linux on ${nodeCount} node(s): ${pattern} never came:\n${out.slice(-1500)}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    };
    const t0 = performance.now();
    const running = hv.run({ inputOpen: () => true, waitForInput: () => new Promise((resolve) => setTimeout(resolve, 2)) });
    let boot, script;
    try {
      await until(/Brought up[^]*\n# $/);
      boot = (performance.now() - t0) / 1000;
      const t1 = performance.now();
      hv.console("linux").write("threads 4 2000\n");
      await until(/threads: ran on \d CPUs?\r?\n# $/);
      hv.console("linux").write("forkexec -p 8\n");
      await until(/forkexec: 8 children, all exited 0\r?\n# $/);
      script = (performance.now() - t1) / 1000;
      hv.console("linux").write("poweroff -h\n");
      await until(/reboot: System halted/);
    } finally {
      hv.stop();
      await running;
    }
    return { boot, script, vnuma: hv.stats().partitions[1].vnuma };
  } finally {
    await nodes?.close();
  }
}

/** The Linux partition's figures (bench/run.mjs reports them too): [{ name, unit, value }]. */
export async function measureVnumaLinux({ rounds = 1, log = () => {} } = {}) {
  const t = { threadsBoot: [], threadsScript: [], nodesBoot: [], nodesScript: [] };
  let last = null;
  for (let r = 0; r < rounds; r++) {
    for (const [key, nodes] of [["threads", 1], ["nodes", 2]]) {
      const res = await linuxOnce(nodes);
      t[`${key}Boot`].push(res.boot);
      t[`${key}Script`].push(res.script);
      if (res.vnuma) last = res.vnuma;
      log(`  round ${r + 1}: Linux partition, 2 harts ${nodes > 1 ? "on 2 nodes " : "on threads "} prompt ${res.boot.toFixed(2)} s, script ${res.script.toFixed(2)} s${res.vnuma ? ` (${res.vnuma.dsm.remoteFaults} remote faults)` : ""}`);
    }
  }
  const r2 = (v) => Math.round(v * 100) / 100;
  return [
    { name: "vnuma.linux.threads.prompt.s", unit: "s", value: r2(median(t.threadsBoot)) },
    { name: "vnuma.linux.threads.script.s", unit: "s", value: r2(median(t.threadsScript)) },
    { name: "vnuma.linux.2nodes.prompt.s", unit: "s", value: r2(median(t.nodesBoot)) },
    { name: "vnuma.linux.2nodes.script.s", unit: "s", value: r2(median(t.nodesScript)) },
    { name: "vnuma.linux.remote-faults", unit: "", value: last.dsm.remoteFaults },
    { name: "vnuma.linux.pages-moved", unit: "", value: last.dsm.pagesMoved },
    { name: "vnuma.linux.messages", unit: "", value: Object.values(last.dsm.messages).reduce((a, b) => a + b, 0) },
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1]) || 5;
  console.log(`parbench.elf (10,000 items) on one node and on two, Wasm core, ${rounds} rounds:`);
  for (const r of await measureVnuma({ rounds, log: console.log })) console.log(`  ${r.name.padEnd(28)} ${r.value} ${r.unit}`);
  console.log("SMP Linux in a partition beside the RTOS, its 2 harts on threads or on 2 nodes, Wasm core:");
  for (const r of await measureVnumaLinux({ rounds: Math.min(rounds, 3), log: console.log })) console.log(`  ${r.name.padEnd(28)} ${r.value} ${r.unit}`);
}
