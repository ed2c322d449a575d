#!/usr/bin/env node
// Harts on parallel threads (docs/smp.md): the speed-up of a parallel guest on 2 harts over 1,
// on this machine's host cores. `npm run bench:parallel`; `npm run bench` reports the same
// figures (measureParallel).
//
// The workload is guests/bin/parbench.elf: 10,000 independent work items (about 19,200
// instructions each: a table walk, multiplies, divides, data-dependent branches), hart h taking
// items h, h+N, …, the results summed with AMOADD; its checksum does not depend on N, and a run
// whose checksum differs is an error. Each round runs it with 1 and with 2 harts on threads, on
// each core, interleaved; the time is the whole runParallel() call (the threads' start
// included) and the figure is the median. parallel.speedup.* = time(1 hart) / time(2 harts).
// For scale, parallel.deterministic.wasm.s is the same program on one hart of the ordinary
// (one-thread, deterministic) machine.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Machine } from "../dist/src/machine/machine.js";
import { loadWasmModule } from "../dist/src/node/core-file.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const ELF = readFileSync(`${root}guests/bin/parbench.elf`);
const CHECKSUM = /checksum (0x[0-9a-f]+)/;

async function once(core, harts, parallel) {
  let out = "";
  const machine = await Machine.create({
    core, harts, parallel, wasmModule: parallel || core !== "wasm" ? undefined : await loadWasmModule(),
    onOutput: (b) => { out += Buffer.from(b).toString("latin1"); },
  });
  machine.loadElf(ELF, "parbench");
  const t0 = performance.now();
  let startMs = 0;
  if (parallel) startMs = (await machine.runParallel()).startMs;
  else while (!machine.halted) machine.step(1 << 22);
  const seconds = (performance.now() - t0) / 1000;
  if (machine.halted?.status !== 0) throw new Error(`parbench (${core}, ${harts} harts): ${machine.halted?.message}\n${out}`);
  return { seconds, startMs, checksum: CHECKSUM.exec(out)?.[1], instructions: machine.retired };
}

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** The parallel figures, as bench/run.mjs reports them: [{ name, unit, value }]. */
export async function measureParallel({ rounds = 3, log = () => {} } = {}) {
  const t = { wasm1: [], wasm2: [], ts1: [], ts2: [], det: [] };
  let checksum = null;
  for (let r = 0; r < rounds; r++) {
    for (const [key, core, harts, parallel] of [["wasm1", "wasm", 1, true], ["wasm2", "wasm", 2, true], ["ts1", "ts", 1, true], ["ts2", "ts", 2, true], ["det", "wasm", 1, false]]) {
      const res = await once(core, harts, parallel);
      checksum ??= res.checksum;
      if (res.checksum !== checksum) throw new Error(`parbench: checksum ${res.checksum} on ${core} with ${harts} harts, ${checksum} before`);
      t[key].push(res.seconds);
      log(`  round ${r + 1}: ${key.padEnd(5)} ${res.seconds.toFixed(3)} s (threads started in ${res.startMs.toFixed(0)} ms), ${res.instructions.toLocaleString("en")} instructions`);
    }
  }
  const r2 = (v) => Math.round(v * 100) / 100;
  const r3 = (v) => Math.round(v * 1000) / 1000;
  return [
    { name: "parallel.1hart.wasm.s", unit: "s", value: r3(median(t.wasm1)) },
    { name: "parallel.2harts.wasm.s", unit: "s", value: r3(median(t.wasm2)) },
    { name: "parallel.speedup.wasm", unit: "x", value: r2(median(t.wasm1) / median(t.wasm2)) },
    { name: "parallel.1hart.ts.s", unit: "s", value: r3(median(t.ts1)) },
    { name: "parallel.2harts.ts.s", unit: "s", value: r3(median(t.ts2)) },
    { name: "parallel.speedup.ts", unit: "x", value: r2(median(t.ts1) / median(t.ts2)) },
    { name: "parallel.deterministic.wasm.s", unit: "s", value: r3(median(t.det)) },
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1]) || 5;
  console.log(`parbench.elf (10,000 items), 1 and 2 harts on threads, ${rounds} rounds:`);
  for (const r of await measureParallel({ rounds, log: console.log })) console.log(`  ${r.name.padEnd(32)} ${r.value} ${r.unit}`);
}
