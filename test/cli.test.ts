// The command line: exit statuses, messages, --trace, --input, and errors for bad arguments.
import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "./support/cli.ts";
import { guestPath, ROOT } from "./support/harness.ts";
import { yesElf } from "./support/fuzz/cases.ts";
import { Asm, I, li } from "./support/rv-asm.ts";
import { writeElf } from "./support/elf-writer.ts";


/** A guest that waits in WFI (timer interrupt enabled in mie, not taken: mstatus.MIE is 0)
 *  until its mtime has advanced by `ticks` (10 MHz), then passes through the test finisher. */
function sleeperElf(ticks: number): Uint8Array {
  const a = new Asm(0x80000000);
  a.words(li(5, 0x0200bff8)).word(I.lw(6, 5, 0)).words(li(7, ticks)).word(I.add(6, 6, 7)); // t1 = mtime + ticks
  a.words(li(28, 0x02004000)).word(I.sw(6, 28, 0)).word(I.sw(0, 28, 4)); // mtimecmp = t1
  a.words(li(29, 0x80)).word(I.csrrw(0, 0x304, 29)); // mie.MTIE
  a.label("wait").word(I.wfi()).word(I.lw(30, 5, 0)).branch(6, 30, 6, "wait"); // bltu mtime, t1
  a.words(li(5, 0x100000)).words(li(6, 0x5555)).word(I.sw(6, 5, 0));
  a.label("end").jal(0, "end");
  return writeElf({ entry: 0x80000000, segments: [{ paddr: 0x80000000, data: a.bytes(), flags: 5 }] });
}

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
  it("--wall-clock: an idle guest's time passes as real time does, with the same output (both cores)", async () => {
    // A guest that sleeps in WFI until its mtime has advanced by 400 ms: deterministic runs skip
    // that idle time at once; with --wall-clock it takes (at least) 400 ms of real time, which
    // the --stats report measures (less the last slice of 5 ms, run at once). The timer guest (20 ticks of 1 ms in WFI) prints the same.
    const dir = mkdtempSync(join(tmpdir(), "wasmvisor-wall-"));
    const sleeper = join(dir, "sleeper.elf");
    writeFileSync(sleeper, sleeperElf(4_000_000));
    const seconds = (stderr: string) => Number(/instructions in ([\d.]+) s/.exec(stderr)?.[1]);
    for (const core of ["wasm", "ts"]) {
      const paced = await cli(["run-elf", sleeper, "--wall-clock", "--stats", "--core", core]);
      const fast = await cli(["run-elf", sleeper, "--stats", "--core", core]);
      expect(paced.status, paced.stderr).toBe(0);
      expect(fast.status, fast.stderr).toBe(0);
      expect(seconds(paced.stderr), paced.stderr).toBeGreaterThanOrEqual(0.39); // (the last 5 ms slice runs ahead)
      expect(seconds(paced.stderr), paced.stderr).toBeLessThan(5);
      expect(seconds(fast.stderr), fast.stderr).toBeLessThan(0.3);
      const r = await cli(["run-elf", guestPath("timer"), "--wall-clock", "--core", core]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe("20 timer interrupts\nelapsed time within [20, 21] ms\n");
    }
  });
  it("--stats is printed when a run with piped stdin is ended by SIGTERM or SIGINT (both cores)", async () => {
    // A real process (the sources through tsx), stdin a pipe left open, a guest printing without
    // end: the signal ends the run between two slices, with the report and 128 + the signal.
    const dir = mkdtempSync(join(tmpdir(), "wasmvisor-sig-"));
    const yes = join(dir, "yes.elf");
    writeFileSync(yes, yesElf(1000));
    for (const [core, signal, status] of [["wasm", "SIGTERM", 143], ["ts", "SIGINT", 130]] as const) {
      const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "test/support/wasmvisor-src.ts"), "run-elf", yes, "--stats", "--core", core], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (d: string) => { stderr += d; });
      const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
      await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
      child.stdout.resume();
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const code = await exited;
      clearTimeout(timer);
      expect(code, stderr).toBe(status);
      expect(stderr).toMatch(new RegExp(`^wasmvisor: \\d+ instructions in [\\d.]+ s \\([\\d.]+ MIPS, ${core} core(, jit: \\d+ regions)?\\)\nwasmvisor: interrupted \\(${signal}\\)\n$`));
    }
  }, 60_000);
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

describe("help, mistakes and suggestions", () => {
  it("every command takes --help and -h: its usage on stdout, status 0, nothing run", async () => {
    for (const command of ["run", "run-elf"]) {
      for (const args of [[command, "--help"], [command, "-h"], ["help", command], [command, guestPath("hello"), "--core", "ts", "--help"]]) {
        const r = await cli(args);
        expect(r.status, args.join(" ")).toBe(0);
        expect(r.stderr, args.join(" ")).toBe("");
        expect(r.stdout, args.join(" ")).toMatch(new RegExp(`^usage: wasmvisor ${command} (SYSTEM\\.json|PROGRAM\\.elf) \\[options\\]\n`));
        expect(r.stdout).toContain("  --core wasm|ts        which build of the core runs it (default wasm)\n");
        expect(r.stdout).toContain("  --wall-clock          keep virtual time from running ahead of real time");
        expect(r.stdout).toContain("  -h, --help            show this text\n");
      }
    }
    expect((await cli(["run", "--help"])).stdout).toContain("  --gdb-partition NAME  the partition GDB debugs (default: the first)\n");
    expect((await cli(["run-elf", "-h"])).stdout).toContain("  --ram SIZE            guest RAM at 0x80000000");
    // After "--" everything is an argument, "--help" too.
    expect((await cli(["run-elf", "--", "--help"])).stderr).toMatch(/cannot read --help: ENOENT/);
    for (const args of [["--help"], ["-h"], ["help"]]) {
      const r = await cli(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^usage: wasmvisor <command> \[options\]\n\ncommands:\n  run SYSTEM\.json {7}run a partitioned system/);
      expect(r.stdout).toContain("\n  run-elf PROGRAM.elf   run a bare-metal RV32 ELF");
    }
  });

  it("a mistyped option or command: did you mean, status 2, where the usage is", async () => {
    const hello = guestPath("hello");
    const cases: Array<[string[], string]> = [
      [["run-elf", hello, "--wall-clok"], "unknown option --wall-clok; did you mean --wall-clock?\n(wasmvisor run-elf --help shows the usage)\n"],
      [["run-elf", hello, "--stat"], "unknown option --stat; did you mean --stats?\n(wasmvisor run-elf --help shows the usage)\n"],
      [["run-elf", hello, "--cores=ts"], "unknown option --cores; did you mean --core?\n(wasmvisor run-elf --help shows the usage)\n"],
      [["run-elf", hello, "-core", "ts"], "unknown option -core; did you mean --core?\n(wasmvisor run-elf --help shows the usage)\n"],
      [["run", "x.json", "--consol", "linux"], "unknown option --consol; did you mean --console?\n(wasmvisor run --help shows the usage)\n"],
      [["run", "x.json", "--trace"], "unknown option --trace; did you mean --trace-out?\n(wasmvisor run --help shows the usage)\n"],
      [["run", "x.json", "--ipc-slow"], "unknown option --ipc-slow; did you mean --ipc-slow-path?\n(wasmvisor run --help shows the usage)\n"],
      [["run", "x.json", "--frobnicate"], "unknown option --frobnicate (options: --core, --jit, --jit-hot, --paging, --max-insns, --wall-clock, --console, --add-file, --input, --stats, --ipc-slow-path, --trace-out, --gdb, --gdb-partition, --snapshot-at, --migrate-to, --migrate-at, --snapshot-on-exit, --fast-boot)\n(wasmvisor run --help shows the usage)\n"],
      [["rn", "x.json"], "unknown command \"rn\" (commands: run, migrate, restore, run-elf, afterburn, vnuma-node, help); did you mean run?\n(wasmvisor --help shows the usage)\n"],
      [["run-eld", hello], "unknown command \"run-eld\" (commands: run, migrate, restore, run-elf, afterburn, vnuma-node, help); did you mean run-elf?\n(wasmvisor --help shows the usage)\n"],
      [["--verison"], "unknown option \"--verison\" (commands: run, migrate, restore, run-elf, afterburn, vnuma-node, help); did you mean --version?\n(wasmvisor --help shows the usage)\n"],
      [["explode"], "unknown command \"explode\" (commands: run, migrate, restore, run-elf, afterburn, vnuma-node, help)\n(wasmvisor --help shows the usage)\n"],
      [["help", "runelf"], "help: no such command \"runelf\" (the commands are run, migrate, restore, run-elf); did you mean run-elf?\n(wasmvisor --help shows the usage)\n"],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stdout, args.join(" ")).toBe("");
      expect(r.stderr, args.join(" ")).toBe(`wasmvisor: ${message}`);
    }
  });

  it("run given a program or a binary file says what to do instead of a JSON parse error", async () => {
    const hello = guestPath("hello");
    const a = await cli(["run", hello]);
    expect(a.status).toBe(2);
    expect(a.stderr).toBe(`wasmvisor: ${hello} is a program (ELF), not a system description (JSON): run it with \`wasmvisor run-elf ${hello}\`, or name it as a partition's image in a system description\n(wasmvisor run --help shows the usage)\n`);
    const dir = mkdtempSync(join(tmpdir(), "wasmvisor-bin-"));
    const image = join(dir, "Image");
    writeFileSync(image, new Uint8Array([0x4d, 0x5a, 0x6f, 0x10, 0, 0, 0, 0]));
    const b = await cli(["run", image]);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/Image is a binary file, not a system description \(JSON\).*`wasmvisor run-elf`/);
    // A JSON file with a mistake keeps its precise message; and the other way round, run-elf
    // given a system description says to use run.
    const broken = join(dir, "broken.json");
    writeFileSync(broken, '{ "partitions": [ }');
    expect((await cli(["run", broken])).stderr).toMatch(/broken\.json: not valid JSON/);
    const description = join(ROOT, "examples", "two-guests.json");
    const c = await cli(["run-elf", description]);
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/two-guests\.json: not an ELF file but JSON \(a system description\?\): run it with `wasmvisor run .*two-guests\.json`/);
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

  it("--input FILE feeds the --console partition, or the only one (both cores)", async () => {
    const input = join(dir, "input.txt");
    writeFileSync(input, "hi\nquit\n");
    const one = system("one.json", { partitions: [{ name: "echo", image: bin("echo"), ram: "1M" }] });
    const two = system("two.json", { partitions: [
      { name: "echo", image: bin("echo"), ram: "1M" },
      { name: "spin", image: bin("spin"), ram: "64K" },
    ] });
    for (const core of ["wasm", "ts"]) {
      const a = await cli(["run", one, "--input", input, "--core", core]);
      expect(a.stdout).toBe("[echo] echo ready\n[echo] 1: HI\n[echo] 1 lines\n");
      expect(a.status).toBe(0);
      const b = await cli(["run", two, "--input", input, "--console", "echo", "--max-insns", "2000000", "--core", core]);
      expect(b.stdout).toBe(a.stdout);
      expect(b.status).toBe(124);
    }
    const r = await cli(["run", two, "--input", input]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--input .*input\.txt: which partition reads it\? Add --console NAME \(the partitions are echo, spin\)/);
    const missing = await cli(["run", one, "--input", join(dir, "absent.txt")]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read --input .*absent\.txt: ENOENT/);
  });

  it("--stats prints per-partition statistics", async () => {
    const counts: string[] = [];
    for (const core of ["wasm", "ts"]) {
      const r = await cli(["run", join(ROOT, "examples", "two-guests.json"), "--stats", "--core", core]);
      expect(r.stderr).toMatch(new RegExp(`instructions in [\\d.]+ s \\([\\d.]+ MIPS, ${core} core, shadow paging(, jit: \\d+ regions)?\\); virtual time [\\d.]+ ms; \\d+ world switches`));
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
