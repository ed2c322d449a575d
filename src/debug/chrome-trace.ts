// A schedule trace of a Hypervisor in the Chrome Trace Event Format (JSON Object Format), which
// Perfetto (https://ui.perfetto.dev) and chrome://tracing open:
//
//   const rec = new TraceRecorder(hv);      // subscribes to hv's "switch" and "exit" events
//   await hv.run();
//   const json = JSON.stringify(rec.trace());  // or rec.write(chunk => …) for large traces
//
// The system is one process (pid 1); each partition is a thread (tid = its index + 1, named
// after it with "M" metadata events), and one more thread holds the idle time. Each stretch of
// virtual time a partition ran is a complete event ("X", category "schedule", named after the
// partition, with its cycles in args); each exit to the host (MMIO, forwarded hypercall, halt)
// is a thread-scoped instant event ("i", category "exit", named after its kind). Time is the
// virtual clock: ts and dur are microseconds of virtual time (cycles / cycles per µs, fractions
// allowed), so the trace is the same on either core and on any host.
//
// Nothing here imports Node modules: it runs in browsers too.

import type { Hypervisor, SwitchEvent, ExitEvent } from "../api/hypervisor.js";

/** One event of the Trace Event Format (the fields this exporter writes). */
export interface TraceEvent {
  name: string;
  /** Phase: "X" complete, "i" instant, "M" metadata. */
  ph: "X" | "i" | "M";
  /** Microseconds (of virtual time). */
  ts: number;
  pid: number;
  tid: number;
  cat?: string;
  /** "X": duration in microseconds. */
  dur?: number;
  /** "i": scope ("t": the thread). */
  s?: "t";
  args?: Record<string, string | number>;
}

export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: "ns";
  otherData: Record<string, string | number>;
}

export interface TraceRecorderOptions {
  /** At most this many events besides the metadata (default 1,000,000). Exits stop being
   *  recorded when three quarters are used, so the schedule keeps the last quarter; slices stop
   *  at the limit. What was dropped is counted in otherData. */
  maxEvents?: number;
  /** Record exits as instant events (default true). */
  exits?: boolean;
}

/** The trace's one process. */
const PID = 1;

export class TraceRecorder {
  private readonly events: TraceEvent[] = [];
  private readonly maxEvents: number;
  private readonly exitLimit: number;
  private readonly perMicrosecond: number;
  private readonly names: string[];
  private readonly idleTid: number;
  /** The slice in progress: who runs since when (cycles). */
  private current: { tid: number; at: number; reason: string } | null = null;
  private firstCycle: number | null = null;
  private lastCycle = 0;
  private droppedExits = 0;
  private droppedSlices = 0;
  private lostSwitches = 0;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(private readonly hv: Hypervisor, options: TraceRecorderOptions = {}) {
    this.maxEvents = Math.max(1, Math.floor(options.maxEvents ?? 1_000_000));
    this.exitLimit = this.maxEvents - Math.floor(this.maxEvents / 4);
    this.perMicrosecond = hv.cyclesPerSecond / 1e6;
    this.names = hv.config.partitions.map((p) => p.name);
    this.idleTid = this.names.length + 1;
    this.unsubscribe.push(hv.on("switch", (e) => this.onSwitch(e)));
    if (options.exits !== false) this.unsubscribe.push(hv.on("exit", (e) => this.onExit(e)));
  }

  /** Stop listening (the trace keeps what it has; trace() still closes the last slice). */
  detach(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /** Events recorded so far (slices and exits, without metadata and the slice in progress). */
  get eventCount(): number {
    return this.events.length;
  }

  private us(cycles: number): number {
    return cycles / this.perMicrosecond;
  }

  private onSwitch(e: SwitchEvent): void {
    this.firstCycle ??= e.at;
    this.lastCycle = e.at;
    const prev = this.current;
    if (prev) {
      if (e.lost) {
        // The switches in between were lost: where the previous partition stopped is unknown.
        this.lostSwitches += e.lost;
        this.slice(this.idleTid, `${e.lost} switches lost`, "lost", prev.at, e.at, { lost: e.lost });
      } else {
        this.slice(prev.tid, this.threadName(prev.tid), "schedule", prev.at, e.at, { reason: prev.reason });
      }
    } else if (e.lost) {
      this.lostSwitches += e.lost;
    }
    const index = e.partition === null ? -1 : this.names.indexOf(e.partition);
    this.current = { tid: index < 0 ? this.idleTid : index + 1, at: e.at, reason: e.reason ?? "" };
  }

  private slice(tid: number, name: string, cat: string, from: number, to: number, args: Record<string, string | number>): void {
    if (to <= from) return; // nothing ran
    if (this.events.length >= this.maxEvents) {
      this.droppedSlices++;
      return;
    }
    this.events.push(this.sliceEvent(tid, name, cat, from, to, args));
  }

  /** A complete ("X") event: `tid` ran from cycle `from` to `to`. */
  private sliceEvent(tid: number, name: string, cat: string, from: number, to: number, args: Record<string, string | number>): TraceEvent {
    return {
      name, cat, ph: "X", ts: this.us(from), dur: this.us(to - from), pid: PID, tid,
      args: { cycles: to - from, startCycle: from, ...args },
    };
  }

  private threadName(tid: number): string {
    return tid === this.idleTid ? "idle" : this.names[tid - 1];
  }

  private onExit(e: ExitEvent): void {
    this.lastCycle = Math.max(this.lastCycle, e.at);
    if (this.events.length >= this.exitLimit) {
      this.droppedExits++;
      return;
    }
    const index = this.names.indexOf(e.partition);
    this.events.push({
      name: e.kind, cat: "exit", ph: "i", s: "t", ts: this.us(e.at), pid: PID, tid: index + 1,
      args: e.detail === undefined ? { cycle: e.at } : { cycle: e.at, detail: e.detail },
    });
  }

  private metadata(): TraceEvent[] {
    const m = (name: string, tid: number, args: Record<string, string | number>): TraceEvent => ({ name, ph: "M", ts: 0, pid: PID, tid, args });
    const out = [
      m("process_name", 0, { name: `wasmvisor: ${this.hv.config.name}` }),
      m("process_sort_index", 0, { sort_index: 0 }),
    ];
    this.names.forEach((name, i) => {
      out.push(m("thread_name", i + 1, { name }), m("thread_sort_index", i + 1, { sort_index: i + 1 }));
    });
    out.push(m("thread_name", this.idleTid, { name: "idle" }), m("thread_sort_index", this.idleTid, { sort_index: this.idleTid }));
    return out;
  }

  /** The slice in progress, ended at the current clock (if anything ran). */
  private closing(): TraceEvent[] {
    const c = this.current;
    if (!c) return [];
    const now = Math.max(this.hv.clock(), this.lastCycle);
    if (now <= c.at) return [];
    if (this.events.length >= this.maxEvents) return [];
    return [this.sliceEvent(c.tid, this.threadName(c.tid), "schedule", c.at, now, { reason: c.reason })];
  }

  private otherData(events: number): Record<string, string | number> {
    return {
      generator: "wasmvisor",
      system: this.hv.config.name,
      timeBase: "virtual time: ts and dur are microseconds of the virtual clock",
      cyclesPerSecond: this.hv.cyclesPerSecond,
      firstCycle: this.firstCycle ?? 0,
      lastCycle: Math.max(this.lastCycle, this.current ? this.hv.clock() : 0),
      events,
      maxEvents: this.maxEvents,
      droppedExits: this.droppedExits,
      droppedSlices: this.droppedSlices,
      lostSwitches: this.lostSwitches,
    };
  }

  /** The trace so far, the running slice ended at the current virtual time. */
  trace(): ChromeTrace {
    const traceEvents = [...this.metadata(), ...this.events, ...this.closing()];
    return { traceEvents, displayTimeUnit: "ns", otherData: this.otherData(traceEvents.length) };
  }

  toJSON(): ChromeTrace {
    return this.trace();
  }

  /**
   * Write trace() as JSON in pieces (one event per line), for traces too large for one string.
   * Returns the number of events written.
   */
  write(out: (chunk: string) => void): number {
    const meta = this.metadata();
    const closing = this.closing();
    const total = meta.length + this.events.length + closing.length;
    out('{"traceEvents":[\n');
    let n = 0;
    let chunk = "";
    const put = (e: TraceEvent) => {
      chunk += (n++ === 0 ? "" : ",\n") + JSON.stringify(e);
      if (chunk.length > 1 << 16) {
        out(chunk);
        chunk = "";
      }
    };
    meta.forEach(put);
    this.events.forEach(put);
    closing.forEach(put);
    out(`${chunk}\n],\n"displayTimeUnit":"ns",\n"otherData":${JSON.stringify(this.otherData(total))}}\n`);
    return total;
  }
}
