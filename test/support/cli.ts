// Runs the wasmvisor command in-process (src/cli/main.ts) with captured output; `input` is
// what stdin holds (closed after it).

import { main, type CliIO } from "../../src/cli/main.ts";

export async function cli(args: string[], input = new Uint8Array(0)): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: (d) => { stdout += typeof d === "string" ? d : Buffer.from(d).toString("latin1"); },
    stderr: (t) => { stderr += t; },
    input: { initial: input, open: false, onData: () => () => {}, next: async () => {}, close() {} },
  };
  const status = await main(args, io);
  return { status, stdout, stderr };
}
