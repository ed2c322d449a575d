// Fast boot (src/node/fast-boot.ts, `wasmvisor run … --fast-boot DIR`, `npm start`): the first
// start boots and keeps a snapshot of the system at its console's prompt; a later start
// restores it and goes on exactly as the booted system did (the same console output, the
// consoles' histories drawn again, the same statistics), on the other core too. A changed disk
// (or image, description, build) gives another key: the system boots again, never from a stale
// snapshot. Console input given before the prompt means no snapshot is kept.

import { describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, writeFileSync, openSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "./support/cli.ts";
import { linuxMissing, defaultSystem, scratchDisk } from "./support/linux.ts";
import { guestPath } from "./support/harness.ts";

const linuxAbsent = linuxMissing();

/** The run's statistics lines, without the wall time and the core's name. With the translator
 *  on, also without its region count and the paging counts (walks, shadow fills and hits): host
 *  figures that depend on what was translated, and a restored system starts with an empty code
 *  cache (a page with translated code takes its stores through the slow path: docs/jit.md). */
const statsOf = (stderr: string) => stderr.split("\n").filter((l) => /^ {2}\[|instructions in/.test(l))
  .map((l) => l.replace(/in [\d.]+ s \([\d.]+ MIPS, \w+ core/, "in … core"))
  .map((l) => stderr.includes(", jit: ") ? l.replace(/, jit: \d+ regions/, "").replace(/; \d+ walks, \d+ shadow fills(, \d+ shadow hits)?/, "") : l);

describe.skipIf(linuxAbsent !== null)(`fast boot${linuxAbsent ? ` (skipped: ${linuxAbsent})` : ""}`, () => {
  it("the second start restores the system at its prompt and goes on exactly as the boot did (both cores, across cores); a changed disk boots again", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wasmvisor-fastboot-"));
    const cache = join(dir, "cache");
    const disk = scratchDisk();
    // The default system, its RTOS image by absolute path (the description is in a temp dir).
    const description = JSON.parse(JSON.stringify(defaultSystem({ disk })));
    description.name = "fastboot";
    description.partitions[0].image = guestPath("rtos");
    const system = join(dir, "system.json");
    writeFileSync(system, JSON.stringify(description));
    // (--max-insns: past the prompt — the default system reaches it after about 18.4 M of Linux
    // instructions with the NUMA-capable kernel — with room for what follows)
    const run = (core: string, extra: string[] = []) =>
      cli(["run", system, "--console", "linux", "--fast-boot", cache, "--max-insns", "26e6", "--stats", "--core", core, ...extra]);
    const kept = () => readdirSync(cache).filter((f) => f.endsWith(".wvsnap"));

    for (const [first, second] of [["wasm", "ts"], ["ts", "wasm"]]) {
      const cold = await run(first);
      expect(cold.stderr).toContain("fast boot: booting fastboot");
      expect(cold.stdout).toMatch(/\[linux\] # /);
      const files = kept();
      expect(files).toHaveLength(1);
      const fast = await run(second);
      expect(fast.stderr).toMatch(/fast boot: fastboot restored at its prompt in \d+ ms/);
      expect(fast.stdout).toBe(cold.stdout);
      expect(statsOf(fast.stderr)).toEqual(statsOf(cold.stderr));
      expect(statsOf(fast.stderr).length).toBeGreaterThan(2);
      // The disk changes (a byte past the file system's first block): another key; the old
      // snapshot goes once the new one is kept.
      const fd = openSync(disk, "r+");
      writeSync(fd, Buffer.from([first === "wasm" ? 1 : 2]), 0, 1, 8_000_000);
      closeSync(fd);
      const again = await run(first);
      expect(again.stderr).toContain("fast boot: booting fastboot");
      expect(kept()).toHaveLength(1);
      expect(kept()[0]).not.toBe(files[0]);
      // (and the next round starts from this kept snapshot: the disk is unchanged until then)
      const fd2 = openSync(disk, "r+");
      writeSync(fd2, Buffer.from([9]), 0, 1, 8_000_001);
      closeSync(fd2);
    }
  }, 300_000);

  it("keeps no snapshot when console input came before the prompt; refuses --fast-boot without --console", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wasmvisor-fastboot-"));
    const description = JSON.parse(JSON.stringify(defaultSystem({ disk: scratchDisk() })));
    description.partitions[0].image = guestPath("rtos");
    const system = join(dir, "system.json");
    writeFileSync(system, JSON.stringify(description));
    const input = join(dir, "input.txt");
    writeFileSync(input, "echo typed-ahead\n");
    const r = await cli(["run", system, "--console", "linux", "--fast-boot", join(dir, "cache"), "--max-insns", "26e6", "--input", input]);
    expect(r.stdout).toContain("[linux] # ");
    expect(readdirSync(join(dir)).includes("cache") ? readdirSync(join(dir, "cache")) : []).toEqual([]);
    const u = await cli(["run", system, "--fast-boot", join(dir, "cache")]);
    expect(u.status).not.toBe(0);
    expect(u.stderr).toContain("--fast-boot needs --console");
  }, 120_000);
});
