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
    if (!arg.startsWith("--") || arg === "--") {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = (eq >= 0 ? arg.slice(2, eq) : arg.slice(2));
    const s = spec[name];
    if (!s) {
      const known = Object.keys(spec).map((k) => `--${k}`).join(", ");
      throw new UsageError(`unknown option --${name} (options: ${known})`);
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
