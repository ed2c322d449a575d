// The boot ROM of QEMU's virt board (its "mask ROM" at 0x1000), present in partitions booted the
// QEMU way (a firmware and a kernel: src/loader/firmware-boot.ts). It holds what QEMU writes
// there: the reset vector and OpenSBI's fw_dynamic_info, which a firmware reads through a2.
// Read-only: writes are ignored, as on a ROM; bytes past the contents read as zero. (wasmvisor
// starts the hart at the firmware's entry with the registers the vector would set: the ROM is
// read as data, never executed.)
import type { MmioDevice } from "./device.js";
import { encode, type StateReader, type StateValue } from "../snapshot/state.js";

export class BootRom implements MmioDevice {
  private contents = new Uint8Array(0);
  constructor(readonly name: string, readonly size: number) {}

  /** What the ROM holds from its first byte (at most `size` bytes). */
  load(bytes: Uint8Array): void {
    if (bytes.length > this.size) throw new RangeError(`${this.name}: ${bytes.length} bytes do not fit in a ${this.size}-byte ROM`);
    this.contents = bytes.slice();
  }

  saveState(): StateValue {
    return { contents: encode.bytes(this.contents) };
  }

  loadState(r: StateReader): void {
    this.contents = r.bytes("contents", this.size);
  }

  read(offset: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = (v << 8) | (this.contents[offset + i] ?? 0);
    return v >>> 0;
  }

  write(_offset: number, _size: number, _value: number): void {}
}
