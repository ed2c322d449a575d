// Driving the Linux partition in tests and benchmarks: boot the kernel built by
// guests/linux/build.sh beside another partition, wait for the shell prompt, type commands and
// collect what they print. Runs are deterministic, so every wait is counted in cycles of virtual
// time, never in wall time.

import { expect } from "vitest";
import { existsSync, copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hypervisor, type PagingMode } from "../../src/api/hypervisor.ts";
import { loadWasmModule } from "../../src/node/core-file.ts";
import { openDiskFile } from "../../src/node/system-file.ts";
import type { CoreKind } from "../../src/core/core.ts";
import type { GuestFile } from "../../src/loader/cpio.ts";
import { ROOT, guestElf, guestPath } from "./harness.ts";

/** guests/linux/build, or WASMVISOR_LINUX_BUILD: a directory with another Image, initramfs.cpio
 *  and disk.img (a kernel built elsewhere, e.g. with a changed configuration, before it replaces
 *  the shared build). */
export const LINUX_BUILD = process.env.WASMVISOR_LINUX_BUILD ?? join(ROOT, "guests", "linux", "build");
export const KERNEL = join(LINUX_BUILD, "Image");
export const INITRD = join(LINUX_BUILD, "initramfs.cpio");
export const DISK = join(LINUX_BUILD, "disk.img");
export const PROMPT = "# ";
/** The kernel built through the afterburner (npm run linux:afterburn; docs/previrt.md) and its
 *  site table. */
export const AFTERBURNED_KERNEL = join(LINUX_BUILD, "Image.afterburn");

/** What mounting the ext2 disk prints: the kernel's warning that ext2 keeps times only until
 *  2038, given once a mount now that the RTC sets the clock to 2026 (less than 30 years before). */
export const EXT2_MOUNTED = /^\[ *\d+\.\d+\] ext2 filesystem being mounted at \/mnt supports timestamps until 2038-01-19 \(0x7fffffff\)\n$/;

/** Why the Linux tests cannot run here, or null when the kernel and initramfs are built. */
export function linuxMissing(): string | null {
  for (const f of [KERNEL, INITRD, DISK]) {
    if (!existsSync(f)) return `${f} is not built: run \`bash guests/linux/build.sh\` (CI does)`;
  }
  return null;
}

/** A fresh copy of the empty ext2 disk, for a test to write to. */
export function scratchDisk(): string {
  const path = join(mkdtempSync(join(tmpdir(), "wasmvisor-disk-")), "disk.img");
  copyFileSync(DISK, path);
  return path;
}

export interface LinuxOptions {
  core: CoreKind;
  paging?: PagingMode;
  /** The other partition (default: the RTOS, as in the default system, with the channel). */
  partner?: object | null;
  /** Disk image file, or { file, mode, buffer } (default: none). */
  disk?: DiskOption;
  ram?: string;
  bootargs?: string;
  /** Boot the QEMU way: wasmvisor's SBI firmware (guests/firmware) in a machine-mode partition
   *  starts the kernel, instead of a supervisor-mode partition (with partner null only). */
  firmware?: boolean;
  /** Harts of the Linux partition (default 1; docs/smp.md). */
  harts?: number;
  /** Another kernel image (default KERNEL), e.g. the afterburned one (AFTERBURNED_KERNEL). */
  image?: string;
  /** Pre-virtualization for the Linux partition (docs/previrt.md). */
  previrt?: boolean;
  /** The file agent's device (the agent is started by init: hv.files("linux")). */
  fileAgent?: boolean;
  /** Files added to the initrd (HypervisorOptions.addFiles for "linux"). */
  addFiles?: GuestFile[];
}

export type DiskOption = string | { file: string; mode?: "writethrough" | "rapilog"; buffer?: string };

/** The Linux partition's description (paths into guests/linux/build). */
export function linuxPartition(o: { disk?: DiskOption; ram?: string; bootargs?: string; mailbox?: boolean; firmware?: boolean; fileAgent?: boolean; harts?: number; image?: string; previrt?: boolean } = {}): object {
  return {
    name: "linux",
    ...(o.firmware ? { firmware: guestPath("firmware"), kernel: o.image ?? KERNEL } : { image: o.image ?? KERNEL, mode: "supervisor" }),
    ...(o.previrt !== undefined ? { previrt: o.previrt } : {}),
    initrd: INITRD, ram: o.ram ?? "32M", priority: 1,
    devices: ["uart", "clint", "plic", "finisher", "virtio-console", ...(o.fileAgent ? ["file-agent"] : [])],
    bootargs: o.bootargs ?? "console=ttyS0 earlycon=sbi",
    ...(o.disk ? { disk: o.disk } : {}),
    ...(o.harts ? { harts: o.harts } : {}),
    ...(o.mailbox ? { mappings: [{ region: "rtos-mailbox", address: "0x90000000", perms: "rw" }] } : {}),
  };
}

/** The default system's RTOS partition (guests/rtos, highest priority, 200 µs per 1 ms). */
export const RTOS = {
  name: "rtos", image: "rtos", ram: "1M", priority: 10, budget: "200us", period: "1ms",
  mappings: [{ region: "rtos-mailbox", address: "0x90000000", perms: "rw" }],
};

/** The default system (examples/default.json) with the given Linux options. */
export function defaultSystem(o: { disk?: DiskOption; ram?: string; bootargs?: string; paging?: string; harts?: number } = {}): object {
  return {
    memoryRegions: [{ name: "rtos-mailbox", size: "4K" }],
    partitions: [RTOS, linuxPartition({ ...o, mailbox: true })],
    channels: [{ name: "rtos", region: "rtos-mailbox", ends: [{ partition: "rtos", id: 0 }, { partition: "linux", id: 0 }] }],
  };
}

/** A simpler real-time partner without channels (guests/c/periodic.c). */
export const RTOS_PARTNER = { name: "rtos", image: "periodic", ram: "1M", priority: 10, budget: "200us", period: "1ms" };

export class LinuxSession {
  readonly output: Record<string, string> = {};
  private mark = 0;

  private constructor(readonly hv: Hypervisor) {
    hv.on("output", (e) => { this.output[e.partition] = (this.output[e.partition] ?? "") + Buffer.from(e.data).toString("latin1"); });
  }

  static async boot(o: LinuxOptions): Promise<LinuxSession> {
    const description = o.partner === undefined ? defaultSystem(o)
      : { partitions: [...(o.partner ? [o.partner] : []), linuxPartition(o)] };
    const hv = new Hypervisor(description, {
      core: o.core, paging: o.paging ?? "shadow", wasmModule: await loadWasmModule(),
      loadImage: (f) => (f.startsWith("/") ? readFileSync(f) : guestElf(f)),
      openDisk: (d) => openDiskFile(d),
      ...(o.addFiles ? { addFiles: { linux: o.addFiles } } : {}),
    });
    const s = new LinuxSession(hv);
    await hv.start();
    return s;
  }

  get linux(): string {
    return this.output.linux ?? "";
  }

  /** Run until the Linux console output since the last mark matches, or `maxCycles` pass. */
  async until(pattern: RegExp | string, maxCycles = 2_000_000_000, chunk = 5_000_000): Promise<string> {
    const test = (t: string) => (typeof pattern === "string" ? t.includes(pattern) : pattern.test(t));
    let spent = 0;
    while (!test(this.linux.slice(this.mark))) {
      if (spent >= maxCycles) {
        throw new Error(`Linux did not print ${pattern} within ${maxCycles} cycles; last output:\n${this.linux.slice(-2000)}`);
      }
      const halted = this.hv.halted.find((h, i) => h && this.hv.config.partitions[i].name === "linux");
      if (halted) throw new Error(`Linux stopped (${halted.message}); last output:\n${this.linux.slice(-2000)}`);
      spent += await this.hv.step(chunk);
    }
    const text = this.linux.slice(this.mark);
    this.mark = this.linux.length;
    return text;
  }

  /** Run until `promise` settles (a file agent's answer), at most `maxCycles`; its result. */
  settle<T>(promise: Promise<T>, maxCycles = 2_000_000_000): Promise<T> {
    return this.hv.runUntil(promise, maxCycles);
  }

  /** Run `cycles` of virtual time; returns the Linux console output since the last mark (and
   *  moves the mark past it). */
  async advance(cycles: number): Promise<string> {
    await this.hv.step(cycles);
    const text = this.linux.slice(this.mark);
    this.mark = this.linux.length;
    return text;
  }

  /** Crash Linux: the host kills the partition wherever it is. Returns the console output
   *  since the last mark, up to the crash (and moves the mark past it). */
  crash(): string {
    this.hv.kill("linux", "crash injected by the test");
    const text = this.linux.slice(this.mark);
    this.mark = this.linux.length;
    return text;
  }

  /** Start Linux again from its image, with the same disk, and boot to the prompt. */
  async reboot(maxCycles = 2_000_000_000): Promise<string> {
    await this.hv.restart("linux");
    this.mark = this.linux.length;
    return this.prompt(maxCycles);
  }

  /** Boot to the shell prompt; returns the console output so far. */
  async prompt(maxCycles = 2_000_000_000): Promise<string> {
    return this.until(new RegExp(`\\n${escape(PROMPT)}$`), maxCycles, 1_000_000);
  }

  /** Type a command and wait for the next prompt; returns what it printed (echo and prompt removed). */
  async run(command: string, maxCycles = 2_000_000_000): Promise<string> {
    this.hv.console("linux").write(`${command}\n`);
    const text = await this.until(new RegExp(`\\n${escape(PROMPT)}$`), maxCycles, 1_000_000);
    // The tty echoes the command line (with \r\n), then the output, then the prompt.
    const body = text.replace(/\r\n/g, "\n");
    const afterEcho = body.startsWith(`${command}\n`) ? body.slice(command.length + 1) : body;
    return afterEcho.slice(0, afterEcho.length - PROMPT.length);
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The consoles of a system that `run()` drives on its own (partitions on threads or nodes, which
 * only run() runs): every partition's output as it comes, `until()` a pattern shows in one of
 * them (default "linux"), typing into one, and `end()` to stop the run and wait for it.
 */
export function watchConsoles(hv: Hypervisor) {
  const out: Record<string, string> = {};
  hv.on("output", (e) => { out[e.partition] = (out[e.partition] ?? "") + Buffer.from(e.data).toString("latin1"); });
  const running = hv.run({ inputOpen: () => true, waitForInput: () => new Promise((resolve) => setTimeout(resolve, 5)) });
  return {
    text: (name = "linux") => out[name] ?? "",
    type: (line: string, name = "linux") => hv.console(name).write(`${line}\n`),
    async until(pattern: RegExp, what: string, name = "linux", ms = 150_000): Promise<void> {
      const t0 = performance.now();
      while (!pattern.test(out[name] ?? "")) {
        if (performance.now() - t0 > ms) throw new Error(`${what}: never came; ${name} printed:\n${(out[name] ?? "").slice(-2000)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    /** Wait until partition `name` has halted (its kernel prints "reboot: System halted" just
     *  before its SBI call to power off: a run stopped at that line may beat the halt). */
    async halted(name = "linux", ms = 60_000): Promise<void> {
      const t0 = performance.now();
      while (!hv.halted[hv.partitionIndex(name)]) {
        if (performance.now() - t0 > ms) throw new Error(`${name} did not halt within ${ms / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    /** SMP Linux's workout: `threads 4 ROUNDS` (every count exact), `forkexec -p CHILDREN`, then
     *  `poweroff -h` and the halt. */
    async threadsForkexecPoweroff(rounds: number, children: number): Promise<void> {
      this.type(`threads 4 ${rounds}`);
      await this.until(/threads: ran on \d CPUs?\r?\n# $/, "threads");
      expect(this.text()).toContain(`threads: 4 threads x ${rounds} rounds: atomic ${4 * rounds}, mutex ${4 * rounds}, barrier 4, joined 4`);
      this.type(`forkexec -p ${children}`);
      await this.until(new RegExp(`forkexec: ${children} children, all exited 0\\r?\\n# $`), "forkexec");
      this.type("poweroff -h");
      await this.until(/reboot: System halted/, "the halt");
      await this.halted();
    },
    async end(): Promise<void> {
      hv.stop();
      await running;
    },
  };
}
