// The translator's settings as the hosts take them (docs/jit.md): whether it is on, and its hot
// threshold — probes of a branch target before it is translated, in the layout's SYS_JIT_HOT
// (0: the core's JIT_HOT_DEFAULT).
//
// An option left out takes its value from the environment where there is one (Node):
// WASMVISOR_JIT=on turns the translator on, WASMVISOR_JIT_HOT=N sets the threshold — so a whole
// test suite or campaign can run with the translator without each caller saying so
// (`npm test` runs the guests' tests a second time that way). An option given always wins.

/** A variable of the host's environment, if it has one (browsers do not). */
function environment(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

/** Is the translator on, for a host option `jit` (undefined: WASMVISOR_JIT, else off)? */
export function jitOn(jit: boolean | undefined): boolean {
  if (jit !== undefined) return jit;
  const v = environment("WASMVISOR_JIT");
  if (v === undefined || v === "" || v === "off") return false;
  if (v === "on") return true;
  throw new RangeError(`WASMVISOR_JIT=${v}: use on or off`);
}

/** The highest threshold a host may set (probes). */
export const JIT_HOT_MAX = 0x40000000;

/** SYS_JIT_HOT's value for a host option `jitHot` (undefined: WASMVISOR_JIT_HOT, else 0, the
 *  core's default). */
export function jitHotValue(hot: number | undefined): number {
  if (hot === undefined) {
    const v = environment("WASMVISOR_JIT_HOT");
    if (v === undefined || v === "") return 0;
    hot = Number(v);
  }
  if (!Number.isInteger(hot) || hot < 1 || hot > JIT_HOT_MAX) throw new RangeError(`jitHot ${hot}: use a whole number of probes from 1 to 2^30`);
  return hot;
}
