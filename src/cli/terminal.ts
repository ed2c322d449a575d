// The interactive terminal of `wasmvisor run` and `run-elf` (and `npm start`), QEMU's
// `-nographic` habit: the terminal is in raw mode and every key goes to the guest — Ctrl-C too,
// as byte 0x03, so it interrupts the guest's command instead of ending wasmvisor — except
// Ctrl-A, the escape prefix, which controls wasmvisor:
//
//   Ctrl-A x        quit (a clean exit, the path SIGTERM takes: disks closed, RapiLog's buffer
//                   persisted, --stats printed)
//   Ctrl-A h        help (these lines)
//   Ctrl-A c        the monitor, and back to the console (info status, info partitions, quit)
//   Ctrl-A s        a snapshot of the whole system to a file (wasmvisor run; run-elf has none)
//   Ctrl-A Ctrl-A   a literal Ctrl-A for the guest
//
// Any other key after Ctrl-A is dropped, as QEMU does. SIGINT, SIGTERM and SIGHUP from outside
// still end the run as before; a stdin that is not a terminal (a pipe, a file) is untouched.
//
// TerminalKeys is the state machine alone (bytes in, bytes for the guest out, actions through
// its host), so it is tested without a terminal; src/node/console.ts feeds it from stdin.

import { closest } from "./args.js";

export const CTRL_A = 0x01;
const CTRL_C = 0x03;

/** What the terminal keys act on: the run (quit) and the monitor's view of it. */
export interface TerminalHost {
  /** Text for the user (wasmvisor's own messages: stderr, the same terminal). The host starts it
   *  on a line of its own when the guest's output stopped in the middle of one. */
  say(text: string): void;
  /** End the run cleanly (Ctrl-A x, the monitor's quit). */
  quit(): void;
  /** The monitor's `info status`: one line or a few, each ending in "\n". */
  status(): string;
  /** The monitor's `info partitions` (the machine, for run-elf). */
  partitions(): string;
  /** Ctrl-A s: save a snapshot (the host says where, through say()); absent where there are
   *  none (run-elf's bare machine). */
  snapshot?(): void;
}

/** The keys, for the start banner and Ctrl-A h. */
export const TERMINAL_HELP =
  "Ctrl-C goes to the guest. Ctrl-A is wasmvisor's prefix:\n" +
  "  Ctrl-A x   quit (disks closed, --stats printed)\n" +
  "  Ctrl-A h   this help\n" +
  "  Ctrl-A c   the monitor (info status, info partitions, quit); Ctrl-A c again to leave it\n" +
  "  Ctrl-A s   save a snapshot of the system (wasmvisor restore FILE goes on from it)\n" +
  "  Ctrl-A Ctrl-A  send Ctrl-A to the guest\n";

/** One line on stderr when a run starts on a terminal (after `npm start`'s banner). */
export const TERMINAL_HINT = "wasmvisor: Ctrl-C goes to the guest; Ctrl-A x quits, Ctrl-A h lists the other keys (Ctrl-A c: the monitor)\n";

const MONITOR_PROMPT = "(wasmvisor) ";
const MONITOR_HELP =
  "info status       the run: instructions, virtual and real time\n" +
  "info partitions   each partition: mode, instructions, state\n" +
  "quit              end the run (as Ctrl-A x)\n" +
  "help              this text; Ctrl-A c goes back to the console\n";
const MONITOR_COMMANDS = ["info status", "info partitions", "quit", "help"];
/** A monitor line longer than this is cut (nothing the monitor takes is longer). */
const MONITOR_LINE_MAX = 256;

export class TerminalKeys {
  private escape = false;
  private inMonitor = false;
  private line = "";
  private ended = false;

  constructor(private readonly host: TerminalHost) {}

  /** True while the monitor has the keyboard. */
  get monitor(): boolean {
    return this.inMonitor;
  }

  /** Keys typed: returns the bytes meant for the guest (the rest acted upon). */
  feed(bytes: Uint8Array): Uint8Array {
    const out: number[] = [];
    for (const b of bytes) {
      if (this.ended) break; // after quit nothing more is taken
      if (this.escape) {
        this.escape = false;
        this.command(b, out);
      } else if (b === CTRL_A) {
        this.escape = true;
      } else if (this.inMonitor) {
        this.monitorKey(b);
      } else {
        out.push(b);
      }
    }
    return out.length === bytes.length ? bytes : new Uint8Array(out);
  }

  /** The key after Ctrl-A. */
  private command(b: number, out: number[]): void {
    switch (b) {
      case CTRL_A:
        if (this.inMonitor) this.monitorKey(b);
        else out.push(CTRL_A);
        break;
      case 0x78: // x
        this.quit();
        break;
      case 0x68: // h
        this.notice(TERMINAL_HELP);
        if (this.inMonitor) this.host.say(MONITOR_PROMPT + this.line);
        break;
      case 0x63: // c
        this.notice(this.inMonitor ? "wasmvisor: back to the console\n" : `wasmvisor monitor (help lists the commands; Ctrl-A c goes back to the console)\n${MONITOR_PROMPT}`);
        this.inMonitor = !this.inMonitor;
        this.line = "";
        break;
      case 0x73: // s
        if (this.host.snapshot) this.host.snapshot();
        else this.notice("wasmvisor: snapshots are for partitioned systems (wasmvisor run); run-elf has none\n");
        if (this.inMonitor) this.host.say(MONITOR_PROMPT + this.line);
        break;
      default:
        break; // (QEMU drops an unknown key after the prefix too)
    }
  }

  private quit(): void {
    if (this.inMonitor) this.notice("");
    this.ended = true;
    this.host.quit();
  }

  /** A message of the keys' own: on a new line when the monitor's prompt line is open. */
  private notice(text: string): void {
    this.host.say(this.inMonitor ? `\n${text}` : text);
  }

  /** A key typed to the monitor: a line editor with echo (the terminal is raw). */
  private monitorKey(b: number): void {
    if (b === 0x0d || b === 0x0a) {
      this.host.say("\n");
      const line = this.line.trim().replace(/\s+/g, " ");
      this.line = "";
      this.run(line);
      if (!this.ended) this.host.say(MONITOR_PROMPT);
    } else if (b === 0x7f || b === 0x08) {
      if (this.line.length > 0) {
        this.line = this.line.slice(0, -1);
        this.host.say("\b \b");
      }
    } else if (b === CTRL_C) {
      this.line = "";
      this.host.say(`^C\n${MONITOR_PROMPT}`);
    } else if (b >= 0x20 && b < 0x7f && this.line.length < MONITOR_LINE_MAX) {
      this.line += String.fromCharCode(b);
      this.host.say(String.fromCharCode(b));
    }
  }

  private run(line: string): void {
    switch (line) {
      case "":
        return;
      case "help":
      case "?":
        this.host.say(MONITOR_HELP);
        return;
      case "info status":
        this.host.say(this.host.status());
        return;
      case "info partitions":
        this.host.say(this.host.partitions());
        return;
      case "quit":
      case "q":
        this.ended = true;
        this.host.quit();
        return;
      default: {
        const guess = closest(line, MONITOR_COMMANDS);
        this.host.say(`unknown command "${line}"${guess ? `; did you mean ${guess}?` : " (help lists the commands)"}\n`);
      }
    }
  }
}
