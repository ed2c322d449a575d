#!/usr/bin/env node
// wasmvisor benchmarks: `npm run bench` (human-readable) or `npm run bench -- --json`
// ({"results":[{"name","unit","value"},…]}).
//
// Every figure that is compared is measured side by side in this one run: the CPU-bound
// workload (guests/bin/bench.elf) runs on the Wasm core, the pure-TS core and, when installed,
// qemu-system-riscv32, in interleaved rounds; the median of each is reported. QEMU's time is net
// of its own start-up (measured on a trivial guest in the same rounds); its instruction count is
// the one wasmvisor measured for the same ELF (the workload's control flow is deterministic).
//
// Options: --json, --rounds N (default 3), --quick (one round, for smoke tests).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Benchmark from "benchmark";
import { Machine } from "../dist/src/machine/machine.js";
import { loadWasmModule, coreWasmPath } from "../dist/src/node/core-file.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const json = args.includes("--json");
const quick = args.includes("--quick");
const roundsArg = args.indexOf("--rounds");
const rounds = quick ? 1 : roundsArg >= 0 ? Number(args[roundsArg + 1]) : 3;
const log = (msg) => { if (!json) process.stderr.write(msg); };

const benchElf = readFileSync(`${root}/guests/bin/bench.elf`);
const trivialElf = `${root}/guests/bin/hello-asm.elf`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Run the workload on one core: instructions and seconds (load excluded). */
async function runCore(core) {
  const m = await Machine.create({ core, wasmModule: await loadWasmModule() });
  m.loadElf(benchElf, "bench.elf");
  const t0 = performance.now();
  m.step(Number.MAX_SAFE_INTEGER);
  const seconds = (performance.now() - t0) / 1000;
  if (m.halted?.kind !== "pass") throw new Error(`bench.elf did not pass on the ${core} core: ${m.halted?.message}`);
  return { instructions: m.retired, seconds };
}

const QEMU = "qemu-system-riscv32";
const hasQemu = spawnSync(QEMU, ["--version"]).status === 0;
function runQemu(elf) {
  const t0 = performance.now();
  const r = spawnSync(QEMU, ["-M", "virt", "-bios", "none", "-cpu", "rv32,f=false,d=false,h=false",
    "-display", "none", "-serial", "null", "-monitor", "none", "-kernel", elf], { timeout: 120_000 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`qemu failed on ${elf}: status ${r.status} ${r.stderr}`);
  return seconds;
}

const samples = { wasm: [], ts: [], qemu: [] };
let instructions = 0;
for (let round = 1; round <= rounds; round++) {
  log(`round ${round}/${rounds}:`);
  const w = await runCore("wasm");
  instructions = w.instructions;
  samples.wasm.push(w.seconds);
  log(` wasm ${(w.instructions / w.seconds / 1e6).toFixed(1)} MIPS`);
  const t = await runCore("ts");
  samples.ts.push(t.seconds);
  log(`, ts ${(t.instructions / t.seconds / 1e6).toFixed(1)} MIPS`);
  if (hasQemu) {
    const full = runQemu(`${root}/guests/bin/bench.elf`);
    const base = runQemu(trivialElf);
    samples.qemu.push(Math.max(full - base, 1e-3));
    log(`, qemu ${(instructions / (full - base) / 1e6).toFixed(1)} MIPS (${full.toFixed(3)} s - ${base.toFixed(3)} s start-up)`);
  }
  log("\n");
}
const mips = (xs) => instructions / median(xs) / 1e6;
const mipsWasm = mips(samples.wasm);
const mipsTs = mips(samples.ts);
const mipsQemu = hasQemu ? mips(samples.qemu) : null;

// Start-up: compile + instantiate the Wasm core, create the machine, load the ELF.
log("start-up (benchmark.js)…\n");
const wasmBytes = readFileSync(coreWasmPath());
async function startup(core) {
  const m = await Machine.create({ core, wasmModule: core === "wasm" ? await WebAssembly.compile(wasmBytes) : undefined });
  m.loadElf(benchElf, "bench.elf");
}
function measureStartup(core) {
  return new Promise((resolve) => {
    const b = new Benchmark(`startup.${core}`, {
      defer: true,
      minSamples: quick ? 5 : 20,
      maxTime: quick ? 1 : 3,
      fn: (deferred) => { startup(core).then(() => deferred.resolve()); },
      onComplete: () => resolve(b.stats.mean * 1000),
    });
    b.run({ async: true });
  });
}
const startupWasm = await measureStartup("wasm");
const startupTs = await measureStartup("ts");

const results = [
  { name: "bench.instructions", unit: "instructions", value: instructions },
  { name: "mips.wasm", unit: "MIPS", value: round1(mipsWasm) },
  { name: "mips.ts", unit: "MIPS", value: round1(mipsTs) },
  { name: "mips.qemu", unit: "MIPS", value: mipsQemu === null ? null : round1(mipsQemu) },
  { name: "ratio.wasm_over_ts", unit: "x", value: round2(mipsWasm / mipsTs) },
  { name: "ratio.wasm_over_qemu", unit: "x", value: mipsQemu === null ? null : round2(mipsWasm / mipsQemu) },
  { name: "startup.wasm.ms", unit: "ms", value: round2(startupWasm) },
  { name: "startup.ts.ms", unit: "ms", value: round2(startupTs) },
];
function round1(v) { return Math.round(v * 10) / 10; }
function round2(v) { return Math.round(v * 100) / 100; }

if (json) {
  process.stdout.write(JSON.stringify({ results }, null, 2) + "\n");
} else {
  console.log(`\nCPU-bound workload: guests/bin/bench.elf, ${instructions.toLocaleString("en")} instructions, median of ${rounds} round(s)`);
  for (const r of results) console.log(`  ${r.name.padEnd(24)} ${r.value === null ? "n/a (QEMU not installed)" : `${r.value} ${r.unit}`}`);
}
