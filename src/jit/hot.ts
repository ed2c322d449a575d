// The translator's settings as the hosts take them (docs/jit.md): whether it is on, and its hot
// threshold — probes of a branch target before it is translated, in the layout's SYS_JIT_HOT
// (0: the core's JIT_HOT_DEFAULT, which the Wasm back end uses; the JavaScript back end's default
// is JIT_HOT_JS, higher).
//
// The translator is on by default: on both cores it is at par with the interpreter where code is
// warm (Linux's boot, fork and exec) and 2.5-3.4x faster where it is hot (docs/jit.md, Figures).
// An option left out takes its value from the environment where there is one (Node):
// WASMVISOR_JIT=off turns the translator off, WASMVISOR_JIT_HOT=N sets the threshold — so a whole
// test suite or campaign can run one way without each caller saying so (`npm test` runs the
// suite with the translator off, then the guests' tests with it on at a threshold of 32). An
// option given always wins.

import type { CoreKind } from "../core/core.js";

/** A variable of the host's environment, if it has one (browsers do not). */
function environment(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

/** Is the translator on, for a host option `jit` (undefined: WASMVISOR_JIT, else on)? */
export function jitOn(jit: boolean | undefined): boolean {
  if (jit !== undefined) return jit;
  const v = environment("WASMVISOR_JIT");
  if (v === undefined || v === "" || v === "on") return true;
  if (v === "off") return false;
  throw new RangeError(`WASMVISOR_JIT=${v}: use on or off`);
}

/** The highest threshold a host may set (probes). */
export const JIT_HOT_MAX = 0x40000000;

/**
 * The JavaScript back end's default threshold (the pure-TS core's), 8x the core's
 * JIT_HOT_DEFAULT (16,384), which the Wasm back end keeps. A generated JavaScript function runs
 * in V8's unoptimized tiers until V8 has seen it hot, then costs 20-35 ms of optimizing compile
 * per region (and again after each deoptimization); a Wasm module is compiled at once, a few
 * milliseconds. Kernel code that is warm but not hot — Linux's boot: 17 regions at 16,384, each
 * entered a few thousand times, 37 instructions per entry — never earns that back: the prompt
 * took 0.57 s with them against 0.49 s without. Measured sweep (docs/jit.md): at 131,072 no
 * region of Linux's boot or `forkexec` is hot enough (at par), bench.elf 2.5x the interpreter
 * (3.2x at 16,384).
 */
export const JIT_HOT_JS = 131072;

/** SYS_JIT_HOT's value for a host option `jitHot` on a core of kind `core` (undefined:
 *  WASMVISOR_JIT_HOT, else the back end's default: 0 — the core's — for Wasm, JIT_HOT_JS for
 *  the pure-TS core's JavaScript). */
export function jitHotValue(hot: number | undefined, core: CoreKind): number {
  if (hot === undefined) {
    const v = environment("WASMVISOR_JIT_HOT");
    if (v === undefined || v === "") return core === "ts" ? JIT_HOT_JS : 0;
    hot = Number(v);
  }
  if (!Number.isInteger(hot) || hot < 1 || hot > JIT_HOT_MAX) throw new RangeError(`jitHot ${hot}: use a whole number of probes from 1 to 2^30`);
  return hot;
}
