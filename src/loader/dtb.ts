// Flattened device tree (DTB) writer: the Devicetree Specification v0.4, §5 (FDT format v17),
// and the description of a partition's QEMU-virt-compatible board that supervisor-mode guests
// (Linux) receive in a1.

import { concatBytes } from "../devices/byte-queue.js";

export type FdtValue = string | string[] | number | number[] | bigint | Uint8Array | true;

export interface FdtNode {
  name: string;
  props: Array<[string, FdtValue]>;
  children: FdtNode[];
}

export function node(name: string, props: Array<[string, FdtValue]> = [], children: FdtNode[] = []): FdtNode {
  return { name, props, children };
}

const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_END = 9;

function encodeValue(v: FdtValue): Uint8Array {
  if (v === true) return new Uint8Array(0);
  if (v instanceof Uint8Array) return v;
  if (typeof v === "string" || Array.isArray(v) && typeof v[0] === "string") {
    return concatBytes((typeof v === "string" ? [v] : (v as string[])).map((s) => new TextEncoder().encode(`${s}\0`)));
  }
  if (typeof v === "bigint") {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, v);
    return out;
  }
  const cells = typeof v === "number" ? [v] : (v as number[]);
  const out = new Uint8Array(cells.length * 4);
  const dv = new DataView(out.buffer);
  cells.forEach((c, i) => dv.setUint32(i * 4, c >>> 0));
  return out;
}

/** Serialise a tree to DTB bytes (big-endian), with `reserved` memory reservations. */
export function buildFdt(root: FdtNode, reserved: Array<[bigint, bigint]> = [], bootCpu = 0): Uint8Array {
  const struct: number[] = [];
  const strings: number[] = [];
  const stringOffsets = new Map<string, number>();
  const u32 = (v: number) => struct.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  const align = () => { while (struct.length % 4) struct.push(0); };
  const stringOffset = (name: string) => {
    let off = stringOffsets.get(name);
    if (off === undefined) {
      off = strings.length;
      stringOffsets.set(name, off);
      for (const b of new TextEncoder().encode(name)) strings.push(b);
      strings.push(0);
    }
    return off;
  };
  const emit = (n: FdtNode) => {
    u32(FDT_BEGIN_NODE);
    for (const b of new TextEncoder().encode(n.name)) struct.push(b);
    struct.push(0);
    align();
    for (const [name, value] of n.props) {
      const data = encodeValue(value);
      u32(FDT_PROP);
      u32(data.length);
      u32(stringOffset(name));
      for (const b of data) struct.push(b);
      align();
    }
    for (const c of n.children) emit(c);
    u32(FDT_END_NODE);
  };
  emit(root);
  u32(FDT_END);

  const headerSize = 40;
  const rsvOffset = headerSize;
  const rsvSize = (reserved.length + 1) * 16;
  const structOffset = rsvOffset + rsvSize;
  const stringsOffset = structOffset + struct.length;
  const total = stringsOffset + strings.length;
  const out = new Uint8Array((total + 7) & ~7);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, FDT_MAGIC);
  dv.setUint32(4, out.length);
  dv.setUint32(8, structOffset);
  dv.setUint32(12, stringsOffset);
  dv.setUint32(16, rsvOffset);
  dv.setUint32(20, 17); // version
  dv.setUint32(24, 16); // last compatible version
  dv.setUint32(28, bootCpu);
  dv.setUint32(32, strings.length);
  dv.setUint32(36, struct.length);
  reserved.forEach(([addr, size], i) => {
    dv.setBigUint64(rsvOffset + i * 16, addr);
    dv.setBigUint64(rsvOffset + i * 16 + 8, size);
  });
  out.set(struct, structOffset);
  out.set(strings, stringsOffset);
  return out;
}

export interface VirtBoardDescription {
  ramBase: number;
  ramBytes: number;
  /** Devices present: QEMU-virt addresses. */
  uart?: boolean;
  clint?: boolean;
  plic?: boolean;
  finisher?: boolean;
  /** QEMU's /poweroff and /reboot nodes (syscon-poweroff 0x5555, syscon-reboot 0x7777 on the
   *  test device), which a firmware's reset driver or Linux's syscon drivers use. */
  syscon?: boolean;
  /** The Goldfish RTC at 0x0010_1000 (PLIC source 11). */
  rtc?: boolean;
  /** virtio-mmio slots (QEMU lists all eight, with or without a device behind them). */
  virtio?: Array<{ base: number; irq: number }>;
  bootargs?: string;
  /** Initial RAM disk location (guest-physical), if any. */
  initrd?: { start: number; end: number };
  /** Extra nodes under /soc (the IPC channels). */
  extraSoc?: FdtNode[];
  /** The hart's riscv,isa (default ISA_RV32GC). */
  isa?: string;
  /** Harts (default 1): a cpu node each, and the CLINT's and PLIC's contexts of every hart. */
  harts?: number;
  /** A NUMA machine (vNUMA, docs/vnuma.md): the node of each hart, and each node's memory as
   *  offsets into RAM. The tree then has a memory node per NUMA node, a `numa-node-id` on each
   *  cpu and memory node, and a `distance-map` (numa-distance-map-v1: 10 within a node, 20
   *  between), as Linux's NUMA bindings describe them. */
  numa?: NumaDescription;
}

export interface NumaDescription {
  hartNodes: readonly number[];
  memory: ReadonlyArray<{ offset: number; bytes: number }>;
}

/** The hart's ISA string: RV32GC (IMAFDC, Zicsr, Zifencei) with Sstc; without F and D for a
 *  partition described with "fpu": false. */
export const ISA_RV32GC = "rv32imafdc_zicsr_zifencei_sstc";
export const ISA_RV32IMAC = "rv32imac_zicsr_zifencei_sstc";

const PH_CPU_INTC = 1;
/** phandle of hart i's interrupt controller (hart 0's is PH_CPU_INTC, as before SMP). */
const cpuIntc = (hart: number) => (hart === 0 ? PH_CPU_INTC : 0x10 + hart);
/** phandle of the PLIC, for devices that name it as their interrupt-parent. */
export const PH_PLIC = 2;
/** phandle of the test device, the regmap of /poweroff and /reboot. */
const PH_TEST = 3;
const reg64 = (addr: number, size: number) => [0, addr >>> 0, Math.floor(size / 0x1_0000_0000), size >>> 0];

/** The device tree of a partition's board, as Linux expects it for QEMU's virt machine. */
export function virtDeviceTree(d: VirtBoardDescription): Uint8Array {
  const soc: FdtNode[] = [];
  const harts = Array.from({ length: d.harts ?? 1 }, (_, i) => i);
  if (d.clint !== false) {
    soc.push(node("clint@2000000", [
      ["compatible", ["sifive,clint0", "riscv,clint0"]],
      ["reg", reg64(0x2000000, 0x10000)],
      ["interrupts-extended", harts.flatMap((h) => [cpuIntc(h), 3, cpuIntc(h), 7])],
    ]));
  }
  if (d.plic !== false) {
    soc.push(node("plic@c000000", [
      ["compatible", ["sifive,plic-1.0.0", "riscv,plic0"]],
      ["reg", reg64(0xc000000, 0x600000)],
      ["#address-cells", 0],
      ["#interrupt-cells", 1],
      ["interrupt-controller", true],
      ["interrupts-extended", harts.flatMap((h) => [cpuIntc(h), 11, cpuIntc(h), 9])],
      ["riscv,ndev", 95],
      ["phandle", PH_PLIC],
    ]));
  }
  if (d.uart !== false) {
    soc.push(node("serial@10000000", [
      ["compatible", "ns16550a"],
      ["reg", reg64(0x10000000, 0x100)],
      ["clock-frequency", 3686400],
      ...(d.plic !== false ? [["interrupt-parent", PH_PLIC], ["interrupts", 10]] as Array<[string, FdtValue]> : []),
    ]));
  }
  if (d.finisher !== false) {
    soc.push(node("test@100000", [
      ["compatible", ["sifive,test1", "sifive,test0", "syscon"]],
      ["reg", reg64(0x100000, 0x1000)],
      ...(d.syscon ? [["phandle", PH_TEST]] as Array<[string, FdtValue]> : []),
    ]));
  }
  const irq = (n: number): Array<[string, FdtValue]> => (d.plic !== false ? [["interrupt-parent", PH_PLIC], ["interrupts", n]] : []);
  if (d.rtc) {
    soc.push(node("rtc@101000", [
      ["compatible", "google,goldfish-rtc"],
      ["reg", reg64(0x101000, 0x1000)],
      ...irq(11),
    ]));
  }
  for (const slot of d.virtio ?? []) {
    soc.push(node(`virtio_mmio@${slot.base.toString(16)}`, [
      ["compatible", "virtio,mmio"],
      ["reg", reg64(slot.base, 0x1000)],
      ...irq(slot.irq),
    ]));
  }
  soc.push(...(d.extraSoc ?? []));
  const chosen: Array<[string, FdtValue]> = [];
  if (d.uart !== false) chosen.push(["stdout-path", "/soc/serial@10000000"]);
  if (d.bootargs) chosen.push(["bootargs", d.bootargs]);
  if (d.initrd) {
    chosen.push(["linux,initrd-start", [0, d.initrd.start >>> 0]]);
    chosen.push(["linux,initrd-end", [0, d.initrd.end >>> 0]]);
  }
  const root = node("", [
    ["#address-cells", 2],
    ["#size-cells", 2],
    ["compatible", "riscv-virtio"],
    ["model", "wasmvisor,virt"],
  ], [
    node("chosen", chosen),
    ...(d.syscon && d.finisher !== false ? [
      node("poweroff", [["value", 0x5555], ["offset", 0], ["regmap", PH_TEST], ["compatible", "syscon-poweroff"]]),
      node("reboot", [["value", 0x7777], ["offset", 0], ["regmap", PH_TEST], ["compatible", "syscon-reboot"]]),
    ] : []),
    ...(d.numa
      ? d.numa.memory.map((m, k) => node(`memory@${(d.ramBase + m.offset).toString(16)}`, [
        ["device_type", "memory"], ["reg", reg64(d.ramBase + m.offset, m.bytes)], ["numa-node-id", k],
      ]))
      : [node(`memory@${d.ramBase.toString(16)}`, [["device_type", "memory"], ["reg", reg64(d.ramBase, d.ramBytes)]])]),
    ...(d.numa ? [node("distance-map", [
      ["compatible", "numa-distance-map-v1"],
      ["distance-matrix", d.numa.memory.flatMap((_, i) => d.numa!.memory.flatMap((_, j) => [i, j, i === j ? 10 : 20]))],
    ])] : []),
    node("cpus", [["#address-cells", 1], ["#size-cells", 0], ["timebase-frequency", 10_000_000]], [
      ...harts.map((h) => node(`cpu@${h}`, [
        ["device_type", "cpu"],
        ["reg", h],
        ["status", "okay"],
        ["compatible", "riscv"],
        ["riscv,isa", d.isa ?? ISA_RV32GC],
        ["mmu-type", "riscv,sv32"],
        ...(harts.length > 1 ? [["phandle", 0x20 + h]] as Array<[string, FdtValue]> : []),
        ...(d.numa ? [["numa-node-id", d.numa.hartNodes[h] ?? 0]] as Array<[string, FdtValue]> : []),
      ], [
        node("interrupt-controller", [
          ["#address-cells", 0],
          ["#interrupt-cells", 1],
          ["interrupt-controller", true],
          ["compatible", "riscv,cpu-intc"],
          ["phandle", cpuIntc(h)],
        ]),
      ])),
      // (SMP: one cluster of every hart, as QEMU's virt describes its sockets' harts.)
      ...(harts.length > 1 ? [node("cpu-map", [], [
        node("cluster0", [], harts.map((h) => node(`core${h}`, [["cpu", 0x20 + h]]))),
      ])] : []),
    ]),
    node("soc", [["#address-cells", 2], ["#size-cells", 2], ["compatible", "simple-bus"], ["ranges", true]], soc),
  ]);
  return buildFdt(root);
}
