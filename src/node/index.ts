// The Node adapter: `import { openSystem } from "wasmvisor/node"`. System descriptions, images
// and disks from files, the Wasm core from the package, stdin as a console. The library itself
// is "wasmvisor" (src/index.ts).

import { Hypervisor, type HypervisorOptions } from "../api/hypervisor.js";
import { loadSystemFile } from "./system-file.js";

export { loadSystemFile, openDiskFile, type SystemFile } from "./system-file.js";
export { loadWasmModule, coreWasmPath } from "./core-file.js";
export { FileDisk } from "./disk-file.js";
export { RapilogDisk, type RapilogStats } from "./rapilog-disk.js";
export { stdinInput, type ConsoleInput } from "./console.js";
export { serveGdb, type GdbServer, type GdbServerOptions } from "./gdb-server.js";
export { main as cliMain } from "../cli/main.js";
export { startNodes, runNode, type Nodes } from "./vnuma.js";

/**
 * A Hypervisor for the system description in `file`: read and validated (throws ConfigError
 * listing every problem), its images, initrds and disks resolved relative to the file.
 */
export function openSystem(file: string, options: Omit<HypervisorOptions, "loadImage" | "openDisk" | "openSemihostDir" | "file"> = {}): Hypervisor {
  const sys = loadSystemFile(file);
  return new Hypervisor(sys.config, { ...options, loadImage: sys.loadImage, openDisk: sys.openDisk, openSemihostDir: sys.openSemihostDir, file });
}
