// One partition's board: a QEMU-virt-compatible set of devices, its RAM, its physical memory
// map (and stage-2 table for nested paging), image loading, HTIF, the device tree of
// supervisor-mode guests, and the slow hypercalls (SBI console) it serves. The bare machine
// (src/machine/machine.ts) is one board; the hypervisor (src/api/hypervisor.ts) runs several.
//
//   0x0010_0000 test finisher   0x0010_1000 Goldfish RTC   0x0200_0000 CLINT   0x0C00_0000 PLIC
//   0x1000_0000 UART0           0x1000_1000 + n × 0x1000: virtio-mmio slots 0-7 (blk 0, console 1)
//   0x8000_0000 RAM             anywhere else: shared memory regions mapped by the system
//
// Devices that act on their own at a moment of virtual time (the UART's character timeout, the
// RTC's alarm) keep their deadlines here (device-timer.ts): the run loop asks deviceEvents()
// before each slice of the core and ends the slice at the earliest.

import type { Core } from "../core/core.js";
import {
  SYS_HOST_REQ, HOSTREQ_IRQ, HOSTREQ_STOP, HOSTREQ_RETRY, PHYSMAP_ENTRY, PHYSMAP_MAX, PM_BASE, PM_SIZE, PM_KIND,
  PM_TARGET, PM_RAM, PM_MMIO, PM_RAM_WATCH, PM_NO_READ, PM_NO_WRITE, PM_NO_EXEC, V_IRQ_LINES,
  V_TIMER_LO, V_TIMER_HI, V_X, HART_X, SYS_CUR_VCPU, SYS_HC_ERROR, SYS_HC_VALUE, GUEST_MACHINE,
  GUEST_SUPERVISOR, V_PC, V_PRIV, V_SATP, V_DEBUG, STAGE2_TABLE, V_PHYSMAP, V_PHYSMAP_COUNT, V_STAGE2,
  V_SEMIHOST, SEMIHOST_ON, SEMIHOST_USER, HC_SEMIHOSTING, V_STATE, VS_STOPPED, vcpuAddr, physmapAddr,
} from "../../assembly/layout.js";
import type { MmioDevice } from "../devices/device.js";
import { Uart16550 } from "../devices/uart16550.js";
import { Clint } from "../devices/clint.js";
import { Plic } from "../devices/plic.js";
import { TestFinisher, type FinisherEvent } from "../devices/finisher.js";
import { Htif } from "../devices/htif.js";
import { ByteQueue } from "../devices/byte-queue.js";
import type { ElfImage } from "../loader/elf.js";
import { virtDeviceTree, node, PH_PLIC, ISA_RV32GC, ISA_RV32IMAC, type FdtValue, type FdtNode, type NumaDescription } from "../loader/dtb.js";
import { placeFirmwareBoot, bootRomImage, BOOT_ROM_BASE, BOOT_ROM_SIZE, FW_DYNAMIC_INFO } from "../loader/firmware-boot.js";
import { BootRom } from "../devices/boot-rom.js";
import { VirtioMmio, EmptyVirtioSlots } from "../devices/virtio-mmio.js";
import { GoldfishRtc, DEFAULT_RTC_EPOCH, virtualRtcSource, hostRtcSource } from "../devices/goldfish-rtc.js";
import { DeviceTimer, type DeviceClock } from "../devices/device-timer.js";
import { Semihosting, type SemihostFiles } from "../devices/semihosting.js";
import { VirtioBlk, type BlockStorage } from "../devices/virtio-blk.js";
import { VirtioConsole } from "../devices/virtio-console.js";
import { ChannelDoorbells, CHANNEL_BASE, CHANNEL_WINDOW, CHANNEL_IRQ_BASE } from "../devices/channel.js";
import type { VirtualTime } from "../machine/time.js";
import { unpatchView } from "../loader/previrt.js";
import { GuestMemory, layoutWords, type MemoryWindow } from "./guest-memory.js";
import { encode, SnapshotError, MAX_SNAPSHOT_INPUT, type StateReader, type StateValue } from "../snapshot/state.js";
import { UserDeviceSlot, userDeviceProblem, type UserDevice } from "../devices/user-device.js";

export const RAM_BASE = 0x8000_0000;
export const FINISHER_BASE = 0x0010_0000;
export const CLINT_BASE = 0x0200_0000;
export const PLIC_BASE = 0x0c00_0000;
export const UART0_BASE = 0x1000_0000;
export const UART0_IRQ = 10;
export const RTC_BASE = 0x0010_1000;
export const RTC_IRQ = 11;

/** virtio-mmio slots as on QEMU's virt board: 0x1000_1000 + 0x1000 × slot, PLIC source 1 + slot. */
export const VIRTIO_BASE = 0x1000_1000;
export const VIRTIO_SLOTS = 8;
export const VIRTIO_SLOT_SIZE = 0x1000;

export type DeviceName = "uart" | "clint" | "plic" | "finisher" | "virtio-blk" | "virtio-console" | "file-agent";
/** The devices a partition has unless its description lists others. */
export const ALL_DEVICES: readonly DeviceName[] = ["uart", "clint", "plic", "finisher"];
/** Every device a description may list (virtio-blk comes with a partition's "disk"). */
export const KNOWN_DEVICES: readonly DeviceName[] = [...ALL_DEVICES, "virtio-blk", "virtio-console", "file-agent"];
export type GuestMode = "machine" | "supervisor";

/** Exit status of a partition stopped by a fatal fault. */
export const STATUS_FAULT = 126;

/** Room for a supervisor-mode partition's device tree at the top of its RAM. */
export const DEVICE_TREE_BYTES = 0x10000;

/** Guest-physical windows of the devices (a mapped region may not overlap them). */
export const DEVICE_WINDOWS: Record<DeviceName, { base: number; size: number }> = {
  finisher: { base: FINISHER_BASE, size: 0x1000 },
  clint: { base: CLINT_BASE, size: 0x10000 },
  plic: { base: PLIC_BASE, size: 0x600000 },
  uart: { base: UART0_BASE, size: 0x1000 },
  "virtio-blk": { base: VIRTIO_BASE, size: 0x1000 },
  "virtio-console": { base: VIRTIO_BASE + 0x1000, size: 0x1000 },
  // A second virtio console, the byte channel of the guest's file agent (src/api/files.ts).
  "file-agent": { base: VIRTIO_BASE + 0x2000, size: 0x1000 },
};

/** PLIC sources of the virtio slots. */
export const VIRTIO_IRQ: Record<"virtio-blk" | "virtio-console" | "file-agent", number> = { "virtio-blk": 1, "virtio-console": 2, "file-agent": 3 };

/** What every board has whatever its description lists (a mapped region may not overlap them):
 *  the RTC and the eight virtio-mmio slots (those without a device answer as empty slots). */
export const BOARD_WINDOWS: ReadonlyArray<{ what: string; base: number; size: number }> = [
  { what: "the Goldfish RTC", base: RTC_BASE, size: 0x1000 },
  { what: "the virtio-mmio slots", base: VIRTIO_BASE, size: VIRTIO_SLOTS * VIRTIO_SLOT_SIZE },
];

/** How a guest stopped. `status` is the exit status (0: success). */
export type Halt =
  | { kind: "pass"; status: 0; message: string }
  | { kind: "fail"; status: number; message: string }
  | { kind: "reset"; status: 0; message: string }
  | { kind: "htif"; status: number; message: string }
  | { kind: "semihosting"; status: number; message: string }
  | { kind: "shutdown"; status: number; message: string }
  | { kind: "fault"; status: number; message: string }
  | { kind: "limit"; status: number; message: string }
  | { kind: "idle"; status: number; message: string }
  | { kind: "stopped"; status: number; message: string }
  | { kind: "killed"; status: number; message: string };

/** The devices of every board on one core, numbered for the core's mmioRead/mmioWrite. */
export class DeviceBus {
  private readonly devices: MmioDevice[] = [];
  constructor(private readonly time: VirtualTime) {}
  add(device: MmioDevice): number {
    this.devices.push(device);
    return this.devices.length - 1;
  }
  /** A device's name (for tracing). */
  deviceName(id: number): string {
    return this.devices[id]?.name ?? `device ${id}`;
  }
  read(id: number, offset: number, size: number): number {
    this.time.inMmio = true;
    try {
      return this.devices[id].read(offset, size);
    } finally {
      this.time.inMmio = false;
    }
  }
  write(id: number, offset: number, size: number, value: number): void {
    this.time.inMmio = true;
    try {
      this.devices[id].write(offset, size, value);
    } finally {
      this.time.inMmio = false;
    }
  }
}

/** Host memory for stage-2 tables (layout.ts STAGE2_*), shared by the boards of a core. */
export class Stage2Allocator {
  private next: number;
  constructor(private readonly words: Int32Array, base: number, private readonly end: number) {
    this.next = base;
  }
  table(): number {
    if (this.next + STAGE2_TABLE > this.end) throw new RangeError("out of stage-2 table memory (too much mapped guest-physical space)");
    const t = this.next;
    this.next += STAGE2_TABLE;
    this.words.fill(0, t >> 2, (t + STAGE2_TABLE) >> 2);
    return t;
  }
}

/** A shared memory region mapped into this board (host memory owned by the system). */
export interface MappedRegion {
  name: string;
  gpa: number;
  size: number;
  host: number;
  read: boolean;
  write: boolean;
  exec: boolean;
}

export interface BoardOptions {
  core: Core;
  bus: DeviceBus;
  time: VirtualTime;
  /** vCPU and physical-map index of this board (its hart 0). */
  index: number;
  /** The vCPUs of this board's harts, hart 0 first (default [index]: one hart; docs/smp.md). */
  hartVcpus?: readonly number[];
  name: string;
  mode: GuestMode;
  ramBytes: number;
  /** Host address of this board's RAM. */
  ramHost: number;
  devices?: readonly DeviceName[];
  regions?: readonly MappedRegion[];
  /** Present in nested paging mode: where this board's stage-2 table is built. */
  stage2?: Stage2Allocator;
  bootargs?: string;
  /** The disk behind virtio-blk (the device exists when this is given). */
  disk?: BlockStorage;
  /** The board boots the QEMU way, a firmware and a kernel (loadFirmwareBoot): it then has QEMU's
   *  boot ROM at 0x1000 with the fw_dynamic_info the firmware reads. Default false. */
  firmwareBoot?: boolean;
  /** HTIF (tohost/fromhost of the ELF's symbols): on for the bare machine, off in partitions
   *  unless their description enables it. Default false. */
  htif?: boolean;
  /** The F and D extensions on this board's hart (default true: RV32GC; false: RV32IMAC, as
   *  the hart was before F and D, for a partition described with "fpu": false). */
  fpu?: boolean;
  /** vNUMA: the NUMA nodes the device tree describes (the bare machine or a partition on several
   *  nodes). Its RAM is then shared page by page, so DBCN read and write, which would reach it
   *  from the home node, fail (SBI_ERR_FAILED). */
  numa?: NumaDescription;
  /** This partition's IPC channels: its channel id, the channel's name, and the shared region
   *  that goes with it (guest-physical address here), for the doorbells and the device tree. */
  channels?: ReadonlyArray<{ id: number; name: string; region?: { gpa: number; size: number } }>;
  /** The guest rang a channel's doorbell (its id here). */
  onNotify?(id: number): void;
  /** A byte the guest's file agent sent (with the "file-agent" device). */
  fileAgentOutput?(byte: number): void;
  /** The RTC's time in deterministic runs: this many seconds since 1970 plus the partition's own
   *  virtual time (default DEFAULT_RTC_EPOCH, 2026-01-01T00:00:00Z). */
  rtcEpoch?: number;
  /** The RTC follows the host's clock instead (wall-clock runs). Default false. */
  wallClock?: boolean;
  /** RISC-V semihosting for this partition (src/devices/semihosting.ts); absent: off, the
   *  semihosting sequence's EBREAK is an ordinary breakpoint. */
  semihosting?: SemihostingOptions;
  /** Device models of the embedder's own (HypervisorOptions.devices). */
  userDevices?: readonly UserDevice[];
  onOutput(bytes: Uint8Array): void;
  onHalt(halt: Halt): void;
}

/** A partition's semihosting: where its files are, who may call, what SYS_GET_CMDLINE says. */
export interface SemihostingOptions {
  /** The directory its files live in (null: none; opening a file fails with ENOENT). */
  files: SemihostFiles | null;
  /** U-mode may make calls too (QEMU's userspace=on); default: M and S only. */
  userspace?: boolean;
  /** SYS_GET_CMDLINE's answer (default ""). */
  cmdline?: string;
}

export class Board {
  readonly index: number;
  readonly name: string;
  readonly mode: GuestMode;
  readonly ramBytes: number;
  readonly ramHost: number;
  readonly uart: Uart16550 | null = null;
  readonly clint: Clint | null = null;
  readonly plic: Plic | null = null;
  readonly virtioBlk: VirtioBlk | null = null;
  readonly virtioConsole: VirtioConsole | null = null;
  /** The file agent's channel (a second virtio console), when the partition has "file-agent". */
  readonly fileAgent: VirtioConsole | null = null;
  readonly rtc: GoldfishRtc;
  /** The only way this board's devices, loader and debugger reach the partition's memory. */
  readonly memory: GuestMemory;
  private readonly words: Int32Array;
  private readonly vcpu: number;
  /** The vCPU indices of this board's harts (hart 0 = index). */
  readonly hartVcpus: readonly number[];
  private readonly deviceIds = new Map<DeviceName, number>();
  private readonly regions: readonly MappedRegion[];
  private htif: Htif | null = null;
  /** The embedder's device models on this board (user-device.ts). */
  private readonly userSlots: UserDeviceSlot[] = [];
  /** The virtio-mmio transports of this board's virtio devices (their state is in a snapshot). */
  private readonly virtioTransports: VirtioMmio[] = [];
  private loaded = false;
  private regionCount = 0;
  private stage2 = 0;
  private outBuf = new Uint8Array(1024);
  /** MMIO windows beyond the named devices: [guest-physical base, size, bus id]. */
  private readonly extraWindows: Array<[number, number, number]> = [];
  private outLen = 0;
  /** Guest-physical address of the device tree handed to a supervisor-mode guest (or, in a
   *  firmware boot, to the firmware). */
  dtbAddress = 0;
  /** QEMU's boot ROM, in a board that boots a firmware the QEMU way. */
  private readonly bootRom: BootRom | null = null;
  /** The deadlines of this board's devices (the UART's timeout, the RTC's alarm). */
  private readonly timers: DeviceTimer[] = [];
  /** The earliest deadline the run loop knew of when it last asked (deviceEvents): it looks
   *  again by then at the latest. */
  private lookAt: bigint | null = null;
  /** True while the board serves one of the guest's hypercalls. */
  private inHypercall = false;
  /** RISC-V semihosting, when the partition has it. */
  readonly semihosting: Semihosting | null = null;
  /** SYS_HEAPINFO's range: the largest stretch of RAM the loaded images leave free. */
  private heap = { base: RAM_BASE, limit: RAM_BASE };
  /** More console input may still come (the run loop says so; default false: what is queued is
   *  all there will be). Semihosting reads wait for input only while this is true. */
  inputOpen = false;

  /** F and D on this board's hart (BoardOptions.fpu). */
  readonly fpu: boolean;

  constructor(private readonly o: BoardOptions) {
    this.fpu = o.fpu !== false;
    this.index = o.index;
    this.name = o.name;
    this.mode = o.mode;
    this.ramBytes = o.ramBytes;
    this.ramHost = o.ramHost;
    this.regions = o.regions ?? [];
    this.words = layoutWords(o.core.memory);
    this.memory = new GuestMemory(o.core.memory, this.ramWindows(), (host, length) => o.core.exports.jitWrote(host, length));
    this.vcpu = vcpuAddr(o.index);
    this.hartVcpus = o.hartVcpus ?? [o.index];
    const partitionTime = o.time.partition(o.index, this.hartVcpus);
    const devices = new Set(o.devices ?? ALL_DEVICES);
    const clock: DeviceClock = { now: () => o.time.clock(), cyclesPerSecond: () => o.time.cyclesPerTick * 10_000_000 };
    const timer = (fire: () => void) => this.deviceTimer(fire);
    if (devices.has("finisher")) {
      this.deviceIds.set("finisher", o.bus.add(new TestFinisher(`${o.name}.finisher`, (e) => this.finish(e))));
    }
    if (devices.has("clint")) {
      this.clint = new Clint(`${o.name}.clint`, partitionTime, this.hartVcpus.map((_, hart) => ({
        setMsip: (level: boolean) => this.setLine(1 << 3, level, hart),
        setMtip: (level: boolean) => this.setLine(1 << 7, level, hart),
        setDeadline: (clock: bigint | null) => this.setDeadline(clock, hart),
        timeChanged: () => this.rtc.timeChanged(),
      })));
      this.deviceIds.set("clint", o.bus.add(this.clint));
    }
    if (devices.has("plic")) {
      // Context 2i: hart i's M-mode (MEIP), 2i + 1: its S-mode (SEIP), as on QEMU's virt.
      this.plic = new Plic(`${o.name}.plic`, (ctx, level) => this.setLine((ctx & 1) === 0 ? 1 << 11 : 1 << 9, level, ctx >> 1), this.hartVcpus.length);
      this.deviceIds.set("plic", o.bus.add(this.plic));
    }
    if (devices.has("uart")) {
      const plic = this.plic;
      this.uart = new Uart16550(`${o.name}.uart0`, (b) => this.emit(b), (level) => plic?.setLevel(UART0_IRQ, level), clock, timer);
      this.deviceIds.set("uart", o.bus.add(this.uart));
    }
    // The RTC: in deterministic runs its own epoch plus the partition's own time.
    const rtcSource = o.wallClock ? hostRtcSource(clock) : virtualRtcSource(o.rtcEpoch ?? DEFAULT_RTC_EPOCH, partitionTime);
    if (o.semihosting) {
      const sh = o.semihosting;
      const time = partitionTime;
      this.semihosting = new Semihosting({
        memory: this.memory,
        translating: () => this.translating(),
        translate: (va) => this.debugTranslate(va),
        register: (r) => this.callerRegister(r),
        files: sh.files,
        output: (bytes) => { for (const b of bytes) this.emit(b); },
        input: () => this.takeInput(),
        inputOpen: () => this.inputOpen,
        elapsedNs: () => time.mtime() * 100n, // mtime counts at 10 MHz
        timeSeconds: () => Number(rtcSource.nowNs() / 1_000_000_000n),
        cmdline: () => sh.cmdline ?? "",
        heap: () => this.heap,
        exit: (status, message) => this.finishWith({ kind: "semihosting", status, message }),
        retry: () => { this.words[SYS_HOST_REQ >> 2] |= HOSTREQ_RETRY; },
      });
    }
    this.rtc = new GoldfishRtc(`${o.name}.rtc`, rtcSource, (level) => this.plic?.setLevel(RTC_IRQ, level), timer);
    this.extraWindows.push([RTC_BASE, 0x1000, o.bus.add(this.rtc)]);
    // virtio devices reach the partition's memory by DMA through its gate, and nothing else.
    const line = (irq: number) => (level: boolean) => this.plic?.setLevel(irq, level);
    const retry = () => { this.words[SYS_HOST_REQ >> 2] |= HOSTREQ_RETRY; };
    if (o.disk) {
      this.virtioBlk = new VirtioBlk(o.disk, `${o.name}-vda`);
      const dev = new VirtioMmio(`${o.name}.virtio-blk`, this.virtioBlk, this.memory, line(VIRTIO_IRQ["virtio-blk"]), retry);
      this.virtioTransports.push(dev);
      this.deviceIds.set("virtio-blk", o.bus.add(dev));
    }
    const channels = o.channels ?? [];
    if (channels.length > 0) {
      const doorbells = new ChannelDoorbells(`${o.name}.channels`, new Set(channels.map((c) => c.id)), (id) => o.onNotify?.(id));
      this.extraWindows.push([CHANNEL_BASE, CHANNEL_WINDOW, o.bus.add(doorbells)]);
    }
    if (devices.has("virtio-console")) {
      this.virtioConsole = new VirtioConsole((b) => this.emit(b));
      const dev = new VirtioMmio(`${o.name}.virtio-console`, this.virtioConsole, this.memory, line(VIRTIO_IRQ["virtio-console"]), retry);
      this.virtioConsole.setGuard((op) => dev.guarded(op));
      this.virtioTransports.push(dev);
      this.deviceIds.set("virtio-console", o.bus.add(dev));
    }
    if (devices.has("file-agent")) {
      this.fileAgent = new VirtioConsole((b) => o.fileAgentOutput?.(b));
      const dev = new VirtioMmio(`${o.name}.file-agent`, this.fileAgent, this.memory, line(VIRTIO_IRQ["file-agent"]), retry);
      this.fileAgent.setGuard((op) => dev.guarded(op));
      this.virtioTransports.push(dev);
      this.deviceIds.set("file-agent", o.bus.add(dev));
    }
    if (o.firmwareBoot) {
      this.bootRom = new BootRom(`${o.name}.rom`, BOOT_ROM_SIZE);
      this.extraWindows.push([BOOT_ROM_BASE, BOOT_ROM_SIZE, o.bus.add(this.bootRom)]);
    }
    // The embedder's own devices, where nothing else is (checked against every window).
    for (const d of o.userDevices ?? []) {
      const problem = userDeviceProblem(d);
      if (problem) throw new RangeError(`${o.name}: device ${problem}`);
      const taken: Array<[string, number, number]> = [
        ["its RAM", RAM_BASE, o.ramBytes],
        ...[...this.deviceIds.keys()].map((k): [string, number, number] => [`the ${k} device`, DEVICE_WINDOWS[k].base, DEVICE_WINDOWS[k].size]),
        ...BOARD_WINDOWS.map((w): [string, number, number] => [w.what, w.base, w.size]),
        ...this.extraWindows.map(([base, size]): [string, number, number] => [`the window at 0x${base.toString(16)}`, base, size]),
        ...this.regions.map((r): [string, number, number] => [`region "${r.name}"`, r.gpa, r.size]),
        ...this.userSlots.map((s): [string, number, number] => [`device ${s.device.name}`, s.device.base, s.device.size]),
      ];
      const clash = taken.find(([, base, size]) => d.base < base + size && base < d.base + d.size);
      if (clash) throw new RangeError(`${o.name}: device ${d.name} at 0x${d.base.toString(16)}+0x${d.size.toString(16)} overlaps ${clash[0]}`);
      if (d.irq !== undefined && this.userSlots.some((s) => s.device.irq === d.irq)) throw new RangeError(`${o.name}: device ${d.name}: PLIC source ${d.irq} is taken`);
      const slot = new UserDeviceSlot(d, o.name, this.memory, (level) => { if (d.irq !== undefined) this.plic?.setLevel(d.irq, level); },
        () => o.time.clock(), (message) => this.finishWith({ kind: "fault", status: STATUS_FAULT, message }));
      this.userSlots.push(slot);
      this.extraWindows.push([d.base, d.size, o.bus.add(slot)]);
    }
    // The other virtio-mmio slots answer as empty ones (one window per run of adjacent slots).
    const empty = new EmptyVirtioSlots(`${o.name}.virtio-empty`, VIRTIO_SLOT_SIZE);
    let emptyId = -1;
    let run: [number, number, number] | null = null;
    for (let slot = 0; slot < VIRTIO_SLOTS; slot++) {
      const base = VIRTIO_BASE + slot * VIRTIO_SLOT_SIZE;
      if ((slot === 0 && this.virtioBlk) || (slot === 1 && this.virtioConsole) || (slot === 2 && this.fileAgent)) {
        run = null;
        continue;
      }
      if (run) {
        run[1] += VIRTIO_SLOT_SIZE;
      } else {
        if (emptyId < 0) emptyId = o.bus.add(empty);
        run = [base, VIRTIO_SLOT_SIZE, emptyId];
        this.extraWindows.push(run);
      }
    }
  }

  /** A deadline of one of this board's devices (device-timer.ts). */
  private deviceTimer(fire: () => void): DeviceTimer {
    const t = new DeviceTimer(fire, (changed) => {
      // Armed earlier than the run loop will look, during the guest's access: the core returns
      // to the host after this instruction, and the loop plans its next slice with it.
      const at = changed.deadline;
      if (at === null || !(this.o.time.inMmio || this.inHypercall)) return;
      if (this.lookAt === null || at < this.lookAt) {
        this.lookAt = at;
        this.words[SYS_HOST_REQ >> 2] |= HOSTREQ_STOP;
      }
    });
    this.timers.push(t);
    return t;
  }

  /**
   * Fire the device deadlines that the clock has reached (at the committed clock, between two
   * slices of the core), and return the earliest one left (null: none). The run loop ends its
   * next slice there at the latest.
   */
  deviceEvents(): bigint | null {
    const now = this.o.time.clock();
    for (const t of this.timers) t.poll(now);
    let next: bigint | null = null;
    for (const t of this.timers) {
      const at = t.deadline;
      if (at !== null && (next === null || at < next)) next = at;
    }
    this.lookAt = next;
    return next;
  }

  // ── Snapshots (src/snapshot/) ─────────────────────────────────────────────────────────────

  /** The board's host-side state: its devices, console input and output not yet handed on, and
   *  what loading the image decided (HTIF's words, the device tree's address, the stage-2 root).
   *  The hart and the memory map are in the core's memory, which a snapshot carries whole. */
  saveState(): StateValue {
    return {
      uart: this.uart?.saveState() ?? null,
      clint: this.clint?.saveState() ?? null,
      plic: this.plic?.saveState() ?? null,
      rtc: this.rtc.saveState(),
      virtio: this.virtioTransports.map((t) => t.saveState()),
      htif: this.htif ? { tohost: this.htif.tohost, fromhost: this.htif.fromhost, state: this.htif.saveState() } : null,
      sbiInput: encode.bytes(this.sbiInput.peekAll()),
      output: encode.bytes(this.outBuf.subarray(0, this.outLen)),
      dtbAddress: this.dtbAddress,
      bootRom: this.bootRom?.saveState() ?? null,
      user: this.userSlots.map((s) => {
        if (!s.device.saveState) throw new Error(`snapshot: the device ${s.device.name} of ${this.name} keeps no state for a snapshot (it has no saveState)`);
        return s.device.saveState();
      }),
      // Semihosting's errno and heap; open host files are not carried (a restored partition
      // finds its handles closed: EBADF).
      semihosting: this.semihosting ? { errno: this.semihosting.errno, heapBase: this.heap.base, heapLimit: this.heap.limit } : null,
    };
  }

  /** Take the state saveState() gave, on a board built for the same partition (after the core's
   *  memory was restored; instead of loading an image). */
  loadState(r: StateReader): void {
    const device = (name: "uart" | "clint" | "plic", dev: { loadState(r: StateReader): void } | null) => {
      const s = r.childOrNull(name);
      if ((s === null) !== (dev === null)) throw new SnapshotError(`snapshot: ${r.path}.${name} does not match the partition's devices`);
      if (s && dev) dev.loadState(s);
    };
    device("uart", this.uart);
    device("clint", this.clint);
    device("plic", this.plic);
    this.rtc.loadState(r.child("rtc"));
    const virtio = r.list("virtio", this.virtioTransports.length);
    if (virtio.length !== this.virtioTransports.length) throw new SnapshotError(`snapshot: ${r.path}.virtio does not match the partition's devices`);
    this.virtioTransports.forEach((t, i) => t.loadState(virtio[i]));
    const h = r.childOrNull("htif");
    this.htif = null;
    if (h) {
      const inRam = (at: number) => at % 8 === 0 && at >= RAM_BASE && at + 8 <= RAM_BASE + this.ramBytes;
      const tohost = h.int("tohost", 0, 0xffff_ffff);
      const fromhost = h.intOrNull("fromhost", 0, 0xffff_ffff);
      if (!this.o.htif || !inRam(tohost) || (fromhost !== null && !inRam(fromhost))) {
        throw new SnapshotError(`snapshot: ${r.path}.htif is not possible for this partition`);
      }
      this.htif = this.makeHtif(tohost, fromhost);
      this.htif.loadState(h.child("state"));
    }
    this.sbiInput.replace(r.bytes("sbiInput", MAX_SNAPSHOT_INPUT));
    const output = r.bytes("output", this.outBuf.length);
    this.outBuf.set(output);
    this.outLen = output.length;
    this.dtbAddress = r.int("dtbAddress", 0, 0xffff_ffff);
    const user = r.list("user", this.userSlots.length);
    if (user.length !== this.userSlots.length) throw new SnapshotError(`snapshot: ${r.path}.user does not match the partition's devices`);
    const states = r.raw("user") as unknown[];
    this.userSlots.forEach((s, i) => s.device.loadState?.(states[i]));
    const rom = r.childOrNull("bootRom");
    if ((rom === null) !== (this.bootRom === null)) throw new SnapshotError(`snapshot: ${r.path}.bootRom does not match the partition`);
    if (rom) this.bootRom!.loadState(rom);
    const sh = r.childOrNull("semihosting");
    if (sh && !this.semihosting) throw new SnapshotError(`snapshot: ${r.path}.semihosting: this partition has no semihosting`);
    if (sh && this.semihosting) {
      this.semihosting.closeAll();
      this.semihosting.errno = sh.int("errno", 0, 0xffff_ffff);
      this.heap = { base: sh.int("heapBase", 0, 0xffff_ffff), limit: sh.int("heapLimit", 0, 0xffff_ffff) };
    }
    this.loaded = true;
  }

  /** Write this board's memory map (and stage-2 table) again from its description, and point
   *  its vCPU at them: a restored system never takes host addresses from a snapshot file. */
  rebuildMap(): void {
    this.writeMap();
    for (const hart of this.hartVcpus) {
      const v = vcpuAddr(hart);
      this.words[(v + V_PHYSMAP) >> 2] = physmapAddr(this.index);
      this.words[(v + V_PHYSMAP_COUNT) >> 2] = this.regionCount;
      this.words[(v + V_STAGE2) >> 2] = this.stage2;
    }
  }

  // ── Loading and reset ─────────────────────────────────────────────────────────────────────

  /**
   * Load segments into this board's RAM (everything else zeroed), then reset the hart. A
   * supervisor-mode board also gets its device tree in the last 64 KiB of RAM and, if given, the
   * initial RAM disk just below it (page-aligned), both named in the tree as Linux expects.
   */
  loadImage(image: ElfImage, name = "image", initrd?: { bytes: Uint8Array; name: string }): void {
    this.loadSegments(image, name);
    if (this.mode === "supervisor") this.writeDeviceTree(image, name, initrd);
    else if (initrd) throw new RangeError(`${initrd.name}: an initial RAM disk needs a supervisor-mode partition (it is named in the device tree), or a firmware boot with a kernel`);
    this.semihosting?.closeAll();
    this.heap = this.largestFreeRam(image, initrd?.bytes.length ?? 0);
    this.reset(image.entry);
  }

  /**
   * Boot the QEMU way (`-bios FIRMWARE -kernel KERNEL -initrd INITRD -append BOOTARGS`): the
   * firmware, the kernel, the initrd and the device tree where QEMU 7.2's virt board puts them
   * (src/loader/firmware-boot.ts), QEMU's boot ROM with fw_dynamic_info, and the hart reset in
   * M-mode at the firmware's entry with a0 = 0, a1 = the device tree, a2 = fw_dynamic_info.
   * Throws RangeError naming what does not fit or what overlaps what.
   */
  loadFirmwareBoot(firmware: ElfImage, name: string, kernel?: { bytes: Uint8Array; name: string }, initrd?: { bytes: Uint8Array; name: string }): void {
    if (!this.bootRom || this.mode !== "machine") throw new RangeError(`${this.name}: a firmware boot needs a machine-mode board made with firmwareBoot`);
    const placed = placeFirmwareBoot({
      firmware, firmwareName: name, kernel, initrd: initrd && { bytes: initrd.bytes.length, name: initrd.name },
      ramBase: RAM_BASE, ramBytes: this.ramBytes,
      deviceTree: (initrdRange) => this.deviceTree(initrdRange, true),
    });
    if (typeof placed === "string") throw new RangeError(placed);
    this.loadSegments(firmware, name);
    if (placed.kernel) for (const seg of placed.kernel.segments) this.memory.write(seg.paddr, seg.data, "debug");
    if (initrd) this.memory.write(placed.initrdStart, initrd.bytes, "debug");
    this.memory.write(placed.dtb, placed.dtbBytes, "debug");
    this.dtbAddress = placed.dtb;
    this.bootRom.load(bootRomImage(firmware.entry, placed.dtb, placed.kernelEntry));
    this.semihosting?.closeAll();
    // SYS_HEAPINFO's heap: the largest stretch the firmware, kernel, initrd and tree leave free.
    const piece = (paddr: number, memsz: number) => ({ paddr, vaddr: paddr, data: new Uint8Array(0), memsz, flags: 0 });
    this.heap = this.largestFreeRam({
      entry: firmware.entry, symbols: new Map(),
      segments: [...firmware.segments, ...(placed.kernel?.segments ?? []), ...(initrd ? [piece(placed.initrdStart, initrd.bytes.length)] : []),
        piece(placed.dtb, placed.dtbBytes.length)],
    }, 0);
    this.reset(firmware.entry);
    this.setRegister(11, placed.dtb);
    this.setRegister(12, FW_DYNAMIC_INFO);
  }

  /** Check and load an image's segments into RAM (clearing what a previous run left), and set
   *  up HTIF from its symbols if the board has it. */
  private loadSegments(image: ElfImage, name: string): void {
    for (const [i, seg] of image.segments.entries()) {
      if (seg.paddr < RAM_BASE || seg.paddr + seg.memsz > RAM_BASE + this.ramBytes) {
        const end = (seg.paddr + seg.memsz - 1) >>> 0;
        throw new RangeError(
          `${name}: segment ${i} (0x${seg.paddr.toString(16)}-0x${end.toString(16)}) lies outside RAM ` +
          `(0x${RAM_BASE.toString(16)}-0x${(RAM_BASE + this.ramBytes - 1).toString(16)}); ` +
          `link the program for RAM at 0x80000000 or give more RAM`);
      }
    }
    // A fresh memory is already zero; only a reload must clear what the last run left.
    if (this.loaded) this.clearRam();
    this.loaded = true;
    for (const seg of image.segments) this.memory.write(seg.paddr, seg.data, "debug");
    this.htif = null;
    const tohost = image.symbols.get("tohost");
    if (this.o.htif && tohost !== undefined) {
      const fromhost = image.symbols.get("fromhost") ?? null;
      for (const [symbol, at] of [["tohost", tohost], ["fromhost", fromhost]] as const) {
        if (at !== null && (at % 8 !== 0 || at < RAM_BASE || at + 8 > RAM_BASE + this.ramBytes)) {
          throw new RangeError(`${name}: symbol ${symbol} (0x${at.toString(16)}) must be an 8-byte-aligned address in RAM (HTIF)`);
        }
      }
      this.htif = this.makeHtif(tohost, fromhost);
    }
  }

  /** The largest stretch of RAM that the image's segments (and in supervisor mode the device
   *  tree and initrd) leave free: SYS_HEAPINFO's heap, as QEMU finds it between its ROM blobs. */
  private largestFreeRam(image: ElfImage, initrdBytes: number): { base: number; limit: number } {
    const used = image.segments.filter((s) => s.memsz > 0).map((s) => [s.paddr, s.paddr + s.memsz]);
    if (this.mode === "supervisor") {
      const placed = bootPlacement(image, this.ramBytes, initrdBytes);
      if (typeof placed !== "string") used.push([initrdBytes > 0 ? placed.initrdStart : placed.dtb, RAM_BASE + this.ramBytes]);
    }
    used.sort((a, b) => a[0] - b[0]);
    let best = { base: RAM_BASE, limit: RAM_BASE };
    let at = RAM_BASE;
    for (const [from, to] of [...used, [RAM_BASE + this.ramBytes, RAM_BASE + this.ramBytes]]) {
      if (from - at > best.limit - best.base) best = { base: at, limit: from };
      at = Math.max(at, to);
    }
    return best;
  }

  /** Close the partition's host files (its semihosting handles): it has ended. */
  closeFiles(): void {
    this.semihosting?.closeAll();
  }

  /** HTIF at `tohost` / `fromhost` (checked to be in RAM). */
  private makeHtif(tohost: number, fromhost: number | null): Htif {
    return new Htif(tohost, fromhost, this.memory, {
      output: (b) => this.emit(b),
      input: () => (this.uart ? this.uart.takeInput() : -1),
      exit: (code) => this.finishWith({
        kind: "htif", status: code,
        message: code === 0 ? "passed (HTIF tohost = 1)" : `failed (HTIF exit code ${code})`,
      }),
      fault: (message) => this.finishWith({ kind: "fault", status: STATUS_FAULT, message: `stopped by a fatal fault: ${message}` }),
    });
  }

  /** The device tree goes in the last 64 KiB of RAM (where QEMU puts it, below the top). */
  private writeDeviceTree(image: ElfImage, name: string, initrd?: { bytes: Uint8Array; name: string }): void {
    const placement = bootPlacement(image, this.ramBytes, initrd?.bytes.length ?? 0);
    if (typeof placement === "string") throw new RangeError(`${placement.startsWith("initrd") ? initrd!.name : name}: ${placement}`);
    if (initrd) this.memory.write(placement.initrdStart, initrd.bytes, "debug");
    const dtb = this.deviceTree(initrd ? { start: placement.initrdStart, end: placement.initrdStart + initrd.bytes.length } : undefined, false);
    const at = placement.dtb >>> 0;
    if (dtb.length > DEVICE_TREE_BYTES || this.ramBytes < 2 * DEVICE_TREE_BYTES) throw new RangeError(`${this.name}: RAM too small for the device tree`);
    this.memory.write(at, dtb, "debug");
    this.dtbAddress = at;
  }

  /** This board's device tree: its devices, RAM, bootargs and initrd. `firmware`: for a firmware
   *  booted the QEMU way, with QEMU's /poweroff and /reboot nodes on the test device. */
  private deviceTree(initrd: { start: number; end: number } | undefined, firmware: boolean): Uint8Array {
    const extraSoc: FdtNode[] = [];
    // Channels: UIO-compatible nodes (shared region, doorbell page, interrupt), bound to the
    // stock uio_pdrv_genirq driver through its of_id parameter.
    for (const c of this.o.channels ?? []) {
      const doorbell = CHANNEL_BASE + c.id * 0x1000;
      extraSoc.push(node(`${c.name}@${doorbell.toString(16)}`, [
        ["compatible", "wasmvisor,channel"],
        ["reg", [...(c.region ? [0, c.region.gpa, 0, c.region.size] : []), 0, doorbell, 0, 0x1000]],
        ["wasmvisor,channel-id", c.id],
        ...(this.plic ? [["interrupt-parent", PH_PLIC], ["interrupts", CHANNEL_IRQ_BASE + c.id]] as Array<[string, FdtValue]> : []),
      ]));
    }
    for (const s of this.userSlots) {
      const d = s.device;
      if (!d.compatible) continue;
      extraSoc.push(node(`${d.name}@${d.base.toString(16)}`, [
        ["compatible", d.compatible],
        ["reg", [0, d.base, 0, d.size]],
        ...(this.plic && d.irq !== undefined ? [["interrupt-parent", PH_PLIC], ["interrupts", d.irq]] as Array<[string, FdtValue]> : []),
      ]));
    }
    let bootargs = this.o.bootargs;
    if ((this.o.channels ?? []).length > 0 && !/uio_pdrv_genirq\.of_id=/.test(bootargs ?? "")) {
      bootargs = `${bootargs ? `${bootargs} ` : ""}uio_pdrv_genirq.of_id=wasmvisor,channel`;
    }
    if (this.fileAgent) {
      // The agent's tty: Linux numbers the virtio consoles hvc0, hvc1... in probe order, the
      // order of the slots. An unknown key=value on the command line reaches init's environment.
      bootargs = `${bootargs ? `${bootargs} ` : ""}wvagent=/dev/hvc${this.virtioConsole ? 1 : 0}`;
    }
    return virtDeviceTree({
      extraSoc,
      initrd,
      ramBase: RAM_BASE,
      ramBytes: this.ramBytes,
      uart: this.deviceIds.has("uart"),
      clint: this.deviceIds.has("clint"),
      plic: this.deviceIds.has("plic"),
      finisher: this.deviceIds.has("finisher"),
      syscon: firmware && this.deviceIds.has("finisher"),
      rtc: true,
      isa: this.fpu ? ISA_RV32GC : ISA_RV32IMAC,
      harts: this.hartVcpus.length,
      ...(this.o.numa ? { numa: this.o.numa } : {}),
      // Only the slots with a device behind them. QEMU lists all eight; Linux then probes each
      // (a platform device, its registers mapped, magic, version and ID read) only to leave the
      // empty ones alone: about 0.24 M instructions of boot per empty slot. The empty slots
      // still answer at their addresses, for guests that look there themselves.
      virtio: (["virtio-blk", "virtio-console", "file-agent"] as const).filter((d) => this.deviceIds.has(d))
        .map((d) => ({ base: DEVICE_WINDOWS[d].base, irq: VIRTIO_IRQ[d] })),
      bootargs,
    });
  }

  /**
   * Reset the harts at `entry` in this board's guest mode (supervisor: hart 0 with a0 = 0,
   * a1 = DTB; the other harts STOPPED until SBI HSM hart_start). In machine mode every hart starts
   * at `entry` with a0 = its hart id, as QEMU's virt board resets its harts (docs/smp.md).
   */
  reset(entry: number): void {
    this.writeMap();
    const exports = this.o.core.exports;
    this.hartVcpus.forEach((index, hart) => {
      exports.vcpuResetTo(index, this.mode === "supervisor" ? GUEST_SUPERVISOR : GUEST_MACHINE, entry | 0, hart,
        physmapAddr(this.index), this.regionCount, this.stage2);
      exports.vcpuSetFpu(index, this.fpu ? 1 : 0);
      exports.smpJoin(this.index, hart, index);
      const v = vcpuAddr(index);
      if (this.o.semihosting) {
        this.words[(v + V_SEMIHOST) >> 2] = SEMIHOST_ON | (this.o.semihosting.userspace ? SEMIHOST_USER : 0);
      }
      if (hart === 0) return;
      if (this.mode === "supervisor") this.words[(v + V_STATE) >> 2] = VS_STOPPED;
      else this.words[((this.words[SYS_CUR_VCPU >> 2] === index ? HART_X : v + V_X) >> 2) + 10] = hart;
    });
    if (this.mode === "supervisor") {
      this.setRegister(10, 0);
      this.setRegister(11, this.dtbAddress);
    }
    this.clint?.update();
  }

  /** Write a register of this board's hart (HART_X if it is the running vCPU). */
  setRegister(r: number, value: number): void {
    const running = this.words[SYS_CUR_VCPU >> 2] === this.index;
    this.words[((running ? HART_X : this.vcpu + V_X) >> 2) + r] = value | 0;
  }

  /** A register of the hart that is making a hypercall (or a device access) now: the running
   *  vCPU, whichever of this board's harts it is (SMP: docs/smp.md). */
  callerRegister(r: number): number {
    return this.words[((HART_X + this.callerShift) >> 2) + r];
  }

  /** Where the calling hart's system block is, relative to the home block: 0, but for a hart on
   *  a thread of its own (src/machine/parallel.ts), whose registers and hypercall results are
   *  in its thread's block while the home thread serves its call. */
  callerShift = 0;

  /** Read a register of this board's hart (hart 0: the one the debugger sees). */
  register(r: number): number {
    const running = this.words[SYS_CUR_VCPU >> 2] === this.index;
    return this.words[((running ? HART_X : this.vcpu + V_X) >> 2) + r];
  }

  /** A copy of guest memory at guest-physical [pa, pa + length) (RAM or a mapped region). */
  readRam(pa: number, length: number): Uint8Array {
    const bytes = this.memory.read(pa, length, "debug");
    if (!bytes) throw new RangeError(`0x${pa.toString(16)}+${length} is outside the partition's memory`);
    return bytes;
  }

  /** Zero this partition's RAM (before an image is loaded again). */
  clearRam(): void {
    this.memory.fill(RAM_BASE, this.ramBytes, 0, "debug");
  }

  /** Registers x0-x31, pc and privilege level of this board's hart. */
  registers(): { x: number[]; pc: number; priv: number } {
    return {
      x: Array.from({ length: 32 }, (_, r) => this.register(r)),
      pc: this.words[(this.vcpu + V_PC) >> 2] >>> 0,
      priv: this.words[(this.vcpu + V_PRIV) >> 2],
    };
  }

  // ── Debugger access (src/debug/gdb.ts): what a JTAG probe sees, without side effects ──────

  /** The hart's pc (settable while it is stopped). */
  get pc(): number {
    return this.words[(this.vcpu + V_PC) >> 2] >>> 0;
  }
  set pc(value: number) {
    this.words[(this.vcpu + V_PC) >> 2] = value | 0;
  }

  /** Debugger control of the hart (DEBUG_* of assembly/layout.ts; 0: no debugger). */
  get debugFlags(): number {
    return this.words[(this.vcpu + V_DEBUG) >> 2];
  }
  set debugFlags(flags: number) {
    this.words[(this.vcpu + V_DEBUG) >> 2] = flags;
  }

  /** Does the hart translate addresses at its privilege level now (not M, satp.MODE = Sv32)? */
  translating(): boolean {
    return this.words[(this.vcpu + V_PRIV) >> 2] !== 3 && this.words[(this.vcpu + V_SATP) >> 2] < 0;
  }

  /**
   * Guest-physical address of virtual address `va` as the hart fetches at its privilege level
   * now: itself in M-mode or with satp off, else through the guest's Sv32 tables (read only:
   * no A/D bits set, no permission check). -1 when nothing is mapped there.
   */
  debugTranslate(va: number): number {
    va >>>= 0;
    if (!this.translating()) return va;
    const satp = this.words[(this.vcpu + V_SATP) >> 2];
    let table = (satp & 0x3fffff) * 4096;
    for (let level = 1; level >= 0; level--) {
      const vpn = level === 1 ? va >>> 22 : (va >>> 12) & 0x3ff;
      const pte = this.memory.readU32(table + vpn * 4, "debug"); // (devices are never read: side effects)
      if (pte === null) return -1;
      if ((pte & 1) === 0 || (pte & 6) === 4) return -1; // invalid, or W without R
      const ppn = pte >>> 10;
      if ((pte & 0xa) !== 0) { // a leaf (R or X)
        const pa = level === 1 ? (ppn >>> 10) * 2 ** 22 + (va & 0x3fffff) : ppn * 4096 + (va & 0xfff);
        return pa < 2 ** 32 && (level === 0 || (ppn & 0x3ff) === 0) ? pa : -1;
      }
      table = ppn * 4096;
    }
    return -1;
  }

  /** The guest-physical spans of the `length` bytes at virtual address `va` (one per page) as
   *  [guest-physical address, offset, length]; null if any byte is not in memory. */
  private debugSpans(va: number, length: number, physical: boolean): Array<[number, number, number]> | null {
    const spans: Array<[number, number, number]> = [];
    for (let done = 0; done < length;) {
      const at = (va + done) >>> 0;
      const n = Math.min(length - done, 4096 - (at & 4095));
      const pa = physical ? at : this.debugTranslate(at);
      if (pa < 0 || !this.memory.contains(pa, n, "debug")) return null;
      spans.push([pa, done, n]);
      done += n;
    }
    return spans;
  }

  /** Copy `length` bytes at virtual address `va` (guest-physical with `physical`); null if any
   *  byte is not RAM. */
  debugRead(va: number, length: number, physical = false): Uint8Array | null {
    const spans = this.debugSpans(va, length, physical);
    if (!spans) return null;
    const out = new Uint8Array(length);
    const word = (pa: number): number | null => {
      const b = this.memory.read(pa, 4, "debug");
      return b && (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
    };
    for (const [pa, at, n] of spans) {
      const bytes = this.memory.read(pa, n, "debug")!;
      // Pre-virtualization: a patched site reads as the image's original instruction.
      out.set(this.previrtOriginals ? unpatchView(bytes, pa, this.previrtOriginals, word) : bytes, at);
    }
    return out;
  }

  /** The original words of the sites pre-virtualization patched in this partition's memory
   *  (src/loader/previrt.ts), by guest-physical address: debugRead shows them. */
  previrtOriginals: ReadonlyMap<number, number> | undefined;

  /** Write `data` at virtual address `va` (guest-physical with `physical`), all or nothing;
   *  false if any byte is not RAM. The
   *  interpreter caches translations, not instructions: a patched instruction runs as written. */
  debugWrite(va: number, data: Uint8Array, physical = false): boolean {
    const spans = this.debugSpans(va, data.length, physical);
    if (!spans) return false;
    for (const [pa, at, n] of spans) this.memory.write(pa, data.subarray(at, at + n), "debug");
    return true;
  }

  /** The partition's memory as windows of guest-physical RAM: its own RAM, and the shared regions
   *  mapped into it with their permissions. Devices and the debugger see exactly this. */
  private ramWindows(): MemoryWindow[] {
    return [
      { gpa: RAM_BASE, size: this.ramBytes, host: this.ramHost, read: true, write: true, exec: true },
      ...this.regions.map((r) => ({ gpa: r.gpa, size: r.size, host: r.host, read: r.read, write: r.write, exec: r.exec })),
    ];
  }

  /** Build the physical map (and, with an allocator, the stage-2 table) of this board. */
  private writeMap(): void {
    const ram = (from: number, to: number, kind: number): [number, number, number, number] =>
      [from, to - from, kind, this.ramHost + (from - RAM_BASE)];
    this.memory.setWindows(this.ramWindows());
    const regions: Array<[number, number, number, number]> = [];
    for (const [dev, id] of this.deviceIds) {
      regions.push([DEVICE_WINDOWS[dev].base, DEVICE_WINDOWS[dev].size, PM_MMIO, id]);
    }
    for (const [gpa, size, id] of this.extraWindows) regions.push([gpa, size, PM_MMIO, id]);
    const ramEnd = RAM_BASE + this.ramBytes;
    if (this.htif) {
      // Stores to tohost's page exit to the host (HTIF); the rest of RAM is plain.
      const page = (this.htif.tohost & ~0xfff) >>> 0;
      if (page > RAM_BASE) regions.push(ram(RAM_BASE, page, PM_RAM));
      regions.push(ram(page, page + 0x1000, PM_RAM_WATCH));
      if (page + 0x1000 < ramEnd) regions.push(ram(page + 0x1000, ramEnd, PM_RAM));
    } else {
      regions.push(ram(RAM_BASE, ramEnd, PM_RAM));
    }
    for (const r of this.regions) {
      const deny = (r.read ? 0 : PM_NO_READ) | (r.write ? 0 : PM_NO_WRITE) | (r.exec ? 0 : PM_NO_EXEC);
      regions.push([r.gpa, r.size, PM_RAM | deny, r.host]);
    }
    if (regions.length > PHYSMAP_MAX) throw new RangeError(`${this.name}: more than ${PHYSMAP_MAX} memory regions`);
    const base = physmapAddr(this.index);
    regions.forEach(([gpa, size, kind, target], i) => {
      const e = (base + i * PHYSMAP_ENTRY) >> 2;
      this.words[e + (PM_BASE >> 2)] = gpa | 0;
      this.words[e + (PM_SIZE >> 2)] = size | 0;
      this.words[e + (PM_KIND >> 2)] = kind;
      this.words[e + (PM_TARGET >> 2)] = target | 0;
    });
    this.regionCount = regions.length;
    if (this.o.stage2) this.stage2 = this.buildStage2(base, regions.length);
  }

  /** Stage-2 table: root (one entry per 4 MiB) → level 0 (one per page) → region entry. */
  private buildStage2(mapBase: number, count: number): number {
    const alloc = this.o.stage2!;
    const root = alloc.table();
    for (let i = 0; i < count; i++) {
      const e = mapBase + i * PHYSMAP_ENTRY;
      const gpa = this.words[(e + PM_BASE) >> 2] >>> 0;
      const size = this.words[(e + PM_SIZE) >> 2] >>> 0;
      for (let page = gpa; page < gpa + size; page += 0x1000) {
        const r = root + ((page >>> 22) << 2);
        if ((this.words[r >> 2] & 1) === 0) this.words[r >> 2] = alloc.table() | 1;
        const l0 = (this.words[r >> 2] & ~1) + (((page >>> 12) & 1023) << 2);
        this.words[l0 >> 2] = e | 1;
      }
    }
    return root;
  }

  // ── Devices and lines ─────────────────────────────────────────────────────────────────────

  private setLine(bit: number, level: boolean, hart = 0): void {
    const i = (vcpuAddr(this.hartVcpus[hart]) + V_IRQ_LINES) >> 2;
    const old = this.words[i];
    const next = level ? old | bit : old & ~bit;
    if (next === old) return;
    // Atomically: with harts on parallel threads (src/machine/parallel.ts) the hart's own core
    // may be raising its timer line in the same word at the same time.
    if (level) Atomics.or(this.words, i, bit);
    else Atomics.and(this.words, i, ~bit);
    this.words[SYS_HOST_REQ >> 2] |= HOSTREQ_IRQ;
  }

  private setDeadline(clock: bigint | null, hart = 0): void {
    const lo = clock === null ? -1 : Number(clock & 0xffffffffn) | 0;
    const hi = clock === null ? -1 : Number(clock >> 32n) | 0;
    const v = vcpuAddr(this.hartVcpus[hart]);
    this.words[(v + V_TIMER_LO) >> 2] = lo;
    this.words[(v + V_TIMER_HI) >> 2] = hi;
    this.words[SYS_HOST_REQ >> 2] |= HOSTREQ_IRQ; // the core re-plans its slice at the boundary
  }

  private finish(e: FinisherEvent): void {
    if (e.kind === "pass") this.finishWith({ kind: "pass", status: 0, message: "passed (test finisher 0x5555)" });
    else if (e.kind === "fail") this.finishWith({ kind: "fail", status: e.code, message: `failed with code ${e.code} (test finisher)` });
    else this.finishWith({ kind: "reset", status: 0, message: "requested a reset (test finisher 0x7777); stopped" });
  }

  /** Report a halt and make the core return to the host at once. */
  finishWith(halt: Halt): void {
    this.flushOutput();
    this.closeFiles();
    this.o.onHalt(halt);
    this.words[SYS_HOST_REQ >> 2] |= HOSTREQ_STOP;
  }

  /** A store hit the watched page (HTIF). */
  onWatch(pa: number): void {
    this.htif?.onStore(pa);
  }

  get htifPendingLow(): boolean {
    return this.htif?.pendingLow ?? false;
  }

  flushHtifLow(): void {
    this.htif?.flushPendingLow();
  }

  // ── Console ───────────────────────────────────────────────────────────────────────────────

  /** Raise the interrupt of channel `id` (a notification from the other end). */
  channelInterrupt(id: number): void {
    this.plic?.pulse(CHANNEL_IRQ_BASE + id);
  }

  /** Output is handed on a line at a time (and when the run loop pauses), so the lines of
   *  several partitions reach a multiplexed console in the order they were written. */
  private emit(byte: number): void {
    if (this.outLen === this.outBuf.length) this.flushOutput();
    this.outBuf[this.outLen++] = byte;
    if (byte === 10) this.flushOutput();
  }

  /** Hand buffered console output on. */
  flushOutput(): void {
    if (this.outLen === 0) return;
    const chunk = this.outBuf.slice(0, this.outLen);
    this.outLen = 0;
    this.o.onOutput(chunk);
  }

  /** Console input: the UART receives it (and HTIF getchar, and SBI console reads). */
  private readonly sbiInput = new ByteQueue();
  pushInput(bytes: Uint8Array | number[]): void {
    if (this.uart) this.uart.pushInput(bytes);
    else if (this.virtioConsole) this.virtioConsole.pushInput(bytes);
    else this.sbiInput.push(bytes);
    this.htif?.poll();
  }

  private takeInput(): number {
    if (this.uart) return this.uart.takeInput();
    return this.sbiInput.shift();
  }

  /**
   * Serve a slow hypercall (SBI console I/O) of this board's hart: legacy putchar (0x01) and
   * getchar (0x02), and DBCN (0x4442434E) write, read and write_byte. Results go to
   * SYS_HC_ERROR / SYS_HC_VALUE. DBCN buffers are reached through the memory gate: one that is
   * not entirely in the partition's memory gives SBI_ERR_INVALID_PARAM (SBI v2.0 §12); a write
   * or read moves at most DBCN_MAX bytes per call (the call returns the count: the spec allows
   * partial writes and reads).
   */
  hypercall(eid: number, fid: number): void {
    this.inHypercall = true;
    try {
      if (eid === HC_SEMIHOSTING && this.semihosting) {
        // A semihosting call: operation `fid` (a0), parameter in a1; a0 comes back. The core
        // published the call's exact time in SYS_NOW, as for a device access.
        this.o.time.inMmio = true;
        try {
          this.words[(SYS_HC_VALUE + this.callerShift) >> 2] = this.semihosting.call(fid, this.callerRegister(11)) | 0;
        } finally {
          this.o.time.inMmio = false;
        }
        return;
      }
      this.serveHypercall(eid, fid);
    } finally {
      this.inHypercall = false;
    }
  }

  private serveHypercall(eid: number, fid: number): void {
    const W = this.words;
    const result = (error: number, value: number) => {
      W[(SYS_HC_ERROR + this.callerShift) >> 2] = error;
      W[(SYS_HC_VALUE + this.callerShift) >> 2] = value;
    };
    const a = (r: number) => this.callerRegister(r);
    if (eid === 0x01) {
      this.emit(a(10) & 0xff);
      result(0, 0);
    } else if (eid === 0x02) {
      result(0, this.takeInput());
    } else if (eid === 0x4442434e) {
      if (fid === 2) {
        this.emit(a(10) & 0xff);
        result(0, 0);
        return;
      }
      // vNUMA: the buffer's pages may be on another node, and this node's copy stale (docs/vnuma.md).
      if (this.o.numa) {
        result(SBI_ERR_FAILED, 0);
        return;
      }
      const count = a(10) >>> 0;
      const lo = a(11) >>> 0;
      const hi = a(12) >>> 0;
      // The whole buffer must be the partition's; then at most DBCN_MAX bytes of it move.
      if (hi !== 0 || !this.memory.contains(lo, count, fid === 0 ? "read" : "write")) {
        result(SBI_ERR_INVALID_PARAM, 0);
        return;
      }
      const n = Math.min(count, DBCN_MAX);
      if (fid === 0) {
        for (const b of this.memory.read(lo, n, "read")!) this.emit(b);
        result(0, n);
      } else {
        const into = this.memory.view(lo, n, "write")!;
        let got = 0;
        while (got < n) {
          const c = this.takeInput();
          if (c < 0) break;
          into[got++] = c;
        }
        result(0, got);
      }
    }
  }
}

/** SBI_ERR_FAILED: what DBCN read and write return on several vNUMA nodes. */
const SBI_ERR_FAILED = -1;
/** SBI_ERR_INVALID_PARAM: what DBCN returns for memory the caller may not name (SBI v2.0). */
const SBI_ERR_INVALID_PARAM = -3;
/** The most bytes one DBCN write or read moves. */
export const DBCN_MAX = 64 * 1024;

/**
 * Where a supervisor-mode boot puts its pieces: the device tree in the last 64 KiB of RAM, the
 * initial RAM disk (if any, `initrdBytes` > 0) page-aligned just below it, both above the
 * image's highest segment. Returns the addresses, or a message saying what does not fit.
 */
export function bootPlacement(image: ElfImage, ramBytes: number, initrdBytes: number): { dtb: number; initrdStart: number } | string {
  const dtb = RAM_BASE + ramBytes - DEVICE_TREE_BYTES;
  const imageEnd = Math.max(...image.segments.map((s) => s.paddr + s.memsz), RAM_BASE);
  if (ramBytes < 2 * DEVICE_TREE_BYTES) return `${ramBytes} bytes of RAM leave no room for the device tree`;
  if (imageEnd > dtb) {
    return `the image ends at 0x${imageEnd.toString(16)}, inside the last ${DEVICE_TREE_BYTES / 1024} KiB of RAM, where the device tree goes: give the partition more RAM`;
  }
  const initrdStart = Math.floor((dtb - initrdBytes) / 4096) * 4096;
  if (initrdBytes > 0 && initrdStart < imageEnd) {
    const need = Math.ceil((imageEnd - RAM_BASE + initrdBytes + DEVICE_TREE_BYTES + 4095) / 1048576);
    return `initrd of ${initrdBytes} bytes does not fit in RAM between the kernel (which ends at 0x${imageEnd.toString(16)}) and the device tree at 0x${dtb.toString(16)}: give the partition at least ${need} MiB of RAM`;
  }
  return { dtb, initrdStart };
}
