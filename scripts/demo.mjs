#!/usr/bin/env node
// `npm start`: a short tour on the Wasm core — a C program, a timer-interrupt program, and the
// CPU-bound benchmark workload with its speed.
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
process.exitCode = status;
