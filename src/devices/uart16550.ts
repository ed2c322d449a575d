// NS16550A UART, as on QEMU's virt board (one byte per register, reg-shift 0), modelled on the
// data sheet (National Semiconductor PC16550D, June 1995).
//
// Transmission is instantaneous: THR is always empty (LSR.THRE and LSR.TEMT set), which is what a
// polling driver waits for.
//
// Reception. The host's input (console, `--input`, a paste) waits in a queue on the host side:
// the far end of the serial line, a sender with flow control that sends as fast as the receiver
// takes. It moves into the receiver as room appears there — at once, at the current clock — so
// the guest sees a real receiver: in 16450 mode (FCR bit 0 clear, the reset state) one byte in
// RBR; in FIFO mode a 16-byte receive FIFO. Data sheet behaviour:
//   - FCR: bit 0 enables the FIFOs (without it the other bits are not programmed); switching
//     between the modes clears the FIFO; bit 1 clears the receive FIFO (only the bytes in it:
//     what still waits on the host side comes in behind them); bit 2 (transmit FIFO) has
//     nothing to clear; bits 7:6 the receive trigger level, 1, 4, 8 or 14 bytes.
//   - LSR: DR while a byte is in RBR/the FIFO; OE when a byte arrives with no room (only
//     loopback can do that: host input waits for room), cleared by reading LSR; THRE and TEMT.
//   - IIR, by priority: receiver line status (0x6, an overrun, IER bit 2), character timeout
//     (0xC, IER bit 0), received data available (0x4, IER bit 0: a byte in 16450 mode, the
//     trigger level in FIFO mode), THR empty (0x2, IER bit 1; reading IIR that reports it clears
//     it), none (0x1); bits 7:6 set in FIFO mode. A timeout and data at the trigger level are
//     both "second priority"; the timeout is reported first, as QEMU does.
//   - Character timeout (FIFO mode): bytes in the FIFO, and neither a byte received nor a read of
//     RBR for 4 character times. A character time is the frame (start bit, 5-8 data bits,
//     parity, 1, 1.5 or 2 stop bits: LCR) at the baud rate of the divisor latch (DLL/DLM) with
//     the 3.6864 MHz clock the device tree names: 3686400 / (16 × divisor) baud. A divisor of 0
//     (the reset value, before a driver sets a baud rate; the data sheet leaves it undefined)
//     counts as 24, 9600 baud. The timeout is measured in virtual time and fires exactly
//     (device-timer.ts); reading RBR clears it and starts the count again.
//   - Loopback (MCR bit 4): what the guest transmits comes back through the same receiver (RBR
//     or FIFO; with no room: OE, and in 16450 mode the new byte replaces the old one, in FIFO
//     mode it is lost); the serial input is disconnected, so host input waits. MSR then shows
//     the modem control outputs: CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2.
// IER/IIR follow the priority and clearing rules above, so interrupt-driven drivers (Linux's
// 8250, which runs the FIFO at trigger level 8 and relies on the timeout for the rest) work
// once the line is wired to an interrupt controller.

import type { IrqLine, MmioDevice } from "./device.js";
import { ByteQueue } from "./byte-queue.js";
import { encode, MAX_SNAPSHOT_INPUT, type StateReader, type StateValue } from "../snapshot/state.js";
import { noIrq } from "./device.js";
import { DeviceTimer, type DeviceClock } from "./device-timer.js";

const IER_RDA = 0x01; // received data available (and the character timeout)
const IER_THRE = 0x02; // transmitter holding register empty
const IER_RLS = 0x04; // receiver line status
const LCR_DLAB = 0x80;
const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
const IIR_NONE = 0x01;
const IIR_THRE = 0x02;
const IIR_RDA = 0x04;
const IIR_RLS = 0x06;
const IIR_TIMEOUT = 0x0c;
const IIR_FIFO = 0xc0;
const FCR_ENABLE = 0x01;
const FCR_CLEAR_RX = 0x02;
const MCR_LOOP = 0x10;
/** MSR with DCD, DSR and CTS asserted: a modem that is always ready. */
const MSR_READY = 0xb0;
/** The receive FIFO (FIFO mode); in 16450 mode the receiver holds one byte (RBR). */
export const RX_FIFO_BYTES = 16;
/** Receive trigger levels selected by FCR bits 7:6. */
const TRIGGER_LEVELS = [1, 4, 8, 14];
/** The clock input: 3.6864 MHz (the device tree's clock-frequency); baud = clock / (16 × divisor). */
export const UART_CLOCK_HZ = 3_686_400;
/** The divisor a latch of 0 counts as (9600 baud). */
const DIVISOR_AT_ZERO = 24;

export class Uart16550 implements MmioDevice {
  readonly size = 0x1000;
  /** Host input not yet received: the sender's side of the line. */
  private readonly input = new ByteQueue();
  /** The receiver: RBR (16450 mode, at most one byte) or the receive FIFO. */
  private readonly rx = new ByteQueue();
  private fifoEnabled = false;
  private trigger = 1;
  private overrun = false;
  /** The character timeout has expired (IIR 0xC while IER bit 0 is set). */
  private timedOut = false;
  /** Clock of the last byte received or the last read of RBR (the timeout counts from there). */
  private lastRxActivity = 0n;
  private readonly timeout: DeviceTimer;
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  private dll = 0;
  private dlm = 0;
  /** THR-empty interrupt condition (set when THR empties, cleared by reading IIR or writing THR). */
  private threPending = false;
  private irqLevel = false;

  /**
   * `clock` gives virtual time (the character timeout); `makeTimer` a deadline on the board's
   * run loop (device-timer.ts). Without them (a UART on its own, in tests) time stands still
   * and the timeout never fires.
   */
  constructor(
    readonly name: string,
    private readonly output: (byte: number) => void,
    private readonly irq: IrqLine = noIrq,
    private readonly clock: DeviceClock = { now: () => 0n, cyclesPerSecond: () => 1 },
    makeTimer: (fire: () => void) => DeviceTimer = (fire) => new DeviceTimer(fire),
  ) {
    this.timeout = makeTimer(() => this.timeoutExpired());
  }

  saveState(): StateValue {
    return {
      input: encode.bytes(this.input.peekAll()), rx: encode.bytes(this.rx.peekAll()),
      fifoEnabled: this.fifoEnabled, trigger: this.trigger, overrun: this.overrun, timedOut: this.timedOut,
      lastRxActivity: encode.big(this.lastRxActivity), timeout: encode.bigOrNull(this.timeout.deadline),
      ier: this.ier, lcr: this.lcr, mcr: this.mcr, scr: this.scr, dll: this.dll, dlm: this.dlm,
      threPending: this.threPending, irqLevel: this.irqLevel,
    };
  }

  loadState(r: StateReader): void {
    this.input.replace(r.bytes("input", MAX_SNAPSHOT_INPUT));
    this.rx.replace(r.bytes("rx", RX_FIFO_BYTES));
    this.fifoEnabled = r.bool("fifoEnabled");
    this.trigger = TRIGGER_LEVELS[TRIGGER_LEVELS.indexOf(r.int("trigger", 1, 14))] ?? 1;
    this.overrun = r.bool("overrun");
    this.timedOut = r.bool("timedOut");
    this.lastRxActivity = r.big("lastRxActivity");
    this.timeout.set(r.bigOrNull("timeout"));
    this.ier = r.int("ier", 0, 0x0f);
    this.lcr = r.int("lcr", 0, 0xff);
    this.mcr = r.int("mcr", 0, 0x1f);
    this.scr = r.int("scr", 0, 0xff);
    this.dll = r.int("dll", 0, 0xff);
    this.dlm = r.int("dlm", 0, 0xff);
    this.threPending = r.bool("threPending");
    this.irqLevel = r.bool("irqLevel");
  }

  /** Queue bytes for the guest to receive (they enter the receiver as it has room). */
  pushInput(bytes: Uint8Array | number[]): void {
    this.input.push(bytes);
    this.fill();
    this.update();
  }

  /** Bytes received from the host but not yet read by the guest (in the receiver or waiting). */
  get pendingInput(): number {
    return this.rx.length + this.input.length;
  }

  /** Take the next received byte as a read of RBR would (HTIF and SBI console input, which
   *  share the console with the UART); -1 when there is none. */
  takeInput(): number {
    return this.rx.length > 0 ? this.readRbr() : -1;
  }

  read(offset: number, _size: number): number {
    switch (offset) {
      case 0:
        if (this.lcr & LCR_DLAB) return this.dll;
        return this.rx.length > 0 ? this.readRbr() : 0;
      case 1:
        return this.lcr & LCR_DLAB ? this.dlm : this.ier;
      case 2: {
        const iir = this.currentIir();
        if (iir === IIR_THRE) {
          this.threPending = false; // reading IIR that reports THRE clears it
          this.update();
        }
        return iir | (this.fifoEnabled ? IIR_FIFO : 0);
      }
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5: {
        const lsr = (this.rx.length > 0 ? LSR_DR : 0) | (this.overrun ? LSR_OE : 0) | LSR_THRE | LSR_TEMT;
        if (this.overrun) {
          this.overrun = false; // reading LSR clears OE (and the line status interrupt)
          this.update();
        }
        return lsr;
      }
      case 6:
        if (!(this.mcr & MCR_LOOP)) return MSR_READY;
        return ((this.mcr & 0x02) << 3) | ((this.mcr & 0x01) << 5) | ((this.mcr & 0x04) << 4) | ((this.mcr & 0x08) << 4);
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
          this.dll = v; // (the timeout's length follows: update() re-arms it)
        } else {
          if (this.mcr & MCR_LOOP) this.receive(v);
          else this.output(v);
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
        this.writeFcr(v);
        break;
      case 3:
        this.lcr = v;
        break;
      case 4: {
        const wasLoop = this.mcr & MCR_LOOP;
        this.mcr = v & 0x1f;
        if (wasLoop && !(this.mcr & MCR_LOOP)) this.fill(); // the serial input is connected again
        break;
      }
      case 7:
        this.scr = v;
        break;
      default:
        break; // LSR and MSR are read-only
    }
    this.update();
  }

  private writeFcr(v: number): void {
    const enable = (v & FCR_ENABLE) !== 0;
    if (enable !== this.fifoEnabled) {
      // Switching between 16450 and FIFO mode clears the FIFO.
      this.fifoEnabled = enable;
      this.clearRx();
    }
    if (!enable) return; // the other bits are programmed only with bit 0 set
    this.trigger = TRIGGER_LEVELS[v >> 6];
    if (v & FCR_CLEAR_RX) this.clearRx();
  }

  /** Discard what the receiver holds; host input behind it comes in at once. */
  private clearRx(): void {
    this.rx.clear();
    this.timedOut = false;
    this.fill();
  }

  private get capacity(): number {
    return this.fifoEnabled ? RX_FIFO_BYTES : 1;
  }

  /** Move host input into the receiver while it has room (not in loopback: the serial input is
   *  disconnected there). */
  private fill(): void {
    if (this.mcr & MCR_LOOP) return;
    const room = this.capacity - this.rx.length;
    if (room <= 0 || this.input.length === 0) return;
    this.rx.push(this.input.take(room));
    this.lastRxActivity = this.clock.now();
  }

  /** A byte the guest sent to itself in loopback. */
  private receive(byte: number): void {
    this.lastRxActivity = this.clock.now();
    if (this.rx.length < this.capacity) {
      this.rx.push([byte]);
      return;
    }
    this.overrun = true;
    if (!this.fifoEnabled) {
      this.rx.clear(); // 16450 mode: the new byte overwrites RBR
      this.rx.push([byte]);
    } // FIFO mode: the byte in the shift register is lost
  }

  private readRbr(): number {
    const b = this.rx.shift();
    this.lastRxActivity = this.clock.now();
    this.timedOut = false;
    this.fill();
    this.update();
    return b;
  }

  private timeoutExpired(): void {
    this.timedOut = this.fifoEnabled && this.rx.length > 0;
    this.update();
  }

  /** Cycles of 4 character times at the current line settings. */
  private timeoutCycles(): bigint {
    const dataBits = 5 + (this.lcr & 3);
    const stopHalfBits = this.lcr & 4 ? (dataBits === 5 ? 3 : 4) : 2;
    const halfBits = 2 + 2 * dataBits + (this.lcr & 8 ? 2 : 0) + stopHalfBits;
    const divisor = BigInt((this.dlm << 8) | this.dll || DIVISOR_AT_ZERO);
    // 4 × (halfBits / 2) bits × 16 × divisor clock periods, in cycles (rounded up).
    const num = BigInt(halfBits) * 32n * divisor * BigInt(this.clock.cyclesPerSecond());
    return (num + BigInt(UART_CLOCK_HZ) - 1n) / BigInt(UART_CLOCK_HZ);
  }

  private currentIir(): number {
    if ((this.ier & IER_RLS) && this.overrun) return IIR_RLS;
    if (this.ier & IER_RDA) {
      if (this.timedOut) return IIR_TIMEOUT;
      if (this.rx.length >= (this.fifoEnabled ? this.trigger : 1)) return IIR_RDA;
    }
    if ((this.ier & IER_THRE) && this.threPending) return IIR_THRE;
    return IIR_NONE;
  }

  private update(): void {
    const counting = this.fifoEnabled && this.rx.length > 0 && !this.timedOut;
    this.timeout.set(counting ? this.lastRxActivity + this.timeoutCycles() : null);
    if (this.rx.length === 0) this.timedOut = false;
    const level = this.currentIir() !== IIR_NONE;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq(level);
    }
  }
}
