#!/usr/bin/env node
// `npm start`: a short tour on the Wasm core — a C program, a timer-interrupt program, the
// CPU-bound benchmark workload with its speed, and partitioned systems: two guests side by side,
// then a hostile supervisor guest next to a real-time victim. (The default RTOS + Linux system
// replaces this tour when those guests exist.)
import { main } from "../dist/src/cli/main.js";

const root = new URL("..", import.meta.url).pathname;
const say = (t) => process.stderr.write(`\n\x1b[1m── ${t}\x1b[0m\n`);
let status = 0;
for (const [title, args] of [
  ["printf from a C guest (picolibc on the NS16550A UART)", ["guests/bin/hello.elf"]],
  ["CLINT timer interrupts, WFI skipping idle virtual time", ["guests/bin/timer.elf", "--stats"]],
  ["the CPU-bound benchmark workload (~273 M instructions)", ["guests/bin/bench.elf", "--stats"]],
]) {
  say(`wasmvisor run-elf ${args.join(" ")}  # ${title}`);
  status ||= await main(["run-elf", `${root}${args[0]}`, ...args.slice(1)]);
}
for (const [title, args, expected] of [
  ["two partitions, each in its own time window", ["examples/two-guests.json", "--stats"], 0],
  ["a hostile partition next to a real-time victim (it never stops: --max-insns ends it, status 124)",
    ["examples/isolation.json", "--max-insns", "6000000"], 124],
]) {
  say(`wasmvisor run ${args.join(" ")}  # ${title}`);
  const s = await main(["run", `${root}${args[0]}`, ...args.slice(1)]);
  if (s !== expected) status ||= s;
}
process.exitCode = status;
