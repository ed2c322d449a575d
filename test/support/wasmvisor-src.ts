// bin/wasmvisor.mjs on the sources: `node --import tsx test/support/wasmvisor-src.ts run …` is
// the wasmvisor command as src/ has it now, built or not. The host-kill campaign spawns it.
import { main } from "../../src/cli/main.ts";

process.exitCode = await main(process.argv.slice(2));
