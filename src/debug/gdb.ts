// A GDB remote serial protocol server for one hart (a DebugTarget): `gdb-multiarch` (or any
// RISC-V GDB) connects with `target remote :PORT` and can read and write registers and memory,
// set breakpoints, continue, single-step and interrupt with Ctrl-C. Transport-free: feed it the
// bytes GDB sends (receive) and it calls `send` with what to answer; src/node/gdb-server.ts puts
// it on a TCP socket.
//
// What it speaks (GDB manual, "Remote Protocol"): packets $data#checksum with +/- acks until
// QStartNoAckMode; ?, g/G, p/P, m/M/X, c/C/s/S and vCont (one thread: the hart), Z0/z0 software
// breakpoints (an EBREAK or C.EBREAK written over the instruction; the original is kept and
// put back on z0, detach, disconnect and exit), Z1-Z4/z1-z4 hardware breakpoints and write, read
// and access watchpoints (the hart's Sdtrig triggers, src/debug/triggers.ts: an error when too
// few are free; stops reported as hwbreak, watch, rwatch, awatch with the address), k, D, the
// one-thread queries (qC, qfThreadInfo, qAttached, H, T) and qXfer:features:read of a target
// description naming the RV32 registers.
// Memory is the hart's view at its current privilege level (src/vmm/board.ts debugTranslate):
// guest-virtual when it runs translated, RAM only (device windows read as errors). The guest's
// own EBREAKs are not the debugger's: they trap into the guest as if no debugger were there.

import type { DebugTarget, Stop } from "./target.js";
import type { HardwareKind } from "./triggers.js";

const ABI_NAMES = [
  "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
  "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
];
/** GDB's register numbers: x0..x31, then pc. */
const PC_REGNUM = 32;

/** The target description GDB asks for (qXfer:features:read:target.xml). */
export const TARGET_XML = `<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
<architecture>riscv:rv32</architecture>
<feature name="org.gnu.gdb.riscv.cpu">
${ABI_NAMES.map((n, i) => `<reg name="${n}" bitsize="32" type="${i === 1 || i === 2 || i === 8 ? "data_ptr" : "int"}" regnum="${i}"/>`).join("\n")}
<reg name="pc" bitsize="32" type="code_ptr" regnum="${PC_REGNUM}"/>
</feature>
</target>
`;

const EBREAK = Uint8Array.of(0x73, 0x00, 0x10, 0x00);
const C_EBREAK = Uint8Array.of(0x02, 0x90);
/** Largest packet we accept and answer (hex digits count double). */
const PACKET_SIZE = 0x4000;
/** Z1..Z4: hardware breakpoint, write, read and access watchpoint. */
const HARDWARE_KINDS = new Map<string, HardwareKind>([["1", "break"], ["2", "write"], ["3", "read"], ["4", "access"]]);
/** The stop reason GDB expects for each (hwbreak with qSupported's hwbreak+). */
const STOP_REASON: Record<HardwareKind, string> = { break: "hwbreak", write: "watch", read: "rwatch", access: "awatch" };
/** The answer to a Z packet that needs more triggers than are free (ENOSPC). */
const NO_TRIGGER = "E1c";

export type SessionEnd = "detach" | "kill" | "exited";

export interface GdbSessionOptions {
  /** Called with each answer to send to GDB (already framed: $...#xx, +, -). */
  send(data: string): void;
  /** The session is over: GDB detached, killed the guest, or saw it exit. */
  onEnd?(how: SessionEnd): void;
  /** Log of each packet received and answered (for --gdb-log style tracing). */
  log?(line: string): void;
}

function hex8(v: number): string {
  return (v & 0xff).toString(16).padStart(2, "0");
}

/** A 32-bit value in target (little-endian) byte order, as hex. */
function hexLE(v: number): string {
  return hex8(v) + hex8(v >>> 8) + hex8(v >>> 16) + hex8(v >>> 24);
}

function parseLE(text: string): number {
  let v = 0;
  for (let i = 0; i < 4; i++) v |= parseInt(text.slice(i * 2, i * 2 + 2) || "0", 16) << (i * 8);
  return v >>> 0;
}

function bytesToHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += hex8(b);
  return s;
}

function hexToBytes(text: string): Uint8Array | null {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function checksum(data: string): string {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum = (sum + data.charCodeAt(i)) & 0xff;
  return hex8(sum);
}

/** Escape the bytes the protocol reserves ($ # } *) in binary replies. */
function escapeBinary(text: string): string {
  return text.replace(/[$#}*]/g, (c) => `}${String.fromCharCode(c.charCodeAt(0) ^ 0x20)}`);
}

export class GdbSession {
  private input = "";
  private ack = true;
  private running = false;
  private ended = false;
  private lastPacket = "";
  /** Inserted software breakpoints by GDB's (virtual) address: where the EBREAK went in
   *  guest-physical memory, and the instruction bytes it covers. Kept by physical address, so
   *  a breakpoint is recognised and removed whatever the guest's mapping is by then (GDB may
   *  also set one at a physical address, to stop in code that later runs translated). */
  private readonly breakpoints = new Map<number, { pa: number; original: Uint8Array }>();
  /** Hardware breakpoints and watchpoints, by "type,addr,len": the triggers each holds. */
  private readonly hardware = new Map<string, { kind: HardwareKind; triggers: number[] }>();

  constructor(private readonly target: DebugTarget, private readonly o: GdbSessionOptions) {}

  /** True while the guest runs on GDB's behalf (between c/s and the stop reply). */
  get busy(): boolean {
    return this.running;
  }

  /** Bytes from GDB (latin1 text: the protocol is 8-bit clean). */
  receive(chunk: string): void {
    this.input += chunk;
    while (this.input.length > 0 && !this.ended) {
      const c = this.input[0];
      if (c === "+") {
        this.input = this.input.slice(1);
      } else if (c === "-") {
        this.input = this.input.slice(1);
        if (this.lastPacket) this.o.send(this.lastPacket); // GDB asks for a resend
      } else if (c === "\x03") {
        this.input = this.input.slice(1);
        if (this.running) this.target.interrupt();
      } else if (c === "$") {
        const end = this.input.indexOf("#");
        if (end < 0 || this.input.length < end + 3) return; // incomplete: wait for the rest
        const body = this.input.slice(1, end);
        const sum = this.input.slice(end + 1, end + 3);
        this.input = this.input.slice(end + 3);
        if (this.ack) {
          if (sum.toLowerCase() !== checksum(body)) {
            this.o.send("-");
            continue;
          }
          this.o.send("+");
        }
        this.dispatch(unescape(body));
      } else {
        this.input = this.input.slice(1); // noise between packets
      }
    }
  }

  /** GDB went away without detaching: take the breakpoints out and let the guest run free. */
  disconnected(): void {
    if (this.ended) return;
    if (this.running) this.target.interrupt();
    this.end("detach");
  }

  private reply(data: string): void {
    const packet = `$${data}#${checksum(data)}`;
    this.lastPacket = this.ack ? packet : "";
    this.o.log?.(`<- ${data.length > 200 ? `${data.slice(0, 200)}...` : data}`);
    this.o.send(packet);
  }

  private end(how: SessionEnd): void {
    if (this.ended) return;
    this.removeAllBreakpoints();
    this.target.release();
    this.ended = true;
    this.o.onEnd?.(how);
  }

  private removeAllBreakpoints(): void {
    for (const { pa, original } of this.breakpoints.values()) this.target.board.debugWrite(pa, original, true);
    this.breakpoints.clear();
    for (const { triggers } of this.hardware.values()) this.target.triggers.remove(triggers);
    this.hardware.clear();
  }

  /** True when the hart stands on one of the debugger's EBREAKs. */
  private atBreakpoint(): boolean {
    const pa = this.target.board.debugTranslate(this.target.board.pc);
    for (const b of this.breakpoints.values()) if (b.pa === pa) return true;
    return false;
  }

  private dispatch(packet: string): void {
    this.o.log?.(`-> ${packet.length > 200 ? `${packet.slice(0, 200)}...` : packet}`);
    if (this.running) return; // only Ctrl-C is meaningful while the guest runs
    let answer: string | null;
    try {
      answer = this.handle(packet);
    } catch (err) {
      // A malformed packet must not take the host down: GDB gets an error reply.
      this.o.log?.(`error: ${err instanceof Error ? err.message : String(err)}`);
      answer = "E01";
    }
    if (answer !== null) this.reply(answer);
  }

  /** The answer to one packet, or null when the answer comes later (or never: k). */
  private handle(packet: string): string | null {
    const board = this.target.board;
    const cmd = packet[0];
    switch (cmd) {
      case "?": {
        const ended = this.target.exited();
        return ended ? `W${hex8(ended.status)}` : "S05";
      }
      case "g": {
        const { x } = board.registers();
        return x.map(hexLE).join("") + hexLE(board.pc);
      }
      case "G": {
        const data = packet.slice(1);
        if (data.length < 33 * 8) return "E01";
        for (let r = 1; r < 32; r++) board.setRegister(r, parseLE(data.slice(r * 8, r * 8 + 8)));
        board.pc = parseLE(data.slice(32 * 8, 33 * 8));
        return "OK";
      }
      case "p": {
        const r = parseInt(packet.slice(1), 16);
        if (r === PC_REGNUM) return hexLE(board.pc);
        if (r >= 0 && r < 32) return hexLE(board.register(r));
        return "E45"; // not a register of this target (GDB then shows it as unavailable)
      }
      case "P": {
        const [reg, value] = packet.slice(1).split("=");
        const r = parseInt(reg, 16);
        const v = parseLE(value ?? "");
        if (r === PC_REGNUM) board.pc = v;
        else if (r > 0 && r < 32) board.setRegister(r, v);
        else if (r !== 0) return "E45";
        return "OK";
      }
      case "m": {
        const [addr, len] = packet.slice(1).split(",").map((t) => parseInt(t, 16));
        if (!Number.isFinite(addr) || !Number.isFinite(len) || len < 0) return "E01";
        const bytes = board.debugRead(addr, Math.min(len, PACKET_SIZE / 2));
        return bytes ? bytesToHex(bytes) : "E14";
      }
      case "M":
      case "X": {
        const colon = packet.indexOf(":");
        const [addr, len] = packet.slice(1, colon).split(",").map((t) => parseInt(t, 16));
        const payload = packet.slice(colon + 1);
        const data = cmd === "M" ? hexToBytes(payload) : Uint8Array.from(payload, (ch) => ch.charCodeAt(0));
        if (colon < 0 || !data || data.length !== len || !Number.isFinite(addr)) return "E01";
        if (len === 0) return "OK"; // (GDB probes X support with an empty write)
        return board.debugWrite(addr, data) ? "OK" : "E14";
      }
      case "Z":
      case "z": {
        const [type, addrText, kindText] = packet.slice(1).split(",");
        const hardware = HARDWARE_KINDS.get(type);
        if (type !== "0" && !hardware) return ""; // not supported
        if (!/^[0-9a-fA-F]{1,8}$/.test(addrText ?? "") || !/^[0-9a-fA-F]{1,8}$/.test(kindText ?? "")) return "E01";
        const addr = parseInt(addrText, 16) >>> 0;
        const kind = parseInt(kindText, 16);
        if (hardware) return this.hardwarePoint(cmd === "Z", hardware, addr, kind);
        if (cmd === "Z") return this.insertBreakpoint(addr, kind);
        const b = this.breakpoints.get(addr);
        if (b) {
          board.debugWrite(b.pa, b.original, true);
          this.breakpoints.delete(addr);
        }
        return "OK";
      }
      case "c":
      case "C":
      case "s":
      case "S":
        this.resume(cmd === "s" || cmd === "S");
        return null;
      case "v":
        return this.handleV(packet);
      case "k":
        return this.kill(false);
      case "D":
        this.end("detach");
        return "OK";
      case "H":
      case "T":
        return "OK"; // one thread
      case "q":
      case "Q":
        return this.handleQuery(packet);
      default:
        return ""; // not supported
    }
  }

  private handleV(packet: string): string | null {
    if (packet === "vCont?") return "vCont;c;C;s;S";
    if (packet.startsWith("vCont;")) {
      // One thread: the first action decides (s / S: step, c / C: continue).
      const action = packet.slice(6).split(";")[0];
      this.resume(action[0] === "s" || action[0] === "S");
      return null;
    }
    if (packet.startsWith("vKill")) return this.kill(true);
    return "";
  }

  private handleQuery(packet: string): string | null {
    if (packet.startsWith("qSupported")) {
      return `PacketSize=${PACKET_SIZE.toString(16)};qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+`;
    }
    if (packet === "QStartNoAckMode") {
      this.reply("OK");
      this.ack = false;
      return null; // (answered above, still in ack mode)
    }
    if (packet.startsWith("qXfer:features:read:target.xml:")) {
      const [off, len] = packet.slice("qXfer:features:read:target.xml:".length).split(",").map((t) => parseInt(t, 16));
      const part = TARGET_XML.slice(off, off + len);
      return (off + len >= TARGET_XML.length ? "l" : "m") + escapeBinary(part);
    }
    if (packet.startsWith("qXfer:")) return "E00";
    if (packet === "qAttached") return "1";
    if (packet === "qC") return "QC1";
    if (packet === "qfThreadInfo") return "m1";
    if (packet === "qsThreadInfo") return "l";
    if (packet.startsWith("qThreadExtraInfo")) return bytesToHex(new TextEncoder().encode("hart"));
    return "";
  }

  /** End the guest's run and the session; vKill is answered (before the socket closes), k not. */
  private kill(answer: boolean): null {
    this.target.kill();
    if (answer) this.reply("OK");
    this.end("kill");
    return null;
  }

  private insertBreakpoint(addr: number, kind: number): string {
    if (this.breakpoints.has(addr)) return "OK";
    const board = this.target.board;
    const insn = kind === 2 ? C_EBREAK : EBREAK;
    const pa = board.debugTranslate(addr);
    // (An instruction across a page boundary must be physically contiguous too: it is restored
    // by its physical address.)
    if (pa < 0 || board.debugTranslate(addr + insn.length - 1) !== pa + insn.length - 1) return "E14";
    const original = board.debugRead(pa, insn.length, true);
    if (!original || !board.debugWrite(pa, insn, true)) return "E14";
    this.breakpoints.set(addr, { pa, original });
    return "OK";
  }

  /** Z1-Z4 / z1-z4: set (or remove) a hardware breakpoint or watchpoint of `len` bytes. */
  private hardwarePoint(insert: boolean, kind: HardwareKind, addr: number, len: number): string {
    const key = `${kind},${addr},${kind === "break" ? 0 : len}`;
    const held = this.hardware.get(key);
    if (!insert) {
      if (held) {
        this.target.triggers.remove(held.triggers);
        this.hardware.delete(key);
      }
      return "OK";
    }
    if (held) return "OK";
    const triggers = this.target.triggers.insert(kind, addr, len);
    if (!triggers) return NO_TRIGGER;
    this.hardware.set(key, { kind, triggers });
    return "OK";
  }

  /** The stop reply for one of our triggers: hwbreak, or the watchpoint's kind and address. */
  private triggerStop(stop: Stop & { kind: "trigger" }): string {
    for (const { kind, triggers } of this.hardware.values()) {
      if (triggers[triggers.length - 1] !== stop.trigger) continue;
      return kind === "break" ? "T05thread:1;hwbreak:;" : `T05thread:1;${STOP_REASON[kind]}:${stop.address.toString(16)};`;
    }
    return "T05thread:1;"; // (a trigger GDB did not set here)
  }

  private resume(step: boolean): void {
    this.running = true;
    void this.runUntilStop(step).then((answer) => {
      this.running = false;
      if (this.ended) return;
      this.reply(answer);
      if (answer.startsWith("W")) this.end("exited");
    }, (err: unknown) => {
      this.running = false;
      this.reply(`E${hex8(1)}`);
      this.o.log?.(`error while running: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  /** Run until a stop GDB must hear about; the guest's own EBREAKs go to the guest. */
  private async runUntilStop(step: boolean): Promise<string> {
    let mode: "step" | "continue" | "deliver" = step ? "step" : "continue";
    while (true) {
      const stop: Stop = await this.target.resume(mode);
      if (stop.kind === "exited") return `W${hex8(stop.status)}`;
      if (stop.kind === "interrupted") return "T02thread:1;";
      if (stop.kind === "trigger") return this.triggerStop(stop);
      if (mode === "deliver") {
        // The guest's EBREAK was delivered (the trap is one unit of work): a step is done.
        if (step) return "T05thread:1;";
        mode = "continue";
        continue;
      }
      if (stop.kind === "step") return "T05thread:1;";
      if (this.breakpoints.has(this.target.board.pc)) return "T05thread:1;swbreak:;";
      if (this.atBreakpoint()) return "T05thread:1;"; // ours, reached at another address
      // An EBREAK of the guest's own: deliver it (the trap is one unit of work), then go on.
      mode = "deliver";
    }
  }
}

/** Undo the protocol's escapes in a received packet body (} x → x ^ 0x20). */
function unescape(body: string): string {
  if (!body.includes("}")) return body;
  let out = "";
  for (let i = 0; i < body.length; i++) {
    if (body[i] === "}" && i + 1 < body.length) out += String.fromCharCode(body.charCodeAt(++i) ^ 0x20);
    else out += body[i];
  }
  return out;
}
