// The schedule timeline and its Chrome trace: the core records every change of what runs at its
// exact virtual time (assembly/kernel/timeline.ts), the host emits them as "switch" events and
// device accesses, forwarded hypercalls and halts as "exit" events (src/api/hypervisor.ts), and
// TraceRecorder (src/debug/chrome-trace.ts) turns both into Trace Event Format JSON. Every run
// happens on both cores, which must agree exactly.
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hypervisor, type SwitchEvent, type ExitEvent, type HypervisorOptions } from "../src/api/hypervisor.ts";
import { TraceRecorder, type ChromeTrace } from "../src/debug/chrome-trace.ts";
import { loadWasmModule } from "../src/node/core-file.ts";
import { cli } from "./support/cli.ts";
import { CORES, guestElf, ROOT } from "./support/harness.ts";

async function makeHv(description: unknown, core: "wasm" | "ts", options: Partial<HypervisorOptions> = {}): Promise<Hypervisor> {
  return new Hypervisor(description, { core, wasmModule: await loadWasmModule(), loadImage: (i) => guestElf(i), ...options });
}

/** Record a run's switch and exit events. */
function listen(hv: Hypervisor): { switches: SwitchEvent[]; exits: ExitEvent[] } {
  const switches: SwitchEvent[] = [];
  const exits: ExitEvent[] = [];
  hv.on("switch", (e) => switches.push(e));
  hv.on("exit", (e) => exits.push(e));
  return { switches, exits };
}

/** Cycles each partition ran according to the switch events, up to `end`. */
function cyclesRun(switches: SwitchEvent[], end: number): Map<string | null, number> {
  const sums = new Map<string | null, number>();
  switches.forEach((e, i) => {
    const to = i + 1 < switches.length ? switches[i + 1].at : end;
    sums.set(e.partition, (sums.get(e.partition) ?? 0) + to - e.at);
  });
  return sums;
}

// 100 MHz (10 cycles per 10 MHz tick): 1 µs = 100 cycles. A 20 µs frame: a window of 8 µs for
// a and b, where b (higher priority) has 1 µs of budget per 4 µs; a gap; 6 µs for c; a gap.
const WINDOWS = {
  name: "windows",
  partitions: [
    { name: "a", image: "spin", ram: "64K", priority: 1 },
    { name: "b", image: "spin", ram: "64K", priority: 2, budget: "1us", period: "4us" },
    { name: "c", image: "spin", ram: "64K" },
  ],
  schedule: {
    majorFrame: "20us",
    windows: [{ start: 0, length: "8us", partitions: ["a", "b"] }, { start: "10us", length: "6us", partitions: ["c"] }],
  },
};
/** The switches of one frame starting at `base`: who runs from which cycle on. */
const FRAME = (base: number): SwitchEvent[] => [
  { at: base, partition: "b", reason: "schedule" },
  { at: base + 100, partition: "a", reason: "schedule" }, // b's budget is spent
  { at: base + 400, partition: "b", reason: "schedule" }, // replenished: b preempts a
  { at: base + 500, partition: "a", reason: "schedule" },
  { at: base + 800, partition: null, reason: "idle" }, // the gap after the first window
  { at: base + 1000, partition: "c", reason: "schedule" },
  { at: base + 1600, partition: null, reason: "idle" },
];

const IPC_BENCH = JSON.parse(readFileSync(join(ROOT, "guests/ipc/bench-system.json"), "utf8"));

/** Run the IPC benchmark until the client has finished. */
async function runIpcBench(core: "wasm" | "ts", options: Partial<HypervisorOptions>, subscribe: boolean) {
  const hv = await makeHv(IPC_BENCH, core, options);
  const ev = subscribe ? listen(hv) : { switches: [], exits: [] };
  let client = "";
  hv.on("output", (e) => { if (e.partition === "client") client += Buffer.from(e.data).toString("latin1"); });
  hv.on("halted", (e) => { if (e.partition === "client") hv.stop(); });
  await hv.run({ maxInsns: 50_000_000 });
  return { hv, ...ev, client, stats: hv.stats(), clock: hv.clock() };
}

describe("switch events", () => {
  it("follow the configured windows, budgets and idle gaps to the cycle, on both cores", async () => {
    const runs = [];
    for (const core of CORES) {
      const hv = await makeHv(WINDOWS, core);
      const { switches } = listen(hv);
      expect(await hv.step(10 * 2000)).toBe(20_000); // ten frames
      expect(switches).toEqual(Array.from({ length: 10 }, (_, k) => FRAME(k * 2000)).flat());
      // Each partition's time in the timeline is what it ran (instructions + traps), exactly.
      const sums = cyclesRun(switches, hv.clock());
      const stats = hv.stats();
      for (const p of stats.partitions) expect(sums.get(p.name), p.name).toBe(p.cycles);
      expect(stats.partitions.map((p) => p.cycles)).toEqual([6000, 2000, 6000]);
      expect(sums.get(null)).toBe(6000);
      expect(stats.switchEvents).toEqual({ emitted: 70, lost: 0 });
      runs.push(switches);
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  it("include the IPC fast path's switches inside a slice, at their exact cycles", async () => {
    const runs = [];
    for (const core of CORES) {
      const r = await runIpcBench(core, {}, true);
      expect(r.client).toContain("ipcbench: 20000 calls, 0 failed, 20 cycles each\n");
      const calls = r.switches.filter((e) => e.reason === "ipc-call");
      const replies = r.switches.filter((e) => e.reason === "ipc-reply");
      expect(calls.length).toBe(r.stats.ipc.fastCalls);
      expect(replies.length).toBe(r.stats.ipc.fastReplies);
      // Every call but the first: that one comes before the passive server has initialised (it
      // does in idle time) and waits in its queue (slow path).
      expect(calls.length).toBe(19_999);
      expect(calls.every((e) => e.partition === "srv")).toBe(true);
      expect(replies.every((e) => e.partition === "client")).toBe(true);
      // Every call is followed by its reply; the server runs its loop (j, li, wvcall) in between:
      // 3 cycles.
      const served = r.switches.flatMap((e, i) => e.reason === "ipc-call" ? [[r.switches[i + 1].reason, r.switches[i + 1].at - e.at]] : []);
      expect(served.every(([reason, cycles]) => reason === "ipc-reply" && cycles === 3)).toBe(true);
      // Times never go back. Two switches at one cycle happen only when a fast-path switch comes
      // just as the slice ends: the partition it switched to gets no cycle before the scheduler
      // picks the next one.
      expect(r.switches.every((e, i) => i === 0 || e.at >= r.switches[i - 1].at)).toBe(true);
      const same = r.switches.flatMap((e, i) => i > 0 && e.at === r.switches[i - 1].at ? [[r.switches[i - 1].reason, e.reason]] : []);
      expect(same.every(([before, after]) => before!.startsWith("ipc-") && after === "schedule")).toBe(true);
      // The timeline accounts for every cycle each partition ran.
      const sums = cyclesRun(r.switches, r.clock);
      for (const p of r.stats.partitions) expect(sums.get(p.name) ?? 0, p.name).toBe(p.cycles);
      expect(r.stats.switchEvents.lost).toBe(0);
      runs.push(r.switches);
    }
    expect(runs[1]).toEqual(runs[0]);
  }, 60_000);

  it("the slow path's switches come from the scheduler; listening changes nothing the guests see", async () => {
    const quiet = await runIpcBench("wasm", {}, false);
    for (const fast of [true, false]) {
      const r = await runIpcBench("wasm", { ipcFastPath: fast }, true);
      expect(r.client).toBe(quiet.client);
      if (fast) {
        expect(r.clock).toBe(quiet.clock);
        expect(r.stats.partitions.map((p) => p.cycles)).toEqual(quiet.stats.partitions.map((p) => p.cycles));
      } else {
        expect(r.switches.some((e) => e.reason === "ipc-call" || e.reason === "ipc-reply")).toBe(false);
        expect(r.switches.filter((e) => e.partition === "srv").length).toBeGreaterThanOrEqual(20_000);
      }
    }
  }, 60_000);

  it("a timeline that overflows between drains reports what it lost instead of wrapping silently", async () => {
    // Two partitions in 10-cycle windows: 20,000 switches in one step of the run, when the core's
    // ring holds 4,096.
    const tiny = {
      partitions: [{ name: "a", image: "spin", ram: "64K" }, { name: "b", image: "spin", ram: "64K" }],
      schedule: { majorFrame: "20cycles", windows: [{ length: "10cycles", partitions: ["a"] }, { length: "10cycles", partitions: ["b"] }] },
    };
    const every = Array.from({ length: 20_000 }, (_, k): SwitchEvent => ({ at: 10 * k, partition: k % 2 ? "b" : "a", reason: "schedule" }));
    for (const core of CORES) {
      // Without back-pressure: the latest 4,096, and the first of them says how many came before.
      const lossy = await makeHv(tiny, core, { switchBackpressure: false });
      const l = listen(lossy);
      await lossy.step(200_000);
      expect(lossy.stats().switchEvents).toEqual({ emitted: 4096, lost: 15_904 });
      expect(l.switches).toEqual([{ ...every[15_904], lost: 15_904 }, ...every.slice(15_905)]);
      // With back-pressure (the default) the run pauses to drain: nothing is lost.
      const whole = await makeHv(tiny, core);
      const w = listen(whole);
      await whole.step(200_000);
      expect(w.switches).toEqual(every);
      expect(whole.stats().switchEvents).toEqual({ emitted: 20_000, lost: 0 });
      expect(whole.stats().partitions.map((p) => p.cycles)).toEqual(lossy.stats().partitions.map((p) => p.cycles));
    }
  });
});

describe("exit events", () => {
  it("MMIO accesses, forwarded hypercalls and halts, at exact cycles inside their partition's slices", async () => {
    const description = {
      partitions: [
        { name: "hello", image: "hello", ram: "1M", priority: 1 },
        { name: "sbi", image: "sbi", ram: "1M", mode: "supervisor" },
      ],
      schedule: { majorFrame: "20us", windows: [{ length: "10us", partitions: ["hello"] }, { length: "10us", partitions: ["sbi"] }] },
    };
    const runs = [];
    for (const core of CORES) {
      const hv = await makeHv(description, core);
      const { switches, exits } = listen(hv);
      hv.console("sbi").write("x"); // the guest's console input test reads it
      const result = await hv.run({ maxInsns: 20_000_000 });
      expect(result.status).toBe(0);
      const stats = hv.stats();
      for (const p of stats.partitions) {
        expect(exits.filter((e) => e.partition === p.name && e.kind === "mmio").length, p.name).toBe(p.exits.mmio);
        expect(exits.filter((e) => e.partition === p.name && e.kind === "halt").length, p.name).toBe(1);
      }
      expect(exits.some((e) => e.partition === "hello" && e.detail === "write hello.uart0+0x0 (1 byte)")).toBe(true);
      expect(exits.find((e) => e.partition === "hello" && e.kind === "halt")!.detail).toBe("passed (test finisher 0x5555)");
      const hypercalls = exits.filter((e) => e.kind === "hypercall");
      expect(hypercalls.length).toBeGreaterThan(0);
      expect(hypercalls.every((e) => e.partition === "sbi" && /^SBI (DBCN|legacy console)/.test(e.detail!))).toBe(true);
      // Each exit happened while its partition ran: inside one of its slices (a halt the kernel
      // decides is reported as the slice ends).
      const slices = switches.map((e, i) => ({ who: e.partition, from: e.at, to: i + 1 < switches.length ? switches[i + 1].at : hv.clock() }));
      for (const e of exits) {
        const inside = slices.some((s) => s.who === e.partition && s.from <= e.at && (e.at < s.to || (e.kind === "halt" && e.at === s.to)));
        expect(inside, `${e.kind} ${e.detail} at ${e.at}`).toBe(true);
      }
      runs.push({ switches, exits });
    }
    expect(runs[1]).toEqual(runs[0]);
  }, 60_000);
});

/** Check a trace against the Trace Event Format, field by field; returns its events by phase. */
function validateTrace(trace: ChromeTrace): void {
  expect(Object.keys(trace).sort()).toEqual(["displayTimeUnit", "otherData", "traceEvents"]);
  expect(trace.displayTimeUnit).toBe("ns");
  expect(Array.isArray(trace.traceEvents)).toBe(true);
  const lastX = new Map<number, number>();
  for (const e of trace.traceEvents) {
    const where = JSON.stringify(e);
    expect(typeof e.name, where).toBe("string");
    expect(e.name.length, where).toBeGreaterThan(0);
    expect(["X", "i", "M"], where).toContain(e.ph);
    expect(Number.isFinite(e.ts) && e.ts >= 0, where).toBe(true);
    expect(Number.isInteger(e.pid), where).toBe(true);
    expect(Number.isInteger(e.tid), where).toBe(true);
    if (e.ph === "X") {
      expect(typeof e.dur === "number" && Number.isFinite(e.dur) && e.dur >= 0, where).toBe(true);
      expect(e.cat, where).toBe("schedule");
      expect(e.ts, `X events of thread ${e.tid} in time order: ${where}`).toBeGreaterThanOrEqual(lastX.get(e.tid) ?? 0);
      lastX.set(e.tid, e.ts + e.dur!);
    } else if (e.ph === "i") {
      expect(e.s, where).toBe("t");
      expect(e.cat, where).toBe("exit");
      expect(["mmio", "hypercall", "halt"], where).toContain(e.name);
    } else {
      expect(["process_name", "process_sort_index", "thread_name", "thread_sort_index"], where).toContain(e.name);
      expect(typeof e.args, where).toBe("object");
      if (e.name.endsWith("_name")) expect(typeof e.args!.name, where).toBe("string");
      else expect(Number.isInteger(e.args!.sort_index), where).toBe(true);
    }
  }
}

describe("Chrome trace export", () => {
  it("a slice per stretch a partition ran, exits as instants, named threads: valid Trace Event JSON", async () => {
    const description = {
      ...WINDOWS,
      partitions: [...WINDOWS.partitions.slice(0, 2), { name: "c", image: "hello", ram: "1M" }],
    };
    const texts = [];
    for (const core of CORES) {
      const hv = await makeHv(description, core);
      const rec = new TraceRecorder(hv);
      await hv.step(2 * 2000);
      const parsed = JSON.parse(JSON.stringify(rec)) as ChromeTrace;
      validateTrace(parsed);
      const meta = parsed.traceEvents.filter((e) => e.ph === "M");
      expect(meta.filter((e) => e.name === "thread_name").map((e) => [e.tid, e.args!.name])).toEqual([[1, "a"], [2, "b"], [3, "c"], [4, "idle"]]);
      expect(meta.find((e) => e.name === "process_name")!.args!.name).toBe("wasmvisor: windows");
      const slices = parsed.traceEvents.filter((e) => e.ph === "X");
      // Two frames of the schedule, in µs (100 cycles each); c (hello) prints in its windows.
      const expected = [0, 2000].flatMap((base) => FRAME(base).map((s, i, all) => {
        const end = i + 1 < all.length ? all[i + 1].at : base + 2000;
        return [s.partition ?? "idle", s.at / 100, (end - s.at) / 100, end - s.at];
      }));
      expect(slices.map((e) => [e.name, e.ts, e.dur, e.args!.cycles])).toEqual(expected);
      expect(slices.every((e) => e.tid === (e.name === "idle" ? 4 : ["a", "b", "c"].indexOf(e.name) + 1))).toBe(true);
      const exits = parsed.traceEvents.filter((e) => e.ph === "i");
      expect(exits.length).toBe(hv.stats().partitions[2].exits.mmio);
      expect(exits.every((e) => e.tid === 3 && e.name === "mmio" && ((e.ts >= 10 && e.ts < 16) || (e.ts >= 30 && e.ts < 36)))).toBe(true);
      expect(parsed.otherData).toMatchObject({ cyclesPerSecond: 100_000_000, droppedExits: 0, droppedSlices: 0, lostSwitches: 0 });
      // The streamed form is the same document.
      let streamed = "";
      const n = rec.write((chunk) => { streamed += chunk; });
      expect(JSON.parse(streamed)).toEqual(parsed);
      expect(n).toBe(parsed.traceEvents.length);
      texts.push(streamed);
    }
    expect(texts[1]).toBe(texts[0]);
  });

  it("maxEvents: exits are dropped first, then slices; otherData says how many", async () => {
    const description = {
      ...WINDOWS,
      partitions: [...WINDOWS.partitions.slice(0, 2), { name: "c", image: "hello", ram: "1M" }],
    };
    const hv = await makeHv(description, "wasm");
    const rec = new TraceRecorder(hv, { maxEvents: 40 });
    const { switches, exits: allExits } = listen(hv);
    await hv.step(20 * 2000);
    const trace = rec.trace();
    validateTrace(trace);
    const exits = trace.traceEvents.filter((e) => e.ph === "i").length;
    const slices = trace.traceEvents.filter((e) => e.ph === "X").length;
    expect(exits + slices).toBe(40);
    expect(exits).toBe(30 - 5); // exits stop at three quarters; the first frame's 5 slices came first
    expect(allExits.length).toBe(hv.stats().partitions[2].exits.mmio + 1); // with c's halt
    expect(trace.otherData.droppedExits).toBe(allExits.length - exits);
    // Every switch but the first ends a slice; the one still running at the end is not counted.
    expect(trace.otherData.droppedSlices).toBe(switches.length - 1 - slices);
    expect(trace.otherData.droppedSlices).toBeGreaterThan(0);
  });
});

describe("wasmvisor run --trace-out", () => {
  const dir = mkdtempSync(join(tmpdir(), "wasmvisor-trace-"));

  it("writes a valid trace, the same on both cores, and says where", async () => {
    const texts = [];
    for (const core of CORES) {
      const file = join(dir, `two-guests-${core}.json`);
      const r = await cli(["run", join(ROOT, "examples", "two-guests.json"), "--core", core, "--trace-out", file]);
      expect(r.status).toBe(0);
      const text = readFileSync(file, "utf8");
      const trace = JSON.parse(text) as ChromeTrace;
      validateTrace(trace);
      expect(r.stderr).toMatch(new RegExp(`wasmvisor: trace written to ${file.replace(/[.\\/]/g, "\\$&")} \\(${trace.traceEvents.length} events; open it in https://ui\\.perfetto\\.dev or chrome://tracing\\)\\n$`));
      const names = trace.traceEvents.filter((e) => e.ph === "X").map((e) => e.name);
      expect(new Set(names)).toEqual(new Set(["hello", "timer", "idle"]));
      expect(trace.traceEvents.filter((e) => e.ph === "i" && e.name === "halt").length).toBe(2);
      texts.push(text);
    }
    expect(texts[1]).toBe(texts[0]);
  });

  it("also at the instruction limit", async () => {
    const file = join(dir, "limit.json");
    const r = await cli(["run", join(ROOT, "examples", "isolation.json"), "--max-insns", "2000000", "--trace-out", file]);
    expect(r.status).toBe(124);
    const trace = JSON.parse(readFileSync(file, "utf8")) as ChromeTrace;
    validateTrace(trace);
    expect(trace.traceEvents.filter((e) => e.ph === "X").length).toBeGreaterThan(10);
    // The limit's halts are the command line's, not the guests': not in the trace.
    expect(trace.traceEvents.some((e) => e.ph === "i" && e.name === "halt")).toBe(false);
  });

  it("refuses a path it cannot write before running anything (status 2)", async () => {
    const r = await cli(["run", join(ROOT, "examples", "two-guests.json"), "--trace-out", join(dir, "no", "such", "dir", "t.json")]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^wasmvisor: --trace-out .*t\.json: cannot write the trace there: ENOENT\n\(wasmvisor run --help shows the usage\)\n$/);
    const usage = await cli(["help"]);
    expect(usage.stdout).toMatch(/--trace-out FILE/);
  });
});
