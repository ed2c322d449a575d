#!/usr/bin/env node
// Builds the two cores from the one portable source in assembly/, and the host library:
//   build/core.wasm, build/core.js   asc (WebAssembly) with the shim assembly/shim/index.ts
//   build/core-ts.js                 esbuild (pure TypeScript → JS) with assembly/shim/index.portable.ts
//                                    and the narrowing functions of assembly/shim/globals.ts
//   dist/                            tsc: the host (src/) as ESM JavaScript + declarations
// Usage: node scripts/build.mjs [--core-only]
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { inlineSmallFunctions } from "./inline.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const coreOnly = process.argv.includes("--core-only");
mkdirSync(join(root, "build"), { recursive: true });

async function step(label, fn) {
  const t0 = performance.now();
  await fn();
  console.log(`  ${label} (${Math.round(performance.now() - t0)} ms)`);
}

const bin = (name) => join(root, "node_modules", ".bin", name);

await step("asc → build/core.wasm", () => {
  execFileSync(bin("asc"), ["--config", "asconfig.json", "--target", "release"], {
    cwd: root,
    stdio: "inherit",
  });
});

await step("esbuild → build/core-ts.js (+ inlining)", async () => {
  const out = await esbuild.build({
    stdin: {
      contents:
        'export * from "./assembly/index.ts";\nexport { shimAttach } from "./assembly/shim/index.portable.ts";\n',
      resolveDir: root,
      sourcefile: "core-ts-entry.ts",
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    write: false,
    outfile: join(root, "build", "core-ts.js"),
    // i32(), u32() … are AssemblyScript built-ins; here they become these module functions.
    inject: [join(root, "assembly", "shim", "globals.ts")],
    plugins: [
      {
        name: "portable-shim",
        setup(build) {
          // Every import of the shim resolves to its pure-TS twin.
          build.onResolve({ filter: /(^|\/)shim$/ }, () => ({
            path: join(root, "assembly", "shim", "index.portable.ts"),
          }));
        },
      },
    ],
    logLevel: "warning",
  });
  // Inline the small functions asc inlines for Wasm (see scripts/inline.mjs).
  writeFileSync(join(root, "build", "core-ts.js"), inlineSmallFunctions(out.outputFiles[0].text));
});

if (!coreOnly) {
  await step("tsc → dist/", () => {
    rmSync(join(root, "dist"), { recursive: true, force: true }); // nothing stale reaches the package
    execFileSync(bin("tsc"), ["-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
    // The compiled host finds the cores relative to itself, as the sources do: dist/build/.
    for (const f of ["core.wasm", "core.js", "core.d.ts", "core-ts.js"]) {
      cpSync(join(root, "build", f), join(root, "dist", "build", f));
    }
    // Plain-JavaScript worker scripts, loaded by URL next to the module that starts them.
    cpSync(join(root, "src", "node", "rapilog-writer.mjs"), join(root, "dist", "src", "node", "rapilog-writer.mjs"));
  });
}
