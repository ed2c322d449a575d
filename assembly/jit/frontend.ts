// The translator's front end (docs/jit.md): hot-region detection, decoding guest code into the IR
// of ./ir.ts, the directory of translated regions and their invalidation. Portable, like the
// rest of the core; the back ends that turn the IR into code are the host's (src/jit/), reached
// through the shim (jitCompile, jitExec, jitRelease).
//
// - A region is the code reachable from one entry pc within one 4 KiB page, as basic blocks
//   (at most JIT_BLOCKS_MAX blocks, JIT_INSNS_MAX instructions). It is keyed by its entry pc AND
//   the host address the fetch TLB gives for it, and never reaches into another page, so
//   translation changes (satp, SFENCE.VMA, a partition switch) need not drop anything: an entry
//   whose host address no longer matches is simply not used. Only the bytes matter.
// - Bytes change by stores. A page with translated code has its bit in the code-page bitmap and
//   is kept out of every store TLB (translating flushes the store tables), so every store to it
//   takes a slow path (mmu/access.ts), which calls jitWrote(): the page's regions are dropped.
// - Hot detection: the interpreter's fast loop counts taken branches and jumps by target in a
//   table of counters (cpu/exec.ts hotProbe); when a counter reaches JIT_PREFILTER, run() probes
//   the directory for the target (jitLookup), the probe counting as that many branches (a
//   directory entry counts one target's probes); a target reached SYS_JIT_HOT times (layout.ts:
//   JIT_HOT_DEFAULT unless the host says) is translated.

import { load16, load32, store32, memFill, fetch32, jitCompile, jitRelease } from "../shim";
import {
  SYS_JIT_BASE, JIT_DIR, JIT_DIR_ENTRIES, JIT_DIR_ENTRY, JIT_CODE_MAP, JIT_IR, JIT_HOT_TABLE, JIT_HOT_SLOTS, JIT_IR_ENTRY, JIT_IR_BLOCKS,
  JIT_IR_INSNS, JIT_IR_BLOCK_BASE, JIT_IR_BLOCK, JIT_BLOCKS_MAX, JIT_IR_INSN_BASE, JIT_IR_INSN, JIT_INSNS_MAX,
  VCPU_MAX, V_TLB, TLB_SET, TLB_STORE, TLB_TABLE, SYS_STAT_JIT_REGIONS, SYS_STAT_JIT_INSNS,
  SYS_STAT_JIT_INVALIDATIONS, SYS_JIT_HOT, JIT_HOT_DEFAULT, JIT_PREFILTER, SYS_JIT_LIVE, JIT_LIVE_MAX, vcpuAddr,
} from "../layout";
import {
  immI, immS, immB, immJ, cReg, cImmCI, cImmAddi4spn, cImmLw, cImmAddi16sp, cImmJ, cImmB, cImmLwsp, cImmSwsp,
} from "../cpu/decode";
import {
  IR_ADD, IR_SUB, IR_SLL, IR_SLT, IR_SLTU, IR_XOR, IR_SRL, IR_SRA, IR_OR, IR_AND, IR_MUL, IR_ADDI, IR_SLTI,
  IR_SLTIU, IR_XORI, IR_ORI, IR_ANDI, IR_SLLI, IR_SRLI, IR_SRAI, IR_LI, IR_LB, IR_LW, IR_SB, IR_SW, IR_BEQ,
  IR_BNE, IR_BLT, IR_BGE, IR_BLTU, IR_BGEU, IR_JAL, IR_JALR, IR_NOP, isBlockEnd,
} from "./ir";

/** Probes of other targets, none of its own between them, before a translated region's directory
 *  entry goes to another target. */
const JIT_STEAL: i32 = 256;
/** After a refusal (nothing translatable at the target), probes before the next attempt. */
const JIT_RETRY: i32 = 1 << 20;
/** In a translated entry's count word: the entry enters a region another entry owns, at one of
 *  its blocks (claimBlocks); releasing it does not release the region. */
const BORROWED: i32 = 1 << 30;
/** A directory tag no pc has (pcs are even). */
const NO_PC: i32 = -1;

function dirEntry(base: i32, pc: i32): i32 {
  return base + JIT_DIR + ((pc >> 1) & (JIT_DIR_ENTRIES - 1)) * JIT_DIR_ENTRY;
}

/** Turn the translator on with its area at `base` (0: off), empty. */
export function jitReset(base: i32): void {
  const old = load32(SYS_JIT_BASE);
  if (old != 0) jitFlush(old);
  store32(SYS_JIT_BASE, base);
  store32(SYS_JIT_LIVE, 0);
  if (base == 0) return;
  for (let i = 0; i < JIT_DIR_ENTRIES; i++) clearEntry(base + JIT_DIR + i * JIT_DIR_ENTRY);
  memFill(base + JIT_CODE_MAP, 0, JIT_IR - JIT_CODE_MAP);
  hotTableReset(base);
}

/**
 * What a probe the fast loop's taken-branch counter sent counts in the directory: JIT_PREFILTER
 * branches, or fewer when the threshold (SYS_JIT_HOT) is lower — a counter then starts nearer
 * its end (jitCounterStart), so a target is still probed after `threshold` branches.
 */
export function jitProbeWeight(): i32 {
  const hot = jitThreshold();
  return hot < JIT_PREFILTER ? hot : JIT_PREFILTER;
}

/** Probes of a target before it is translated: the host's SYS_JIT_HOT, else JIT_HOT_DEFAULT. */
function jitThreshold(): i32 {
  const set = load32(SYS_JIT_HOT);
  return set > 0 ? set : JIT_HOT_DEFAULT;
}

/** A taken-branch counter's value after a probe found nothing (and at the start). */
export function jitCounterStart(): i32 {
  return i32(JIT_PREFILTER - jitProbeWeight());
}

/** Every taken-branch counter at its start (it reads SYS_JIT_HOT: the host sets that first). */
function hotTableReset(base: i32): void {
  const start = jitCounterStart();
  for (let i = 0; i < JIT_HOT_SLOTS; i++) store32(base + JIT_HOT_TABLE + (i << 2), start);
}

/** Drop every translation (their handles too). */
export function jitFlush(base: i32): void {
  for (let i = 0; i < JIT_DIR_ENTRIES; i++) {
    const e = base + JIT_DIR + i * JIT_DIR_ENTRY;
    dropEntry(e);
  }
  memFill(base + JIT_CODE_MAP, 0, JIT_IR - JIT_CODE_MAP);
  hotTableReset(base);
  store32(SYS_STAT_JIT_INVALIDATIONS, i32(load32(SYS_STAT_JIT_INVALIDATIONS) + 1));
}

/**
 * The translated region entered at `pc` (whose instruction is at host address `host`), or 0:
 * none yet (the probe is counted as `weight` — JIT_PREFILTER when the fast loop's counter sent
 * it, else 1 — and the region translated once it is hot) or none possible.
 *
 * A directory entry belongs to one target (pc and host address) and counts that target's probes
 * only: targets that share an entry (the directory is direct-mapped) do not add up into a hot
 * one — before, a kernel's many cold branch targets sharing entries were translated by the
 * thousand (4,582 regions to Linux's prompt, 15x slower than the interpreter). An entry with a
 * translation is given to another target only after JIT_STEAL probes of others with none of its
 * own between them, so two hot targets sharing an entry do not evict each other in turn.
 */
export function jitLookup(base: i32, pc: i32, host: i32, weight: i32): i32 {
  const e = dirEntry(base, pc);
  const handle = load32(e + 8);
  if (load32(e) == pc && load32(e + 4) == host) {
    if (handle > 0) {
      const c = load32(e + 12);
      if ((c & ~BORROWED) != 0) store32(e + 12, c & BORROWED); // (its own probe: others start again)
      return handle;
    }
    const count = i32(load32(e + 12) + weight);
    store32(e + 12, count);
    if (count < jitThreshold()) return 0;
    if (load32(SYS_JIT_LIVE) >= JIT_LIVE_MAX) {
      // The code cache is full: everything goes, this target stays (as hot as it was).
      jitFlush(base);
      store32(e, pc);
      store32(e + 4, host);
    }
    const translated = translate(base, pc, host);
    if (translated <= 0) {
      store32(e + 12, -JIT_RETRY);
      return 0;
    }
    store32(e + 8, translated);
    store32(e + 12, 0);
    store32(SYS_JIT_LIVE, i32(load32(SYS_JIT_LIVE) + 1));
    claimBlocks(base, translated, pc, i32(host - (pc & 4095)));
    return translated;
  }
  // Another target owns the entry.
  if (handle > 0) {
    const c = load32(e + 12);
    const others = i32((c & ~BORROWED) + 1);
    store32(e + 12, others | (c & BORROWED));
    if (others < JIT_STEAL) return 0;
    if ((c & BORROWED) == 0) {
      releaseRegion(handle);
      dropBorrowers(base, handle);
    }
  }
  store32(e, pc);
  store32(e + 4, host);
  store32(e + 8, 0);
  store32(e + 12, weight);
  return 0;
}

/**
 * The region `handle` entered at `entry` (its code's page at host address `hostPage`) was just
 * translated (its IR is still in the area): the directory entries of its other blocks that hold
 * no translation now enter it there too (BORROWED). So code a region reaches — a return site, a
 * loop — is entered at once wherever run() comes to it, instead of being translated again from
 * there into another region (bench.elf's recursions: 18 regions of ~10 KB each without this).
 */
function claimBlocks(base: i32, handle: i32, entry: i32, hostPage: i32): void {
  const blocks = load32(irAt + JIT_IR_BLOCKS);
  for (let b = 0; b < blocks; b++) {
    const pc = load32(irAt + JIT_IR_BLOCK_BASE + b * JIT_IR_BLOCK);
    if (pc == entry || load32(irAt + JIT_IR_BLOCK_BASE + b * JIT_IR_BLOCK + 8) == 0) continue;
    const e = dirEntry(base, pc);
    if (load32(e + 8) > 0) continue; // (another translation's)
    store32(e, pc);
    store32(e + 4, i32(hostPage + (pc & 4095)));
    store32(e + 8, handle);
    store32(e + 12, BORROWED);
  }
}

/** Empty directory entry `e`, releasing its translation if it owns one. */
function dropEntry(e: i32): void {
  const handle = load32(e + 8);
  if (handle > 0 && (load32(e + 12) & BORROWED) == 0) releaseRegion(handle);
  clearEntry(e);
}

/** The back end lets region `handle` go (its owner entry is being emptied or given away). */
function releaseRegion(handle: i32): void {
  jitRelease(handle);
  store32(SYS_JIT_LIVE, i32(load32(SYS_JIT_LIVE) - 1));
}

/** Directory entry `e` holds nothing (whatever it held is not released). */
function clearEntry(e: i32): void {
  store32(e, NO_PC);
  store32(e + 4, 0);
  store32(e + 8, 0);
  store32(e + 12, 0);
}

/** The entries that borrowed region `handle` (released) enter nothing any more. */
function dropBorrowers(base: i32, handle: i32): void {
  for (let i = 0; i < JIT_DIR_ENTRIES; i++) {
    const e = base + JIT_DIR + i * JIT_DIR_ENTRY;
    if (load32(e + 8) == handle && (load32(e + 12) & BORROWED) != 0) dropEntry(e);
  }
}

/**
 * `size` bytes at host address `host` were written, or are about to be: drop the translations
 * of the pages the range touches. The core calls it from every store path that is not the
 * store TLB's fast path (mmu/access.ts slow paths, SC/AMO, the page-table walker's A/D update;
 * pages with translated code are never in a store TLB), and the host from its one gate into
 * guest memory (src/vmm/guest-memory.ts: virtio DMA, loaders, the GDB stub, the file agent).
 */
export function jitWrote(host: i32, size: i32): void {
  const base = load32(SYS_JIT_BASE);
  if (base == 0 || size <= 0) return;
  const first = host >>> 12;
  const last = i32(host + size - 1) >>> 12;
  for (let page = first; page <= last; page++) codePageWritten(base, page);
}

function codePageWritten(base: i32, page: i32): void {
  const word = base + JIT_CODE_MAP + ((page >>> 5) << 2);
  const bit = 1 << (page & 31);
  const bits = load32(word);
  if ((bits & bit) == 0) return;
  store32(word, bits & ~bit);
  for (let i = 0; i < JIT_DIR_ENTRIES; i++) {
    const e = base + JIT_DIR + i * JIT_DIR_ENTRY;
    if (load32(e) != NO_PC && (load32(e + 4) >>> 12) == page) dropEntry(e);
  }
  store32(SYS_STAT_JIT_INVALIDATIONS, i32(load32(SYS_STAT_JIT_INVALIDATIONS) + 1));
}

/** Mark the page of host address `host` as holding translated code: out of every store TLB. */
function markCodePage(base: i32, host: i32): void {
  const page = host >>> 12;
  const word = base + JIT_CODE_MAP + ((page >>> 5) << 2);
  const bits = load32(word);
  const bit = 1 << (page & 31);
  if ((bits & bit) != 0) return;
  store32(word, bits | bit);
  // Any vCPU may store to this page (shared regions): drop their store tables, every level.
  for (let v = 0; v < VCPU_MAX; v++) {
    for (let set = 0; set < 3; set++) memFill(vcpuAddr(v) + V_TLB + set * TLB_SET + TLB_STORE, 0xff, TLB_TABLE);
  }
}

// ── Decoding a region into the IR ──────────────────────────────────────────────────────────

// The region being decoded: where its IR is, how much of it there is, its page.
let irAt: i32 = 0;
let irInsns: i32 = 0;
let irBlocks: i32 = 0;
let irPage: i32 = 0;
/** Offset of the record emit() wrote last. */
let decoded: i32 = 0;

function emit(pc: i32, op: i32, rd: i32, rs1: i32, rs2: i32, imm: i32, len: i32): void {
  const r = JIT_IR_INSN_BASE + irInsns * JIT_IR_INSN;
  irInsns++;
  decoded = r;
  store32(irAt + r, pc);
  store32(irAt + r + 4, rd == 0 && op < IR_BEQ ? IR_NOP : op); // writes to x0 vanish (emitMem keeps loads)
  store32(irAt + r + 8, rd);
  store32(irAt + r + 12, rs1);
  store32(irAt + r + 16, rs2);
  store32(irAt + r + 20, imm);
  store32(irAt + r + 24, len);
  store32(irAt + r + 28, 0);
}
/**
 * Decode the instruction at pc (bits `insn`, low half only for a compressed one) into one IR
 * record; false (nothing emitted) if it is not one the IR has: the block ends before it and the
 * interpreter runs it. A load to x0 is kept as a load (its fault and its device access are
 * observable): it is emitted with rd = 0 and op unchanged, which the back end handles.
 */
function decodeOne(pc: i32, insn: i32): bool {
  if ((insn & 3) != 3) {
    insn &= 0xffff;
    switch (((insn >> 11) & 0x1c) | (insn & 3)) {
      case 0x00: { // C.ADDI4SPN
        const imm = cImmAddi4spn(insn);
        if (imm == 0) return false;
        emit(pc, IR_ADDI, cReg(insn, 2), 2, 0, imm, 2);
        return true;
      }
      case 0x08: emitMem(pc, IR_LW, cReg(insn, 2), cReg(insn, 7), 0, cImmLw(insn), 2); return true; // C.LW
      case 0x18: emitMem(pc, IR_SW, 0, cReg(insn, 7), cReg(insn, 2), cImmLw(insn), 2); return true; // C.SW
      case 0x01: { const rd = (insn >> 7) & 31; emit(pc, IR_ADDI, rd, rd, 0, cImmCI(insn), 2); return true; } // C.ADDI
      case 0x05: emit(pc, IR_JAL, 1, 0, 0, i32(pc + cImmJ(insn)), 2); return true; // C.JAL
      case 0x09: emit(pc, IR_LI, (insn >> 7) & 31, 0, 0, cImmCI(insn), 2); return true; // C.LI
      case 0x0d: { // C.ADDI16SP / C.LUI
        const rd = (insn >> 7) & 31;
        if (rd == 2) {
          const imm = cImmAddi16sp(insn);
          if (imm == 0) return false;
          emit(pc, IR_ADDI, 2, 2, 0, imm, 2);
        } else {
          const imm = cImmCI(insn) << 12;
          if (imm == 0) return false;
          emit(pc, IR_LI, rd, 0, 0, imm, 2);
        }
        return true;
      }
      case 0x11: { // MISC-ALU
        const rd = cReg(insn, 7);
        const op = (insn >> 10) & 3;
        if (op == 2) emit(pc, IR_ANDI, rd, rd, 0, cImmCI(insn), 2);
        else if ((insn & 0x1000) != 0) return false;
        else if (op == 0) emit(pc, IR_SRLI, rd, rd, 0, (insn >> 2) & 31, 2);
        else if (op == 1) emit(pc, IR_SRAI, rd, rd, 0, (insn >> 2) & 31, 2);
        else {
          const f2 = (insn >> 5) & 3;
          emit(pc, f2 == 0 ? IR_SUB : f2 == 1 ? IR_XOR : f2 == 2 ? IR_OR : IR_AND, rd, rd, cReg(insn, 2), 0, 2);
        }
        return true;
      }
      case 0x15: emit(pc, IR_JAL, 0, 0, 0, i32(pc + cImmJ(insn)), 2); return true; // C.J
      case 0x19: emit(pc, IR_BEQ, 0, cReg(insn, 7), 0, i32(pc + cImmB(insn)), 2); return true; // C.BEQZ
      case 0x1d: emit(pc, IR_BNE, 0, cReg(insn, 7), 0, i32(pc + cImmB(insn)), 2); return true; // C.BNEZ
      case 0x02: { // C.SLLI
        if ((insn & 0x1000) != 0) return false;
        const rd = (insn >> 7) & 31;
        emit(pc, IR_SLLI, rd, rd, 0, (insn >> 2) & 31, 2);
        return true;
      }
      case 0x0a: { // C.LWSP
        const rd = (insn >> 7) & 31;
        if (rd == 0) return false;
        emitMem(pc, IR_LW, rd, 2, 0, cImmLwsp(insn), 2);
        return true;
      }
      case 0x12: { // C.JR, C.MV, C.EBREAK, C.JALR, C.ADD
        const r1 = (insn >> 7) & 31;
        const r2 = (insn >> 2) & 31;
        if ((insn & 0x1000) == 0) {
          if (r2 != 0) emit(pc, IR_ADD, r1, 0, r2, 0, 2); // C.MV
          else if (r1 != 0) emit(pc, IR_JALR, 0, r1, 0, 0, 2); // C.JR
          else return false;
        } else if (r2 != 0) emit(pc, IR_ADD, r1, r1, r2, 0, 2); // C.ADD
        else if (r1 != 0) emit(pc, IR_JALR, 1, r1, 0, 0, 2); // C.JALR
        else return false; // C.EBREAK
        return true;
      }
      case 0x1a: emitMem(pc, IR_SW, 0, 2, (insn >> 2) & 31, cImmSwsp(insn), 2); return true; // C.SWSP
      default: return false; // FP loads and stores, reserved
    }
  }
  const rd = (insn >> 7) & 31;
  const rs1 = (insn >> 15) & 31;
  const rs2 = (insn >> 20) & 31;
  const f3 = (insn >> 12) & 7;
  const f7 = insn >>> 25;
  switch ((insn >> 2) & 31) {
    case 0x00: // LOAD: LB LH LW LBU LHU (funct3 0, 1, 2, 4, 5)
      if (f3 == 3 || f3 > 5) return false;
      emitMem(pc, IR_LB + (f3 < 3 ? f3 : f3 - 1), rd, rs1, 0, immI(insn), 4);
      return true;
    case 0x08: // STORE
      if (f3 > 2) return false;
      emitMem(pc, IR_SB + f3, 0, rs1, rs2, immS(insn), 4);
      return true;
    case 0x04: { // OP-IMM
      const imm = immI(insn);
      switch (f3) {
        case 0: emit(pc, IR_ADDI, rd, rs1, 0, imm, 4); return true;
        case 1: if (f7 != 0) return false; emit(pc, IR_SLLI, rd, rs1, 0, imm & 31, 4); return true;
        case 2: emit(pc, IR_SLTI, rd, rs1, 0, imm, 4); return true;
        case 3: emit(pc, IR_SLTIU, rd, rs1, 0, imm, 4); return true;
        case 4: emit(pc, IR_XORI, rd, rs1, 0, imm, 4); return true;
        case 5:
          if (f7 == 0) emit(pc, IR_SRLI, rd, rs1, 0, imm & 31, 4);
          else if (f7 == 0x20) emit(pc, IR_SRAI, rd, rs1, 0, imm & 31, 4);
          else return false;
          return true;
        case 6: emit(pc, IR_ORI, rd, rs1, 0, imm, 4); return true;
        default: emit(pc, IR_ANDI, rd, rs1, 0, imm, 4); return true;
      }
    }
    case 0x0c: { // OP
      if (f7 == 0) {
        // ADD SLL SLT SLTU XOR SRL OR AND by funct3
        const ops: i32 = f3 == 0 ? IR_ADD : f3 == 1 ? IR_SLL : f3 == 2 ? IR_SLT : f3 == 3 ? IR_SLTU
          : f3 == 4 ? IR_XOR : f3 == 5 ? IR_SRL : f3 == 6 ? IR_OR : IR_AND;
        emit(pc, ops, rd, rs1, rs2, 0, 4);
      } else if (f7 == 1) {
        emit(pc, IR_MUL + f3, rd, rs1, rs2, 0, 4);
      } else if (f7 == 0x20 && f3 == 0) {
        emit(pc, IR_SUB, rd, rs1, rs2, 0, 4);
      } else if (f7 == 0x20 && f3 == 5) {
        emit(pc, IR_SRA, rd, rs1, rs2, 0, 4);
      } else {
        return false;
      }
      return true;
    }
    case 0x0d: emit(pc, IR_LI, rd, 0, 0, insn & -4096, 4); return true; // LUI
    case 0x05: emit(pc, IR_LI, rd, 0, 0, i32(pc + (insn & -4096)), 4); return true; // AUIPC
    case 0x1b: emit(pc, IR_JAL, rd, 0, 0, i32(pc + immJ(insn)), 4); return true; // JAL
    case 0x19: // JALR
      if (f3 != 0) return false;
      emit(pc, IR_JALR, rd, rs1, 0, immI(insn), 4);
      return true;
    case 0x18: // BRANCH
      if (f3 == 2 || f3 == 3) return false;
      emit(pc, IR_BEQ + (f3 < 2 ? f3 : f3 - 2), 0, rs1, rs2, i32(pc + immB(insn)), 4);
      return true;
    case 0x03: // MISC-MEM: FENCE (a no-op for one hart, as in the interpreter); FENCE.I ends the block
      if (f3 != 0) return false;
      emit(pc, IR_NOP, 0, 0, 0, 0, 4);
      return true;
    default:
      return false;
  }
}

/** A load or store: kept even with rd = x0 (its TLB miss, fault or device access must happen). */
function emitMem(pc: i32, op: i32, rd: i32, rs1: i32, rs2: i32, imm: i32, len: i32): void {
  emit(pc, op, 1, rs1, rs2, imm, len);
  store32(irAt + decoded + 8, rd);
}

/**
 * Decode the region entered at `pc` (host address `host`) into the IR and hand it to the back
 * end (the shim's jitCompile): its handle, or 0 if nothing could be translated.
 */
function translate(base: i32, pc: i32, host: i32): i32 {
  irAt = base + JIT_IR;
  irInsns = 0;
  irBlocks = 0;
  const page = pc & -4096;
  irPage = page;
  const hostPage = i32(host - (pc & 4095));
  // Work list of block starts (in the IR's block table: a block is decoded when it is taken).
  addBlock(pc);
  for (let b = 0; b < irBlocks; b++) {
    const rec = irAt + JIT_IR_BLOCK_BASE + b * JIT_IR_BLOCK;
    let at = load32(rec);
    store32(rec + 4, irInsns);
    const first = irInsns;
    while (irInsns < JIT_INSNS_MAX) {
      if ((at & -4096) != page) break; // the region stays in its page
      if (at != load32(rec) && isBlockStart(at)) break; // falls into another block
      const offset = at & 4095;
      let insn = load16(hostPage + offset);
      if ((insn & 3) == 3) {
        if (offset == 4094) break; // straddles into the next page
        insn = fetch32(hostPage + offset);
      }
      if (!decodeOne(at, insn)) break;
      const r = irAt + JIT_IR_INSN_BASE + (irInsns - 1) * JIT_IR_INSN;
      const op = load32(r + 4);
      at = i32(at + load32(r + 24));
      if (isBlockEnd(op)) {
        // Successors in this page become blocks of the region; so does a call's return site
        // (a JAL or JALR that links): the callee's return (a JALR, whose target the back end
        // dispatches among the region's blocks) then stays in the region.
        if (op != IR_JALR) addBlock(load32(r + 20));
        if ((op != IR_JAL && op != IR_JALR) || load32(r + 8) != 0) addBlock(at);
        break;
      }
    }
    store32(rec + 8, irInsns - first);
    store32(rec + 12, at);
  }
  if (irInsns == 0 || load32(irAt + JIT_IR_BLOCK_BASE + 8) == 0) return 0;
  store32(irAt + JIT_IR_ENTRY, pc);
  store32(irAt + JIT_IR_BLOCKS, irBlocks);
  store32(irAt + JIT_IR_INSNS, irInsns);
  markCodePage(base, host);
  const handle = jitCompile(irAt);
  if (handle > 0) {
    store32(SYS_STAT_JIT_REGIONS, i32(load32(SYS_STAT_JIT_REGIONS) + 1));
    store32(SYS_STAT_JIT_INSNS, i32(load32(SYS_STAT_JIT_INSNS) + irInsns));
  }
  return handle;
}

function isBlockStart(pc: i32): bool {
  for (let b = 0; b < irBlocks; b++) if (load32(irAt + JIT_IR_BLOCK_BASE + b * JIT_IR_BLOCK) == pc) return true;
  return false;
}

function addBlock(pc: i32): void {
  if (irBlocks >= JIT_BLOCKS_MAX || (pc & -4096) != irPage || isBlockStart(pc)) return;
  const rec = irAt + JIT_IR_BLOCK_BASE + irBlocks * JIT_IR_BLOCK;
  store32(rec, pc);
  store32(rec + 4, 0);
  store32(rec + 8, 0);
  store32(rec + 12, pc);
  irBlocks++;
}
