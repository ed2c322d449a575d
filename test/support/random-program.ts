// Seeded random instruction streams for differential testing of the two cores.
//
// A program is a prologue, an M-mode trap handler, an S-mode trap handler and a body of random
// instructions that loops forever; the run is bounded by the test's budget. The body mixes every
// instruction class: ALU and M-extension ops, loads and stores (aligned and misaligned, in and
// out of mapped memory), branches and jumps, AMOs and LR/SC, compressed encodings, CSR
// accesses, ECALL/EBREAK/xRET/WFI/SFENCE.VMA, F and D instructions (arithmetic, FMA, conversions,
// compares, moves, loads and stores, compressed ones, fcsr; random rounding modes, reserved ones
// included) and raw random words (mostly illegal).
//
// Per seed the prologue picks: mstatus.FS on (usually) or Off, Sv32 on or off (with random permissions and A/D bits on the data
// pages), which exceptions and interrupts are delegated to S, and the interrupt enables. The
// M handler skips the trapping instruction and returns to a privilege level that rotates
// through M, S and U, so all three run random code; fetch faults restart the body.
//
// Memory (RAM at 0x8000_0000, 2 MiB):
//   0x8000_0000 prologue   0x8000_1000 M handler   0x8000_2000 S handler
//   0x8001_0000 body       0x8008_0000 data (16 KiB)   0x8009_0000 save area
//   0x800a_0000 page tables (root, one level-0 table for 0x8000_0000-0x803f_ffff)

import { Asm, I, enc, li, OP } from "./rv-asm.ts";
import type { ElfImage } from "../../src/loader/elf.ts";

export const RANDOM_RAM_BYTES = 2 << 20;
const PROLOGUE = 0x80000000;
const M_HANDLER = 0x80001000;
const S_HANDLER = 0x80002000;
const BODY = 0x80010000;
const DATA = 0x80080000;
const DATA_SIZE = 0x4000;
const SAVE = 0x80090000;
const ROOT = 0x800a0000;
const L0 = 0x800a1000;

// Registers with fixed roles in the body.
const DATA_PTR = 8; // s0: middle of the data region
const SCRATCH = 31; // t6: handler scratch (swapped through mscratch/sscratch)

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomProgram {
  image: ElfImage;
  paging: boolean;
}

export function randomProgram(seed: number, bodyLength = 1500): RandomProgram {
  const rand = rng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const chance = (p: number) => rand() < p;
  const word32 = () => (int(0x10000) | (int(0x10000) << 16)) >>> 0;
  const paging = chance(0.6);
  const fpOn = chance(0.85); // mstatus.FS = Initial (random mstatus writes may turn it off again)

  // ── Page tables: identity 4 KiB pages over the first 4 MiB ──
  const tables = new Uint8Array(0x2000);
  const tv = new DataView(tables.buffer);
  tv.setUint32(0x200 * 4, ((L0 >>> 12) << 10) | 1, true); // root[0x200] → L0
  const userCode = chance(0.3); // code pages U: then S cannot execute, U can
  for (let i = 0; i < 1024; i++) {
    const pa = 0x80000000 + i * 4096;
    let flags = 0x1 | 0x2 | 0x4 | 0x8 | 0x40 | 0x80; // V R W X A D
    // The S handler and the save area stay S-only, so S can always run its handler.
    if (userCode && pa !== S_HANDLER && pa !== SAVE) flags |= 0x10;
    if (pa >= DATA && pa < DATA + DATA_SIZE) {
      // Data pages: random permissions, some reserved or invalid; A/D often clear.
      flags = pick([0x07, 0x03, 0x0f, 0x09, 0x05, 0x00, 0x17, 0x13, 0x1f, 0x07, 0x07]) | (chance(0.5) ? 0x40 : 0) | (chance(0.5) ? 0x80 : 0);
    }
    tv.setUint32(i * 4 + 0x1000, (((pa >>> 12) << 10) | flags) >>> 0, true);
  }
  const satp = paging ? (0x80000000 | (int(512) << 22) | (ROOT >>> 12)) >>> 0 : 0;
  const medeleg = paging && chance(0.5) ? pick([0x0104, 0xb000, 0xb104, 0x0100, 0x0004]) : 0;
  const mideleg = chance(0.4) ? pick([0x2, 0x22, 0x222, 0x20]) : 0;

  // ── Prologue (M-mode) ──
  const pro = new Asm(PROLOGUE);
  pro.words(li(5, M_HANDLER)).word(I.csrrw(0, 0x305, 5)); // mtvec
  pro.words(li(5, S_HANDLER)).word(I.csrrw(0, 0x105, 5)); // stvec
  pro.words(li(5, satp)).word(I.csrrw(0, 0x180, 5));
  pro.words(li(5, medeleg)).word(I.csrrw(0, 0x302, 5));
  pro.words(li(5, mideleg)).word(I.csrrw(0, 0x303, 5));
  pro.words(li(5, 7)).word(I.csrrw(0, 0x306, 5)).word(I.csrrw(0, 0x106, 5)); // counters for S/U
  // Open PMP for S and U (one NAPOT entry over everything), as firmware does.
  pro.words(li(5, -1)).word(I.csrrw(0, 0x3b0, 5)).words(li(5, 0x1f)).word(I.csrrw(0, 0x3a0, 5));
  pro.words(li(5, pick([0x80, 0x2a2, 0x2a2, 0xaaa]))).word(I.csrrw(0, 0x304, 5)); // mie (MTIE mostly)
  // Arm the timer, so WFI usually wakes up (the M handler re-arms it on every interrupt).
  pro.words(li(5, 0x02004000)).words(li(6, 1000 + int(3000))).word(I.sw(6, 5, 0)).word(I.sw(0, 5, 4));
  for (let r = 1; r < 32; r++) if (r !== DATA_PTR && r !== SCRATCH) pro.words(li(r, pick([word32(), int(64), -int(64), DATA + int(DATA_SIZE)])));
  pro.words(li(DATA_PTR, DATA + DATA_SIZE / 2));
  if (fpOn) {
    // f0-f31 from the random data: doubles of random bits, some of them singles (NaN-boxed)
    pro.word(I.lui(5, 2)).word(I.csrrs(0, 0x300, 5));
    for (let fr = 0; fr < 32; fr++) {
      const single = chance(0.3);
      pro.word(((((fr * 8) & 0xfff) << 20) | (DATA_PTR << 15) | ((single ? 2 : 3) << 12) | (fr << 7) | 0x07) >>> 0);
    }
  }
  pro.words(li(5, BODY)).word(I.csrrw(0, 0x341, 5)); // mepc
  pro.words(li(5, (pick([0, 1, 3]) << 11) | (fpOn ? 1 << 13 : 0))).word(I.csrrw(0, 0x300, 5)); // mstatus: MPP, FS
  pro.word(I.mret());

  // ── M-mode trap handler ──
  // mscratch keeps the interrupted t6. MPRV is cleared first, so the handler's own accesses are
  // untranslated whatever the random code left in mstatus.
  const mh = new Asm(M_HANDLER);
  mh.word(I.csrrw(SCRATCH, 0x340, SCRATCH));
  mh.word(I.lui(SCRATCH, 0x20)).word(I.csrrc(0, 0x300, SCRATCH)); // mstatus.MPRV = 0
  mh.words(li(SCRATCH, SAVE));
  mh.word(I.sw(5, SCRATCH, 0)).word(I.sw(6, SCRATCH, 4)).word(I.sw(7, SCRATCH, 8));
  mh.word(I.csrrs(5, 0x342, 0)); // t0 = mcause
  mh.branch(4, 5, 0, "irq"); // blt t0, x0
  for (const c of [0, 1, 12]) mh.words(li(6, c)).branch(0, 5, 6, "restart"); // fetch faults
  // Every 50th exception restarts the body (resetting translation and delegation).
  mh.word(I.lw(6, SCRATCH, 12)).word(I.addi(6, 6, 1)).word(I.sw(6, SCRATCH, 12));
  mh.words(li(7, 50)).branch(6, 6, 7, "skip"); // bltu t1, t2
  mh.word(I.sw(0, SCRATCH, 12)).jal(0, "restart");
  mh.label("skip");
  mh.word(I.csrrs(5, 0x341, 0)); // t0 = mepc
  mh.word(I.lhu(6, 5, 0)).word(I.andi(6, 6, 3)).word(I.addi(5, 5, 2));
  mh.words(li(7, 3)).branch(1, 6, 7, "short").word(I.addi(5, 5, 2)).label("short");
  mh.word(I.csrrw(0, 0x341, 5));
  // Return to the next privilege level of the rotation M → S → U.
  mh.label("rotate");
  mh.word(I.lw(6, SCRATCH, 16)).word(I.addi(6, 6, 1));
  mh.words(li(7, 3)).branch(6, 6, 7, "rot_ok").word(I.addi(6, 0, 0)).label("rot_ok");
  mh.word(I.sw(6, SCRATCH, 16));
  mh.words(li(7, 0x1800)).word(I.csrrc(0, 0x300, 7));
  mh.words(li(7, 0x0800)).branch(0, 6, 0, "to_s").word(I.addi(7, 0, 0));
  mh.words(li(5, 1)).branch(0, 6, 5, "to_u").words(li(7, 0x1800)).jal(0, "to_s");
  mh.label("to_u").word(I.addi(7, 0, 0));
  mh.label("to_s").word(I.csrrs(0, 0x300, 7));
  mh.label("out");
  mh.word(I.lw(5, SCRATCH, 0)).word(I.lw(6, SCRATCH, 4)).word(I.lw(7, SCRATCH, 8));
  mh.word(I.csrrw(SCRATCH, 0x340, SCRATCH)).word(I.mret());
  mh.label("irq");
  // Clear the interrupt sources: software mip bits, the CLINT's msip; the timer is re-armed
  // 200-ish ticks ahead (mtimecmp = mtime + 200, high word kept).
  mh.words(li(6, 0x222)).word(I.csrrc(0, 0x344, 6));
  mh.words(li(6, 0x02000000)).word(I.sw(0, 6, 0));
  mh.words(li(6, 0x0200bff8)).word(I.lw(7, 6, 0)).word(I.addi(7, 7, 200));
  mh.words(li(6, 0x02004000)).word(I.sw(7, 6, 0)).word(I.sw(0, 6, 4));
  mh.jal(0, "out");
  mh.label("restart");
  mh.words(li(5, BODY)).word(I.csrrw(0, 0x341, 5));
  mh.words(li(5, satp)).word(I.csrrw(0, 0x180, 5));
  mh.word(I.sfence(0, 0));
  mh.words(li(5, medeleg)).word(I.csrrw(0, 0x302, 5));
  mh.words(li(5, 0x007e19aa)).word(I.csrrc(0, 0x300, 5)); // mstatus back to a sane state
  if (fpOn) mh.word(I.lui(5, 2)).word(I.csrrs(0, 0x300, 5)); // FS on again (random writes turn it off)
  mh.jal(0, "rotate");

  // ── S-mode trap handler: skip the instruction (fetch faults and every 50th: ECALL to M) ──
  const sh = new Asm(S_HANDLER);
  sh.word(I.csrrw(SCRATCH, 0x140, SCRATCH));
  sh.words(li(SCRATCH, SAVE + 64));
  sh.word(I.sw(5, SCRATCH, 0)).word(I.sw(6, SCRATCH, 4));
  sh.word(I.csrrs(5, 0x142, 0)); // scause
  sh.branch(4, 5, 0, "sirq");
  for (const c of [1, 12]) sh.words(li(6, c)).branch(0, 5, 6, "to_m");
  sh.word(I.lw(6, SCRATCH, 8)).word(I.addi(6, 6, 1)).word(I.sw(6, SCRATCH, 8));
  sh.words(li(5, 50)).branch(6, 6, 5, "sskip").word(I.sw(0, SCRATCH, 8)).jal(0, "to_m");
  sh.label("sskip");
  sh.word(I.csrrs(5, 0x141, 0)).word(I.lhu(6, 5, 0)).word(I.andi(6, 6, 3)).word(I.addi(5, 5, 2));
  sh.words(li(7, 3)); // (t2 is not saved: the S handler may clobber it, like any body instruction)
  sh.branch(1, 6, 7, "sshort").word(I.addi(5, 5, 2)).label("sshort");
  sh.word(I.csrrw(0, 0x141, 5));
  sh.label("sout");
  sh.word(I.lw(5, SCRATCH, 0)).word(I.lw(6, SCRATCH, 4));
  sh.word(I.csrrw(SCRATCH, 0x140, SCRATCH)).word(I.sret());
  sh.label("sirq");
  sh.words(li(6, 0x222)).word(I.csrrc(0, 0x144, 6)).jal(0, "sout");
  sh.label("to_m");
  sh.word(I.lw(5, SCRATCH, 0)).word(I.lw(6, SCRATCH, 4));
  sh.word(I.csrrw(SCRATCH, 0x140, SCRATCH)).word(I.ecall());

  // ── Body ──
  const body = new Asm(BODY);
  const dest = () => { let r; do r = 1 + int(31); while (r === DATA_PTR || r === SCRATCH); return r; };
  const src = () => int(32);
  const cdest = () => pick([9, 10, 11, 12, 13, 14, 15]); // x8 (the data pointer) is never written
  const CSRS = [0x300, 0x304, 0x344, 0x100, 0x104, 0x144, 0x140, 0x141, 0x142, 0x143, 0x180, 0x320,
    0xb00, 0xb02, 0xb80, 0xb82, 0xc00, 0xc01, 0xc02, 0xc81, 0x306, 0x106, 0x30a, 0x10a, 0xf14, 0x301,
    0x3a0, 0x7a0, 0x7a1, 0x7a2, 0x7a4, 0x800];
  const labels: number[] = [];
  for (let n = 0; n < bodyLength; n++) {
    body.label(`L${n}`);
    labels.push(n);
    const fwd = () => `L${Math.min(bodyLength, n + 1 + int(8))}`;
    if (chance(0.12)) {
      // F and D (issue 13): mostly OP-FP and FMA, some loads/stores through the data pointer.
      const f = randomFp(int, pick, chance, dest);
      if (f < 0x10000 && (f & 3) !== 3) body.half(f);
      else body.word(f);
      continue;
    }
    const k = rand();
    if (k < 0.22) {
      const [f3, f7] = pick([[0, 0], [0, 0x20], [1, 0], [2, 0], [3, 0], [4, 0], [5, 0], [5, 0x20], [6, 0], [7, 0],
        [0, 1], [1, 1], [2, 1], [3, 1], [4, 1], [5, 1], [6, 1], [7, 1]]);
      body.word(enc.r(OP.OP, f3, f7, dest(), src(), src()));
    } else if (k < 0.38) {
      const f3 = pick([0, 1, 2, 3, 4, 5, 6, 7]);
      const imm = f3 === 1 ? int(32) : f3 === 5 ? (int(32) | (chance(0.5) ? 0x400 : 0)) : int(4096) - 2048;
      body.word(enc.i(OP.OPIMM, f3, dest(), src(), imm));
    } else if (k < 0.42) {
      body.word(chance(0.5) ? enc.u(OP.LUI, dest(), int(1 << 20)) : enc.u(OP.AUIPC, dest(), int(1 << 20)));
    } else if (k < 0.52) {
      const base = chance(0.85) ? DATA_PTR : src();
      body.word(enc.i(OP.LOAD, pick([0, 1, 2, 4, 5]), dest(), base, int(4096) - 2048));
    } else if (k < 0.59) {
      const base = chance(0.85) ? DATA_PTR : src();
      body.word(enc.s(OP.STORE, pick([0, 1, 2]), base, src(), int(4096) - 2048));
    } else if (k < 0.66) {
      body.branch(pick([0, 1, 4, 5, 6, 7]), src(), src(), chance(0.9) ? fwd() : `L${Math.max(0, n - int(6))}`);
    } else if (k < 0.67) {
      body.jal(chance(0.5) ? 1 : dest(), fwd());
    } else if (k < 0.675) {
      body.word(I.jalr(dest(), src(), int(4096) - 2048));
    } else if (k < 0.72) {
      // AMO / LR / SC on the data region, mostly aligned.
      const f5 = pick([0x00, 0x01, 0x02, 0x03, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c]);
      const off = chance(0.8) ? int(64) * 4 : int(256);
      body.word(I.addi(9, DATA_PTR, off));
      body.word(enc.r(OP.AMO, 2, (f5 << 2) | int(4), dest(), 9, f5 === 0x02 ? 0 : src()));
    } else if (k < 0.78 && chance(0.15)) {
      // Program a trigger (in M; elsewhere these are illegal instructions): tselect, tdata2 an
      // address the body loads, stores or runs, tdata1 a random mcontrol6 or icount value.
      body.words(li(9, int(4))).word(I.csrrw(0, 0x7a0, 9));
      const address = chance(0.6) ? DATA + DATA_SIZE / 2 + int(4096) - 2048 : BODY + 2 * int(bodyLength * 2);
      body.words(li(9, address)).word(I.csrrw(0, 0x7a2, 9));
      const modes = int(8);
      const tdata1 = chance(0.8)
        ? (6 << 28) | ((modes & 4) << 4) | ((modes & 3) << 3) | (1 + int(7)) | (pick([0, 0, 1, 2, 3, 4, 5, 8, 9, 12, 13]) << 7) |
          (int(4) << 16) | (chance(0.1) ? 1 << 11 : 0)
        : chance(0.7) ? (3 << 28) | ((1 + int(3)) << 10) | ((modes & 4) << 7) | ((modes & 3) << 6) : 0;
      body.words(li(9, tdata1)).word(I.csrrw(0, 0x7a1, 9));
    } else if (k < 0.78) {
      const csr = pick(CSRS);
      const f3 = pick([1, 2, 3, 5, 6, 7]);
      const s = f3 >= 5 ? int(32) : src();
      if (csr === 0x180 && f3 === 1) {
        // satp writes: the program's own table or bare, so translation keeps working
        body.words(li(9, pick([satp, 0]))).word(I.csrrw(dest(), 0x180, 9));
      } else {
        body.word(enc.i(OP.SYSTEM, f3, dest(), s, csr));
      }
    } else if (k < 0.95) {
      body.half(randomCompressed(int, pick, chance, cdest, n, bodyLength));
    } else if (k < 0.985) {
      body.word(pick([I.ecall(), I.ebreak(), I.mret(), I.sret(), I.fence(), I.fencei(), I.sfence(0, 0),
        I.sfence(DATA_PTR, 0), I.wfi()]));
    } else {
      body.word(word32());
    }
  }
  body.label(`L${bodyLength}`);
  body.jal(0, "L0");

  const data = new Uint8Array(DATA_SIZE);
  for (let i = 0; i < DATA_SIZE; i++) data[i] = int(256);
  const seg = (paddr: number, bytes: Uint8Array) => ({ paddr, vaddr: paddr, data: bytes, memsz: bytes.length, flags: 7 });
  return {
    paging,
    image: {
      entry: PROLOGUE,
      segments: [
        seg(PROLOGUE, pro.bytes()), seg(M_HANDLER, mh.bytes()), seg(S_HANDLER, sh.bytes()),
        seg(BODY, body.bytes()), seg(DATA, data), seg(ROOT, tables),
      ],
      symbols: new Map(),
    },
  };
}

/** A random compressed instruction (mostly valid encodings; some reserved ones). */
/** A random F/D instruction (a 16-bit one for the compressed loads and stores). */
function randomFp(int: (n: number) => number, pick: <T>(xs: readonly T[]) => T, chance: (p: number) => boolean, dest: () => number): number {
  const fr = () => int(32);
  const fmt = () => (chance(0.97) ? int(2) : 2 + int(2)); // S, D; rarely H or Q (illegal)
  const rm = () => (chance(0.6) ? 7 : int(8)); // DYN mostly; 5 and 6 are reserved
  const r = (f5: number, rs2: number, rs1: number, f3: number, rd: number, fm = fmt()) =>
    ((((f5 << 2) | fm) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x53) >>> 0;
  switch (int(16)) {
    case 0: case 1: case 2: return r(pick([0, 1, 2, 3]), fr(), fr(), rm(), fr()); // fadd/fsub/fmul/fdiv
    case 3: return r(0x0b, chance(0.95) ? 0 : fr(), fr(), rm(), fr()); // fsqrt
    case 4: return ((fr() << 27) | (fmt() << 25) | (fr() << 20) | (fr() << 15) | (rm() << 12) | (fr() << 7) | pick([0x43, 0x47, 0x4b, 0x4f])) >>> 0; // FMA
    case 5: return r(0x04, fr(), fr(), int(4), fr()); // fsgnj/n/x (f3 3 reserved)
    case 6: return r(0x05, fr(), fr(), int(3), fr()); // fmin/fmax (f3 2 reserved)
    case 7: return r(0x14, fr(), fr(), int(4), dest()); // fle/flt/feq → x
    case 8: return r(0x18, int(3), fr(), rm(), dest()); // fcvt.w[u] → x
    case 9: return r(0x1a, int(3), int(32), rm(), fr()); // fcvt from x
    case 10: { const to = int(2); return r(0x08, chance(0.9) ? 1 - to : int(2), fr(), rm(), fr(), to); } // fcvt.s.d / fcvt.d.s
    case 11: return chance(0.5) ? r(0x1c, 0, fr(), int(2), dest(), chance(0.8) ? 0 : 1) : r(0x1e, 0, int(32), 0, fr(), chance(0.9) ? 0 : 1); // fmv.x.w, fclass; fmv.w.x
    case 12: { // flw/fld, fsw/fsd through the data pointer
      const store = chance(0.4);
      const imm = int(4096) - 2048;
      const f3 = chance(0.95) ? 2 + int(2) : int(8);
      return store
        ? ((((imm >> 5) & 0x7f) << 25) | (fr() << 20) | (8 << 15) | (f3 << 12) | ((imm & 31) << 7) | 0x27) >>> 0
        : (((imm & 0xfff) << 20) | (8 << 15) | (f3 << 12) | (fr() << 7) | 0x07) >>> 0;
    }
    case 13: // c.fld, c.flw, c.fsd, c.fsw through x8; the SP forms (sp is random: they usually fault)
      return chance(0.6)
        ? (pick([0x2000, 0x6000, 0xa000, 0xe000]) | (int(8) << 10) | (int(4) << 5) | (int(8) << 2))
        : (pick([0x2002, 0x6002, 0xa002, 0xe002]) | (int(64) << 7) | (int(32) << 2));
    default: { // fcsr, frm, fflags: mostly immediate writes that keep frm valid (0-4), at times a
      // register's random bits (reserved rounding modes: DYN instructions are then illegal)
      const csr = 1 + int(3);
      if (chance(0.15)) return (((csr << 20) | (int(32) << 15) | (pick([1, 2, 3]) << 12) | (dest() << 7) | 0x73) >>> 0);
      const uimm = csr === 2 ? int(5) : int(32);
      return (((csr << 20) | (uimm << 15) | (pick([5, 6, 7]) << 12) | (dest() << 7) | 0x73) >>> 0);
    }
  }
}

function randomCompressed(
  int: (n: number) => number,
  pick: <T>(xs: readonly T[]) => T,
  chance: (p: number) => boolean,
  cdest: () => number,
  n: number,
  len: number,
): number {
  const rp = (r: number) => r - 8;
  const ci = (imm: number) => (((imm >> 5) & 1) << 12) | ((imm & 31) << 2);
  const full = () => { let r; do r = 1 + int(31); while (r === 8 || r === 31); return r; };
  switch (int(14)) {
    case 0: return 0x0001 | (full() << 7) | ci(int(64) - 32); // c.addi
    case 1: return 0x4001 | (full() << 7) | ci(int(64) - 32); // c.li
    case 2: { const imm = 1 + int(31); return 0x6001 | (pick([1, 3, 5, 9]) << 7) | ci(chance(0.5) ? imm : -imm); } // c.lui
    case 3: return 0x8002 | (full() << 7) | (int(31) + 1) << 2; // c.mv
    case 4: return 0x9002 | (full() << 7) | (int(31) + 1) << 2; // c.add
    case 5: return 0x8c01 | (rp(cdest()) << 7) | (int(4) << 5) | (rp(8 + int(8)) << 2); // c.sub/xor/or/and
    case 6: return 0x8001 | (int(3) << 10) | (rp(cdest()) << 7) | ((int(32) & 31) << 2) | (chance(0.05) ? 0x1000 : 0); // c.srli/srai/andi
    case 7: return 0x0002 | (full() << 7) | ((int(32)) << 2) | (chance(0.05) ? 0x1000 : 0); // c.slli
    case 8: { // c.lw / c.sw through x8 (the data pointer)
      const off = int(32) * 4;
      const imm = (((off >> 3) & 7) << 10) | (((off >> 2) & 1) << 6) | (((off >> 6) & 1) << 5);
      return (chance(0.5) ? 0x4000 : 0xc000) | imm | (rp(8) << 7) | (rp(chance(0.5) ? cdest() : 8 + int(8)) << 2);
    }
    case 9: { // c.beqz / c.bnez forward by a few parcels (stays within the body's parcels)
      const off = 2 * (1 + int(4));
      const imm = (((off >> 8) & 1) << 12) | (((off >> 3) & 3) << 10) | (((off >> 6) & 3) << 5) | (((off >> 1) & 3) << 3) | (((off >> 5) & 1) << 2);
      return (chance(0.5) ? 0xc001 : 0xe001) | imm | (rp(8 + int(8)) << 7);
    }
    case 10: return n + 4 < len ? 0xa001 | (((4 >> 1) & 7) << 3) : 0x0001; // c.j +4 (or c.nop near the end)
    case 11: return 0x4002 | (full() << 7) | (int(64) << 2); // c.lwsp (sp is random: usually faults)
    case 12: return 0xc002 | (int(32) << 2) | (int(64) << 7); // c.swsp
    default: return int(0x10000) & ~3 | int(3); // anything in quadrants 0-2
  }
}
