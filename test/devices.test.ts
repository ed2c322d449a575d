// The board's devices driven register by register with a clock the test moves: the 16550A's
// receiver (16450 mode, the 16-byte FIFO fed from the host's input, resets that discard only
// the FIFO's bytes, trigger levels, the character timeout to the cycle for several line
// settings, loopback), the Goldfish RTC (the latch, writes to the time, the alarm's deadline,
// its interrupt, the time sources), and the empty virtio-mmio slots. The guests uartfifo,
// uartloop, rtc and vslots check the same from inside a machine (test/guests.test.ts, and
// against QEMU in test/qemu.test.ts).
import { describe, expect, it } from "vitest";
import { Uart16550 } from "../src/devices/uart16550.ts";
import { GoldfishRtc, virtualRtcSource, DEFAULT_RTC_EPOCH, type RtcTimeSource } from "../src/devices/goldfish-rtc.ts";
import { DeviceTimer } from "../src/devices/device-timer.ts";
import { EmptyVirtioSlots, VirtioMmio, VIRTIO_VENDOR } from "../src/devices/virtio-mmio.ts";
import { VirtioConsole } from "../src/devices/virtio-console.ts";
import { GuestMemory } from "../src/vmm/guest-memory.ts";
import { Hypervisor, type SwitchEvent } from "../src/api/hypervisor.ts";
import { loadWasmModule } from "../src/node/core-file.ts";
import { CORES, guestElf, makeMachine } from "./support/harness.ts";

/** Devices on a clock the test sets; `at(c)` moves it to cycle c and fires what is due. */
function rig() {
  let now = 0n;
  const timers: DeviceTimer[] = [];
  return {
    clock: { now: () => now, cyclesPerSecond: () => 100_000_000 },
    timer: (fire: () => void) => {
      const t = new DeviceTimer(fire);
      timers.push(t);
      return t;
    },
    at(c: bigint) {
      now = c;
      for (const t of timers) t.poll(now);
    },
    get timers() {
      return timers;
    },
  };
}

const RBR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, DLL = 0, DLM = 1;

function uart() {
  const r = rig();
  const out: number[] = [];
  const lines: boolean[] = [];
  const u = new Uart16550("u", (b) => out.push(b), (l) => lines.push(l), r.clock, r.timer);
  const text = (n: number) => String.fromCharCode(...Array.from({ length: n }, () => u.read(RBR, 1)));
  const divisor = (d: number, lcr = 0x03) => {
    u.write(LCR, 1, 0x80);
    u.write(DLL, 1, d & 0xff);
    u.write(DLM, 1, d >> 8);
    u.write(LCR, 1, lcr);
  };
  return { u, r, out, lines, text, divisor, deadline: () => r.timers[0].deadline };
}

describe("16550A receiver", () => {
  it("16450 mode holds one byte; the FIFO 16; a reset or mode switch discards only what the receiver holds", () => {
    const { u, text } = uart();
    u.pushInput(new TextEncoder().encode("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")); // 36 bytes
    expect(u.pendingInput).toBe(36);
    expect(u.read(LSR, 1)).toBe(0x61);
    expect(text(1)).toBe("0"); // RBR, and the next byte takes its place
    u.write(FCR, 1, 0x01); // FIFO on: the switch empties RBR ("1"), 16 bytes come in
    expect(u.pendingInput).toBe(34);
    expect(u.read(IIR, 1)).toBe(0xc1);
    expect(text(1)).toBe("2");
    u.write(FCR, 1, 0x03); // receive FIFO reset: "3".."I" go
    expect(u.pendingInput).toBe(17);
    expect(text(2)).toBe("JK");
    u.write(FCR, 1, 0x05); // the transmit FIFO's reset leaves the receiver alone
    expect(text(1)).toBe("L");
    u.write(FCR, 1, 0x00); // FIFO off: the 14 bytes it holds ("M".."Z") go
    expect(u.pendingInput).toBe(0);
    expect(u.read(LSR, 1)).toBe(0x60);
    expect(u.read(RBR, 1)).toBe(0); // nothing to read
    expect(u.takeInput()).toBe(-1);
  });

  it("SBI and HTIF console input reads through the receiver, in order", () => {
    const { u } = uart();
    u.write(LCR, 1, 0x80); // DLAB set: a guest's read of offset 0 would be DLL, the console's is not
    u.pushInput([1, 2, 3]);
    expect([u.takeInput(), u.takeInput(), u.takeInput(), u.takeInput()]).toEqual([1, 2, 3, -1]);
  });

  it("received data available at the trigger level, and below it only after the timeout", () => {
    const { u, r, lines } = uart();
    u.write(FCR, 1, 0x81); // trigger level 8
    u.write(IER, 1, 0x01);
    u.pushInput(new Uint8Array(7));
    expect(u.read(IIR, 1)).toBe(0xc1);
    expect(lines).toEqual([]);
    u.pushInput([1]);
    expect(u.read(IIR, 1)).toBe(0xc4);
    expect(lines).toEqual([true]);
    u.read(RBR, 1); // 7 left: below the level, the line drops
    expect(lines).toEqual([true, false]);
    r.at(1_000_000n);
    expect(u.read(IIR, 1)).toBe(0xcc); // the timeout (4 characters at 9600 baud: 416,667 cycles)
    expect(lines).toEqual([true, false, true]);
  });

  it("the timeout comes exactly 4 character times after the last byte received or read", () => {
    for (const [lcr, div, cycles] of [
      [0x03, 1, 17_362n], //        8N1, 230400 baud: 40 bits × 16 × 1 / 3.6864 MHz = 173.61 µs
      [0x03, 12, 208_334n], //      8N1, 19200 baud
      [0x1f, 3, 62_500n], //        8E2 (parity, 2 stop bits): 12 bits
      [0x0c, 3, 44_271n], //        5 data bits, parity, 1.5 stop bits: 8.5 bits
      [0x03, 0, 416_667n], //       divisor 0 counts as 24: 9600 baud
    ] as const) {
      const { u, r, divisor, deadline } = uart();
      divisor(div, lcr);
      u.write(FCR, 1, 0xc1); // trigger 14
      u.write(IER, 1, 0x01);
      r.at(1000n);
      u.pushInput([0x41, 0x42]);
      expect(deadline(), `LCR ${lcr} divisor ${div}`).toBe(1000n + cycles);
      r.at(1000n + cycles - 1n);
      expect(u.read(IIR, 1)).toBe(0xc1);
      r.at(1000n + cycles);
      expect(u.read(IIR, 1)).toBe(0xcc);
      // A read clears it and starts the count again.
      r.at(5_000_000n);
      u.read(RBR, 1);
      expect(u.read(IIR, 1)).toBe(0xc1);
      expect(deadline()).toBe(5_000_000n + cycles);
      u.read(RBR, 1); // empty: nothing to time out
      expect(deadline()).toBeNull();
    }
  });

  it("a new divisor changes a running timeout; 16450 mode has none", () => {
    const { u, r, divisor, deadline } = uart();
    u.pushInput([1, 2]);
    expect(deadline()).toBeNull(); // 16450 mode: no FIFO, no timeout
    u.write(FCR, 1, 0xc1);
    r.at(100n);
    u.write(RBR, 1, 0); // (a write to THR: the receiver is unaffected)
    divisor(1);
    expect(deadline()).toBe(0n + 17_362n); // counted from the bytes' arrival (the switch's refill)
  });

  it("loopback: the guest's bytes come back through the FIFO; host input waits; overrun", () => {
    const { u, out, text } = uart();
    u.write(FCR, 1, 0xc1);
    u.write(MCR, 1, 0x10);
    u.pushInput(new TextEncoder().encode("host"));
    expect(u.read(LSR, 1)).toBe(0x60); // the serial input is disconnected in loopback
    for (let i = 0; i < 17; i++) u.write(RBR, 1, 0x61 + i);
    expect(out).toEqual([]);
    expect(u.read(LSR, 1)).toBe(0x63); // overrun
    expect(u.read(LSR, 1)).toBe(0x61);
    expect(text(16)).toBe("abcdefghijklmnop");
    u.write(MCR, 1, 0x00); // out of loopback: the host's input comes in
    expect(text(4)).toBe("host");
    u.write(RBR, 1, 0x7a);
    expect(out).toEqual([0x7a]);
  });

  it("the receiver line status interrupt: an overrun, cleared by reading LSR", () => {
    const { u, lines } = uart();
    u.write(IER, 1, 0x04);
    u.write(MCR, 1, 0x10);
    u.write(RBR, 1, 1);
    u.write(RBR, 1, 2); // 16450 mode: the second byte overwrites the first
    expect(u.read(IIR, 1)).toBe(0x06);
    expect(lines).toEqual([true]);
    expect(u.read(LSR, 1)).toBe(0x63);
    expect(lines).toEqual([true, false]);
    expect(u.read(RBR, 1)).toBe(2);
  });
});

describe("Goldfish RTC", () => {
  /** A source at `base` ns that advances 10 ns a cycle. */
  function rtc(base = 1_000_000_000_000_000_000n) {
    const r = rig();
    const lines: boolean[] = [];
    const source: RtcTimeSource = {
      nowNs: () => base + r.clock.now() * 10n,
      clockAt: (ns) => (ns <= base ? 0n : (ns - base + 9n) / 10n),
    };
    const dev = new GoldfishRtc("rtc", source, (l) => lines.push(l), r.timer);
    const w = (off: number, v: number | bigint) => dev.write(off, 4, Number(BigInt(v) & 0xffffffffn));
    const alarm = (ns: bigint) => { w(0x0c, ns >> 32n); w(0x08, ns); };
    return { dev, r, lines, w, alarm, deadline: () => r.timers[0].deadline };
  }

  it("TIME_LOW latches the high word for TIME_HIGH; writes set each half of the time", () => {
    const { dev, r, w } = rtc(0x1_2345_6789n);
    expect(dev.read(0x04, 4)).toBe(0); // nothing latched yet
    r.at(100n);
    expect(dev.read(0x00, 4)).toBe(0x2345_6789 + 1000);
    expect(dev.read(0x04, 4)).toBe(1);
    w(0x04, 7);
    expect(dev.read(0x04, 4)).toBe(1); // still the latched word
    expect(dev.read(0x00, 4)).toBe(0x2345_6789 + 1000);
    expect(dev.read(0x04, 4)).toBe(7);
    w(0x00, 0);
    r.at(150n);
    expect(dev.time()).toBe((7n << 32n) + 500n);
    expect(dev.read(0x00, 2)).toBe(0); // 32-bit registers only
  });

  it("the alarm: ALARM_LOW arms it for a deadline of virtual time; it fires there, once", () => {
    const { dev, r, w, alarm, lines, deadline } = rtc(0n);
    w(0x0c, 0);
    expect(dev.read(0x18, 4)).toBe(0); // ALARM_HIGH alone does not arm
    w(0x10, 1);
    alarm(5_000n); // 5 µs: clock 500
    expect(dev.read(0x18, 4)).toBe(1);
    expect(deadline()).toBe(500n);
    r.at(499n);
    expect(lines).toEqual([]);
    r.at(500n);
    expect(dev.read(0x18, 4)).toBe(0);
    expect(lines).toEqual([true]);
    w(0x1c, 1); // CLEAR_INTERRUPT
    expect(lines).toEqual([true, false]);
    // Disabled, it is held back; enabling shows it.
    w(0x10, 0);
    alarm(6_000n);
    r.at(600n);
    expect(lines).toEqual([true, false]);
    w(0x10, 1);
    expect(lines).toEqual([true, false, true]);
    w(0x1c, 1);
    // CLEAR_ALARM disarms.
    alarm(10_000n);
    w(0x14, 1);
    expect(dev.read(0x18, 4)).toBe(0);
    expect(deadline()).toBeNull();
    // An alarm in the past fires at once.
    alarm(1n);
    expect(lines).toEqual([true, false, true, false, true]);
    expect(dev.read(0x08, 4)).toBe(1);
  });

  it("moving the time moves the alarm's deadline (or fires it)", () => {
    const { dev, r, w, alarm, deadline, lines } = rtc(0n);
    w(0x10, 1);
    alarm(1_000_000n); // clock 100,000
    expect(deadline()).toBe(100_000n);
    w(0x00, 500_000); // the time jumps to 500 µs at clock 0
    expect(deadline()).toBe(50_000n);
    w(0x04, 1); // and past the alarm
    expect(lines).toEqual([true]);
    expect(dev.read(0x18, 4)).toBe(0);
    r.at(0n);
  });

  it("deterministic time: the epoch plus the partition's mtime (100 ns a tick)", () => {
    let mtime = 0n;
    const src = virtualRtcSource(DEFAULT_RTC_EPOCH, { mtime: () => mtime, clockWhenMtimeReaches: (t) => t * 10n });
    expect(src.nowNs()).toBe(1_767_225_600_000_000_000n);
    mtime = 12_345n;
    expect(src.nowNs()).toBe(1_767_225_600_001_234_500n);
    expect(src.clockAt(1_767_225_600_000_000_150n)).toBe(20n); // tick 2 (rounded up), at 10 cycles a tick
    expect(src.clockAt(0n)).toBe(0n);
  });
});

describe("empty virtio-mmio slots", () => {
  it("answer as QEMU's: magic, version 2, device 0, the real devices' vendor; all else 0; writes ignored", () => {
    const empty = new EmptyVirtioSlots("e", 0x6000);
    const mem = new GuestMemory(new ArrayBuffer(4096));
    const real = new VirtioMmio("c", new VirtioConsole(() => {}), mem, () => {});
    expect(empty.read(0x00c, 4)).toBe(VIRTIO_VENDOR);
    expect(empty.read(0x00c, 4)).toBe(real.read(0x00c, 4));
    for (const slot of [0, 0x1000, 0x5000]) {
      for (let off = 0; off < 0x1000; off += 4) {
        const expected = off === 0 ? 0x74726976 : off === 4 ? 2 : off === 0xc ? VIRTIO_VENDOR : 0;
        expect(empty.read(slot + off, 4), `slot offset 0x${off.toString(16)}`).toBe(expected);
      }
    }
    expect([0, 1, 2, 3].map((o) => empty.read(o, 1))).toEqual([0x76, 0, 0, 0]);
    expect([empty.read(0, 2), empty.read(2, 2), empty.read(4, 1)]).toEqual([0x6976, 0, 2]);
    empty.write();
    expect(empty.read(0x070, 4)).toBe(0);
  });
});

describe("device deadlines in the run loops", () => {
  /** Arm `rtc`'s alarm `ns` after its current time. */
  const armAlarm = (rtc: GoldfishRtc, ns: bigint) => {
    const at = rtc.time() + ns;
    rtc.write(0x0c, 4, Number(at >> 32n));
    rtc.write(0x08, 4, Number(at & 0xffffffffn));
  };

  for (const core of CORES) {
    it(`the bare machine skips idle time to a device's deadline, then stops idle (${core})`, async () => {
      const m = await makeMachine(core);
      m.loadElf(guestElf("idle"));
      const rtc = m.board.rtc;
      const start = m.time.clockNumber();
      armAlarm(rtc, 5_000_000n); // 5 ms: 500,000 cycles
      m.step(1_000_000);
      expect(rtc.read(0x18, 4)).toBe(0); // it fired ...
      // ... at its cycle: the RTC counts mtime ticks of 10 cycles; 50,000 ticks on from the tick of the arming.
      expect(m.time.clockNumber()).toBe(Math.floor(start / 10) * 10 + 500_000);
      expect(m.halted?.kind).toBe("idle"); // and then nothing could wake the hart
    });

    it(`the hypervisor does the same when every partition waits, with an idle record (${core})`, async () => {
      const hv = new Hypervisor({ partitions: [{ name: "i", image: "idle", ram: "64K" }] }, {
        core, wasmModule: await loadWasmModule(), loadImage: (i) => guestElf(i),
      });
      const switches: SwitchEvent[] = [];
      hv.on("switch", (e) => switches.push(e));
      await hv.start();
      expect(hv.advance(1_000_000)).toBe("idle");
      const start = hv.clock();
      const rtc = hv.board("i").rtc;
      armAlarm(rtc, 5_000_000n);
      expect(hv.advance(10_000_000)).toBe("idle");
      expect(rtc.read(0x18, 4)).toBe(0);
      expect(hv.clock()).toBe(Math.floor(start / 10) * 10 + 500_000);
      expect(switches.at(-1)).toEqual({ at: start, partition: null, reason: "idle" });
    });
  }
});
