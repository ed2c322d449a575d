// The device tree a supervisor-mode partition boots with, as Linux reads it: decompiled with
// dtc (when installed) and checked node by node; and the tree's placement with an initrd.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hypervisor } from "../src/api/hypervisor.ts";
import { MemoryDisk } from "../src/devices/virtio-blk.ts";
import { loadWasmModule } from "../src/node/core-file.ts";
import { RAM_BASE } from "../src/vmm/board.ts";
import { CORES, guestElf } from "./support/harness.ts";

const hasDtc = spawnSync("dtc", ["--version"]).status === 0;

/** Boot `sbi.elf` in a supervisor partition with a disk, virtio-console and an initrd; return
 *  the device tree from the guest's RAM and where things were put. */
async function bootTree(core: "wasm" | "ts", fpu?: boolean, harts?: number) {
  const initrd = new Uint8Array(100_000).fill(0xab);
  const hv = new Hypervisor({
    partitions: [{
      name: "s", image: "sbi", initrd: "initrd", disk: "disk", mode: "supervisor", ram: "4M",
      bootargs: "console=ttyS0 earlycon=sbi", devices: ["uart", "clint", "plic", "finisher", "virtio-console"],
      ...(fpu === undefined ? {} : { fpu }),
      ...(harts === undefined ? {} : { harts }),
    }],
  }, {
    core, wasmModule: await loadWasmModule(),
    loadImage: (name) => (name === "initrd" ? initrd : guestElf(name)),
    openDisk: () => new MemoryDisk(new Uint8Array(1 << 20)),
  });
  await hv.start();
  const board = hv.board("s");
  const regs = board.registers();
  const mem = new Uint8Array((hv as unknown as { core: { memory: ArrayBuffer } }).core.memory);
  const dtbHost = board.ramHost + (board.dtbAddress - RAM_BASE);
  const size = new DataView(mem.buffer).getUint32(dtbHost + 4, false);
  return { dtb: mem.slice(dtbHost, dtbHost + size), a0: regs.x[10], a1: regs.x[11] >>> 0, dtbAddress: board.dtbAddress, initrd };
}

describe("the device tree of a supervisor partition", () => {
  it("is handed over in a1 with a0 = 0, at the top of RAM, identical on both cores", async () => {
    const trees = [];
    for (const core of CORES) {
      const t = await bootTree(core);
      expect(t.a0).toBe(0);
      expect(t.a1).toBe(t.dtbAddress);
      expect(t.dtbAddress).toBe(RAM_BASE + 4 * 1024 * 1024 - 0x10000);
      expect(new DataView(t.dtb.buffer).getUint32(0, false)).toBe(0xd00dfeed);
      trees.push(t.dtb);
    }
    expect(trees[1]).toEqual(trees[0]);
  });

  it.skipIf(!hasDtc)(`decompiles with dtc into what Linux expects${hasDtc ? "" : " (skipped: dtc is not installed; install device-tree-compiler)"}`, async () => {
    const { dtb } = await bootTree("wasm");
    const dir = mkdtempSync(join(tmpdir(), "wasmvisor-dtb-"));
    writeFileSync(join(dir, "board.dtb"), dtb);
    const r = spawnSync("dtc", ["-I", "dtb", "-O", "dts", join(dir, "board.dtb")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const dts = r.stdout;
    if (process.env.DUMP_DTS) console.log(dts);
    const initrdStart = RAM_BASE + 4 * 1024 * 1024 - 0x10000 - Math.ceil(100_000 / 4096) * 4096;
    const hex = (n: number) => `0x${n.toString(16)}`;
    for (const expected of [
      /compatible = "riscv-virtio";/,
      /memory@80000000 \{\s*device_type = "memory";\s*reg = <0x00 0x80000000 0x00 0x400000>;/,
      /timebase-frequency = <0x989680>;/,
      /cpu@0 \{[^}]*riscv,isa = "rv32imafdc_zicsr_zifencei_sstc";[^}]*mmu-type = "riscv,sv32";/s,
      /interrupt-controller \{\s*#address-cells = <0x00>;\s*#interrupt-cells = <0x01>;\s*interrupt-controller;\s*compatible = "riscv,cpu-intc";/,
      // (dtc 1.6 prints a list of strings either as "a", "b" or as "a\0b")
      /plic@c000000 \{[^}]*compatible = "sifive,plic-1.0.0(", "|\\0)riscv,plic0";[^}]*interrupts-extended = <0x01 0x0b 0x01 0x09>;[^}]*riscv,ndev = <0x5f>;/s,
      /clint@2000000 \{[^}]*interrupts-extended = <0x01 0x03 0x01 0x07>;/s,
      /serial@10000000 \{[^}]*compatible = "ns16550a";[^}]*interrupt-parent = <0x02>;\s*interrupts = <0x0a>;/s,
      /virtio_mmio@10001000 \{\s*compatible = "virtio,mmio";\s*reg = <0x00 0x10001000 0x00 0x1000>;\s*interrupt-parent = <0x02>;\s*interrupts = <0x01>;/,
      /virtio_mmio@10002000 \{\s*compatible = "virtio,mmio";\s*reg = <0x00 0x10002000 0x00 0x1000>;\s*interrupt-parent = <0x02>;\s*interrupts = <0x02>;/,
      /rtc@101000 \{\s*compatible = "google,goldfish-rtc";\s*reg = <0x00 0x101000 0x00 0x1000>;\s*interrupt-parent = <0x02>;\s*interrupts = <0x0b>;/,
      /stdout-path = "\/soc\/serial@10000000";/,
      /bootargs = "console=ttyS0 earlycon=sbi";/,
      new RegExp(`linux,initrd-start = <0x00 ${hex(initrdStart)}>;`),
      new RegExp(`linux,initrd-end = <0x00 ${hex(initrdStart + 100_000)}>;`),
    ]) expect(dts).toMatch(expected);
    // The six empty virtio-mmio slots answer at their addresses but are not listed: Linux would
    // probe each for nothing (README, The guest-visible machine).
    expect(dts.match(/virtio_mmio@/g)).toHaveLength(2);
    // dtc finds nothing to warn about when compiling the source back (except that decompiled
    // phandles are plain numbers, which it cannot check as references).
    const back = spawnSync("dtc", ["-W", "no-interrupts_extended_property", "-I", "dts", "-O", "dtb", "-o", "/dev/null", "-"], { input: dts, encoding: "utf8" });
    expect(back.status).toBe(0);
    expect(back.stderr).toBe("");
  });

  it.skipIf(!hasDtc)(`two harts: a cpu node, interrupt controller and CLINT/PLIC contexts each, a cpu-map${hasDtc ? "" : " (skipped: dtc is not installed)"}`, async () => {
    const { dtb } = await bootTree("wasm", undefined, 2);
    const dir = mkdtempSync(join(tmpdir(), "wasmvisor-dtb-"));
    writeFileSync(join(dir, "board.dtb"), dtb);
    const r = spawnSync("dtc", ["-I", "dtb", "-O", "dts", join(dir, "board.dtb")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const dts = r.stdout;
    for (const expected of [
      /cpu@0 \{[^}]*reg = <0x00>;[^}]*phandle = <0x20>;[^}]*interrupt-controller \{[^}]*phandle = <0x01>;/s,
      /cpu@1 \{[^}]*reg = <0x01>;[^}]*phandle = <0x21>;[^}]*interrupt-controller \{[^}]*phandle = <0x11>;/s,
      /cpu-map \{\s*cluster0 \{\s*core0 \{\s*cpu = <0x20>;\s*\};\s*core1 \{\s*cpu = <0x21>;\s*\};/,
      // hart i: MSIP and MTIP at the CLINT, M and S external interrupts (contexts 2i, 2i+1) at the PLIC
      /clint@2000000 \{[^}]*interrupts-extended = <0x01 0x03 0x01 0x07 0x11 0x03 0x11 0x07>;/s,
      /plic@c000000 \{[^}]*interrupts-extended = <0x01 0x0b 0x01 0x09 0x11 0x0b 0x11 0x09>;/s,
    ]) expect(dts).toMatch(expected);
    const back = spawnSync("dtc", ["-W", "no-interrupts_extended_property", "-I", "dts", "-O", "dtb", "-o", "/dev/null", "-"], { input: dts, encoding: "utf8" });
    expect(back.status).toBe(0);
    expect(back.stderr).toBe("");
  });

  it("names the hart's ISA: RV32GC by default, rv32imac for a partition with \"fpu\": false", async () => {
    const isa = (dtb: Uint8Array) => Buffer.from(dtb).toString("latin1").match(/rv32[a-z_]+\0/)?.[0];
    expect(isa((await bootTree("ts")).dtb)).toBe("rv32imafdc_zicsr_zifencei_sstc\0");
    expect(isa((await bootTree("ts", false)).dtb)).toBe("rv32imac_zicsr_zifencei_sstc\0");
  });

  it("puts the initrd page-aligned right below the tree, byte for byte", async () => {
    const hv = new Hypervisor({ partitions: [{ name: "s", image: "sbi", initrd: "initrd", mode: "supervisor", ram: "4M" }] }, {
      core: "ts", wasmModule: await loadWasmModule(),
      loadImage: (name) => (name === "initrd" ? Uint8Array.from({ length: 5000 }, (_, i) => i & 255) : guestElf(name)),
    });
    await hv.start();
    const b = hv.board("s");
    const start = b.dtbAddress - 8192; // 5000 bytes rounded down to a page below the tree
    const got = b.readRam(start, 5000);
    expect(Array.from(got.subarray(0, 4))).toEqual([0, 1, 2, 3]);
    expect(got[4999]).toBe(4999 & 255);
  });
});

describe("the device tree of a bare machine on vNUMA nodes (docs/vnuma.md)", () => {
  it.skipIf(!hasDtc)(`a firmware boot on 4 harts and 2 nodes: memory and cpus by node, a distance map${hasDtc ? "" : " (skipped: dtc is not installed)"}`, async () => {
    const { Machine } = await import("../src/machine/machine.ts");
    const machine = await Machine.create({ core: "wasm", harts: 4, parallel: true, nodes: 2, firmwareBoot: true, ramBytes: 64 << 20 });
    machine.loadFirmwareBoot(guestElf("firmware"), "firmware.elf");
    const dtbAddress = machine.registers().x[11] >>> 0;
    const size = new DataView(machine.readRam(dtbAddress, 8).buffer).getUint32(4, false);
    const dir = mkdtempSync(join(tmpdir(), "wasmvisor-dtb-"));
    writeFileSync(join(dir, "numa.dtb"), machine.readRam(dtbAddress, size));
    const r = spawnSync("dtc", ["-I", "dtb", "-O", "dts", join(dir, "numa.dtb")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const dts = r.stdout;
    expect(machine.hartNodes).toEqual([0, 0, 1, 1]);
    for (const expected of [
      // each node's memory: half of the 64 MiB each
      /memory@80000000 \{[^}]*device_type = "memory";[^}]*reg = <0x00 0x80000000 0x00 0x2000000>;[^}]*numa-node-id = <0x00>;/s,
      /memory@82000000 \{[^}]*device_type = "memory";[^}]*reg = <0x00 0x82000000 0x00 0x2000000>;[^}]*numa-node-id = <0x01>;/s,
      /distance-map \{[^}]*compatible = "numa-distance-map-v1";[^}]*distance-matrix = <0x00 0x00 0x0a 0x00 0x01 0x14 0x01 0x00 0x14 0x01 0x01 0x0a>;/s,
      /cpu@1 \{[^}]*numa-node-id = <0x00>;/s,
      /cpu@2 \{[^}]*numa-node-id = <0x01>;/s,
      /cpu@3 \{[^}]*numa-node-id = <0x01>;/s,
    ]) expect(dts).toMatch(expected);
    expect(dts).not.toMatch(/memory@80000000 \{[^}]*0x4000000/s); // (no memory node for the whole RAM)
    const back = spawnSync("dtc", ["-W", "no-interrupts_extended_property", "-I", "dts", "-O", "dtb", "-o", "/dev/null", "-"], { input: dts, encoding: "utf8" });
    expect(back.status).toBe(0);
  });
});
