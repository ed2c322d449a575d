// What a debugger controls: one hart — the bare machine's, or one partition's vCPU in the
// partitioned system — with its registers and memory (the Board's debugger access) and a way to
// run it until it stops. src/debug/gdb.ts speaks the GDB remote protocol over a DebugTarget.
//
// Run control uses the core's debugger flags (V_DEBUG): with DEBUG_BREAK an EBREAK stops the
// run on itself (neither retired nor trapped), so software breakpoints are EBREAKs written into
// guest memory; a single step is run(1) on the bare machine and DEBUG_STEP in hvRun, where the
// other partitions keep their schedule and only the debugged one is held to one instruction.
// Hardware breakpoints and watchpoints are the hart's triggers (src/debug/triggers.ts), which
// stop the run the same way before the instruction they match.
// A partition stopped by the debugger stops the whole system (all-stop, like a JTAG halt).

import { DEBUG_BREAK, DEBUG_STEP } from "../../assembly/layout.js";
import { layoutWords } from "../vmm/guest-memory.js";
import { TriggerUnit } from "./triggers.js";
import type { Board } from "../vmm/board.js";
import type { Machine } from "../machine/machine.js";
import { STATUS_IDLE } from "../machine/machine.js";
import { Hypervisor, yieldToHost } from "../api/hypervisor.js";

export type ResumeMode = "continue" | "step" | "deliver";

/** Why a resumed hart stopped. */
export type Stop =
  | { kind: "break" } // on an EBREAK (the debugger's breakpoint, or one of the guest's own)
  | { kind: "trigger"; trigger: number; address: number } // one of the debugger's triggers fired
  | { kind: "step" } // one instruction retired or one trap taken
  | { kind: "interrupted" } // interrupt() (GDB's Ctrl-C) or the host stopped the run
  | { kind: "exited"; status: number; message: string }; // the guest's run is over

export interface DebugTarget {
  /** Registers and memory of the debugged hart. */
  readonly board: Board;
  /** Its trigger module (hardware breakpoints and watchpoints). */
  readonly triggers: TriggerUnit;
  /** Run until the hart stops. "step": one unit of work (an instruction or a trap); "deliver":
   *  the same, but an EBREAK traps into the guest (one the guest executes for itself). */
  resume(mode: ResumeMode): Promise<Stop>;
  /** Stop a resume() in progress soon (between chunks of guest time). */
  interrupt(): void;
  /** The guest's end, once it has ended. */
  exited(): Stop & { kind: "exited" } | null;
  /** End the guest's run (GDB's kill). */
  kill(): void;
  /** Give the hart back to plain running: no debugger flags. */
  release(): void;
}

/** Guest time between looks at the debugger's socket while running (about 5-10 ms). */
const CHUNK = 1 << 20;

/** Console input the run may wait for while the guest idles (the CLI's stdin). */
export interface DebugInput {
  open(): boolean;
  next(): Promise<void>;
}

abstract class BaseTarget implements DebugTarget {
  abstract readonly board: Board;
  abstract readonly triggers: TriggerUnit;
  protected interruptRequested = false;
  private wake: (() => void) | null = null;

  interrupt(): void {
    this.interruptRequested = true;
    this.wake?.();
  }

  release(): void {
    this.board.debugFlags = 0;
  }

  abstract resume(mode: ResumeMode): Promise<Stop>;
  abstract exited(): Stop & { kind: "exited" } | null;
  abstract kill(): void;

  /** The run stopped on a breakpoint: an EBREAK, or which of the debugger's triggers. */
  protected breakStop(): Stop {
    const hit = this.triggers.lastHit();
    return hit ? { kind: "trigger", ...hit } : { kind: "break" };
  }

  /** Wait for console input, or for interrupt(). */
  protected async waitForInput(input: DebugInput): Promise<void> {
    await Promise.race([input.next(), new Promise<void>((resolve) => { this.wake = resolve; })]);
    this.wake = null;
  }
}

/** The bare machine's hart (wasmvisor run-elf). */
export class MachineTarget extends BaseTarget {
  readonly board: Board;
  readonly triggers: TriggerUnit;
  constructor(private readonly machine: Machine, private readonly input?: DebugInput) {
    super();
    this.board = machine.board;
    this.triggers = new TriggerUnit(machine.core.exports, layoutWords(machine.core.memory), 0);
  }

  exited(): Stop & { kind: "exited" } | null {
    const h = this.machine.halted;
    return h ? { kind: "exited", status: h.status, message: h.message } : null;
  }

  kill(): void {
    this.machine.kill("killed by the debugger", 137);
  }

  async resume(mode: ResumeMode): Promise<Stop> {
    const step = mode !== "continue";
    this.interruptRequested = false;
    this.board.debugFlags = mode === "deliver" ? 0 : DEBUG_BREAK;
    while (true) {
      const ended = this.exited();
      if (ended) return ended;
      if (this.interruptRequested) return { kind: "interrupted" };
      const inputOpen = this.input?.open() ?? false;
      const done = this.machine.step(step ? 1 : CHUNK, inputOpen);
      if (this.machine.atBreakpoint) return this.breakStop();
      if (step && done > 0) return { kind: "step" };
      if (this.machine.halted) continue;
      // Idle until input comes (step() returned early because input may still come).
      if (inputOpen && this.machine.waiting) await this.waitForInput(this.input!);
      else await yieldToHost();
    }
  }
}

/** One partition of the partitioned system (wasmvisor run --gdb). */
export class PartitionTarget extends BaseTarget {
  readonly index: number;
  /** `hv` must have started (its boards exist after start()). */
  constructor(private readonly hv: Hypervisor, readonly partition: string, private readonly input?: DebugInput) {
    super();
    this.index = hv.partitionIndex(partition);
  }

  get board(): Board {
    return this.hv.board(this.partition); // (a restarted partition has a new board)
  }

  get triggers(): TriggerUnit {
    return this.hv.debugTriggers(this.partition);
  }

  exited(): Stop & { kind: "exited" } | null {
    const h = this.hv.halted[this.index];
    return h ? { kind: "exited", status: h.status, message: h.message } : null;
  }

  kill(): void {
    this.hv.kill(this.partition, "killed by the debugger");
  }

  async resume(mode: ResumeMode): Promise<Stop> {
    this.interruptRequested = false;
    await this.hv.start();
    this.board.debugFlags = (mode === "deliver" ? 0 : DEBUG_BREAK) | (mode !== "continue" ? DEBUG_STEP : 0);
    try {
      while (true) {
        const ended = this.exited();
        if (ended) return ended;
        if (this.interruptRequested) return { kind: "interrupted" };
        const r = this.hv.advance(CHUNK);
        if (r === "debug") {
          const stop = this.hv.debugStop!;
          if (stop.partition === this.index) return stop.kind === "break" ? this.breakStop() : { kind: stop.kind };
        } else if (r === "halted") {
          continue; // (ours is among them)
        } else if (r === "stopped") {
          return { kind: "interrupted" };
        } else if (r === "idle") {
          if (!this.input?.open()) {
            return { kind: "exited", status: STATUS_IDLE, message: "every partition waits for an interrupt (WFI) that nothing can raise" };
          }
          await this.waitForInput(this.input);
          continue;
        }
        await yieldToHost();
      }
    } finally {
      this.board.debugFlags &= ~DEBUG_STEP; // a step that did not happen is not kept for later
    }
  }
}
