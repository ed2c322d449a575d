// The documentation (README.md and docs/): every code block is checked (test/support/doc-snippets.ts
// says how each kind is; the TypeScript, C and runnable shell blocks run in test/package.test.ts
// against the packed package), every relative link resolves, the generated reference is up to
// date, and the README's test command is the one CI runs.

import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { checkCommandLine } from "../src/cli/main.ts";
import { validateSystem } from "../src/config/system.ts";
import { cli } from "./support/cli.ts";
import { docFiles, ROOT, shellCommands, snippets, type Snippet } from "./support/doc-snippets.ts";
// @ts-expect-error: a plain .mjs script without declarations
import { renderSchemaDocs } from "../scripts/schema-docs.mjs";

const all = snippets();
const at = (s: Snippet) => `${s.file}:${s.line}`;
const checked = (s: Snippet) => !s.attrs.has("no-test");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };

/** Words that name a file of the repository (or of the consumer project a `sh run` block runs in). */
function repoPaths(words: string[]): string[] {
  return words.filter((w) => /^(guests|examples|test|scripts|schema|bench|web|docs|src|bin|assembly)\/[\w./-]*$/.test(w));
}
/** Build outputs the documentation names but the repository does not hold. */
const BUILT = /^(guests\/linux\/build\/|guests\/bin\/|guests\/obj\/|web\/dist\/)/;

/** Check one command of a shell block or transcript; returns what is wrong, or null. */
function checkCommand(words: string[]): string | null {
  while (words.length && /^[A-Z_][A-Z0-9_]*=/i.test(words[0])) words = words.slice(1);   // VAR=value
  // Redirections: `< input`, `> out`.
  const cleaned: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (/^[<>]{1,2}$/.test(words[i]) || /^\d?>&\d$/.test(words[i])) { i++; continue; }
    cleaned.push(words[i]);
  }
  words = cleaned;
  if (words.length === 0) return null;
  let [cmd, ...args] = words;
  if (cmd === "npx" && args[0] === "wasmvisor") [cmd, ...args] = args;
  if (cmd === "wasmvisor" || cmd === "bin/wasmvisor.mjs") {
    try {
      checkCommandLine(args.filter((a) => a !== "&"));
    } catch (err) {
      return `wasmvisor ${args.join(" ")}: ${(err as Error).message}`;
    }
  } else if (cmd === "npm") {
    const script = args[0] === "run" ? args[1] : args[0];
    if (["start", "test", "run"].includes(args[0]) || args[0] === undefined) {
      if (script !== undefined && !Object.hasOwn(pkg.scripts, script)) return `npm script "${script}" does not exist`;
    } else if (!["install", "pack", "ci"].includes(args[0])) {
      return `npm ${args[0]}: not a command the documentation should need`;
    }
  } else if (cmd === "npx" && args[0] === "vitest") {
    for (const f of args.slice(2).filter((a) => a.startsWith("test/"))) if (!existsSync(join(ROOT, f))) return `no test file ${f}`;
  }
  for (const p of repoPaths(words)) {
    if (!BUILT.test(p) && !existsSync(join(ROOT, p))) return `${p} does not exist in the repository`;
  }
  return null;
}

describe("the documentation", () => {
  it("marks every code block with what it is and how it is checked", () => {
    const known = new Set(["sh", "text", "ts", "js", "json", "c"]);
    const attrs = new Set(["run", "output", "no-run", "no-test", "fragment", "synopsis"]);
    const bad = all.filter((s) => !known.has(s.lang) || [...s.attrs].some((a) => !attrs.has(a))).map((s) => `${at(s)}: \`\`\`${s.lang} ${[...s.attrs].join(" ")}`);
    expect(bad).toEqual([]);
    // The deliberately unchecked blocks stay few.
    expect(all.filter((s) => !checked(s)).length).toBeLessThanOrEqual(4);
  });

  it("shows only shell commands that the CLI, package.json and the repository accept", () => {
    const problems: string[] = [];
    let commands = 0;
    for (const s of all.filter((s) => s.lang === "sh" && checked(s))) {
      for (const words of shellCommands(s.code)) {
        commands++;
        const p = checkCommand(words);
        if (p) problems.push(`${at(s)}: ${p}`);
      }
    }
    expect(problems).toEqual([]);
    expect(commands).toBeGreaterThan(20);
  });

  it("shows transcripts whose commands the CLI accepts", () => {
    const problems: string[] = [];
    for (const s of all.filter((s) => s.lang === "text" && checked(s))) {
      for (const line of s.code.split("\n").filter((l) => l.startsWith("$ "))) {
        for (const words of shellCommands(line.slice(2))) {
          const p = checkCommand(words);
          if (p) problems.push(`${at(s)}: ${p}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("names only options the command has in a usage synopsis", () => {
    const problems: string[] = [];
    for (const s of all.filter((s) => s.attrs.has("synopsis"))) {
      for (const line of s.code.replace(/\\\n/g, " ").split("\n").filter((l) => /wasmvisor \S/.test(l))) {
        const command = /wasmvisor (\S+)/.exec(line)![1];
        for (const option of line.match(/--[a-z-]+/g) ?? []) {
          // `--snapshot-at` takes two values; give each option a plausible one.
          try { checkCommandLine([command, option, ...(option === "--snapshot-at" ? ["1", "f"] : []), "1"]); } catch (err) {
            const msg = (err as Error).message;
            if (/unknown option/.test(msg)) problems.push(`${at(s)}: ${command} ${option}: ${msg}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(all.filter((s) => s.attrs.has("synopsis")).length).toBeGreaterThanOrEqual(2);
  });

  it("shows transcripts marked `run` that the commands print today, on both cores", async () => {
    const runs = all.filter((s) => s.lang === "text" && s.attrs.has("run"));
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const s of runs) {
      const [first, ...expected] = s.code.trimEnd().split("\n");
      const words = shellCommands(first.replace(/^\$ /, ""))[0];
      expect(words.slice(0, 2), at(s)).toEqual(["npx", "wasmvisor"]);
      for (const core of ["wasm", "ts"]) {
        const r = await cli([...words.slice(2), "--core", core]);
        const lines = (r.stdout + r.stderr).split("\n");
        for (const want of expected.filter((l) => l.trim() !== "…")) expect(lines, `${at(s)} (${core})`).toContain(want);
      }
    }
  });

  it("shows JSON that parses, and system descriptions that validate", () => {
    const problems: string[] = [];
    for (const s of all.filter((s) => s.lang === "json" && checked(s))) {
      let value: unknown;
      try {
        const text = s.code.trim();
        value = JSON.parse(s.attrs.has("fragment") && text.startsWith('"') ? `{${text}}` : text);
      } catch (err) {
        problems.push(`${at(s)}: ${(err as Error).message}`);
        continue;
      }
      if (value && typeof value === "object" && "partitions" in value) {
        const { $schema: _, ...description } = value as Record<string, unknown>;
        try { validateSystem(description); } catch (err) { problems.push(`${at(s)}: ${(err as Error).message}`); }
      }
    }
    expect(problems).toEqual([]);
  });

  it("has relative links that resolve, to files and to headings", () => {
    const slug = (h: string) => h.trim().toLowerCase().replace(/[^\p{L}\p{N}\- _]/gu, "").replace(/ /g, "-");
    const anchors = (file: string) => {
      const text = readFileSync(file, "utf8").replace(/^```[\s\S]*?^```/gm, "");
      const seen = new Map<string, number>();
      const out = new Set<string>([...text.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]));
      for (const m of text.matchAll(/^#+ (.*)$/gm)) {
        const s = slug(m[1]);
        const n = seen.get(s) ?? 0;
        out.add(n ? `${s}-${n}` : s);
        seen.set(s, n + 1);
      }
      return out;
    };
    const problems: string[] = [];
    let links = 0;
    for (const file of docFiles()) {
      const text = readFileSync(join(ROOT, file), "utf8").replace(/^```[\s\S]*?^```/gm, "");
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1];
        if (/^[a-z]+:/.test(target)) continue;   // https:, mailto:
        links++;
        const [path, anchor] = target.split("#");
        const resolved = path ? normalize(join(dirname(join(ROOT, file)), path)) : join(ROOT, file);
        if (!existsSync(resolved)) { problems.push(`${file}: ${target}: no such file`); continue; }
        if (anchor && resolved.endsWith(".md") && !anchors(resolved).has(anchor)) problems.push(`${file}: ${target}: no such heading`);
      }
    }
    expect(problems).toEqual([]);
    expect(links).toBeGreaterThan(30);
  });

  it("has a system description reference that is what the schema gives (npm run docs:schema)", () => {
    const schema = JSON.parse(readFileSync(join(ROOT, "schema/system.schema.json"), "utf8"));
    expect(readFileSync(join(ROOT, "docs/system-description.md"), "utf8")).toBe(renderSchemaDocs(schema));
    // Every field of the schema is in it.
    const doc = readFileSync(join(ROOT, "docs/system-description.md"), "utf8");
    for (const field of ["cyclesPerTick", "rtcEpoch", "firmware", "semihosting", "userspace", "buffer", "majorFrame", "pp", "perms"]) {
      expect(doc).toContain(`| \`${field}\` |`);
    }
  });

  it("gives the README's two commands first, and CI runs its test command", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const first = all.find((s) => s.file === "README.md")!;
    const lines = shellCommands(first.code).map((w) => w.join(" "));
    expect(lines).toEqual(["bash scripts/setup.sh", "npm start", "bash scripts/setup.sh", "npm test"]);
    expect(readme.indexOf(first.code)).toBeLessThan(readme.indexOf("## A short tour"));
    const ci = readFileSync(join(ROOT, ".ci/run"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#") && !/^(set|cd) /.test(l));
    expect(ci).toEqual(["bash scripts/setup.sh", "npm test"]);
  });
});
