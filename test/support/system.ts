// Helpers for tests of the partitioned system: build a Hypervisor from a description whose
// images name guests in guests/bin/ ("hello" → guests/bin/hello.elf), run it on a given core
// and paging mode, and collect each partition's console output, halt and statistics.

import { expect } from "vitest";
import { Hypervisor, type HypervisorOptions, type PagingMode, type SystemResult, type HypervisorStats } from "../../src/api/hypervisor.ts";
import { loadWasmModule } from "../../src/node/core-file.ts";
import type { CoreKind } from "../../src/core/core.ts";
import { guestElf } from "./harness.ts";

export const PAGING: readonly PagingMode[] = ["shadow", "nested"];

/** The RTOS serving a client partition: protected calls on one channel, mailbox requests and
 *  notifications on the other (guests/rtos, guests/ipc/rtos-client). */
export const RTOS_CLIENT_SYSTEM = {
  memoryRegions: [{ name: "rtos-mailbox", size: "4K" }],
  partitions: [
    { name: "rtos", image: "rtos", ram: "1M", priority: 10, mappings: [{ region: "rtos-mailbox", address: "0x90000000", perms: "rw" }] },
    { name: "client", image: "rtos-client", ram: "1M", priority: 1, mappings: [{ region: "rtos-mailbox", address: "0x90000000", perms: "rw" }] },
  ],
  channels: [
    { name: "rtos-client", ends: [{ partition: "client", id: 0 }, { partition: "rtos", id: 1, pp: true }] },
    { name: "rtos-mailbox", ends: [{ partition: "rtos", id: 0 }, { partition: "client", id: 1 }] },
  ],
};
/** Every core × paging combination a partitioned scenario must agree on. */
export const COMBOS: ReadonlyArray<{ core: CoreKind; paging: PagingMode }> = (["wasm", "ts"] as const).flatMap(
  (core) => PAGING.map((paging) => ({ core, paging })),
);

export interface SystemRun {
  result: SystemResult;
  output: Record<string, string>;
  stats: HypervisorStats;
  /** Virtual clock (cycles) when each partition halted (undefined: still running). */
  haltedAt: Record<string, number>;
  hv: Hypervisor;
}

export interface RunOptions {
  core: CoreKind;
  paging?: PagingMode;
  maxInsns?: number;
  /** Console input queued per partition before the run. */
  input?: Record<string, string>;
  /** Stop the whole system as soon as these partitions have halted. */
  stopWhenHalted?: string[];
  /** IPC fast path on (default) or off. */
  ipcFastPath?: boolean;
  /** The storage behind partitions' "disk" (as the Hypervisor option). */
  openDisk?: HypervisorOptions["openDisk"];
  /** Called after the system is built and loaded, before it runs (to reach a board). */
  before?: (hv: Hypervisor) => void | Promise<void>;
}

export function makeHypervisor(description: unknown, opts: RunOptions & { wasmModule: WebAssembly.Module }): Hypervisor {
  return new Hypervisor(description, {
    core: opts.core, paging: opts.paging ?? "shadow", wasmModule: opts.wasmModule, ipcFastPath: opts.ipcFastPath,
    loadImage: (image) => guestElf(image), openDisk: opts.openDisk,
  });
}

export async function runSystem(description: unknown, opts: RunOptions): Promise<SystemRun> {
  const hv = makeHypervisor(description, { ...opts, wasmModule: await loadWasmModule() });
  const output: Record<string, string> = {};
  const haltedAt: Record<string, number> = {};
  hv.on("output", (e) => { output[e.partition] = (output[e.partition] ?? "") + Buffer.from(e.data).toString("latin1"); });
  const waitFor = new Set(opts.stopWhenHalted ?? []);
  hv.on("halted", (e) => {
    haltedAt[e.partition] = hv.clock();
    waitFor.delete(e.partition);
    if (opts.stopWhenHalted && waitFor.size === 0) hv.stop();
  });
  for (const [name, text] of Object.entries(opts.input ?? {})) hv.console(name).write(text);
  if (opts.before) {
    await hv.start();
    await opts.before(hv);
  }
  const result = await hv.run({ maxInsns: opts.maxInsns ?? 500_000_000 });
  return { result, output, stats: hv.stats(), haltedAt, hv };
}

/** What must be identical between cores and paging modes (everything but the host's view). */
export function observable(r: SystemRun): unknown {
  return {
    result: r.result,
    output: r.output,
    haltedAt: r.haltedAt,
    cycles: r.stats.cycles,
    partitions: r.stats.partitions.map((p) => ({ name: p.name, instructions: p.instructions, cycles: p.cycles, traps: p.exits.traps })),
  };
}

/**
 * Run a description on every core × paging combination (COMBOS order); all four must agree on
 * everything observable. Returns the runs.
 */
export async function runAll(description: unknown, opts: Omit<RunOptions, "core" | "paging"> = {}): Promise<SystemRun[]> {
  const runs: SystemRun[] = [];
  for (const c of COMBOS) runs.push(await runSystem(description, { ...opts, ...c }));
  for (let i = 1; i < runs.length; i++) {
    expect(observable(runs[i]), `${COMBOS[i].core}/${COMBOS[i].paging} vs ${COMBOS[0].core}/${COMBOS[0].paging}`).toEqual(observable(runs[0]));
  }
  return runs;
}

/** runAll, returning the first run (Wasm core, shadow paging). */
export async function runEverywhere(description: unknown, opts: Omit<RunOptions, "core" | "paging"> = {}): Promise<SystemRun> {
  return (await runAll(description, opts))[0];
}

/** The run of `runs` (from runAll) for one core and paging mode. */
export function runFor(runs: SystemRun[], core: CoreKind, paging: PagingMode): SystemRun {
  return runs[COMBOS.findIndex((c) => c.core === core && c.paging === paging)];
}
