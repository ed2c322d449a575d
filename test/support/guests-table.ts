// The guest programs of guests/ with what each must print, its exit status and the number of
// instructions it retires (identical on both cores; a change means timing or semantics changed).

import { readFileSync } from "node:fs";

export interface GuestCase {
  name: string;
  status: number;
  output: string;
  /** Instructions retired: a change here means timing or semantics changed; check why. */
  instructions: number;
  input?: string;
  /** Harts of the machine (default 1; QEMU gets -smp with the same number). */
  harts?: number;
}

const pass = (name: string) => `${name}: PASS\n`;

/** What a guest of guests/fp/ prints, as QEMU printed it (guests/fp/NAME.expected, recorded from
 *  qemu-system-riscv32 -cpu rv32,f=true,d=true; test/qemu.test.ts compares with QEMU itself). */
const qemuOutput = (name: string) => readFileSync(new URL(`../../guests/fp/${name}.expected`, import.meta.url), "latin1");

/** The uartfifo guest's input: 62 bytes, a marker, 10 more (see guests/c/uartfifo.c). */
const UART_FIFO_INPUT = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz|0123456789";

/** What guests/asm/parstress.S prints on N harts (20,000 rounds each). */
export function parstressOutput(harts: number): string {
  const n = harts * 20_000;
  return [
    `parstress: ${harts} harts, 20000 rounds each`,
    `amoadd counter:            ${n} (expected ${n})`,
    `lr/sc counter:             ${n} (expected ${n})`,
    `amoswap.aq lock counter:   ${n} (expected ${n})`,
    `lr/sc lock counter:        ${n} (expected ${n})`,
    "message passing:           0 stale reads, 0 flags gone backwards",
    "a0 = mhartid at entry on every hart: yes",
    "parstress: ok",
  ].map((l) => `${l}\n`).join("");
}

/** The checksums of guests/asm/parbench.S, by number of items: the same for any number of harts. */
export const PARBENCH_CHECKSUM: Record<number, string> = { 256: "99c68d68", 10_000: "3034ada4" };

/** What guests/asm/partimer.S prints on N harts. */
export function partimerOutput(harts: number): string {
  return `partimer: ${harts} harts, ${harts * 20} timer interrupts (expected ${harts * 20}), ${harts} harts saw at least 20 ms pass\npartimer: ok\n`;
}

/** What guests/asm/parbench.S prints on N harts. */
export const parbenchOutput = (harts: number, items: number) =>
  `parbench: ${harts} harts, ${items} items, checksum 0x${PARBENCH_CHECKSUM[items]}\n`;

export const GUESTS: GuestCase[] = [
  { name: "hello", status: 0, output: "Hello from a C guest on wasmvisor!\n40 + 2 = 42, strings work, 0x00c0ffee\n", instructions: 3445 },
  {
    // Two harts (test/smp.test.ts has more): spinlocks with LR/SC and AMOSWAP, AMOADD, an LR broken
    // by the other hart's store, IPIs through the CLINT, code written by one hart run by the other.
    name: "smp", status: 0, harts: 2, instructions: 310_719,
    output: [
      "smp: hart 0 and hart 1 running",
      "counters (lr/sc lock, amoswap lock, amoadd): 6000 6000 6000",
      "a0 = mhartid at entry (hart 0, hart 1): 1 1",
      "sc after another hart's store fails: 1, word = 77",
      "ipi 0 -> 1 -> 0: 1",
      "code written by hart 1 returns 42",
      "code written by hart 1 returns 43",
      "smp: PASS",
    ].join("\n") + "\n",
  },
  {
    // The parallel-harts stress test (docs/smp.md): AMOADD, an LR/SC loop, an AMOSWAP lock and an
    // LR/SC lock around plain increments, message passing with fences, 20,000 rounds per hart.
    name: "parstress", status: 0, harts: 2, instructions: 1_922_982,
    output: parstressOutput(2),
  },
  {
    // The parallel benchmark with 256 items (parbench.S built with -DITEMS=256): the checksum is
    // the same for any number of harts.
    name: "parbench-short", status: 0, harts: 2, instructions: 4_972_865,
    output: parbenchOutput(2, 256),
  },
  {
    // Timer interrupts on every hart (each its own mtimecmp, WFI between): the count is exact
    // and no interrupt comes early on any host, in any mode (test/vnuma.test.ts: across nodes).
    name: "partimer", status: 0, harts: 2, instructions: 21_700,
    output: partimerOutput(2),
  },
  { name: "exitcode", status: 42, output: "exiting with status 42\n", instructions: 413 },
  { name: "timer", status: 0, output: "20 timer interrupts\nelapsed time within [20, 21] ms\n", instructions: 3731 },
  { name: "echo", status: 0, input: "hello\nworld\nquit\n", output: "echo ready\n1: HELLO\n2: WORLD\n2 lines\n", instructions: 2639 },
  { name: "uartirq", status: 0, input: "hello\nworld\nquit\n", output: "uartirq ready\n1: HELLO\n2: WORLD\n2 lines; pending before enable: yes; every claim was the UART: yes\n", instructions: 4056 },
  {
    name: "uartfifo", status: 0, instructions: 17376, input: UART_FIFO_INPUT,
    output: [
      "uartfifo ready",
      "16450 mode: LSR 61, IIR 01, with IER.RDA 04",
      "FIFO on: IIR c1; next byte '1' (the one in RBR was discarded)",
      "RX FIFO reset: next byte 'I' (16 discarded)",
      "FIFO off: IIR 01; next byte 'Z' (16 discarded)",
      "read up to the marker: bcdefghijklmnopqrstuvwxyz|",
      "10 bytes; IIR at trigger level 1: c4, 4: c4, 8: c4, 14: c1",
      "after 500 ms without a read: IIR cc; read '0', then IIR c1",
      "timeout interrupt: after 347 ms; IIR cc, 9 bytes: 123456789; IIR now c1",
    ].map((l) => `${l}\n`).join(""),
  },
  {
    name: "uartloop", status: 0, instructions: 454_579,
    output: [
      "uartloop ready",
      "FIFO on: IIR c1",
      "IIR at trigger level 1/4/8/14 with  5 bytes: c4 c4 c1 c1",
      "IIR at trigger level 1/4/8/14 with 10 bytes: c4 c4 c4 c1",
      "IIR at trigger level 1/4/8/14 with 14 bytes: c4 c4 c4 c4",
      "RX FIFO reset: LSR 60, IIR c1; then 'x'",
      "timeout: IIR c1 after 1 ms, cc after 11 ms; read 'y', IIR c1",
      "a read restarts it: IIR cc; read 'p', IIR c1, c1 after 1 ms, cc after 11 ms; read 'q'",
      "timeout interrupt: after 2-5 ms; IIR cc, received t; IIR then c1",
      "polling IIR: the timeout after 2-5 ms; read 'w'",
      "FIFO off: LSR 60, IIR 01; a byte: LSR 61; FIFO on: LSR 60",
      "overrun, FIFO: 17 sent; IIR c6, LSR 63 then 61, IIR c4; received 16: abcdefghijklmnop",
      "overrun, 16450: 'x' then 'y'; LSR 63 then 61; RBR 'y', LSR 60",
      "THR empty: IIR c2, then c1; after a write c2",
      "MSR in loopback with DTR, RTS, OUT1, OUT2: 20 10 40 80; outside: b0",
      "uartloop: PASS",
    ].map((l) => `${l}\n`).join(""),
  },
  {
    name: "rtc", status: 0, instructions: 16701,
    output: [
      "RTC: 2026-01-01, within a second of midnight",
      "TIME_HIGH latched by TIME_LOW; writes set each half: yes",
      "set to 2030-06-15 12:00:00; advances with mtime: yes",
      "alarm: ALARM_HIGH does not arm, ALARM_LOW arms, read back, CLEAR_ALARM, IRQ_ENABLED bit 0: yes",
      "alarm in the past: status 0 at once; claims: 0 while disabled, 11 enabled, 0 after CLEAR_INTERRUPT",
      "alarm 2 ms ahead: armed 1, interrupt after 2-3 ms, status 0 in the handler",
    ].map((l) => `${l}\n`).join(""),
  },
  {
    name: "vslots", status: 0, instructions: 52889,
    output: [
      ...Array.from({ length: 8 }, (_, n) => `slot ${n} at 0x${(0x10001000 + n * 0x1000).toString(16).padStart(8, "0")}: magic 74726976 version 2 device 0`),
      "vendor ID: the same, nonzero, in every slot",
      "other registers read 0, writes change nothing: yes",
      "narrow reads: bytes 76 00 00 00, halfwords 6976 0000, version byte 02",
    ].map((l) => `${l}\n`).join(""),
  },
  { name: "htif", status: 0, output: "hello through HTIF\n", instructions: 309 },
  { name: "hello-asm", status: 0, output: "hello from wasmvisor\n", instructions: 114 },
  { name: "rv32i", status: 0, output: pass("rv32i"), instructions: 823 },
  { name: "rv32m", status: 0, output: pass("rv32m"), instructions: 536 },
  { name: "rv32a", status: 0, output: pass("rv32a"), instructions: 609 },
  { name: "rv32c", status: 0, output: pass("rv32c"), instructions: 1145 },
  { name: "csr", status: 0, output: pass("csr"), instructions: 2302 },
  { name: "csr-warl", status: 0, output: pass("csr-warl"), instructions: 553 },
  // F and D (guests/fp/, built rv32imafdc/ilp32d): machine rules, every instruction on tables of
  // hard operands in every rounding mode plus a random stream, and libm through printf.
  { name: "fp-traps", status: 0, output: pass("fp-traps"), instructions: 2001 },
  { name: "fpu-isa", status: 0, output: qemuOutput("fpu-isa"), instructions: 32_746_509 },
  { name: "fpmath", status: 0, output: qemuOutput("fpmath"), instructions: 3_716_493 },
  { name: "traps", status: 0, output: pass("traps"), instructions: 2698 },
  { name: "interrupts", status: 0, output: pass("interrupts"), instructions: 1088 },
  { name: "irq-priority", status: 0, output: pass("irq-priority"), instructions: 621 },
  { name: "amo-misaligned", status: 0, output: pass("amo-misaligned"), instructions: 501 },
  { name: "sv32", status: 0, output: pass("sv32"), instructions: 2842 },
  { name: "pmp", status: 0, output: pass("pmp"), instructions: 2058 },
  { name: "pmp-edge", status: 0, output: pass("pmp-edge"), instructions: 539 },
  { name: "sstc", status: 0, output: pass("sstc"), instructions: 1386 },
  { name: "sstc-off", status: 0, output: pass("sstc-off"), instructions: 245 },
  { name: "trigger", status: 0, output: pass("trigger"), instructions: 7457 },
  { name: "trigger-edge", status: 0, output: pass("trigger-edge"), instructions: 9229 },
  { name: "trigger-dmode", status: 0, output: `debugger triggers: 0\n${pass("trigger-dmode")}`, instructions: 669 },
  {
    name: "ticks", status: 0, instructions: 2_051_989,
    output: Array.from({ length: 20 }, (_, i) => `tick ${i + 1}: 3 ticks late, instret ${100_000 * (i + 1) + 241 - i}\n`).join("") +
      "399686 iterations (x = 8c12527f) in 204774 mtime ticks\n",
  },
  {
    name: "bench", status: 0, instructions: 273_429_682,
    output: "wasmvisor benchmark workload (scale 30)\ncrc     bafba72e\nmatrix  4571321f\nlist    1db418d2\ntokens  3953bfec\nsort    8d437151\nchecksum 7e83ac66\n",
  },
  {
    // The CoreMark-like workload (guests/c/cmark.c): each kernel's CRC-16, then the chained one.
    name: "cmark", status: 0, instructions: 106_029_819,
    output: "cmark: a CoreMark-like workload of wasmvisor's own, 1200 iterations\nlist    f9e4\nmatrix  c969\nstate   343e\ncrc     95b6\n",
  },
];
