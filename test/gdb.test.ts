// The GDB stub (src/debug/gdb.ts, target.ts, src/node/gdb-server.ts): the protocol driven
// packet by packet on both cores, on the bare machine and on a partition of the hypervisor; and
// Debian's gdb-multiarch against `wasmvisor run-elf --gdb`. A debugger must not change what the
// guest does: runs under it end with the same output and the same instruction count.
import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GdbSession, TARGET_XML } from "../src/debug/gdb.ts";
import { MachineTarget, PartitionTarget, type DebugTarget } from "../src/debug/target.ts";
import { Hypervisor } from "../src/api/hypervisor.ts";
import { CORES, ROOT, guestElf, guestPath, makeMachine, runGuest } from "./support/harness.ts";
import { loadWasmModule } from "../src/node/core-file.ts";
import { cli } from "./support/cli.ts";
import type { CoreKind } from "../src/core/core.ts";

/** Address of `symbol` in a guest ELF (from its symbol table, with binutils' nm). */
function symbol(name: string, sym: string): number {
  const out = spawnSync("riscv64-unknown-elf-nm", [guestPath(name)], { encoding: "utf8" }).stdout;
  const line = out.split("\n").find((l) => l.endsWith(` ${sym}`));
  if (!line) throw new Error(`${sym} not in ${name}`);
  return parseInt(line.split(" ")[0], 16);
}

function frame(data: string): string {
  let sum = 0;
  for (const ch of data) sum = (sum + ch.charCodeAt(0)) & 0xff;
  return `$${data}#${sum.toString(16).padStart(2, "0")}`;
}

/** A GDB stand-in: sends packets, waits for each answer (acks off after the handshake). */
class Client {
  private buffer = "";
  private waiting: ((packet: string) => void) | null = null;
  readonly session: GdbSession;
  ended: string | null = null;
  constructor(target: DebugTarget) {
    this.session = new GdbSession(target, {
      send: (d) => { this.buffer += d; this.pump(); },
      onEnd: (how) => { this.ended = how; },
    });
  }
  private pump(): void {
    this.buffer = this.buffer.replace(/^[+-]+/, "");
    const m = /^\$([^#]*)#([0-9a-f]{2})/.exec(this.buffer);
    if (m && this.waiting) {
      this.buffer = this.buffer.slice(m[0].length);
      const w = this.waiting;
      this.waiting = null;
      w(m[1]);
    }
  }
  /** Send raw bytes (a framed packet, or Ctrl-C). */
  raw(bytes: string): void {
    this.session.receive(bytes);
  }
  async ask(packet: string): Promise<string> {
    const answer = new Promise<string>((resolve) => { this.waiting = resolve; });
    this.session.receive(frame(packet));
    this.pump();
    return answer;
  }
}

const le = (v: number) => [0, 8, 16, 24].map((s) => ((v >>> s) & 0xff).toString(16).padStart(2, "0")).join("");
const hex = (v: number) => (v >>> 0).toString(16);
/** A debugger's trigger as it would write one (mcontrol6: dmode, "enter Debug Mode", M/S/U). */
const DEBUG_LOAD_TRIGGER = (6 << 28) | (1 << 27) | (1 << 12) | (1 << 6) | (1 << 4) | (1 << 3) | 1;

describe("the GDB stub", () => {
  for (const core of CORES) {
    it(`debugs the bare machine: registers, memory, breakpoints, steps, exit — and the guest runs as it would alone (${core})`, async () => {
      const alone = await runGuest(core, guestElf("hello"));
      let out = "";
      const m = await makeMachine(core, { onOutput: (b) => { out += Buffer.from(b).toString("latin1"); } });
      m.loadElf(guestElf("hello"));
      const c = new Client(new MachineTarget(m));

      expect(await c.ask("qSupported:multiprocess+;swbreak+")).toContain("qXfer:features:read+");
      expect(await c.ask("QStartNoAckMode")).toBe("OK");
      // The target description, fetched in two pieces.
      const half = Math.ceil(TARGET_XML.length / 2);
      const a = await c.ask(`qXfer:features:read:target.xml:0,${half.toString(16)}`);
      const b = await c.ask(`qXfer:features:read:target.xml:${half.toString(16)},${half.toString(16)}`);
      expect([a[0], b[0]]).toEqual(["m", "l"]);
      expect(a.slice(1) + b.slice(1)).toBe(TARGET_XML);
      expect(await c.ask("?")).toBe("S05");

      // Registers at reset: x0..x31 then pc, little-endian.
      const regs = await c.ask("g");
      expect(regs).toHaveLength(33 * 8);
      expect(regs.slice(32 * 8)).toBe(le(0x8000_0000));
      expect(await c.ask("p20")).toBe(le(0x8000_0000));
      expect(await c.ask("p41")).toMatch(/^E/); // no such register
      // Memory is the ELF's first instruction; unmapped memory is an error, not a crash.
      expect(await c.ask("m80000000,4")).toBe(Buffer.from(m.readRam(0x8000_0000, 4)).toString("hex"));
      expect(await c.ask("m00000000,4")).toBe("E14");
      expect(await c.ask("m10000000,4")).toBe("E14"); // the UART: devices are never read

      // A breakpoint at main; continue stops on it, with pc there.
      const main = symbol("hello", "main");
      const original = await c.ask(`m${main.toString(16)},2`);
      expect(await c.ask(`Z0,${main.toString(16)},2`)).toBe("OK");
      expect(await c.ask(`m${main.toString(16)},2`)).toBe("0290"); // C.EBREAK
      expect(await c.ask("vCont;c")).toBe("T05thread:1;swbreak:;");
      expect(await c.ask("p20")).toBe(le(main));
      expect(m.retired).toBeGreaterThan(0);
      // Take it out, step over main's first instruction, put it back.
      expect(await c.ask(`z0,${main.toString(16)},2`)).toBe("OK");
      expect(await c.ask(`m${main.toString(16)},2`)).toBe(original);
      const retired = m.retired;
      expect(await c.ask("vCont;s:1")).toBe("T05thread:1;");
      expect(m.retired).toBe(retired + 1);
      expect(parseInt(await c.ask("p20"), 16)).not.toBe(parseInt(le(main), 16));
      // Write a register and memory, read them back, undo.
      const sp = await c.ask("p2");
      expect(await c.ask(`P2=${le(0x12345678)}`)).toBe("OK");
      expect(await c.ask("p2")).toBe(le(0x12345678));
      expect(await c.ask(`P2=${sp}`)).toBe("OK");
      const scratch = 0x8008_0000;
      const before = await c.ask(`m${scratch.toString(16)},4`);
      expect(await c.ask(`M${scratch.toString(16)},4:deadbeef`)).toBe("OK");
      expect(await c.ask(`m${scratch.toString(16)},4`)).toBe("deadbeef");
      expect(await c.ask(`M${scratch.toString(16)},4:${before}`)).toBe("OK");
      expect(await c.ask("Mzz,4:deadbeef")).toBe("E01"); // malformed: an error, not a crash
      // Run to the end.
      expect(await c.ask("c")).toBe("W00");
      expect(c.ended).toBe("exited");
      expect(out).toBe(alone.output);
      expect(m.retired).toBe(alone.retired);
    });

    it(`hardware breakpoints on the bare machine: a trigger, not an EBREAK; four at most — and the guest runs as it would alone (${core})`, async () => {
      const alone = await runGuest(core, guestElf("hello"));
      let out = "";
      const m = await makeMachine(core, { onOutput: (b) => { out += Buffer.from(b).toString("latin1"); } });
      m.loadElf(guestElf("hello"));
      const c = new Client(new MachineTarget(m));
      expect(await c.ask("qSupported:multiprocess+;swbreak+;hwbreak+")).toContain(";hwbreak+;");
      const main = symbol("hello", "main");
      const original = await c.ask(`m${hex(main)},4`);
      expect(await c.ask(`Z1,${hex(main)},2`)).toBe("OK");
      expect(await c.ask(`Z1,${hex(main)},2`)).toBe("OK"); // (set already)
      expect(await c.ask(`m${hex(main)},4`)).toBe(original); // nothing written into memory
      expect(await c.ask("vCont;c")).toBe("T05thread:1;hwbreak:;");
      expect(await c.ask("p20")).toBe(le(main));
      const atMain = m.retired;
      expect(atMain).toBeGreaterThan(0);
      // Still set: a step stops on it again before main's first instruction runs.
      expect(await c.ask("vCont;s:1")).toBe("T05thread:1;hwbreak:;");
      expect(m.retired).toBe(atMain);
      expect(await c.ask(`z1,${hex(main)},2`)).toBe("OK");
      expect(await c.ask("vCont;s:1")).toBe("T05thread:1;");
      expect(m.retired).toBe(atMain + 1);
      // Four triggers, and one the guest uses (dmode 0, here a load trigger of M-mode's on
      // address 0) is never taken: a fourth breakpoint finds none free until the guest lets it go.
      const away = 0x8008_0000;
      const guestTrigger = (6 << 28) | (1 << 6) | 1;
      m.core.exports.vcpuTriggerWrite(0, 2, 1, guestTrigger);
      for (let i = 0; i < 3; i++) expect(await c.ask(`Z1,${hex(away + 4 * i)},4`)).toBe("OK");
      expect(await c.ask(`Z1,${hex(away + 12)},4`)).toBe("E1c");
      expect(m.core.exports.vcpuTriggerRead(0, 2, 1)).toBe(guestTrigger);
      m.core.exports.vcpuTriggerWrite(0, 2, 1, 0);
      expect(await c.ask(`Z1,${hex(away + 12)},4`)).toBe("OK");
      expect(await c.ask(`Z1,${hex(away + 16)},4`)).toBe("E1c");
      expect(await c.ask(`Z2,${hex(away + 32)},4`)).toBe("E1c");
      // Three of them back: a 6-byte watchpoint needs two (>= and <, chained), a 4-byte one one.
      for (let i = 0; i < 3; i++) expect(await c.ask(`z1,${hex(away + 4 * i)},4`)).toBe("OK");
      expect(await c.ask(`Z2,${hex(away + 32)},6`)).toBe("OK");
      expect(await c.ask(`Z3,${hex(away + 64)},4`)).toBe("OK");
      expect(await c.ask(`Z4,${hex(away + 96)},4`)).toBe("E1c");
      expect(await c.ask(`z2,${hex(away + 32)},6`)).toBe("OK");
      expect(await c.ask(`Z4,${hex(away + 96)},3`)).toBe("OK");
      expect(await c.ask("Z1,zz,4")).toBe("E01");
      expect(await c.ask("c")).toBe("W00"); // (detaching at the exit gives them all back)
      expect(out).toBe(alone.output);
      expect(m.retired).toBe(alone.retired);
      for (let t = 0; t < 4; t++) expect(m.core.exports.vcpuTriggerRead(0, t, 1) >>> 0).toBe(0xf0000000);
    });

    it(`watchpoints stop before the access, with its address; the guest cannot touch the debugger's triggers (${core})`, async () => {
      let out = "";
      const m = await makeMachine(core, { onOutput: (b) => { out += Buffer.from(b).toString("latin1"); } });
      m.loadElf(guestElf("trigger-dmode"));
      const target = new MachineTarget(m);
      const c = new Client(target);
      const probe = symbol("trigger-dmode", "dmode_probe");
      const data = symbol("trigger-dmode", "dmode_data");
      expect(await c.ask(`Z1,${hex(probe)},4`)).toBe("OK"); // trigger 0
      expect(await c.ask(`Z3,${hex(data)},4`)).toBe("OK"); // trigger 1 (NAPOT)
      // Trigger 3 as a debugger sets one directly (a load of address 0: never happens), so the
      // guest's trigger 2 is followed by a debugger's (it cannot chain into it).
      target.triggers.write(3, 1, 0);
      target.triggers.write(3, 2, 0);
      target.triggers.write(3, 1, DEBUG_LOAD_TRIGGER);
      expect(target.triggers.read(3, 1)).toBe(DEBUG_LOAD_TRIGGER >>> 0);
      expect(await c.ask("c")).toBe("T05thread:1;hwbreak:;");
      expect(out).toBe("debugger triggers: 3\n"); // it found them, and changed none
      expect(await c.ask("p20")).toBe(le(probe));
      expect(await c.ask(`z1,${hex(probe)},4`)).toBe("OK");
      // The load (probe + 8) stops before it runs: a0 is not loaded yet.
      expect(await c.ask("c")).toBe(`T05thread:1;rwatch:${hex(data)};`);
      expect(await c.ask("p20")).toBe(le(probe + 8));
      const retired = m.retired;
      expect(await c.ask(`z3,${hex(data)},4`)).toBe("OK");
      // An access watchpoint on its last 3 bytes (two chained triggers): the same load, at data+1.
      expect(await c.ask(`Z4,${hex(data + 1)},3`)).toBe("OK");
      expect(await c.ask("c")).toBe(`T05thread:1;awatch:${hex(data + 1)};`);
      expect(m.retired).toBe(retired);
      expect(await c.ask(`z4,${hex(data + 1)},3`)).toBe("OK");
      // A write watchpoint: past the load, to the store (probe + 14).
      expect(await c.ask(`Z2,${hex(data)},4`)).toBe("OK");
      expect(await c.ask("c")).toBe(`T05thread:1;watch:${hex(data)};`);
      expect(await c.ask("p20")).toBe(le(probe + 14));
      expect(m.retired).toBe(retired + 2);
      expect(await c.ask(`m${hex(data)},4`)).toBe(le(41)); // not stored yet
      expect(await c.ask(`z2,${hex(data)},4`)).toBe("OK");
      expect(await c.ask("c")).toBe("W00");
      expect(out).toBe("debugger triggers: 3\ntrigger-dmode: PASS\n");
      expect(target.triggers.read(3, 1)).toBe(DEBUG_LOAD_TRIGGER >>> 0); // (not the session's)
    });

    it(`passes the guest's own EBREAKs to the guest (${core})`, async () => {
      // The traps test executes EBREAK and C.EBREAK and checks it gets breakpoint exceptions.
      const alone = await runGuest(core, guestElf("traps"));
      let out = "";
      const m = await makeMachine(core, { onOutput: (b) => { out += Buffer.from(b).toString("latin1"); } });
      m.loadElf(guestElf("traps"));
      const c = new Client(new MachineTarget(m));
      expect(await c.ask(`Z0,${symbol("traps", "test_main").toString(16)},4`)).toBe("OK");
      expect(await c.ask("c")).toMatch(/^T05/);
      expect(await c.ask(`z0,${symbol("traps", "test_main").toString(16)},4`)).toBe("OK");
      expect(await c.ask("c")).toBe("W00");
      expect(out).toBe("traps: PASS\n");
      expect(m.retired).toBe(alone.retired);
    });

    it(`debugs one partition while the system runs: all-stop, steps, Ctrl-C, detach (${core})`, async () => {
      const description = {
        partitions: [
          { name: "hello", image: "hello", ram: "1M", priority: 1 },
          { name: "timer", image: "timer", ram: "1M", priority: 2 },
        ],
      };
      const run = async (debug: boolean) => {
        const hv = new Hypervisor(description, { core, wasmModule: await loadWasmModule(), loadImage: (i) => guestElf(i) });
        const out: Record<string, string> = { hello: "", timer: "" };
        hv.on("output", (e) => { out[e.partition] += Buffer.from(e.data).toString("latin1"); });
        await hv.start();
        if (debug) {
          const c = new Client(new PartitionTarget(hv, "timer"));
          const isr = symbol("timer", "timer_isr");
          expect(await c.ask(`Z0,${isr.toString(16)},2`)).toBe("OK");
          for (let i = 0; i < 3; i++) {
            expect(await c.ask("c")).toBe("T05thread:1;swbreak:;");
            expect(await c.ask("p20")).toBe(le(isr));
          }
          expect(await c.ask(`z0,${isr.toString(16)},2`)).toBe("OK");
          const retired = hv.stats().partitions[1].instructions;
          for (let i = 0; i < 5; i++) expect(await c.ask("s")).toBe("T05thread:1;");
          expect(hv.stats().partitions[1].instructions).toBe(retired + 5);
          // Ctrl-C while it runs: the stop comes back as SIGINT.
          const stopped = c.ask("c");
          c.raw("\x03");
          expect(await stopped).toBe("T02thread:1;");
          expect(await c.ask("D")).toBe("OK");
          expect(c.ended).toBe("detach");
        }
        const result = await hv.run();
        return { out, result, stats: hv.stats() };
      };
      const plain = await run(false);
      const debugged = await run(true);
      expect(debugged.out).toEqual(plain.out);
      expect(debugged.result).toEqual(plain.result);
      expect(debugged.stats.partitions.map((p) => p.instructions)).toEqual(plain.stats.partitions.map((p) => p.instructions));
      expect(plain.out.timer).toContain("20 timer interrupts");
    });

    it(`a hardware breakpoint in a supervisor-mode partition, with shadow and nested paging (${core})`, async () => {
      // Its guest cannot reach the trigger CSRs (they are M-mode's); the debugger's triggers
      // work all the same.
      for (const paging of ["shadow", "nested"] as const) {
        const hv = new Hypervisor({ partitions: [{ name: "s", image: "sv32s", mode: "supervisor", ram: "1M" }] }, {
          core, paging, wasmModule: await loadWasmModule(), loadImage: (i) => guestElf(i),
        });
        let out = "";
        hv.on("output", (e) => { out += Buffer.from(e.data).toString("latin1"); });
        await hv.start();
        const c = new Client(new PartitionTarget(hv, "s"));
        const printStr = symbol("sv32s", "print_str");
        expect(await c.ask(`Z1,${hex(printStr)},2`)).toBe("OK");
        expect(await c.ask("c")).toBe("T05thread:1;hwbreak:;");
        expect(await c.ask("p20")).toBe(le(printStr));
        expect(hv.board("s").registers().priv).toBe(1);
        expect(await c.ask(`z1,${hex(printStr)},2`)).toBe("OK");
        expect(await c.ask("c")).toBe("W00");
        expect(out).toBe("sv32s: PASS\n");
      }
    });

    it(`hardware breakpoints and watchpoints in a partition beside another, which ends as it would alone (${core})`, async () => {
      const description = {
        partitions: [
          { name: "hello", image: "hello", ram: "1M", priority: 1 },
          { name: "timer", image: "timer", ram: "1M", priority: 2 },
        ],
      };
      const run = async (debug: boolean) => {
        const hv = new Hypervisor(description, { core, wasmModule: await loadWasmModule(), loadImage: (i) => guestElf(i) });
        const out: Record<string, string> = { hello: "", timer: "" };
        hv.on("output", (e) => { out[e.partition] += Buffer.from(e.data).toString("latin1"); });
        await hv.start();
        if (debug) {
          const target = new PartitionTarget(hv, "timer");
          const c = new Client(target);
          const isr = symbol("timer", "timer_isr");
          const ticks = symbol("timer", "ticks");
          expect(await c.ask(`Z1,${hex(isr)},2`)).toBe("OK");
          for (let i = 0; i < 3; i++) {
            expect(await c.ask("c")).toBe("T05thread:1;hwbreak:;");
            expect(await c.ask("p20")).toBe(le(isr));
            expect(await c.ask(`m${hex(isr)},2`)).not.toBe("0290"); // no EBREAK in memory
            // Step over it as GDB does: out, one instruction, in again.
            expect(await c.ask(`z1,${hex(isr)},2`)).toBe("OK");
            expect(await c.ask("s")).toBe("T05thread:1;");
            expect(await c.ask(`Z1,${hex(isr)},2`)).toBe("OK");
          }
          expect(await c.ask(`z1,${hex(isr)},2`)).toBe("OK");
          // The third interrupt's store to ticks stops before it: the value is still 2.
          expect(await c.ask(`Z2,${hex(ticks)},4`)).toBe("OK");
          expect(await c.ask("c")).toBe(`T05thread:1;watch:${hex(ticks)};`);
          expect(await c.ask(`m${hex(ticks)},4`)).toBe(le(2));
          expect(await c.ask(`z2,${hex(ticks)},4`)).toBe("OK");
          expect(await c.ask("s")).toBe("T05thread:1;");
          expect(await c.ask(`m${hex(ticks)},4`)).toBe(le(3));
          // The main loop reads it.
          expect(await c.ask(`Z3,${hex(ticks)},4`)).toBe("OK");
          expect(await c.ask("c")).toBe(`T05thread:1;rwatch:${hex(ticks)};`);
          expect(target.triggers.read(0, 1) >>> 27 & 1).toBe(1); // a debugger's trigger (dmode)
          expect(await c.ask("D")).toBe("OK");
          expect(target.triggers.read(0, 1)).toBe(0xf0000000); // given back
        }
        const result = await hv.run();
        return { out, result, stats: hv.stats() };
      };
      const plain = await run(false);
      const debugged = await run(true);
      expect(debugged.out).toEqual(plain.out);
      expect(debugged.result).toEqual(plain.result);
      expect(debugged.stats.partitions.map((p) => p.instructions)).toEqual(plain.stats.partitions.map((p) => p.instructions));
    });
  }

  it("answers bad checksums with a resend request and ignores noise", async () => {
    const m = await makeMachine("wasm");
    m.loadElf(guestElf("hello"));
    const sent: string[] = [];
    const s = new GdbSession(new MachineTarget(m), { send: (d) => sent.push(d) });
    s.receive("junk$g#00");
    expect(sent).toEqual(["-"]);
    s.receive(frame("p20").slice(0, 3)); // a packet in pieces
    s.receive(frame("p20").slice(3));
    expect(sent.slice(1)).toEqual(["+", frame(le(0x8000_0000))]);
    s.receive("-"); // GDB missed it: sent again
    expect(sent.at(-1)).toBe(frame(le(0x8000_0000)));
  });
});

const hasGdb = spawnSync("gdb-multiarch", ["--version"]).status === 0;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(!hasGdb)("gdb-multiarch against wasmvisor run-elf --gdb", () => {
  for (const core of CORES as readonly CoreKind[]) {
    it(`breaks in main, reads registers and memory, steps into puts (its argument read), runs to the end (${core})`, async () => {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), "wasmvisor-gdb-"));
      const script = join(dir, "session.gdb");
      writeFileSync(script, [
        "set pagination off", "set confirm off", `target remote :${port}`,
        "break main", "continue", "info registers pc", "x/2i $pc", "stepi", "info registers pc", "p/x $a0",
        "delete", "continue",
      ].join("\n") + "\n");
      const run = cli(["run-elf", guestPath("hello"), "--core", core, "--gdb", String(port)]);
      // (the CLI listens before it first awaits, so GDB can connect at once)
      const gdb = spawn("gdb-multiarch", ["-batch", "-nx", "-x", script, guestPath("hello")], { cwd: ROOT });
      let gdbOut = "";
      gdb.stdout.on("data", (d) => { gdbOut += d; });
      gdb.stderr.on("data", (d) => { gdbOut += d; });
      const gdbStatus = await new Promise<number | null>((resolve) => gdb.on("close", resolve));
      const result = await run;
      expect(gdbOut).toMatch(/Breakpoint 1, 0x[0-9a-f]+ in main \(\)/);
      expect(gdbOut).toMatch(/=> 0x[0-9a-f]+ <main\+\d+>:/);
      expect(gdbOut).toMatch(/pc\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <puts>/); // main's next instruction calls puts
      expect(gdbOut).toMatch(/\$1 = 0x800[0-9a-f]{5}/); // its argument, a pointer into RAM
      expect(gdbOut).toContain("exited normally");
      expect(gdbStatus).toBe(0);
      expect(result.status).toBe(0);
      expect(result.stdout).toBe((await runGuest(core, guestElf("hello"))).output);
      expect(result.stderr).toContain("GDB saw the guest exit");
    }, 60_000);
  }

  /** gdb-multiarch's session (a script of commands) against a wasmvisor command line with --gdb. */
  async function session(args: string[], image: string, commands: string[]): Promise<{ gdbOut: string; gdbStatus: number | null; result: { status: number; stdout: string; stderr: string } }> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "wasmvisor-gdb-"));
    const script = join(dir, "session.gdb");
    writeFileSync(script, ["set pagination off", "set confirm off", `target remote :${port}`, ...commands].join("\n") + "\n");
    const run = cli([...args, "--gdb", String(port)]);
    const gdb = spawn("gdb-multiarch", ["-batch", "-nx", "-x", script, guestPath(image)], { cwd: ROOT });
    let gdbOut = "";
    gdb.stdout.on("data", (d) => { gdbOut += d; });
    gdb.stderr.on("data", (d) => { gdbOut += d; });
    const gdbStatus = await new Promise<number | null>((resolve) => gdb.on("close", resolve));
    return { gdbOut, gdbStatus, result: await run };
  }

  // The timer guest has no debug information: its variables are watched through their addresses.
  const HARDWARE_SESSION = [
    "hbreak timer_isr", "continue", "info registers pc", "delete",
    "watch *(int *)&ticks", "continue", "continue", "delete",
    "rwatch *(int *)&ticks", "continue", "delete",
    "awatch *(int *)&next", "continue", "delete",
    "continue",
  ];
  function expectHardwareSession(gdbOut: string): void {
    expect(gdbOut).toMatch(/Hardware assisted breakpoint 1 at 0x[0-9a-f]+/);
    expect(gdbOut).toMatch(/Breakpoint 1, 0x[0-9a-f]+ in timer_isr \(\)/);
    expect(gdbOut).toMatch(/pc\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <timer_isr\+\d+>/);
    // Written by the interrupt handler, twice; then read by main's loop; `next` read or written.
    expect(gdbOut).toMatch(/Hardware watchpoint 2: \*\(int \*\)&ticks\s+Old value = 0\s+New value = 1\s+0x[0-9a-f]+ in timer_isr \(\)/);
    expect(gdbOut).toMatch(/Hardware watchpoint 2: \*\(int \*\)&ticks\s+Old value = 1\s+New value = 2\s+0x[0-9a-f]+ in timer_isr \(\)/);
    expect(gdbOut).toMatch(/Hardware read watchpoint 3: \*\(int \*\)&ticks\s+Value = 2\s+0x[0-9a-f]+ in main \(\)/);
    expect(gdbOut).toMatch(/Hardware access \(read\/write\) watchpoint 4: \*\(int \*\)&next\s+Value = \d+\s+0x[0-9a-f]+ in timer_isr \(\)/);
    expect(gdbOut).toContain("exited normally");
  }

  for (const core of CORES as readonly CoreKind[]) {
    it(`hbreak, watch, rwatch and awatch on the bare machine: hardware breakpoints and watchpoints (${core})`, async () => {
      const { gdbOut, gdbStatus, result } = await session(["run-elf", guestPath("timer"), "--core", core], "timer", HARDWARE_SESSION);
      expectHardwareSession(gdbOut);
      expect(gdbStatus).toBe(0);
      expect(result.status).toBe(0);
      expect(result.stdout).toBe((await runGuest(core, guestElf("timer"))).output);
    }, 60_000);

    it(`hbreak, watch, rwatch and awatch in a partition beside another (run --gdb-partition) (${core})`, async () => {
      const system = join(ROOT, "examples/two-guests.json");
      const plain = await cli(["run", system, "--core", core]);
      const { gdbOut, gdbStatus, result } = await session(["run", system, "--core", core, "--gdb-partition", "timer"], "timer", HARDWARE_SESSION);
      expectHardwareSession(gdbOut);
      expect(gdbStatus).toBe(0);
      expect(result.status).toBe(0);
      expect(result.stdout).toBe(plain.stdout);
      expect(plain.stdout).toContain("[timer] 20 timer interrupts");
    }, 60_000);
  }

  it("refuses a port it cannot listen on, before running anything", async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as { port: number }).port)));
    try {
      const r = await cli(["run-elf", guestPath("hello"), "--gdb", String(port)]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`--gdb ${port}: cannot listen there: EADDRINUSE`);
      expect(r.stdout).toBe("");
    } finally {
      blocker.close();
    }
    expect((await cli(["run-elf", guestPath("hello"), "--gdb", "http"])).stderr).toContain("expected a TCP port number");
    expect((await cli(["run-elf", guestPath("hello"), "--gdb", "1234", "--trace"])).stderr).toContain("cannot be combined");
    const system = join(ROOT, "examples/two-guests.json");
    expect((await cli(["run", system, "--gdb-partition", "hello"])).stderr).toContain("--gdb-partition needs --gdb PORT");
    const bad = await cli(["run", system, "--gdb", "1234", "--gdb-partition", "nope"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--gdb-partition nope: no such partition; the partitions are hello, timer");
  });
});
