// Measures the RTOS's interrupt-disabled sections and its release path from an instruction
// trace of the bare machine (README.md, "Measured"):
//
//   node bin/wasmvisor.mjs run-elf OUT.elf --trace --max-insns N 2>&1 >/dev/null \
//     | node guests/rtos/trace-paths.mjs OUT.elf
//
// It reports, in instructions:
//   - the release path: from the first instruction of the trap handler at a timer interrupt to
//     the control task's first instruction (the one after the ECALL of its k_sleep_until), for
//     every timer interrupt that resumed the control task;
//   - every kernel entry, from the handler's first instruction to its MRET inclusive, longest per
//     kind (timer, external, each system call by its a7, other exceptions);
//   - the tasks' own critical sections, from `csrrci …,mstatus,8` to `csrs mstatus,…` inclusive;
//   - the longest straight-line run with interrupts enabled (no jump, taken branch or SYSTEM
//     instruction): the hart takes interrupts at block boundaries, so such a run can delay one
//     (device accesses also end blocks; counting them in makes this an overestimate).
import { execFileSync } from "node:child_process";
import { createInterface } from "node:readline";

const elf = process.argv[2];
if (!elf) {
  console.error("usage: … --trace … 2>&1 >/dev/null | node guests/rtos/trace-paths.mjs OUT.elf");
  process.exit(2);
}

// The control task's code range, from the symbol table.
const nm = execFileSync("riscv64-unknown-elf-nm", ["-S", elf], { encoding: "utf8" });
const sym = nm.split("\n").map((l) => l.trim().split(/\s+/)).find((f) => f[3] === "control_task");
if (!sym) throw new Error(`${elf}: no control_task symbol`);
const controlStart = parseInt(sym[0], 16);
const controlEnd = controlStart + parseInt(sym[1], 16);

const SYSCALLS = ["?", "sleep_until", "sem_take", "sem_give", "queue_send", "queue_receive", "exit", "yield"];
const longest = new Map(); // kind -> { n, at }
const paths = new Map();   // release path length -> count
let a7 = 0;
let inTrap = null;         // { kind, n, timer }
let releaseCount = -1;     // counting a release path, or -1
let controlResume = -1;    // pc after the control task's ECALL
let critical = -1, longestCritical = 0;
let lines = 0;
let run = 0, longestRun = 0, runAt = "", nextPc = -1;

function note(kind, n, at) {
  const old = longest.get(kind);
  if (!old || n > old.n) longest.set(kind, { n, at });
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  const trap = line.match(/trap → M: mcause=([0-9a-f]+) mepc=([0-9a-f]+)/);
  if (trap) {
    const cause = parseInt(trap[1], 16) >>> 0;
    const mepc = parseInt(trap[2], 16);
    let kind;
    if (cause === 0x80000007) kind = "timer";
    else if (cause === 0x8000000b) kind = "external";
    else if (cause === 11) {
      kind = a7 === 0x08574d56 ? "hypercall (bare machine)" : `syscall ${SYSCALLS[a7] ?? a7}`;
      if (mepc >= controlStart && mepc < controlEnd && a7 === 1) controlResume = mepc + 4;
    } else kind = `exception ${cause}`;
    inTrap = { kind, n: 0 };
    releaseCount = cause === 0x80000007 ? 0 : -1;
    continue;
  }
  const insn = line.match(/^\s*(\d+) ([0-9a-f]{8}) [0-9a-f]+\s+(.*)$/);
  if (!insn) continue;
  lines++;
  const pc = parseInt(insn[2], 16);
  const text = insn[3];
  const bits = line.match(/^\s*\d+ [0-9a-f]{8} ([0-9a-f]+)/)[1];
  const system = /^(csr|ecall|ebreak|wfi|mret|sret|fence)/.test(text);
  if (releaseCount >= 0) {
    if (pc === controlResume) {
      paths.set(releaseCount, (paths.get(releaseCount) ?? 0) + 1);
      releaseCount = -1;
    } else releaseCount++;
  }
  if (inTrap) {
    inTrap.n++;
    if (/\bmret\b/.test(text)) {
      note(inTrap.kind, inTrap.n, insn[1]);
      inTrap = null;
      if (releaseCount >= 0 && controlResume < 0) releaseCount = -1;
    }
  } else {
    // Straight-line runs with interrupts enabled (outside traps and critical sections).
    if (critical < 0 && pc === nextPc && !system) {
      if (++run > longestRun) {
        longestRun = run;
        runAt = insn[1];
      }
    } else run = system ? 0 : 1;
    if (critical < 0 && /csrrci\s+\w+,mstatus,8/.test(text)) critical = 0;
    if (critical >= 0) {
      critical++;
      if (/csrs\s+mstatus,/.test(text)) {
        longestCritical = Math.max(longestCritical, critical);
        critical = -1;
      }
    }
  }
  nextPc = pc + bits.length / 2;
  const w = text.match(/\ba7=([0-9a-f]{8})\s*$/);
  if (w) a7 = parseInt(w[1], 16);
}

console.log(`${lines} instructions traced`);
console.log("release path (timer interrupt -> control task's first instruction), instructions: count");
for (const [n, count] of [...paths].sort((a, b) => a[0] - b[0])) console.log(`  ${n}: ${count}`);
console.log("longest kernel entry (trap -> mret inclusive) per kind, instructions:");
for (const [kind, { n, at }] of [...longest].sort((a, b) => b[1].n - a[1].n)) console.log(`  ${kind}: ${n} (at instruction ${at})`);
console.log(`longest critical section in a task (csrrci mstatus .. csrs mstatus): ${longestCritical}`);
console.log(`longest straight-line run with interrupts enabled: ${longestRun} (ending at instruction ${runAt})`);
