// Per-instruction tracing: the machine runs one instruction at a time (budgets are exact), and
// after each step one line is written:
//
//   <instret> <pc> <raw bits> <disassembly>  [<rd>=<value>]
//
// followed by a line for each trap or interrupt taken. Both cores produce the same trace, so
// two traces can be diffed to find where they part.

import { SYS_RETIRED, SYS_STAT_TRAPS, SYS_TRACE_INSN, SYS_TRACE_PC, V_MCAUSE, V_MEPC, V_MTVAL, V_SCAUSE, V_SEPC, V_STVAL, V_PRIV, vcpuAddr } from "../../assembly/layout.js";
import type { Machine } from "../machine/machine.js";
import { layoutWords } from "../vmm/guest-memory.js";
import { disassemble, ABI_NAMES } from "./disasm.js";

const hex8 = (v: number) => (v >>> 0).toString(16).padStart(8, "0");

export function formatTraceLine(instret: number, pc: number, insn: number, regs: ArrayLike<number>): string {
  const d = disassemble(insn, pc);
  const raw = d.length === 2 ? (insn & 0xffff).toString(16).padStart(4, "0").padEnd(8, " ") : hex8(insn);
  let line = `${String(instret).padStart(10)} ${hex8(pc)} ${raw} ${d.text}`;
  if (d.rd !== 0) line = `${line.padEnd(60)} ${ABI_NAMES[d.rd]}=${hex8(regs[d.rd])}`;
  return line;
}

/**
 * Run `machine` for up to `budget` instructions one at a time, writing a trace line per
 * instruction to `out`. Returns the number of instructions retired.
 */
export function traceRun(machine: Machine, budget: number, out: (line: string) => void): number {
  const words = layoutWords(machine.core.memory);
  const vcpu = vcpuAddr(0);
  const w = (addr: number) => words[addr >> 2];
  let done = 0;
  {
    while (done < budget && !machine.halted) {
      const trapsBefore = w(SYS_STAT_TRAPS);
      const n = machine.step(1);
      const retired = w(SYS_RETIRED);
      const pc = w(SYS_TRACE_PC);
      const insn = w(SYS_TRACE_INSN);
      const trapped = w(SYS_STAT_TRAPS) !== trapsBefore;
      if (trapped) {
        // A trap was taken before the traced instruction: the instruction fetched last faulted
        // (mepc/sepc name it), or an interrupt arrived at the block boundary.
        const priv = w(vcpu + V_PRIV);
        if (priv === 3) out(`           trap → M: mcause=${hex8(w(vcpu + V_MCAUSE))} mepc=${hex8(w(vcpu + V_MEPC))} mtval=${hex8(w(vcpu + V_MTVAL))}`);
        else out(`           trap → S: scause=${hex8(w(vcpu + V_SCAUSE))} sepc=${hex8(w(vcpu + V_SEPC))} stval=${hex8(w(vcpu + V_STVAL))}`);
      }
      if (retired > 0) out(formatTraceLine(machine.retired - 1, pc, insn, machine.registers().x));
      else if (!trapped) break; // nothing ran: the hart waits (WFI) or the machine halted
      done += n;
    }
  }
  return done;
}
