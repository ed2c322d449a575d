// RV32GC (IMAFDC) + Zicsr + Zifencei disassembler, for --trace and divergence reports.
// Output follows the GNU objdump conventions closely (ABI register names, pseudo-instructions
// for the common cases), so traces can be read next to `riscv64-unknown-elf-objdump -d`.

export const ABI_NAMES = [
  "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
  "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
];

/** The f registers' ABI names. */
export const FP_NAMES = [
  "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
  "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
];

const CSR_NAMES: Record<number, string> = {
  0x001: "fflags", 0x002: "frm", 0x003: "fcsr",
  0x100: "sstatus", 0x104: "sie", 0x105: "stvec", 0x106: "scounteren", 0x10a: "senvcfg",
  0x140: "sscratch", 0x141: "sepc", 0x142: "scause", 0x143: "stval", 0x144: "sip", 0x180: "satp",
  0x300: "mstatus", 0x301: "misa", 0x302: "medeleg", 0x303: "mideleg", 0x304: "mie", 0x305: "mtvec",
  0x306: "mcounteren", 0x30a: "menvcfg", 0x310: "mstatush", 0x31a: "menvcfgh", 0x320: "mcountinhibit",
  0x340: "mscratch", 0x341: "mepc", 0x342: "mcause", 0x343: "mtval", 0x344: "mip",
  0x3a0: "pmpcfg0", 0x3b0: "pmpaddr0",
  0xb00: "mcycle", 0xb02: "minstret", 0xb80: "mcycleh", 0xb82: "minstreth",
  0xc00: "cycle", 0xc01: "time", 0xc02: "instret", 0xc80: "cycleh", 0xc81: "timeh", 0xc82: "instreth",
  0xf11: "mvendorid", 0xf12: "marchid", 0xf13: "mimpid", 0xf14: "mhartid", 0xf15: "mconfigptr",
};

export function csrName(csr: number): string {
  return CSR_NAMES[csr] ?? `0x${csr.toString(16)}`;
}

const r = (n: number) => ABI_NAMES[n & 31];
const f = (n: number) => FP_NAMES[n & 31];
const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;
const target = (pc: number, off: number) => ((pc + off) >>> 0).toString(16);

export interface Disassembly {
  /** Assembly text, e.g. "addi a0,a0,1". */
  text: string;
  /** Register the instruction writes (0 if none). */
  rd: number;
  /** Instruction length in bytes. */
  length: 2 | 4;
}

/** Disassemble the instruction `insn` (low 16 bits only for compressed) at `pc`. */
export function disassemble(insn: number, pc = 0): Disassembly {
  if ((insn & 3) !== 3) return { ...disasm16(insn & 0xffff, pc), length: 2 };
  return { ...disasm32(insn | 0, pc), length: 4 };
}

function disasm32(i: number, pc: number): { text: string; rd: number } {
  const rd = (i >> 7) & 31;
  const f3 = (i >> 12) & 7;
  const rs1 = (i >> 15) & 31;
  const rs2 = (i >> 20) & 31;
  const f7 = i >>> 25;
  const immI = i >> 20;
  const immS = ((i >> 20) & ~31) | ((i >> 7) & 31);
  const immB = ((i >> 31) << 12) | ((i << 4) & 0x800) | ((i >> 20) & 0x7e0) | ((i >> 7) & 0x1e);
  const immJ = ((i >> 31) << 20) | (i & 0xff000) | ((i >> 9) & 0x800) | ((i >> 20) & 0x7fe);
  const w = (text: string) => ({ text, rd });
  const n = (text: string) => ({ text, rd: 0 });
  switch ((i >> 2) & 31) {
    case 0x0d: return w(`lui ${r(rd)},${hex(i >>> 12)}`);
    case 0x05: return w(`auipc ${r(rd)},${hex(i >>> 12)}`);
    case 0x1b:
      if (rd === 0) return n(`j ${target(pc, immJ)}`);
      return w(rd === 1 ? `jal ${target(pc, immJ)}` : `jal ${r(rd)},${target(pc, immJ)}`);
    case 0x19:
      if (f3 !== 0) break;
      if (rd === 0 && rs1 === 1 && immI === 0) return n("ret");
      if (rd === 0 && immI === 0) return n(`jr ${r(rs1)}`);
      return w(`jalr ${r(rd)},${immI}(${r(rs1)})`);
    case 0x18: {
      const ops = ["beq", "bne", "", "", "blt", "bge", "bltu", "bgeu"];
      if (!ops[f3]) break;
      if (rs2 === 0 && (f3 === 0 || f3 === 1)) return n(`${ops[f3]}z ${r(rs1)},${target(pc, immB)}`);
      return n(`${ops[f3]} ${r(rs1)},${r(rs2)},${target(pc, immB)}`);
    }
    case 0x00: {
      const ops = ["lb", "lh", "lw", "", "lbu", "lhu", "", ""];
      if (!ops[f3]) break;
      return w(`${ops[f3]} ${r(rd)},${immI}(${r(rs1)})`);
    }
    case 0x08: {
      const ops = ["sb", "sh", "sw"];
      if (f3 > 2) break;
      return n(`${ops[f3]} ${r(rs2)},${immS}(${r(rs1)})`);
    }
    case 0x04: {
      if (f3 === 0 && rd === 0 && rs1 === 0 && immI === 0) return n("nop");
      if (f3 === 0 && rs1 === 0) return w(`li ${r(rd)},${immI}`);
      if (f3 === 0 && immI === 0) return w(`mv ${r(rd)},${r(rs1)}`);
      const sh = immI & 31;
      switch (f3) {
        case 0: return w(`addi ${r(rd)},${r(rs1)},${immI}`);
        case 1: return f7 === 0 ? w(`slli ${r(rd)},${r(rs1)},${hex(sh)}`) : w("(illegal)");
        case 2: return w(`slti ${r(rd)},${r(rs1)},${immI}`);
        case 3: return w(`sltiu ${r(rd)},${r(rs1)},${immI}`);
        case 4: return w(immI === -1 ? `not ${r(rd)},${r(rs1)}` : `xori ${r(rd)},${r(rs1)},${immI}`);
        case 5:
          if (f7 === 0) return w(`srli ${r(rd)},${r(rs1)},${hex(sh)}`);
          if (f7 === 0x20) return w(`srai ${r(rd)},${r(rs1)},${hex(sh)}`);
          break;
        case 6: return w(`ori ${r(rd)},${r(rs1)},${immI}`);
        default: return w(`andi ${r(rd)},${r(rs1)},${immI}`);
      }
      break;
    }
    case 0x0c: {
      const base = ["add", "sll", "slt", "sltu", "xor", "srl", "or", "and"];
      const mext = ["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"];
      let op = "";
      if (f7 === 0) op = base[f3];
      else if (f7 === 1) op = mext[f3];
      else if (f7 === 0x20 && f3 === 0) op = rs1 === 0 ? "neg" : "sub";
      else if (f7 === 0x20 && f3 === 5) op = "sra";
      if (!op) break;
      if (op === "neg") return w(`neg ${r(rd)},${r(rs2)}`);
      return w(`${op} ${r(rd)},${r(rs1)},${r(rs2)}`);
    }
    case 0x03:
      if (f3 === 0) return n("fence");
      if (f3 === 1) return n("fence.i");
      break;
    case 0x0b: {
      if (f3 !== 2) break;
      const f5 = i >>> 27;
      const names: Record<number, string> = {
        0x00: "amoadd.w", 0x01: "amoswap.w", 0x02: "lr.w", 0x03: "sc.w", 0x04: "amoxor.w",
        0x08: "amoor.w", 0x0c: "amoand.w", 0x10: "amomin.w", 0x14: "amomax.w", 0x18: "amominu.w",
        0x1c: "amomaxu.w",
      };
      const name = names[f5];
      if (!name) break;
      const ord = ["", ".rl", ".aq", ".aqrl"][(i >> 25) & 3];
      if (f5 === 0x02) return w(`${name}${ord} ${r(rd)},(${r(rs1)})`);
      return w(`${name}${ord} ${r(rd)},${r(rs2)},(${r(rs1)})`);
    }
    case 0x1c: {
      if (f3 === 0) {
        const fixed: Record<number, string> = {
          0x00000073: "ecall", 0x00100073: "ebreak", 0x10200073: "sret", 0x30200073: "mret", 0x10500073: "wfi",
        };
        if (fixed[i]) return n(fixed[i]);
        if ((i & 0xfe007fff) === 0x12000073) return n(`sfence.vma ${r(rs1)},${r(rs2)}`);
        break;
      }
      if (f3 === 4) break;
      const csr = (i >>> 20) & 0xfff;
      const ops = ["", "csrrw", "csrrs", "csrrc", "", "csrrwi", "csrrsi", "csrrci"];
      const src = f3 >= 5 ? `${rs1}` : r(rs1);
      if (f3 === 2 && rs1 === 0) return w(`csrr ${r(rd)},${csrName(csr)}`);
      if (rd === 0) return n(`${["", "csrw", "csrs", "csrc", "", "csrwi", "csrsi", "csrci"][f3]} ${csrName(csr)},${src}`);
      return w(`${ops[f3]} ${r(rd)},${csrName(csr)},${src}`);
    }
  }
  return disasmFp(i) ?? { text: `.word ${hex(i)} (illegal)`, rd: 0 };
}

/** F and D (S and D formats; H and Q encodings come out illegal): null for other opcodes. The
 *  rounding mode is printed, as objdump does, only when it is not the dynamic one. */
function disasmFp(i: number): { text: string; rd: number } | null {
  const rd = (i >> 7) & 31;
  const f3 = (i >> 12) & 7;
  const rs1 = (i >> 15) & 31;
  const rs2 = (i >> 20) & 31;
  const fmt = (i >> 25) & 3;
  const sfx = fmt === 0 ? "s" : "d";
  const rm = f3 === 7 ? "" : `,${["rne", "rtz", "rdn", "rup", "rmm", "rm5", "rm6"][f3]}`;
  const x = (text: string) => ({ text, rd }); // writes x[rd]
  const n = (text: string) => ({ text, rd: 0 }); // writes an f register or memory
  const op = i & 0x7f;
  if (op === 0x07 && (f3 === 2 || f3 === 3)) return n(`${f3 === 2 ? "flw" : "fld"} ${f(rd)},${i >> 20}(${r(rs1)})`);
  if (op === 0x27 && (f3 === 2 || f3 === 3)) {
    return n(`${f3 === 2 ? "fsw" : "fsd"} ${f(rs2)},${((i >> 20) & ~31) | ((i >> 7) & 31)}(${r(rs1)})`);
  }
  if (fmt > 1) return null;
  if (op === 0x43 || op === 0x47 || op === 0x4b || op === 0x4f) {
    const name = ["fmadd", "fmsub", "fnmsub", "fnmadd"][(op >> 2) & 3];
    return n(`${name}.${sfx} ${f(rd)},${f(rs1)},${f(rs2)},${f(i >>> 27)}${rm}`);
  }
  if (op !== 0x53) return null;
  const f5 = i >>> 27;
  switch (f5) {
    case 0x00: case 0x01: case 0x02: case 0x03:
      return n(`${["fadd", "fsub", "fmul", "fdiv"][f5]}.${sfx} ${f(rd)},${f(rs1)},${f(rs2)}${rm}`);
    case 0x0b: return rs2 === 0 ? n(`fsqrt.${sfx} ${f(rd)},${f(rs1)}${rm}`) : null;
    case 0x04:
      if (f3 > 2) return null;
      if (rs1 === rs2) return n(`${["fmv", "fneg", "fabs"][f3]}.${sfx} ${f(rd)},${f(rs1)}`);
      return n(`${["fsgnj", "fsgnjn", "fsgnjx"][f3]}.${sfx} ${f(rd)},${f(rs1)},${f(rs2)}`);
    case 0x05: return f3 > 1 ? null : n(`${f3 === 0 ? "fmin" : "fmax"}.${sfx} ${f(rd)},${f(rs1)},${f(rs2)}`);
    case 0x08: return rs2 === 1 - fmt ? n(`fcvt.${sfx}.${fmt === 0 ? "d" : "s"} ${f(rd)},${f(rs1)}${rm}`) : null;
    case 0x14: return f3 > 2 ? null : x(`${["fle", "flt", "feq"][f3]}.${sfx} ${r(rd)},${f(rs1)},${f(rs2)}`);
    case 0x18: return rs2 > 1 ? null : x(`fcvt.${rs2 ? "wu" : "w"}.${sfx} ${r(rd)},${f(rs1)}${rm}`);
    case 0x1a: return rs2 > 1 ? null : n(`fcvt.${sfx}.${rs2 ? "wu" : "w"} ${f(rd)},${r(rs1)}${rm}`);
    case 0x1c:
      if (rs2 !== 0) return null;
      if (f3 === 1) return x(`fclass.${sfx} ${r(rd)},${f(rs1)}`);
      return f3 === 0 && fmt === 0 ? x(`fmv.x.w ${r(rd)},${f(rs1)}`) : null;
    case 0x1e: return rs2 === 0 && f3 === 0 && fmt === 0 ? n(`fmv.w.x ${f(rd)},${r(rs1)}`) : null;
    default: return null;
  }
}

function disasm16(i: number, pc: number): { text: string; rd: number } {
  const q = i & 3;
  const f3 = i >> 13;
  const rdp = 8 + ((i >> 2) & 7);
  const rs1p = 8 + ((i >> 7) & 7);
  const rdFull = (i >> 7) & 31;
  const rs2Full = (i >> 2) & 31;
  const ci = (((i << 19) >> 26) & ~31) | ((i >> 2) & 31);
  const cj = (((i << 19) >> 31) << 11) | ((i >> 7) & 0x10) | ((i >> 1) & 0x300) | ((i << 2) & 0x400) |
    ((i >> 1) & 0x40) | ((i << 1) & 0x80) | ((i >> 2) & 0xe) | ((i << 3) & 0x20);
  const cb = (((i << 19) >> 31) << 8) | ((i >> 7) & 0x18) | ((i << 1) & 0xc0) | ((i >> 2) & 6) | ((i << 3) & 0x20);
  const lw = ((i >> 7) & 0x38) | ((i >> 4) & 4) | ((i << 1) & 0x40);
  const w = (text: string, rd: number) => ({ text, rd });
  const n = (text: string) => ({ text, rd: 0 });
  const illegal = { text: `.half ${hex(i)} (illegal)`, rd: 0 };
  if (q === 0) {
    if (f3 === 0) {
      const imm = ((i >> 7) & 0x30) | ((i >> 1) & 0x3c0) | ((i >> 4) & 4) | ((i >> 2) & 8);
      return imm === 0 ? illegal : w(`c.addi4spn ${r(rdp)},sp,${imm}`, rdp);
    }
    if (f3 === 2) return w(`c.lw ${r(rdp)},${lw}(${r(rs1p)})`, rdp);
    if (f3 === 6) return n(`c.sw ${r(rdp)},${lw}(${r(rs1p)})`);
    const ld = ((i >> 7) & 0x38) | ((i << 1) & 0xc0);
    if (f3 === 1) return n(`c.fld ${f(rdp)},${ld}(${r(rs1p)})`);
    if (f3 === 3) return n(`c.flw ${f(rdp)},${lw}(${r(rs1p)})`);
    if (f3 === 5) return n(`c.fsd ${f(rdp)},${ld}(${r(rs1p)})`);
    if (f3 === 7) return n(`c.fsw ${f(rdp)},${lw}(${r(rs1p)})`);
    return illegal;
  }
  if (q === 1) {
    switch (f3) {
      case 0: return rdFull === 0 ? n("c.nop") : w(`c.addi ${r(rdFull)},${ci}`, rdFull);
      case 1: return w(`c.jal ${target(pc, cj)}`, 1);
      case 2: return w(`c.li ${r(rdFull)},${ci}`, rdFull);
      case 3:
        if (rdFull === 2) {
          const imm = (((i << 19) >> 31) << 9) | ((i >> 2) & 0x10) | ((i << 1) & 0x40) | ((i << 4) & 0x180) | ((i << 3) & 0x20);
          return imm === 0 ? illegal : w(`c.addi16sp sp,${imm}`, 2);
        }
        return ci === 0 ? illegal : w(`c.lui ${r(rdFull)},${hex((ci << 12) >>> 12)}`, rdFull);
      case 4: {
        const op = (i >> 10) & 3;
        if (op === 2) return w(`c.andi ${r(rs1p)},${ci}`, rs1p);
        if (i & 0x1000) return illegal;
        if (op === 0) return w(`c.srli ${r(rs1p)},${hex((i >> 2) & 31)}`, rs1p);
        if (op === 1) return w(`c.srai ${r(rs1p)},${hex((i >> 2) & 31)}`, rs1p);
        return w(`${["c.sub", "c.xor", "c.or", "c.and"][(i >> 5) & 3]} ${r(rs1p)},${r(rdp)}`, rs1p);
      }
      case 5: return n(`c.j ${target(pc, cj)}`);
      case 6: return n(`c.beqz ${r(rs1p)},${target(pc, cb)}`);
      default: return n(`c.bnez ${r(rs1p)},${target(pc, cb)}`);
    }
  }
  if (q === 2) {
    switch (f3) {
      case 0: return i & 0x1000 ? illegal : w(`c.slli ${r(rdFull)},${hex((i >> 2) & 31)}`, rdFull);
      case 2: {
        if (rdFull === 0) return illegal;
        const imm = ((i >> 7) & 0x20) | ((i >> 2) & 0x1c) | ((i << 4) & 0xc0);
        return w(`c.lwsp ${r(rdFull)},${imm}(sp)`, rdFull);
      }
      case 4:
        if ((i & 0x1000) === 0) {
          if (rs2Full !== 0) return w(`c.mv ${r(rdFull)},${r(rs2Full)}`, rdFull);
          return rdFull === 0 ? illegal : n(`c.jr ${r(rdFull)}`);
        }
        if (rs2Full !== 0) return w(`c.add ${r(rdFull)},${r(rs2Full)}`, rdFull);
        return rdFull === 0 ? n("c.ebreak") : w(`c.jalr ${r(rdFull)}`, 1);
      case 6: {
        const imm = ((i >> 7) & 0x3c) | ((i >> 1) & 0xc0);
        return n(`c.swsp ${r(rs2Full)},${imm}(sp)`);
      }
      case 1: return n(`c.fldsp ${f(rdFull)},${((i >> 7) & 0x20) | ((i >> 2) & 0x18) | ((i << 4) & 0x1c0)}(sp)`);
      case 3: return n(`c.flwsp ${f(rdFull)},${((i >> 7) & 0x20) | ((i >> 2) & 0x1c) | ((i << 4) & 0xc0)}(sp)`);
      case 5: return n(`c.fsdsp ${f(rs2Full)},${((i >> 7) & 0x38) | ((i >> 1) & 0x1c0)}(sp)`);
      case 7: return n(`c.fswsp ${f(rs2Full)},${((i >> 7) & 0x3c) | ((i >> 1) & 0xc0)}(sp)`);
      default: return illegal;
    }
  }
  return illegal;
}
