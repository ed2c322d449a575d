// The translator's hot threshold, as the hosts set it (docs/jit.md): probes of a branch target
// before it is translated, in the layout's SYS_JIT_HOT (0: the core's JIT_HOT_DEFAULT).

/** SYS_JIT_HOT's value for a host option `jitHot` (undefined: 0, the core's default). */
export function jitHotValue(hot: number | undefined): number {
  if (hot === undefined) return 0;
  if (!Number.isInteger(hot) || hot < 1 || hot > 0x40000000) throw new RangeError(`jitHot ${hot}: use a whole number of probes from 1 to 2^30`);
  return hot;
}
