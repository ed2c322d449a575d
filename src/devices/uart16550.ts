// NS16550A UART, as on QEMU's virt board (one byte per register, reg-shift 0).
//
// Transmission is instantaneous: THR is always empty (LSR.THRE and LSR.TEMT set), which is what a
// polling driver waits for. Received bytes come from an input queue the host fills; LSR.DR tells
// whether one is waiting. IER/IIR implement the receive-data and THR-empty interrupts with the
// priority and clearing rules of the 16550 data sheet, so interrupt-driven drivers (Linux's 8250)
// work once the line is wired to an interrupt controller.

import type { IrqLine, MmioDevice } from "./device.js";
import { noIrq } from "./device.js";

const IER_RDA = 0x01; // received data available
const IER_THRE = 0x02; // transmitter holding register empty
const LCR_DLAB = 0x80;
const LSR_DR = 0x01;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
const IIR_NONE = 0x01;
const IIR_THRE = 0x02;
const IIR_RDA = 0x04;
const IIR_FIFO = 0xc0;
const FCR_ENABLE = 0x01;
const FCR_CLEAR_RX = 0x02;
const MCR_LOOP = 0x10;
/** The receive FIFO's depth: what loopback can hold (more is lost, as on the chip). */
const RX_FIFO = 16;
/** MSR with DCD, DSR and CTS asserted: a modem that is always ready. */
const MSR_READY = 0xb0;

export class Uart16550 implements MmioDevice {
  readonly size = 0x1000;
  private readonly rx: number[] = [];
  private rxHead = 0;
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private fcr = 0;
  private scr = 0;
  private dll = 0;
  private dlm = 0;
  /** THR-empty interrupt condition (set when THR empties, cleared by reading IIR or writing THR). */
  private threPending = false;
  private irqLevel = false;

  constructor(
    readonly name: string,
    private readonly output: (byte: number) => void,
    private readonly irq: IrqLine = noIrq,
  ) {}

  /** Queue bytes for the guest to receive. */
  pushInput(bytes: Uint8Array | number[]): void {
    for (const b of bytes) this.rx.push(b & 0xff);
    this.update();
  }

  /** Bytes received from the host but not yet read by the guest. */
  get pendingInput(): number {
    return this.rx.length - this.rxHead;
  }

  read(offset: number, _size: number): number {
    switch (offset) {
      case 0:
        if (this.lcr & LCR_DLAB) return this.dll;
        return this.popRx();
      case 1:
        return this.lcr & LCR_DLAB ? this.dlm : this.ier;
      case 2: {
        const iir = this.currentIir();
        if (iir === IIR_THRE) {
          this.threPending = false; // reading IIR that reports THRE clears it
          this.update();
        }
        return iir | (this.fcr & FCR_ENABLE ? IIR_FIFO : 0);
      }
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5:
        return (this.pendingInput > 0 ? LSR_DR : 0) | LSR_THRE | LSR_TEMT;
      case 6:
        return this.mcr & MCR_LOOP ? (this.mcr & 0x0f) << 4 : MSR_READY;
      case 7:
        return this.scr;
      default:
        return 0;
    }
  }

  write(offset: number, _size: number, value: number): void {
    const v = value & 0xff;
    switch (offset) {
      case 0:
        if (this.lcr & LCR_DLAB) {
          this.dll = v;
        } else {
          // Loopback fills the receive FIFO; what does not fit is lost (an overrun), so a guest
          // looping bytes back without reading them cannot grow the host's memory.
          if (this.mcr & MCR_LOOP) {
            if (this.pendingInput < RX_FIFO) this.rx.push(v);
          } else {
            this.output(v);
          }
          // The byte leaves at once: THR is empty again.
          this.threPending = true;
        }
        break;
      case 1:
        if (this.lcr & LCR_DLAB) {
          this.dlm = v;
        } else {
          // Enabling the THRE interrupt while THR is empty raises it (16550 behaviour).
          if ((v & IER_THRE) && !(this.ier & IER_THRE)) this.threPending = true;
          this.ier = v & 0x0f;
        }
        break;
      case 2:
        this.fcr = v & 0xc9;
        if (v & FCR_CLEAR_RX) {
          this.rx.length = 0;
          this.rxHead = 0;
        }
        break;
      case 3:
        this.lcr = v;
        break;
      case 4:
        this.mcr = v & 0x1f;
        break;
      case 7:
        this.scr = v;
        break;
      default:
        break; // LSR and MSR are read-only
    }
    this.update();
  }

  private popRx(): number {
    if (this.pendingInput === 0) return 0;
    const b = this.rx[this.rxHead++];
    if (this.rxHead > 4096 && this.rxHead * 2 > this.rx.length) {
      this.rx.splice(0, this.rxHead);
      this.rxHead = 0;
    }
    this.update();
    return b;
  }

  private currentIir(): number {
    if ((this.ier & IER_RDA) && this.pendingInput > 0) return IIR_RDA;
    if ((this.ier & IER_THRE) && this.threPending) return IIR_THRE;
    return IIR_NONE;
  }

  private update(): void {
    const level = this.currentIir() !== IIR_NONE;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq(level);
    }
  }
}
