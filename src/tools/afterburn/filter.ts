// The afterburner: pre-virtualization's assembly rewriter (docs/previrt.md). It reads the RISC-V
// assembly a compiler wrote (or a hand-written, already preprocessed .S) and turns every
// sensitive instruction into a *site*:
//
//     .option push; .option norvc
//   .Lwv<N>:                         (inside a macro body: .Lwv<N>_\@, unique per expansion)
//     csrr a5, sstatus               the original instruction, first: it runs as it was on a
//     nop                            bare machine; the padding makes every site the same size
//     .option pop
//     .pushsection .wvsites,"R",@progbits   (R: SHF_GNU_RETAIN, so --gc-sections keeps it)
//     .word .Lwv<N>, <info>          the site-table entry (sites.ts)
//     .popsection
//
// The table section is not allocated: it costs the loaded image nothing and survives linking as
// it is (a linker keeps unknown non-allocated sections). Everything else passes through
// unchanged, byte for byte.
//
// Sensitive: the Zicsr instructions on a CSR whose lowest privilege (csr[9:8], priv spec 2.1) is
// above U, by name or number; SRET, MRET, WFI, SFENCE.VMA. User CSRs (cycle, time, instret,
// fcsr, ...) are left alone: they do not trap in a de-privileged guest either. What it cannot
// classify is left alone and reported (AfterburnReport.unclassified): a CSR or register named
// by a macro parameter, a `.insn` of the SYSTEM opcode, a sensitive instruction inside `.rept`
// or `.irp` (labels there would repeat), in a section that is not code (e.g. Linux's
// `.alternative`), or in a nonzero subsection (alternative replacement code).

import { KIND_MRET, KIND_SFENCE, KIND_SRET, KIND_WFI, SITES_SECTION, siteInfo, type Site } from "./sites.js";

/** A site is this many bytes unless the caller asks otherwise: the instruction and one NOP. */
export const DEFAULT_SITE_BYTES = 8;

export interface AfterburnOptions {
  /** Bytes per site, a multiple of 4 from 4 to 64 (default 8). */
  siteBytes?: number;
  /** "supervisor": machine-level CSRs and MRET are left alone (an S-mode kernel never runs them
   *  legitimately); "machine" (default): both levels are sites. */
  mode?: "machine" | "supervisor";
  /** Prefix of the local labels (default ".Lwv"). */
  labelPrefix?: string;
}

export interface Unclassified {
  line: number;
  text: string;
  why: string;
}

export interface AfterburnReport {
  /** Sites emitted, per kind name (csrrs, sret, ...). */
  sites: Record<string, number>;
  /** Sites inside macro bodies (counted once per body, emitted once per expansion). */
  macroSites: number;
  /** Sensitive-looking statements left alone, with why. */
  unclassified: Unclassified[];
  /** Accesses of user CSRs (cycle, time, fcsr, ...) left alone, as intended. */
  userCsrs: number;
  /** Machine-level accesses left alone in supervisor mode. */
  machineLeft: number;
}

export interface AfterburnResult {
  text: string;
  report: AfterburnReport;
}

// ── CSR names (priv spec 1.12 tables 2.2-2.6; unprivileged spec for the user ones) ───────────
const CSR_NUMBERS = new Map<string, number>([
  ["fflags", 0x001], ["frm", 0x002], ["fcsr", 0x003], ["seed", 0x015],
  ["cycle", 0xc00], ["time", 0xc01], ["instret", 0xc02], ["cycleh", 0xc80], ["timeh", 0xc81], ["instreth", 0xc82],
  ["sstatus", 0x100], ["sie", 0x104], ["stvec", 0x105], ["scounteren", 0x106], ["senvcfg", 0x10a],
  ["sscratch", 0x140], ["sepc", 0x141], ["scause", 0x142], ["stval", 0x143], ["sbadaddr", 0x143],
  ["sip", 0x144], ["stimecmp", 0x14d], ["stimecmph", 0x15d], ["satp", 0x180], ["sptbr", 0x180],
  ["mvendorid", 0xf11], ["marchid", 0xf12], ["mimpid", 0xf13], ["mhartid", 0xf14], ["mconfigptr", 0xf15],
  ["mstatus", 0x300], ["misa", 0x301], ["medeleg", 0x302], ["mideleg", 0x303], ["mie", 0x304],
  ["mtvec", 0x305], ["mcounteren", 0x306], ["menvcfg", 0x30a], ["mstatush", 0x310], ["menvcfgh", 0x31a],
  ["mcountinhibit", 0x320], ["mscratch", 0x340], ["mepc", 0x341], ["mcause", 0x342], ["mtval", 0x343],
  ["mbadaddr", 0x343], ["mip", 0x344], ["mtinst", 0x34a], ["mtval2", 0x34b],
  ["mseccfg", 0x747], ["mseccfgh", 0x757],
  ["mcycle", 0xb00], ["minstret", 0xb02], ["mcycleh", 0xb80], ["minstreth", 0xb82],
  ["tselect", 0x7a0], ["tdata1", 0x7a1], ["tdata2", 0x7a2], ["tdata3", 0x7a3], ["tinfo", 0x7a4],
  ["tcontrol", 0x7a5], ["mcontext", 0x7a8], ["dcsr", 0x7b0], ["dpc", 0x7b1], ["dscratch0", 0x7b2], ["dscratch1", 0x7b3],
]);
for (let i = 0; i < 16; i++) CSR_NUMBERS.set(`pmpcfg${i}`, 0x3a0 + i);
for (let i = 0; i < 64; i++) CSR_NUMBERS.set(`pmpaddr${i}`, 0x3b0 + i);
for (let i = 3; i < 32; i++) {
  CSR_NUMBERS.set(`hpmcounter${i}`, 0xc00 + i);
  CSR_NUMBERS.set(`hpmcounter${i}h`, 0xc80 + i);
  CSR_NUMBERS.set(`mhpmcounter${i}`, 0xb00 + i);
  CSR_NUMBERS.set(`mhpmcounter${i}h`, 0xb80 + i);
  CSR_NUMBERS.set(`mhpmevent${i}`, 0x320 + i);
}

const ABI_REGS = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
  "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"];

function regNumber(name: string): number {
  const r = name.trim().toLowerCase();
  if (r === "fp") return 8;
  const abi = ABI_REGS.indexOf(r);
  if (abi >= 0) return abi;
  const m = /^x([0-9]|[12][0-9]|3[01])$/.exec(r);
  return m ? Number(m[1]) : -1;
}

/** A plain integer literal (decimal, 0x, 0b, 0o/leading 0), else NaN. */
function intLiteral(text: string): number {
  const t = text.trim();
  if (/^-?0x[0-9a-f]+$/i.test(t) || /^-?0b[01]+$/i.test(t) || /^-?[1-9][0-9]*$/.test(t) || t === "0") return Number(t);
  if (/^0[0-7]+$/.test(t)) return parseInt(t, 8);
  return NaN;
}

function csrNumber(text: string): number {
  const t = text.trim().toLowerCase();
  const named = CSR_NUMBERS.get(t);
  if (named !== undefined) return named;
  const n = intLiteral(t);
  return Number.isInteger(n) && n >= 0 && n <= 0xfff ? n : -1;
}

// ── Lexing: comments, strings and statements ─────────────────────────────────────────────────

/** A line split into statements (at `;`), its comment dropped; quotes respected. */
function statements(line: string): { stmts: string[]; comment: string } {
  const out: string[] = [];
  let cur = "";
  let quote = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      cur += c;
      if (c === "\\" && i + 1 < line.length) cur += line[++i];
      else if (c === '"') quote = false;
      continue;
    }
    if (c === '"') {
      quote = true;
      cur += c;
    } else if (c === "#") {
      out.push(cur);
      return { stmts: out, comment: line.slice(i) };
    } else if (c === ";") {
      out.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return { stmts: out, comment: "" };
}

/** Leading labels (`name:`, `1:`) and the rest of a statement. */
function splitLabels(stmt: string): { labels: string[]; body: string } {
  const labels: string[] = [];
  let rest = stmt;
  for (;;) {
    const m = /^\s*([A-Za-z_.$][\w.$]*|[0-9]+|"[^"]*")\s*:(?!:)/.exec(rest);
    if (!m) break;
    labels.push(m[1]);
    rest = rest.slice(m[0].length);
  }
  return { labels, body: rest.trim() };
}

function operands(text: string): string[] {
  if (text.trim() === "") return [];
  return text.split(",").map((s) => s.trim());
}

// ── Classification ────────────────────────────────────────────────────────────────────────────

type Classified =
  | { site: Site }
  | { leave: "user" | "machine" }
  | { unclassified: string }
  | null; // not sensitive at all

const CSR_PSEUDO: Record<string, { funct3: number; form: "r" | "w" }> = {
  csrr: { funct3: 2, form: "r" },
  csrw: { funct3: 1, form: "w" }, csrs: { funct3: 2, form: "w" }, csrc: { funct3: 3, form: "w" },
  csrwi: { funct3: 5, form: "w" }, csrsi: { funct3: 6, form: "w" }, csrci: { funct3: 7, form: "w" },
};
const CSR_FULL: Record<string, number> = { csrrw: 1, csrrs: 2, csrrc: 3, csrrwi: 5, csrrsi: 6, csrrci: 7 };

function classify(mnemonic: string, args: string, mode: "machine" | "supervisor", siteBytes: number): Classified {
  const ops = operands(args);
  const hasMacroArg = args.includes("\\");
  const csrSite = (funct3: number, rdText: string, csrText: string, srcText: string): Classified => {
    if (hasMacroArg) return { unclassified: "an operand is a macro parameter" };
    const csr = csrNumber(csrText);
    if (csr < 0) return { unclassified: `unknown CSR "${csrText}"` };
    const level = (csr >> 8) & 3;
    if (level === 0) return { leave: "user" };
    if (level === 3 && mode === "supervisor") return { leave: "machine" };
    const rd = regNumber(rdText);
    if (rd < 0) return { unclassified: `not a register: "${rdText}"` };
    let f3 = funct3;
    let src = regNumber(srcText);
    if (src < 0) {
      // An immediate: the immediate forms (GAS accepts `csrs csr, 8` for csrsi as well).
      const imm = intLiteral(srcText);
      if (!Number.isInteger(imm) || imm < 0 || imm > 31) return { unclassified: `not a register or a 5-bit immediate: "${srcText}"` };
      f3 |= 4;
      src = imm;
    } else if (f3 >= 5) {
      return { unclassified: `an immediate form with a register: "${srcText}"` };
    }
    return { site: { kind: f3, rd, rs1: src, csr, length: siteBytes } };
  };
  const pseudo = CSR_PSEUDO[mnemonic];
  if (pseudo) {
    if (ops.length !== 2) return { unclassified: `${mnemonic} with ${ops.length} operands` };
    return pseudo.form === "r" ? csrSite(pseudo.funct3, ops[0], ops[1], "x0") : csrSite(pseudo.funct3, "x0", ops[0], ops[1]);
  }
  const full = CSR_FULL[mnemonic];
  if (full !== undefined) {
    if (ops.length !== 3) return { unclassified: `${mnemonic} with ${ops.length} operands` };
    return csrSite(full, ops[0], ops[1], ops[2]);
  }
  switch (mnemonic) {
    case "sret":
    case "wfi":
      if (ops.length !== 0) return { unclassified: `${mnemonic} with operands` };
      return { site: { kind: mnemonic === "sret" ? KIND_SRET : KIND_WFI, rd: 0, rs1: 0, csr: 0, length: siteBytes } };
    case "mret":
      if (ops.length !== 0) return { unclassified: "mret with operands" };
      if (mode === "supervisor") return { leave: "machine" };
      return { site: { kind: KIND_MRET, rd: 0, rs1: 0, csr: 0, length: siteBytes } };
    case "sfence.vma": {
      if (hasMacroArg) return { unclassified: "an operand is a macro parameter" };
      if (ops.length > 2) return { unclassified: "sfence.vma with more than two operands" };
      const rs1 = ops.length > 0 ? regNumber(ops[0]) : 0;
      const rs2 = ops.length > 1 ? regNumber(ops[1]) : 0;
      if (rs1 < 0 || rs2 < 0) return { unclassified: "sfence.vma operands are not registers" };
      return { site: { kind: KIND_SFENCE, rd: 0, rs1, csr: rs2, length: siteBytes } };
    }
    case ".insn": {
      // `.insn` writes an encoding the afterburner does not decode; one of the SYSTEM opcode may
      // be sensitive.
      if (/\bsystem\b/i.test(args) || /(^|[\s,])0x73\b/i.test(args) || /(^|[\s,])115\b/.test(args)) {
        return { unclassified: ".insn of the SYSTEM opcode" };
      }
      const word = intLiteral(ops[0] ?? "");
      if (ops.length === 1 && Number.isInteger(word) && (word & 0x7f) === 0x73) return { unclassified: ".insn of the SYSTEM opcode" };
      return null;
    }
    default:
      return null;
  }
}

// ── Sections: where code goes ─────────────────────────────────────────────────────────────────

interface Place {
  section: string;
  subsection: number;
}

function sectionName(args: string): string {
  const m = /^\s*("([^"]*)"|[^\s,]+)/.exec(args);
  return m ? (m[2] ?? m[1]) : "";
}

/** Is a section code the afterburner rewrites? Any section named like text (.text, .init.text,
 *  .text.unlikely, .head.text, .noinstr.text, ...). */
function isCode(section: string): boolean {
  return /(^|\.)text($|\.)/.test(section) || section === ".init" || section === ".fini";
}

// ── The filter ────────────────────────────────────────────────────────────────────────────────

export function afterburn(source: string, options: AfterburnOptions = {}): AfterburnResult {
  const siteBytes = options.siteBytes ?? DEFAULT_SITE_BYTES;
  if (!Number.isInteger(siteBytes) || siteBytes < 4 || siteBytes > 64 || siteBytes % 4 !== 0) {
    throw new RangeError(`afterburn: a site is 4 to 64 bytes, a multiple of 4 (got ${siteBytes})`);
  }
  const mode = options.mode ?? "machine";
  const prefix = options.labelPrefix ?? ".Lwv";
  const report: AfterburnReport = { sites: {}, macroSites: 0, unclassified: [], userCsrs: 0, machineLeft: 0 };
  const out: string[] = [];
  let place: Place = { section: ".text", subsection: 0 };
  let previous: Place = place;
  const stack: { place: Place; previous: Place }[] = [];
  let macroDepth = 0;
  let repeatDepth = 0;
  let next = 0;

  const lines = source.split("\n");
  for (let lineNo = 0; lineNo < lines.length; lineNo++) {
    const line = lines[lineNo];
    // Fast path: a line that cannot hold a directive or a sensitive mnemonic passes untouched.
    if (!/[.]|csr|ret|wfi|sfence/i.test(line)) {
      out.push(line);
      continue;
    }
    const { stmts, comment } = statements(line);
    const rewritten: string[] = [];
    let changed = false;
    for (const stmt of stmts) {
      const { labels, body } = splitLabels(stmt);
      const m = /^(\S+)\s*(.*)$/.exec(body);
      const mnemonic = m ? m[1].toLowerCase() : "";
      const args = m ? m[2] : "";
      // Directives that move code elsewhere, or repeat or define it.
      switch (mnemonic) {
        case ".text": case ".data": case ".bss":
          previous = place;
          place = { section: mnemonic, subsection: Number(intLiteral(args)) || 0 };
          break;
        case ".section":
          previous = place;
          place = { section: sectionName(args), subsection: 0 };
          break;
        case ".pushsection":
          stack.push({ place, previous });
          previous = place;
          place = { section: sectionName(args), subsection: Number(intLiteral(operands(args)[1] ?? "")) || 0 };
          break;
        case ".popsection": {
          const top = stack.pop();
          if (top) ({ place, previous } = top);
          break;
        }
        case ".previous":
          [place, previous] = [previous, place];
          break;
        case ".subsection":
          place = { ...place, subsection: Number(intLiteral(args)) || 0 };
          break;
        case ".macro": macroDepth++; break;
        case ".endm": macroDepth = Math.max(0, macroDepth - 1); break;
        case ".rept": case ".irp": case ".irpc": repeatDepth++; break;
        case ".endr": repeatDepth = Math.max(0, repeatDepth - 1); break;
      }
      const c = mnemonic === "" ? null : classify(mnemonic, args, mode, siteBytes);
      if (c === null || !("site" in c) || repeatDepth > 0 || place.subsection !== 0 || !isCode(place.section)) {
        if (c !== null && "leave" in c) {
          if (c.leave === "user") report.userCsrs++;
          else report.machineLeft++;
        } else if (c !== null) {
          const why = "unclassified" in c ? c.unclassified
            : repeatDepth > 0 ? "inside .rept/.irp (labels would repeat)"
            : place.subsection !== 0 ? `in subsection ${place.subsection} of ${place.section} (alternative replacement code)`
            : `in section ${place.section}, which is not code (e.g. an alternative)`;
          report.unclassified.push({ line: lineNo + 1, text: body, why });
        }
        rewritten.push(stmt);
        continue;
      }
      // A site.
      changed = true;
      const site = c.site;
      const label = `${prefix}${next++}${macroDepth > 0 ? "_\\@" : ""}`;
      if (macroDepth > 0) report.macroSites++;
      const kindName = mnemonic.startsWith("csr") ? ["", "csrrw", "csrrs", "csrrc", "", "csrrwi", "csrrsi", "csrrci"][site.kind] : mnemonic;
      report.sites[kindName] = (report.sites[kindName] ?? 0) + 1;
      for (const l of labels) rewritten.push(`${l}:`);
      rewritten.push("\t.option push", "\t.option norvc", `${label}:`, `\t${body}`);
      for (let pad = 4; pad < siteBytes; pad += 4) rewritten.push("\tnop");
      rewritten.push("\t.option pop", `\t.pushsection ${SITES_SECTION},"R",@progbits`, "\t.balign 4",
        `\t.word ${label}, 0x${siteInfo(site).toString(16)}`, "\t.popsection");
    }
    if (!changed) {
      out.push(line);
      continue;
    }
    // Statements of the line each on their own line (the order kept); the comment at the end.
    const kept = rewritten.map((s) => s.trim() === "" ? "" : s.startsWith("\t") || s.endsWith(":") ? s : `\t${s.trim()}`).filter((s) => s !== "");
    if (comment) kept.push(`\t${comment}`);
    out.push(kept.join("\n"));
  }
  return { text: out.join("\n"), report };
}

/** The report as the lines `wasmvisor afterburn` prints on stderr. */
export function formatReport(name: string, r: AfterburnReport): string {
  const total = Object.values(r.sites).reduce((a, b) => a + b, 0);
  const kinds = Object.entries(r.sites).map(([k, n]) => `${k} ${n}`).join(", ");
  let s = `afterburn: ${name}: ${total} site${total === 1 ? "" : "s"}${total ? ` (${kinds})` : ""}` +
    `${r.macroSites ? `, ${r.macroSites} in macro bodies` : ""}, ${r.unclassified.length} unclassified` +
    `${r.userCsrs ? `, ${r.userCsrs} user-CSR accesses left alone` : ""}` +
    `${r.machineLeft ? `, ${r.machineLeft} machine-level left alone` : ""}\n`;
  for (const u of r.unclassified) s += `afterburn: ${name}:${u.line}: left alone: ${u.text} (${u.why})\n`;
  return s;
}
