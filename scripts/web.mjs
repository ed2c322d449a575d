#!/usr/bin/env node
// The browser page (web/): `npm run web` starts Vite's dev server on 127.0.0.1 and prints the
// URL; `npm run web:build` (this script with --build) writes the static page to web/dist/.
// Either way the two cores are built first when build/ is missing them or is older than
// assembly/, and a missing guest image is reported (the page then says so instead of booting).
// Usage: node scripts/web.mjs [--build] [--port N]
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, createServer } from "vite";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const configFile = join(root, "web", "vite.config.ts");
const args = process.argv.slice(2);
const portArg = args.indexOf("--port");
const port = portArg >= 0 ? Number(args[portArg + 1]) : 5173;

/** Newest modification time of the files under `dir`. */
function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return t;
}

const cores = ["core.wasm", "core.js", "core-ts.js"].map((f) => join(root, "build", f));
const source = newest(join(root, "assembly"));
if (cores.some((f) => !existsSync(f) || statSync(f).mtimeMs < source)) {
  console.log("wasmvisor: building the cores (build/ is missing or older than assembly/)");
  execFileSync(process.execPath, [join(root, "scripts", "build.mjs"), "--core-only"], { stdio: "inherit" });
}

const description = JSON.parse(readFileSync(join(root, "examples", "default.json"), "utf8"));
const missing = description.partitions
  .flatMap((p) => [p.image, p.initrd, typeof p.disk === "string" ? p.disk : p.disk?.file])
  .filter((f) => f !== undefined && !existsSync(join(root, "examples", f)));
if (missing.length) {
  console.warn(`wasmvisor: not built: ${missing.join(", ")} — run \`npm run guests\` (or \`bash guests/linux/build.sh\`)`);
}

if (args.includes("--build")) {
  await build({ configFile, logLevel: "warn" });
  console.log(`wasmvisor: the page is in web/dist/ — serve it with any static server, e.g. \`npx vite preview --config web/vite.config.ts\``);
} else {
  const server = await createServer({ configFile, server: { port, strictPort: false } });
  await server.listen();
  console.log("wasmvisor: the browser page (Ctrl-C stops the server):");
  server.printUrls();
}
