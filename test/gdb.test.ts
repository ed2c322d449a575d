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
