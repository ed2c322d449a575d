// The code blocks of README.md and docs/*.md, for the tests that check them (test/docs.test.ts;
// the TypeScript, C and runnable shell snippets in test/package.test.ts, against the packed
// package as a consumer project sees it).
//
// A block's info string is its language and then attributes:
//   sh            commands: every `wasmvisor` command line is checked against the CLI's parser,
//                 every `npm run X` against package.json, every repository path must exist
//   sh run        also executed, in order, in a consumer project (package.test.ts), after the
//                 `file=` blocks before it are written; the `text output` block after it is
//                 its exact stdout
//   text          a transcript or a picture: lines `$ npx wasmvisor …` are checked as commands;
//   text run      … and run (in-process, both cores): every other line but "…" must appear in
//                 the output (stdout and stderr)
//   text output   the exact output of the `sh run` block before it
//   ts, js        type-checked (strict) against the installed package and run with Node;
//   ts no-run     type-checked only (it needs what a package has not: Linux images, a network)
//   json          parsed; a description (it has "partitions") is validated
//   json fragment parsed as the members of an object (`"disk": { … }`) or an object
//   c file=NAME   written as NAME for the `sh run` blocks; other C is only shown
//   … no-test     deliberately not checked (say why in the text around it)
// `file=NAME` on any block writes it as NAME in the consumer project.

import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");

export interface Snippet {
  file: string;       // README.md or docs/NAME.md
  line: number;       // of the opening fence, 1-based
  lang: string;
  attrs: Set<string>;
  name?: string;      // file=NAME
  code: string;
}

export function docFiles(): string[] {
  return ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)];
}

export function snippets(files = docFiles()): Snippet[] {
  const out: Snippet[] = [];
  for (const file of files) {
    const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      const open = /^```(.*)$/.exec(lines[i]);
      if (!open) continue;
      const [lang = "", ...rest] = open[1].trim().split(/\s+/);
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i].startsWith("```"); i++) body.push(lines[i]);
      const name = rest.find((a) => a.startsWith("file="))?.slice(5);
      out.push({ file, line: start + 1, lang, attrs: new Set(rest.filter((a) => !a.startsWith("file="))), name, code: body.join("\n") + "\n" });
    }
  }
  return out;
}

/** The commands of a shell block: continuation lines joined, comments and blank lines dropped,
 *  `a && b`, `a || b` and `a; b` split; each as its words (no quoting beyond "…" and '…'). */
export function shellCommands(code: string): string[][] {
  const joined = code.replace(/\\\n/g, " ");
  const commands: string[][] = [];
  for (const rawLine of joined.split("\n")) {
    const line = stripComment(rawLine).trim();
    if (!line) continue;
    for (const part of line.split(/\s*(?:&&|\|\||;|\|)\s*/)) {
      const words = splitWords(part);
      if (words.length) commands.push(words);
    }
  }
  return commands;
}

function stripComment(line: string): string {
  let quote = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) { if (c === quote) quote = ""; continue; }
    if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}

function splitWords(text: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of text.matchAll(re)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}
