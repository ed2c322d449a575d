// The emulator's Web Worker: boots one of the offered system descriptions (web/systems.ts) with
// the library (src/index.ts, which imports no Node modules) in wall-clock mode, so the page's
// thread stays free for the terminals and the timeline. Console output and schedule switches
// are batched every 50 ms, statistics sampled 4 times a second; console input arrives as
// messages while run() yields.

import { Hypervisor, MemoryDisk, ConfigError, type HypervisorStats, type SystemConfig } from "../src/index.ts";
import { imageKey, type CoreChoice, type Figures, type FromWorker, type SystemInfo, type ToWorker } from "./protocol.ts";
import { runnableSystem, type OfferedSystem } from "./systems.ts";

const BATCH_MS = 50;
const FIGURES_MS = 250;

/**
 * The partition whose console takes keyboard input (the others are shown read-only): Linux's
 * shell where there is one, else the first partition with a UART to type into.
 */
function interactivePartition(config: SystemConfig): string | undefined {
  return (config.partitions.find((p) => p.name === "linux") ?? config.partitions.find((p) => p.devices.includes("uart")))?.name;
}

const scope = self as unknown as {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
};
const post = (message: FromWorker, transfer: Transferable[] = []) => scope.postMessage(message, transfer);

let hv: Hypervisor | null = null;
let inputWaiters: Array<() => void> = [];

scope.onmessage = (e) => {
  const m = e.data;
  if (m.type === "start") {
    if (hv) return; // one system per worker: the page starts a new worker to restart
    const offered = runnableSystem(m.system);
    if (!offered) {
      post({ type: "error", message: `${m.system}: not a system this page can run` });
      return;
    }
    boot(offered, m.core, m.imagesUrl).catch((err: unknown) => post({ type: "error", message: describeError(err) }));
  } else if (m.type === "input") {
    hv?.console(m.partition).write(m.data);
    const w = inputWaiters;
    inputWaiters = [];
    for (const f of w) f();
  }
};

async function boot(offered: OfferedSystem, core: CoreChoice, imagesUrl: string): Promise<void> {
  const images = new Map<string, Uint8Array>();
  const system = new Hypervisor(offered.description, {
    core,
    wallClock: true,
    file: offered.file,
    loadImage: (path) => images.get(path)!,
    openDisk: (disk) => new MemoryDisk(images.get(disk.file)!, disk.readOnly),
  });
  hv = system;
  const config = system.config;
  const interactive = interactivePartition(config);
  const info: SystemInfo = {
    id: offered.id,
    name: config.name,
    core,
    partitions: config.partitions.map((p) => ({ name: p.name, mode: p.mode, interactive: p.name === interactive })),
    cyclesPerSecond: system.cyclesPerSecond,
    majorFrame: config.schedule.majorFrame,
    windows: config.schedule.windows,
  };
  post({ type: "system", system: info });

  // Fetch every image, initrd and disk the description names; report all missing ones at once.
  post({ type: "status", text: "fetching the guest images…" });
  const paths = new Set<string>();
  for (const p of config.partitions) {
    paths.add(p.image);
    if (p.initrd !== undefined) paths.add(p.initrd);
    if (p.disk) paths.add(p.disk.file);
  }
  const missing: string[] = [];
  await Promise.all([...paths].map(async (path) => {
    const key = imageKey(path, offered.file);
    const response = await fetch(new URL(key, imagesUrl)).catch(() => null);
    if (!response?.ok) {
      missing.push(key);
      return;
    }
    images.set(path, new Uint8Array(await response.arrayBuffer()));
  }));
  if (missing.length) {
    post({ type: "missing", files: missing.sort() });
    return;
  }

  // start() compiles build/core.wasm (found by import.meta.url in src/core/core.ts) or
  // imports a fresh instance of build/core-ts.js, then loads the images.
  post({ type: "status", text: core === "wasm" ? "compiling the Wasm core…" : "loading the pure-TS core…" });
  const t0 = performance.now();

  const names = config.partitions.map((p) => p.name);
  const index = new Map(names.map((n, i) => [n, i]));
  let output: Array<{ partition: string; data: Uint8Array }> = [];
  let switches: number[] = [];
  let halted: Array<{ partition: string; message: string; status: number }> = [];
  system.on("output", (e) => output.push({ partition: e.partition, data: e.data.slice() }));
  system.on("switch", (e) => switches.push(e.at, e.partition === null ? -1 : index.get(e.partition)!));
  // A halt can be reported before the output of the same step reaches us: it goes with the batch.
  system.on("halted", (e) => halted.push({ partition: e.partition, message: e.halt.message, status: e.halt.status }));

  const flush = () => {
    if (!output.length && !switches.length && !halted.length) return;
    const batch = new Float64Array(switches);
    const out = output;
    const message: FromWorker = { type: "batch", clock: system.clock(), output: out, switches: batch, halted };
    output = [];
    switches = [];
    halted = [];
    post(message, [batch.buffer, ...out.map((o) => o.data.buffer)]);
  };

  await system.start();
  post({ type: "running", startupMs: performance.now() - t0 });
  let previous = { real: performance.now(), stats: system.stats() };
  const sample = () => {
    const now = { real: performance.now(), stats: system.stats() };
    post({ type: "figures", figures: figuresBetween(previous.stats, now.stats, (now.real - previous.real) / 1000, system.cyclesPerSecond) });
    previous = now;
  };
  const timers = [setInterval(flush, BATCH_MS), setInterval(sample, FIGURES_MS)];

  try {
    const result = await system.run({
      // Console input can always arrive: a system that waits for it is not finished.
      inputOpen: () => true,
      waitForInput: () => new Promise<void>((resolve) => inputWaiters.push(resolve)),
    });
    flush();
    sample();
    post({ type: "ended", reason: result.reason, status: result.status });
  } finally {
    for (const t of timers) clearInterval(t);
  }
}

/** Rates between two samples `seconds` of real time apart. */
function figuresBetween(a: HypervisorStats, b: HypervisorStats, seconds: number, cyclesPerSecond: number): Figures {
  const rate = (x: number, y: number) => (seconds > 0 ? (y - x) / seconds : 0);
  const dCycles = b.cycles - a.cycles;
  let busy = 0;
  const partitions = b.partitions.map((p, i) => {
    const q = a.partitions[i];
    const ran = p.cycles - q.cycles;
    busy += ran;
    return {
      name: p.name,
      share: dCycles > 0 ? ran / dCycles : 0,
      mips: rate(q.instructions, p.instructions) / 1e6,
      mmio: rate(q.exits.mmio, p.exits.mmio),
      sbi: rate(q.exits.sbi, p.exits.sbi),
      trapAndEmulate: rate(q.exits.trapAndEmulate, p.exits.trapAndEmulate),
      traps: rate(q.exits.traps, p.exits.traps),
      switchesIn: rate(q.exits.switchesIn, p.exits.switchesIn),
      halted: p.halted ? p.halted.message : null,
    };
  });
  const mmioPerSecond = rate(a.exits.mmio, b.exits.mmio);
  const sbiPerSecond = rate(a.exits.sbi, b.exits.sbi);
  return {
    virtualSeconds: b.seconds,
    speed: seconds > 0 ? dCycles / cyclesPerSecond / seconds : 0,
    mips: rate(a.instructions, b.instructions) / 1e6,
    exitsPerSecond: mmioPerSecond + sbiPerSecond,
    mmioPerSecond,
    sbiPerSecond,
    worldSwitchesPerSecond: rate(a.worldSwitches, b.worldSwitches),
    ipcCallsPerSecond: rate(a.ipc.calls, b.ipc.calls),
    ipcFastCallsPerSecond: rate(a.ipc.fastCalls, b.ipc.fastCalls),
    notificationsPerSecond: rate(a.ipc.notifications, b.ipc.notifications),
    idleShare: dCycles > 0 ? Math.max(0, 1 - busy / dCycles) : 0,
    instructions: b.instructions,
    partitions,
  };
}

function describeError(err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
