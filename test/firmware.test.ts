// Firmware the QEMU way (src/loader/firmware-boot.ts, guests/firmware/): a machine-mode partition
// or `run-elf --bios FW --kernel K --initrd I --append A` places the firmware, the kernel, the
// initrd and the device tree where QEMU 7.2's virt board does and hands the firmware a0/a1/a2 as
// QEMU's reset vector does. guests/firmware/probe.c prints what it receives: the same on QEMU and
// on both cores. Then wasmvisor's own SBI firmware boots the project's Linux to the shell, runs a
// command and powers off, on both cores with the same transcript and instruction count, and the
// same firmware boots the same kernel on QEMU.
import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CORES, guestElf, guestPath, makeMachine } from "./support/harness.ts";
import { LinuxSession, linuxMissing, KERNEL, INITRD, PROMPT } from "./support/linux.ts";
import { main, type CliIO } from "../src/cli/main.ts";
import { validateSystem, ConfigError } from "../src/config/system.ts";
import { loadSystemFile } from "../src/node/system-file.ts";
import type { ConsoleInput } from "../src/node/console.ts";
import { placeFirmwareBoot, parseFirmware, bootRomImage, FW_DYNAMIC_INFO } from "../src/loader/firmware-boot.ts";
import type { CoreKind } from "../src/core/core.ts";

const QEMU = "qemu-system-riscv32";
const hasQemu = spawnSync(QEMU, ["--version"]).status === 0;
const QEMU_CPU = ["-M", "virt", "-cpu", "rv32,f=true,d=true,h=false", "-display", "none", "-serial", "stdio", "-monitor", "none"];

const dir = mkdtempSync(join(tmpdir(), "wasmvisor-fw-"));
/** A raw kernel and an initrd the probe recognises by their first bytes. */
const KERNEL_FILE = join(dir, "kernel.bin");
const INITRD_FILE = join(dir, "initrd.bin");
writeFileSync(KERNEL_FILE, Buffer.concat([Buffer.from("KERNEL-1"), Buffer.alloc(5000, 0x4b)]));
writeFileSync(INITRD_FILE, Buffer.concat([Buffer.from("070701-I"), Buffer.alloc(3000, 0x49)]));
const APPEND = "console=ttyS0 probe=1";

/**
 * run-elf through the CLI's main(): stdout, stderr and the exit status. `lines` are typed one at
 * a time, each when the output ends with the shell's prompt, as a user would (input given all at
 * once before Linux opens its console is lost to the UART's FIFO resets, as on QEMU).
 */
async function runElf(args: string[], lines: string[] = []): Promise<{ out: string; err: string; status: number }> {
  let out = "";
  let err = "";
  const listeners = new Set<(bytes: Uint8Array) => void>();
  let wake: (() => void) | null = null;
  const pending = [...lines];
  const input: ConsoleInput = {
    initial: new Uint8Array(0),
    get open() { return pending.length > 0; },
    onData: (l) => { listeners.add(l); return () => listeners.delete(l); },
    next: () => new Promise<void>((resolve) => { wake = resolve; }),
    close: () => {},
  };
  const io: CliIO = {
    stdout: (d) => {
      out += typeof d === "string" ? d : Buffer.from(d).toString("latin1");
      if (pending.length > 0 && out.endsWith(`\n${PROMPT}`)) {
        const line = new TextEncoder().encode(`${pending.shift()}\n`);
        queueMicrotask(() => {
          for (const l of listeners) l(line);
          const w = wake;
          wake = null;
          w?.();
        });
      }
    },
    stderr: (t) => { err += t; },
    input,
  };
  const status = await main(["run-elf", ...args], io);
  return { out, err, status };
}

/** The probe booted with the kernel and initrd, on a core: output and instructions. */
async function probe(core: CoreKind, ram: number): Promise<{ output: string; retired: number; status: number | undefined }> {
  let output = "";
  const m = await makeMachine(core, { ramBytes: ram, firmwareBoot: true, bootargs: APPEND, onOutput: (b) => { output += Buffer.from(b).toString("latin1"); } });
  m.loadFirmwareBoot(guestElf("fwprobe"), "fwprobe.elf",
    { bytes: new Uint8Array(Buffer.concat([Buffer.from("KERNEL-1"), Buffer.alloc(5000, 0x4b)])), name: "kernel.bin" },
    { bytes: new Uint8Array(Buffer.concat([Buffer.from("070701-I"), Buffer.alloc(3000, 0x49)])), name: "initrd.bin" });
  while (!m.halted && m.work < 10_000_000) m.step(1_000_000);
  return { output, retired: m.retired, status: m.halted?.status };
}

const MIB = 1024 * 1024;

function qemuProbe(ram: string): { status: number | null; stdout: string } {
  return spawnSync(QEMU, [...QEMU_CPU, "-m", ram, "-bios", guestPath("fwprobe"), "-kernel", KERNEL_FILE, "-initrd", INITRD_FILE, "-append", APPEND],
    { encoding: "latin1", timeout: 30_000 });
}

describe("firmware boot: what the firmware receives", () => {
  for (const ram of [16 * MIB, 128 * MIB, 512 * MIB]) {
    it(`the probe sees the same on both cores (${ram / MIB} MiB)`, async () => {
      const runs = await Promise.all(CORES.map((c) => probe(c, ram)));
      expect(runs[0].status).toBe(0);
      expect(runs[1]).toEqual(runs[0]);
      // QEMU's rules (src/loader/firmware-boot.ts): the kernel at 4 MiB, the initrd at the kernel
      // + min(RAM/2, 128M), the DTB at (RAM end - 1M) rounded down to 2M, a2 at 0x1028.
      const o = runs[0].output;
      expect(o).toContain(`a2 (fw_dynamic_info)  0x00001028`);
      expect(o).toContain(`info.next_addr        0x80400000`);
      const initrd = 0x80400000 + Math.min(ram / 2, 128 * MIB);
      expect(o).toContain(`initrd start          0x${initrd.toString(16)}`);
      expect(o).toContain(`a1 (device tree)      0x${(Math.floor((0x80000000 + ram - MIB) / (2 * MIB)) * 2 * MIB).toString(16)}`);
      expect(o).toContain(`/chosen/bootargs      ${APPEND}`);
      expect(o).toContain("kernel begins         KERNEL-1");
      expect(o).toContain("initrd begins         070701-I");
      expect(o).toContain("mstatus.MPP           0x00000000");
      console.log(`fwprobe, ${ram / MIB} MiB: ${runs[0].retired} instructions on both cores`);
    });
  }

  it.skipIf(!hasQemu)("QEMU 7.2 hands a firmware the same (run-elf --bios --kernel --initrd --append)", async () => {
    for (const ram of ["16M", "128M", "512M"]) {
      const w = await runElf(["--ram", ram, "--bios", guestPath("fwprobe"), "--kernel", KERNEL_FILE, "--initrd", INITRD_FILE, "--append", APPEND]);
      expect(w.status).toBe(0);
      // QEMU's UART can lose its last bytes when the guest powers off while the pipe to us is
      // full (once in CI, on a loaded host: its output ended mid-line, exit status 0); a run whose
      // output is a strict prefix of ours is run again, at most twice.
      let q = qemuProbe(ram);
      for (let again = 0; again < 2 && q.stdout.length < w.out.length && w.out.startsWith(q.stdout); again++) q = qemuProbe(ram);
      expect(q.status).toBe(0);
      expect(w.out).toBe(q.stdout);
    }
  });

  it("the boot ROM holds QEMU's reset vector and fw_dynamic_info, read-only", async () => {
    const m = await makeMachine("wasm", { ramBytes: 16 * MIB, firmwareBoot: true });
    m.loadFirmwareBoot(guestElf("fwprobe"), "fwprobe.elf", { bytes: new Uint8Array(64), name: "k" });
    const regs = m.registers();
    expect([regs.x[10], regs.x[11] >>> 0, regs.x[12], regs.pc, regs.priv]).toEqual([0, m.board.dtbAddress, FW_DYNAMIC_INFO, 0x80000000, 3]);
    expect(bootRomImage(0x80000000, 0x80e00000, 0x80400000).length).toBe(64);
  });
});

describe("firmware boot: what does not fit", () => {
  const fw = parseFirmware(guestElf("fwprobe"), "fwprobe.elf", 0x80000000);
  const place = (o: { kernel?: Uint8Array; initrd?: number; ram: number }) => placeFirmwareBoot({
    firmware: fw, firmwareName: "fw.elf", ramBase: 0x80000000, ramBytes: o.ram,
    kernel: o.kernel && { bytes: o.kernel, name: "k.bin" }, initrd: o.initrd === undefined ? undefined : { bytes: o.initrd, name: "i.cpio" },
    deviceTree: () => new Uint8Array(4096),
  });
  it("names both pieces when they overlap, and what lies outside RAM", () => {
    // 16 MiB: initrd at 0x80c00000, DTB at 0x80e00000: a 3 MiB initrd runs into the tree.
    expect(place({ kernel: new Uint8Array(16), initrd: 3 * MIB, ram: 16 * MIB })).toBe(
      "the device tree (0x80e00000-0x80e00fff) overlaps initrd i.cpio (0x80c00000-0x80efffff)");
    // A kernel ELF linked at 0x80000000 lands on the firmware.
    expect(place({ kernel: guestElf("hello"), ram: 16 * MIB })).toMatch(/^kernel k\.bin( segment \d+)? \(0x80000000-0x[0-9a-f]+\) overlaps firmware fw\.elf \(0x80000000-0x[0-9a-f]+\)$/);
    // A kernel too big for 8 MiB of RAM.
    expect(place({ kernel: new Uint8Array(5 * MIB), ram: 8 * MIB })).toBe(
      "kernel k.bin (0x80400000-0x808fffff) does not fit in RAM (0x80000000-0x807fffff, 8 MiB): give the partition more RAM");
    expect(place({ initrd: 10, ram: 16 * MIB })).toMatch(/^initrd i\.cpio: an initial RAM disk needs a kernel/);
  });

  it("run-elf reports it and starts nothing", async () => {
    const big = join(dir, "big.bin");
    writeFileSync(big, Buffer.alloc(3 * MIB));
    const r = await runElf(["--ram", "16M", "--bios", guestPath("fwprobe"), "--kernel", KERNEL_FILE, "--initrd", big]);
    expect(r.status).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/^wasmvisor: the device tree \(0x80e00000-0x80e00[0-9a-f]{3}\) overlaps initrd .*big\.bin \(0x80c00000-0x80efffff\)\n$/);
    expect((await runElf(["--initrd", INITRD_FILE, guestPath("hello")])).err).toMatch(/--initrd goes with --kernel/);
  });

  it("the system description checks the fields and the files", () => {
    const problems = (partition: object): string[] => {
      try {
        validateSystem({ partitions: [{ name: "p", ...partition }] });
        return [];
      } catch (err) {
        return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
      }
    };
    expect(problems({ image: "a.elf", firmware: "fw.elf" })).toEqual(['partitions[0].firmware: give either "image" (a boot image) or "firmware" (with "kernel": booted the QEMU way), not both']);
    expect(problems({ firmware: "fw.elf", mode: "supervisor" })[0]).toMatch(/^partitions\[0\]\.mode: a firmware runs in M-mode/);
    expect(problems({ image: "a.elf", kernel: "Image" })[0]).toMatch(/^partitions\[0\]\.kernel: a kernel is started by a firmware/);
    expect(problems({ firmware: "fw.elf", initrd: "i.cpio" })[0]).toMatch(/^partitions\[0\]\.initrd: an initial RAM disk goes with a kernel/);
    expect(problems({ firmware: "fw.elf", kernel: "Image", initrd: "i.cpio", bootargs: "console=ttyS0" })).toEqual([]);
    expect(problems({})[0]).toMatch(/^partitions\[0\]\.image: missing: give "image" .* or "firmware"/);
    // The files: where QEMU would put them, they must fit.
    const file = join(dir, "system.json");
    writeFileSync(file, JSON.stringify({ partitions: [{ name: "p", firmware: guestPath("fwprobe"), kernel: KERNEL_FILE, initrd: join(dir, "big.bin"), ram: "16M" }] }));
    expect(() => loadSystemFile(file)).toThrow(/system\.json: partitions\[0\]\.initrd: the device tree \(0x80e00000-0x80e00fff\) overlaps initrd .*big\.bin \(0x80c00000-0x80efffff\)/);
  });
});

const missing = linuxMissing();

describe.skipIf(missing !== null)(`Linux booted by wasmvisor's SBI firmware${missing ? ` (skipped: ${missing})` : ""}`, () => {
  const runs: Record<string, { transcript: string; instructions: number }> = {};
  for (const core of CORES) {
    it(`a machine-mode partition: firmware, kernel, initrd; the shell, a command, poweroff (${core})`, async () => {
      const s = await LinuxSession.boot({ core, partner: null, firmware: true, bootargs: "console=ttyS0 earlycon=sbi" });
      const boot = await s.prompt();
      expect(boot).toMatch(/^wasmvisor-sbi: SBI v2\.0 firmware .*\nwasmvisor-sbi: hart 0, device tree 0x81e00000, .* timer stimecmp \(Sstc\)\nwasmvisor-sbi: next stage at 0x80400000 in S-mode\n/);
      expect(boot).toContain("SBI implementation ID=0x574d56 Version=0x10000");
      expect(boot).toContain("Run /init as init process");
      let transcript = boot;
      for (const cmd of ["echo booted by the firmware", "counters", "cat /proc/cmdline"]) transcript += `${cmd}\n${await s.run(cmd)}`;
      expect(transcript).toContain("echo booted by the firmware\nbooted by the firmware\n");
      expect(transcript).toContain("counters\ntime advances, cycle advances, instret advances\n");
      expect(transcript).toContain("cat /proc/cmdline\nconsole=ttyS0 earlycon=sbi\n");
      const before = s.linux.length;
      s.hv.console("linux").write("poweroff\n");
      let spent = 0;
      while (!s.hv.halted[0] && spent < 1e9) spent += await s.hv.step(1_000_000);
      // SRST shutdown: the firmware writes 0x5555 to the test device.
      expect(s.hv.halted[0]).toMatchObject({ kind: "pass", status: 0 });
      transcript += s.linux.slice(before);
      expect(transcript).toMatch(/reboot: Power down\r?\n$/);
      runs[core] = { transcript, instructions: s.hv.stats().partitions[0].instructions };
      console.log(`firmware + Linux, ${core} core: ${runs[core].instructions} instructions to power-off`);
    }, 300_000);
  }

  it("both cores agree exactly", () => {
    expect(runs.ts?.transcript).toBe(runs.wasm?.transcript);
    expect(runs.ts?.instructions).toBe(runs.wasm?.instructions);
  });

  it("nested paging runs the firmware's S-mode kernel the same as shadow paging", async () => {
    const s = await LinuxSession.boot({ core: "wasm", paging: "nested", partner: null, firmware: true, bootargs: "console=ttyS0 earlycon=sbi" });
    let transcript = await s.prompt();
    for (const cmd of ["echo booted by the firmware", "counters", "cat /proc/cmdline"]) transcript += `${cmd}\n${await s.run(cmd)}`;
    expect(transcript).toBe(runs.wasm.transcript.slice(0, transcript.length));
  }, 120_000);

  it("run-elf --bios --kernel --initrd --append boots it to the shell and powers off", async () => {
    const r = await runElf(["--ram", "32M", "--bios", guestPath("firmware"), "--kernel", KERNEL, "--initrd", INITRD, "--append", "console=ttyS0"],
      ["echo via run-elf", "poweroff"]);
    expect(r.out).toContain("wasmvisor-sbi: next stage at 0x80400000 in S-mode\n");
    expect(r.out).toMatch(/\n# echo via run-elf\r?\nvia run-elf\r?\n# poweroff\r?\n/);
    expect(r.out).toMatch(/reboot: Power down\r?\n$/);
    expect(r.status).toBe(0);
  }, 120_000);

  it.skipIf(!hasQemu)("QEMU 7.2 boots the same firmware and kernel: the firmware says the same, Linux reaches the shell", async () => {
    const q = spawn(QEMU, [...QEMU_CPU, "-m", "32M", "-bios", guestPath("firmware"), "-kernel", KERNEL, "-initrd", INITRD, "-append", "console=ttyS0 earlycon=sbi"]);
    let out = "";
    let check = () => {};
    q.stdout.on("data", (d: Buffer) => { out += d.toString("latin1"); check(); });
    const wait = (pattern: RegExp) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`QEMU did not print ${pattern}; output:\n${out.slice(-2000)}`)), 60_000);
      check = () => { if (pattern.test(out)) { clearTimeout(timer); check = () => {}; resolve(); } };
      check();
    });
    const exited = new Promise<number | null>((resolve) => q.on("exit", (code) => resolve(code)));
    try {
      await wait(/wasmvisor userland: init started\r?\n# $/);
      q.stdin.write("echo on qemu\n");
      await wait(/\non qemu\r?\n# $/);
      q.stdin.write("poweroff\n");
      expect(await exited).toBe(0);
    } finally {
      q.kill();
    }
    const firmwareLines = (t: string) => t.split("\n").filter((l) => l.startsWith("wasmvisor-sbi:")).join("\n");
    const w = await runElf(["--ram", "32M", "--bios", guestPath("firmware"), "--kernel", KERNEL, "--initrd", INITRD, "--append", "console=ttyS0 earlycon=sbi"], ["poweroff"]);
    expect(firmwareLines(out)).toBe(firmwareLines(w.out));
    expect(firmwareLines(out).split("\n")).toHaveLength(3);
    expect(out).toMatch(/reboot: Power down\r?\n$/);
  }, 120_000);
});

describe.skipIf(missing !== null)(`SMP Linux booted by the firmware on the bare machine${missing ? ` (skipped: ${missing})` : ""}`, () => {
  const fw = (more: string[]) => ["--ram", "64M", "--bios", guestPath("firmware"), "--kernel", KERNEL, "--initrd", INITRD, "--append", "console=ttyS0", ...more];
  const SCRIPT = ["cat /proc/cpuinfo", "threads 4 2000", "forkexec -p 4", "cat /sys/devices/system/node/online", "cat /sys/devices/system/node/node0/cpulist", "poweroff"];
  const check = (r: { out: string; status: number; err: string }, what: string, nodes = 1) => {
    expect(r.out, what).toContain("timer stimecmp (Sstc), 2 harts\n");
    // On two vNUMA nodes Linux reads them from the device tree (numa-node-id, the distance map).
    expect(r.out, what).toContain(nodes === 1 ? "smp: Brought up 1 node, 2 CPUs" : "smp: Brought up 2 nodes, 2 CPUs");
    expect(r.out, what).toMatch(nodes === 1 ? /node\/online\r?\n0\r?\n[^]*node0\/cpulist\r?\n0-1\r?\n/ : /node\/online\r?\n0-1\r?\n[^]*node0\/cpulist\r?\n0\r?\n/);
    expect(r.out, what).toMatch(/processor\t: 0\r?\nhart\t\t: 0\r?\n[^]*processor\t: 1\r?\nhart\t\t: 1\r?\n/);
    expect(r.out, what).toMatch(/threads: 4 threads x 2000 rounds: atomic 8000, mutex 8000, barrier 4, joined 4\r?\nthreads: ran on [12] CPUs?\r?\n/);
    expect(r.out, what).toMatch(/forkexec: 4 children, all exited 0\r?\n/);
    expect(r.out, what).toMatch(/reboot: Power down\r?\n$/);
    expect(r.status, `${what}: ${r.err}`).toBe(0);
  };

  it("two harts, deterministic: HSM starts hart 1, IPIs and remote fences through the CLINT; the boot the same on both cores", async () => {
    const boots = [];
    for (const core of CORES) {
      const r = await runElf([...fw(["--harts", "2", "--core", core])], SCRIPT);
      check(r, core);
      // (up to the shell's first prompt: the commands then come when the command line sees the
      // prompt, a host-timed moment)
      boots.push(r.out.slice(0, r.out.indexOf(`\n${PROMPT}`)));
    }
    expect(boots[1]).toBe(boots[0]);
  }, 300_000);

  it("two harts on threads, and a hart on each of two vNUMA nodes (Linux over the shared memory, a NUMA node per process: docs/vnuma.md), both cores", async () => {
    for (const core of CORES) {
      check(await runElf(fw(["--harts", "2", "--parallel", "--core", core]), SCRIPT), `threads, ${core}`);
      const r = await runElf(fw(["--harts", "2", "--nodes", "2", "--stats", "--core", core]), SCRIPT);
      check(r, `nodes, ${core}`, 2);
      expect(r.out).toMatch(/Initmem setup node 0 \[mem 0x0*80400000-0x0*81ffffff\]\r?\n.*Initmem setup node 1 \[mem 0x0*82000000-0x0*83ffffff\]/);
      console.log(`SMP Linux on 2 vNUMA nodes (${core}): ${r.err.trim()}`);
    }
  }, 600_000);
});
