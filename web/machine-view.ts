// The picture of the running system: one box per partition (its guest mode, image, RAM at
// 0x8000_0000, devices and the shared regions it maps, with their addresses and permissions),
// then the channels between partitions. Plain HTML boxes, redrawn when the system changes.

import type { SystemInfo } from "./protocol.ts";
import { partitionColor } from "./timeline.ts";

const RAM_BASE = 0x8000_0000;

export function renderMachine(host: HTMLElement, info: SystemInfo): void {
  const el = (tag: string, className: string, text?: string) => {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const regionSize = new Map(info.regions.map((r) => [r.name, r.size]));
  const boxes = el("div", "partitions");
  info.partitions.forEach((p, i) => {
    const box = el("div", "partition");
    box.dataset.partition = p.name;
    box.style.borderColor = partitionColor(i);
    const head = el("div", "partition-head");
    const dot = el("span", "dot");
    dot.style.background = partitionColor(i);
    head.append(dot, el("strong", "", p.name), el("small", "", ` ${p.mode} · ${basename(p.image)}`));
    const memory = el("ul", "memory");
    memory.append(el("li", "ram", `RAM ${hex(RAM_BASE)}–${hex(RAM_BASE + p.ramBytes - 1)} (${size(p.ramBytes)})`));
    for (const m of p.mappings) {
      const bytes = regionSize.get(m.region) ?? 0;
      memory.append(el("li", "mapping", `${m.region} at ${hex(m.address)} (${size(bytes)}, ${m.perms || "none"})`));
    }
    box.append(head, memory, el("div", "devices", p.devices.join(" · ")));
    boxes.append(box);
  });
  const channels = el("ul", "channels");
  for (const c of info.channels) {
    const [a, b] = c.ends;
    const end = (e: typeof a) => `${e.partition} #${e.id}${e.pp ? " (serves calls)" : ""}`;
    channels.append(el("li", "channel", `channel ${c.name}: ${end(a)} ⇄ ${end(b)}${c.region ? `, region ${c.region}` : ""}`));
  }
  host.replaceChildren(boxes, ...(info.channels.length ? [channels] : []));
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}

function size(n: number): string {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n >> 20} MiB`;
  if (n >= 1 << 10 && n % (1 << 10) === 0) return `${n >> 10} KiB`;
  return `${n} bytes`;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
