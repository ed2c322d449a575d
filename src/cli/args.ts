// Command-line option parsing with errors that say which option and what would be valid.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface OptionSpec {
  /** "flag" takes no value; "value" takes one (as --opt V or --opt=V). */
  kind: "flag" | "value";
  /** Allowed values, if the set is closed. */
  choices?: readonly string[];
  /** Repeatable options collect every value. */
  repeat?: boolean;
  /** For --help: the value's name (e.g. "FILE"; default the choices, "wasm|ts") and what the
   *  option does (lines after the first are indented under it). */
  arg?: string;
  help?: string;
}

/**
 * The edit distance between two strings for "did you mean" suggestions: insertions, deletions,
 * substitutions and transpositions of neighbours ("qiut" is one edit from "quit"), each 1 — the
 * optimal-string-alignment distance. O(|a|·|b|): callers pass what the user typed, cut short.
 */
export function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j], before[j - 2] + 1);
    }
    before = prev;
    prev = row;
  }
  return prev[b.length];
}

/**
 * The candidate closest to what was typed, if it is close enough to be what was meant: within
 * a third of its length in edits (at least 1, at most 3), or the only candidate it begins.
 */
export function closest(typed: string, candidates: readonly string[]): string | null {
  const word = typed.slice(0, 64).toLowerCase();
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best !== null && bestDistance <= Math.min(3, Math.max(1, Math.floor(best.length / 3)))) return best;
  const prefixed = word.length >= 2 ? candidates.filter((c) => c.toLowerCase().startsWith(word)) : [];
  return prefixed.length === 1 ? prefixed[0] : null;
}

/** The options of a command as --help shows them, one per line (indented by `indent`), the
 *  help aligned at column `column`. */
export function formatOptions(spec: Record<string, OptionSpec>, indent = 2, column = 24): string {
  const COLUMN = column;
  let out = "";
  for (const [name, s] of Object.entries(spec)) {
    const arg = s.kind === "value" ? ` ${s.arg ?? s.choices?.join("|") ?? "VALUE"}` : "";
    const head = `${" ".repeat(indent)}--${name}${arg}`;
    const [first, ...more] = (s.help ?? "").split("\n");
    out += head.length < COLUMN - 1 ? `${head.padEnd(COLUMN)}${first}\n` : `${head}\n${" ".repeat(COLUMN)}${first}\n`;
    for (const line of more) out += `${" ".repeat(COLUMN)}${line}\n`;
  }
  return out;
}

/** True when the arguments ask for help (-h or --help, before a "--"). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === "--") return false;
    if (arg === "--help" || arg === "-h") return true;
  }
  return false;
}

export interface Parsed {
  positional: string[];
  options: Map<string, string | true>;
  repeated: Map<string, string[]>;
}

export function parseArgs(argv: string[], spec: Record<string, OptionSpec>): Parsed {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  const repeated = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      // (A loop, not a spread: an argument list may be longer than the call stack allows.)
      for (const rest of argv.slice(i + 1)) positional.push(rest);
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    // (A single dash: wasmvisor's options all have two; "-core" gets "did you mean --core?".)
    const dashes = arg.startsWith("--") ? 2 : 1;
    const eq = arg.indexOf("=");
    const name = (eq >= 0 ? arg.slice(dashes, eq) : arg.slice(dashes));
    const s = dashes === 2 ? spec[name] : undefined;
    if (!s) {
      const known = Object.keys(spec).map((k) => `--${k}`);
      const guess = closest(`--${name}`, known);
      throw new UsageError(`unknown option ${"-".repeat(dashes)}${name}${guess ? `; did you mean ${guess}?` : ` (options: ${known.join(", ")})`}`);
    }
    if (s.kind === "flag") {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      options.set(name, true);
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    else throw new UsageError(`--${name} needs a value`);
    if (s.choices && !s.choices.includes(value)) {
      throw new UsageError(`--${name} ${value}: expected one of ${s.choices.join(", ")}`);
    }
    if (s.repeat) repeated.set(name, [...(repeated.get(name) ?? []), value]);
    else options.set(name, value);
  }
  return { positional, options, repeated };
}

/** A byte size such as 4096, 512K, 64M, 64MiB, 1G (binary units). */
export function parseSize(option: string, text: string): number {
  const m = /^(\d+)\s*([kmg]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`--${option} ${text}: expected a size such as 64M, 128MiB or 1G`);
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as "" | "k" | "m" | "g"];
  const bytes = Number(m[1]) * unit;
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`--${option} ${text}: far too large`);
  return bytes;
}

/** A positive integer count such as 1000000, 1e6 or 1_000_000. */
export function parseCount(option: string, text: string): number {
  const v = Number(text.replace(/_/g, ""));
  if (!Number.isFinite(v) || !Number.isInteger(v) || v <= 0) {
    throw new UsageError(`--${option} ${text}: expected a positive whole number (e.g. 1000000 or 1e9)`);
  }
  return v;
}
