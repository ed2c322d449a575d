#!/usr/bin/env node
// `npm start`: the default system (examples/default.json) — a real-time bare-metal partition
// (guests/c/periodic.c: a 1 kHz control task that reports its latencies every 5 s) beside real
// Linux (guests/linux/: kernel, the project's userland, an ext2 disk). Builds the Linux guest
// first if it is missing (guests/linux/build.sh: about 5 minutes on 2 idle cores, it prints its own
// estimates), then runs the
// system in wall-clock mode with the terminal attached to the Linux console. As in QEMU's
// -nographic, Ctrl-C goes to Linux (it interrupts the shell's command) and Ctrl-A is wasmvisor's
// prefix: Ctrl-A x quits, Ctrl-A h lists the keys, Ctrl-A c opens the monitor (src/cli/terminal.ts,
// whose one-line hint the command prints after this banner).
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { main } from "../dist/src/cli/main.js";

const root = new URL("..", import.meta.url).pathname;
const build = `${root}guests/linux/build`;
if (!["Image", "initramfs.cpio", "disk.img"].every((f) => existsSync(`${build}/${f}`))) {
  process.stderr.write("wasmvisor: building the Linux guest first (only once: about 5 minutes on 2 idle cores)…\n");
  const r = spawnSync("bash", [`${root}guests/linux/build.sh`], { stdio: "inherit" });
  if (r.status !== 0) {
    process.stderr.write("wasmvisor: the Linux build failed (see above)\n");
    process.exit(1);
  }
}
process.stderr.write(
  "\x1b[1mwasmvisor\x1b[0m: partition \x1b[1mrtos\x1b[0m (a 1 kHz real-time task) beside partition \x1b[1mlinux\x1b[0m.\n" +
  "Type commands to the Linux shell (try: ls /, cat /proc/cpuinfo, ps, forkexec 10, mount -t ext2 /dev/vda /mnt).\n");
process.exitCode = await main(["run", `${root}examples/default.json`, "--console", "linux", "--wall-clock", ...process.argv.slice(2)]);
