// The core is one portable source: AssemblyScript-only constructs may appear in the shim only
// (ARCHITECTURE.md §3). This scans assembly/ for the constructs the pure-TS build cannot run or
// would run differently.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "./support/harness.ts";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

const RULES: Array<[RegExp, string]> = [
  [/^\s*@(inline|unmanaged|lazy|global|external|operator)\b/m, "decorator"],
  [/\b(load|store)\s*</, "raw memory builtin"],
  [/:\s*(i64|u64)\b|<(i64|u64)>/, "64-bit integer type"],
  [/<(i8|u8|i16|u16|i32|u32|f32|f64|bool)>\s*[\w(]/, "AssemblyScript cast syntax <T>x (TypeScript reads it as a no-op assertion; use i32(x))"],
  [/\b(changetype|unchecked|memory\.\w+|heap\.\w+|StaticArray)\b/, "AssemblyScript-only builtin"],
  [/(?<!\b[iu]32\()\b0x[89a-f][0-9a-f]{7}\b/i, "32-bit constant with bit 31 set outside i32(...)/u32(...) (JS reads it as a positive number)"],
];

describe("portability rules", () => {
  const flagged = (src: string) => RULES.filter(([re]) => re.test(src)).map(([, what]) => what);
  it("flag each construct they name", () => {
    expect(flagged("@inline export function f(): void {}")).toContain("decorator");
    expect(flagged("const v = load<u32>(p);")).toContain("raw memory builtin");
    expect(flagged("let x: u64 = 0;")).toContain("64-bit integer type");
    expect(flagged("const y = <u32>x;")).toHaveLength(1);
    expect(flagged("unchecked(a[i])")).toContain("AssemblyScript-only builtin");
    expect(flagged("if (x == 0x80000000) return;")).toHaveLength(1);
  });
  it("accept the portable forms", () => {
    expect(flagged("const y = u32(x) < u32(z); const k = i32(0x80000000); let a: i32 = 0;")).toEqual([]);
  });
});

describe("portable core source", () => {
  const sources = files(join(ROOT, "assembly")).filter((f) => !f.includes(`${join("assembly", "shim")}`));
  it("has files to check", () => expect(sources.length).toBeGreaterThan(10));
  for (const file of sources) {
    it(relative(ROOT, file), () => {
      const text = readFileSync(file, "utf8")
        .replace(/\/\/.*$/gm, "")
        .replace(/\/\*[\s\S]*?\*\//g, "");
      const problems = RULES.filter(([re]) => re.test(text)).map(([, what]) => what);
      expect(problems).toEqual([]);
    });
  }
});
