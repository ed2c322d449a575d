#!/usr/bin/env node
// The wasmvisor command (see src/cli/main.ts). Runs the compiled host in dist/.
let main, processExitStatus;
try {
  ({ main, processExitStatus } = await import("../dist/src/cli/main.js"));
} catch (err) {
  if (err?.code === "ERR_MODULE_NOT_FOUND") {
    process.stderr.write("wasmvisor: the build is missing; run `npm run build` in the package directory\n");
    process.exit(2);
  }
  throw err;
}
process.exitCode = processExitStatus(await main(process.argv.slice(2)));
