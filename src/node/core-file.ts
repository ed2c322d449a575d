// Node adapter: where the Wasm core comes from on disk (src/core/core.ts loads it; browsers
// fetch the same file).

import { fileURLToPath } from "node:url";
import { CORE_WASM_URL, loadCoreWasm } from "../core/core.js";

/** Path of build/core.wasm, relative to the core module in src/ or in dist/. */
export function coreWasmPath(): string {
  return fileURLToPath(CORE_WASM_URL);
}

/** Compile build/core.wasm once per process. */
export function loadWasmModule(): Promise<WebAssembly.Module> {
  return loadCoreWasm();
}
