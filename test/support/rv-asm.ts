// A small RV32IMAC encoder with labels, for tests that build programs in memory (random
// instruction streams, hand-made scenarios). Encodings follow the unprivileged spec's formats.

export const enc = {
  r: (op: number, f3: number, f7: number, rd: number, rs1: number, rs2: number) =>
    ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0,
  i: (op: number, f3: number, rd: number, rs1: number, imm: number) =>
    (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0,
  s: (op: number, f3: number, rs1: number, rs2: number, imm: number) =>
    ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | op) >>> 0,
  b: (f3: number, rs1: number, rs2: number, off: number) =>
    ((((off >> 12) & 1) << 31) | (((off >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
      (((off >> 1) & 0xf) << 8) | (((off >> 11) & 1) << 7) | 0x63) >>> 0,
  u: (op: number, rd: number, imm20: number) => (((imm20 & 0xfffff) << 12) | (rd << 7) | op) >>> 0,
  j: (rd: number, off: number) =>
    ((((off >> 20) & 1) << 31) | (((off >> 1) & 0x3ff) << 21) | (((off >> 11) & 1) << 20) |
      (((off >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) >>> 0,
};

export const OP = { LOAD: 0x03, MISC: 0x0f, OPIMM: 0x13, AUIPC: 0x17, STORE: 0x23, AMO: 0x2f, OP: 0x33, LUI: 0x37, BRANCH: 0x63, JALR: 0x67, JAL: 0x6f, SYSTEM: 0x73 };

export const I = {
  addi: (rd: number, rs1: number, imm: number) => enc.i(OP.OPIMM, 0, rd, rs1, imm),
  andi: (rd: number, rs1: number, imm: number) => enc.i(OP.OPIMM, 7, rd, rs1, imm),
  ori: (rd: number, rs1: number, imm: number) => enc.i(OP.OPIMM, 6, rd, rs1, imm),
  slli: (rd: number, rs1: number, sh: number) => enc.i(OP.OPIMM, 1, rd, rs1, sh),
  lui: (rd: number, imm20: number) => enc.u(OP.LUI, rd, imm20),
  auipc: (rd: number, imm20: number) => enc.u(OP.AUIPC, rd, imm20),
  lw: (rd: number, rs1: number, imm: number) => enc.i(OP.LOAD, 2, rd, rs1, imm),
  lhu: (rd: number, rs1: number, imm: number) => enc.i(OP.LOAD, 5, rd, rs1, imm),
  sw: (rs2: number, rs1: number, imm: number) => enc.s(OP.STORE, 2, rs1, rs2, imm),
  add: (rd: number, rs1: number, rs2: number) => enc.r(OP.OP, 0, 0, rd, rs1, rs2),
  csrrw: (rd: number, csr: number, rs1: number) => enc.i(OP.SYSTEM, 1, rd, rs1, csr),
  csrrs: (rd: number, csr: number, rs1: number) => enc.i(OP.SYSTEM, 2, rd, rs1, csr),
  csrrc: (rd: number, csr: number, rs1: number) => enc.i(OP.SYSTEM, 3, rd, rs1, csr),
  jalr: (rd: number, rs1: number, imm: number) => enc.i(OP.JALR, 0, rd, rs1, imm),
  mret: () => 0x30200073,
  sret: () => 0x10200073,
  ecall: () => 0x00000073,
  ebreak: () => 0x00100073,
  wfi: () => 0x10500073,
  fence: () => 0x0ff0000f,
  fencei: () => 0x0000100f,
  sfence: (rs1: number, rs2: number) => enc.r(OP.SYSTEM, 0, 0x09, 0, rs1, rs2),
};

/** Load a 32-bit constant into rd (lui + addi). */
export function li(rd: number, value: number): number[] {
  const v = value | 0;
  const lo = (v << 20) >> 20;
  const hi = ((v - lo) >>> 12) & 0xfffff;
  const out: number[] = [];
  if (hi !== 0) out.push(I.lui(rd, hi));
  out.push(I.addi(rd, hi !== 0 ? rd : 0, lo));
  return out;
}

/** Straight-line code with labels and forward/backward branch fixups. */
export class Asm {
  /** Parcels (16-bit units) of the program. */
  private parcels: number[] = [];
  private labels = new Map<string, number>();
  private fixups: Array<{ at: number; label: string; make: (off: number) => number }> = [];

  constructor(readonly base: number) {}

  get pc(): number {
    return this.base + this.parcels.length * 2;
  }

  word(w: number): this {
    this.parcels.push(w & 0xffff, (w >>> 16) & 0xffff);
    return this;
  }

  half(h: number): this {
    this.parcels.push(h & 0xffff);
    return this;
  }

  words(ws: number[]): this {
    for (const w of ws) this.word(w);
    return this;
  }

  label(name: string): this {
    this.labels.set(name, this.pc);
    return this;
  }

  /** A branch (B-type funct3) to a label. */
  branch(f3: number, rs1: number, rs2: number, label: string): this {
    this.fixups.push({ at: this.parcels.length, label, make: (off) => enc.b(f3, rs1, rs2, off) });
    return this.word(0);
  }

  jal(rd: number, label: string): this {
    this.fixups.push({ at: this.parcels.length, label, make: (off) => enc.j(rd, off) });
    return this.word(0);
  }

  /** Load the address of a label into rd (auipc + addi). */
  la(rd: number, label: string): this {
    const at = this.parcels.length;
    this.fixups.push({ at, label, make: (off) => I.auipc(rd, ((off + 0x800) >>> 12) & 0xfffff) });
    this.word(0);
    this.fixups.push({ at: at + 2, label, make: (off) => I.addi(rd, rd, ((off + 4) << 20) >> 20) });
    return this.word(0);
  }

  address(label: string): number {
    const a = this.labels.get(label);
    if (a === undefined) throw new Error(`undefined label ${label}`);
    return a;
  }

  bytes(): Uint8Array {
    for (const f of this.fixups) {
      const pc = this.base + f.at * 2;
      const w = f.make(this.address(f.label) - pc);
      this.parcels[f.at] = w & 0xffff;
      this.parcels[f.at + 1] = (w >>> 16) & 0xffff;
    }
    const out = new Uint8Array(this.parcels.length * 2);
    this.parcels.forEach((p, i) => { out[2 * i] = p & 0xff; out[2 * i + 1] = p >> 8; });
    return out;
  }
}
