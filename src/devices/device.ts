// The small bus every device plugs into. A device is one file in src/devices/ implementing
// MmioDevice; the machine maps it into a partition's physical address space and the core hands
// it every access in its window (devices are never cached in the TLB).

export interface MmioDevice {
  /** Short name for diagnostics (e.g. "uart0"). */
  readonly name: string;
  /** Size of the register window in bytes (a multiple of 4096). */
  readonly size: number;
  /** Read `size` bytes (1, 2 or 4) at `offset`; the result is zero-extended. */
  read(offset: number, size: number): number;
  /** Write the low `size` bytes (1, 2 or 4) of `value` at `offset`. */
  write(offset: number, size: number, value: number): void;
}

/** An interrupt line a device drives (wired by the machine to a CPU line or an interrupt controller). */
export type IrqLine = (level: boolean) => void;

export const noIrq: IrqLine = () => {};
