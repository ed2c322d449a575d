// Findings of the adversarial suite (test/adversarial.test.ts), one reproducer each, kept as
// regression tests now that they are fixed:
//
//   ESCAPE 1  time partitioning: a passive partition that never waited for its first call ran,
//             at its priority, in every window and took the victim's window entirely. Fixed in
//             assembly/kernel/sched.ts: an initialising passive partition runs below every
//             partition of the window (idle time only).
//   ESCAPE 2  IPC: an active server whose recv returned for an interrupt stayed IPC_RECEIVING, so
//             a later call was delivered into its registers while it ran other code. Fixed in
//             assembly/kernel/trap.ts wfiEnd(): leaving the wait ends the receive.
//   spec      a misaligned store straddling the end of RAM reported mtval = its last byte
//             (assembly/mmu/access.ts storeMisaligned: now the first byte of the faulting part);
//             mtime moved backwards then mtimecmp near 2^64 raised MTIP at once (the deadline
//             wrapped through the offset; src/machine/time.ts and kernel/timer.ts now count from
//             the current mtime); SBI RFENCE and DBCN took FID 0xffffffff for a valid one (signed
//             compare in assembly/kernel/sbi.ts); notify and yield zeroed a1, which the SDK
//             promises to preserve.
import { describe, expect, it } from "vitest";
import { COMBOS, runSystem, type SystemRun } from "./support/system.ts";
import { CORES, guestElf, runGuest } from "./support/harness.ts";

const VICTIM = { name: "victim", image: "ticks", ram: "1M" };

function victimView(r: SystemRun) {
  const p = r.stats.partitions.find((q) => q.name === "victim")!;
  return { output: r.output.victim, instructions: p.instructions, cycles: p.cycles, haltedAt: r.haltedAt.victim };
}

function windowed(partitions: object[], channels: object[] = []): object {
  return {
    channels,
    partitions: [...partitions, VICTIM],
    schedule: {
      majorFrame: "700us",
      windows: [
        ...(partitions.length > 0 ? [{ start: 0, length: "350us", partitions: ["other"] }] : []),
        { start: "350us", length: "350us", partitions: ["victim"] },
      ],
    },
  };
}

describe("adversarial findings (fixed; regression tests)", () => {
  it("ESCAPE 1: a passive partition that never waits for a call does not take the victim's window", async () => {
    for (const combo of COMBOS) {
      const opts = { ...combo, stopWhenHalted: ["victim"], maxInsns: 20_000_000 };
      const alone = victimView(await runSystem(windowed([{ name: "other", image: "hello", ram: "1M", priority: 1 }]), opts));
      // "pas" is passive (its channel's pp end, priority 10) but spins instead of calling recv.
      const r = await runSystem(windowed(
        [{ name: "other", image: "hello", ram: "1M", priority: 1 }, { name: "pas", image: "spin", ram: "64K", passive: true, priority: 10 }],
        [{ name: "c", ends: [{ partition: "other", id: 0 }, { partition: "pas", id: 0, pp: true }] }],
      ), opts);
      expect(victimView(r), `${combo.core}, ${combo.paging}`).toEqual(alone);
    }
  }, 120_000);

  it("ESCAPE 2: a call is never delivered into the registers of a server that is not waiting for it", async () => {
    const system = {
      partitions: [
        { name: "srv", image: "adv-findings-ipc", ram: "1M", priority: 10 },
        { name: "cli", image: "adv-findings-ipc", ram: "1M", priority: 1 },
      ],
      channels: [{ name: "c", ends: [{ partition: "cli", id: 0 }, { partition: "srv", id: 0, pp: true }] }],
      schedule: { majorFrame: "200us", windows: [{ start: 0, length: "100us", partitions: ["srv"] }, { start: "100us", length: "100us", partitions: ["cli"] }] },
    };
    for (const combo of COMBOS) {
      for (const ipcFastPath of [true, false]) {
        const r = await runSystem(system, { ...combo, ipcFastPath, maxInsns: 20_000_000 });
        const where = `${combo.core}, ${combo.paging}, fast path ${ipcFastPath}`;
        expect(r.output.srv, where).toBe("server: registers intact\nadv-findings-ipc: PASS\n");
        expect(r.output.cli, where).toBe("client: the reply came: 43\nadv-findings-ipc: PASS\n");
      }
    }
  }, 120_000);

  it("spec: a straddling store's mtval; MTIP after mtime moved backwards; a1 across notify and yield (bare machine and a partition)", async () => {
    const expected = "adv-findings-m: a straddling store's mtval names the store or its faulting part\n" +
      "adv-findings-m: mtime moved back, mtimecmp near 2^64: no timer interrupt\n" +
      "adv-findings-m: notify and yield leave a1 as it was\n" + "adv-findings-m: PASS\n";
    for (const core of CORES) {
      expect((await runGuest(core, guestElf("adv-findings-m"), { ramBytes: 1 << 20 })).output, core).toBe(expected);
      const r = await runSystem({ partitions: [{ name: "f", image: "adv-findings-m", ram: "1M" }] }, { core });
      expect(r.output.f, core).toBe(expected);
    }
  });

  it("spec: SBI RFENCE and DBCN refuse FID 0xffffffff", async () => {
    for (const core of CORES) {
      const r = await runSystem({ partitions: [{ name: "f", image: "adv-findings-s", ram: "1M", mode: "supervisor" }] }, { core, input: { f: "q" } });
      expect(r.output.f, core).toBe(
        "adv-findings-s: RFENCE FID -1: NOT_SUPPORTED\n" + "adv-findings-s: DBCN FID -1: NOT_SUPPORTED, nothing read\n" + "adv-findings-s: PASS\n");
    }
  });
});
