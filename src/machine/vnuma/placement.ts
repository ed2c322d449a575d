// Where a vNUMA machine's harts and memory are (docs/vnuma.md): one rule, used by the home node
// (which pages start at which node), the device tree (numa-node-id of cpus and memory), the
// command line and the benchmarks.

/** The node of each hart: the harts in blocks, in order (4 harts on 2 nodes: 0, 0, 1, 1). */
export function blockPlacement(harts: number, nodes: number): number[] {
  return Array.from({ length: harts }, (_, h) => Math.floor((h * nodes) / harts));
}

/** Node k's own memory: the k-th of `nodes` equal parts of guest RAM in whole pages (the last
 *  takes what is left), as a byte offset into RAM and a length. */
export function nodeRamRange(ramBytes: number, nodes: number, k: number): { offset: number; bytes: number } {
  const pages = Math.floor(ramBytes / 4096);
  const per = Math.floor(pages / nodes);
  const first = k * per;
  const count = k === nodes - 1 ? pages - first : per;
  return { offset: first * 4096, bytes: count * 4096 };
}
