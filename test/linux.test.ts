// Linux in a partition: the kernel built by guests/linux/build.sh boots to the project's shell
// beside the RTOS (the default system), on both cores, and runs commands: the console, /proc,
// fork and exec, requests to the RTOS over their channel (rtosctl), a file written to the
// virtio disk and read back after a remount (and found in the host's disk file), the virtio
// console. The two cores must agree exactly.
// Skipped, saying why, only where the kernel is not built (.ci/run builds it).
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LinuxSession, linuxMissing, linuxPartition, scratchDisk, KERNEL, INITRD, RTOS_PARTNER, EXT2_MOUNTED } from "./support/linux.ts";
import { CORES, guestPath } from "./support/harness.ts";
import { main, type CliIO } from "../src/cli/main.ts";

const missing = linuxMissing();

/** The script both cores run; the Wasm core then runs more. */
const SCRIPT: Array<[string, string | RegExp]> = [
  ["echo hello from wasmvisor", "hello from wasmvisor\n"],
  ["ls /", "bin\ndev\netc\ninit\nmnt\nproc\nroot\nsys\ntmp\n"],
  ["cat /proc/cpuinfo", /^processor\t: 0\nhart\t\t: 0\nisa\t\t: rv32imafdc_sstc\nmmu\t\t: sv32\n/],
  // F and D: three processes with their own f registers and rounding modes, preempted again and
  // again; the kernel (CONFIG_FPU) saves and restores each one's state.
  ["fpcheck 3", "fpcheck: 3 processes kept their FP state\n"],
  ["forkexec 8", "forkexec: 8 children, all exited 0\n"],
  // Counters from user mode: the firmware (wasmvisor's SBI) enables them as OpenSBI does.
  ["counters", "time advances, cycle advances, instret advances\n"],
  // The RTC set the clock at boot: the system's epoch (2026-01-01, a Thursday) plus the time since.
  ["date", /^Thu Jan  1 00:00:0\d UTC 2026\n$/],
  ["rtosctl ping 41", "pong 42\n"],
  ["rtosctl add 2 3", "5\n"],
  ["mount -t ext2 /dev/vda /mnt", EXT2_MOUNTED],
  ["echo written by Linux in a wasmvisor partition > /mnt/note.txt", ""],
  ["umount /mnt", ""],
  ["mount -t ext2 /dev/vda /mnt", EXT2_MOUNTED],
  ["cat /mnt/note.txt", "written by Linux in a wasmvisor partition\n"],
  ["umount /mnt", ""],
];

const MORE: Array<[string, string | RegExp]> = [
  ["uname -a", /^Linux \(none\) 6\.1\.\d+ #\d+ .* riscv32\n$/],
  // (A kernel thread may start after the shell: the SMP kernel's kworkers do.)
  ["ps", /^ +PID STAT COMMAND\n +1 S +\/init\n(.*\n)* +\d+ S +sh\n(.*\n)* +\d+ R +ps\n$/],
  ["forkexec -p 6", "forkexec: 6 children, all exited 0\n"],
  ["echo through virtio-console > /dev/hvc0", "through virtio-console\n"],
  ["cat /nonexistent", /^cat: \/nonexistent: .*\n$/],
  ["cat /sys/class/rtc/rtc0/date /sys/class/rtc/rtc0/name", /^2026-01-01\ngoldfish_rtc 101000\.rtc\n$/],
  ["nosuchcommand", "sh: nosuchcommand: not found\n"],
  ["dmesg", /virtio_blk virtio0: \[vda\] 16384 512-byte logical blocks/],
  // The device tree offers Sstc: Linux programs stimecmp itself instead of calling SBI set_timer.
  ["dmesg", /Timer interrupt in S-mode is available via sstc extension/],
];

describe.skipIf(missing !== null)(`Linux in a partition${missing ? ` (skipped: ${missing})` : ""}`, () => {
  const transcripts: Record<string, string> = {};
  const counts: Record<string, number> = {};

  for (const core of CORES) {
    it(`boots to the shell beside the real-time partition and runs commands (${core})`, async () => {
      const disk = scratchDisk();
      const s = await LinuxSession.boot({ core, disk });
      const boot = await s.prompt();
      expect(boot).toContain("Run /init as init process");
      expect(boot).toContain("wasmvisor userland: init started");
      expect(boot).toContain("virtio_blk virtio0: [vda]");
      expect(boot).toContain("goldfish_rtc 101000.rtc: registered as rtc0");
      expect(boot).toContain("goldfish_rtc 101000.rtc: setting system clock to 2026-01-01T00:00:00 UTC (1767225600)");
      let transcript = boot;
      for (const [cmd, expected] of SCRIPT) {
        const out = await s.run(cmd);
        if (typeof expected === "string") expect(out, cmd).toBe(expected);
        else expect(out, cmd).toMatch(expected);
        transcript += `${cmd}\n${out}`;
      }
      // The file reached the host's disk image.
      expect(readFileSync(disk).includes(Buffer.from("written by Linux in a wasmvisor partition\n"))).toBe(true);
      // The real-time partition ran beside Linux.
      expect(s.output.rtos).toMatch(/^rtos: started, 1 kHz control task, tickless\n/);
      const rtos = s.hv.stats().partitions.find((p) => p.name === "rtos")!;
      expect(rtos.instructions).toBeGreaterThan(10_000);
      transcripts[core] = transcript;
      counts[core] = s.hv.stats().partitions.find((p) => p.name === "linux")!.instructions;
      if (core === "wasm") {
        for (const [cmd, expected] of MORE) {
          const out = await s.run(cmd);
          if (typeof expected === "string") expect(out, cmd).toBe(expected);
          else expect(out, cmd).toMatch(expected);
        }
      }
      if (core === CORES[CORES.length - 1]) {
        expect(transcripts[core]).toBe(transcripts[CORES[0]]);
        expect(counts[core]).toBe(counts[CORES[0]]);
      }
    }, 300_000);
  }

  it("boots the same with nested paging (same console output, same instructions)", async () => {
    const runs: Array<{ text: string; insns: number }> = [];
    for (const paging of ["shadow", "nested"] as const) {
      const s = await LinuxSession.boot({ core: "wasm", paging });
      let text = await s.prompt();
      text += await s.run("forkexec 4");
      runs.push({ text, insns: s.hv.stats().partitions.find((p) => p.name === "linux")!.instructions });
    }
    expect(runs[1]).toEqual(runs[0]);
  }, 300_000);

  it("poweroff stops the Linux partition alone; the other goes on", async () => {
    const s = await LinuxSession.boot({ core: "wasm" });
    await s.prompt();
    s.hv.console("linux").write("poweroff\n");
    let spent = 0;
    while (!s.hv.halted[1] && spent < 2e9) spent += await s.hv.step(1_000_000);
    expect(s.hv.halted[1]).toMatchObject({ kind: "shutdown", status: 0 });
    expect(s.hv.halted[0]).toBeNull();
    const before = s.hv.stats().partitions[0].instructions;
    await s.hv.step(2_000_000);
    expect(s.hv.stats().partitions[0].instructions).toBeGreaterThan(before);
  }, 300_000);

  describe("bad inputs are refused before anything starts", () => {
    const dir = mkdtempSync(join(tmpdir(), "wasmvisor-linux-bad-"));
    async function cli(doc: object): Promise<{ status: number; stderr: string }> {
      const file = join(dir, `sys-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(file, JSON.stringify(doc));
      let stderr = "";
      const io: CliIO = { stdout: () => {}, stderr: (t) => { stderr += t; } };
      return { status: await main(["run", file], io), stderr };
    }
    const periodic = { ...RTOS_PARTNER, image: guestPath("periodic") };

    it("a truncated kernel image", async () => {
      const cut = join(dir, "Image.truncated");
      writeFileSync(cut, readFileSync(KERNEL).subarray(0, 1_000_000));
      const r = await cli({ partitions: [periodic, { ...linuxPartition(), image: cut }] });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/partitions\[1\]\.image: .*Image\.truncated: truncated: its sections end at byte \d+, but the file has only 1000000 bytes/);
      expect(r.stderr).toMatch(/nothing was started/);
      const header = join(dir, "Image.header");
      writeFileSync(header, readFileSync(KERNEL).subarray(0, 40));
      expect((await cli({ partitions: [{ ...linuxPartition(), image: header }] })).stderr).toMatch(/neither an ELF executable nor a RISC-V Linux Image/);
    });

    it("an initrd larger than RAM", async () => {
      const big = join(dir, "big.cpio");
      writeFileSync(big, new Uint8Array(9 << 20));
      const r = await cli({ partitions: [{ ...linuxPartition({ ram: "8M" }), initrd: big }] });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/partitions\[0\]\.initrd: .*big\.cpio: initrd of 9437184 bytes does not fit in RAM between the kernel \(which ends at 0x[0-9a-f]+\) and the device tree at 0x807f0000: give the partition at least 16 MiB of RAM/);
    });

    it("a disk image of the wrong size, and a missing one", async () => {
      const odd = join(dir, "odd.img");
      writeFileSync(odd, new Uint8Array(1000));
      let r = await cli({ partitions: [linuxPartition({ disk: odd })] });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/partitions\[0\]\.disk: .*odd\.img: the disk image is 1000 bytes, not a whole number of 512-byte sectors/);
      r = await cli({ partitions: [linuxPartition({ disk: join(dir, "none.img") })] });
      expect(r.stderr).toMatch(/partitions\[0\]\.disk: cannot open the disk image .*none\.img: ENOENT/);
      const empty = join(dir, "empty.img");
      writeFileSync(empty, new Uint8Array(0));
      r = await cli({ partitions: [linuxPartition({ disk: empty })] });
      expect(r.stderr).toMatch(/the disk image is empty/);
    });

    it("a Linux kernel in a machine-mode partition, an initrd without supervisor mode", async () => {
      const r = await cli({ partitions: [{ name: "k", image: KERNEL, ram: "32M" }, { name: "m", image: guestPath("hello"), initrd: INITRD }] });
      expect(r.stderr).toMatch(/partitions\[0\]\.image: .*Image is a Linux kernel: it boots in a supervisor-mode partition/);
      expect(r.stderr).toMatch(/partitions\[1\]\.initrd: only supervisor-mode partitions, or firmware boots with a kernel, boot with an initial RAM disk/);
    });

  });
});
