// The page: one terminal per partition, the live schedule timeline, the figures and a picture
// of the system, around the emulator running in a Web Worker (web/worker.ts). Restarting (or
// choosing another system or the other core) terminates the worker and starts a new one with
// the current source (web/protocol.ts: SystemSource); restoring a snapshot replaces the system
// inside the running worker, so a bad file disturbs nothing.

import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import "@xterm/xterm/css/xterm.css";
import "./style.css";
import type { CoreChoice, Figures, FromWorker, Progress, SystemInfo, SystemSource, ToWorker } from "./protocol.ts";
import { IDLE_COLOR, Timeline, partitionColor } from "./timeline.ts";
import { DEFAULT_SYSTEM, SYSTEMS, runnableSystem } from "./systems.ts";
import { readAutosave } from "./autosave.ts";
import { renderMachine } from "./machine-view.ts";
import { validateSystem, ConfigError } from "../src/config/system.ts";
import { parseElf, ElfError } from "../src/loader/elf.ts";

/** Major frames the timeline shows. */
const FRAMES_SHOWN = 4;
/** An edited description's path for its relative file names: beside the examples, so
 *  "../guests/bin/hello.elf" names a served image as in examples/*.json. */
const EDITED_FILE = "examples/your-system.json";

interface Console {
  term: Terminal;
  panel: HTMLElement;
  state: HTMLElement;
  resizes: ResizeObserver;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const systemSelect = $<HTMLSelectElement>("system");
const coreSelect = $<HTMLSelectElement>("core");
const jitSelect = $<HTMLSelectElement>("jit");
const statusText = $("status");
const message = $("message");
const figuresBody = $("figures-body");
const pauseButton = $<HTMLButtonElement>("pause");
const stepButton = $<HTMLButtonElement>("step");
const stepCount = $<HTMLInputElement>("step-count");
const speedSelect = $<HTMLSelectElement>("speed");

let worker: Worker | null = null;
let source: SystemSource = { kind: "offered", id: DEFAULT_SYSTEM.id };
let consoles = new Map<string, Console>();
let timeline: Timeline | null = null;
let system: SystemInfo | null = null;
let figures: Figures | null = null;
let progress: Progress | null = null;
/** How each partition stopped, in the order they did: the page's summary when all have. */
let halts = new Map<string, { message: string; status: number }>();
/** A restore asked of the running worker: the source once it succeeds (its "system" message). */
let pendingSource: SystemSource | null = null;
/** Waiting for the worker's next "autosaved" (the test hook's autosave()). */
let autosaveWaiters: Array<() => void> = [];

// The page's hooks for the end-to-end test and the devtools (PageHooks in protocol.ts).
window.wasmvisor = {
  terminalText: (partition) => {
    const c = consoles.get(partition);
    if (!c) return "";
    const buffer = c.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) {
      const line = buffer.getLine(i);
      const row = line?.translateToString(true) ?? "";
      // A row the terminal wrapped continues the line before it (narrow panels wrap long lines).
      if (line?.isWrapped && lines.length) lines[lines.length - 1] += row;
      else lines.push(row);
    }
    for (let i = 0; i < lines.length; i++) lines[i] = lines[i].trimEnd();
    while (lines.length && lines[lines.length - 1] === "") lines.pop();
    return lines.join("\n");
  },
  figures: () => figures,
  timeline: () => timeline?.view ?? null,
  status: () => statusText.textContent ?? "",
  progress: () => progress,
  autosave: () => new Promise<void>((resolve) => {
    autosaveWaiters.push(resolve);
    send({ type: "snapshot", purpose: "autosave" });
  }),
};

// Every offered system is listed; those the page cannot run are disabled, with the reason.
for (const s of SYSTEMS) {
  const option = document.createElement("option");
  option.value = s.id;
  option.textContent = s.unavailable ? `${s.title} (unavailable)` : s.title;
  option.title = s.unavailable ? `${s.title} ${s.unavailable}` : s.summary;
  option.disabled = s.description === undefined;
  systemSelect.append(option);
}
/** The select's entry for a system that is not an offered one (an upload, an edit, a snapshot). */
const customOption = document.createElement("option");
customOption.value = "custom";
customOption.hidden = true;
systemSelect.append(customOption);

/** `?jit=off` turns the translator off (docs/jit.md); on by default, as on the command line. */
function initialJit(): boolean {
  return new URLSearchParams(location.search).get("jit") !== "off";
}

function initialCore(): CoreChoice {
  return new URLSearchParams(location.search).get("core") === "ts" ? "ts" : "wasm";
}

/** `?system=` names an offered system; anything else (or nothing) is the default one. */
function initialSystem(): string {
  return (runnableSystem(new URLSearchParams(location.search).get("system")) ?? DEFAULT_SYSTEM).id;
}

function sourceTitle(s: SystemSource): string {
  return s.kind === "offered" ? (runnableSystem(s.id) ?? DEFAULT_SYSTEM).title : s.title;
}

function start(next: SystemSource, core: CoreChoice): void {
  stop();
  if (next.kind === "offered" && !runnableSystem(next.id)) next = { kind: "offered", id: DEFAULT_SYSTEM.id };
  source = next;
  showSource();
  coreSelect.value = core;
  // The defaults stay out of the URL, so a plain link boots the default system on the Wasm core.
  const url = new URL(location.href);
  if (next.kind !== "offered" || next.id === DEFAULT_SYSTEM.id) url.searchParams.delete("system");
  else url.searchParams.set("system", next.id);
  if (core === "wasm") url.searchParams.delete("core");
  else url.searchParams.set("core", core);
  const jit = jitSelect.value === "on";
  if (jit) url.searchParams.delete("jit");
  else url.searchParams.set("jit", "off");
  history.replaceState(null, "", url);
  setStatus("starting the worker…");

  worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  worker.onmessage = (e: MessageEvent<FromWorker>) => handle(e.data);
  worker.onerror = (e) => fail(`the emulator's worker failed: ${e.message || "it could not be loaded"}`);
  worker.onmessageerror = () => fail("a message from the emulator's worker could not be read");
  // (The source's bytes are copied, not transferred: Restart and the core select use them again.)
  send({ type: "start", source: next, core, jit, imagesUrl: new URL("images/", document.baseURI).href });
}

/** The system select and the header's line say what runs. */
function showSource(): void {
  if (source.kind === "offered") {
    const offered = runnableSystem(source.id) ?? DEFAULT_SYSTEM;
    systemSelect.value = offered.id;
    $("summary").textContent = offered.summary;
  } else {
    customOption.textContent = `yours: ${source.title}`;
    customOption.hidden = false;
    systemSelect.value = "custom";
    $("summary").textContent = source.kind === "snapshot"
      ? `a system restored from a snapshot (${source.title}).`
      : `your system (${source.title}).`;
  }
}

function stop(): void {
  worker?.terminate();
  worker = null;
  clearSystem();
  progress = null;
  showProgress();
  message.hidden = true;
}

/** Take down the terminals, timeline, figures and picture of the current system. */
function clearSystem(): void {
  for (const c of consoles.values()) {
    c.resizes.disconnect();
    c.term.dispose();
    c.panel.remove();
  }
  consoles = new Map();
  timeline?.dispose();
  timeline = null;
  system = null;
  figures = null;
  halts = new Map();
  figuresBody.replaceChildren();
  $("machine-body").replaceChildren();
}

function handle(m: FromWorker): void {
  switch (m.type) {
    case "status":
      setStatus(m.text);
      break;
    case "system":
      if (pendingSource) {
        source = pendingSource;
        pendingSource = null;
        showSource();
      }
      clearSystem();
      message.hidden = true;
      setUp(m.system);
      // A restored system's terminals go on from what they showed when it was saved.
      for (const h of m.history) consoles.get(h.partition)?.term.write(h.data);
      break;
    case "missing":
      showMessage(
        `<strong>The guest images are not built</strong>, so there is nothing to boot. Missing: ` +
          m.files.map((f) => `<code>${escapeHtml(f)}</code>`).join(", ") +
          `.<br>Build them with <code>npm run guests</code> (every guest), or ` +
          `<code>bash guests/linux/build.sh</code> for the Linux guest alone, then restart the page's server ` +
          `(or run <code>npm run web:build</code> again) and reload.`,
      );
      setStatus("not started: guest images missing");
      setConsoleStates("not started");
      break;
    case "running":
      setStatus(`running ${system?.title ?? "the system"} on the ${coreName(system?.core)} core${jitNote(system)} (started in ${Math.round(m.startupMs)} ms)`);
      setConsoleStates("running");
      for (const [name, c] of consoles) if (system?.partitions.find((p) => p.name === name)?.interactive) c.term.focus();
      break;
    case "batch":
      for (const o of m.output) consoles.get(o.partition)?.term.write(o.data);
      timeline?.add(m.switches, m.clock);
      for (const h of m.halted) {
        halts.set(h.partition, { message: h.message, status: h.status });
        const index = system?.partitions.findIndex((p) => p.name === h.partition) ?? -1;
        if (index >= 0) timeline?.halt(index);
        const c = consoles.get(h.partition);
        if (!c) continue;
        c.term.write(`\r\n\x1b[2m[wasmvisor: partition ${h.partition} stopped: ${h.message} (status ${h.status})]\x1b[0m\r\n`);
        c.state.textContent = `stopped (status ${h.status})`;
        c.state.classList.add("stopped");
      }
      break;
    case "figures":
      figures = m.figures;
      renderFigures(m.figures);
      break;
    case "progress": {
      const previous = progress;
      progress = m.progress;
      showProgress(previous);
      break;
    }
    case "snapshot":
      download(m.bytes, `${m.name}-${m.created.replace(/[:.]/g, "-")}.wvsnap`);
      setStatus(`saved a snapshot (${(m.bytes.length / 1e6).toFixed(2)} MB)`);
      break;
    case "autosaved": {
      const w = autosaveWaiters;
      autosaveWaiters = [];
      for (const f of w) f();
      break;
    }
    case "restore-failed":
      pendingSource = null;
      showMessage(`<strong>That snapshot could not be restored</strong>; nothing was changed.<pre>${escapeHtml(m.message)}</pre>`);
      if (system) setStatus(`running ${system.title} on the ${coreName(system.core)} core${jitNote(system)}`);
      else setStatus("not started: the snapshot could not be restored");
      break;
    case "problem":
      showMessage(`<strong>${escapeHtml(m.message)}</strong> The system goes on.`);
      if (system) setStatus(`running ${system.title} on the ${coreName(system.core)} core${jitNote(system)}`);
      break;
    case "ended":
      ended(m.status);
      break;
    case "error":
      fail(m.message);
      break;
  }
}

/** One terminal per partition (interactive ones in the main column), the timeline, the figures. */
function setUp(info: SystemInfo): void {
  system = info;
  // Interactive terminals take the main column; without one, the first partition does.
  const anyInteractive = info.partitions.some((p) => p.interactive);
  info.partitions.forEach((p, index) => {
    const panel = document.createElement("section");
    panel.className = `panel console${p.interactive ? " interactive" : ""}`;
    const head = document.createElement("h2");
    const dot = document.createElement("span");
    dot.className = "dot";
    dot.style.background = partitionColor(index);
    const title = document.createElement("span");
    title.textContent = p.name;
    const detail = document.createElement("small");
    detail.textContent = `${p.mode} mode · ${p.interactive ? "type here" : "read-only"}`;
    const state = document.createElement("small");
    state.className = "state";
    state.textContent = "booting…";
    head.append(dot, title, detail, state);
    const host = document.createElement("div");
    host.className = "term-host";
    panel.append(head, host);
    $(p.interactive || (!anyInteractive && index === 0) ? "primary" : "secondary").append(panel);

    const term = new Terminal({
      convertEol: true, // guests end lines with "\n"
      disableStdin: !p.interactive,
      cursorBlink: p.interactive,
      cursorInactiveStyle: p.interactive ? "outline" : "none",
      fontFamily: "ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace",
      fontSize: 13,
      scrollback: 5000,
      theme: { background: "#14181e", foreground: "#d8dee9", cursor: partitionColor(index) },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host);
    // Rows and columns follow the panel's size (also once the style sheet has applied).
    const resizes = new ResizeObserver(() => fit.fit());
    resizes.observe(host);
    if (p.interactive) {
      // xterm sends Enter as "\r", as a terminal in raw mode does; the guest's tty (ICRNL) makes it "\n".
      term.onData((data) => send({ type: "input", partition: p.name, data }));
    }
    consoles.set(p.name, { term, panel, state, resizes });
  });

  timeline = new Timeline($<HTMLCanvasElement>("timeline"), {
    partitions: info.partitions.map((p) => p.name),
    cyclesPerSecond: info.cyclesPerSecond,
    majorFrame: info.majorFrame,
    windows: info.windows,
    frames: FRAMES_SHOWN,
  });
  renderFigures(null);
  renderMachine($("machine-body"), info);
  $("machine-note").textContent = `${info.partitions.length} partition${info.partitions.length > 1 ? "s" : ""}, ${info.channels.length} channel${info.channels.length === 1 ? "" : "s"}`;
  const ms = (cycles: number) => `${+((cycles / info.cyclesPerSecond) * 1000).toFixed(3)} ms`;
  $("schedule-note").textContent =
    `last ${FRAMES_SHOWN} major frames of ${ms(info.majorFrame)}, ${info.windows.length} window${info.windows.length > 1 ? "s" : ""}; ` +
    `virtual time at ${info.cyclesPerSecond / 1e6} MHz`;
}

/** The figures panel; before the first sample (f null) the same layout with dashes. */
function renderFigures(f: Figures | null): void {
  const big = (label: string, value: string, title: string) =>
    `<div class="figure" title="${title}"><span class="value">${value}</span><span class="label">${label}</span></div>`;
  const v = (format: (f: Figures) => string) => (f ? format(f) : "–");
  const names = system?.partitions.map((p) => p.name) ?? [];
  const rows = names
    .map((name, i) => {
      const p = f?.partitions[i];
      const cells = p
        ? [percent(p.share), p.mips.toFixed(2), count(p.mmio + p.sbi), count(p.trapAndEmulate), count(p.traps), count(p.switchesIn)]
        : Array(6).fill("–");
      return `<tr${p?.halted ? ' class="stopped"' : ""}><th><span class="dot" style="background:${partitionColor(i)}"></span>${escapeHtml(name)}</th>` +
        cells.map((c) => `<td>${c}</td>`).join("") + "</tr>";
    })
    .join("");
  figuresBody.innerHTML = `
    <div class="figures">
      ${big("MIPS", v((f) => f.mips.toFixed(2)), "millions of guest instructions per second of real time")}
      ${big("exits/s", v((f) => count(f.exitsPerSecond)), f ? `exits to the host: ${count(f.mmioPerSecond)} MMIO + ${count(f.sbiPerSecond)} SBI per second` : "")}
      ${big("IPC calls/s", v((f) => count(f.ipcCallsPerSecond)), f ? `protected procedure calls (${count(f.ipcFastCallsPerSecond)} on the fast path)` : "")}
      ${big("notifications/s", v((f) => count(f.notificationsPerSecond)), "IPC notifications")}
      ${big("world switches/s", v((f) => count(f.worldSwitchesPerSecond)), "partition switches")}
      ${big("virtual time", v((f) => `${f.virtualSeconds.toFixed(2)} s`), f ? `advancing ${f.speed.toFixed(2)}× as fast as real time` : "")}
      ${f?.translator ? big("translated regions", String(f.translator.regions), `the translator's back end took ${f.translator.milliseconds.toFixed(0)} ms in all (docs/jit.md)`) : ""}
    </div>
    <table>
      <thead><tr><th>partition</th><th title="share of virtual time">CPU</th><th>MIPS</th>
        <th title="MMIO + SBI exits per second">exits/s</th><th title="trap-and-emulate per second">emul/s</th>
        <th title="guest traps per second">traps/s</th><th title="switches in per second">sw/s</th></tr></thead>
      <tbody>${rows}
        <tr class="idle"><th><span class="dot" style="background:${IDLE_COLOR}"></span>idle</th><td>${v((f) => percent(f.idleShare))}</td><td colspan="5"></td></tr>
      </tbody>
    </table>`;
}

/** The run controls follow the worker's progress report. */
function showProgress(previous: Progress | null = null): void {
  const p = progress;
  pauseButton.disabled = !p || p.ended;
  pauseButton.textContent = p?.paused ? "Go on" : "Pause";
  stepButton.disabled = !p || !p.paused || p.ended;
  speedSelect.value = p?.wallClock === false ? "fast" : "wall";
  if (p?.paused) {
    setStatus(`paused after ${p.work.toLocaleString("en")} instructions (traps counted), ${(p.clock / (system?.cyclesPerSecond ?? 1e8)).toFixed(6)} s of virtual time`);
  } else if (p && !p.ended && system && previous && (previous.paused || previous.wallClock !== p.wallClock)) {
    // (Going on, or a new pace; the first report leaves "running … (started in N ms)" alone.)
    setStatus(`running ${system.title} on the ${coreName(system.core)} core${jitNote(system)}${p.wallClock ? "" : ", as fast as possible"}`);
  }
}

/**
 * The run is over because every partition stopped: say so in the status line, and above the
 * terminals how each one stopped, so a finished system does not look stuck (its terminals and
 * timeline simply stop changing).
 */
function ended(status: number): void {
  const each = (system?.partitions ?? []).map((p) => {
    const h = halts.get(p.name);
    return { name: p.name, text: h ? `${h.message} (status ${h.status})` : "stopped" };
  });
  setStatus(`every partition has stopped (status ${status})`);
  showMessage(
    `<strong>The system has finished</strong>: every partition stopped, so nothing runs any more ` +
      `(<em>Restart</em> boots it again).<ul>` +
      each.map((e) => `<li><code>${escapeHtml(e.name)}</code>: ${escapeHtml(e.text)}</li>`).join("") +
      `</ul>`,
    "info",
  );
}

/** Every console panel's state line, except for partitions that stopped. */
function setConsoleStates(text: string): void {
  for (const c of consoles.values()) if (!c.state.classList.contains("stopped")) c.state.textContent = text;
}

function send(m: ToWorker): void {
  worker?.postMessage(m);
}

function setStatus(text: string): void {
  statusText.textContent = text;
  statusText.title = text; // in full, where the header cuts it short
}

function showMessage(html: string, kind: "problem" | "info" = "problem"): void {
  message.innerHTML = html;
  message.className = kind;
  message.hidden = false;
}

function fail(text: string): void {
  console.error(`wasmvisor: ${text}`);
  showMessage(`<strong>The emulator stopped with an error.</strong><pre>${escapeHtml(text)}</pre>`);
  setStatus("failed");
  setConsoleStates("stopped by the error");
}

function download(bytes: Uint8Array, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function coreName(core: CoreChoice | undefined): string {
  return core === "ts" ? "pure-TS" : "Wasm";
}

/** " with the translator" when it is on (after "on the … core" in the status line). */
function jitNote(info: SystemInfo | null | undefined): string {
  return info?.jit ? " with the translator" : "";
}

function percent(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

function count(x: number): string {
  return x >= 10_000 ? `${(x / 1000).toFixed(0)} k` : x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// ── Controls ─────────────────────────────────────────────────────────────────────────────────

const restart = () => start(source, coreSelect.value as CoreChoice);
$("restart").addEventListener("click", restart);
systemSelect.addEventListener("change", () => {
  if (systemSelect.value !== "custom") start({ kind: "offered", id: systemSelect.value }, coreSelect.value as CoreChoice);
});
coreSelect.addEventListener("change", restart);
jitSelect.addEventListener("change", restart);
pauseButton.addEventListener("click", () => send({ type: "pause", paused: !progress?.paused }));
stepButton.addEventListener("click", () => {
  const n = Math.floor(Number(stepCount.value));
  if (!Number.isFinite(n) || n < 1 || n > 100_000_000) {
    showMessage("<strong>A step is 1 to 100,000,000 instructions.</strong>");
    return;
  }
  send({ type: "step", count: n });
});
speedSelect.addEventListener("change", () => send({ type: "speed", wallClock: speedSelect.value === "wall" }));
$("save").addEventListener("click", () => {
  setStatus("saving a snapshot…");
  send({ type: "snapshot", purpose: "save" });
});
const restoreFile = $<HTMLInputElement>("restore-file");
restoreFile.addEventListener("change", async () => {
  const file = restoreFile.files?.[0];
  restoreFile.value = ""; // the same file may be chosen again
  if (!file) return;
  const bytes = new Uint8Array(await file.arrayBuffer());
  // The worker checks the file whole before it replaces anything; Restart restores it again.
  const next: SystemSource = { kind: "snapshot", title: file.name, bytes };
  if (!worker) {
    start(next, coreSelect.value as CoreChoice);
    return;
  }
  pendingSource = next;
  send({ type: "restore", bytes: bytes.slice(), title: file.name });
});

// Autosave: the worker saves every 30 s of running; the page asks for one more when it is hidden
// or left (best effort: a closing page may not wait for it).
const autosaveNow = () => { if (progress && !progress.ended) send({ type: "snapshot", purpose: "autosave" }); };
addEventListener("pagehide", autosaveNow);
document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") autosaveNow(); });

/** At load: offer the autosaved system, with its date. */
async function offerAutosave(): Promise<void> {
  const saved = await readAutosave();
  const box = $("resume");
  if (!saved) return;
  box.innerHTML = "";
  const text = document.createElement("span");
  text.textContent = `An autosaved system is kept in this browser: ${saved.title}, saved ${new Date(saved.created).toLocaleString()}.`;
  const resume = document.createElement("button");
  resume.type = "button";
  resume.id = "resume-autosave";
  resume.textContent = "Resume the autosaved system";
  resume.addEventListener("click", () => {
    box.hidden = true;
    start({ kind: "snapshot", title: `autosave of ${saved.title}`, bytes: saved.bytes }, saved.core);
  });
  const dismiss = document.createElement("button");
  dismiss.type = "button";
  dismiss.textContent = "Dismiss";
  dismiss.addEventListener("click", () => (box.hidden = true));
  box.append(text, resume, dismiss);
  box.hidden = false;
}

// ── Your own program or system ───────────────────────────────────────────────────────────────

const dialog = $<HTMLDialogElement>("own-dialog");
const editor = $<HTMLTextAreaElement>("description");
const problems = $<HTMLUListElement>("description-problems");
const startFrom = $<HTMLSelectElement>("description-start");
for (const s of SYSTEMS) {
  if (s.description === undefined) continue;
  const option = document.createElement("option");
  option.value = s.id;
  option.textContent = `start from: ${s.title}`;
  startFrom.append(option);
}
const loadDescription = (id: string) => {
  const offered = runnableSystem(id) ?? DEFAULT_SYSTEM;
  const { $schema: _schema, ...rest } = offered.description as Record<string, unknown>;
  editor.value = JSON.stringify(rest, null, 2);
};
startFrom.addEventListener("change", () => loadDescription(startFrom.value));
$("own").addEventListener("click", () => {
  if (!editor.value) loadDescription(startFrom.value);
  dialog.showModal();
});

function showProblems(list: Array<{ path: string; message: string }>): void {
  problems.replaceChildren(...list.map((p) => {
    const li = document.createElement("li");
    if (p.path) {
      const code = document.createElement("code");
      code.textContent = p.path;
      li.append(code, ": ");
    }
    li.append(p.message);
    return li;
  }));
  problems.hidden = list.length === 0;
}

async function attachedFiles(): Promise<Array<{ name: string; bytes: Uint8Array }>> {
  const files = [...($<HTMLInputElement>("attach-files").files ?? [])];
  return Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
}

$("description-run").addEventListener("click", async () => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(editor.value);
  } catch (err) {
    showProblems([{ path: "", message: `not JSON: ${(err as Error).message}` }]);
    return;
  }
  try {
    // The same validator the worker (and the CLI) runs: every problem, with its JSON path.
    validateSystem(parsed, "your system");
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    showProblems(err.problems);
    return;
  }
  showProblems([]);
  const name = (parsed as { name?: unknown }).name;
  dialog.close();
  start({
    kind: "description", title: typeof name === "string" ? name : "edited description",
    description: parsed, file: EDITED_FILE, uploads: await attachedFiles(),
  }, coreSelect.value as CoreChoice);
});

const elfFile = $<HTMLInputElement>("elf-file");
elfFile.addEventListener("change", async () => {
  const file = elfFile.files?.[0];
  elfFile.value = "";
  if (!file) return;
  const bytes = new Uint8Array(await file.arrayBuffer());
  let htif = false;
  try {
    // Checked here so a bad file is reported in the dialog, not after the system is replaced.
    htif = parseElf(bytes, file.name).symbols.has("tohost");
  } catch (err) {
    if (!(err instanceof ElfError)) throw err;
    showProblems([{ path: file.name, message: err.message }]);
    return;
  }
  showProblems([]);
  dialog.close();
  // One partition on the QEMU-virt-compatible board, as `wasmvisor run-elf` runs a program
  // (HTIF when the ELF has a tohost symbol, as the bare machine honours it).
  const description = { name: "program", partitions: [{ name: "program", image: file.name, ram: "16M", ...(htif ? { htif: true } : {}) }] };
  start({ kind: "description", title: file.name, description, file: EDITED_FILE, uploads: [{ name: file.name, bytes }] }, coreSelect.value as CoreChoice);
});

jitSelect.value = initialJit() ? "on" : "off";
start({ kind: "offered", id: initialSystem() }, initialCore());
void offerAutosave();
