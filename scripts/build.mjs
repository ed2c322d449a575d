#!/usr/bin/env node
// Builds the two cores from the one portable source in assembly/, and the host library:
//   build/core.wasm, build/core.js   asc (WebAssembly) with the shim assembly/shim/index.ts
//   build/core-ts.js                 esbuild (pure TypeScript → JS) with assembly/shim/index.portable.ts
//                                    and the narrowing functions of assembly/shim/globals.ts
//   build/core-mt.wasm, core-mt-ts.js  the threaded build of both (harts on parallel threads):
//                                    the same source, two lines of assembly/layout.ts replaced
//   dist/                            tsc: the host (src/) as ESM JavaScript + declarations
// Usage: node scripts/build.mjs [--core-only] [--force]
//
// Incremental: each step records a hash of everything it reads (sources, configuration, the
// tool's version, this script) in build/.stamps.json and is skipped when that hash and its
// outputs are unchanged — a second `npm start` or `npm test` rebuilds nothing. --force rebuilds all.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const coreOnly = process.argv.includes("--core-only");
const force = process.argv.includes("--force");
mkdirSync(join(root, "build"), { recursive: true });

// ── What each step reads, and its stamp ────────────────────────────────────────────────────
const STAMPS = join(root, "build", ".stamps.json");
const stamps = (() => {
  try {
    return JSON.parse(readFileSync(STAMPS, "utf8"));
  } catch {
    return {};
  }
})();

/** Files under `dir` (relative to the root) whose names end with one of `exts`. */
function files(dir, exts) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(join(root, d)).sort()) {
      const rel = `${d}/${name}`;
      if (statSync(join(root, rel)).isDirectory()) walk(rel);
      else if (exts.some((e) => name.endsWith(e))) out.push(rel);
    }
  };
  walk(dir);
  return out;
}

const toolVersion = (pkg) => JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8")).version;

/** A hash of the files' paths and contents and of `extra` strings. */
function hashOf(paths, extra = []) {
  const h = createHash("sha256");
  for (const p of [...paths].sort()) {
    h.update(p).update("\0");
    h.update(existsSync(join(root, p)) ? readFileSync(join(root, p)) : "(missing)").update("\0");
  }
  for (const e of extra) h.update(e).update("\0");
  return h.digest("hex");
}

const self = relative(root, fileURLToPath(import.meta.url));
const coreSources = [...files("assembly", [".ts", ".json"]), "asconfig.json", self];

async function step(label, fn) {
  const t0 = performance.now();
  await fn();
  console.log(`  ${label} (${Math.round(performance.now() - t0)} ms)`);
}

/** Run `fn` unless `key`'s inputs hash as last time and every output exists. */
async function cachedStep(label, key, inputs, outputs, fn) {
  if (!force && stamps[key] === inputs && outputs.every((o) => existsSync(join(root, o)))) {
    console.log(`  ${label}: up to date`);
    return;
  }
  delete stamps[key];
  writeFileSync(STAMPS, JSON.stringify(stamps, null, 2));
  await step(label, fn);
  stamps[key] = inputs;
  writeFileSync(STAMPS, JSON.stringify(stamps, null, 2));
}

const bin = (name) => join(root, "node_modules", ".bin", name);

await cachedStep("asc → build/core.wasm", "asc", hashOf(coreSources, [toolVersion("assemblyscript")]),
  ["build/core.wasm", "build/core.js", "build/core.d.ts"], () => {
  execFileSync(bin("asc"), ["--config", "asconfig.json", "--target", "release"], {
    cwd: root,
    stdio: "inherit",
  });
});

/**
 * The pure-TS core: esbuild bundles assembly/ with the portable shim; `layout` (if given) rewrites
 * assembly/layout.ts on the way (the threaded build).
 */
async function bundleTsCore(outFile, layout) {
  const esbuild = await import("esbuild"); // (loaded only when the step runs: a no-op build stays quick)
  const { inlineSmallFunctions } = await import("./inline.mjs");
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
    outfile: join(root, "build", outFile),
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
          if (layout) {
            build.onLoad({ filter: /assembly\/layout\.ts$/ }, (args) => ({
              contents: layout(readFileSync(args.path, "utf8")), loader: "ts",
            }));
          }
        },
      },
    ],
    logLevel: "warning",
  });
  // Inline the small functions asc inlines for Wasm (see scripts/inline.mjs).
  writeFileSync(join(root, "build", outFile), inlineSmallFunctions(out.outputFiles[0].text));
}

await cachedStep("esbuild → build/core-ts.js (+ inlining)", "esbuild",
  hashOf([...coreSources, "scripts/inline.mjs"], [toolVersion("esbuild")]), ["build/core-ts.js"],
  () => bundleTsCore("core-ts.js"));

// ── The threaded build (harts on parallel host threads, docs/smp.md) ───────────────────────
// The same source with two lines of assembly/layout.ts replaced: THREADED is true, and SYS_BASE
// is each thread's own system block — an imported global of the Wasm module, the `sysBase`
// parameter of the pure-TS module's URL — so threads sharing one memory keep their exit state,
// clock and running registers apart. The Wasm module imports a shared memory.

/** assembly/layout.ts of the threaded build; `sysBase` is the expression that gives SYS_BASE. */
function threadedLayout(text, sysBase) {
  const lines = [
    ["export const SYS_BASE: i32 = SYS_HOME; // @threaded-sys-base", sysBase],
    ["export const THREADED: bool = false; // @threaded-flag", "export const THREADED: bool = true;"],
  ];
  for (const [from, to] of lines) {
    if (!text.includes(from)) throw new Error(`scripts/build.mjs: assembly/layout.ts no longer has the line \`${from}\` that the threaded build replaces`);
    text = text.replace(from, to);
  }
  return text;
}

await cachedStep("asc → build/core-mt.wasm (threaded)", "asc-mt", hashOf(coreSources, [toolVersion("assemblyscript")]),
  ["build/core-mt.wasm"], () => {
  const tree = join(root, "build", "mt");
  rmSync(tree, { recursive: true, force: true });
  cpSync(join(root, "assembly"), join(tree, "assembly"), { recursive: true });
  const layoutFile = join(tree, "assembly", "layout.ts");
  writeFileSync(layoutFile, threadedLayout(readFileSync(layoutFile, "utf8"),
    '@external("env", "sysBase") declare const THREAD_SYS_BASE_IMPORT: i32;\nexport const SYS_BASE: i32 = THREAD_SYS_BASE_IMPORT;'));
  const o = JSON.parse(readFileSync(join(root, "asconfig.json"), "utf8")).options;
  execFileSync(bin("asc"), [join(tree, "assembly", "index.ts"), "--outFile", join(root, "build", "core-mt.wasm"),
    "--runtime", o.runtime, "--importMemory", "--noExportMemory", "--sharedMemory", "--maximumMemory", "65536",
    "--enable", "threads", "--noAssert", "--optimizeLevel", String(o.optimizeLevel), "--shrinkLevel", String(o.shrinkLevel),
    ...(o.converge ? ["--converge"] : [])], { cwd: tree, stdio: "inherit" }); // (cwd: not the root, whose asconfig.json asc would read)
  rmSync(tree, { recursive: true, force: true });
  for (const f of ["core-mt.js", "core-mt.d.ts"]) rmSync(join(root, "build", f), { force: true }); // (asc's bindings: not used)
});

await cachedStep("esbuild → build/core-mt-ts.js (threaded)", "esbuild-mt",
  hashOf([...coreSources, "scripts/inline.mjs"], [toolVersion("esbuild")]), ["build/core-mt-ts.js"],
  () => bundleTsCore("core-mt-ts.js", (text) => threadedLayout(text,
    'export const SYS_BASE: i32 = Number(new URL(import.meta.url).searchParams.get("sysBase") ?? SYS_HOME);')));

if (!coreOnly) {
  const hostInputs = hashOf([
    ...files("src", [".ts", ".mjs", ".json"]), "assembly/layout.ts", "tsconfig.json", "tsconfig.build.json", "package.json", self,
    "build/core.wasm", "build/core.js", "build/core.d.ts", "build/core-ts.js", "build/core-mt.wasm", "build/core-mt-ts.js",
  ], [toolVersion("typescript")]);
  await cachedStep("tsc → dist/", "tsc", hostInputs, ["dist/src/index.js", "dist/build/core.wasm", "dist/build/core-ts.js", "dist/src/machine/hart-thread.mjs"], () => {
    rmSync(join(root, "dist"), { recursive: true, force: true }); // nothing stale reaches the package
    execFileSync(bin("tsc"), ["-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
    // The compiled host finds the cores relative to itself, as the sources do: dist/build/.
    for (const f of ["core.wasm", "core.js", "core.d.ts", "core-ts.js", "core-mt.wasm", "core-mt-ts.js"]) {
      cpSync(join(root, "build", f), join(root, "dist", "build", f));
    }
    // Plain-JavaScript worker scripts, loaded by URL next to the module that starts them.
    cpSync(join(root, "src", "node", "rapilog-writer.mjs"), join(root, "dist", "src", "node", "rapilog-writer.mjs"));
    cpSync(join(root, "src", "machine", "hart-thread.mjs"), join(root, "dist", "src", "machine", "hart-thread.mjs"));
  });
}
