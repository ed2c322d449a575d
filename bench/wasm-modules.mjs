#!/usr/bin/env node
// How many Wasm modules a browser holds, and what each costs (docs/jit.md, *Not yet*:
// grouping regions into fewer modules): `npm run bench:modules` (add --json for
// {"results":[{"name","unit","value"}]}).
//
// In headless Chromium (/usr/bin/chromium), in a worker as the page's translator runs, each case
// compiles and instantiates modules shaped like the translator's (src/jit/wasm-backend.ts): the
// core's memory imported as "m" "mem", functions (i32, i32, i32, i32) → i32 of 60 ALU operations
// with a load every fifth, each module's constants its own (so V8 shares no code between them),
// calls every function once, and keeps every instance of the last round alive while the
// resident memory of all Chromium processes is read (ps; shared pages counted in each process,
// so compare the cases, not the absolute figure). A case that fails says what the browser threw.
//   live-N        N modules of one function each, all kept
//   churn         512 modules at a time, dropped and made again 100 times (the translator's
//                 cache: 512 regions live at most, then dropped whole)
//   grouped-NxK   N modules of K functions each
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";
const json = process.argv.includes("--json");
if (!existsSync(CHROMIUM)) {
  console.error(`bench:modules needs ${CHROMIUM} (Debian's chromium package; scripts/setup.sh installs it)`);
  process.exit(2);
}

// The worker: writes the modules' bytes (WebAssembly binary format) and makes them.
const WORKER = `
const uleb = (n, out) => { do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); };
const sleb = (n, out) => { for (;;) { const b = n & 0x7f; n >>= 7; if ((n === 0 && !(b & 0x40)) || (n === -1 && (b & 0x40))) { out.push(b); return; } out.push(b | 0x80); } };
const name = (s, out) => { uleb(s.length, out); for (const c of s) out.push(c.charCodeAt(0)); };
const section = (id, body, out) => { out.push(id); uleb(body.length, out); out.push(...body); };
function moduleBytes(seed, funcs, ops) {
  const out = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
  section(1, [1, 0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f], out);
  const imp = []; uleb(1, imp); name("m", imp); name("mem", imp); imp.push(2, 0, 0); section(2, imp, out);
  const fn = []; uleb(funcs, fn); for (let i = 0; i < funcs; i++) fn.push(0); section(3, fn, out);
  const ex = []; uleb(funcs, ex); for (let i = 0; i < funcs; i++) { name(String(i), ex); ex.push(0); uleb(i, ex); } section(7, ex, out);
  const code = []; uleb(funcs, code);
  for (let f = 0; f < funcs; f++) {
    const b = [1, 8, 0x7f]; // eight i32 locals (4..11)
    for (let k = 0; k < ops; k++) {
      const r = 4 + (k % 8);
      b.push(0x20, r, 0x41); sleb((seed * 7919 + f * 131 + k) | 0, b); b.push(0x6a); // local + const
      if (k % 5 === 0) b.push(0x20, 0, 0x28, 2, 0, 0x73); // xor with a word loaded at param 0
      b.push(0x21, r);
    }
    b.push(0x20, 4, 0x0b);
    uleb(b.length, code); code.push(...b);
  }
  section(10, code, out);
  return new Uint8Array(out);
}
const mem = new WebAssembly.Memory({ initial: 256 });
onmessage = (e) => {
  const { count, funcs, ops, rounds } = e.data;
  const t0 = performance.now();
  let kept = [], bytes = 0, made = 0, sum = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      kept = [];
      for (let i = 0; i < count; i++) {
        const m = moduleBytes(round * 1000003 + i, funcs, ops);
        bytes += m.length;
        const instance = new WebAssembly.Instance(new WebAssembly.Module(m), { m: { mem } });
        for (let f = 0; f < funcs; f++) sum = (sum + instance.exports[String(f)](64, 0, 0, 0)) | 0;
        kept.push(instance);
        made++;
      }
    }
    self.kept = kept;
    postMessage({ ok: true, made, live: kept.length, ms: performance.now() - t0, moduleBytes: bytes / made, sum });
  } catch (err) {
    postMessage({ ok: false, made, ms: performance.now() - t0, error: String(err) });
  }
};`;

const CASES = [
  { name: "live-1", count: 1, funcs: 1, rounds: 1 },
  { name: "live-512", count: 512, funcs: 1, rounds: 1 },
  { name: "live-5000", count: 5000, funcs: 1, rounds: 1 },
  { name: "live-20000", count: 20000, funcs: 1, rounds: 1 },
  { name: "churn", count: 512, funcs: 1, rounds: 100 },
  { name: "grouped-16x32", count: 16, funcs: 32, rounds: 1 },
  { name: "grouped-625x32", count: 625, funcs: 32, rounds: 1 },
];

const residentKB = () => Number(execSync("ps -C chromium -o rss=").toString().trim().split(/\s+/).reduce((s, x) => s + Number(x), 0));
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
const results = [];
let failed = false;
try {
  const page = await browser.newPage();
  await page.goto("about:blank");
  const version = browser.version();
  if (!json) console.log(`Chromium ${version}: modules made in a worker (${CASES.length} cases)`);
  for (const c of CASES) {
    const r = await page.evaluate(async ({ source, c }) => {
      const w = new Worker(URL.createObjectURL(new Blob([source], { type: "text/javascript" })));
      const res = await new Promise((resolve) => {
        w.onmessage = (e) => resolve(e.data);
        w.onerror = (e) => resolve({ ok: false, error: e.message });
        w.postMessage({ count: c.count, funcs: c.funcs, ops: 60, rounds: c.rounds });
      });
      (window.workers ??= []).push(w); // (its modules stay alive until the memory is read)
      return res;
    }, { source: WORKER, c });
    const rss = residentKB();
    await page.evaluate(() => { for (const w of window.workers) w.terminate(); window.workers = []; });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (!r.ok) {
      failed = true;
      if (!json) console.log(`  ${c.name.padEnd(15)} FAILED after ${r.made ?? 0} modules: ${r.error}`);
      continue;
    }
    const regions = c.count * c.funcs * c.rounds;
    if (!json) {
      console.log(`  ${c.name.padEnd(15)} ${String(r.made).padStart(6)} modules (${r.live} live, ${Math.round(r.moduleBytes)} bytes each) in ${(r.ms / 1000).toFixed(2)} s: ` +
        `${(r.ms * 1000 / regions).toFixed(0)} µs per function; Chromium resident ${(rss / 1024).toFixed(0)} MB`);
    }
    results.push({ name: `modules.${c.name}.us_per_function`, unit: "us", value: Math.round(r.ms * 1000 / regions) });
    results.push({ name: `modules.${c.name}.chromium_rss`, unit: "MB", value: Math.round(rss / 1024) });
  }
} finally {
  await browser.close();
}
if (json) console.log(JSON.stringify({ results }));
process.exit(failed ? 1 : 0);
