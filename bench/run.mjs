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
// The FP workload (guests/bin/fpmath.elf: libm, matrix products, whetstone-like modules; 38 % of
// its instructions are F/D ones) is measured the same way: mips.fp.wasm, mips.fp.ts, mips.fp.qemu.
//
// The hypervisor's figures come from the same rounds:
//   virt.overhead.cpu     bench.elf in a one-partition system / on the bare machine, minus 1 (%)
//   paging.shadow_vs_nested  guests/bin/ptbench.elf (a supervisor guest that switches address
//                         spaces and misses the TLB on nearly every access): time with nested
//                         paging / time with shadow paging (> 1: shadow is faster)
//   worldswitch.ns        host time per partition switch: two partitions that yield at once
//                         (guests/bin/yield.elf: hypercall, scheduler, switch, 4 instructions)
//   preemption.ns         host time per quantum preemption: two spinning partitions run the same
//                         number of cycles with a 10 µs and a 10 ms quantum; the time difference
//                         divided by the difference in switches (includes ending a slice exactly)
//
// And Linux (when guests/linux/build.sh has built it), beside the real-time `periodic` partition:
//   linux.boot.wasm.s / .ts.s  wall time from start to the shell prompt (medians)
//   linux.boot.insns           instructions the Linux partition retires to get there
//   linux.boot.virtual.ms      virtual time to the prompt; .busy: the same beside a partition that
//                              spins in its own half of every 10 ms frame, and the share of the
//                              CPU Linux had meanwhile (its scheduled share is 50 %)
//   dirty.overhead.cpu         bench.elf in a partition with live migration's dirty-page tracking on
//                              (re-armed every 20 ms) against the same run with it off
//   linux.migrate.downtime.ms / .bytes / .transfer_over_snapshot  live migration (wasm → wasm,
//                              loopback TCP) of the default system while Linux runs `stress` on its
//                              disk: the source's stop to the destination's answer, bytes sent,
//                              and their ratio to a snapshot's size at the start
//   linux.snapshot.ms / linux.restore.ms (.ts)  hv.snapshot() (the first: cold) and
//                              Hypervisor.restore() (median of 5) of the default system at Linux's
//                              prompt, and the file's size (linux.snapshot.bytes);
//                              linux.snapshot.warm.ms (.ts): a later snapshot, 1M instructions on
//                              (only the changed regions compressed again; median of 4)
//   linux.forkexec.shadow_vs_nested  `forkexec 200` (fork + exec + wait, 200 times) after boot:
//                              time with nested paging / time with shadow paging
//   rtos.jitter.max_us / rtos.deadline_misses  the RTOS's 1 kHz task while Linux runs
//                              `stress 2000 /mnt` (CPU and disk I/O), as `rtosctl stats` reports
//   rapilog.commits_per_s / writethrough.commits_per_s  `kvdb put 1000 -q` (a transaction per
//                              commit: one 512-byte O_DIRECT write + fdatasync) on a scratch disk
//                              in each mode with its default cache (rapilog: the guest sees a
//                              writethrough cache and sends no flushes; writethrough: a writeback
//                              cache, each commit's flush waits for the host's fdatasync), in
//                              interleaved rounds (medians); rapilog.speedup is their ratio
//   rapilog.flushing.commits_per_s  rapilog with the guest's cache switched to writeback (it then
//                              sends a flush per commit, which completes at once)
//   writethrough.sync_writes.commits_per_s  writethrough with the guest's cache switched to
//                              writethrough (every write is fdatasynced, no flushes): the fastest
//                              safe baseline; rapilog.speedup.vs_sync_writes compares with it
//
// IPC (guests/ipc/ipc-bench.c calling guests/asm/ipcbench-server.S, a passive echo server):
//   ipc.fast.roundtrip_ns / ipc.slow.roundtrip_ns  host time per protected call + reply, with the
//                         fast path on / off (the guest's own loop included: about 20 instructions)
//   ipc.fast.guest_cycles  virtual cycles per round trip, as the guest measures them
//   notify.latency_ns     host time per notification (half a ping-pong round trip)
//
// Harts on parallel threads (bench/parallel.mjs, also `npm run bench:parallel`): guests/bin/
// parbench.elf on 1 and 2 harts on threads, each core: parallel.{1hart,2harts}.{wasm,ts}.s and
// parallel.speedup.{wasm,ts} (target ≥ 1.7 on this 2-core machine).
//
// vNUMA (bench/vnuma.mjs, also `npm run bench:vnuma`): parbench.elf on one node (1 and 2 harts)
// and with a hart on each of two processes: vnuma.*.s, vnuma.speedup, the protocol's figures.
//
// The translator (bench/jit.mjs, also `npm run bench:jit`): bench.elf on both cores with it off
// and on and QEMU, interleaved, each run a process of its own: mips.{wasm,ts}.jit_{off,on},
// jit.speedup.*, mips.wasm.jit_on_over_qemu (target ≥ 0.5) and mips.wasm.jit_steady_over_qemu, Linux's prompt and forkexec -p 20
// and stress 1000 with it off and on (linux.*.jit_*.prompt.s, .forkexec.s, .stress.s).
//
// Options: --json, --rounds N (default 3), --quick (one round, for smoke tests).
import { spawnSync } from "node:child_process";
import { measureParallel } from "./parallel.mjs";
import { measureVnuma, measureVnumaLinux } from "./vnuma.mjs";
import { measureJit } from "./jit.mjs";
import { readFileSync, writeFileSync, existsSync, mkdtempSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Benchmark from "benchmark";
import { Machine } from "../dist/src/machine/machine.js";
import { loadWasmModule, coreWasmPath } from "../dist/src/node/core-file.js";
import { Hypervisor } from "../dist/src/api/hypervisor.js";
import { openDiskFile } from "../dist/src/node/system-file.js";
import { migrateIn, migrateOut, listenForMigration } from "../dist/src/node/migrate.js";

// The figures below are the interpreter's (tier 0, the reference), as before the translator was
// on by default: every Machine and Hypervisor made here, and every child process, takes
// WASMVISOR_JIT=off from the environment. The translator's figures are bench/jit.mjs's, which
// says on or off for each run.
process.env.WASMVISOR_JIT = "off";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const json = args.includes("--json");
const quick = args.includes("--quick");
const roundsArg = args.indexOf("--rounds");
const rounds = quick ? 1 : roundsArg >= 0 ? Number(args[roundsArg + 1]) : 3;
const log = (msg) => { if (!json) process.stderr.write(msg); };

const benchElf = readFileSync(`${root}/guests/bin/bench.elf`);
const fpElf = readFileSync(`${root}/guests/bin/fpmath.elf`);
const trivialElf = `${root}/guests/bin/hello-asm.elf`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Run the workload (or another ELF) on one core: instructions and seconds (load excluded). */
async function runCore(core, elf = benchElf) {
  const m = await Machine.create({ core, wasmModule: await loadWasmModule() });
  m.loadElf(elf, "bench.elf");
  const t0 = performance.now();
  m.step(Number.MAX_SAFE_INTEGER);
  const seconds = (performance.now() - t0) / 1000;
  if (m.halted?.kind !== "pass") throw new Error(`${elf === benchElf ? "bench" : "fpmath"}.elf did not pass on the ${core} core: ${m.halted?.message}`);
  return { instructions: m.retired, seconds };
}

/** Run a system to its end on one core: instructions, seconds (start-up excluded), stats. */
async function runSystem(description, options) {
  const hv = new Hypervisor(description, {
    ...options, wasmModule: await loadWasmModule(),
    loadImage: (image) => readFileSync(`${root}/guests/bin/${image}.elf`),
  });
  await hv.start();
  const t0 = performance.now();
  const result = await hv.run({ maxInsns: options.maxInsns });
  const seconds = (performance.now() - t0) / 1000;
  const stats = hv.stats();
  return { result, seconds, stats, instructions: stats.instructions };
}

/** bench.elf alone in a partition with live migration's dirty-page tracking on, its bitmap
 *  collected and re-armed every 20 ms of real time (as pre-copy rounds do). */
async function runVirtDirty(core) {
  const hv = new Hypervisor({ partitions: [{ name: "bench", image: "bench", ram: "16M" }] }, {
    core, wasmModule: await loadWasmModule(), loadImage: (image) => readFileSync(`${root}/guests/bin/${image}.elf`),
  });
  await hv.start();
  hv.trackDirtyPages(true);
  const t0 = performance.now();
  while (hv.advance(Number.MAX_SAFE_INTEGER, 20) === "budget") hv.takeDirtyPages();
  const seconds = (performance.now() - t0) / 1000;
  if (hv.halted[0]?.kind !== "pass") throw new Error("bench.elf did not pass with dirty tracking on");
  return { seconds, instructions: hv.stats().instructions };
}

/** Live migration of the default system while Linux runs `stress` on its disk, to a second
 *  Hypervisor (Wasm core) over loopback TCP: downtime, bytes sent, and a snapshot's size then. */
async function runMigration() {
  const disk = join(mkdtempSync(join(tmpdir(), "wasmvisor-bench-")), "disk.img");
  copyFileSync(`${linuxDir}/disk.img`, disk);
  const hv = new Hypervisor({
    memoryRegions: [{ name: "rtos-mailbox", size: "4K" }],
    partitions: [RTOS, { ...LINUX, disk }],
    channels: [{ name: "rtos", region: "rtos-mailbox", ends: [{ partition: "rtos", id: 0 }, { partition: "linux", id: 0 }] }],
  }, {
    core: "wasm", wasmModule: await loadWasmModule(),
    loadImage: (f) => readFileSync(f.startsWith("/") ? f : `${root}/guests/bin/${f}.elf`),
    openDisk: (d) => openDiskFile(d),
  });
  let out = "";
  hv.on("output", (e) => { if (e.partition === "linux") out += Buffer.from(e.data).toString("latin1"); });
  while (!/\n# $/.test(out)) await hv.step(1_000_000);
  hv.console("linux").write("mount -t ext2 /dev/vda /mnt\n");
  await hv.step(20_000_000);
  hv.console("linux").write("stress 60000 /mnt\n");
  await hv.step(50_000_000); // (well into stress: CPU and disk writes)
  const snapshotBytes = (await hv.snapshot()).length;
  const server = await listenForMigration("127.0.0.1", 0);
  const [report, arrived] = await Promise.all([
    migrateOut(hv, "127.0.0.1", server.address().port),
    migrateIn(server, { core: "wasm", wasmModule: await loadWasmModule() }),
  ]);
  server.close();
  arrived.hv.close();
  hv.close();
  return { ...report, snapshotBytes };
}

/** bench.elf alone in a partition (machine mode). */
async function runVirt(core) {
  const r = await runSystem({ partitions: [{ name: "bench", image: "bench", ram: "16M" }] }, { core });
  if (r.result.partitions[0].halt?.kind !== "pass") throw new Error(`bench.elf did not pass in a partition on the ${core} core`);
  return r;
}

/** ptbench.elf in a supervisor partition with the given paging mode, `times` runs in a row. */
async function runPaging(core, paging, times) {
  let seconds = 0;
  let instructions = 0;
  for (let i = 0; i < times; i++) {
    const r = await runSystem({ partitions: [{ name: "pt", image: "ptbench", mode: "supervisor", ram: "4M" }] }, { core, paging });
    if (r.result.status !== 0) throw new Error(`ptbench.elf failed with ${paging} paging on the ${core} core`);
    seconds += r.seconds;
    instructions += r.instructions;
  }
  return { seconds, instructions };
}

/** Two partitions of `image` for `cycles` cycles with a given quantum: seconds and switches. */
async function runSwitches(core, image, quantum, cycles) {
  const r = await runSystem({
    quantum,
    partitions: [{ name: "a", image, ram: "64K" }, { name: "b", image, ram: "64K" }],
  }, { core, maxInsns: cycles });
  return { seconds: r.seconds, switches: r.stats.worldSwitches };
}

// ── Linux ───────────────────────────────────────────────────────────────────────────────────
const linuxDir = `${root}/guests/linux/build`;
const linuxBuilt = ["Image", "initramfs.cpio"].every((f) => existsSync(`${linuxDir}/${f}`));
const MAILBOX_MAPPING = { region: "rtos-mailbox", address: "0x90000000", perms: "rw" };
const LINUX = {
  name: "linux", mode: "supervisor", image: `${linuxDir}/Image`, initrd: `${linuxDir}/initramfs.cpio`, ram: "32M",
  priority: 1, bootargs: "console=ttyS0 quiet", mappings: [MAILBOX_MAPPING],
};
/** The default system's RTOS (guests/rtos), connected to Linux by the "rtos" channel. */
const RTOS = { name: "rtos", image: "rtos", ram: "1M", priority: 10, budget: "200us", period: "1ms", mappings: [MAILBOX_MAPPING] };

/**
 * The default system (plus `extra` partitions, a schedule, a disk), booted to Linux's prompt;
 * then `commands` typed one after the other. Returns boot time (wall), Linux's instructions,
 * virtual ms and CPU share to the prompt, and each command's output and wall seconds.
 */
async function runLinux(core, { paging = "shadow", extra = [], schedule, commands = [], disk, snapshot = false } = {}) {
  const hv = new Hypervisor({
    memoryRegions: [{ name: "rtos-mailbox", size: "4K" }],
    partitions: [RTOS, ...extra, { ...LINUX, ...(disk ? { disk } : {}) }],
    channels: [{ name: "rtos", region: "rtos-mailbox", ends: [{ partition: "rtos", id: 0 }, { partition: "linux", id: 0 }] }],
    ...(schedule ? { schedule } : {}),
  }, {
    core, paging, wasmModule: await loadWasmModule(),
    loadImage: (f) => readFileSync(f.startsWith("/") ? f : `${root}/guests/bin/${f}.elf`),
    openDisk: (d) => openDiskFile(d),
  });
  let out = "";
  hv.on("output", (e) => { if (e.partition === "linux") out += Buffer.from(e.data).toString("latin1"); });
  await hv.start();
  const until = async (mark) => {
    for (let spent = 0; !/\n# $/.test(out.slice(mark)); ) {
      if (spent > 1e10) throw new Error(`Linux did not reach the prompt:\n${out.slice(-1000)}`);
      spent += await hv.step(1_000_000);
    }
  };
  const t0 = performance.now();
  await until(0);
  const boot = { seconds: (performance.now() - t0) / 1000, clock: hv.clock(), stats: hv.stats() };
  // Snapshot and restore of the system at Linux's prompt (src/snapshot/), a few times each.
  let snap = null;
  if (snapshot) {
    // The first is cold (nothing compressed yet); each later one follows 1M more instructions
    // and recompresses only the regions that changed (src/snapshot/format.ts, SnapshotCache).
    const times = { cold: 0, warm: [], restore: [] };
    let bytes = null;
    for (let k = 0; k < 5; k++) {
      if (k > 0) await hv.step(1_000_000);
      let t = performance.now();
      bytes = await hv.snapshot();
      if (k === 0) times.cold = performance.now() - t;
      else times.warm.push(performance.now() - t);
      t = performance.now();
      await Hypervisor.restore(bytes, { core, wasmModule: await loadWasmModule() });
      times.restore.push(performance.now() - t);
    }
    snap = { saveMs: times.cold, warmMs: median(times.warm), restoreMs: median(times.restore), bytes: bytes.length };
  }
  const results = [];
  for (const command of commands) {
    const mark = out.length;
    hv.console("linux").write(`${command}\n`);
    const t1 = performance.now();
    await until(mark);
    results.push({ seconds: (performance.now() - t1) / 1000, output: out.slice(mark) });
  }
  const linux = boot.stats.partitions.find((p) => p.name === "linux");
  hv.close();
  return { seconds: boot.seconds, insns: linux.instructions, virtualMs: boot.clock / 1e5, share: linux.cycles / boot.clock, results, snap };
}

/** kvdb commits per second on a fresh 2 MiB scratch disk in `mode`, with the guest's cache mode
 *  switched first when `cache` is given; the log is checked afterwards. */
async function runCommits({ mode, cache }) {
  const disk = join(mkdtempSync(join(tmpdir(), "wasmvisor-kvdb-")), "log.img");
  writeFileSync(disk, new Uint8Array(2 * 1024 * 1024));
  const commands = [...(cache ? [`echo "${cache}" > /sys/block/vda/cache_type`] : []), "kvdb init", `kvdb put ${COMMITS} -q`, "kvdb check"];
  const r = await runLinux("wasm", { disk: { file: disk, mode }, commands });
  const put = r.results.at(-2);
  const check = r.results.at(-1).output;
  if (!check.includes(`recovered ${COMMITS} transactions`) || !check.includes(" 0 corrupt")) throw new Error(`kvdb (${mode}) failed:\n${put.output}\n${check}`);
  return COMMITS / put.seconds;
}

// ── IPC ─────────────────────────────────────────────────────────────────────────────────────
const IPC_ROUNDS = 20000;
const IPC_SYSTEM = JSON.parse(readFileSync(`${root}/guests/ipc/bench-system.json`, "utf8"));

/** The IPC benchmark on one core: host ns per call round trip and per notification. The
 *  client prints a line after each phase; its arrival time splits the run. */
async function runIpc(core, fast) {
  const hv = new Hypervisor(IPC_SYSTEM, {
    core, ipcFastPath: fast, wasmModule: await loadWasmModule(),
    loadImage: (image) => readFileSync(`${root}/guests/bin/${image}.elf`),
  });
  await hv.start();
  const marks = [];
  hv.on("output", (e) => { if (e.partition === "client") marks.push({ t: performance.now(), text: Buffer.from(e.data).toString() }); });
  const t0 = performance.now();
  await hv.run({ maxInsns: 200_000_000 });
  if (marks.length < 2 || !/0 failed/.test(marks[0].text)) throw new Error(`the IPC benchmark failed: ${marks.map((m) => m.text).join("")}`);
  const cycles = Number(/(\d+) cycles each/.exec(marks[0].text)[1]);
  return { callNs: (marks[0].t - t0) / IPC_ROUNDS * 1e6, notifyNs: (marks[1].t - marks[0].t) / IPC_ROUNDS / 2 * 1e6, cycles };
}

const QEMU = "qemu-system-riscv32";
const hasQemu = spawnSync(QEMU, ["--version"]).status === 0;
function runQemu(elf) {
  const t0 = performance.now();
  const r = spawnSync(QEMU, ["-M", "virt", "-bios", "none", "-cpu", "rv32,f=true,d=true,h=false",
    "-display", "none", "-serial", "null", "-monitor", "none", "-kernel", elf], { timeout: 120_000 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`qemu failed on ${elf}: status ${r.status} ${r.stderr}`);
  return seconds;
}

const samples = { virtDirtyWasm: [], migrateDowntime: [], migrateBytes: [], migrateSnapshotBytes: [], migrateRounds: [], snapSaveWasm: [], snapSaveTs: [], snapWarmWasm: [], snapWarmTs: [], snapRestoreWasm: [], snapRestoreTs: [], wasm: [], ts: [], qemu: [], fpWasm: [], fpTs: [], fpQemu: [], virtWasm: [], virtTs: [], shadowWasm: [], nestedWasm: [], shadowTs: [], nestedTs: [], switchWasm: [], switchTs: [], preemptWasm: [], preemptTs: [], linuxWasm: [], linuxTs: [], forkShadow: [], forkNested: [],
  writethrough: [], rapilog: [], syncWrites: [], rapilogFlushing: [],
  ipcFastWasm: [], ipcFastTs: [], ipcSlowWasm: [], ipcSlowTs: [], notifyWasm: [], notifyTs: [] };
let ipcGuestCycles = null;
let linuxInsns = null;
let fpInstructions = 0;
let snapshotBytes = null;
let linuxVirtualMs = null;
let linuxBusy = null;
const FORKS = quick ? 50 : 200;
const STRESS_MS = quick ? 500 : 2000;
const COMMITS = quick ? 300 : 1000;
const COMMIT_VARIANTS = [
  { key: "writethrough", label: "writethrough", mode: "writethrough" },
  { key: "rapilog", label: "rapilog", mode: "rapilog" },
  { key: "syncWrites", label: "writethrough, guest cache writethrough", mode: "writethrough", cache: "write through" },
  { key: "rapilogFlushing", label: "rapilog, guest cache writeback", mode: "rapilog", cache: "write back" },
];
let rtosJitterNs = null;
let rtosMisses = null;
let instructions = 0;
const PAGING_RUNS = quick ? 1 : 4;
const SWITCH_CYCLES = quick ? 5_000_000 : 20_000_000;
const YIELD_CYCLES = quick ? 1_000_000 : 4_000_000;
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
  const fw = await runCore("wasm", fpElf);
  fpInstructions = fw.instructions;
  samples.fpWasm.push(fw.seconds);
  log(`  FP workload: wasm ${(fw.instructions / fw.seconds / 1e6).toFixed(1)} MIPS`);
  const ft = await runCore("ts", fpElf);
  samples.fpTs.push(ft.seconds);
  log(`, ts ${(ft.instructions / ft.seconds / 1e6).toFixed(1)} MIPS`);
  if (hasQemu) {
    const full = runQemu(`${root}/guests/bin/fpmath.elf`);
    const base = runQemu(trivialElf);
    samples.fpQemu.push(Math.max(full - base, 1e-3));
    log(`, qemu ${(fpInstructions / (full - base) / 1e6).toFixed(1)} MIPS`);
  }
  log("\n");
  for (const core of ["wasm", "ts"]) {
    const v = await runVirt(core);
    if (v.instructions !== instructions) throw new Error(`bench.elf retired ${v.instructions} instructions in a partition, ${instructions} bare`);
    samples[core === "wasm" ? "virtWasm" : "virtTs"].push(v.seconds);
    const bare = median(samples[core]);
    log(`  in a partition (${core}): ${(v.instructions / v.seconds / 1e6).toFixed(1)} MIPS (${((v.seconds / bare - 1) * 100).toFixed(1)} % vs the median bare run)\n`);
    if (core === "wasm") {
      // The same with live migration's dirty-page tracking on (interleaved with the run above).
      const d = await runVirtDirty(core);
      samples.virtDirtyWasm.push(d.seconds);
      log(`  in a partition, dirty tracking on (${core}): ${(d.instructions / d.seconds / 1e6).toFixed(1)} MIPS (${((d.seconds / v.seconds - 1) * 100).toFixed(1)} % vs tracking off)\n`);
    }
  }
  for (const core of ["wasm", "ts"]) {
    const sh = await runPaging(core, "shadow", PAGING_RUNS);
    const ne = await runPaging(core, "nested", PAGING_RUNS);
    samples[core === "wasm" ? "shadowWasm" : "shadowTs"].push(sh.seconds);
    samples[core === "wasm" ? "nestedWasm" : "nestedTs"].push(ne.seconds);
    log(`  ptbench (${core}): shadow ${(sh.instructions / sh.seconds / 1e6).toFixed(1)} MIPS, nested ${(ne.instructions / ne.seconds / 1e6).toFixed(1)} MIPS, nested/shadow time ${(ne.seconds / sh.seconds).toFixed(2)}\n`);
  }
  if (linuxBuilt) {
    for (const core of ["wasm", "ts"]) {
      const l = await runLinux(core, { snapshot: true });
      samples[core === "wasm" ? "linuxWasm" : "linuxTs"].push(l.seconds);
      samples[core === "wasm" ? "snapSaveWasm" : "snapSaveTs"].push(l.snap.saveMs);
      samples[core === "wasm" ? "snapWarmWasm" : "snapWarmTs"].push(l.snap.warmMs);
      samples[core === "wasm" ? "snapRestoreWasm" : "snapRestoreTs"].push(l.snap.restoreMs);
      snapshotBytes = l.snap.bytes;
      log(`  snapshot of the default system at Linux's prompt (${core}): ${l.snap.saveMs.toFixed(1)} ms (cold), ${l.snap.warmMs.toFixed(1)} ms after 1M instructions more, restore ${l.snap.restoreMs.toFixed(1)} ms, ${l.snap.bytes} bytes\n`);
      linuxInsns = l.insns;
      linuxVirtualMs = l.virtualMs;
      log(`  linux (${core}): shell prompt after ${l.seconds.toFixed(3)} s, ${l.insns} instructions, ${l.virtualMs.toFixed(1)} ms of virtual time\n`);
    }
    const busy = await runLinux("wasm", {
      extra: [{ name: "busy", image: "spin", ram: "64K" }],
      schedule: { majorFrame: "10ms", windows: [{ length: "5ms", partitions: ["busy"] }, { length: "5ms", partitions: ["rtos", "linux"] }] },
    });
    linuxBusy = busy;
    log(`  linux beside a busy partition (wasm): prompt after ${busy.virtualMs.toFixed(1)} ms virtual, ${busy.seconds.toFixed(3)} s wall; Linux had ${(busy.share * 100).toFixed(1)} % of the CPU\n`);
    const fs = await runLinux("wasm", { paging: "shadow", commands: [`forkexec ${FORKS}`] });
    const fn = await runLinux("wasm", { paging: "nested", commands: [`forkexec ${FORKS}`] });
    for (const r of [fs, fn]) if (!r.results[0].output.includes("all exited 0")) throw new Error(`forkexec failed:\n${r.results[0].output}`);
    samples.forkShadow.push(fs.results[0].seconds);
    samples.forkNested.push(fn.results[0].seconds);
    log(`  forkexec ${FORKS} (wasm): shadow ${fs.results[0].seconds.toFixed(3)} s, nested ${fn.results[0].seconds.toFixed(3)} s\n`);
    // The RTOS's 1 kHz task while Linux is loaded (CPU and disk I/O), as rtosctl reports it.
    const disk = join(mkdtempSync(join(tmpdir(), "wasmvisor-bench-")), "disk.img");
    copyFileSync(`${linuxDir}/disk.img`, disk);
    const load = await runLinux("wasm", { disk, commands: ["mount -t ext2 /dev/vda /mnt", `stress ${STRESS_MS} /mnt`, "rtosctl stats"] });
    const m = /^(\d+) jobs, (\d+) deadline misses, worst release jitter (\d+) ns/m.exec(load.results[2].output);
    if (!m) throw new Error(`rtosctl stats failed:\n${load.results[2].output}`);
    rtosJitterNs = Math.max(rtosJitterNs ?? 0, Number(m[3]));
    rtosMisses = (rtosMisses ?? 0) + Number(m[2]);
    log(`  rtos beside Linux running stress ${STRESS_MS} /mnt (wasm): ${m[1]} jobs, ${m[2]} deadline misses, worst release jitter ${m[3]} ns\n`);
    const mig = await runMigration();
    samples.migrateDowntime.push(mig.downtimeMs);
    samples.migrateBytes.push(mig.bytes);
    samples.migrateSnapshotBytes.push(mig.snapshotBytes);
    samples.migrateRounds.push(mig.rounds);
    log(`  live migration of Linux running stress (wasm → wasm, loopback): ${mig.rounds} rounds (${mig.pagesPerRound.join(", ")} pages), ${mig.finalPages} pages stopped, ${mig.bytes} bytes (snapshot then: ${mig.snapshotBytes}), downtime ${mig.downtimeMs.toFixed(1)} ms\n`);
    // RapiLog: the same database workload on each disk mode, side by side.
    for (const v of COMMIT_VARIANTS) {
      const cps = await runCommits(v);
      samples[v.key].push(cps);
      log(`  kvdb put ${COMMITS} (wasm, ${v.label}): ${cps.toFixed(0)} commits/s\n`);
    }
  }
  for (const core of ["wasm", "ts"]) {
    if (round === 1) await runIpc(core, true); // warm-up: the first run includes the JIT's tiering
    const fast = await runIpc(core, true);
    const slow = await runIpc(core, false);
    samples[core === "wasm" ? "ipcFastWasm" : "ipcFastTs"].push(fast.callNs);
    samples[core === "wasm" ? "ipcSlowWasm" : "ipcSlowTs"].push(slow.callNs);
    samples[core === "wasm" ? "notifyWasm" : "notifyTs"].push(fast.notifyNs);
    ipcGuestCycles = fast.cycles;
    log(`  ipc (${core}): call round trip fast ${fast.callNs.toFixed(0)} ns, slow ${slow.callNs.toFixed(0)} ns (${fast.cycles} guest cycles); notification ${fast.notifyNs.toFixed(0)} ns\n`);
  }
  for (const core of ["wasm", "ts"]) {
    const y = await runSwitches(core, "yield", "1ms", YIELD_CYCLES);
    const ns = y.seconds / y.switches * 1e9;
    samples[core === "wasm" ? "switchWasm" : "switchTs"].push(ns);
    const fast = await runSwitches(core, "spin", "10us", SWITCH_CYCLES);
    const slow = await runSwitches(core, "spin", "10ms", SWITCH_CYCLES);
    const pns = (fast.seconds - slow.seconds) / (fast.switches - slow.switches) * 1e9;
    samples[core === "wasm" ? "preemptWasm" : "preemptTs"].push(pns);
    log(`  world switch (${core}): ${y.switches} yields in ${y.seconds.toFixed(3)} s: ${ns.toFixed(0)} ns each; preemption: ${fast.switches} in ${fast.seconds.toFixed(3)} s vs ${slow.switches} in ${slow.seconds.toFixed(3)} s: ${pns.toFixed(0)} ns each\n`);
  }
}
const mips = (xs) => instructions / median(xs) / 1e6;
const mipsWasm = mips(samples.wasm);
const mipsTs = mips(samples.ts);
const mipsQemu = hasQemu ? mips(samples.qemu) : null;
const fpMips = (xs) => fpInstructions / median(xs) / 1e6;

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
  { name: "mips.fp.wasm", unit: "MIPS", value: round1(fpMips(samples.fpWasm)) },
  { name: "mips.fp.ts", unit: "MIPS", value: round1(fpMips(samples.fpTs)) },
  { name: "mips.fp.qemu", unit: "MIPS", value: hasQemu ? round1(fpMips(samples.fpQemu)) : null },
  { name: "ratio.wasm_over_qemu", unit: "x", value: mipsQemu === null ? null : round2(mipsWasm / mipsQemu) },
  { name: "virt.overhead.cpu", unit: "%", value: round1((median(samples.virtWasm) / median(samples.wasm) - 1) * 100) },
  { name: "virt.overhead.cpu.ts", unit: "%", value: round1((median(samples.virtTs) / median(samples.ts) - 1) * 100) },
  { name: "paging.shadow_vs_nested", unit: "x", value: round2(median(samples.nestedWasm) / median(samples.shadowWasm)) },
  { name: "paging.shadow_vs_nested.ts", unit: "x", value: round2(median(samples.nestedTs) / median(samples.shadowTs)) },
  { name: "worldswitch.ns", unit: "ns", value: Math.round(median(samples.switchWasm)) },
  { name: "worldswitch.ns.ts", unit: "ns", value: Math.round(median(samples.switchTs)) },
  { name: "preemption.ns", unit: "ns", value: Math.round(median(samples.preemptWasm)) },
  { name: "preemption.ns.ts", unit: "ns", value: Math.round(median(samples.preemptTs)) },
  { name: "ipc.fast.roundtrip_ns", unit: "ns", value: Math.round(median(samples.ipcFastWasm)) },
  { name: "ipc.slow.roundtrip_ns", unit: "ns", value: Math.round(median(samples.ipcSlowWasm)) },
  { name: "ipc.fast_over_slow", unit: "x", value: round2(median(samples.ipcSlowWasm) / median(samples.ipcFastWasm)) },
  { name: "ipc.fast.roundtrip_ns.ts", unit: "ns", value: Math.round(median(samples.ipcFastTs)) },
  { name: "ipc.slow.roundtrip_ns.ts", unit: "ns", value: Math.round(median(samples.ipcSlowTs)) },
  { name: "ipc.fast.guest_cycles", unit: "cycles", value: ipcGuestCycles },
  { name: "notify.latency_ns", unit: "ns", value: Math.round(median(samples.notifyWasm)) },
  { name: "notify.latency_ns.ts", unit: "ns", value: Math.round(median(samples.notifyTs)) },
  { name: "linux.boot.wasm.s", unit: "s", value: linuxBuilt ? round2(median(samples.linuxWasm)) : null },
  { name: "linux.boot.ts.s", unit: "s", value: linuxBuilt ? round2(median(samples.linuxTs)) : null },
  { name: "linux.boot.insns", unit: "instructions", value: linuxInsns },
  { name: "linux.boot.virtual.ms", unit: "ms", value: linuxVirtualMs === null ? null : round1(linuxVirtualMs) },
  { name: "linux.boot.busy.virtual.ms", unit: "ms", value: linuxBusy ? round1(linuxBusy.virtualMs) : null },
  { name: "linux.boot.busy.share", unit: "%", value: linuxBusy ? round1(linuxBusy.share * 100) : null },
  { name: "linux.forkexec.shadow_vs_nested", unit: "x", value: linuxBuilt ? round2(median(samples.forkNested) / median(samples.forkShadow)) : null },
  { name: "rtos.jitter.max_us", unit: "us", value: rtosJitterNs === null ? null : round2(rtosJitterNs / 1000) },
  { name: "rtos.deadline_misses", unit: "misses", value: rtosMisses },
  { name: "rapilog.commits_per_s", unit: "commits/s", value: linuxBuilt ? Math.round(median(samples.rapilog)) : null },
  { name: "writethrough.commits_per_s", unit: "commits/s", value: linuxBuilt ? Math.round(median(samples.writethrough)) : null },
  { name: "rapilog.speedup", unit: "x", value: linuxBuilt ? round2(median(samples.rapilog) / median(samples.writethrough)) : null },
  { name: "rapilog.flushing.commits_per_s", unit: "commits/s", value: linuxBuilt ? Math.round(median(samples.rapilogFlushing)) : null },
  { name: "writethrough.sync_writes.commits_per_s", unit: "commits/s", value: linuxBuilt ? Math.round(median(samples.syncWrites)) : null },
  { name: "rapilog.speedup.vs_sync_writes", unit: "x", value: linuxBuilt ? round2(median(samples.rapilog) / median(samples.syncWrites)) : null },
  { name: "dirty.overhead.cpu", unit: "%", value: round1((median(samples.virtDirtyWasm) / median(samples.virtWasm) - 1) * 100) },
  { name: "linux.migrate.downtime.ms", unit: "ms", value: linuxBuilt ? round1(median(samples.migrateDowntime)) : null },
  { name: "linux.migrate.bytes", unit: "bytes", value: linuxBuilt ? median(samples.migrateBytes) : null },
  { name: "linux.migrate.transfer_over_snapshot", unit: "x", value: linuxBuilt ? round2(median(samples.migrateBytes) / median(samples.migrateSnapshotBytes)) : null },
  { name: "linux.snapshot.ms", unit: "ms", value: linuxBuilt ? round1(median(samples.snapSaveWasm)) : null },
  { name: "linux.snapshot.ms.ts", unit: "ms", value: linuxBuilt ? round1(median(samples.snapSaveTs)) : null },
  { name: "linux.snapshot.warm.ms", unit: "ms", value: linuxBuilt ? round1(median(samples.snapWarmWasm)) : null },
  { name: "linux.snapshot.warm.ms.ts", unit: "ms", value: linuxBuilt ? round1(median(samples.snapWarmTs)) : null },
  { name: "linux.restore.ms", unit: "ms", value: linuxBuilt ? round1(median(samples.snapRestoreWasm)) : null },
  { name: "linux.restore.ms.ts", unit: "ms", value: linuxBuilt ? round1(median(samples.snapRestoreTs)) : null },
  { name: "linux.snapshot.bytes", unit: "bytes", value: snapshotBytes },
  { name: "startup.wasm.ms", unit: "ms", value: round2(startupWasm) },
  { name: "startup.ts.ms", unit: "ms", value: round2(startupTs) },
];
function round1(v) { return Math.round(v * 10) / 10; }
function round2(v) { return Math.round(v * 100) / 100; }
// Harts on parallel threads: parbench.elf on 1 and 2 harts, each core (bench/parallel.mjs).
results.push(...(await measureParallel({ rounds })));
// vNUMA: parbench.elf with its harts on two processes (bench/vnuma.mjs).
results.push(...(await measureVnuma({ rounds })));
results.push(...(await measureVnumaLinux({ rounds: 1 })));
// The translator: bench.elf and Linux with it off and on (bench/jit.mjs).
results.push(...(await measureJit({ rounds: Math.max(3, rounds), log: (line) => log(`${line}\n`) })));

if (json) {
  process.stdout.write(JSON.stringify({ results }, null, 2) + "\n");
} else {
  console.log(`\nCPU-bound workload: guests/bin/bench.elf, ${instructions.toLocaleString("en")} instructions, median of ${rounds} round(s)`);
  for (const r of results) {
    const na = r.name.startsWith("linux.") ? "n/a (Linux not built: bash guests/linux/build.sh)" : "n/a (QEMU not installed)";
    console.log(`  ${r.name.padEnd(34)} ${r.value === null ? na : `${r.value} ${r.unit}`}`);
  }
}
