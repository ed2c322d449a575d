// docs/files.md's example, run as the page shows it (a Node script importing the package by its
// name, from the repository: dist/ must be built) and checked against the output the page gives.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./support/harness.ts";
import { linuxMissing } from "./support/linux.ts";

const page = readFileSync(join(ROOT, "docs", "files.md"), "utf8");
const missing = linuxMissing() ?? (existsSync(join(ROOT, "dist", "src", "index.js")) ? null : "dist/ is not built (npm run build)");

describe.skipIf(missing !== null)(`docs/files.md${missing ? ` (skipped: ${missing})` : ""}`, () => {
  it("the example prints what the page says", () => {
    const script = /```js[^\n]*\n([\s\S]*?)```/.exec(page)![1];
    const expected = /It prints:\n\n```[^\n]*\n([\s\S]*?)```/.exec(page)![1];
    const file = join(ROOT, `.docs-files-example-${process.pid}.mjs`); // (in the package: "wasmvisor" resolves to it)
    writeFileSync(file, script);
    try {
      const r = spawnSync(process.execPath, [file], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(expected);
      expect(r.status).toBe(0);
    } finally {
      rmSync(file, { force: true });
    }
  }, 150_000);
});
