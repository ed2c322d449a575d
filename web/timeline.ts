// The live schedule timeline: which partition ran when over the last few major frames, one lane
// per partition and one for idle time, on a canvas. Fed with the "switch" events the worker
// batches (virtual cycle, partition index or -1), drawn at most once per animation frame.

export const IDLE_COLOR = "#5c6370";
const COLORS = ["#e8833a", "#4a90d9", "#6ab04c", "#b05cc8", "#d4b13f", "#3fb5b0", "#d9534f", "#8c7ae6"];

/** A partition's color, the same in the timeline, the terminals and the figures. */
export function partitionColor(index: number): string {
  return COLORS[index % COLORS.length];
}

export interface TimelineOptions {
  partitions: string[];
  cyclesPerSecond: number;
  /** Major frame and windows in cycles (SystemConfig.schedule). */
  majorFrame: number;
  windows: Array<{ start: number; length: number; partitions: number[] }>;
  /** Major frames shown. */
  frames: number;
}

/** What the last draw showed (for the page's test hook and the lane labels). */
export interface TimelineView {
  /** Virtual time shown, in cycles, and the clock (the right edge of what is known). */
  start: number;
  end: number;
  clock: number;
  /**
   * Per lane (partition names, then "idle"): segments drawn and cycles covered in the view; the
   * cycles it ran since boot (`total`: a short system may have stopped long before the view);
   * whether the partition stopped.
   */
  lanes: Array<{ name: string; segments: number; cycles: number; total: number; stopped: boolean }>;
  switchesReceived: number;
}

const LABEL_WIDTH = 128;
const WINDOW_BAND = 16;
const LANE_HEIGHT = 22;
const LANE_GAP = 5;
const AXIS_HEIGHT = 22;
const PAD = 8;

export class Timeline {
  /** Switch times (cycles) and who ran from then on (partition index, -1 idle), in time order. */
  private at: number[] = [];
  private who: number[] = [];
  private clock = 0;
  private received = 0;
  /** Cycles each lane ran since boot, up to the last switch (partitions, then idle). */
  private readonly totals: number[];
  private readonly stopped: boolean[];
  private dirty = false;
  private last: TimelineView | null = null;
  private readonly resizeObserver: ResizeObserver;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly o: TimelineOptions) {
    const lanes = o.partitions.length + 1;
    this.totals = new Array<number>(lanes).fill(0);
    this.stopped = new Array<boolean>(lanes).fill(false);
    canvas.style.height = `${PAD * 2 + WINDOW_BAND + lanes * (LANE_HEIGHT + LANE_GAP) + AXIS_HEIGHT}px`;
    this.resizeObserver = new ResizeObserver(() => this.invalidate());
    this.resizeObserver.observe(canvas);
  }

  /** Append a batch of switches (pairs of cycle, partition index) and the clock after them. */
  add(switches: Float64Array, clock: number): void {
    for (let i = 0; i + 1 < switches.length; i += 2) {
      const n = this.at.length;
      if (n > 0) this.totals[this.lane(this.who[n - 1])] += switches[i] - this.at[n - 1];
      this.at.push(switches[i]);
      this.who.push(switches[i + 1]);
    }
    this.received += switches.length / 2;
    this.clock = Math.max(this.clock, clock);
    // Forget what is out of view, but keep the switch in force at the view's start.
    const keepFrom = this.clock - (this.o.frames + 1) * this.o.majorFrame;
    let drop = 0;
    while (drop + 1 < this.at.length && this.at[drop + 1] <= keepFrom) drop++;
    if (drop > 0) {
      this.at.splice(0, drop);
      this.who.splice(0, drop);
    }
    this.invalidate();
  }

  /** Partition `index` stopped: its lane says so once nothing of it is left in view. */
  halt(index: number): void {
    this.stopped[index] = true;
    this.invalidate();
  }

  private lane(who: number): number {
    return who < 0 ? this.o.partitions.length : who;
  }

  get view(): TimelineView | null {
    return this.last;
  }

  dispose(): void {
    this.resizeObserver.disconnect();
  }

  private invalidate(): void {
    if (this.dirty) return;
    this.dirty = true;
    requestAnimationFrame(() => {
      this.dirty = false;
      this.draw();
    });
  }

  private draw(): void {
    const { canvas, o } = this;
    const dpr = window.devicePixelRatio || 1;
    const cssWidth = canvas.clientWidth;
    const cssHeight = canvas.clientHeight;
    if (cssWidth === 0 || cssHeight === 0) return;
    if (canvas.width !== Math.round(cssWidth * dpr) || canvas.height !== Math.round(cssHeight * dpr)) {
      canvas.width = Math.round(cssWidth * dpr);
      canvas.height = Math.round(cssHeight * dpr);
    }
    const g = canvas.getContext("2d")!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, cssWidth, cssHeight);
    g.font = "12px system-ui, sans-serif";
    g.textBaseline = "middle";

    // The view: the last `frames` major frames, aligned to frame boundaries, ending with the
    // frame the clock is in.
    const span = o.frames * o.majorFrame;
    const end = Math.max(span, Math.ceil(this.clock / o.majorFrame) * o.majorFrame);
    const start = end - span;
    const plotLeft = LABEL_WIDTH;
    const plotWidth = cssWidth - LABEL_WIDTH - PAD;
    const x = (cycles: number) => plotLeft + ((cycles - start) / span) * plotWidth;
    const laneNames = [...o.partitions, "idle"];
    const laneTop = (lane: number) => PAD + WINDOW_BAND + lane * (LANE_HEIGHT + LANE_GAP);
    const lanesBottom = laneTop(laneNames.length) - LANE_GAP;

    // Schedule windows of each frame in view, then the lanes' backgrounds.
    for (let frame = start; frame < end; frame += o.majorFrame) {
      o.windows.forEach((w, i) => {
        const x0 = x(frame + w.start);
        const x1 = x(frame + w.start + w.length);
        g.fillStyle = i % 2 === 0 ? "#2a313b" : "#323a46";
        g.fillRect(x0, PAD, x1 - x0 - 1, WINDOW_BAND - 4);
        const label = `window ${i}: ${w.partitions.map((p) => o.partitions[p]).join(", ")}`;
        if (x1 - x0 > g.measureText(label).width + 8) {
          g.fillStyle = "#8b95a5";
          g.font = "10px system-ui, sans-serif";
          g.fillText(label, x0 + 4, PAD + (WINDOW_BAND - 4) / 2);
          g.font = "12px system-ui, sans-serif";
        }
      });
    }
    laneNames.forEach((_, lane) => {
      g.fillStyle = "#1f252d";
      g.fillRect(plotLeft, laneTop(lane), plotWidth, LANE_HEIGHT);
    });

    // Who ran when: from each switch to the next (the last one to the clock).
    const lanes = laneNames.map((name, lane) => ({ name, segments: 0, cycles: 0, total: this.totals[lane], stopped: this.stopped[lane] }));
    const n = this.at.length;
    if (n > 0) lanes[this.lane(this.who[n - 1])].total += Math.max(0, this.clock - this.at[n - 1]);
    const visibleEnd = Math.min(end, this.clock);
    for (let i = 0; i < this.at.length; i++) {
      const from = Math.max(start, this.at[i]);
      const to = Math.min(visibleEnd, i + 1 < this.at.length ? this.at[i + 1] : this.clock);
      if (to <= from) continue;
      const lane = this.who[i] < 0 ? laneNames.length - 1 : this.who[i];
      lanes[lane].segments++;
      lanes[lane].cycles += to - from;
      const x0 = x(from);
      // At least one device pixel: a 2 µs RTOS job must stay visible in a 40 ms view.
      const width = Math.max(1 / dpr, x(to) - x0);
      g.fillStyle = this.who[i] < 0 ? IDLE_COLOR : partitionColor(this.who[i]);
      g.fillRect(x0, laneTop(lane) + 2, width, LANE_HEIGHT - 4);
    }

    // Lane labels with each lane's share of the time shown.
    const shown = Math.max(1, visibleEnd - start);
    laneNames.forEach((name, lane) => {
      const y = laneTop(lane) + LANE_HEIGHT / 2;
      g.fillStyle = lane === laneNames.length - 1 ? IDLE_COLOR : partitionColor(lane);
      g.fillRect(PAD, y - 5, 10, 10);
      g.fillStyle = "#d8dee9";
      g.fillText(name, PAD + 16, y);
      g.fillStyle = "#8b95a5";
      const share = lanes[lane].stopped && lanes[lane].cycles === 0 ? "stopped" : `${((lanes[lane].cycles / shown) * 100).toFixed(1)} %`;
      g.fillText(share, LABEL_WIDTH - 12 - g.measureText(share).width, y);
    });

    // Frame boundaries, the clock, and the axis in virtual milliseconds.
    g.strokeStyle = "#6b7585";
    g.lineWidth = 1;
    for (let frame = start; frame <= end; frame += o.majorFrame) {
      const fx = Math.round(x(frame)) + 0.5;
      g.beginPath();
      g.moveTo(fx, PAD);
      g.lineTo(fx, lanesBottom + 4);
      g.stroke();
    }
    if (this.clock < end) {
      const cx = Math.round(x(this.clock)) + 0.5;
      g.strokeStyle = "#e5c07b";
      g.beginPath();
      g.moveTo(cx, PAD + WINDOW_BAND - 2);
      g.lineTo(cx, lanesBottom);
      g.stroke();
    }
    const msPerCycle = 1000 / o.cyclesPerSecond;
    const step = niceStep((span * msPerCycle * 90) / Math.max(1, plotWidth)); // ≥ 90 px apart
    const axisY = lanesBottom + 4 + AXIS_HEIGHT / 2;
    g.fillStyle = "#8b95a5";
    g.strokeStyle = "#6b7585";
    const firstTick = Math.ceil((start * msPerCycle) / step - 1e-9) * step;
    for (let ms = firstTick; ms <= end * msPerCycle + 1e-9; ms += step) {
      const tx = Math.round(x(ms / msPerCycle)) + 0.5;
      g.beginPath();
      g.moveTo(tx, lanesBottom + 1);
      g.lineTo(tx, lanesBottom + 6);
      g.stroke();
      const label = `${formatMs(ms, step)} ms`;
      const w = g.measureText(label).width;
      g.fillText(label, Math.min(cssWidth - PAD - w, Math.max(plotLeft, tx - w / 2)), axisY + 2);
    }
    g.fillText("virtual time", PAD, axisY + 2);

    this.last = { start, end, clock: this.clock, lanes, switchesReceived: this.received };
  }
}

/** The smallest 1-2-5 step of at least `min` (ms). */
function niceStep(min: number): number {
  let step = 1e-4;
  while (step < min) {
    const digit = Math.round(step / 10 ** Math.floor(Math.log10(step) + 1e-9));
    step *= digit === 2 ? 2.5 : 2;
  }
  return step;
}

function formatMs(ms: number, step: number): string {
  const decimals = step >= 1 ? 0 : Math.min(4, Math.ceil(-Math.log10(step) - 1e-9));
  return ms.toFixed(decimals);
}
