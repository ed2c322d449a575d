// Node adapter: where the Wasm core comes from on disk. (Browsers fetch the same file.)

import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

let cached: Promise<WebAssembly.Module> | null = null;

/** Path of build/core.wasm, relative to this module in src/ or in dist/. */
export function coreWasmPath(): string {
  return fileURLToPath(new URL("../../build/core.wasm", import.meta.url));
}

/** Compile build/core.wasm once per process. */
export function loadWasmModule(): Promise<WebAssembly.Module> {
  cached ??= readFile(coreWasmPath()).then(
    (bytes) => WebAssembly.compile(bytes),
    (err: NodeJS.ErrnoException) => {
      cached = null;
      if (err.code === "ENOENT") throw new Error(`${coreWasmPath()} is missing: run \`npm run build\` first`);
      throw err;
    },
  );
  return cached;
}
