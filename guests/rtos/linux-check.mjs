// The RTOS beside Linux, driven through rtosctl (guests/linux/userland/cmd/rtosctl.c): boots the
// system below, waits for the shell prompt, types the commands and prints the console.
//
//   node guests/rtos/linux-check.mjs [wasm|ts]
//
// Needs the CLI built (node scripts/build.mjs), Linux built (bash guests/linux/build.sh) and the
// RTOS built into guests/rtos/build/rtos.elf (bash guests/rtos/test.sh builds it). The channel
// is named "rtos" (rtosctl's default) and carries the mailbox region; it is channel 0 at both
// ends. The RTOS has the default system's budget (200 us per 1 ms).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Hypervisor } from "../../dist/src/api/hypervisor.js";
import { loadWasmModule } from "../../dist/src/node/core-file.js";

const here = dirname(fileURLToPath(import.meta.url));
const linux = join(here, "..", "linux", "build");
const core = process.argv[2] ?? "wasm";
const mailbox = [{ region: "rtos-mailbox", address: "0x90000000", perms: "rw" }];
const hv = new Hypervisor({
  memoryRegions: [{ name: "rtos-mailbox", size: "4K" }],
  partitions: [
    { name: "rtos", image: join(here, "build", "rtos.elf"), ram: "1M", priority: 10, budget: "200us", period: "1ms", mappings: mailbox },
    {
      name: "linux", mode: "supervisor", image: join(linux, "Image"), initrd: join(linux, "initramfs.cpio"), ram: "32M", priority: 1,
      devices: ["uart", "clint", "plic", "finisher", "virtio-console"], bootargs: "console=ttyS0 quiet", mappings: mailbox,
    },
  ],
  channels: [{ name: "rtos", region: "rtos-mailbox", ends: [{ partition: "rtos", id: 0 }, { partition: "linux", id: 0 }] }],
}, { core, paging: "shadow", wasmModule: await loadWasmModule(), loadImage: (f) => readFileSync(f) });

const output = {};
hv.on("output", (e) => { output[e.partition] = (output[e.partition] ?? "") + Buffer.from(e.data).toString("latin1"); });
await hv.start();
let mark = 0;
/** Run until Linux prints its prompt again (at most 30 s of virtual time); what it printed. */
async function prompt() {
  for (let spent = 0; !/\n# $/.test((output.linux ?? "").slice(mark)); spent += await hv.step(1_000_000)) {
    if (spent > 3_000_000_000) throw new Error(`no prompt; Linux printed:\n${(output.linux ?? "").slice(-1000)}`);
  }
  const text = output.linux.slice(mark);
  mark = output.linux.length;
  return text.replace(/\r\n/g, "\n");
}
await prompt();
for (const command of ["rtosctl ping 41", "rtosctl add 2 3", "rtosctl stats", "rtosctl tasks", "sleep 5", "rtosctl stats", "rtosctl reset", "rtosctl stats"]) {
  hv.console("linux").write(`${command}\n`);
  process.stdout.write(await prompt());
}
process.stdout.write(`\n[rtos console]\n${output.rtos}`);
