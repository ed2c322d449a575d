// The embedding API of issue 18: a tool reads and writes a partition's memory and registers,
// and puts device models of its own on a partition's bus with the isolation of the built-in
// ones (its window only, DMA through the partition's gate, its exceptions a fault of its
// partition), on both cores; such a device's state travels in a snapshot.

import { describe, expect, it } from "vitest";
import { Hypervisor } from "../src/api/hypervisor.ts";
import type { UserDevice, UserDeviceContext } from "../src/devices/user-device.ts";
import { loadWasmModule } from "../src/node/core-file.ts";
import { Asm, I, li } from "./support/rv-asm.ts";
import { writeElf } from "./support/elf-writer.ts";
import { CORES } from "./support/harness.ts";

const DEV = 0x2000_0000;
const RESULT = 0x8000_2000;

/** The guest: store 41 to the device, read it back (+1 by the device), keep it at RESULT; ask
 *  the device to DMA "hi" to RESULT + 4; poke offset 0xc (the failing register, if asked);
 *  then pass through the test finisher. */
function guest(poke: boolean): Uint8Array {
  const a = new Asm(0x8000_0000);
  a.words(li(5, DEV)).words(li(6, 41)).word(I.sw(6, 5, 0)).word(I.lw(7, 5, 4));
  a.words(li(8, RESULT)).word(I.sw(7, 8, 0));
  a.words(li(6, RESULT + 4)).word(I.sw(6, 5, 8));
  if (poke) a.word(I.sw(0, 5, 12));
  a.words(li(5, 0x100000)).words(li(6, 0x5555)).word(I.sw(6, 5, 0));
  a.label("spin").jal(0, "spin");
  return writeElf({ entry: 0x8000_0000, segments: [{ paddr: 0x8000_0000, data: a.bytes(), flags: 7 }] });
}

class Adder implements UserDevice {
  name = "adder";
  base = DEV;
  size = 0x1000;
  irq = 12;
  compatible = "example,adder";
  value = 0;
  dma: boolean[] = [];
  private ctx: UserDeviceContext | null = null;
  attach(ctx: UserDeviceContext): void {
    this.ctx = ctx;
  }
  read(offset: number): number {
    return offset === 4 ? this.value + 1 : 0;
  }
  write(offset: number, _size: number, value: number): void {
    if (offset === 0) this.value = value;
    if (offset === 8) {
      this.dma.push(this.ctx!.write(value, new TextEncoder().encode("hi")));
      this.dma.push(this.ctx!.write(0x1000, new Uint8Array(4))); // (not the partition's: refused)
      this.ctx!.irq(true);
    }
    if (offset === 12) throw new Error("register 12 is broken");
  }
  saveState() {
    return { value: this.value };
  }
  loadState(state: unknown) {
    this.value = (state as { value: number }).value;
  }
}

describe("embedding: memory, registers, devices of one's own", () => {
  for (const core of CORES) {
    it(`a device of one's own works like a built-in one, and fails like one (${core})`, async () => {
      const adder = new Adder();
      const hv = new Hypervisor({ partitions: [{ name: "g", image: "g.elf", ram: "1M" }] }, {
        core, wasmModule: await loadWasmModule(), loadImage: () => guest(false), devices: { g: [adder] },
      });
      const r = await hv.run({ maxInsns: 10_000 });
      expect(r.status).toBe(0);
      expect(adder.value).toBe(41);
      expect(adder.dma).toEqual([true, false]);
      const result = hv.readMemory("g", RESULT, 6)!;
      expect(new DataView(result.buffer).getUint32(0, true)).toBe(42);
      expect(new TextDecoder().decode(result.subarray(4))).toBe("hi");
      expect(hv.readMemory("g", 0x1000, 4)).toBeNull();

      // What the device throws stops its partition, never the host.
      const broken = new Hypervisor({ partitions: [{ name: "g", image: "g.elf", ram: "1M" }] }, {
        core, wasmModule: await loadWasmModule(), loadImage: () => guest(true), devices: { g: [new Adder()] },
      });
      await broken.run({ maxInsns: 100_000 });
      expect(broken.halted[0]).toMatchObject({ kind: "fault", message: "stopped by a fatal fault: the device adder failed (register 12 is broken)" });
    });
  }

  it("refuses devices that overlap, or are not devices", async () => {
    const make = (devices: UserDevice[], name = "g") => new Hypervisor({ partitions: [{ name: "g", image: "g.elf", ram: "1M" }] }, {
      core: "ts", loadImage: () => guest(false), devices: { [name]: devices },
    });
    await expect(make([{ ...new Adder(), read: () => 0, write: () => {}, base: 0x8000_0000 }]).start()).rejects.toThrow(/device adder at 0x80000000\+0x1000 overlaps its RAM/);
    await expect(make([{ ...new Adder(), read: () => 0, write: () => {}, base: 0x1000_0000 }]).start()).rejects.toThrow(/overlaps the uart device/);
    expect(() => make([{ ...new Adder(), read: () => 0, write: () => {}, irq: 10 }])).toThrow(/irq must be a PLIC source from 12 to 31/);
    expect(() => make([{ ...new Adder(), read: () => 0, write: () => {}, base: 0x123 }])).toThrow(/page-aligned/);
    expect(() => make([new Adder()], "nobody")).toThrow(/no partition "nobody"/);
  });

  it("registers and memory between steps; a device's state in a snapshot (both cores)", async () => {
    const wasmModule = await loadWasmModule();
    const adder = new Adder();
    const hv = new Hypervisor({ partitions: [{ name: "g", image: "g.elf", ram: "1M" }] }, {
      core: "wasm", wasmModule, loadImage: () => guest(false), devices: { g: [adder] },
    });
    await hv.step(4); // (just after the store of 41: lui, addi, addi, sw)
    expect(adder.value).toBe(41);
    const regs = hv.registers("g");
    expect(regs.x[6]).toBe(41);
    expect(regs.priv).toBe(3);
    expect(() => hv.setRegister("g", 0, 1)).toThrow(/x0 is not a writable register/);
    expect(hv.writeMemory("g", RESULT + 8, new Uint8Array([7]))).toBe(true);
    expect(hv.readMemory("g", RESULT + 8, 1)).toEqual(new Uint8Array([7]));
    const bytes = await hv.snapshot();
    const again = new Adder();
    const restored = await Hypervisor.restore(bytes, { core: "ts", wasmModule, devices: { g: [again] } });
    expect(again.value).toBe(41);
    expect((await restored.run({ maxInsns: 10_000 })).status).toBe(0);
    expect(new DataView(restored.readMemory("g", RESULT, 4)!.buffer).getUint32(0, true)).toBe(42);
    // A device without saveState makes a snapshot refuse, saying which.
    const plain = new Hypervisor({ partitions: [{ name: "g", image: "g.elf", ram: "1M" }] }, {
      core: "ts", loadImage: () => guest(false), devices: { g: [{ name: "mute", base: DEV, size: 0x1000, read: () => 0, write: () => {} }] },
    });
    await plain.start();
    await expect(plain.snapshot()).rejects.toThrow(/the device mute of g keeps no state for a snapshot/);
  });
});

describe("embedding: a guest pointing a device of one's own where it must not reach", () => {
  /** The guest gives the device addresses for DMA: outside RAM, at the end of RAM, at 2^32 - 1. */
  function pointer(addresses: number[]): Uint8Array {
    const a = new Asm(0x8000_0000);
    a.words(li(5, DEV));
    for (const at of addresses) a.words(li(6, at)).word(I.sw(6, 5, 0));
    a.words(li(5, 0x100000)).words(li(6, 0x5555)).word(I.sw(6, 5, 0));
    a.label("spin").jal(0, "spin");
    return writeElf({ entry: 0x8000_0000, segments: [{ paddr: 0x8000_0000, data: a.bytes(), flags: 7 }] });
  }
  const RAM_END = 0x8000_0000 + 0x10_0000;
  const cases: Array<[number, number, boolean]> = [
    // [address the guest gives, length of the device's transfer, reachable]
    [0x1000, 0, false],              // zero length outside RAM: still outside
    [RAM_END, 0, false],             // zero length just past RAM
    [RAM_END - 2, 2, true],          // the last bytes of RAM
    [RAM_END - 1, 2, false],         // straddling the end of RAM
    [0xffff_ffff, 2, false],         // wrapping past 2^32
    [0xffff_ffff, 0, false],         // zero length at the top of the address space
    [0x8000_0000, 0x7fff_ffff, false], // longer than RAM
  ];
  for (const core of CORES) {
    it(`every transfer is checked whole, zero length and 2^32 included; nothing outside changes (${core})`, async () => {
      const results: Array<{ read: boolean; write: boolean }> = [];
      let i = 0;
      let ctx: UserDeviceContext | null = null;
      const device: UserDevice = {
        name: "dma", base: DEV, size: 0x1000,
        attach: (c) => { ctx = c; },
        read: () => 0,
        write: (_offset, _size, value) => {
          const length = cases[i++][1];
          const data = new Uint8Array(Math.min(length, 16)).fill(0xee);
          results.push({
            read: ctx!.read(value >>> 0, length) !== null,
            write: length > 16 ? ctx!.write(value >>> 0, new Uint8Array(length)) : ctx!.write(value >>> 0, data),
          });
        },
      };
      const hv = new Hypervisor({ partitions: [{ name: "g", image: "g.elf", ram: "1M" }, { name: "victim", image: "v.elf", ram: "1M" }] }, {
        core, wasmModule: await loadWasmModule(), loadImage: (f) => (f === "g.elf" ? pointer(cases.map(([at]) => at)) : pointer([])),
        devices: { g: [device] },
      });
      await hv.start();
      const victimBefore = hv.readMemory("victim", 0x8000_0000, 0x10_0000)!;
      const r = await hv.run({ maxInsns: 100_000 });
      expect(r.status, JSON.stringify(r)).toBe(0);
      expect(results).toEqual(cases.map(([, , ok]) => ({ read: ok, write: ok })));
      expect(Buffer.compare(hv.readMemory("victim", 0x8000_0000, 0x10_0000)!, victimBefore)).toBe(0);
      expect(Array.from(hv.readMemory("g", RAM_END - 2, 2)!)).toEqual([0xee, 0xee]);
    });
  }
});
