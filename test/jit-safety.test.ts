// The translator (docs/jit.md) stays exact when bytes change behind the guest's back: every
// write into guest memory that is not a guest store through the store TLB must drop the
// translations of the code it overwrites. Each case runs a hand-made guest with the translator
// on and off, in lockstep (test/support/harness.ts), so a stale translation shows as a
// divergence; without the invalidation the case under test fails.
//
// - The host's writes, all through the one gate (src/vmm/guest-memory.ts): write (the loaders,
//   the GDB stub, the file agent), view (virtio DMA, the SBI console), writeU32, fill.
// - The core's page-table walker setting A/D bits in a page table that shares a page with
//   translated code (its store bypasses the store TLB and the slow paths).
// And hostile guests: jumps and loads and stores in translated code at the edges of RAM and of
// the address space, more hot code than the code cache holds.
import { describe, expect, it } from "vitest";
import { lockstep, makeMachine, guestRamHash, JIT_TEST_HOT } from "./support/harness.ts";
import { Asm, I, li, enc, OP } from "./support/rv-asm.ts";
import { SYS_STAT_JIT_REGIONS, SYS_STAT_JIT_INVALIDATIONS, SYS_STAT_JIT_RETIRED_LO, SYS_JIT_LIVE, JIT_LIVE_MAX } from "../assembly/layout.ts";
import type { Machine } from "../src/machine/machine.ts";
import { WasmBackend } from "../src/jit/wasm-backend.ts";
import type { ElfImage } from "../src/loader/elf.ts";

const RAM = 0x8000_0000;
const A0 = 10, A1 = 11, S1 = 9, T0 = 5, T1 = 6, T2 = 7, T3 = 28, RA = 1;
const stat = (m: Machine, at: number) => new Int32Array(m.core.memory)[at >> 2];
const image = (a: Asm): ElfImage => ({ entry: a.base, segments: [{ paddr: a.base, vaddr: a.base, data: a.bytes(), memsz: a.bytes().length, flags: 7 }] as ElfImage["segments"], symbols: new Map() });

/**
 * A guest that calls F (in its own page) forever, counting in a0 what F adds (1 per call as
 * loaded). The host rewrites F's first instruction while the guest runs.
 */
function callLoop(): { img: ElfImage; f: number } {
  const a = new Asm(RAM);
  a.words([I.addi(A0, 0, 0)]);
  a.label("loop").jal(RA, "F").words([I.addi(A1, A1, 1)]).jal(0, "loop");
  while (a.pc < RAM + 0x1000) a.word(I.addi(0, 0, 0));
  a.label("F").words([I.addi(A0, A0, 1), I.addi(A0, A0, 0), I.jalr(0, RA, 0)]);
  return { img: image(a), f: a.address("F") };
}

/**
 * A lockstep pair for `img` (start(): the pure-TS interpreter and `core` with the translator on)
 * and what the Wasm back end was told (w: regions compiled and let go, the most alive at once;
 * zero on the pure-TS core, whose functions live in its shim).
 */
function watchedPair(img: ElfImage, core: "ts" | "wasm", ramBytes?: number) {
  const w = { machine: null as Machine | null, compiled: 0, released: 0, most: 0 };
  const start = async (): Promise<[Machine, Machine]> => {
    const size = ramBytes ? { ramBytes } : {};
    const a = await makeMachine("ts", { ...size, jit: false });
    const b = await makeMachine(core, { ...size, jit: true, jitHot: JIT_TEST_HOT });
    a.loadImage(img);
    b.loadImage(img);
    Object.assign(w, { machine: b, compiled: 0, released: 0, most: 0 });
    if (b.jit instanceof WasmBackend) {
      const backend = b.jit;
      const compile = backend.compile.bind(backend);
      const release = backend.release.bind(backend);
      backend.compile = (ir: number) => {
        const h = compile(ir);
        if (h > 0) w.most = Math.max(w.most, ++w.compiled - w.released);
        return h;
      };
      backend.release = (handle: number) => { w.released++; release(handle); };
    }
    return [a, b];
  };
  return { w, start };
}

type HostWrite = (m: Machine, gpa: number, insn: number) => void;
const bytesOf = (w: number) => new Uint8Array([w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24]);
const HOST_WRITES: Array<[string, HostWrite]> = [
  ["write (the loaders, the GDB stub, the file agent)", (m, gpa, w) => { expect(m.board.memory.write(gpa, bytesOf(w), "debug")).toBe(true); }],
  ["view (virtio DMA, the SBI console)", (m, gpa, w) => { m.board.memory.view(gpa, 4, "write")!.set(bytesOf(w)); }],
  ["writeU32", (m, gpa, w) => { expect(m.board.memory.writeU32(gpa, w)).toBe(true); }],
  ["fill", (m, gpa) => { expect(m.board.memory.fill(gpa, 4, 0x13)).toBe(true); }], // 0x13131313: addi x6, x6, 0x131
];

describe("jit: host writes into translated code invalidate it (through the memory gate)", () => {
  for (const core of ["ts", "wasm"] as const) for (const [name, write] of HOST_WRITES) {
    it(`${name}, ${core} core`, async () => {
      const { img, f } = callLoop();
      const pair = async (): Promise<[Machine, Machine]> => {
        const a = await makeMachine("ts", { jit: false });
        const b = await makeMachine(core, { jit: true, jitHot: JIT_TEST_HOT });
        a.loadImage(img);
        b.loadImage(img);
        return [a, b];
      };
      const [a, b] = await pair();
      for (const m of [a, b]) m.step(20_000);
      expect(stat(b, SYS_STAT_JIT_REGIONS)).toBeGreaterThan(0);
      const before = stat(b, SYS_STAT_JIT_INVALIDATIONS);
      // F now adds 100 per call (or, for fill, its first instruction is another addi).
      for (const m of [a, b]) write(m, f, I.addi(A0, A0, 100));
      expect(stat(b, SYS_STAT_JIT_INVALIDATIONS)).toBeGreaterThan(before);
      for (const m of [a, b]) m.step(20_000);
      expect(b.registers().x[A0]).toBe(a.registers().x[A0]);
      expect(b.registers().x).toEqual(a.registers().x);
    });
  }

  it("a partition whose code a host write replaces runs the new code (lockstep, written between steps)", async () => {
    const { img, f } = callLoop();
    let n = 0;
    const d = await lockstep(async () => {
      const a = await makeMachine("ts", { jit: false });
      const b = await makeMachine("ts", { jit: true, jitHot: JIT_TEST_HOT });
      a.loadImage(img);
      b.loadImage(img);
      n = 0;
      // Rewrite F every 5,000 units of work (between lockstep's steps of 1,000).
      const step = (m: Machine) => {
        const orig = m.step.bind(m);
        m.step = (budget: number, ...rest: unknown[]) => {
          const r = orig(budget, ...(rest as []));
          if (m.work % 5_000 === 0) m.board.memory.writeU32(f, I.addi(A0, A0, (m.work / 5_000) & 0x7ff));
          return r;
        };
      };
      step(a);
      step(b);
      n++;
      return [a, b];
    }, 60_000, 1_000, guestRamHash);
    expect(d?.detail ?? null).toBeNull();
    expect(n).toBe(1);
  });
});

describe("jit: the page-table walker's A/D update invalidates translated code in its page", () => {
  // The root page table of Sv32 is the page of a hot loop: its entry for 0x8000_0000 (a 4 MiB
  // leaf, V R U, A clear) is at offset 0x800, where the loop executes it as an instruction:
  // 0x2000_0013, addi x0, x0, 0x200 (a no-op). After 200 turns the loop sets mstatus.MPRV (M
  // loads translated as S) and loads through the table: the walker sets A, which makes the word
  // 0x2000_0053, an FP instruction that traps (FS is off). The handler counts in a2 and skips it.
  function adGuest(): ElfImage {
    const a = new Asm(RAM);
    a.words(li(T0, 0x8000_0000 | ((RAM + 0x2000) >>> 12))).words([I.csrrw(0, 0x180, T0)]); // satp
    a.la(T0, "handler").words([I.csrrw(0, 0x305, T0)]); // mtvec
    a.words(li(T0, 0x800 | (1 << 18))).words([I.csrrs(0, 0x300, T0)]); // MPP = S, SUM
    a.words(li(T0, -1)).words([I.csrrw(0, 0x3b0, T0)]).words(li(T0, 0x1f)).words([I.csrrw(0, 0x3a0, T0)]); // PMP: all of memory
    a.words(li(T3, 1 << 17)); // MPRV
    a.words(li(S1, 200)).words(li(T2, RAM + 0x10000));
    a.jal(0, "loop");
    a.label("handler").words([I.csrrs(T0, 0x341, 0), I.addi(T0, T0, 4), I.csrrw(0, 0x341, T0), I.addi(12, 12, 1), I.mret()]);
    while (a.pc < RAM + 0x27f8) a.word(0);
    a.label("loop").words([I.addi(A0, A0, 1), I.addi(S1, S1, -1)]);
    expect(a.pc).toBe(RAM + 0x2800);
    a.word(0x2000_0013); // the root table's entry 0x200: PPN 0x80000, V R U, A and D clear
    a.branch(1, S1, 0, "loop"); // bne s1, x0, loop
    a.words([I.csrrs(0, 0x300, T3), I.lw(T1, T2, 0)]).words(li(S1, 50)).jal(0, "loop");
    return image(a);
  }

  for (const core of ["ts", "wasm"] as const) it(`${core} core: the guest traps at the rewritten word with the translator on, as without it`, async () => {
    const img = adGuest();
    let jitted: Machine | null = null;
    const d = await lockstep(async () => {
      const a = await makeMachine("ts", { jit: false });
      const b = await makeMachine(core, { jit: true, jitHot: JIT_TEST_HOT });
      a.loadImage(img);
      b.loadImage(img);
      jitted = b;
      return [a, b];
    }, 30_000, 997, guestRamHash);
    expect(d?.detail ?? null).toBeNull();
    expect(stat(jitted!, SYS_STAT_JIT_REGIONS)).toBeGreaterThan(0);
    expect(jitted!.registers().x[12]).toBeGreaterThan(10); // the word did trap
  });
});

describe("jit: hostile branch targets (taken-branch counters, return sites, entries at every block)", () => {
  // A hot loop that jumps where a guest should not: outside RAM (2^32 - 2, 0, just below RAM),
  // to RAM's last halfword, and through a call whose return site is in the next page (the
  // region must not follow it there); beside it a second hot loop 16 KiB away, whose targets
  // share the first's taken-branch counters and directory entries (8192 counters and 4096
  // entries, by pc / 2), so counters run out for the other's target and translated entries,
  // borrowed ones included, are stolen and dropped. Every jump outside RAM faults; the handler
  // counts it in s1 and returns to ra. The translator must change nothing the guest sees.
  const RAM_BYTES = 0x10_0000;
  const S2 = 18, S3 = 19;
  function hostileTargets(): ElfImage {
    const a = new Asm(RAM);
    a.la(T0, "handler").words([I.csrrw(0, 0x305, T0)]); // mtvec
    a.jal(0, "loop");
    a.label("handler").words([I.addi(S1, S1, 1), I.csrrw(0, 0x341, RA), I.mret()]); // mepc = ra
    while (a.pc < RAM + 0x100) a.word(I.addi(0, 0, 0));
    a.label("loop").words([I.addi(A0, A0, 1)]);
    a.jal(RA, "edge"); // its call's return site is in the next page
    for (const target of [-2, 0, RAM - 2, RAM + RAM_BYTES - 2]) a.words(li(T1, target)).words([I.jalr(RA, T1, 0)]);
    // (twin every 64th turn only: the first loop's region owns the shared entry by then)
    a.words([I.andi(T0, A0, 63)]).branch(1, T0, 0, "skip").jal(RA, "twin");
    a.label("skip").jal(0, "loop");
    while (a.pc < RAM + 0xff8) a.word(I.addi(0, 0, 0));
    a.label("edge").words([I.addi(S2, RA, 0)]); // at the page's last two words
    a.jal(RA, "leaf"); // return site: the next page
    expect(a.pc).toBe(RAM + 0x1000);
    a.words([I.jalr(0, S2, 0)]);
    a.label("leaf").words([I.addi(A1, A1, 1), I.jalr(0, RA, 0)]);
    // "twin": its inner loop's head is loop + 16 KiB (the same counter and directory entry). Its
    // CSR read ends translated code at every turn, so the head is probed 300 times in a row and
    // takes the shared entry from the first loop's region, whose borrowed entries go with it.
    while (a.pc < RAM + 0x40fc) a.word(I.addi(0, 0, 0));
    a.label("twin").words(li(S3, 300));
    expect(a.pc).toBe(a.address("loop") + 0x4000);
    a.label("inner").words([I.addi(S3, S3, -1), I.csrrs(T2, 0x340, 0), I.addi(A1, A1, 2)]).branch(1, S3, 0, "inner").words([I.jalr(0, RA, 0)]);
    return image(a);
  }

  for (const core of ["ts", "wasm"] as const) it(`${core} core: the same as the interpreter, every fault taken`, async () => {
    const { w, start } = watchedPair(hostileTargets(), core, RAM_BYTES);
    const d = await lockstep(start, 400_000, 1_009, guestRamHash);
    expect(d?.detail ?? null).toBeNull();
    const m = w.machine!;
    expect(stat(m, SYS_STAT_JIT_REGIONS)).toBeGreaterThan(0);
    expect(stat(m, SYS_STAT_JIT_RETIRED_LO)).toBeGreaterThan(100_000);
    const x = m.registers().x;
    expect(x[S1]).toBeGreaterThan(4 * 100); // every hostile jump faulted, again and again
    expect(x[S1]).toBeGreaterThanOrEqual(4 * (x[A0] - 1));
    if (core === "wasm") expect(w.released).toBeGreaterThan(0); // an entry was stolen, its region let go
  });
});

describe("jit: hostile loads and stores in translated code (the edges of RAM and of the address space)", () => {
  // A hot loop that calls, in turn, small functions each doing one access where a guest may
  // not, or only just may: RAM's last word (allowed), straddling RAM's end, just past it, just
  // below it, the top of the address space, straddling 2^32, address 0, and addresses that only
  // base + offset puts past RAM's end or wraps past 2^32. Each access's function and each call's
  // return site is a block of the loop's region, and the fault handler returns to ra, so every
  // access runs in translated code: its inline TLB compare must send it to the interpreter, which
  // faults as it would alone (mtval and mcause folded into a2 and a3, counted in s1).
  const RAM_BYTES = 0x10_0000;
  const END = RAM + RAM_BYTES;
  const A2 = 12, A3 = 13;
  const load = (f3: number, rd: number, base: number, imm: number) => enc.i(OP.LOAD, f3, rd, base, imm);
  const store = (f3: number, base: number, rs2: number, imm: number) => enc.s(OP.STORE, f3, base, rs2, imm);
  // [base address, the access (t1: the base, a0: the value stored)]
  const ACCESSES: Array<[number, number]> = [
    [END - 4, store(2, T1, A0, 0)], // RAM's last word: allowed
    [END - 4, load(2, T0, T1, 0)], // (read back)
    [END - 2, load(2, T0, T1, 0)], // a word straddling RAM's end
    [END - 1, store(1, T1, A0, 0)], // a halfword straddling it
    [END, store(2, T1, A0, 0)], // just past RAM
    [RAM - 4, load(2, T0, T1, 0)], // just below RAM
    [-4, load(2, T0, T1, 0)], // the top of the address space
    [-1, load(1, T0, T1, 0)], // a halfword straddling 2^32
    [0, store(0, T1, A0, 0)], // address 0
    [END - 4, load(2, T0, T1, 4)], // base + offset: RAM's end
    [-4, load(2, T0, T1, 8)], // base + offset: past 2^32, to 4
  ];
  function hostileAccesses(): ElfImage {
    const a = new Asm(RAM);
    a.la(T0, "handler").words([I.csrrw(0, 0x305, T0)]); // mtvec
    a.jal(0, "loop");
    a.label("handler").words([
      I.addi(S1, S1, 1),
      I.csrrs(T3, 0x343, 0), enc.r(OP.OP, 4, 0, A2, A2, T3), // a2 ^= mtval
      I.csrrs(T3, 0x342, 0), I.add(A3, A3, T3), // a3 += mcause
      I.csrrw(0, 0x341, RA), I.mret(), // back to the call's return site
    ]);
    a.label("loop").words([I.addi(A0, A0, 1)]);
    ACCESSES.forEach((_, k) => a.jal(RA, `access${k}`).words([I.add(A1, A1, T0)]));
    a.jal(0, "loop");
    ACCESSES.forEach(([base, access], k) => a.label(`access${k}`).words(li(T1, base)).words([access, I.jalr(0, RA, 0)]));
    expect(a.pc).toBeLessThan(RAM + 0x1000); // (one page: one region)
    return image(a);
  }

  for (const core of ["ts", "wasm"] as const) it(`${core} core: the same as the interpreter, every fault taken where it would be`, async () => {
    const { w, start } = watchedPair(hostileAccesses(), core, RAM_BYTES);
    const d = await lockstep(start, 400_000, 1_009, guestRamHash);
    expect(d?.detail ?? null).toBeNull();
    const m = w.machine!;
    expect(stat(m, SYS_STAT_JIT_REGIONS)).toBeGreaterThan(0);
    expect(stat(m, SYS_STAT_JIT_RETIRED_LO)).toBeGreaterThan(50_000);
    const x = m.registers().x;
    // At least the six accesses outside RAM fault at every turn (the straddling ones too, or
    // the core does them in parts: the interpreter decides, and lockstep holds it to that).
    expect(x[S1]).toBeGreaterThanOrEqual(6 * (x[A0] - 1));
    expect(x[A0]).toBeGreaterThan(100);
  });
});

describe("jit: a guest with more hot code than the code cache holds", () => {
  // 600 small loops, each hot at its every call (100 turns), called in turn forever: more live
  // regions than JIT_LIVE_MAX (512), so the translator must drop them all (jitFlush) and start
  // again rather than keep a module or function per region without end. Each loop is one block
  // branching to its own start (a back end's self-loop); loops 12 bytes apart have directory
  // entries of their own, and a few straddle a page (their region stops at its end).
  const LOOPS = 600;
  const S2 = 18, S3 = 19;
  function manyLoops(): ElfImage {
    const a = new Asm(RAM);
    a.label("main").words([...li(S2, RAM + 0x1000), ...li(S3, LOOPS)]);
    a.label("outer").words([...li(T0, 100), I.jalr(RA, S2, 0), I.addi(S2, S2, 12), I.addi(S3, S3, -1)]);
    a.branch(1, S3, 0, "outer").jal(0, "main");
    while (a.pc < RAM + 0x1000) a.word(I.addi(0, 0, 0));
    for (let k = 0; k < LOOPS; k++) {
      a.label(`l${k}`).words([I.addi(T0, T0, -1)]).branch(1, T0, 0, `l${k}`).words([I.jalr(0, RA, 0)]);
    }
    return image(a);
  }

  for (const core of ["ts", "wasm"] as const) it(`${core} core: the same as the interpreter; regions alive never above 512, the cache dropped when full`, async () => {
    const { w, start } = watchedPair(manyLoops(), core);
    const d = await lockstep(start, 700_000, 10_007, guestRamHash);
    expect(d?.detail ?? null).toBeNull();
    const m = w.machine!;
    expect(stat(m, SYS_STAT_JIT_REGIONS)).toBeGreaterThan(LOOPS);
    expect(stat(m, SYS_STAT_JIT_INVALIDATIONS)).toBeGreaterThan(0);
    expect(stat(m, SYS_JIT_LIVE)).toBeLessThanOrEqual(JIT_LIVE_MAX);
    expect(stat(m, SYS_JIT_LIVE)).toBeGreaterThan(0);
    expect(stat(m, SYS_STAT_JIT_RETIRED_LO)).toBeGreaterThan(350_000);
    if (core === "wasm") {
      expect(w.most).toBe(JIT_LIVE_MAX);
      expect(w.compiled - w.released).toBe(stat(m, SYS_JIT_LIVE));
    }
  });
});
