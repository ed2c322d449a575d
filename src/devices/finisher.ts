// SiFive test finisher ("sifive,test0", QEMU virt 0x0010_0000): a 32-bit write of 0x5555 ends
// the run with success, (code << 16) | 0x3333 with failure code `code`, 0x7777 asks for a reset.

import type { MmioDevice } from "./device.js";

export type FinisherEvent = { kind: "pass" } | { kind: "fail"; code: number } | { kind: "reset" };

const PASS = 0x5555;
const FAIL = 0x3333;
const RESET = 0x7777;

export class TestFinisher implements MmioDevice {
  readonly size = 0x1000;

  constructor(readonly name: string, private readonly onFinish: (event: FinisherEvent) => void) {}

  read(_offset: number, _size: number): number {
    return 0;
  }

  write(offset: number, _size: number, value: number): void {
    if (offset !== 0) return;
    const status = value & 0xffff;
    if (status === PASS) this.onFinish({ kind: "pass" });
    else if (status === FAIL) this.onFinish({ kind: "fail", code: value >>> 16 });
    else if (status === RESET) this.onFinish({ kind: "reset" });
  }
}
