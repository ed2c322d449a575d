// The translator's WebAssembly back end (docs/jit.md): a region's IR (assembly/jit/frontend.ts
// wrote it into the translator's area) becomes one small Wasm module that imports the core's
// memory and exports one function with the contract of the JavaScript back end
// (src/jit/js-backend.ts):
//   (pc, limit, tlbLoad, tlbStore) → instructions retired; the pc it stopped at in
//   SYS_JIT_EXIT_PC (assembly/layout.ts), where the core's jitExitPc() reads it.
// - Guest registers live in Wasm locals for the whole call: read at entry, written back at the
//   one exit.
// - Blocks: a `loop` around nested `block`s, one per basic block, entered by a `br_table` over
//   (pc - lowest block start) / 2; a pc that is not a block of the region leaves. A branch to a
//   later block of the region is a direct `br` out of the nested blocks to its code (to the next
//   one: none, it falls through); a block that branches to its own start is a `loop` of its own;
//   only a branch to an earlier block, and JALR, go round through the `br_table`.
// - A block of K instructions runs only if K fit in what is left of `limit` (else it leaves at
//   the block's pc); loads and stores compare the page and alignment bits against the TLB tag
//   inline and leave before the instruction on a miss, which the interpreter then runs.
// The module is compiled synchronously (new WebAssembly.Module): regions are small.

import { HART_X, SYS_JIT_EXIT_PC } from "../../assembly/layout.js";
import {
  IR_ADD, IR_SUB, IR_SLL, IR_SLT, IR_SLTU, IR_XOR, IR_SRL, IR_SRA, IR_OR, IR_AND, IR_MUL, IR_MULH, IR_MULHSU,
  IR_MULHU, IR_DIV, IR_DIVU, IR_REM, IR_REMU, IR_ADDI, IR_SLTI, IR_SLTIU, IR_XORI, IR_ORI, IR_ANDI, IR_SLLI,
  IR_SRLI, IR_SRAI, IR_LI, IR_LB, IR_LH, IR_LW, IR_LBU, IR_LHU, IR_SB, IR_SH, IR_SW, IR_BEQ, IR_BNE, IR_BLT,
  IR_BGE, IR_BLTU, IR_BGEU, IR_JAL, IR_JALR, IR_NOP, isBlockEnd,
} from "../../assembly/jit/ir.js";
import { readRegion, registerUse, layoutOf, edge } from "./js-backend.js";

type Region = ReturnType<typeof readRegion>;

// Opcodes (WebAssembly core specification, binary format).
const BLOCK = 0x02, LOOP = 0x03, IF = 0x04, ELSE = 0x05, END = 0x0b, BR = 0x0c, BR_IF = 0x0d, BR_TABLE = 0x0e, VOID = 0x40;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22, SELECT = 0x1b;
const I32_LOAD = 0x28, I32_LOAD8_S = 0x2c, I32_LOAD8_U = 0x2d, I32_LOAD16_S = 0x2e, I32_LOAD16_U = 0x2f;
const I32_STORE = 0x36, I32_STORE8 = 0x3a, I32_STORE16 = 0x3b, I32_CONST = 0x41;
const I32_EQZ = 0x45, I32_EQ = 0x46, I32_NE = 0x47, I32_LT_S = 0x48, I32_LT_U = 0x49, I32_GT_S = 0x4a, I32_GE_S = 0x4e, I32_GE_U = 0x4f;
const I32_ADD = 0x6a, I32_SUB = 0x6b, I32_MUL = 0x6c, I32_DIV_S = 0x6d, I32_DIV_U = 0x6e, I32_REM_S = 0x6f, I32_REM_U = 0x70;
const I32_AND = 0x71, I32_OR = 0x72, I32_XOR = 0x73, I32_SHL = 0x74, I32_SHR_S = 0x75, I32_SHR_U = 0x76;
const I64_MUL = 0x7e, I64_SHR_U = 0x88, I32_WRAP_I64 = 0xa7, I64_EXTEND_I32_S = 0xac, I64_EXTEND_I32_U = 0xad, I64_CONST = 0x42;

// Locals: the four parameters, then c (retired), a (address), e (TLB entry), then x1..x31.
const PC = 0, LIMIT = 1, TL = 2, TS = 3, C = 4, A = 5, E = 6;
const reg = (r: number) => 6 + r;

const LOAD_MASK: Record<number, number> = { [IR_LB]: -4096, [IR_LBU]: -4096, [IR_LH]: -4095, [IR_LHU]: -4095, [IR_LW]: -4093 };
const STORE_MASK: Record<number, number> = { [IR_SB]: -4096, [IR_SH]: -4095, [IR_SW]: -4093 };
const LOAD_OP: Record<number, number> = { [IR_LB]: I32_LOAD8_S, [IR_LBU]: I32_LOAD8_U, [IR_LH]: I32_LOAD16_S, [IR_LHU]: I32_LOAD16_U, [IR_LW]: I32_LOAD };
const STORE_OP: Record<number, number> = { [IR_SB]: I32_STORE8, [IR_SH]: I32_STORE16, [IR_SW]: I32_STORE };
const RR: Record<number, number> = {
  [IR_ADD]: I32_ADD, [IR_SUB]: I32_SUB, [IR_SLL]: I32_SHL, [IR_SRL]: I32_SHR_U, [IR_SRA]: I32_SHR_S, [IR_XOR]: I32_XOR,
  [IR_OR]: I32_OR, [IR_AND]: I32_AND, [IR_SLT]: I32_LT_S, [IR_SLTU]: I32_LT_U, [IR_MUL]: I32_MUL,
};
const RI: Record<number, number> = {
  [IR_ADDI]: I32_ADD, [IR_SLTI]: I32_LT_S, [IR_SLTIU]: I32_LT_U, [IR_XORI]: I32_XOR, [IR_ORI]: I32_OR, [IR_ANDI]: I32_AND,
  [IR_SLLI]: I32_SHL, [IR_SRLI]: I32_SHR_U, [IR_SRAI]: I32_SHR_S,
};
const BRANCH: Record<number, number> = {
  [IR_BEQ]: I32_EQ, [IR_BNE]: I32_NE, [IR_BLT]: I32_LT_S, [IR_BGE]: I32_GE_S, [IR_BLTU]: I32_LT_U, [IR_BGEU]: I32_GE_U,
};

/** Bytes of a function body or a module, with LEB128: written into a growing buffer (no
 *  arrays spread: the generator runs cold, a few dozen times per run, and must be cheap then). */
class Bytes {
  private buf = new Uint8Array(4096);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    grown.set(this.buf.subarray(0, this.length));
    this.buf = grown;
  }
  private put(x: number): void {
    if (this.length === this.buf.length) this.room(1);
    this.buf[this.length++] = x;
  }
  op(...xs: number[]): this {
    this.room(xs.length);
    for (let i = 0; i < xs.length; i++) this.buf[this.length++] = xs[i];
    return this;
  }
  u(v: number): this {
    v >>>= 0;
    do { let x = v & 0x7f; v >>>= 7; if (v !== 0) x |= 0x80; this.put(x); } while (v !== 0);
    return this;
  }
  s(v: number): this {
    v |= 0;
    for (;;) {
      const x = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (x & 0x40) === 0) || (v === -1 && (x & 0x40) !== 0)) { this.put(x); return this; }
      this.put(x | 0x80);
    }
  }
  get(l: number): this { return this.op(LOCAL_GET).u(l); }
  set(l: number): this { return this.op(LOCAL_SET).u(l); }
  k(v: number): this { return this.op(I32_CONST).s(v); }
  /** x_r's value (x0: 0). */
  x(r: number): this { return r === 0 ? this.k(0) : this.get(reg(r)); }
  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  /** What was written (a view of the buffer). */
  view(): Uint8Array { return this.buf.subarray(0, this.length); }
}

/** The size of LEB128 `v` (unsigned) in bytes. */
const ulebSize = (v: number) => { let n = 1; for (v >>>= 7; v !== 0; v >>>= 7) n++; return n; };
const name = (w: Bytes, s: string) => { w.u(s.length); for (let i = 0; i < s.length; i++) w.op(s.charCodeAt(i)); return w; };
const section = (w: Bytes, id: number, body: Bytes) => w.op(id).u(body.length).bytes(body.view());

/** Every region's module up to its code section: the magic and version; the type
 *  (i32, i32, i32, i32) → i32; the core's memory imported as "m" "mem"; one function, exported
 *  as "f". */
const MODULE_HEAD: Uint8Array = (() => {
  const w = new Bytes().op(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0);
  section(w, 1, new Bytes().u(1).op(0x60).u(4).op(0x7f, 0x7f, 0x7f, 0x7f).u(1).op(0x7f));
  section(w, 2, name(name(new Bytes().u(1), "m"), "mem").op(0x02, 0x00).u(0));
  section(w, 3, new Bytes().u(1).u(0));
  section(w, 7, name(new Bytes().u(1), "f").op(0x00).u(0));
  return w.view().slice();
})();

/** The body of the region's function (locals and code). */
export function generateBody(region: Region): Uint8Array {
  const { used, written } = registerUse(region);
  const f = new Bytes();
  f.u(1).u(3 + 31).op(0x7f); // (one group of i32 locals)
  for (const r of [...used].sort((x, y) => x - y)) f.k(0).op(I32_LOAD, 2).u(HART_X + 4 * r).set(reg(r));
  const blocks = region.blocks;
  const n = blocks.length;
  const starts = blocks.map((b) => b.start);
  const min = Math.min(...starts);
  const span = ((Math.max(...starts) - min) >>> 1) + 1;
  const table: number[] = new Array(span).fill(n); // (not a block: the default, leave)
  blocks.forEach((b, k) => { table[(b.start - min) >>> 1] = k; });

  const layout = layoutOf(blocks);
  f.op(BLOCK, VOID, LOOP, VOID, BLOCK, VOID);
  for (let k = 0; k < n; k++) f.op(BLOCK, VOID);
  f.get(PC).k(min).op(I32_SUB).k(1).op(I32_SHR_U).op(BR_TABLE).u(span);
  for (const t of table) f.u(t);
  f.u(n);
  blocks.forEach((b, k) => {
    f.op(END);
    // Labels from here: block t > k at t - k - 1 (its code follows: t = k + 1 falls through),
    // L at n - k, X at n - k + 1; a block that branches to its own start is a `loop` of its
    // own (`self`), one label deeper for all of them.
    const K = b.insns.length;
    if (K === 0) { f.op(BR).u(n - k + 1); return; }
    const self = layout.loops[k];
    const d = self ? 1 : 0;
    const toL = n - k + d;
    const toX = n - k + 1 + d;
    /** Go on at `target` (PC already set), from `depth` labels deeper (js-backend.ts edge()). */
    const go = (target: number, depth: number) => {
      const { kind, t } = edge(layout, blocks, k, target);
      if (kind === "self") f.op(BR).u(depth);
      else if (kind === "out") f.op(BR).u(toX + depth);
      else if (kind === "dispatch") f.op(BR).u(toL + depth);
      else if (kind === "later" || depth > 0) f.op(BR).u(t - k - 1 + d + depth); // ("next" at depth 0: falls through)
    };
    if (self) f.op(LOOP, VOID);
    f.get(C).k(K).op(I32_ADD).get(LIMIT).op(I32_GT_S, BR_IF).u(toX);
    b.insns.forEach((i, m) => {
      const last = m === K - 1;
      const leave = () => {
        // (inside an `if`: one label deeper)
        f.k(i.pc).set(PC).get(C).k(m).op(I32_ADD).set(C).op(BR).u(toX + 1).op(END);
      };
      if (i.op in RR || i.op in RI || i.op === IR_LI || (i.op >= IR_MULH && i.op <= IR_REMU)) {
        if (i.rd !== 0) { alu(f, i); f.set(reg(i.rd)); }
      } else if (i.op in LOAD_MASK || i.op in STORE_MASK) {
        const load = i.op in LOAD_MASK;
        f.x(i.rs1).k(i.imm).op(I32_ADD).op(LOCAL_TEE).u(A).k(9).op(I32_SHR_U).k(2040).op(I32_AND).get(load ? TL : TS).op(I32_ADD).op(LOCAL_TEE).u(E);
        f.op(I32_LOAD, 2, 0).get(A).k(load ? LOAD_MASK[i.op] : STORE_MASK[i.op]).op(I32_AND).op(I32_NE, IF, VOID);
        leave();
        if (load) {
          if (i.rd !== 0) f.get(A).get(E).op(I32_LOAD, 2, 4).op(I32_ADD).op(LOAD_OP[i.op], 0, 0).set(reg(i.rd));
        } else {
          f.get(A).get(E).op(I32_LOAD, 2, 4).op(I32_ADD).x(i.rs2).op(STORE_OP[i.op], 0, 0);
        }
      } else if (i.op === IR_NOP) {
        // (FENCE, hints)
      } else if (last) {
        const link = (i.pc + i.len) | 0;
        f.get(C).k(K).op(I32_ADD).set(C);
        if (i.op in BRANCH) {
          f.x(i.rs1).x(i.rs2).op(BRANCH[i.op], IF, VOID).k(i.imm).set(PC);
          go(i.imm, 1);
          f.op(END).k(link).set(PC);
          go(link, 0);
        } else if (i.op === IR_JAL) {
          if (i.rd !== 0) f.k(link).set(reg(i.rd));
          f.k(i.imm).set(PC);
          go(i.imm, 0);
        } else if (i.op === IR_JALR) {
          f.x(i.rs1).k(i.imm).op(I32_ADD).k(-2).op(I32_AND).set(PC);
          if (i.rd !== 0) f.k(link).set(reg(i.rd));
          f.op(BR).u(toL);
        } else {
          throw new Error(`jit: IR op ${i.op} at the end of a block`);
        }
      } else {
        throw new Error(`jit: IR op ${i.op} inside a block`);
      }
      if (last && !isBlockEnd(i.op)) {
        f.get(C).k(K).op(I32_ADD).set(C).k(b.next).set(PC);
        go(b.next, 0);
      }
    });
    if (self) f.op(END);
  });
  f.op(END); // the default: leave
  f.op(END, END); // loop, X
  for (const r of [...written].sort((x, y) => x - y)) f.k(0).get(reg(r)).op(I32_STORE, 2).u(HART_X + 4 * r);
  f.k(0).get(PC).op(I32_STORE, 2).u(SYS_JIT_EXIT_PC);
  f.get(C).op(END);
  return f.view();
}

/** The value of an ALU instruction, pushed. */
function alu(f: Bytes, i: { op: number; rs1: number; rs2: number; imm: number }): void {
  if (i.op === IR_LI) { f.k(i.imm); return; }
  if (i.op in RI) {
    f.x(i.rs1).k(i.imm).op(RI[i.op]);
    return;
  }
  if (i.op in RR) {
    f.x(i.rs1).x(i.rs2);
    f.op(RR[i.op]); // (Wasm's shifts take the count mod 32, as RISC-V's)
    return;
  }
  const a = () => f.x(i.rs1);
  const b = () => f.x(i.rs2);
  switch (i.op) {
    case IR_MULH: a().op(I64_EXTEND_I32_S); b().op(I64_EXTEND_I32_S); f.op(I64_MUL, I64_CONST, 32, I64_SHR_U, I32_WRAP_I64); return;
    case IR_MULHSU: a().op(I64_EXTEND_I32_S); b().op(I64_EXTEND_I32_U); f.op(I64_MUL, I64_CONST, 32, I64_SHR_U, I32_WRAP_I64); return;
    case IR_MULHU: a().op(I64_EXTEND_I32_U); b().op(I64_EXTEND_I32_U); f.op(I64_MUL, I64_CONST, 32, I64_SHR_U, I32_WRAP_I64); return;
    // Division (RISC-V): by zero, the quotient is -1 and the remainder the dividend; -2^31 / -1
    // is -2^31 (Wasm's div_s traps there: the divisor is made 1), remainder 0 (as rem_s gives).
    case IR_DIV: case IR_DIVU: case IR_REM: case IR_REMU: {
      b(); f.set(E);
      a(); f.set(A);
      f.get(E).op(I32_EQZ, IF, 0x7f);
      if (i.op === IR_DIV || i.op === IR_DIVU) f.k(-1);
      else f.get(A);
      f.op(ELSE).get(A);
      if (i.op === IR_DIV) {
        f.k(1).get(E).get(A).k(-0x80000000).op(I32_EQ).get(E).k(-1).op(I32_EQ, I32_AND, SELECT).op(I32_DIV_S);
      } else {
        f.get(E).op(i.op === IR_DIVU ? I32_DIV_U : i.op === IR_REM ? I32_REM_S : I32_REM_U);
      }
      f.op(END);
      return;
    }
    default: throw new Error(`jit: IR op ${i.op} is not an ALU op`);
  }
}

/** The module of one region: imports the core's memory ("m" "mem"), exports "f". */
export function generateModule(region: Region): Uint8Array<ArrayBuffer> {
  const body = generateBody(region);
  // The code section: one body, of its size.
  const content = 1 + ulebSize(body.length) + body.length;
  const w = new Bytes().bytes(MODULE_HEAD).op(10).u(content).u(1).u(body.length).bytes(body);
  return w.view().slice() as Uint8Array<ArrayBuffer>;
}

type RegionFunction = (pc: number, limit: number, tlbLoad: number, tlbStore: number) => number;

/** The Wasm back end of one core: compiles regions against its memory and puts their functions
 *  in its table at their handles, where the core calls them (the core's jitCompile / jitRelease
 *  imports, its jitExec a call_indirect: assembly/shim/index.ts, src/core/core.ts). */
export class WasmBackend {
  regions = 0;
  codeBytes = 0;
  milliseconds = 0;
  /** Handles given out and let go, free for the next region. */
  private readonly free: number[] = [];
  private next = 1;

  /** `area`: a view of the translator's area (src/vmm/guest-memory.ts jitArea). */
  constructor(private readonly area: Int32Array, private readonly base: number, private readonly memory: WebAssembly.Memory,
    private readonly table: WebAssembly.Table) {}

  compile(ir: number): number {
    const t0 = performance.now();
    const bytes = generateModule(readRegion(this.area, ir - this.base));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { m: { mem: this.memory } });
    const handle = this.free.length > 0 ? this.free.pop()! : this.next++;
    if (handle >= this.table.length) this.table.grow(handle + 1 - this.table.length);
    this.table.set(handle, instance.exports.f as RegionFunction);
    this.regions++;
    this.codeBytes += bytes.length;
    this.milliseconds += performance.now() - t0;
    return handle;
  }

  release(handle: number): void {
    if (handle <= 0 || handle >= this.table.length || this.table.get(handle) === null) return;
    this.table.set(handle, null);
    this.free.push(handle);
  }
}
