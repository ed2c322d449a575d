// The system description: every kind of error is reported precisely (file, path to the field,
// what would be valid), all errors at once, and nothing starts unless the whole description is
// valid. The JSON Schema accepts the examples and rejects what the validator rejects by shape.
import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import { validateSystem, describeSystem, ConfigError, parseDurationValue, parseSizeValue, parseRtcEpoch } from "../src/config/system.ts";
import { loadSystemFile } from "../src/node/system-file.ts";
import { Hypervisor } from "../src/api/hypervisor.ts";
import { guestPath, ROOT } from "./support/harness.ts";

function problems(doc: unknown): string[] {
  try {
    validateSystem(doc, "sys.json");
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

const base = () => ({
  partitions: [
    { name: "a", image: "a.elf", ram: "1M" },
    { name: "b", image: "b.elf", ram: "1M" },
  ],
});

describe("validation", () => {
  it("accepts a complete description and fills in defaults", () => {
    const cfg = validateSystem({
      name: "full", cyclesPerTick: 20, quantum: "500us",
      memoryRegions: [{ name: "shm", size: "64K" }],
      partitions: [
        { name: "rtos", image: "r.elf", ram: "2M", priority: 10, budget: "200us", period: "1ms", mappings: [{ region: "shm", address: "0x90000000", perms: "rw" }] },
        { name: "linux", image: "l.elf", mode: "supervisor", bootargs: "console=hvc0", devices: ["uart", "plic"], mappings: [{ region: "shm", address: 0xa0000000, perms: "r" }] },
      ],
      schedule: { majorFrame: "2ms", windows: [{ length: "1ms", partitions: ["rtos"] }, { start: "1ms", length: "1ms", partitions: ["linux", "rtos"] }] },
      channels: [{ name: "ch", ends: [{ partition: "rtos", id: 1, pp: true }, { partition: "linux", id: 0 }] }],
    });
    expect(cfg.quantum).toBe(500 * 200);
    expect(cfg.partitions[0]).toMatchObject({ ramBytes: 2 << 20, priority: 10, budget: 200 * 200, period: 1000 * 200, mode: "machine" });
    expect(cfg.partitions[1]).toMatchObject({ ramBytes: 16 << 20, mode: "supervisor", devices: ["uart", "plic"] });
    expect(cfg.partitions[1].mappings).toEqual([{ region: 0, address: 0xa0000000, read: true, write: false, exec: false }]);
    expect(cfg.schedule.windows).toEqual([{ start: 0, length: 200_000, partitions: [0] }, { start: 200_000, length: 200_000, partitions: [1, 0] }]);
    expect(cfg.channels[0].ends[0]).toEqual({ partition: 0, id: 1, pp: true });
    // Disks: a path is a writethrough disk; the object form chooses the mode and buffer.
    const disks = validateSystem({ partitions: [
      { name: "a", image: "a.elf", disk: "a.img" },
      { name: "b", image: "b.elf", disk: { file: "b.img", mode: "rapilog", buffer: "1M" } },
    ] }).partitions.map((p) => p.disk);
    expect(disks).toEqual([
      { file: "a.img", readOnly: false, mode: "writethrough", bufferBytes: 16 << 20 },
      { file: "b.img", readOnly: false, mode: "rapilog", bufferBytes: 1 << 20 },
    ]);
    // Defaults: one 10 ms window with every partition; the RTC starts at 2026-01-01T00:00:00Z.
    const d = validateSystem(base());
    expect(d.rtcEpoch).toBe(1_767_225_600);
    expect(d.schedule).toEqual({ majorFrame: 1_000_000, windows: [{ start: 0, length: 1_000_000, partitions: [0, 1] }] });
  });

  it("units: sizes and durations", () => {
    expect(parseSizeValue("64K")).toBe(65536);
    expect(parseSizeValue("2MiB")).toBe(2 << 20);
    expect(parseSizeValue("1g")).toBe(1 << 30);
    expect(parseSizeValue("1.5M")).toBeNull();
    expect(parseDurationValue("250us", 10)).toBe(25_000);
    expect(parseDurationValue("1.5ms", 10)).toBe(150_000);
    expect(parseDurationValue("5000cycles", 10)).toBe(5000);
    expect(parseDurationValue(100, 10)).toBe(10_000);
    expect(parseDurationValue("soon", 10)).toBeNull();
  });

  const cases: Array<[string, (d: ReturnType<typeof base> & Record<string, unknown>) => void, RegExp]> = [
    ["overlapping mappings", (d) => {
      d.memoryRegions = [{ name: "x", size: "64K" }, { name: "y", size: "64K" }];
      (d.partitions[0] as Record<string, unknown>).mappings = [{ region: "x", address: "0x90000000" }, { region: "y", address: "0x90008000" }];
    }, /^partitions\[0\]\.mappings\[1\]\.address: region "y" at 0x90008000-0x90017fff overlaps region "x" \(0x90000000-0x9000ffff\)$/],
    ["a mapping over RAM", (d) => {
      d.memoryRegions = [{ name: "x", size: "64K" }];
      (d.partitions[0] as Record<string, unknown>).mappings = [{ region: "x", address: "0x80010000" }];
    }, /^partitions\[0\]\.mappings\[0\]\.address: region "x" at 0x80010000-0x8001ffff overlaps the partition's RAM \(0x80000000-0x800fffff\)$/],
    ["a mapping over a device", (d) => {
      d.memoryRegions = [{ name: "x", size: "64K" }];
      (d.partitions[0] as Record<string, unknown>).mappings = [{ region: "x", address: "0x10000000" }];
    }, /overlaps the uart device \(0x10000000-0x10000fff\)/],
    ["an unknown region", (d) => { (d.partitions[0] as Record<string, unknown>).mappings = [{ region: "nope", address: 0x90000000 }]; },
      /^partitions\[0\]\.mappings\[0\]\.region: "nope" is not a memory region; declare it under memoryRegions$/],
    ["an unknown partition in a window", (d) => { d.schedule = { majorFrame: "1ms", windows: [{ length: "1ms", partitions: ["a", "b", "c"] }] }; },
      /^schedule\.windows\[0\]\.partitions\[2\]: "c" is not a partition; the partitions are a, b$/],
    ["an unknown partition in a channel", (d) => { d.channels = [{ name: "ch", ends: [{ partition: "a", id: 0 }, { partition: "z", id: 0 }] }]; },
      /^channels\[0\]\.ends\[1\]\.partition: "z" is not a partition; the partitions are a, b$/],
    ["budget > period", (d) => { Object.assign(d.partitions[1], { budget: "2ms", period: "1ms" }); },
      /^partitions\[1\]\.budget: 2 ms is longer than the period \(1 ms\): a budget must fit in its period$/],
    ["a budget without a period", (d) => { Object.assign(d.partitions[1], { budget: "2ms" }); },
      /^partitions\[1\]\.period: missing: budget and period go together, give both or neither$/],
    ["a window past the frame", (d) => { d.schedule = { majorFrame: "1ms", windows: [{ length: "600us", partitions: ["a"] }, { length: "600us", partitions: ["b"] }] }; },
      /^schedule\.windows\[1\]\.length: the window ends at 1\.2 ms, after the major frame \(1 ms\): windows must fit in the frame$/],
    ["overlapping windows", (d) => { d.schedule = { majorFrame: "1ms", windows: [{ length: "600us", partitions: ["a"] }, { start: "500us", length: "100us", partitions: ["b"] }] }; },
      /^schedule\.windows\[1\]\.start: starts at 500 µs, before the previous window ends \(600 µs\)/],
    ["a partition in no window", (d) => { d.schedule = { majorFrame: "1ms", windows: [{ length: "1ms", partitions: ["a"] }] }; },
      /^schedule\.windows: partition "b" is in no window: it would never run$/],
    ["RAM beyond the limit", (d) => { d.partitions[0].ram = "2G"; }, /^partitions\[0\]\.ram: "2G" is not a valid RAM size: use a multiple of 4 KiB from 64K to 1G$/],
    ["RAM not in pages", (d) => { d.partitions[0].ram = 70000 as unknown as string; }, /^partitions\[0\]\.ram: 70000 is not a valid RAM size/],
    ["too much RAM in all", (d) => { d.partitions[0].ram = "1G"; d.partitions[1].ram = "1G"; }, /^partitions: 2048 MiB of RAM and shared regions in all: at most 1536 MiB$/],
    ["a duplicate name", (d) => { d.partitions[1].name = "a"; }, /^partitions\[1\]\.name: "a" is already the name of partitions\[0\]$/],
    ["a bad mode", (d) => { (d.partitions[0] as Record<string, unknown>).mode = "hypervisor"; }, /^partitions\[0\]\.mode: "hypervisor": expected "machine" or "supervisor"$/],
    ["an unknown field", (d) => { (d.partitions[0] as Record<string, unknown>).rma = "1M"; }, /^partitions\[0\]\.rma: unknown field; the fields here are name, image, firmware, kernel, mode/],
    ["a bad duration", (d) => { d.quantum = "fast"; }, /^quantum: "fast" is not a duration: write microseconds/],
    ["bootargs on a machine-mode partition", (d) => { (d.partitions[0] as Record<string, unknown>).bootargs = "quiet"; }, /only supervisor-mode partitions and firmware boots have a device tree/],
    ["pp at the lower priority", (d) => { d.channels = [{ name: "ch", ends: [{ partition: "a", id: 0, pp: true }, { partition: "b", id: 0 }] }]; },
      /^channels\[0\]\.ends\[0\]\.pp: "a" \(priority 0\) must have a higher priority than its caller "b" \(priority 0\)/],
    ["a passive partition nobody can call", (d) => { (d.partitions[1] as Record<string, unknown>).passive = true; d.schedule = { majorFrame: "1ms", windows: [{ length: "1ms", partitions: ["a"] }] }; },
      /^partitions\[1\]\.passive: "b" is passive but accepts no protected calls/],
    ["a passive partition in a window", (d) => {
      (d.partitions[1] as Record<string, unknown>).passive = true;
      (d.partitions[1] as Record<string, unknown>).priority = 5;
      d.channels = [{ name: "c", ends: [{ partition: "a", id: 0 }, { partition: "b", id: 0, pp: true }] }];
      d.schedule = { majorFrame: "1ms", windows: [{ length: "1ms", partitions: ["a", "b"] }] };
    },
      /^schedule\.windows\[0\]\.partitions: "b" is passive: it runs only on its callers' time and belongs in no window$/],
    ["a channel region a partition does not map", (d) => { d.memoryRegions = [{ name: "x", size: "4K" }]; d.channels = [{ name: "c", region: "x", ends: [{ partition: "a", id: 0 }, { partition: "b", id: 0 }] }]; },
      /^channels\[0\]\.region: "x" goes with this channel, so "a" must map it/],
    ["a mapping over the channel doorbells", (d) => {
      d.memoryRegions = [{ name: "x", size: "4K" }];
      (d.partitions[0] as Record<string, unknown>).mappings = [{ region: "x", address: "0x11002000" }];
      d.channels = [{ name: "c", ends: [{ partition: "a", id: 0 }, { partition: "b", id: 0 }] }];
    }, /^partitions\[0\]\.mappings\[0\]\.address: region "x" overlaps the channel doorbells \(0x11000000-0x1103efff\)$/],
    ["a bad disk mode", (d) => { (d.partitions[0] as Record<string, unknown>).disk = { file: "d.img", mode: "fast" }; },
      /^partitions\[0\]\.disk\.mode: "fast": expected "writethrough" or "rapilog"$/],
    ["a RapiLog buffer too small", (d) => { (d.partitions[0] as Record<string, unknown>).disk = { file: "d.img", mode: "rapilog", buffer: "1K" }; },
      /^partitions\[0\]\.disk\.buffer: "1K" is not a valid buffer size: use 4K to 256M$/],
    ["a read-only RapiLog disk", (d) => { (d.partitions[0] as Record<string, unknown>).disk = { file: "d.img", mode: "rapilog", readOnly: true }; },
      /^partitions\[0\]\.disk\.mode: a read-only disk has nothing to buffer: rapilog needs a writable disk$/],
    ["an unknown disk field", (d) => { (d.partitions[0] as Record<string, unknown>).disk = { file: "d.img", cache: "none" }; },
      /^partitions\[0\]\.disk\.cache: unknown field; the fields here are file, readOnly, mode, buffer/],
    ["a mapping over the virtio-mmio slots (all eight answer, with a device or not)", (d) => {
      d.memoryRegions = [{ name: "x", size: "4K" }];
      (d.partitions[0] as Record<string, unknown>).mappings = [{ region: "x", address: "0x10005000" }];
    }, /^partitions\[0\]\.mappings\[0\]\.address: region "x" at 0x10005000-0x10005fff overlaps the virtio-mmio slots \(0x10001000-0x10008fff\)$/],
    ["a mapping over the RTC", (d) => {
      d.memoryRegions = [{ name: "x", size: "4K" }];
      (d.partitions[0] as Record<string, unknown>).mappings = [{ region: "x", address: "0x101000" }];
    }, /^partitions\[0\]\.mappings\[0\]\.address: region "x" at 0x101000-0x101fff overlaps the Goldfish RTC \(0x101000-0x101fff\)$/],
    ["an RTC epoch that is no date", (d) => { d.rtcEpoch = "2026-02-30T00:00:00Z"; },
      /^rtcEpoch: "2026-02-30T00:00:00Z" is not a start for the real-time clock: write a UTC date and time such as "2026-01-01T00:00:00Z", or whole seconds since 1970-01-01T00:00:00Z, up to 2500-01-01T00:00:00Z$/],
    ["a channel id used twice", (d) => { d.channels = [{ name: "c1", ends: [{ partition: "a", id: 3 }, { partition: "b", id: 0 }] }, { name: "c2", ends: [{ partition: "a", id: 3 }, { partition: "b", id: 1 }] }]; },
      /^channels\[1\]\.ends\[0\]\.id: partition "a" already uses channel id 3 \(channels\[0\]\)$/],
  ];
  for (const [what, mutate, message] of cases) {
    it(`reports ${what}`, () => {
      const d = base() as ReturnType<typeof base> & Record<string, unknown>;
      mutate(d);
      const found = problems(d);
      expect(found.some((p) => message.test(p)), `${found.join("\n")}`).toBe(true);
    });
  }

  it("the RTC epoch: a UTC date and time to the second, or seconds since 1970, up to 2500", () => {
    expect(validateSystem({ ...base(), rtcEpoch: "2001-09-09T01:46:40Z" }).rtcEpoch).toBe(1_000_000_000);
    expect(validateSystem({ ...base(), rtcEpoch: 0 }).rtcEpoch).toBe(0);
    expect(parseRtcEpoch("2024-02-29T23:59:59Z")).toBe(1_709_251_199);
    expect(parseRtcEpoch("2500-01-01T00:00:00Z")).toBe(16_725_225_600);
    for (const bad of ["2023-02-29T00:00:00Z", "2026-01-01", "2026-01-01T00:00:00", "2026-01-01T00:00:00+01:00",
      "2026-01-01T24:00:00Z", "2026-01-01T00:00:00.5Z", "1969-12-31T23:59:59Z", "2500-01-01T00:00:01Z", -1, 1.5, 16_725_225_601, true, null]) {
      expect(parseRtcEpoch(bad), JSON.stringify(bad)).toBeNull();
    }
  });

  it("reports every problem at once, each with its path", () => {
    const found = problems({
      cyclesPerTick: 0,
      partitions: [{ name: "1bad", image: "" }, { name: "ok", image: "x", priority: 300, devices: ["uart", "gpu"] }],
      schedule: { majorFrame: "-1ms", windows: [] },
      extra: true,
    });
    expect(found.map((p) => p.split(":")[0]).sort()).toEqual([
      "cyclesPerTick", "extra", "partitions[0].image", "partitions[0].name", "partitions[1].devices[1]",
      "partitions[1].priority", "schedule.majorFrame", "schedule.windows",
    ]);
  });

  it("not an object, no partitions", () => {
    expect(problems([])).toEqual([": the system description must be a JSON object"]);
    expect(problems({})).toEqual(["partitions: must be a non-empty array of partitions"]);
  });

  it("nothing starts: the Hypervisor constructor throws before any core exists", () => {
    expect(() => new Hypervisor({ partitions: [] }, { loadImage: () => { throw new Error("must not load"); } })).toThrow(ConfigError);
  });
});

describe("description files", () => {
  const dir = mkdtempSync(join(tmpdir(), "wasmvisor-config-"));
  const write = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };
  const fileProblems = (path: string) => {
    try { loadSystemFile(path); } catch (err) { if (err instanceof ConfigError) return err.message; throw err; }
    return "";
  };

  it("JSON syntax errors name the line and column", () => {
    const p = write("syntax.json", '{\n  "partitions": [\n    { "name": "a", }\n  ]\n}\n');
    expect(fileProblems(p)).toMatch(/syntax\.json: not valid JSON at line 3, column \d+/);
  });
  it("a missing file", () => {
    expect(fileProblems(join(dir, "none.json"))).toMatch(/none\.json: cannot read the file: ENOENT \(it does not exist\)/);
  });
  it("missing and invalid images, and images too big for their RAM (paths relative to the file)", () => {
    copyFileSync(guestPath("hello"), join(dir, "hello.elf"));
    copyFileSync(guestPath("bench"), join(dir, "bench.elf")); // 71 KiB of segments
    write("notelf.bin", "hello");
    const p = write("images.json", JSON.stringify({
      partitions: [
        { name: "a", image: "missing.elf" },
        { name: "b", image: "notelf.bin" },
        { name: "c", image: "bench.elf", ram: "64K" },
        { name: "d", image: "hello.elf", ram: "1M" },
        { name: "e", image: "bench.elf", ram: "128K", mode: "supervisor" },
      ],
    }));
    const msg = fileProblems(p);
    expect(msg).toMatch(/partitions\[0\]\.image: missing\.elf does not exist \(looked for .*missing\.elf\)/);
    expect(msg).toMatch(/partitions\[1\]\.image: notelf\.bin: neither an ELF executable nor a RISC-V Linux Image/);
    expect(msg).toMatch(/partitions\[2\]\.image: bench\.elf: segment \d+ \(0x[0-9a-f]+, \d+ bytes\) does not fit in the partition's RAM \(0x80000000, 65536 bytes\): give it more "ram"/);
    expect(msg).not.toMatch(/partitions\[3\]/);
    expect(msg).toMatch(/partitions\[4\]\.image: bench\.elf: segment \d+ .* reaches into the last 64 KiB of RAM, where a supervisor-mode partition's device tree goes/);
  });
});

describe("the JSON Schema", () => {
  const schema = JSON.parse(readFileSync(join(ROOT, "schema", "system.schema.json"), "utf8"));
  const ajv = new Ajv2020.default({ allErrors: true, strict: false });
  const check = ajv.compile(schema);

  it("accepts every example in examples/, which the validator also accepts", () => {
    const examples = readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".json"));
    expect(examples.length).toBeGreaterThan(0);
    for (const f of examples) {
      const doc = JSON.parse(readFileSync(join(ROOT, "examples", f), "utf8"));
      expect(check(doc), `${f}: ${JSON.stringify(check.errors)}`).toBe(true);
      try {
        loadSystemFile(join(ROOT, "examples", f));
      } catch (err) {
        // Only the Linux build's outputs may be missing (guests/linux/build.sh makes them).
        if (!(err instanceof ConfigError)) throw err;
        for (const p of err.problems) expect(p.message, `${f}: ${p.path}`).toMatch(/guests\/linux\/build\/.* does not exist/);
      }
    }
  });

  it("rejects by shape what the validator rejects by shape", () => {
    const bad: unknown[] = [
      {},
      { partitions: [] },
      { partitions: [{ name: "a" }] },
      { partitions: [{ name: "a", image: "x", ram: "lots" }] },
      { partitions: [{ name: "a", image: "x", mode: "user" }] },
      { partitions: [{ name: "a", image: "x", priority: 256 }] },
      { partitions: [{ name: "a", image: "x", devices: ["gpu"] }] },
      { partitions: [{ name: "a", image: "x", rma: 1 }] },
      { partitions: [{ name: "a", image: "x", disk: { file: "d", mode: "unsafe" } }] },
      { partitions: [{ name: "a", image: "x", disk: { file: "d", mode: "rapilog", buffer: "big" } }] },
      { partitions: [{ name: "a", image: "x" }], quantum: "fast" },
      { partitions: [{ name: "a", image: "x" }], rtcEpoch: "tomorrow" },
      { partitions: [{ name: "a", image: "x" }], rtcEpoch: -5 },
      { partitions: [{ name: "a", image: "x" }], schedule: { majorFrame: "1ms", windows: [] } },
      { partitions: [{ name: "a", image: "x", mappings: [{ region: "r", address: "0x9000", perms: "wr" }] }] },
      { partitions: [{ name: "a", image: "x", harts: 9 }] },
      { partitions: [{ name: "a", image: "x", harts: 0 }] },
    ];
    for (const doc of bad) {
      expect(check(doc), JSON.stringify(doc)).toBe(false);
      expect(problems(doc).length, JSON.stringify(doc)).toBeGreaterThan(0);
    }
  });
});

describe("describeSystem (what a snapshot carries)", () => {
  it("gives a description the validator turns into the same system again, for every field", () => {
    const docs: unknown[] = readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".json"))
      .map((f) => JSON.parse(readFileSync(join(ROOT, "examples", f), "utf8")));
    docs.push({
      name: "every-field", cyclesPerTick: 7, quantum: "33us", rtcEpoch: "2030-05-06T07:08:09Z",
      memoryRegions: [{ name: "shm", size: "8K" }, { name: "ro", size: "4K" }],
      partitions: [
        { name: "fw", firmware: "fw.elf", kernel: "Image", initrd: "i.cpio", bootargs: "console=ttyS0", ram: "64M", priority: 3, budget: "1ms", period: "2ms" },
        { name: "sh", image: "a.elf", ram: "1M", htif: true, semihosting: { dir: "files", userspace: true, cmdline: "a b" }, mappings: [{ region: "shm", address: "0x90000000", perms: "rw" }, { region: "ro", address: "0x90010000", perms: "rx" }] },
        { name: "srv", image: "b.elf", ram: "64K", priority: 9, passive: true, mappings: [{ region: "shm", address: "0x90000000", perms: "r" }] },
        { name: "lx", image: "Image", mode: "supervisor", harts: 2, ram: "32M", disk: { file: "d.img", mode: "rapilog", buffer: "1M" }, devices: ["uart", "clint", "plic", "virtio-console"] },
      ],
      schedule: { majorFrame: "10ms", windows: [{ length: "4ms", partitions: ["fw", "lx"] }, { start: "5ms", length: "5ms", partitions: ["sh"] }] },
      channels: [
        { name: "call", region: "shm", ends: [{ partition: "sh", id: 0 }, { partition: "srv", id: 2, pp: true }] },
        { name: "note", ends: [{ partition: "fw", id: 1 }, { partition: "lx", id: 5 }] },
      ],
    });
    for (const doc of docs) {
      const config = validateSystem(doc);
      expect(JSON.stringify(validateSystem(describeSystem(config))), JSON.stringify(doc).slice(0, 80)).toBe(JSON.stringify(config));
    }
  });
});
