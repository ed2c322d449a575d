// The partitioned system: several guests at once, each exactly as it runs alone; supervisor-mode
// guests and the SBI; Sv32 through shadow tables and nested paging; the scheduler's windows,
// priorities and budgets; halts, events, consoles and statistics. Every scenario runs on both
// cores and both paging modes, and all four runs must agree exactly.
import { describe, expect, it, vi } from "vitest";
import { GUESTS } from "./support/guests-table.ts";
import { runGuest } from "./support/harness.ts";
import { CORES, guestElf } from "./support/harness.ts";
import { makeHypervisor, runAll, runEverywhere, runFor, type SystemRun } from "./support/system.ts";
import { loadWasmModule } from "../src/node/core-file.ts";
import { Hypervisor, STATUS_FAULT } from "../src/api/hypervisor.ts";
import { MemoryDisk } from "../src/devices/virtio-blk.ts";

const guest = (name: string) => GUESTS.find((g) => g.name === name)!;

describe("partitions run side by side", () => {
  const names = ["hello", "timer", "rv32i", "sv32", "traps", "interrupts", "echo", "uartirq"];
  it(`${names.join(", ")} at once: each prints and retires exactly what it does alone`, async () => {
    const description = {
      name: "many",
      partitions: names.map((n, i) => ({ name: n, image: n, ram: "1M", priority: i % 3 })),
      schedule: {
        majorFrame: "80us", // 1,000-cycle windows: every guest is preempted many times
        windows: names.map((n) => ({ length: "10us", partitions: [n] })),
      },
    };
    const input = Object.fromEntries(names.filter((n) => guest(n).input).map((n) => [n, guest(n).input!]));
    const r = await runEverywhere(description, { input });
    expect(r.result.reason).toBe("halted");
    for (const n of names) {
      const g = guest(n);
      expect(r.output[n] ?? "", `${n} output`).toBe(g.output);
      expect(r.result.partitions.find((p) => p.name === n)!.halt!.status, `${n} status`).toBe(g.status);
      const p = r.stats.partitions.find((p) => p.name === n)!;
      expect(p.instructions, `${n} instructions`).toBe(g.instructions);
      // It was preempted at every window end: one window per 1,000 cycles of work (the timer
      // guest, last to finish, ends up alone and is no longer switched).
      if (n !== "timer") expect(p.exits.switchesIn, `${n} switches`).toBeGreaterThanOrEqual(Math.ceil(p.cycles / 1000) - 1);
    }
  }, 120_000);

  it("two partitions sharing one window take turns and still match their solo runs", async () => {
    const description = {
      quantum: "20us",
      partitions: [{ name: "a", image: "rv32m" }, { name: "b", image: "csr" }],
    };
    const r = await runEverywhere(description);
    expect(r.output.a).toBe(guest("rv32m").output);
    expect(r.output.b).toBe(guest("csr").output);
    expect(r.stats.partitions.map((p) => p.instructions)).toEqual([guest("rv32m").instructions, guest("csr").instructions]);
  }, 60_000);
});

describe("the board's own devices in partitions: RTC, empty virtio slots, the UART's FIFO", () => {
  // Each board's RTC alarm and UART character timeout are deadlines of virtual time that the
  // run loop fires exactly (src/devices/device-timer.ts): in 10 µs windows, beside each other,
  // the guests print exactly what they do alone on the bare machine.
  const names = ["rtc", "uartloop", "uartfifo", "vslots"];
  it(`${names.join(", ")} at once: each prints exactly what it does alone (and retires it, but for a polling loop)`, async () => {
    const description = {
      partitions: names.map((n) => ({ name: n, image: n, ram: "1M" })),
      schedule: { majorFrame: "40us", windows: names.map((n) => ({ length: "10us", partitions: [n] })) },
    };
    const input = Object.fromEntries(names.filter((n) => guest(n).input).map((n) => [n, guest(n).input!]));
    const r = await runEverywhere(description, { input });
    expect(r.result.reason).toBe("halted");
    for (const n of names) {
      expect(r.output[n] ?? "", `${n} output`).toBe(guest(n).output);
      // (uartloop polls IIR for 4 character times of virtual time: with a quarter of the CPU
      // it spins a quarter as often; the others wait in WFI)
      if (n !== "uartloop") expect(r.stats.partitions.find((p) => p.name === n)!.instructions, `${n} instructions`).toBe(guest(n).instructions);
    }
  }, 120_000);

  it("each partition's RTC: the system's epoch plus its own time; a guest's write moves its own only", async () => {
    const runs = await runAll({
      rtcEpoch: "2001-09-09T01:46:40Z", // 1,000,000,000 s
      partitions: [{ name: "rtc", image: "rtc", ram: "1M" }, { name: "hello", image: "hello", ram: "1M" }],
    });
    const r = runs[0];
    // The rtc guest set its clock to 2030-06-15T12:00:00Z; the other partition kept the epoch.
    const seconds = (p: string) => Number(r.hv.board(p).rtc.time() / 1_000_000_000n);
    expect(seconds("rtc") - 1_907_755_200).toBeGreaterThanOrEqual(0);
    expect(seconds("rtc") - 1_907_755_200).toBeLessThan(1);
    expect(seconds("hello")).toBe(1_000_000_000);
    // ... its time is the epoch plus its own virtual time, to the 100 ns of an mtime tick.
    expect(r.hv.board("hello").rtc.time()).toBe(1_000_000_000n * 1_000_000_000n + BigInt(Math.floor(r.hv.clock() / 10)) * 100n);
    // (the rtc guest checks the date it starts from against the default epoch: here it is 2001)
    expect(r.output.rtc).toMatch(/^RTC: 2001-09-09, later than expected\n/);
  }, 60_000);

  it("all eight virtio-mmio slots answer: the partition's devices in theirs (blk 0, console 1), the rest empty", async () => {
    const hv = new Hypervisor({ partitions: [{ name: "v", image: "vslots", ram: "1M", disk: "d", devices: ["uart", "clint", "plic", "finisher", "virtio-console"] }] }, {
      core: "wasm", wasmModule: await loadWasmModule(), loadImage: (i) => guestElf(i), openDisk: () => new MemoryDisk(new Uint8Array(4096)),
    });
    let out = "";
    hv.on("output", (e) => { out += Buffer.from(e.data).toString("latin1"); });
    await hv.run();
    const slots = out.split("\n").filter((l) => l.startsWith("slot ") && l.includes(" at "));
    expect(slots.map((l) => l.replace(/^slot (\d) at 0x\w+: magic 74726976 version 2 device (\d+)$/, "$1:$2"))).toEqual(
      ["0:2", "1:3", "2:0", "3:0", "4:0", "5:0", "6:0", "7:0"]);
    // (the guest expects every slot empty: the two real devices fail its checks, and only those)
    expect(out).toMatch(/^slot 0: vendor ID: FAIL\n|^slot 0: other registers: FAIL\n/m);
    expect(out).not.toMatch(/^slot [2-7]: /m);
  }, 60_000);

  it("in wall-clock mode the RTC follows the host's clock", async () => {
    const hv = new Hypervisor({ partitions: [{ name: "h", image: "hello", ram: "1M" }] }, {
      core: "wasm", wasmModule: await loadWasmModule(), wallClock: true, loadImage: (i) => guestElf(i),
    });
    await hv.start();
    const before = BigInt(Date.now()) * 1_000_000n;
    const t = hv.board("h").rtc.time();
    const after = BigInt(Date.now()) * 1_000_000n;
    expect(t >= before && t <= after).toBe(true);
  });
});

describe("shared memory", () => {
  it("two partitions exchange data through a region; read-only and non-executable mappings fault", async () => {
    const r = await runEverywhere({
      memoryRegions: [{ name: "mail", size: "4K" }, { name: "notice", size: "4K" }],
      partitions: [
        { name: "w", image: "shm", ram: "64K", mappings: [{ region: "mail", address: "0x90000000" }, { region: "notice", address: "0x90010000" }] },
        { name: "r", image: "shm", ram: "64K", mappings: [{ region: "mail", address: "0x90000000", perms: "rw" }, { region: "notice", address: "0x90010000", perms: "r" }] },
      ],
    });
    expect(r.output.r).toBe(
      'reader: mail says "hello from partition 0", notice says "read-only for partition 1"\n' +
      "reader: a store to the read-only notice faulted\n" +
      "reader: a jump into the mail (not executable) faulted\n");
    expect(r.output.w).toBe("writer: the reader acknowledged\n");
    expect(r.result.status).toBe(0);
  }, 60_000);

  it("without the region the reader's loads fault: nothing is shared by accident", async () => {
    const r = await runEverywhere({
      memoryRegions: [{ name: "mail", size: "4K" }, { name: "notice", size: "4K" }],
      partitions: [
        { name: "w", image: "shm", ram: "64K", mappings: [{ region: "mail", address: "0x90000000" }, { region: "notice", address: "0x90010000" }] },
        { name: "r", image: "shm", ram: "64K" },
      ],
    }, { maxInsns: 1_000_000 });
    // The reader's first look at the flag is a load access fault its handler does not expect.
    expect(r.output.r).toBe("shm: FAIL\n");
    expect(r.result.partitions[1].halt?.status).toBe(1);
    expect(r.result.partitions[0].halt).toBeNull(); // the writer waits for an acknowledgement forever
  }, 60_000);
});

describe("supervisor-mode partitions", () => {
  it("sbi: the SBI v2.0 extensions, a PLIC interrupt to S, the hypercalls and M-mode out of reach", async () => {
    const r = await runEverywhere({ partitions: [{ name: "s", image: "sbi", mode: "supervisor", ram: "1M" }] }, { input: { s: "x" } });
    expect(r.output.s).toBe("sbi: console through DBCN\nsbi: PASS\n");
    expect(r.result.partitions[0].halt).toMatchObject({ kind: "shutdown", status: 0 });
    expect(r.stats.partitions[0].exits.sbi).toBeGreaterThan(40);
  }, 60_000);

  it("sv32s: the guest's own page tables through shadow tables and nested paging", async () => {
    const runs = await runAll({ partitions: [{ name: "s", image: "sv32s", mode: "supervisor", ram: "1M" }] });
    for (const r of runs) {
      expect(r.output.s).toBe("sv32s: PASS\n");
      expect(r.result.status).toBe(0);
    }
    for (const core of CORES) {
      const shadow = runFor(runs, core, "shadow").stats.partitions[0].paging;
      const nested = runFor(runs, core, "nested").stats.partitions[0].paging;
      expect(shadow.shadowFills).toBeGreaterThan(10); // translations were composed and cached
      expect(nested.shadowFills).toBe(0); // nested paging walks both stages on every miss instead
      expect(nested.walks).toBeGreaterThan(10);
      expect(shadow).toEqual(runFor(runs, "wasm", "shadow").stats.partitions[0].paging);
    }
  }, 60_000);

  it("ptbench (the paging benchmark): correct in both modes; shadow paging walks far less", async () => {
    const runs = await runAll({ partitions: [{ name: "pt", image: "ptbench", mode: "supervisor", ram: "4M" }] });
    expect(runs[0].output.pt).toBe("ptbench: PASS\n");
    for (const core of CORES) {
      const shadow = runFor(runs, core, "shadow").stats.partitions[0].paging;
      const nested = runFor(runs, core, "nested").stats.partitions[0].paging;
      // 1,000 rounds × 2 address spaces × 512 pages, nearly all TLB misses: nested paging walks
      // on each; shadow paging fills each translation once and then hits.
      expect(nested.walks).toBeGreaterThan(1_000_000);
      expect(shadow.shadowFills).toBeLessThan(2_000);
      expect(shadow.shadowHits).toBeGreaterThan(1_000_000);
    }
  }, 120_000);

  it("a supervisor guest that reports a failure through SRST ends with status 1", async () => {
    // hostile.S's first check fails when the partition has an extra device window mapped.
    const r = await runEverywhere({
      memoryRegions: [{ name: "extra", size: "4K" }],
      partitions: [{ name: "h", image: "hostile", mode: "supervisor", ram: "1M", mappings: [{ region: "extra", address: "0x20000000", perms: "r" }] }],
    }, { maxInsns: 10_000_000 });
    expect(r.output.h).toBe("hostile: FAIL test 1: got 0x0000000a expected 0x00000009\n");
    expect(r.result.partitions[0].halt).toMatchObject({ kind: "shutdown", status: 1 });
    expect(r.result.status).toBe(1);
  }, 60_000);
});

describe("Sv32, PMP, Sstc and Sdtrig in a partition behave as on the bare machine", () => {
  for (const name of ["sv32", "csr", "traps", "interrupts", "irq-priority", "pmp", "sstc", "trigger", "trigger-edge", "trigger-dmode"]) {
    it(`${name}: same output, instructions and final registers`, async () => {
      const bare = await runGuest("wasm", guestElf(name));
      const r = await runEverywhere({ partitions: [{ name, image: name, ram: "1M" }] });
      expect(r.output[name]).toBe(bare.output);
      expect(r.stats.partitions[0].instructions).toBe(bare.retired);
      const regs = r.hv.board(name).registers();
      expect(regs.x).toEqual(bare.x);
      expect(regs.pc).toBe(bare.pc);
    }, 60_000);
  }
});

describe("scheduling", () => {
  const spinners = (extra: object[] = []) => [
    { name: "a", image: "spin", ram: "64K", ...extra[0] },
    { name: "b", image: "spin", ram: "64K", ...extra[1] },
  ];
  const cycles = (r: SystemRun) => r.stats.partitions.map((p) => p.cycles);

  it("windows: each partition gets exactly its windows' share of the frame", async () => {
    // 10 frames of 1 ms (100,000 cycles): a gets 300 µs, b 600 µs, 100 µs is idle.
    const r = await runEverywhere({
      partitions: spinners(),
      schedule: { majorFrame: "1ms", windows: [{ length: "300us", partitions: ["a"] }, { start: "400us", length: "600us", partitions: ["b"] }] },
    }, { maxInsns: 900_000 });
    expect(r.result.reason).toBe("limit");
    expect(cycles(r)).toEqual([300_000, 600_000]);
    expect(r.stats.cycles).toBe(1_000_000); // ten frames, gaps included
  }, 60_000);

  it("priorities: the higher one runs; with an MCS budget it gets exactly budget/period", async () => {
    const r = await runEverywhere({
      partitions: spinners([{ priority: 5, budget: "200us", period: "1ms" }, { priority: 1 }]),
    }, { maxInsns: 1_000_000 });
    expect(cycles(r)).toEqual([200_000, 800_000]);
    const unlimited = await runEverywhere({ partitions: spinners([{ priority: 5 }, { priority: 1 }]) }, { maxInsns: 1_000_000 });
    expect(cycles(unlimited)).toEqual([1_000_000, 0]);
  }, 60_000);

  it("equal priorities take turns a quantum at a time", async () => {
    const r = await runEverywhere({ quantum: "50us", partitions: spinners() }, { maxInsns: 1_000_000 });
    expect(cycles(r)).toEqual([500_000, 500_000]);
    expect(r.stats.worldSwitches).toBe(1_000_000 / 5_000 - 1);
  }, 60_000);

  it("a yield hypercall hands the CPU to the next partition at once", async () => {
    const r = await runEverywhere({ partitions: [{ name: "a", image: "yield", ram: "64K" }, { name: "b", image: "yield", ram: "64K" }] }, { maxInsns: 60_000 });
    const [a, b] = r.stats.partitions;
    expect(Math.abs(a.instructions - b.instructions)).toBeLessThanOrEqual(5);
    // Every slice is one round of the loop: 6 instructions (the ECALL retires).
    expect(r.stats.worldSwitches).toBeGreaterThanOrEqual(60_000 / 6 - 2);
    expect(Math.abs(a.exits.sbi + b.exits.sbi - r.stats.worldSwitches)).toBeLessThanOrEqual(1); // one switch per yield
  }, 60_000);

  it("a partition waiting in WFI gives its window's time to nobody: the clock skips ahead", async () => {
    const r = await runEverywhere({
      partitions: [{ name: "t", image: "timer", ram: "1M" }, { name: "s", image: "spin", ram: "64K" }],
      schedule: { majorFrame: "1ms", windows: [{ length: "500us", partitions: ["t"] }, { length: "500us", partitions: ["s"] }] },
    }, { stopWhenHalted: ["t"] });
    expect(r.output.t).toBe(guest("timer").output);
    // The spinner had all of its windows and nothing more: half the time up to the timer's end.
    const spin = r.stats.partitions[1].cycles;
    expect(Math.abs(spin - r.haltedAt.t / 2)).toBeLessThanOrEqual(50_000);
  }, 60_000);
});

describe("slicing", () => {
  for (const core of CORES) {
    it(`how the host advances the system never changes what the partitions see (${core})`, async () => {
      // A storm of SBI calls and interrupts (hostile) next to a victim in a shared window, where
      // slices end at budgets and replenishments: advanced in chunks of 1, 997 and 100,000
      // cycles, every partition's counters and the victim's output are the same.
      const description = {
        quantum: "100us",
        partitions: [
          { name: "other", image: "hostile", mode: "supervisor", ram: "1M", priority: 5, budget: "50us", period: "100us" },
          { name: "victim", image: "ticks", ram: "1M", priority: 1 },
        ],
      };
      const views: unknown[] = [];
      for (const chunk of [1, 997, 100_000]) {
        const hv = makeHypervisor(description, { core, wasmModule: await loadWasmModule() });
        let out = "";
        hv.console("victim").onData((d) => { out += Buffer.from(d).toString(); });
        await hv.start();
        const total = chunk === 1 ? 300_000 : 2_000_000;
        while (hv.clock() < total) hv.advance(Math.min(chunk, total - hv.clock()));
        hv.board("victim").flushOutput();
        const st = hv.stats();
        views.push({ clock: hv.clock(), parts: st.partitions.map((p) => [p.instructions, p.cycles, p.exits.traps, p.exits.sbi]), out: out.slice(0, 200) });
        if (chunk !== 1) expect(hv.clock()).toBe(2_000_000);
      }
      // The 1-cycle run is shorter: compare it with the others at its own length.
      const short = makeHypervisor(description, { core, wasmModule: await loadWasmModule() });
      await short.start();
      short.advance(300_000);
      const st = short.stats();
      expect((views[0] as { parts: unknown }).parts).toEqual(st.partitions.map((p) => [p.instructions, p.cycles, p.exits.traps, p.exits.sbi]));
      expect(views[2]).toEqual(views[1]);
    }, 120_000);
  }
});

describe("halts, events and consoles", () => {
  it("a partition that stops stops alone; the system reports a status per partition", async () => {
    const r = await runEverywhere({
      partitions: [
        { name: "fails", image: "exitcode", ram: "1M" },
        { name: "loops", image: "trap-loop", ram: "64K" },
        { name: "works", image: "rv32a", ram: "1M" },
      ],
    });
    expect(r.result.reason).toBe("halted");
    expect(r.result.partitions.map((p) => [p.name, p.halt?.kind, p.halt?.status])).toEqual([
      ["fails", "fail", 42], ["loops", "fault", STATUS_FAULT], ["works", "pass", 0],
    ]);
    expect(r.result.status).toBe(42); // the first failing partition's status
    expect(r.output.works).toBe(guest("rv32a").output);
    expect(r.result.partitions[1].halt!.message).toMatch(/fatal fault: it traps without end \(mcause 0x1, mtvec 0x0, pc 0x0\)/);
  }, 60_000);

  it("emits halted and fault events, streams each console, takes input per partition", async () => {
    const r = await runEverywhere({
      partitions: [{ name: "e", image: "echo", ram: "1M" }, { name: "x", image: "trap-loop", ram: "64K" }],
    }, { input: { e: "abc\nquit\n" } });
    expect(r.output.e).toBe("echo ready\n1: ABC\n1 lines\n");
    expect(r.output.x).toBe("trap-loop: mtvec = 0, faulting\n");
    const hv = r.hv;
    expect(hv.halted.map((h) => h?.kind)).toEqual(["pass", "fault"]);
  }, 60_000);

  const endClocks: Record<string, number> = {};
  for (const core of CORES) {
    it(`events fire once per halt, faults also as fault events; step() advances time (${core})`, async () => {
      const hv = makeHypervisor({
        partitions: [{ name: "h", image: "hello", ram: "1M" }, { name: "x", image: "trap-loop", ram: "64K" }],
      }, { core, wasmModule: await loadWasmModule() });
      const halted: string[] = [];
      const faults: string[] = [];
      let text = "";
      hv.on("halted", (e) => halted.push(`${e.partition}:${e.halt.kind}`));
      hv.on("fault", (e) => faults.push(e.partition));
      hv.console("h").onData((d) => { text += Buffer.from(d).toString(); });
      expect(await hv.step(1000)).toBe(1000);
      expect(halted).toEqual([]);
      const result = await hv.run();
      expect(halted.sort()).toEqual(["h:pass", "x:fault"]);
      expect(faults).toEqual(["x"]);
      expect(text).toBe(guest("hello").output);
      expect(result.status).toBe(STATUS_FAULT);
      endClocks[core] = hv.clock(); // the cores agree on when the system ended
      if (core === CORES[CORES.length - 1]) expect(endClocks[core]).toBe(endClocks[CORES[0]]);
      expect(() => hv.console("nope")).toThrow(/no partition "nope"; the partitions are h, x/);
    }, 60_000);

    it(`stop() ends a run early; statistics count per partition (${core})`, async () => {
      const hv = makeHypervisor({ partitions: [{ name: "s", image: "spin", ram: "64K" }, { name: "h", image: "hello", ram: "1M" }] },
        { core, wasmModule: await loadWasmModule() });
      hv.on("halted", () => hv.stop());
      const result = await hv.run();
      expect(result.reason).toBe("stopped");
      expect(result.partitions[0].halt).toBeNull();
      const st = hv.stats();
      expect(st.partitions[1].instructions).toBe(guest("hello").instructions);
      expect(st.partitions[1].exits.mmio).toBeGreaterThan(0);
      expect(st.instructions).toBe(st.partitions[0].instructions + st.partitions[1].instructions);
      expect(st.partitions[0].share + st.partitions[1].share).toBeCloseTo(1, 5);
    }, 60_000);
  }
});

describe("wall-clock mode", () => {
  for (const core of CORES) {
    it(`keeps virtual time from running ahead of real time, with the same results (${core})`, async () => {
      const description = { partitions: [{ name: "t", image: "timer", ram: "1M" }] };
      const run = async (wallClock: boolean) => {
        const hv = new Hypervisor(description, { core, wallClock, wasmModule: await loadWasmModule(), loadImage: (i) => guestElf(i) });
        let out = "";
        hv.on("output", (e) => { out += Buffer.from(e.data).toString("latin1"); });
        const t0 = performance.now();
        const result = await hv.run();
        return { out, result, real: performance.now() - t0, virtual: hv.stats().seconds * 1000, instructions: hv.stats().instructions };
      };
      const paced = await run(true);
      const free = await run(false);
      expect(paced.out).toMatch(/elapsed time within \[20, 21\] ms/);
      expect(paced.virtual).toBeGreaterThan(20);
      expect(paced.real).toBeGreaterThanOrEqual(paced.virtual - 2); // never ahead (5 ms steps, 1 ms slack)
      expect(paced.out).toBe(free.out);
      expect(paced.result).toEqual(free.result);
    }, 60_000);
  }

  it("setWallClock switches the pacing between runs (the page's speed control), with the same results", async () => {
    // The periodic guest works briefly every millisecond and waits in WFI between: unpaced, the
    // waits are skipped and 100 ms of virtual time pass in far less real time; paced, never in
    // less. A wall-clock Hypervisor made unpaced, and an unpaced one made paced after 20 ms, see
    // the same thing.
    const description = { partitions: [{ name: "p", image: "periodic", ram: "1M" }] };
    const make = async (wallClock: boolean) => {
      const hv = new Hypervisor(description, { core: "wasm", wallClock, wasmModule: await loadWasmModule(), loadImage: (i) => guestElf(i) });
      let out = "";
      hv.on("output", (e) => { out += Buffer.from(e.data).toString("latin1"); });
      await hv.start(); // (compiling and loading are not part of the pace)
      return { hv, out: () => out };
    };
    const ms = (n: number) => n * 100_000; // cycles at the default 100 MHz

    const fast = await make(true);
    fast.hv.setWallClock(false);
    let t0 = performance.now();
    const fastResult = await fast.hv.run({ maxClock: ms(100) });
    expect(fastResult.reason).toBe("limit");
    expect(performance.now() - t0).toBeLessThan(50); // not paced

    const paced = await make(false);
    await paced.hv.run({ maxClock: ms(20) });
    paced.hv.setWallClock(true);
    t0 = performance.now();
    const pacedResult = await paced.hv.run({ maxClock: ms(100) });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(80 - 2); // never ahead (5 ms steps, 1 ms slack)
    expect(paced.hv.clock()).toBe(fast.hv.clock());
    expect(paced.out()).toBe(fast.out());
    expect(pacedResult).toEqual(fastResult);
    expect(paced.hv.stats().instructions).toBe(fast.hv.stats().instructions);
  }, 60_000);

  it("yields to the host without setImmediate, as in a browser or a worker", async () => {
    vi.stubGlobal("setImmediate", undefined);
    vi.resetModules();
    try {
      const { Hypervisor: Fresh } = await import("../src/api/hypervisor.ts");
      const hv = new Fresh({ partitions: [{ name: "s", image: "spin", ram: "1M" }] }, { core: "wasm", wasmModule: await loadWasmModule(), loadImage: (i) => guestElf(i) });
      // With console input open, run() gives the event loop a turn after every step (4 M cycles).
      const result = await hv.run({ inputOpen: () => true, maxInsns: 20_000_000 });
      expect(result.reason).toBe("limit");
      expect(hv.stats().instructions).toBeGreaterThanOrEqual(20_000_000);
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  }, 60_000);
});
