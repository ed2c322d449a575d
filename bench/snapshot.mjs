// Snapshot and restore of the default system (RTOS + Linux) at Linux's prompt, on both cores:
// the figures docs/snapshots.md quotes. `npm run build && node bench/snapshot.mjs [--rounds N]`.
//   cold     the first hv.snapshot() of a freshly booted system (nothing compressed yet)
//   warm     a later snapshot, 1M instructions on (only the changed 256 KiB regions compressed)
//   restore  Hypervisor.restore() of the file (the compiled Wasm module reused)
// Each figure is the median over the rounds, with the process's CPU time beside the wall time
// (the machine is shared: the CPU time says what the work costs when a core is free).
// WASMVISOR_ROOT=DIR measures another checkout's build (a before/after comparison; the guests
// are still this checkout's).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const build = process.env.WASMVISOR_ROOT ? `${process.env.WASMVISOR_ROOT}/` : root;
const { loadWasmModule } = await import(`${build}dist/src/node/core-file.js`);
const { Hypervisor } = await import(`${build}dist/src/api/hypervisor.js`);
const roundsArg = process.argv.indexOf("--rounds");
const rounds = roundsArg >= 0 ? Number(process.argv[roundsArg + 1]) : 5;
const linuxDir = `${root}guests/linux/build`;
const MAILBOX = { region: "rtos-mailbox", address: "0x90000000", perms: "rw" };
const SYSTEM = {
  memoryRegions: [{ name: "rtos-mailbox", size: "4K" }],
  partitions: [
    { name: "rtos", image: "rtos", ram: "1M", priority: 10, budget: "200us", period: "1ms", mappings: [MAILBOX] },
    { name: "linux", mode: "supervisor", image: `${linuxDir}/Image`, initrd: `${linuxDir}/initramfs.cpio`, ram: "32M", priority: 1, bootargs: "console=ttyS0 quiet", mappings: [MAILBOX] },
  ],
  channels: [{ name: "rtos", region: "rtos-mailbox", ends: [{ partition: "rtos", id: 0 }, { partition: "linux", id: 0 }] }],
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
/** Wall and CPU milliseconds of `f`. */
async function timed(f) {
  const t = performance.now(), c = cpu();
  const value = await f();
  return { value, ms: performance.now() - t, cpu: cpu() - c };
}

const wasmModule = await loadWasmModule();
const results = {};
for (let round = 0; round < rounds; round++) {
  for (const core of ["wasm", "ts"]) {
    const r = (results[core] ??= { cold: [], coldCpu: [], warm: [], warmCpu: [], restore: [], restoreCpu: [], bytes: 0 });
    const hv = new Hypervisor(SYSTEM, { core, wasmModule, loadImage: (f) => readFileSync(f.startsWith("/") ? f : `${root}guests/bin/${f}.elf`) });
    let out = "";
    hv.on("output", (e) => { if (e.partition === "linux") out += Buffer.from(e.data).toString("latin1"); });
    await hv.start();
    while (!/\n# $/.test(out)) await hv.step(1_000_000);
    const cold = await timed(() => hv.snapshot());
    r.cold.push(cold.ms); r.coldCpu.push(cold.cpu); r.bytes = cold.value.length;
    await hv.step(1_000_000);
    const warm = await timed(() => hv.snapshot());
    r.warm.push(warm.ms); r.warmCpu.push(warm.cpu);
    const restore = await timed(() => Hypervisor.restore(cold.value, { core, wasmModule }));
    r.restore.push(restore.ms); r.restoreCpu.push(restore.cpu);
    hv.close();
  }
}
for (const [core, r] of Object.entries(results)) {
  const f = (ms, c) => `${median(ms).toFixed(1)} ms (CPU ${median(c).toFixed(1)})`;
  console.log(`${core.padEnd(4)}  snapshot cold ${f(r.cold, r.coldCpu)}, warm ${f(r.warm, r.warmCpu)}; restore ${f(r.restore, r.restoreCpu)}; ${r.bytes} bytes`);
}
