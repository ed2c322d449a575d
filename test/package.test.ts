// The npm package as another project sees it: `npm pack`, installed into a fresh project, used
// from Node (library, Node adapter, TypeScript declarations, the CLI) and from a page built by
// Vite and run in Chromium — with both builds of the core and the embedding API (memory,
// registers, a device of its own) — and the documentation's snippets (test/support/doc-snippets.ts).

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, copyFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { serveStatic } from "./support/static-server.js";
import { snippets } from "./support/doc-snippets.js";

const ROOT = resolve(import.meta.dirname, "..");
const CHROMIUM = "/usr/bin/chromium";
const HELLO = "Hello from a C guest on wasmvisor!\n40 + 2 = 42, strings work, 0x00c0ffee\n";

let dir = "";
let app = "";
let tarball = "";

/** A child process, awaited without blocking the worker (vitest's own messages keep flowing). */
function run(cmd: string, args: string[], options: { cwd: string; timeout: number; env?: NodeJS.ProcessEnv }): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => { stdout += d; });
    child.stderr.on("data", (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeout);
    child.on("error", reject);
    child.on("close", (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
}

/** npm, awaited (a blocking call of a minute would starve vitest's worker messages). */
async function npm(args: string[], cwd: string): Promise<string> {
  const r = await run("npm", [...args, "--loglevel=error"], { cwd, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`npm ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  // `npm test` has just built dist/; packing must not rebuild it (prepack) under the tests' feet.
  if (!existsSync(join(ROOT, "dist/src/index.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  dir = mkdtempSync(join(tmpdir(), "wasmvisor-pack-"));
  const name = (await npm(["pack", "--ignore-scripts", "--pack-destination", dir], ROOT)).trim().split("\n").at(-1)!;
  tarball = join(dir, name);
  app = join(dir, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "embedder", private: true, type: "module" }));
  // The package has no runtime dependencies: installing it needs no registry.
  await npm(["install", "--offline", "--no-audit", "--no-fund", tarball], app);
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the npm package", () => {
  it("holds the compiled library, both cores, declarations and the CLI, and no sources or tests", () => {
    const files = execFileSync("tar", ["tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean).map((f) => f.replace(/^package\//, ""));
    for (const f of ["package.json", "README.md", "bin/wasmvisor.mjs", "dist/src/index.js", "dist/src/index.d.ts", "dist/src/node/index.js",
      "dist/src/node/index.d.ts", "dist/build/core.wasm", "dist/build/core.js", "dist/build/core-ts.js", "dist/src/node/rapilog-writer.mjs",
      "schema/system.schema.json", "guests/bin/hello.elf"]) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^(test|src|assembly|node_modules|scratch)\//.test(f) || f.endsWith(".test.js"))).toEqual([]);
  });

  it("is used from Node: the library on both cores, the Node adapter, and the bin", async () => {
    const script = `
      import { Hypervisor, Machine, validateSystem, ConfigError, FileAgentError, newcArchive } from "wasmvisor";
      import { openSystem } from "wasmvisor/node";
      import { readFileSync } from "node:fs";
      import { fileURLToPath } from "node:url";
      const pkg = fileURLToPath(new URL("./node_modules/wasmvisor/", import.meta.url));
      const result = {};
      for (const core of ["wasm", "ts"]) {
        const hv = new Hypervisor({ partitions: [{ name: "hello", image: "hello.elf", ram: "1M" }] },
          { core, loadImage: (f) => readFileSync(pkg + "guests/bin/" + f) });
        let out = "";
        hv.on("output", (e) => { out += new TextDecoder().decode(e.data); });
        const r = await hv.run();
        result[core] = { out, status: r.status, instructions: hv.stats().instructions };
      }
      // The embedding API: a device of one's own, memory and registers, a snapshot restored on the other core.
      const probe = { name: "probe", base: 0x20000000, size: 4096, read: () => 7, write: () => {}, saveState: () => ({}), loadState: () => {} };
      const load = (f) => readFileSync(pkg + "guests/bin/" + f);
      const hv2 = new Hypervisor({ partitions: [{ name: "hello", image: "hello.elf", ram: "1M" }] }, { core: "wasm", loadImage: load, devices: { hello: [probe] } });
      let before = "";
      hv2.on("output", (e) => { before += new TextDecoder().decode(e.data); });
      await hv2.step(200);
      result.word = Array.from(hv2.readMemory("hello", 0x80000000, 4));
      result.pcInRam = hv2.registers("hello").pc >= 0x80000000;
      const again = await Hypervisor.restore(await hv2.snapshot(), { core: "ts", devices: { hello: [probe] } });
      let after = "";
      again.on("output", (e) => { after += new TextDecoder().decode(e.data); });
      const history = new TextDecoder().decode(again.consoleHistory("hello")) === before;
      const status = (await again.run()).status;
      result.restored = { text: before + after, status, history };
      const two = openSystem(pkg + "examples/two-guests.json");
      result.two = (await two.run({ maxInsns: 20_000_000 })).partitions.map((p) => p.name + ":" + p.halt?.kind);
      try { validateSystem({ partitions: [] }); } catch (e) { result.error = e instanceof ConfigError ? e.message : "other"; }
      // Files (docs/files.md; the package has no Linux images, so the agent's part is its errors).
      result.cpio = new TextDecoder().decode(newcArchive([{ path: "/a", data: new Uint8Array(1) }]).subarray(0, 6));
      try { await hv2.runUntil(hv2.files("hello").read("/x")); } catch (e) { result.noAgent = e instanceof FileAgentError ? e.code : String(e); }
      console.log(JSON.stringify(result));
    `;
    writeFileSync(join(app, "use.mjs"), script);
    const r = await run(process.execPath, ["use.mjs"], { cwd: app, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout);
    expect(got.wasm).toEqual({ out: HELLO, status: 0, instructions: got.ts.instructions });
    expect(got.ts.out).toBe(HELLO);
    expect(got.two).toEqual(["hello:pass", "timer:pass"]);
    expect(got.error).toMatch(/partitions/);
    expect(got.word).toHaveLength(4);
    expect(got.pcInRam).toBe(true);
    expect(got.restored).toEqual({ text: HELLO, status: 0, history: true });
    expect(got.cpio).toBe("070701");
    expect(got.noAgent).toBe("no-agent");

    const cli = spawnSync(join(app, "node_modules/.bin/wasmvisor"), ["run-elf", join(app, "node_modules/wasmvisor/guests/bin/hello.elf")], { encoding: "utf8" });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toBe(HELLO);
  }, 90_000);

  it("type-checks against its declarations", async () => {
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify({
      compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: false, lib: ["ES2022", "DOM"], types: [] },
      files: ["embed.ts"],
    }));
    writeFileSync(join(app, "embed.ts"), `
      import { Hypervisor, MemoryDisk, type HypervisorStats, type SystemDescription, type UserDevice, type GuestDirEntry, type GuestFile } from "wasmvisor";
      import { openSystem, RapilogDisk } from "wasmvisor/node";
      const description: SystemDescription = { partitions: [{ name: "a", image: "a.elf" }] };
      const hv = new Hypervisor(description, { core: "ts", loadImage: () => new Uint8Array(0) });
      const stats: Promise<HypervisorStats> = hv.run().then(() => hv.stats());
      const disk: MemoryDisk = new MemoryDisk(new Uint8Array(512));
      const device: UserDevice = { name: "d", base: 0x20000000, size: 4096, read: () => 0, write: () => {} };
      const withDevice = new Hypervisor(description, { core: "ts", loadImage: () => new Uint8Array(0), devices: { a: [device] } });
      const memory: Uint8Array | null = withDevice.readMemory("a", 0x80000000, 4);
      const saved: Promise<Uint8Array> = withDevice.snapshot();
      const added: GuestFile = { path: "/root/x", data: new Uint8Array(1), mode: 0o755 };
      const withFiles = new Hypervisor(description, { core: "ts", loadImage: () => new Uint8Array(0), addFiles: { a: [added] } });
      const listing: Promise<GuestDirEntry[]> = withFiles.runUntil(withFiles.files("a").list("/"));
      const written: Promise<void> = withFiles.files("a").write("/root/y", "text", { mode: 0o600 });
      export { stats, disk, openSystem, RapilogDisk, memory, saved, listing, written };
      // @ts-expect-error: the core is "wasm" or "ts"
      new Hypervisor(description, { core: "arm", loadImage: () => new Uint8Array(0) });
    `);
    const r = await run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "."], { cwd: app, timeout: 150_000 });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  }, 180_000);

  it("runs the documentation's TypeScript and JavaScript snippets, as a consumer project would", async () => {
    // Each block of README.md and docs/ (test/support/doc-snippets.ts) becomes a module of the
    // project that installed the package: type-checked strictly against its declarations, then run.
    const docs = join(app, "docs");
    mkdirSync(docs, { recursive: true });
    const blocks = snippets().filter((s) => (s.lang === "ts" || s.lang === "js") && !s.attrs.has("no-test"));
    expect(blocks.length).toBeGreaterThanOrEqual(7);
    const names = blocks.map((s, i) => `${s.file.replace(/\W+/g, "-")}-${s.line}-${i}.${s.lang === "ts" ? "ts" : "mjs"}`);
    blocks.forEach((s, i) => writeFileSync(join(docs, names[i]), s.code));
    writeFileSync(join(docs, "tsconfig.json"), JSON.stringify({
      compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, outDir: "out",
        // (The package's declarations themselves are checked by the test above.)
        skipLibCheck: true,
        lib: ["ES2022", "DOM"], types: ["node"], typeRoots: [join(ROOT, "node_modules/@types")] },
      files: names.filter((n) => n.endsWith(".ts")),
    }));
    const tsc = await run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "."], { cwd: docs, timeout: 150_000 });
    expect(tsc.stdout + tsc.stderr, "tsc").toBe("");
    expect(tsc.status, "tsc").toBe(0);
    // Paths in the snippets are the project's (node_modules/wasmvisor/…): each runs from its root.
    const results = await Promise.all(blocks.map((s, i) => s.attrs.has("no-run") ? null
      : run(process.execPath, [s.lang === "ts" ? join(docs, "out", names[i].replace(/\.ts$/, ".js")) : join(docs, names[i])], { cwd: app, timeout: 60_000 })));
    blocks.forEach((s, i) => {
      const r = results[i];
      if (!r) return;
      expect(r.status, `${s.file}:${s.line}: ${r.stderr}`).toBe(0);
      expect(r.stderr, `${s.file}:${s.line}`).toBe("");
    });
  }, 240_000);

  it.skipIf(!existsSync("/usr/bin/riscv64-unknown-elf-gcc"))("runs the first-program recipe of docs/first-program.md with the SDK it ships", async () => {
    // The `sh run` blocks of each page, in order, in one shell in the consumer project, after the
    // `file=` blocks before them are written; each `text output` block is the exact output of
    // the `sh run` block before it.
    const work = join(app, "first");
    mkdirSync(work, { recursive: true });
    const blocks = snippets(["docs/first-program.md"]);
    let script = "set -e\nln -sfn ../node_modules node_modules\n";
    const expected: string[] = [];
    blocks.forEach((s, i) => {
      if (s.name) writeFileSync(join(work, s.name), s.code);
      if (s.lang === "sh" && s.attrs.has("run")) {
        const next = blocks[i + 1];
        expected.push(next?.lang === "text" && next.attrs.has("output") ? next.code : "");
        script += `echo "@@ block ${expected.length}"\n${s.code}`;
      }
    });
    expect(expected.length).toBeGreaterThanOrEqual(3);
    const r = await run("bash", ["-c", script], { cwd: work, timeout: 60_000, env: { ...process.env, npm_config_offline: "true" } });
    expect(r.status, r.stderr).toBe(0);
    const got = r.stdout.split(/^@@ block \d+\n/m).slice(1);
    expect(got).toEqual(expected);
  }, 90_000);

  it.skipIf(!existsSync(CHROMIUM))("is used from a Vite page (production build and dev server), in Chromium, with both cores and the embedding API", async () => {
    const web = join(dir, "web");
    mkdirSync(join(web, "public"), { recursive: true });
    writeFileSync(join(web, "package.json"), JSON.stringify({ name: "page", private: true, type: "module" }));
    // The page's project installs the package the same way.
    await npm(["install", "--offline", "--no-audit", "--no-fund", tarball], web);
    copyFileSync(join(web, "node_modules/wasmvisor/guests/bin/hello.elf"), join(web, "public/hello.elf"));
    writeFileSync(join(web, "index.html"), `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head>
      <body><pre id="out">running</pre><script type="module" src="./main.js"></script></body></html>`);
    writeFileSync(join(web, "main.js"), `
      import { Hypervisor } from "wasmvisor";
      const image = new Uint8Array(await (await fetch("./hello.elf")).arrayBuffer());
      const result = {};
      for (const core of ["wasm", "ts"]) {
        const hv = new Hypervisor({ partitions: [{ name: "hello", image: "hello.elf", ram: "1M" }] }, { core, loadImage: () => image });
        let out = "";
        hv.on("output", (e) => { out += new TextDecoder().decode(e.data); });
        const r = await hv.run();
        result[core] = { out, status: r.status, instructions: hv.stats().instructions };
        // The embedding API in a page: a device of one's own on the partition's bus, and code of
        // the page's own written into guest memory and run there: lui t0,0x20000; lw t1,0(t0)
        // (the device answers 0x1234); sw t1,4(t0) (the device sees it); j . — then the
        // registers read back, and accesses outside the partition refused.
        const writes = [];
        const probe = { name: "probe", base: 0x20000000, size: 4096, read: (offset) => (offset === 0 ? 0x1234 : 0), write: (offset, size, value) => { writes.push([offset, size, value]); } };
        const dev = new Hypervisor({ partitions: [{ name: "hello", image: "hello.elf", ram: "1M" }] }, { core, loadImage: () => image, devices: { hello: [probe] } });
        await dev.step(200);
        const code = new Uint8Array(new Uint32Array([0x200002b7, 0x0002a303, 0x0062a223, 0x0000006f]).buffer);
        const written = dev.writeMemory("hello", 0x80080000, code);
        dev.setPc("hello", 0x80080000);
        dev.setRegister("hello", 7, 99);
        await dev.step(1000);
        const regs = dev.registers("hello");
        result[core].embed = { written, t1: regs.x[6], t2: regs.x[7], pc: regs.pc, writes, code: Array.from(dev.readMemory("hello", 0x80080000, 4)),
          outside: dev.readMemory("hello", 0x70000000, 4), across: dev.writeMemory("hello", 0x800ffffe, new Uint8Array(4)) };
      }
      document.getElementById("out").textContent = JSON.stringify(result);
      document.body.dataset.done = "1";
    `);
    const { build, createServer } = await import("vite");
    await build({ root: web, logLevel: "silent", build: { outDir: "dist", target: "es2022" } });
    const server = await serveStatic(join(web, "dist"));
    // Vite's dev server too, configured by docs/api.md's vite.config.js block itself (no
    // dependency pre-bundling for the package, which would move its modules away from their
    // build/ files).
    const viteConfig = snippets(["docs/api.md"]).find((s) => s.name === "vite.config.js");
    expect(viteConfig?.code).toContain("optimizeDeps");
    writeFileSync(join(web, "vite.config.js"), viteConfig!.code);
    const dev = await createServer({ root: web, configFile: join(web, "vite.config.js"), logLevel: "silent", server: { host: "127.0.0.1", port: 0 } });
    await dev.listen();
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
    try {
      for (const url of [server.url, dev.resolvedUrls!.local[0]]) {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on("pageerror", (e) => errors.push(e.message));
        page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
        await page.goto(url);
        await page.waitForSelector("body[data-done]", { timeout: 30_000 });
        const got = JSON.parse((await page.textContent("#out"))!);
        expect(errors, url).toEqual([]);
        expect({ ...got.wasm, embed: undefined }, url).toEqual({ out: HELLO, status: 0, instructions: got.ts.instructions, embed: undefined });
        expect(got.ts.out, url).toBe(HELLO);
        for (const core of ["wasm", "ts"]) {
          expect(got[core].embed, `${url} ${core}`).toEqual({ written: true, t1: 0x1234, t2: 99, pc: 0x8008000c, writes: [[4, 4, 0x1234]],
            code: [0xb7, 0x02, 0x00, 0x20], outside: null, across: false });
        }
        await page.close();
      }
    } finally {
      await browser.close();
      await server.close();
      await dev.close();
    }
  }, 120_000);
});
