// The emulator's Web Worker: boots a system (one of the offered descriptions in web/systems.ts,
// a description of the user's, or a snapshot) with the library (src/index.ts, which imports no
// Node modules), in wall-clock mode by default, so the page's thread stays free for the
// terminals and the timeline. Console output and schedule switches are batched every 50 ms,
// statistics sampled 4 times a second; console input arrives as messages while run() yields.
//
// Controls (pause, step, speed, snapshot, restore) go through one queue (`control`), so each
// sees the system as the one before left it. Pausing stops hv.run(); going on calls it again.

import { Hypervisor, MemoryDisk, ConfigError, SnapshotError, type HypervisorStats, type SystemConfig } from "../src/index.ts";
import { imageKey, type CoreChoice, type Figures, type FromWorker, type Progress, type SystemInfo, type SystemSource, type ToWorker } from "./protocol.ts";
import { runnableSystem } from "./systems.ts";
import { writeAutosave } from "./autosave.ts";
import { fetchImages } from "./images.ts";

const BATCH_MS = 50;
const FIGURES_MS = 250;
/** Autosave after this much running (paused time does not count). */
const AUTOSAVE_SECONDS = 30;

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
let core: CoreChoice = "wasm";
/** The translator is on (the page's choice, with the core). */
let jit = true; // (the start message says)
let title = "";
let started = false;
let paused = false;
let wallClock = true;
let ended = false;
/** The running hv.run(), null while paused or before the start. */
let loop: Promise<void> | null = null;
/** Undoes the current system's listeners and timers. */
let detach: (() => void) | null = null;
let inputWaiters: Array<() => void> = [];
let control: Promise<void> = Promise.resolve();

/** Run `op` after every control before it (errors are reported, the queue goes on). */
function enqueue(op: () => Promise<void>): void {
  control = control.then(op).catch((err: unknown) => post({ type: "error", message: describeError(err) }));
}

scope.onmessage = (e) => {
  const m = e.data;
  switch (m.type) {
    case "start":
      if (started) return; // one system per worker: the page starts a new worker to restart
      started = true;
      core = m.core;
      jit = m.jit;
      enqueue(() => boot(m.source, m.imagesUrl));
      break;
    case "input":
      hv?.console(m.partition).write(m.data);
      wake();
      break;
    case "snapshot":
      enqueue(() => snapshot(m.purpose));
      break;
    case "restore":
      enqueue(() => restore(m.bytes, m.title));
      break;
    case "pause":
      enqueue(() => setPaused(m.paused));
      break;
    case "step":
      enqueue(() => step(m.count));
      break;
    case "speed":
      enqueue(() => setSpeed(m.wallClock));
      break;
  }
};

/** Wake a run that waits for console input (to take it, or to notice a stop). */
function wake(): void {
  const w = inputWaiters;
  inputWaiters = [];
  for (const f of w) f();
}

async function boot(source: SystemSource, imagesUrl: string): Promise<void> {
  if (source.kind === "snapshot") {
    await restore(source.bytes, source.title);
    return;
  }
  let description: unknown, file: string, uploads: Array<{ name: string; bytes: Uint8Array }>;
  if (source.kind === "offered") {
    const offered = runnableSystem(source.id);
    if (!offered) throw new Error(`${source.id}: not a system this page can run`);
    ({ description, file } = offered as { description: unknown; file: string });
    title = offered.title;
    uploads = [];
  } else {
    ({ description, file, uploads, title } = source);
  }
  const images = new Map<string, Uint8Array>();
  const system = new Hypervisor(description, {
    core,
    jit,
    wallClock,
    file,
    loadImage: (path) => images.get(path)!,
    openDisk: (disk) => new MemoryDisk(images.get(disk.file)!, disk.readOnly),
  });
  const config = system.config;
  post({ type: "system", system: systemInfo(system), history: [] });

  // Fetch every image, initrd and disk the description names that was not uploaded; report
  // all missing ones at once.
  post({ type: "status", text: "fetching the guest images…" });
  const paths = new Set<string>();
  for (const p of config.partitions) {
    paths.add(p.image);
    if (p.initrd !== undefined) paths.add(p.initrd);
    if (p.disk) paths.add(p.disk.file);
  }
  const wanted = new Map<string, string>(); // key → path
  for (const path of paths) {
    const upload = uploads.find((u) => u.name === path);
    if (upload) images.set(path, upload.bytes);
    else wanted.set(imageKey(path, file), path);
  }
  const { files, missing } = await fetchImages(imagesUrl, [...wanted.keys()]);
  if (missing.length) {
    post({ type: "missing", files: missing.sort() });
    return;
  }
  for (const [key, path] of wanted) images.set(path, files.get(key)!);

  // start() compiles build/core.wasm (found by import.meta.url in src/core/core.ts) or
  // imports a fresh instance of build/core-ts.js, then loads the images.
  post({ type: "status", text: core === "wasm" ? "compiling the Wasm core…" : "loading the pure-TS core…" });
  const t0 = performance.now();
  await system.start();
  attach(system);
  post({ type: "running", startupMs: performance.now() - t0 });
  loop = runLoop(system);
  postProgress();
}

/**
 * Restore a snapshot on the current core, in place of the running system (if any), which goes
 * on untouched unless the restore succeeds: a bad file changes nothing.
 */
async function restore(bytes: Uint8Array, newTitle: string): Promise<void> {
  post({ type: "status", text: "restoring the snapshot…" });
  const t0 = performance.now();
  let system: Hypervisor;
  try {
    system = await Hypervisor.restore(bytes, { core, jit, wallClock });
  } catch (err) {
    post({ type: "restore-failed", message: describeError(err) });
    return;
  }
  await stopLoop();
  detach?.();
  try {
    hv?.close();
  } catch {
    // (in-memory disks: nothing to make durable)
  }
  title = newTitle;
  const history = system.config.partitions.map((p) => ({ partition: p.name, data: system.consoleHistory(p.name) }));
  post({ type: "system", system: systemInfo(system), history }, history.map((h) => h.data.buffer));
  attach(system, system.config.partitions.flatMap((p, i) => {
    const h = system.halted[i];
    return h ? [{ partition: p.name, message: h.message, status: h.status }] : [];
  }));
  post({ type: "running", startupMs: performance.now() - t0 });
  ended = system.halted.every((h) => h !== null);
  paused = false;
  if (!ended) loop = runLoop(system);
  else {
    flush(); // (the halts first, for the page's summary)
    const failed = system.halted.find((h) => h && h.status !== 0);
    post({ type: "ended", reason: "halted", status: failed?.status ?? 0 });
  }
  postProgress();
}

function systemInfo(system: Hypervisor): SystemInfo {
  const config = system.config;
  const interactive = interactivePartition(config);
  const perms = (m: { read: boolean; write: boolean; exec: boolean }) => `${m.read ? "r" : ""}${m.write ? "w" : ""}${m.exec ? "x" : ""}`;
  return {
    title,
    name: config.name,
    core,
    jit,
    partitions: config.partitions.map((p) => ({
      name: p.name, mode: p.mode, interactive: p.name === interactive, ramBytes: p.ramBytes,
      devices: [...p.devices], image: p.image,
      mappings: p.mappings.map((m) => ({ region: config.regions[m.region].name, address: m.address, perms: perms(m) })),
    })),
    regions: config.regions.map((r) => ({ name: r.name, size: r.size })),
    channels: config.channels.map((c) => ({
      name: c.name,
      region: c.region === undefined ? undefined : config.regions[c.region].name,
      ends: c.ends.map((e) => ({ partition: config.partitions[e.partition].name, id: e.id, pp: e.pp })),
    })),
    cyclesPerSecond: system.cyclesPerSecond,
    majorFrame: config.schedule.majorFrame,
    windows: config.schedule.windows,
  };
}

/** Make `system` the worker's: its output, switches and halts go to the page in batches (the
 *  first with `halted`: partitions a restored system had already stopped), its figures 4 times a
 *  second, and it is autosaved every 30 s of running. */
function attach(system: Hypervisor, alreadyHalted: Array<{ partition: string; message: string; status: number }> = []): void {
  hv = system;
  const names = system.config.partitions.map((p) => p.name);
  const index = new Map(names.map((n, i) => [n, i]));
  let output: Array<{ partition: string; data: Uint8Array }> = [];
  let switches: number[] = [];
  let halted = alreadyHalted;
  const off = [
    system.on("output", (e) => output.push({ partition: e.partition, data: e.data.slice() })),
    system.on("switch", (e) => switches.push(e.at, e.partition === null ? -1 : index.get(e.partition)!)),
    // A halt can be reported before the output of the same step reaches us: it goes with the batch.
    system.on("halted", (e) => halted.push({ partition: e.partition, message: e.halt.message, status: e.halt.status })),
  ];
  flush = () => {
    if (!output.length && !switches.length && !halted.length) return;
    const batch = new Float64Array(switches);
    const out = output;
    const message: FromWorker = { type: "batch", clock: system.clock(), output: out, switches: batch, halted };
    output = [];
    switches = [];
    halted = [];
    post(message, [batch.buffer, ...out.map((o) => o.data.buffer)]);
  };
  let previous = { real: performance.now(), stats: system.stats() };
  sample = () => {
    const now = { real: performance.now(), stats: system.stats() };
    const figures = figuresBetween(previous.stats, now.stats, (now.real - previous.real) / 1000, system.cyclesPerSecond);
    const translated = system.jitStats();
    figures.translator = translated && { regions: translated.regions, milliseconds: translated.milliseconds };
    post({ type: "figures", figures });
    previous = now;
  };
  let runningSeconds = 0;
  const timers = [
    setInterval(() => flush(), BATCH_MS),
    setInterval(() => sample(), FIGURES_MS),
    setInterval(() => {
      if (!loop || paused || ended) return;
      // (a system with partitions on threads cannot be snapshotted: docs/smp.md)
      if (system.config.partitions.some((p) => p.parallel)) return;
      if (++runningSeconds >= AUTOSAVE_SECONDS) {
        runningSeconds = 0;
        enqueue(() => snapshot("autosave"));
      }
    }, 1000),
  ];
  detach = () => {
    flush();
    for (const t of timers) clearInterval(t);
    for (const f of off) f();
    flush = sample = () => {};
  };
}

let flush: () => void = () => {};
let sample: () => void = () => {};

async function runLoop(system: Hypervisor): Promise<void> {
  const result = await system.run({
    // Console input can always arrive: a system that waits for it is not finished.
    inputOpen: () => true,
    waitForInput: () => new Promise<void>((resolve) => inputWaiters.push(resolve)),
  });
  if (system !== hv) return;
  flush();
  sample();
  if (result.reason === "stopped") return; // paused, a change of speed or a restore
  ended = true;
  loop = null;
  post({ type: "ended", reason: result.reason, status: result.status });
  postProgress();
}

/** Stop the running hv.run() (between two of its steps) and wait until it has returned. */
async function stopLoop(): Promise<void> {
  if (!loop || !hv) return;
  hv.stop();
  wake();
  await loop;
  loop = null;
}

async function setPaused(on: boolean): Promise<void> {
  if (!hv) return;
  paused = on;
  if (on) await stopLoop();
  else if (!loop && !ended) loop = runLoop(hv);
  postProgress();
}

/** Run exactly `count` more instructions (traps counted, as run({ maxInsns }) counts), fewer
 *  if every partition stops or waits for input with no timer armed; as fast as the host allows
 *  (run() with an instruction limit, unpaced, returning to the event loop as it goes). */
async function step(count: number): Promise<void> {
  const system = hv;
  if (!system || !paused || ended) return;
  system.setWallClock(false);
  const result = await system.run({ maxInsns: system.work() + count, inputOpen: () => false });
  system.setWallClock(wallClock);
  flush();
  sample();
  if (result.reason === "halted") {
    ended = true;
    post({ type: "ended", reason: result.reason, status: result.status });
  }
  postProgress();
}

async function setSpeed(on: boolean): Promise<void> {
  wallClock = on;
  if (!hv) return;
  const wasRunning = loop !== null;
  await stopLoop();
  hv.setWallClock(on);
  if (wasRunning) loop = runLoop(hv);
  postProgress();
}

async function snapshot(purpose: "save" | "autosave"): Promise<void> {
  if (!hv) {
    if (purpose === "save") post({ type: "problem", message: "Nothing to save: no system is running." });
    return;
  }
  try {
    const bytes = await hv.snapshot();
    const created = new Date().toISOString();
    if (purpose === "save") {
      post({ type: "snapshot", bytes, name: hv.config.name, created }, [bytes.buffer]);
    } else {
      await writeAutosave({ bytes, created, title, core });
      post({ type: "autosaved", created, bytes: bytes.length });
    }
  } catch (err) {
    // (A disk too large to embed, IndexedDB refused or full: the system goes on.)
    post({ type: "problem", message: `${purpose === "save" ? "Saving" : "Autosaving"} failed: ${describeError(err)}` });
  }
}

function postProgress(): void {
  if (!hv) return;
  const progress: Progress = {
    paused, wallClock, ended, work: hv.work(), instructions: hv.stats().instructions, clock: hv.clock(),
  };
  post({ type: "progress", progress });
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
    translator: null,
    partitions,
  };
}

function describeError(err: unknown): string {
  if (err instanceof ConfigError || err instanceof SnapshotError) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
