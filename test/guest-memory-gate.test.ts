// The one gate between the host and a partition's memory (src/vmm/guest-memory.ts).
//
// 1. The gate itself: every range is checked whole — zero length, wrap-around past 4 GiB, a
//    window's edges, permissions, non-integers — and a refused access touches nothing.
// 2. Nothing bypasses it: a lint over the host's sources (src/, web/) fails when a file other
//    than the gate makes a view of a core's linear memory, when a device file reaches for the
//    core, the memory map or host offsets, or when anything but the system builders names
//    RAM_HOST_BASE. The other views of the core's memory (layoutWords) end where guest RAM begins.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { GuestMemory, layoutWords } from "../src/vmm/guest-memory.ts";
import { RAM_HOST_BASE } from "../assembly/layout.ts";
import { ROOT } from "./support/harness.ts";

const RAM = 0x8000_0000;
const SIZE = 64 * 1024;
const REGION = 0x9000_0000;

function gate(): { mem: GuestMemory; bytes: Uint8Array } {
  const buffer = new ArrayBuffer(RAM_HOST_BASE + SIZE + 8192);
  const mem = new GuestMemory(buffer, [
    { gpa: RAM, size: SIZE / 2, host: RAM_HOST_BASE, read: true, write: true },
    // RAM split in two (as around the HTIF page) joins up again.
    { gpa: RAM + SIZE / 2, size: SIZE / 2, host: RAM_HOST_BASE + SIZE / 2, read: true, write: true },
    { gpa: REGION, size: 4096, host: RAM_HOST_BASE + SIZE, read: true, write: false },
    { gpa: REGION + 4096, size: 4096, host: RAM_HOST_BASE + SIZE + 4096, read: false, write: true },
  ]);
  return { mem, bytes: new Uint8Array(buffer) };
}

describe("the guest memory gate", () => {
  it("accepts exactly the ranges that lie whole in one window", () => {
    const { mem } = gate();
    expect(mem.contains(RAM, SIZE)).toBe(true); // both halves: one window
    expect(mem.contains(RAM + SIZE - 4, 4)).toBe(true);
    expect(mem.contains(RAM + SIZE - 4, 5)).toBe(false); // one byte past the end
    expect(mem.contains(RAM - 1, 2)).toBe(false);
    expect(mem.contains(RAM + SIZE - 8, 16)).toBe(false);
    expect(mem.contains(REGION - 4, 8)).toBe(false);
  });

  it("checks zero-length ranges and wrap-around like any other", () => {
    const { mem } = gate();
    expect(mem.contains(RAM, 0)).toBe(true);
    expect(mem.contains(0x1000_0000, 0)).toBe(false); // the UART: nothing to move, still refused
    expect(mem.contains(RAM + SIZE, 0)).toBe(false); // just past the end
    expect(mem.view(0, 0, "read")).toBeNull();
    expect(mem.contains(0xffff_fff0, 0x20)).toBe(false); // wraps past 4 GiB
    expect(mem.contains(RAM, 0xffff_ffff)).toBe(false);
    expect(mem.contains(RAM, 2 ** 53)).toBe(false);
  });

  it("refuses what is not an address or a length", () => {
    const { mem } = gate();
    for (const [gpa, len] of [[NaN, 4], [RAM + 0.5, 4], [RAM, -1], [RAM, 1.5], [-4, 4], [Infinity, 0], [RAM, NaN]]) {
      expect(mem.contains(gpa, len), `${gpa}+${len}`).toBe(false);
      expect(mem.read(gpa, len)).toBeNull();
    }
  });

  it("obeys the windows' permissions, except for a debugger", () => {
    const { mem } = gate();
    expect(mem.read(REGION, 4, "read")).not.toBeNull();
    expect(mem.write(REGION, new Uint8Array(4), "write")).toBe(false);
    expect(mem.readU32(REGION + 4096, "read")).toBeNull();
    expect(mem.writeU32(REGION + 4096, 1, "write")).toBe(true);
    expect(mem.readU32(REGION + 4096, "debug")).toBe(1);
    expect(mem.write(REGION, new Uint8Array([9]), "debug")).toBe(true);
  });

  it("writes all or nothing, and only where it was told", () => {
    const { mem, bytes } = gate();
    expect(mem.write(RAM + SIZE - 2, new Uint8Array([1, 2, 3, 4]))).toBe(false);
    expect(bytes.subarray(RAM_HOST_BASE + SIZE - 2, RAM_HOST_BASE + SIZE + 2)).toEqual(new Uint8Array(4));
    expect(mem.writeU32(RAM + 6, 0xdeadbeef)).toBe(true); // any alignment, little-endian
    expect(Array.from(bytes.subarray(RAM_HOST_BASE + 6, RAM_HOST_BASE + 10))).toEqual([0xef, 0xbe, 0xad, 0xde]);
    expect(mem.readU32(RAM + 6)).toBe(0xdeadbeef);
    expect(mem.fill(RAM, 16, 0x5a)).toBe(true);
    expect(bytes[RAM_HOST_BASE - 1]).toBe(0);
    expect(bytes[RAM_HOST_BASE + 16]).toBe(0);
  });

  it("takes only windows inside guest RAM of the linear memory", () => {
    const buffer = new ArrayBuffer(RAM_HOST_BASE + SIZE);
    expect(() => new GuestMemory(buffer, [{ gpa: RAM, size: 4096, host: RAM_HOST_BASE - 4096, read: true, write: true }])).toThrow(/not valid/);
    expect(() => new GuestMemory(buffer, [{ gpa: RAM, size: SIZE + 4096, host: RAM_HOST_BASE, read: true, write: true }])).toThrow(/not valid/);
    expect(() => new GuestMemory(buffer, [{ gpa: 0xffff_f000, size: 0x2000, host: RAM_HOST_BASE, read: true, write: true }])).toThrow(/not valid/);
  });

  it("the layout view ends where guest RAM begins", () => {
    const buffer = new ArrayBuffer(RAM_HOST_BASE + SIZE);
    const words = layoutWords(buffer);
    expect(words.length * 4).toBe(RAM_HOST_BASE);
    words[(RAM_HOST_BASE >> 2) + 1] = 7; // out of the view: dropped
    expect(new Int32Array(buffer)[(RAM_HOST_BASE >> 2) + 1]).toBe(0);
  });
});

// ── Nothing bypasses the gate ──────────────────────────────────────────────────────────────

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "node_modules" || name === "dist" ? [] : sources(path);
    return /\.(ts|mts|mjs|js)$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Code without comments (they may name anything). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

/** Rules: [what, matcher, files allowed to match]. */
const VIEW = /new\s+(?:Int8|Uint8|Uint8Clamped|Int16|Uint16|Int32|Uint32|Float32|Float64|BigInt64|BigUint64)Array\s*\(\s*[^)]*\bmemory\b|new\s+DataView\s*\(\s*[^)]*\bmemory\b/;
const RULES: Array<{ what: string; pattern: RegExp; allowed: (file: string) => boolean }> = [
  {
    what: "makes a view of a core's linear memory (use the partition's GuestMemory, or layoutWords for the layout)",
    pattern: VIEW,
    allowed: (f) => f === "src/vmm/guest-memory.ts",
  },
  {
    what: "names RAM_HOST_BASE (where guest RAM lives in host memory is the system builders' business)",
    pattern: /\bRAM_HOST_BASE\b/,
    // (the snapshot's core check builds a system too: it checks cached translations lead into guest RAM)
    allowed: (f) => ["src/vmm/guest-memory.ts", "src/api/hypervisor.ts", "src/machine/machine.ts", "src/snapshot/core-check.ts"].includes(f),
  },
  {
    what: "is a device that reaches for the core, the memory map or host offsets (devices get a GuestMemory)",
    pattern: /\bcore\.memory\b|assembly\/layout|\bramHost\b|\bhostAddress\b|from\s+"\.\.\/core\//,
    allowed: (f) => !f.startsWith("src/devices/"),
  },
];

describe("nothing reaches guest memory but through the gate", () => {
  it("the host's sources follow the rules", () => {
    const offences: string[] = [];
    for (const path of [...sources(join(ROOT, "src")), ...sources(join(ROOT, "web"))]) {
      const file = relative(ROOT, path).split("\\").join("/");
      const text = code(readFileSync(path, "utf8"));
      for (const rule of RULES) {
        if (rule.allowed(file)) continue;
        text.split("\n").forEach((line, i) => {
          if (rule.pattern.test(line)) offences.push(`${file}:${i + 1} ${rule.what}: ${line.trim()}`);
        });
      }
    }
    expect(offences).toEqual([]);
  });

  it("the rules catch what they are for (a check that cannot fail checks nothing)", () => {
    const offending = [
      "const b = new Uint8Array(core.memory);",
      "const w = new Int32Array(this.o.core.memory, 0);",
      "const v = new DataView(memory);",
    ];
    for (const line of offending) expect(VIEW.test(line), line).toBe(true);
    expect(VIEW.test("const out = new Uint8Array(length);")).toBe(false);
    const device = RULES[2].pattern;
    expect(device.test("this.words[(this.ramHost + pa - RAM_BASE) >> 2] = v;")).toBe(true);
    expect(device.test('import { SYS_HOST_REQ } from "../../assembly/layout.js";')).toBe(true);
    expect(device.test("const view = this.mem.view(gpa, n, \"read\");")).toBe(false);
  });
});
