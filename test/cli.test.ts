// The command line: exit statuses, messages, --trace, --input, and errors for bad arguments.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "./support/cli.ts";
import { guestPath, ROOT } from "./support/harness.ts";


describe("wasmvisor run-elf", () => {
  for (const core of ["wasm", "ts"]) {
    it(`prints the guest's output and exits 0 on a pass (${core})`, async () => {
      const r = await cli(["run-elf", guestPath("hello"), "--core", core]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe("Hello from a C guest on wasmvisor!\n40 + 2 = 42, strings work, 0x00c0ffee\n");
      expect(r.stderr).toBe("");
    });
  }
  it("exits with the finisher's failure code", async () => {
    const r = await cli(["run-elf", guestPath("exitcode")]);
    expect(r.status).toBe(42);
    expect(r.stderr).toMatch(/guest failed with code 42/);
  });
  it("--no-fpu runs an RV32IMAC hart: misa without F and D", async () => {
    expect((await cli(["run-elf", guestPath("fp-traps")])).stdout).toBe("fp-traps: PASS\n");
    const r = await cli(["run-elf", guestPath("fp-traps"), "--no-fpu"]);
    expect(r.stdout).toBe("fp-traps: FAIL test 1: got 0x00000000 expected 0x00000028\n");
    expect(r.status).toBe(1);
  });
  it("exits through HTIF tohost", async () => {
    const r = await cli(["run-elf", guestPath("htif")]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("hello through HTIF\n");
  });
  it("stops a guest at --max-insns with a message and status 124", async () => {
    const r = await cli(["run-elf", guestPath("spin"), "--max-insns", "100000"]);
    expect(r.status).toBe(124);
    expect(r.stderr).toMatch(/--max-insns limit of 100000 was reached/);
  });
  it("a trap loop on the bare machine runs into the limit, as under QEMU", async () => {
    const r = await cli(["run-elf", guestPath("trap-loop"), "--max-insns", "100000"]);
    expect(r.stdout).toBe("trap-loop: mtvec = 0, faulting\n");
    expect(r.status).toBe(124);
  });
  it("stops a guest that waits for an interrupt nothing can raise (status 125)", async () => {
    const r = await cli(["run-elf", guestPath("idle")]);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/waits for an interrupt \(WFI\)/);
  });
  it("feeds --input to the UART", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wasmvisor-"));
    const input = join(dir, "input.txt");
    writeFileSync(input, "abc\nquit\n");
    const r = await cli(["run-elf", guestPath("echo"), "--input", input, "--core", "ts"]);
    expect(r.stdout).toBe("echo ready\n1: ABC\n1 lines\n");
    expect(r.status).toBe(0);
  });
  it("--trace prints pc, raw bits, disassembly and the written register", async () => {
    const r = await cli(["run-elf", guestPath("hello-asm"), "--trace", "--max-insns", "3"]);
    const lines = r.stderr.split("\n");
    expect(lines[0]).toMatch(/^\s+0 80000000 100002b7 lui t0,0x10000\s+t0=10000000$/);
    expect(lines[1]).toMatch(/^\s+1 80000004 00000317 auipc t1,0x0\s+t1=80000004$/);
    expect(lines[2]).toMatch(/^\s+2 80000008 [0-9a-f]{8} addi t1,t1,\d+\s+t1=800000[0-9a-f]{2}$/);
    expect(r.status).toBe(124);
  });
  it("--trace output is the same on both cores", async () => {
    const a = await cli(["run-elf", guestPath("traps"), "--trace", "--max-insns", "400", "--core", "wasm"]);
    const b = await cli(["run-elf", guestPath("traps"), "--trace", "--max-insns", "400", "--core", "ts"]);
    expect(a.stderr.split("\n").length).toBeGreaterThan(400);
    expect(b.stderr).toBe(a.stderr);
  });
  it("reports usage errors with status 2", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["run-elf"], /run-elf needs a PROGRAM\.elf/],
      [["run-elf", "a.elf", "b.elf"], /takes one program, got 2/],
      [["run-elf", guestPath("hello"), "--core", "arm"], /--core arm: expected one of wasm, ts/],
      [["run-elf", guestPath("hello"), "--max-insns", "-5"], /--max-insns -5: expected a positive whole number/],
      [["run-elf", guestPath("hello"), "--ram", "lots"], /--ram lots: expected a size/],
      [["run-elf", guestPath("hello"), "--ram", "3G"], /RAM size of 3221225472 bytes is not valid/],
      [["run-elf", guestPath("hello"), "--frobnicate"], /unknown option --frobnicate/],
      [["run-elf", "/nonexistent.elf"], /cannot read \/nonexistent\.elf: ENOENT/],
      [["run-elf", join(ROOT, "package.json")], /package\.json: not an ELF file/],
      [["explode"], /unknown command "explode"/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
  });
  it("runs as a real process through the package's bin", () => {
    const r = spawnSync(process.execPath, [join(ROOT, "bin", "wasmvisor.mjs"), "run-elf", guestPath("exitcode")], { encoding: "utf8" });
    expect(r.stdout).toBe("exiting with status 42\n");
    expect(r.status).toBe(42);
  });
});

describe("wasmvisor run", () => {
  const dir = mkdtempSync(join(tmpdir(), "wasmvisor-run-"));
  const system = (name: string, doc: object) => {
    const p = join(dir, name);
    writeFileSync(p, JSON.stringify(doc));
    return p;
  };
  const bin = (n: string) => guestPath(n);

  for (const [core, paging] of [["wasm", "shadow"], ["ts", "nested"]]) {
    it(`multiplexes the consoles with a [name] prefix per line (${core}, ${paging})`, async () => {
      const r = await cli(["run", join(ROOT, "examples", "two-guests.json"), "--core", core, "--paging", paging]);
      expect(r.status).toBe(0);
      const lines = r.stdout.split("\n").filter(Boolean);
      expect(lines.filter((l) => l.startsWith("[hello] ")).map((l) => l.slice(8)).join("\n") + "\n")
        .toBe("Hello from a C guest on wasmvisor!\n40 + 2 = 42, strings work, 0x00c0ffee\n");
      expect(lines.filter((l) => l.startsWith("[timer] ")).map((l) => l.slice(8)))
        .toEqual(["20 timer interrupts", "elapsed time within [20, 21] ms"]);
      expect(lines.every((l) => /^\[(hello|timer)\] /.test(l))).toBe(true);
      expect(r.stderr).toBe("wasmvisor: [hello] passed (test finisher 0x5555)\nwasmvisor: [timer] passed (test finisher 0x5555)\n");
    });
  }

  it("exits with the first failing partition's status and reports every partition", async () => {
    const p = system("fail.json", { partitions: [
      { name: "ok", image: bin("rv32i"), ram: "1M" },
      { name: "bad", image: bin("exitcode"), ram: "1M" },
      { name: "loop", image: bin("trap-loop"), ram: "64K" },
    ] });
    const r = await cli(["run", p]);
    expect(await cli(["run", p, "--core", "ts", "--paging", "nested"])).toEqual(r); // both cores agree
    expect(r.status).toBe(42);
    expect(r.stderr).toMatch(/\[ok\] passed/);
    expect(r.stderr).toMatch(/\[bad\] failed with code 42 .*\(status 42\)/);
    expect(r.stderr).toMatch(/\[loop\] stopped by a fatal fault: it traps without end .*\(status 126\)/);
  });

  it("--console sends input to one partition; --max-insns stops the rest (status 124)", async () => {
    const p = system("console.json", { partitions: [
      { name: "echo", image: bin("echo"), ram: "1M" },
      { name: "spin", image: bin("spin"), ram: "64K" },
    ] });
    for (const core of ["wasm", "ts"]) {
      const input = new TextEncoder().encode("hi\nquit\n");
      const { status, stdout, stderr } = await cli(["run", p, "--console", "echo", "--max-insns", "2000000", "--core", core], input);
      expect(stdout).toBe("[echo] echo ready\n[echo] 1: HI\n[echo] 1 lines\n");
      expect(stderr).toMatch(/\[spin\] still running when the --max-insns limit of 2000000 was reached \(status 124\)/);
      expect(status).toBe(124);
    }
  });

  it("--stats prints per-partition statistics", async () => {
    const counts: string[] = [];
    for (const core of ["wasm", "ts"]) {
      const r = await cli(["run", join(ROOT, "examples", "two-guests.json"), "--stats", "--core", core]);
      expect(r.stderr).toMatch(new RegExp(`instructions in [\\d.]+ s \\([\\d.]+ MIPS, ${core} core, shadow paging\\); virtual time [\\d.]+ ms; \\d+ world switches`));
      expect(r.stderr).toMatch(/\[hello\] 3445 instructions, [\d.]+ % of the time; exits: \d+ MMIO, 0 SBI/);
      counts.push(r.stderr.split("\n").filter((l) => l.startsWith("  [")).join("\n"));
    }
    expect(counts[1]).toBe(counts[0]);
  });

  it("refuses an invalid description with every problem and starts nothing (status 2)", async () => {
    const p = system("invalid.json", {
      partitions: [{ name: "a", image: "missing.elf", budget: "2ms", period: "1ms" }],
      schedule: { majorFrame: "1ms", windows: [{ length: "2ms", partitions: ["a", "b"] }] },
    });
    const r = await cli(["run", p]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("wasmvisor: the system description is not valid:\n");
    expect(r.stderr).toContain(`${p}: partitions[0].budget: 2 ms is longer than the period (1 ms)`);
    expect(r.stderr).toContain(`${p}: schedule.windows[0].length: the window ends at 2 ms, after the major frame (1 ms)`);
    expect(r.stderr).toContain(`${p}: schedule.windows[0].partitions[1]: "b" is not a partition; the partitions are a`);
    expect(r.stderr).toMatch(/nothing was started\n$/);
  });

  it("usage errors", async () => {
    const two = join(ROOT, "examples", "two-guests.json");
    const cases: Array<[string[], RegExp]> = [
      [["run"], /run needs a SYSTEM\.json/],
      [["run", two, "--paging", "flat"], /--paging flat: expected one of shadow, nested/],
      [["run", two, "--console", "nobody"], /--console nobody: no such partition; the partitions are hello, timer/],
      [["run", join(dir, "nothing.json")], /nothing\.json: cannot read the file: ENOENT \(it does not exist\)/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
  });
});
