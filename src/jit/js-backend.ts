// The translator's JavaScript back end (docs/jit.md): a region's IR (assembly/jit/frontend.ts
// wrote it into the translator's area) becomes the source of one JavaScript function, which
// the pure-TS core's shim compiles over its own views of the memory (assembly/shim/
// index.portable.ts jitCompile) and calls from run() (jitExec).
//
// The function's contract (the same for the Wasm back end to come):
//   (pc, limit, tlbLoad, tlbStore) → instructions retired; the pc it stopped at in S.pc (and in
//   SYS_JIT_EXIT_PC, as the Wasm back end leaves it).
// - Guest registers live in locals for the whole call: read at entry, written back at exit.
// - Blocks are entered by one `switch (pc)` in a loop, which breaks out of nested labelled
//   blocks to the block's code; a branch to a later block breaks out to it directly, a block
//   branching to its own start loops by itself; a pc that is not a block of the region ends the
//   call (`default`).
// - A block of K instructions runs only if K fit in what is left of `limit`; otherwise the call
//   ends at the block's pc, and the interpreter goes on exactly to the end of the budget.
// - Loads and stores look the page up in the TLB tables run() passes (tag compare against the
//   page and alignment bits, as the interpreter's fast path): a miss ends the call at that
//   instruction, which the interpreter then executes (its slow path, its fault). So translated
//   code never faults, never touches a device, and every exit is the same exit: registers
//   written back, the pc of the next instruction to run.

import { HART_X, SYS_JIT_EXIT_PC, JIT_IR_ENTRY, JIT_IR_BLOCKS, JIT_IR_BLOCK_BASE, JIT_IR_BLOCK, JIT_IR_INSN_BASE, JIT_IR_INSN } from "../../assembly/layout.js";
import {
  IR_ADD, IR_SUB, IR_SLL, IR_SLT, IR_SLTU, IR_XOR, IR_SRL, IR_SRA, IR_OR, IR_AND, IR_MUL, IR_MULH, IR_MULHSU,
  IR_MULHU, IR_DIV, IR_DIVU, IR_REM, IR_REMU, IR_ADDI, IR_SLTI, IR_SLTIU, IR_XORI, IR_ORI, IR_ANDI, IR_SLLI,
  IR_SRLI, IR_SRAI, IR_LI, IR_LB, IR_LH, IR_LW, IR_LBU, IR_LHU, IR_SB, IR_SH, IR_SW, IR_BEQ, IR_BNE, IR_BLT,
  IR_BGE, IR_BLTU, IR_BGEU, IR_JAL, IR_JALR, IR_NOP, isBlockEnd,
} from "../../assembly/jit/ir.js";

/** One IR instruction (assembly/jit/ir.ts). */
interface Insn {
  pc: number;
  op: number;
  rd: number;
  rs1: number;
  rs2: number;
  imm: number;
  len: number;
}

interface Block {
  start: number;
  insns: Insn[];
  next: number;
}

/** Read a region's IR from the translator's area (`words`: a view of the area, `ir`: the IR's
 *  offset in it, in bytes). */
export function readRegion(words: Int32Array, ir: number): { entry: number; blocks: Block[] } {
  const w = (byte: number) => words[(ir + byte) >> 2];
  const blocks: Block[] = [];
  for (let b = 0; b < w(JIT_IR_BLOCKS); b++) {
    const rec = JIT_IR_BLOCK_BASE + b * JIT_IR_BLOCK;
    const first = w(rec + 4);
    const insns: Insn[] = [];
    for (let i = 0; i < w(rec + 8); i++) {
      const r = JIT_IR_INSN_BASE + (first + i) * JIT_IR_INSN;
      insns.push({ pc: w(r), op: w(r + 4), rd: w(r + 8), rs1: w(r + 12), rs2: w(r + 16), imm: w(r + 20), len: w(r + 24) });
    }
    blocks.push({ start: w(rec), insns, next: w(rec + 12) });
  }
  return { entry: w(JIT_IR_ENTRY), blocks };
}

const HX = HART_X >> 2;
const reg = (r: number) => (r === 0 ? "0" : `r${r}`);
const hex = (v: number) => `${v < 0 ? "-" : ""}0x${Math.abs(v).toString(16)}`;

const LOAD_MASK: Record<number, number> = { [IR_LB]: -4096, [IR_LBU]: -4096, [IR_LH]: -4095, [IR_LHU]: -4095, [IR_LW]: -4093 };
const STORE_MASK: Record<number, number> = { [IR_SB]: -4096, [IR_SH]: -4095, [IR_SW]: -4093 };

/** The expression an ALU op computes, or null for the ops that are not ALU ops. */
function aluExpr(i: Insn): string | null {
  const a = reg(i.rs1);
  const b = reg(i.rs2);
  const k = hex(i.imm);
  switch (i.op) {
    case IR_ADD: return `(${a} + ${b}) | 0`;
    case IR_SUB: return `(${a} - ${b}) | 0`;
    case IR_SLL: return `${a} << (${b} & 31)`;
    case IR_SLT: return `${a} < ${b} ? 1 : 0`;
    case IR_SLTU: return `(${a} >>> 0) < (${b} >>> 0) ? 1 : 0`;
    case IR_XOR: return `${a} ^ ${b}`;
    case IR_SRL: return `(${a} >>> (${b} & 31)) | 0`;
    case IR_SRA: return `${a} >> (${b} & 31)`;
    case IR_OR: return `${a} | ${b}`;
    case IR_AND: return `${a} & ${b}`;
    case IR_MUL: return `Math.imul(${a}, ${b})`;
    case IR_MULH: return `H.mulh(${a}, ${b})`;
    case IR_MULHSU: return `H.mulhsu(${a}, ${b})`;
    case IR_MULHU: return `H.mulhu(${a}, ${b})`;
    // Division (RISC-V: by zero gives -1 / the dividend; -2^31 / -1 overflows to -2^31, remainder
    // 0 — what `| 0` of the JavaScript quotient and remainder give).
    case IR_DIV: return `${b} === 0 ? -1 : (${a} / ${b}) | 0`;
    case IR_DIVU: return `${b} === 0 ? -1 : ((${a} >>> 0) / (${b} >>> 0)) | 0`;
    case IR_REM: return `${b} === 0 ? ${a} : (${a} % ${b}) | 0`;
    case IR_REMU: return `${b} === 0 ? ${a} : ((${a} >>> 0) % (${b} >>> 0)) | 0`;
    case IR_ADDI: return `(${a} + ${k}) | 0`;
    case IR_SLTI: return `${a} < ${k} ? 1 : 0`;
    case IR_SLTIU: return `(${a} >>> 0) < ${hex(i.imm >>> 0)} ? 1 : 0`;
    case IR_XORI: return `${a} ^ ${k}`;
    case IR_ORI: return `${a} | ${k}`;
    case IR_ANDI: return `${a} & ${k}`;
    case IR_SLLI: return `${a} << ${i.imm}`;
    case IR_SRLI: return `(${a} >>> ${i.imm}) | 0`;
    case IR_SRAI: return `${a} >> ${i.imm}`;
    case IR_LI: return k;
    default: return null;
  }
}

const BRANCH: Record<number, (a: string, b: string) => string> = {
  [IR_BEQ]: (a, b) => `${a} === ${b}`,
  [IR_BNE]: (a, b) => `${a} !== ${b}`,
  [IR_BLT]: (a, b) => `${a} < ${b}`,
  [IR_BGE]: (a, b) => `${a} >= ${b}`,
  [IR_BLTU]: (a, b) => `(${a} >>> 0) < (${b} >>> 0)`,
  [IR_BGEU]: (a, b) => `(${a} >>> 0) >= (${b} >>> 0)`,
};

/**
 * How both back ends lay a region's code out: block after block in the IR's order, each block's
 * code right after the code of the one before. So block k goes on at `target`:
 * - "self": round its own loop (a block whose last instruction branches to its own start is a
 *   loop of its own: `loops[k]`);
 * - "next": into block k + 1's code, which follows (falls through);
 * - "later": into a later block t's code (a direct jump out of the blocks that enclose it);
 * - "dispatch": through the region's dispatch on the pc (an earlier block);
 * - "out": out of the region (not one of its blocks).
 */
export interface Layout { index: Map<number, number>; loops: boolean[] }
export type Edge = "self" | "next" | "later" | "dispatch" | "out";

export function layoutOf(blocks: Block[]): Layout {
  return {
    index: new Map(blocks.map((b, k) => [b.start, k])),
    loops: blocks.map((b) => {
      const end = b.insns[b.insns.length - 1];
      return end !== undefined && ((end.op >= IR_BEQ && end.op <= IR_BGEU) || end.op === IR_JAL) && end.imm === b.start;
    }),
  };
}

/** Where block k goes on at `target` (Layout), and the block it enters (t, for "later"). */
export function edge(layout: Layout, blocks: Block[], k: number, target: number): { kind: Edge; t: number } {
  if (layout.loops[k] && target === blocks[k].start) return { kind: "self", t: k };
  const t = layout.index.get(target);
  if (t === undefined) return { kind: "out", t: -1 };
  return { kind: t === k + 1 ? "next" : t > k ? "later" : "dispatch", t };
}

/** The guest registers a region reads or writes (`used`) and those it writes (`written`): what
 *  both back ends load into locals at entry and store back at the exit. */
export function registerUse(region: { blocks: Block[] }): { used: Set<number>; written: Set<number> } {
  const used = new Set<number>();
  const written = new Set<number>();
  for (const b of region.blocks) {
    for (const i of b.insns) {
      for (const r of [i.rs1, i.rs2, i.rd]) if (r !== 0) used.add(r);
      if (i.rd !== 0 && i.op !== IR_NOP && !(i.op >= IR_SB && i.op <= IR_SW) && !(i.op >= IR_BEQ && i.op <= IR_BGEU)) written.add(i.rd);
    }
  }
  return { used, written };
}

/** The body of `new Function("I32", "U8", "I8", "U16", "I16", "H", "S", body)`: it returns the
 *  region's function. */
export function generateRegion(region: { entry: number; blocks: Block[] }): string {
  const { used, written } = registerUse(region);
  const out: string[] = [];
  out.push(`"use strict";`, `return function region_${(region.entry >>> 0).toString(16)}(pc, limit, tl, ts) {`);
  for (const r of [...used].sort((x, y) => x - y)) out.push(`  let r${r} = I32[${HX + r}];`);
  // Block k's code follows the labelled block b<k>, which the dispatch's `switch` breaks out of;
  // so a branch to a later block t is `break b<t>` (to the next: nothing, it falls through), a
  // block that branches to its own start is a loop of its own (s<k>), and only a branch to an
  // earlier block, and JALR, go round the `switch` again (`continue exit`).
  const blocks = region.blocks;
  const n = blocks.length;
  const layout = layoutOf(blocks);
  // c: instructions of the blocks done; x: those of the block a load or store stopped in, before
  // it. (A stop sets x to a constant, and the one addition is at the exit, where every call
  // passes: V8 compiles a region once it is hot, and an addition on a path no call has taken
  // yet would have no type feedback — the first TLB miss there would deoptimize the function.)
  out.push("  let c = 0, x = 0, a = 0, e = 0;", "  exit: for (;;) {");
  out.push("    " + blocks.map((_, k) => `b${n - k}: {`).join(" ") + " b0: {");
  out.push("      switch (pc) {");
  blocks.forEach((b, k) => out.push(`        case ${b.start}: break b${k};`));
  out.push(`        default: break exit;`, "      }", "    }");
  blocks.forEach((b, k) => {
    const K = b.insns.length;
    if (K === 0) {
      out.push("    break exit;", "    }");
      return;
    }
    const self = layout.loops[k];
    /** Go on at `target` (pc already set; `last`: from the end of the block's code). */
    const go = (target: number, last = true): string => {
      const { kind, t } = edge(layout, blocks, k, target);
      if (kind === "self") return `continue s${k};`;
      if (kind === "out") return "break exit;";
      if (kind === "dispatch") return "continue exit;";
      if (kind === "next" && last) return self ? `break s${k};` : "";
      return `break b${t};`;
    };
    if (self) out.push(`    s${k}: for (;;) {`);
    out.push(`    if (c + ${K} > limit) break exit;`);
    b.insns.forEach((i, m) => {
      const stop = `{ pc = ${i.pc}; x = ${m}; break exit; }`;
      const alu = aluExpr(i);
      if (alu !== null) {
        if (i.rd !== 0) out.push(`    r${i.rd} = ${alu};`);
      } else if (i.op in LOAD_MASK) {
        out.push(`    a = (${reg(i.rs1)} + ${hex(i.imm)}) | 0; e = (tl + ((a >>> 9) & 2040)) >> 2;`);
        out.push(`    if (I32[e] !== (a & ${LOAD_MASK[i.op]})) ${stop}`);
        if (i.rd !== 0) {
          const h = "((a + I32[e + 1]) | 0)";
          const load = i.op === IR_LW ? `I32[${h} >> 2]` : i.op === IR_LB ? `I8[${h}]` : i.op === IR_LBU ? `U8[${h}]`
            : i.op === IR_LH ? `I16[${h} >> 1]` : `U16[${h} >> 1]`;
          out.push(`    r${i.rd} = ${load};`);
        }
      } else if (i.op in STORE_MASK) {
        out.push(`    a = (${reg(i.rs1)} + ${hex(i.imm)}) | 0; e = (ts + ((a >>> 9) & 2040)) >> 2;`);
        out.push(`    if (I32[e] !== (a & ${STORE_MASK[i.op]})) ${stop}`);
        const h = "((a + I32[e + 1]) | 0)";
        const v = reg(i.rs2);
        out.push(i.op === IR_SW ? `    I32[${h} >> 2] = ${v};` : i.op === IR_SH ? `    I16[${h} >> 1] = ${v};` : `    I8[${h}] = ${v};`);
      } else if (i.op === IR_NOP) {
        // (FENCE, hints)
      } else if (m === K - 1) {
        // The block's last instruction: a branch or jump.
        out.push(`    c += ${K};`);
        const link = (i.pc + i.len) | 0;
        if (i.op in BRANCH) {
          out.push(`    if (${BRANCH[i.op](reg(i.rs1), reg(i.rs2))}) { pc = ${i.imm}; ${go(i.imm, false)} }`);
          out.push(`    pc = ${link}; ${go(link)}`);
        } else if (i.op === IR_JAL) {
          if (i.rd !== 0) out.push(`    r${i.rd} = ${link};`);
          out.push(`    pc = ${i.imm}; ${go(i.imm)}`);
        } else if (i.op === IR_JALR) {
          out.push(`    a = (${reg(i.rs1)} + ${hex(i.imm)}) & -2;`);
          if (i.rd !== 0) out.push(`    r${i.rd} = ${link};`);
          out.push("    pc = a; continue exit;");
        } else {
          throw new Error(`jit: IR op ${i.op} at the end of a block`);
        }
      } else {
        throw new Error(`jit: IR op ${i.op} inside a block`);
      }
      if (m === K - 1 && !isBlockEnd(i.op)) {
        out.push(`    c += ${K}; pc = ${b.next}; ${go(b.next)}`);
      }
    });
    if (self) out.push(`    }`);
    out.push("    }");
  });
  out.push("    break exit;", "  }");
  out.push("  c = (c + x) | 0;");
  for (const r of [...written].sort((x, y) => x - y)) out.push(`  I32[${HX + r}] = r${r};`);
  // (the exit pc in SYS_JIT_EXIT_PC too, as the Wasm back end leaves it: the cores' memories stay
  // the same word for word)
  out.push(`  I32[${SYS_JIT_EXIT_PC >> 2}] = pc;`, "  S.pc = pc;", "  return c;", "};");
  return out.join("\n");
}

/** The back end of one core: reads IRs from the translator's area and keeps statistics. */
export class JsBackend {
  /** Regions compiled, the bytes of their sources, the time spent (ms). */
  regions = 0;
  sourceBytes = 0;
  milliseconds = 0;

  /** `area`: a view of the translator's area (src/vmm/guest-memory.ts jitArea). */
  constructor(private readonly area: Int32Array, private readonly base: number) {}

  /** The source of the region whose IR is at host address `ir` (the shim's jitCompile). */
  compile(ir: number): string {
    const t0 = performance.now();
    const source = generateRegion(readRegion(this.area, ir - this.base));
    this.regions++;
    this.sourceBytes += source.length;
    this.milliseconds += performance.now() - t0;
    return source;
  }
}
