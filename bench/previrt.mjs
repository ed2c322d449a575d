#!/usr/bin/env node
// What pre-virtualization buys (docs/previrt.md): `npm run bench:previrt` (add --json for
// {"results":[{"name","unit","value"}]}, --rounds N, default 3; --no-linux: the RTOS only).
//
// Each workload runs with its afterburned image in a partition with "previrt" false and true,
// in interleaved rounds on the Wasm core (medians of wall time); exits and instruction counts
// are the same every round (the runs are deterministic):
//   csrloop a machine-mode loop around one `csrr a0, mscratch` site, 2,000,000 times, against
//           the same loop with an `addi` there (addiloop): host ns per emulated CSR read,
//           unpatched and patched (needs riscv64-unknown-elf-as and -ld); and the hypercall path
//           for comparison: the same loop around a WVCALL (hcallloop)
//   rtos    guests/bin/rtos-afterburn.elf alone in a partition, to its end (10 s virtual)
//   linux   guests/linux/build/Image.afterburn (npm run linux:afterburn) in a supervisor
//           partition: boot to the shell prompt, then `forkexec 200`, then `stress 300 /mnt` on
//           a scratch ext2 disk; and the plain Image the same way, as the reference without
//           sites (no NOP padding)
// Per phase: wall seconds, instructions, trap-and-emulate exits (and per second of wall time),
// patched sites completed in the fast loop, and the instruction counts (which must not differ).
import { readFileSync, existsSync, mkdtempSync, copyFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { afterburn } from "../dist/src/tools/afterburn/filter.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadWasmModule } from "../dist/src/node/core-file.js";
import { Hypervisor } from "../dist/src/api/hypervisor.js";
import { openDiskFile } from "../dist/src/node/system-file.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const json = args.includes("--json");
const roundsArg = args.indexOf("--rounds");
const rounds = roundsArg >= 0 ? Number(args[roundsArg + 1]) : 3;
const withLinux = !args.includes("--no-linux");
const log = (msg) => { if (!json) process.stderr.write(msg); };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const LB = `${root}/guests/linux/build`;

function partitionStats(hv, name) {
  const p = hv.stats().partitions.find((x) => x.name === name);
  return { profile: hv.exitProfile(name), insns: p.instructions, exits: p.exits.trapAndEmulate, mmio: p.exits.mmio, sbi: p.exits.sbi, traps: p.exits.traps, fast: p.previrt?.fast ?? 0, slow: p.previrt?.slow ?? 0, sites: p.previrt?.sites ?? 0 };
}
const minus = (a, b) => Object.fromEntries(Object.keys(a).map((k) => [k, k === "sites" ? a[k] : k === "profile" ? minus(a[k], b[k]) : a[k] - b[k]]));

/** One bare partition `name` with previrt on or off, run for 100 M instructions (Wasm core). */
async function runBare(name, elf, previrt) {
  const hv = new Hypervisor({ partitions: [{ name, image: name, ram: "1M", previrt }] }, {
    core: "wasm", wasmModule: await loadWasmModule(), loadImage: () => elf,
  });
  await hv.start();
  const t0 = performance.now();
  await hv.run({ maxInsns: 100_000_000 });
  const seconds = (performance.now() - t0) / 1000;
  const s = partitionStats(hv, name);
  hv.close?.();
  return { run: { seconds, ...s } };
}
const runRtos = (previrt) => runBare("rtos", readFileSync(`${root}/guests/bin/rtos-afterburn.elf`), previrt);

async function runLinux(image, previrt) {
  const disk = join(mkdtempSync(join(tmpdir(), "wv-previrt-")), "disk.img");
  copyFileSync(`${LB}/disk.img`, disk);
  const hv = new Hypervisor({
    partitions: [{
      name: "linux", image: `${LB}/${image}`, mode: "supervisor", initrd: `${LB}/initramfs.cpio`, ram: "32M", previrt,
      devices: ["uart", "clint", "plic", "finisher", "virtio-console"], bootargs: "console=ttyS0 earlycon=sbi", disk,
    }],
  }, { core: "wasm", wasmModule: await loadWasmModule(), loadImage: (f) => readFileSync(f), openDisk: (d) => openDiskFile(d) });
  let out = "";
  hv.on("output", (e) => { out += Buffer.from(e.data).toString("latin1"); });
  await hv.start();
  const until = async (mark) => {
    for (let spent = 0; !/\n# $/.test(out.slice(mark)); ) {
      if (spent > 2e10) throw new Error(`Linux did not reach the prompt:\n${out.slice(-1000)}`);
      spent += await hv.step(1_000_000);
    }
  };
  const phases = {};
  let before = partitionStats(hv, "linux");
  let t0 = performance.now();
  await until(0);
  phases.boot = { seconds: (performance.now() - t0) / 1000, ...minus(partitionStats(hv, "linux"), before) };
  const transcript = [out];
  for (const [name, command] of [["mount", "mount -t ext2 /dev/vda /mnt"], ["forkexec", "forkexec 200"], ["stress", "stress 300 /mnt"]]) {
    const mark = out.length;
    before = partitionStats(hv, "linux");
    hv.console("linux").write(`${command}\n`);
    t0 = performance.now();
    await until(mark);
    if (name !== "mount") phases[name] = { seconds: (performance.now() - t0) / 1000, ...minus(partitionStats(hv, "linux"), before) };
    transcript.push(out.slice(mark));
  }
  hv.close?.();
  return { ...phases, transcript: transcript.join("") };
}

// ── The cost of one trap-and-emulate round trip ─────────────────────────────────────────────
// A machine-mode loop of LOOP_N iterations around one `csrr a0, mscratch` (afterburned: + NOP),
// against the same loop with `addi a0, x0, 0` there: the difference per iteration is the host
// work of one emulated CSR read, unpatched (trap-and-emulate) and patched (fast loop).
const LOOP_N = 2_000_000;
function csrLoopElf(body, prologue = "") {
  const dir = mkdtempSync(join(tmpdir(), "wv-csrloop-"));
  const src = `\t.globl _start\n_start:\n${prologue}\tli t0, ${LOOP_N}\n1:\t${body}\n\taddi t0, t0, -1\n\tbnez t0, 1b\n` +
    "\tli t1, 0x100000\n\tli t2, 0x5555\n\tsw t2, 0(t1)\n2:\tj 2b\n";
  writeFileSync(join(dir, "loop.s"), afterburn(src).text);
  const as = spawnSync("riscv64-unknown-elf-as", ["-march=rv32ima_zicsr", "-mabi=ilp32", join(dir, "loop.s"), "-o", join(dir, "loop.o")]);
  const ld = spawnSync("riscv64-unknown-elf-ld", ["-melf32lriscv", "-Ttext=0x80000000", join(dir, "loop.o"), "-o", join(dir, "loop.elf")]);
  if (as.status !== 0 || ld.status !== 0) return null;
  return readFileSync(join(dir, "loop.elf"));
}
const runLoop = (elf, previrt) => runBare("loop", elf, previrt);
const csrLoop = csrLoopElf("csrr a0, mscratch");
const plainLoop = csrLoopElf("addi a0, x0, 0\n\tnop");
// The hypercall path for comparison: WVCALL (guests/sdk/wasmvisor.h) FID 0, the version.
const hcallLoop = csrLoopElf(".word 0x5760000b\n\tnop", "\tli a7, 0x08574D56\n\tli a6, 0\n");

const workloads = [];
if (csrLoop && plainLoop) {
  workloads.push(["csrloop", () => runLoop(csrLoop, false), () => runLoop(csrLoop, true)]);
  workloads.push(["addiloop", () => runLoop(plainLoop, false), null]);
  workloads.push(["hcallloop", () => runLoop(hcallLoop, false), null]);
} else {
  log("bench:previrt: riscv64-unknown-elf-as/ld missing: the round-trip loop is skipped\n");
}
workloads.push(["rtos", () => runRtos(false), () => runRtos(true)]);
if (withLinux) {
  if (!existsSync(`${LB}/Image.afterburn`) || !existsSync(`${LB}/Image.afterburn.wvsites`)) {
    log("bench:previrt: guests/linux/build/Image.afterburn is missing (npm run linux:afterburn): Linux skipped\n");
  } else {
    workloads.push(["linux", () => runLinux("Image.afterburn", false), () => runLinux("Image.afterburn", true)]);
    workloads.push(["linux-plain", () => runLinux("Image", false), null]);
  }
}

const results = [];
const table = [];
for (const [name, off, on] of workloads) {
  const runs = { off: [], on: [] };
  for (let r = 0; r < rounds; r++) {
    log(`  ${name}: round ${r + 1}/${rounds}\n`);
    runs.off.push(await off());
    if (on) runs.on.push(await on());
  }
  for (const mode of on ? ["off", "on"] : ["off"]) {
    const first = runs[mode][0];
    if (first.transcript !== undefined && on && mode === "on" && first.transcript.replace(/\d+\.\d+ s|\d+ ms/g, "") !== runs.off[0].transcript.replace(/\d+\.\d+ s|\d+ ms/g, "")) {
      log(`  ${name}: the patched transcript differs from the unpatched one!\n`);
    }
    for (const phase of Object.keys(first).filter((k) => k !== "transcript")) {
      const seconds = median(runs[mode].map((x) => x[phase].seconds));
      const p = first[phase];
      const label = `${name}${on ? `.previrt_${mode}` : ""}.${phase}`;
      table.push({ label, seconds, ...p, exitsPerSecond: p.exits / seconds });
      results.push({ name: `${label}.s`, unit: "s", value: seconds });
      results.push({ name: `${label}.insns`, unit: "instructions", value: p.insns });
      results.push({ name: `${label}.trap_and_emulate`, unit: "exits", value: p.exits });
      results.push({ name: `${label}.fast`, unit: "sites", value: p.fast });
    }
  }
}

// Host ns per emulated CSR read: (loop time - the addi loop's time) / iterations.
const sec = (label) => table.find((t) => t.label === label)?.seconds;
if (sec("addiloop.run") !== undefined) {
  for (const mode of ["off", "on"]) {
    const ns = ((sec(`csrloop.previrt_${mode}.run`) - sec("addiloop.run")) / LOOP_N) * 1e9;
    results.push({ name: `csr_read.previrt_${mode}.ns`, unit: "ns", value: ns });
    log(`one emulated CSR read (csrr a0, mscratch), patching ${mode}: ${ns.toFixed(0)} ns of host time more than an addi\n`);
  }
  const hc = ((sec("hcallloop.run") - sec("addiloop.run")) / LOOP_N) * 1e9;
  results.push({ name: "hypercall.ns", unit: "ns", value: hc });
  log(`one hypercall (WVCALL, FID 0): ${hc.toFixed(0)} ns of host time more than an addi\n`);
}

if (json) {
  process.stdout.write(`${JSON.stringify({ results }, null, 1)}\n`);
} else {
  const pad = (s, n) => String(s).padStart(n);
  process.stdout.write(`${"workload.phase".padEnd(34)} ${pad("wall s", 8)} ${pad("instructions", 13)} ${pad("t&e exits", 10)} ${pad("exits/s", 9)} ${pad("fast-loop", 10)} ${pad("MMIO", 8)} ${pad("SBI", 7)} ${pad("guest traps", 11)}\n`);
  for (const t of table) {
    process.stdout.write(`${t.label.padEnd(34)} ${pad(t.seconds.toFixed(3), 8)} ${pad(t.insns, 13)} ${pad(t.exits, 10)} ${pad(Math.round(t.exitsPerSecond), 9)} ${pad(t.fast, 10)} ${pad(t.mmio, 8)} ${pad(t.sbi, 7)} ${pad(t.traps, 11)}\n`);
  }
  // Where the trap-and-emulate exits come from (hv.exitProfile: by kind of instruction).
  process.stdout.write("\ntrap-and-emulate exits by kind:\n");
  for (const t of table) {
    const kinds = Object.entries(t.profile).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
    process.stdout.write(`${t.label.padEnd(34)} ${kinds.map(([k, n]) => `${k} ${n}`).join(", ")}\n`);
  }
}
