#!/usr/bin/env node
// The translator's figures (docs/jit.md): the workloads — guests/bin/bench.elf (five kernels of
// a few hundred million instructions) and guests/bin/cmark.elf (CoreMark-like: small data, many
// short calls; figures named cmark.*), also at ten times its length (cmark-long.elf,
// cmark_long.*) — on both cores with the
// translator off and on, and qemu-system-riscv32 (TCG) on the same ELF, in interleaved rounds
// (median MIPS of each; QEMU's net of its start-up, measured on an ELF that exits at once, as
// bench/run.mjs does), and what the translator did: regions, guest instructions translated,
// the back ends' time per guest instruction (IR → JavaScript source or Wasm module, compilation
// and instantiation included for Wasm; not the front end's decoding), code bytes, instructions
// run in translated code; and the steady state (jit_steady: the third run in one process, once V8
// has optimized the translated code). Usage: npm run bench:jit [-- --rounds N]
import { readFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Machine } from "../dist/src/machine/machine.js";
import { Hypervisor } from "../dist/src/api/hypervisor.js";
import { loadSystemFile } from "../dist/src/node/system-file.js";
import { loadWasmModule } from "../dist/src/node/core-file.js";
import { SYS_STAT_JIT_REGIONS, SYS_STAT_JIT_INSNS, SYS_STAT_JIT_RETIRED_LO, SYS_STAT_JIT_RETIRED_HI, SYS_STAT_JIT_ENTRIES, JIT_AREA_BYTES } from "../dist/assembly/layout.js";

const roundsArg = process.argv.indexOf("--rounds");
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 5;
/** The workloads: their ELFs, and the prefix of their figures' names. */
const WORKLOADS = [
  { name: "bench", elf: new URL("../guests/bin/bench.elf", import.meta.url), prefix: "" },
  { name: "cmark", elf: new URL("../guests/bin/cmark.elf", import.meta.url), prefix: "cmark." },
  // (the same at a benchmark's length: ten times the iterations, 0.6 s under QEMU — CoreMark's
  // own rules ask for 10 s — so that warm-up is a smaller part of the figure)
  { name: "cmark-long", elf: new URL("../guests/bin/cmark-long.elf", import.meta.url), prefix: "cmark_long." },
];
const elfOf = (name) => readFileSync(WORKLOADS.find((w) => w.name === name).elf);
const wasmModule = await loadWasmModule();

async function once(core, jit, workload = "bench") {
  const m = await Machine.create({ core, jit, wasmModule });
  m.loadElf(elfOf(workload));
  const t0 = performance.now();
  while (!m.halted) m.step(50_000_000);
  const seconds = (performance.now() - t0) / 1000;
  const w = new Int32Array(m.core.memory, 0x10000, 0x100);
  const at = (a) => w[(a - 0x10000) >> 2] >>> 0;
  return {
    mips: m.retired / seconds / 1e6, retired: m.retired,
    regions: at(SYS_STAT_JIT_REGIONS), insns: at(SYS_STAT_JIT_INSNS), entries: at(SYS_STAT_JIT_ENTRIES),
    inJit: at(SYS_STAT_JIT_RETIRED_LO) + at(SYS_STAT_JIT_RETIRED_HI) * 2 ** 32,
    backendMs: m.jit?.milliseconds ?? 0, codeBytes: m.jit?.sourceBytes ?? m.jit?.codeBytes ?? 0,
  };
}

// Each measurement runs in a process of its own (as a page or a CLI run has one core): in one
// process, the pure-TS core's runs (a large JavaScript program V8 optimizes on its background
// threads) delayed the tier-up of the Wasm back end's modules after them — on this 2-core host
// the interleaved Wasm-with-translator runs fell from 700-1000 MIPS to about 475.
/**
 * The default system (examples/default.json): real time from start to Linux's shell prompt, then
 * of `forkexec -p 20` (fork and exec: a kernel's work, much of it cold code) and of `stress 1000`
 * (a user program's integer loop for a second of virtual time: hot code under Linux), translation
 * included; Linux's instructions to the prompt and stress's rounds (the same with the translator
 * on or off).
 */
async function linuxOnce(core, jit) {
  const sys = loadSystemFile(new URL("../examples/default.json", import.meta.url).pathname);
  const hv = new Hypervisor(sys.config, { core, jit, wasmModule, loadImage: sys.loadImage, openDisk: sys.openDisk });
  let out = "";
  hv.on("output", (e) => { if (e.partition === "linux") out += Buffer.from(e.data).toString("latin1"); });
  await hv.start();
  const until = async (pattern) => {
    for (let spent = 0; !pattern.test(out); ) {
      if (spent > 2e10) throw new Error(`Linux (${core}, jit ${jit}): ${pattern} never came:\n${out.slice(-1000)}`);
      spent += await hv.step(1_000_000);
    }
  };
  const t0 = performance.now();
  await until(/\n# $/);
  const boot = (performance.now() - t0) / 1000;
  const insns = hv.stats().partitions.find((p) => p.name === "linux").instructions;
  const t1 = performance.now();
  hv.console("linux").write("forkexec -p 20\n");
  await until(/forkexec: 20 children, all exited 0\r?\n# $/);
  const forkexec = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  hv.console("linux").write("stress 1000\n");
  await until(/stress: done after[^\n]*\n# $/);
  const stress = (performance.now() - t2) / 1000;
  const rounds = /stress: (\d+) cpu rounds/.exec(out)[1];
  hv.close();
  return { boot, forkexec, stress, rounds, insns };
}

/** Steady state: the third run of bench.elf in one process — V8 has compiled the translated
 *  code with its optimizing tier by then (it reuses the native code of byte-identical
 *  modules and functions), so the figure is the translated code's own speed, without the first
 *  run's warm-up (the back end, V8's baseline tier, the optimizing compiles in the background). */
async function steady(core, workload) {
  let x = null;
  for (let k = 0; k < 3; k++) x = await once(core, true, workload);
  return x;
}

const childArg = process.argv.indexOf("--child");
if (childArg > 0 && process.argv[childArg + 3] === "steady") {
  process.stdout.write(JSON.stringify(await steady(process.argv[childArg + 1], process.argv[childArg + 4])));
  process.exit(0);
}
if (childArg > 0 && process.argv[childArg + 3] === "linux") {
  process.stdout.write(JSON.stringify(await linuxOnce(process.argv[childArg + 1], process.argv[childArg + 2] === "on")));
  process.exit(0);
}
if (childArg > 0) {
  const x = await once(process.argv[childArg + 1], process.argv[childArg + 2] === "on", process.argv[childArg + 4]);
  process.stdout.write(JSON.stringify(x));
  process.exit(0);
}
function inChild(core, jit, what = "run", workload = "bench") {
  const r = spawnSync(process.execPath, [new URL(import.meta.url).pathname, "--child", core, jit ? "on" : "off", what, workload], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`bench/jit.mjs --child ${core} ${jit}: status ${r.status}\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

// QEMU: the same ELF, and a tiny one that exits at once (its start-up, subtracted).
const QEMU = "qemu-system-riscv32";
const hasQemu = spawnSync(QEMU, ["--version"]).status === 0;
const exitAtOnce = join(mkdtempSync(join(tmpdir(), "wasmvisor-bench-")), "exit.bin");
// li t0, 0x100000; li t1, 0x5555; sw t1, 0(t0) (the virt test finisher: pass); j .
writeFileSync(exitAtOnce, new Uint8Array([0xb7, 0x02, 0x10, 0x00, 0x37, 0x53, 0x00, 0x00, 0x13, 0x03, 0x53, 0x55, 0x23, 0xa0, 0x62, 0x00, 0x6f, 0x00, 0x00, 0x00]));
function qemuSeconds(kernel) {
  const t0 = performance.now();
  const r = spawnSync(QEMU, ["-M", "virt", "-bios", "none", "-display", "none", "-serial", "null", "-monitor", "none", "-kernel", kernel], { timeout: 120_000 });
  if (r.status !== 0) throw new Error(`qemu failed on ${kernel}: status ${r.status} ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * The translator's figures (the header above), printed with `log`; returns them as
 * bench/run.mjs's results ({ name, unit, value }): MIPS of each configuration, the speedups,
 * mips.wasm.jit_on / mips.qemu, Linux's prompt and forkexec with it off and on.
 */
export async function measureJit({ rounds = ROUNDS, log = console.log } = {}) {
  const results = [];
  const round2 = (x) => Math.round(x * 100) / 100;
  for (const w of WORKLOADS) {
    const runs = { "wasm.jit_off": [], "wasm.jit_on": [], "ts.jit_off": [], "ts.jit_on": [], "wasm.jit_steady": [], "ts.jit_steady": [], qemu: [] };
    const last = {};
    let retired = 0;
    for (let r = 0; r < rounds; r++) {
      for (const core of ["wasm", "ts"]) {
        for (const jit of [false, true]) {
          const x = inChild(core, jit, "run", w.name);
          runs[`${core}.jit_${jit ? "on" : "off"}`].push(x.mips);
          if (jit) last[core] = x;
          retired = x.retired;
        }
      }
      for (const core of ["wasm", "ts"]) runs[`${core}.jit_steady`].push(inChild(core, true, "steady", w.name).mips);
      if (hasQemu) runs.qemu.push(retired / Math.max(1e-3, qemuSeconds(w.elf.pathname) - qemuSeconds(exitAtOnce)) / 1e6);
    }
    const f = (x) => x.toFixed(1);
    log(`${w.name}.elf (${retired} instructions), ${rounds} interleaved rounds (median MIPS, then each round):`);
    for (const [k, xs] of Object.entries(runs)) if (xs.length) log(`  ${w.prefix}mips.${k.padEnd(13)} ${f(median(xs)).padStart(7)}   (${xs.map(f).join(" ")})`);
    log(`  speedup: wasm ${(median(runs["wasm.jit_on"]) / median(runs["wasm.jit_off"])).toFixed(2)}x, ts ${(median(runs["ts.jit_on"]) / median(runs["ts.jit_off"])).toFixed(2)}x`);
    if (hasQemu) log(`  mips.wasm.jit_on / mips.qemu: ${(median(runs["wasm.jit_on"]) / median(runs.qemu)).toFixed(2)} (first run in a fresh process); steady state (jit_steady: the third run in one process) ${(median(runs["wasm.jit_steady"]) / median(runs.qemu)).toFixed(2)}`);
    for (const core of ["wasm", "ts"]) {
      const x = last[core];
      log(`  ${core}: regions ${x.regions}, guest instructions translated ${x.insns}, entries ${x.entries} (${(x.inJit / Math.max(1, x.entries)).toFixed(1)} instructions each), ` +
        `retired in translated code ${(100 * x.inJit / x.retired).toFixed(1)} %; back end ${(1e6 * x.backendMs / Math.max(1, x.insns)).toFixed(0)} ns and ` +
        `${(x.codeBytes / Math.max(1, x.insns)).toFixed(0)} bytes (${core === "ts" ? "JavaScript source" : "Wasm module"}) per guest instruction`);
    }
    for (const [k, xs] of Object.entries(runs)) results.push({ name: `${w.prefix}mips.${k}`, unit: "MIPS", value: xs.length ? Math.round(median(xs)) : null });
    results.push({ name: `${w.prefix}jit.speedup.wasm`, unit: "x", value: round2(median(runs["wasm.jit_on"]) / median(runs["wasm.jit_off"])) });
    results.push({ name: `${w.prefix}jit.speedup.ts`, unit: "x", value: round2(median(runs["ts.jit_on"]) / median(runs["ts.jit_off"])) });
    results.push({ name: `${w.prefix}mips.wasm.jit_on_over_qemu`, unit: "x", value: hasQemu ? round2(median(runs["wasm.jit_on"]) / median(runs.qemu)) : null });
    results.push({ name: `${w.prefix}mips.wasm.jit_steady_over_qemu`, unit: "x", value: hasQemu ? round2(median(runs["wasm.jit_steady"]) / median(runs.qemu)) : null });
  }
  log(`  translator's area in the core's memory: ${JIT_AREA_BYTES} bytes`);

  // Linux (the default system), each run a process of its own, interleaved rounds.
  const linux = {};
  for (let r = 0; r < Math.min(rounds, 3); r++) {
    for (const core of ["wasm", "ts"]) {
      for (const jit of [false, true]) {
        const x = inChild(core, jit, "linux");
        const k = `${core}.jit_${jit ? "on" : "off"}`;
        (linux[k] ??= { boot: [], forkexec: [], stress: [], insns: x.insns, rounds: x.rounds }).boot.push(x.boot);
        linux[k].forkexec.push(x.forkexec);
        linux[k].stress.push(x.stress);
      }
    }
  }
  log(`Linux, the default system (median seconds of ${Math.min(rounds, 3)} rounds; translation included):`);
  for (const [k, v] of Object.entries(linux)) {
    const each = (xs) => xs.map((x) => x.toFixed(2)).join(" ");
    log(`  linux.${k.padEnd(12)} prompt ${median(v.boot).toFixed(2)} s (${each(v.boot)}), forkexec -p 20 ${median(v.forkexec).toFixed(2)} s (${each(v.forkexec)}), ` +
      `stress 1000 ${median(v.stress).toFixed(2)} s (${each(v.stress)}); ${v.insns} instructions to the prompt, ${v.rounds} stress rounds`);
  }
  for (const [k, v] of Object.entries(linux)) {
    results.push({ name: `linux.${k}.prompt.s`, unit: "s", value: round2(median(v.boot)) });
    results.push({ name: `linux.${k}.forkexec.s`, unit: "s", value: round2(median(v.forkexec)) });
    results.push({ name: `linux.${k}.stress.s`, unit: "s", value: round2(median(v.stress)) });
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await measureJit();
