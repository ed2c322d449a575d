// Every guest program on both cores: expected console output, exit status and instruction
// count, and the two cores must agree exactly (output, status, retired instructions, final
// registers and pc).
import { describe, expect, it } from "vitest";
import { CORES, guestElf, runGuest, type GuestRun } from "./support/harness.ts";
import { guestSources } from "../guests/manifest.mjs";
import { GUESTS } from "./support/guests-table.ts";

describe("guest programs", () => {
  it("the table covers every machine-mode guest in guests/ except the never-ending ones", () => {
    const covered = new Set(GUESTS.map((g) => g.name));
    const untabled = guestSources()
      .filter((g: { source: string }) => !g.source.startsWith("sbi/")) // supervisor mode: test/hypervisor.test.ts
      .filter((g: { source: string }) => !g.source.startsWith("ipc/")) // partitions with channels: test/ipc.test.ts
      .filter((g: { source: string }) => !g.source.startsWith("hostile/")) // the adversarial suite: test/adversarial*.test.ts
      .filter((g: { source: string }) => g.source !== "firmware") // booted with a kernel: test/firmware.test.ts
      .map((g: { name: string }) => g.name).filter((n: string) => !covered.has(n));
    // spin, idle, trap-loop and yield never finish on their own: test/cli.test.ts checks how
    // the bare machine stops them, test/hypervisor.test.ts how the hypervisor stops a trap loop
    // and switches at every yield. shm needs a partner partition and a shared region.
    // periodic is the default system's real-time partition: it runs forever (test/linux.test.ts).
    // ipcbench-server is a passive IPC server (test/ipc.test.ts, the benchmark).
    // rtos runs forever (test/rtos.test.ts); rtos-client calls it from a partition.
    // semihost needs semihosting and its directory (test/semihosting.test.ts).
    // agentliar is a hostile file agent the host drives (test/files-hostile.test.ts); rtos-afterburn
    // is the pre-virtualized RTOS: bare, under QEMU, patched and not (test/previrt.test.ts).
    // parbench is the full parallel benchmark (about 190 million instructions): parbench-short,
    // the same source with fewer items, is tabled; parbench-numa, the same with each hart's memory
    // in its part of RAM, runs on vNUMA nodes (test/vnuma.test.ts). cmark-long is cmark (tabled)
    // with ten times the iterations, for bench:jit.
    expect(untabled.sort()).toEqual(["agentliar", "cmark-long", "idle", "ipcbench-server", "parbench", "parbench-numa", "periodic", "rtos", "rtos-afterburn", "rtos-client", "semihost", "shm", "spin", "trap-loop", "yield"]);
  });

  for (const g of GUESTS) {
    it(`${g.name}: same result on both cores`, async () => {
      const runs: GuestRun[] = [];
      for (const core of CORES) {
        const r = await runGuest(core, guestElf(g.name), { input: g.input, harts: g.harts });
        expect(r.output, `${g.name} output on ${core}`).toBe(g.output);
        expect(r.halt?.status, `${g.name} status on ${core}`).toBe(g.status);
        expect(r.retired, `${g.name} instructions on ${core}`).toBe(g.instructions);
        runs.push(r);
      }
      expect(runs[1].x).toEqual(runs[0].x);
      expect(runs[1].pc).toBe(runs[0].pc);
    }, 120_000);
  }
});
