// A vNUMA node process (src/node/vnuma.ts starts it: `--connect HOST:PORT`). Its exit status
// says how the node ended: 0 at the end of the run, 1 when it failed (the reason on stderr).
import { runNode } from "./vnuma.js";

const at = process.argv.indexOf("--connect");
const address = at >= 0 ? process.argv[at + 1] : undefined;
if (!address) {
  process.stderr.write("usage: vnuma-node-main --connect HOST:PORT\n");
  process.exit(2);
}
try {
  await runNode(address);
  process.exit(0);
} catch (err) {
  process.stderr.write(`wasmvisor vnuma-node: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
