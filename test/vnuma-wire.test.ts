// vNUMA's frames (src/machine/vnuma/wire.ts) against what a broken or hostile peer may send: any
// bytes, split anywhere, give whole messages or a clear Error — never another exception, never
// a message made of a frame that was not whole, and a frame's size is bounded.
import { describe, expect, it } from "vitest";
import { rng } from "./support/random-program.ts";
import { FrameReader, encodeFrame, MAX_FRAME } from "../src/machine/vnuma/wire.ts";

describe("vNUMA's frames", () => {
  it("round-trip every kind, whatever the chunking, the binary part where it belongs", () => {
    const page = new Uint8Array(4096).map((_, i) => (i * 7) & 0xff);
    const messages = [
      { kind: "go" },
      { kind: "answer", vcpu: 1, result: -1, hostReq: 2, devNext: -1 },
      { kind: "dsm", m: { kind: "grant", page: 0x400, right: 2, bytes: page } },
      { kind: "dsm", m: { kind: "get", page: 0x401, want: 1 } },
      { kind: "status", vcpu: 3, clockLo: -5, clockHi: 1, idle: 1, seen: -1, wakeLo: -1, wakeHi: -1, retired: 2 ** 40, work: 7, done: 0, limited: 0, mtip: 128 },
    ] as const;
    const stream = Buffer.concat(messages.map((m) => encodeFrame(m as never)));
    const random = rng(9);
    for (let round = 0; round < 50; round++) {
      const reader = new FrameReader();
      const out: unknown[] = [];
      for (let at = 0; at < stream.length;) {
        const n = 1 + Math.floor(random() * 700);
        out.push(...reader.push(stream.subarray(at, at + n)));
        at += n;
      }
      expect(out).toEqual(messages);
    }
  });

  it("garbage gives whole messages or an Error naming the problem, never a crash", () => {
    const random = rng(77);
    let errors = 0;
    for (let round = 0; round < 2000; round++) {
      const reader = new FrameReader();
      const bytes = new Uint8Array(1 + Math.floor(random() * 64)).map(() => Math.floor(random() * 256));
      // Half the cases: a plausible length in front of the garbage.
      if (random() < 0.5 && bytes.length >= 8) new DataView(bytes.buffer).setUint32(0, bytes.length - 4, true);
      try {
        for (const m of reader.push(bytes)) expect(typeof (m as { kind: unknown }).kind).toBe("string");
      } catch (err) {
        expect(err).toBeInstanceOf(Error);
        expect((err as Error).message).toMatch(/^vNUMA: /);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(100);
    // Too long a frame is refused as soon as its length is seen, before it is buffered.
    const huge = new Uint8Array(8);
    new DataView(huge.buffer).setUint32(0, MAX_FRAME + 1, true);
    expect(() => new FrameReader().push(huge)).toThrow(/not valid/);
  });
});
