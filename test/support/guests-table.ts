// The guest programs of guests/ with what each must print, its exit status and the number of
// instructions it retires (identical on both cores; a change means timing or semantics changed).

export interface GuestCase {
  name: string;
  status: number;
  output: string;
  /** Instructions retired: a change here means timing or semantics changed; check why. */
  instructions: number;
  input?: string;
}

const pass = (name: string) => `${name}: PASS\n`;

export const GUESTS: GuestCase[] = [
  { name: "hello", status: 0, output: "Hello from a C guest on wasmvisor!\n40 + 2 = 42, strings work, 0x00c0ffee\n", instructions: 3445 },
  { name: "exitcode", status: 42, output: "exiting with status 42\n", instructions: 413 },
  { name: "timer", status: 0, output: "20 timer interrupts\nelapsed time within [20, 21] ms\n", instructions: 3731 },
  { name: "echo", status: 0, input: "hello\nworld\nquit\n", output: "echo ready\n1: HELLO\n2: WORLD\n2 lines\n", instructions: 2639 },
  { name: "uartirq", status: 0, input: "hello\nworld\nquit\n", output: "uartirq ready\n1: HELLO\n2: WORLD\n2 lines; pending before enable: yes; every claim was the UART: yes\n", instructions: 4056 },
  { name: "htif", status: 0, output: "hello through HTIF\n", instructions: 309 },
  { name: "hello-asm", status: 0, output: "hello from wasmvisor\n", instructions: 114 },
  { name: "rv32i", status: 0, output: pass("rv32i"), instructions: 823 },
  { name: "rv32m", status: 0, output: pass("rv32m"), instructions: 536 },
  { name: "rv32a", status: 0, output: pass("rv32a"), instructions: 609 },
  { name: "rv32c", status: 0, output: pass("rv32c"), instructions: 1145 },
  { name: "csr", status: 0, output: pass("csr"), instructions: 2302 },
  { name: "csr-warl", status: 0, output: pass("csr-warl"), instructions: 553 },
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
];
