// RapiLog's reads while the background writer persists: a read must return the newest data
// whatever the writer does meanwhile. The race this pins down: the disk read the host file and
// only then dropped the overlay entries of records the writer had persisted — a record persisted
// between the two was dropped although the file read had returned the old sector, so the guest
// read stale data (seen under heavy host load as the wasm and TS cores parting in the crash
// campaign). Here the writer is slowed (test-only hook, set before the module loads) and the
// disk's own bookkeeping is made to wait for the writer, so the old order fails every time.
import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

process.env.WASMVISOR_RAPILOG_SLOW_DISK_MS = "150";
const { RapilogDisk } = await import("../src/node/rapilog-disk.ts");

const SECTOR = 512;

describe("RapiLog reads during persistence", () => {
  it("a read returns the newest data even when the writer persists it in the middle of the read", () => {
    const path = join(mkdtempSync(join(tmpdir(), "wasmvisor-rapilog-race-")), "log.img");
    writeFileSync(path, new Uint8Array(64 * 1024));
    const d = new RapilogDisk(path, 64 * 1024);
    try {
      d.write(0, new Uint8Array(SECTOR).fill(1));
      d.sync(); // sector 0 holds 1, in the file
      d.write(0, new Uint8Array(SECTOR).fill(2)); // buffered; the slow writer persists it later
      // Make the disk's release step (forgetting persisted records) wait until the writer has
      // persisted everything: the widest possible window between the two halves of a read.
      const inner = d as unknown as { release(): void };
      const release = inner.release.bind(d);
      const nap = new Int32Array(new SharedArrayBuffer(4));
      inner.release = () => {
        while (d.pendingBytes > 0) Atomics.wait(nap, 0, 0, 5);
        release();
      };
      const back = new Uint8Array(SECTOR);
      d.read(0, back);
      expect(back[0]).toBe(2);
      expect(back[SECTOR - 1]).toBe(2);
    } finally {
      d.close();
    }
  });
});
