// The command line: exit statuses, messages, --trace, --input, and errors for bad arguments.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main, type CliIO } from "../src/cli/main.ts";
import { guestPath, ROOT } from "./support/harness.ts";

async function cli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: (d) => { stdout += typeof d === "string" ? d : Buffer.from(d).toString("latin1"); },
    stderr: (t) => { stderr += t; },
    input: { initial: new Uint8Array(0), open: false, onData: () => () => {}, next: async () => {}, close() {} },
  };
  const status = await main(args, io);
  return { status, stdout, stderr };
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
