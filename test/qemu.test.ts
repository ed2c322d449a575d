// The same ELFs under QEMU (`qemu-system-riscv32 -M virt -bios none -kernel`) and under
// wasmvisor: console output and exit status must match. QEMU's CPU is configured as the hart
// wasmvisor models (RV32GC = IMAFDC, + S + U: H off). Runs where QEMU is installed (.ci/run
// installs it); elsewhere the tests are skipped with the reason.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { GUESTS } from "./support/guests-table.ts";
import { guestElf, guestPath, runGuest } from "./support/harness.ts";

const QEMU = "qemu-system-riscv32";
const hasQemu = spawnSync(QEMU, ["--version"]).status === 0;

/** Guests QEMU cannot be compared on, and why. */
export const NOT_ON_QEMU: Record<string, string> = {
  htif: "QEMU's virt board has no HTIF (tohost/fromhost is a Spike convention)",
  "csr-warl": "pins wasmvisor's own WARL choices; QEMU 7.2 makes other legal ones (and keeps mepc[0])",
  "irq-priority": "QEMU 7.2 without AIA takes the lowest-numbered pending interrupt, not the spec's order",
  ticks: "prints exact virtual timestamps; QEMU's mtime follows the host's clock",
  "amo-misaligned": "QEMU 7.2 reports a misaligned AMO as cause 4 and lets a misaligned SC fail silently",
  "pmp-edge": "QEMU 7.2 lets a TOR entry whose pmpaddr is 0 match up to the top of memory (the spec: an entry below the one before it matches nothing)",
  "sstc-off": "QEMU 7.2 raises STIP from stimecmp even with menvcfg.STCE = 0 (Sstc 1.0: STIP is M-mode software's then)",
  uartfifo: "QEMU's 16550 takes input from its backend only up to the trigger level and only after a read of RBR, so what a FIFO reset discards depends on timing there (uartloop compares the same FIFO logic through loopback)",
  "trigger-edge": "QEMU 7.2 implements only part of Sdtrig: 2 triggers, tinfo version 0 with types 2 and 6, match equal only (a size-any trigger watches the 8 bytes from its address instead of the access's bytes, and size is a watch length), no chain, hit, icount, tdata1 = 0 leaves the trigger as it was, mtval 0, and action-0 triggers fire in M with MIE = 0 (the spec's re-entrancy rule)",
  "trigger-dmode": "QEMU 7.2 has 2 triggers and no dmode (no external debugger owns any): the enumeration finds 2 instead of 4",
};

/** QEMU options a guest needs to see the board as wasmvisor shows it. */
export const QEMU_OPTIONS: Record<string, string[]> = {
  // QEMU 7.2's virtio-mmio transports are legacy (version 1) unless told otherwise.
  vslots: ["-global", "virtio-mmio.force-legacy=false"],
  // wasmvisor's default RTC epoch, on QEMU's virtual clock (which -icount makes exact).
  rtc: ["-rtc", "base=2026-01-01T00:00:00,clock=vm"],
};

function runQemu(name: string, input = "", harts = 1, parallel = false): { output: string; status: number | null } {
  // A guest that reads no input runs on QEMU's instruction counter (-icount, idle time skipped)
  // instead of the host's clock: its timers then cannot be stretched by a loaded host (the
  // timer guest checks its 20 ticks took 20-21 ms). Guests that read input keep the host's
  // clock, so that their input (written at once) arrives before their time-outs. -icount runs
  // the harts one at a time on one thread; `parallel` leaves it out and asks for a thread per
  // hart (multi-threaded TCG), for guests whose output does not depend on time.
  const clock = parallel ? ["-accel", "tcg,thread=multi"] : input === "" ? ["-icount", "shift=4,sleep=off"] : [];
  const r = spawnSync(QEMU, [
    "-M", "virt", "-bios", "none", "-cpu", "rv32,f=true,d=true,h=false", ...clock,
    "-display", "none", "-serial", "stdio", "-monitor", "none", ...(harts > 1 ? ["-smp", String(harts)] : []),
    ...(QEMU_OPTIONS[name] ?? []), "-kernel", guestPath(name),
  ], { input, encoding: "latin1", timeout: 60_000 });
  // A guest that waits for an interrupt that already came and went hangs on QEMU, whose mtime
  // follows the host's clock (see interrupts.S); say so rather than compare empty output.
  if (r.error || r.signal) {
    throw new Error(`QEMU did not finish ${name} (${r.error?.message ?? r.signal}); output so far: ${JSON.stringify(r.stdout)}`);
  }
  return { output: r.stdout, status: r.status };
}

describe.skipIf(!hasQemu)("wasmvisor and QEMU agree", () => {
  for (const g of GUESTS) {
    const reason = NOT_ON_QEMU[g.name];
    it.skipIf(reason !== undefined)(`${g.name}${reason ? ` (skipped: ${reason})` : ""}`, async () => {
      const q = runQemu(g.name, g.input, g.harts);
      const w = await runGuest("wasm", guestElf(g.name), { input: g.input, harts: g.harts });
      expect(w.output).toBe(q.output);
      expect(w.halt?.status).toBe(q.status);
    }, 120_000);
  }
});

/** Guests written for harts that run at the same time (docs/smp.md): also compared at other hart
 *  counts than the table's, and with QEMU running each hart on a thread of its own. */
const PARALLEL_GUESTS = ["parstress", "parbench-short", "partimer"];

describe.skipIf(!hasQemu)("wasmvisor and QEMU agree on the parallel-harts guests at other hart counts", () => {
  for (const name of PARALLEL_GUESTS) {
    for (const [harts, parallel] of [[1, false], [4, false], [2, true], [4, true]] as const) {
      it(`${name}, ${harts} hart${harts > 1 ? "s" : ""}${parallel ? ", QEMU multi-threaded" : ""}`, async () => {
        const q = runQemu(name, "", harts, parallel);
        const w = await runGuest("wasm", guestElf(name), { harts });
        expect(w.output).toBe(q.output);
        expect(w.halt?.status).toBe(q.status);
        expect(q.status).toBe(0);
      }, 120_000);
    }
  }
});

describe.skipIf(hasQemu)("QEMU comparison", () => {
  it("is skipped: qemu-system-riscv32 is not installed (install qemu-system-misc)", () => {});
});
