#!/usr/bin/env node
// The translator's figures (docs/jit.md): guests/bin/bench.elf on the pure-TS core with the
// JavaScript back end off and on, in interleaved rounds (median MIPS of each), and what the
// translator did: regions, guest instructions translated, translation time per guest
// instruction (the back end's IR → source; not the front end's decoding nor V8's compilation),
// source bytes, instructions run
// in translated code. Usage: npm run bench:jit [-- --rounds N]
import { readFileSync } from "node:fs";
import { Machine } from "../dist/src/machine/machine.js";
import { SYS_STAT_JIT_REGIONS, SYS_STAT_JIT_INSNS, SYS_STAT_JIT_RETIRED_LO, SYS_STAT_JIT_RETIRED_HI, SYS_STAT_JIT_ENTRIES, JIT_AREA_BYTES } from "../dist/assembly/layout.js";

const roundsArg = process.argv.indexOf("--rounds");
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 5;
const elf = readFileSync(new URL("../guests/bin/bench.elf", import.meta.url));

async function once(jit) {
  const m = await Machine.create({ core: "ts", jit });
  m.loadElf(elf);
  const t0 = performance.now();
  while (!m.halted) m.step(50_000_000);
  const seconds = (performance.now() - t0) / 1000;
  const w = new Int32Array(m.core.memory, 0x10000, 0x100);
  const at = (a) => w[(a - 0x10000) >> 2] >>> 0;
  return {
    mips: m.retired / seconds / 1e6, retired: m.retired,
    regions: at(SYS_STAT_JIT_REGIONS), insns: at(SYS_STAT_JIT_INSNS), entries: at(SYS_STAT_JIT_ENTRIES),
    inJit: at(SYS_STAT_JIT_RETIRED_LO) + at(SYS_STAT_JIT_RETIRED_HI) * 2 ** 32,
    backendMs: m.jit?.milliseconds ?? 0, sourceBytes: m.jit?.sourceBytes ?? 0,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const off = [], on = [];
let last = null;
for (let r = 0; r < ROUNDS; r++) {
  off.push((await once(false)).mips);
  last = await once(true);
  on.push(last.mips);
}
const f = (x) => x.toFixed(1);
console.log(`bench.elf, pure-TS core, ${ROUNDS} interleaved rounds (median):`);
console.log(`  mips.ts.jit_off  ${f(median(off))}   (${off.map(f).join(" ")})`);
console.log(`  mips.ts.jit_on   ${f(median(on))}   (${on.map(f).join(" ")})`);
console.log(`  speedup          ${(median(on) / median(off)).toFixed(2)}x`);
console.log(`  regions ${last.regions}, guest instructions translated ${last.insns}, entries ${last.entries}, ` +
  `retired in translated code ${(100 * last.inJit / last.retired).toFixed(1)} %`);
console.log(`  back end (IR → JavaScript source): ${(1e6 * last.backendMs / Math.max(1, last.insns)).toFixed(0)} ns per guest instruction, ` +
  `${last.sourceBytes} bytes of source (${(last.sourceBytes / Math.max(1, last.insns)).toFixed(0)} per guest instruction)`);
console.log(`  translator's area in the core's memory: ${JIT_AREA_BYTES} bytes`);
