// One interface over the two builds of the core: the Wasm module (asc) and the pure-TS bundle
// (esbuild). Both are the same portable source (assembly/), take the same host callbacks and
// share their whole state through one linear memory whose map is assembly/layout.ts.
//
// This file must stay free of Node-only modules: the browser loads it too. The builds are found
// next to this module by standard ESM means only (import.meta.url, a literal dynamic import):
// Node reads build/core.wasm from disk, a browser fetches it, and bundlers such as Vite emit
// both files with the page. A caller may also pass its own compiled module (wasmModule).

import { JIT_LIVE_MAX } from "../../assembly/layout.js";

/** The exports of assembly/index.ts, identical for both builds. */
export interface CoreExports {
  run(budget: number): number;
  systemReset(cyclesPerTick: number): void;
  vcpuReset(index: number, pc: number, hartId: number, physmap: number, count: number): void;
  vcpuResetTo(index: number, mode: number, pc: number, hartId: number, physmap: number, count: number, stage2: number): void;
  vcpuSwitch(index: number): void;
  vcpuSetFpu(index: number, on: number): void;
  vcpuNextTimer(index: number): number;
  vcpuCheckTimers(index: number): void;
  hvRun(budget: number): number;
  schedReset(): void;
  smpJoin(leader: number, hart: number, index: number): void;
  smpPick(leader: number): number;
  smpSliceLimit(leader: number): number;
  smpCharge(leader: number, cycles: number): void;
  smpTimerNext(leader: number): number;
  smpCheckTimers(leader: number): void;
  vcpuFlushTlb(index: number): void;
  vcpuPendingInterrupt(index: number): number;
  vcpuCanWake(index: number): number;
  mtimeAt(index: number, clockHi: number, clockLo: number, wantHigh: number): number;
  vcpuTimeChanged(index: number): void;
  physmapBase(): number;
  vcpuTriggerWrite(index: number, trigger: number, reg: number, value: number): void;
  vcpuTriggerRead(index: number, trigger: number, reg: number): number;
  fpOperate(op: number, fmt: number, rm: number, ah: number, al: number, bh: number, bl: number, ch: number, cl: number): number;
  fpOperateHi(): number;
  fpOperateFlags(): number;
  dirtyRearm(count: number): void;
  /** The translator on with its area at `base`, empty; 0: off (docs/jit.md). */
  jitReset(base: number): void;
  /** [host, host + size) of the core's memory was or is about to be written by the host: drop
   *  the translations there (src/vmm/guest-memory.ts calls it; docs/jit.md). */
  jitWrote(host: number, size: number): void;
  /** The threaded build's (assembly/kernel/threads.ts); no-ops in effect in the others. */
  threadAttach(index: number): void;
  threadDetach(): void;
  threadReload(index: number): void;
  threadService(index: number): void;
  /** vNUMA: do what a hart of another node asked (HART_OP_*) to vCPU `index` of this node (kernel/sbi.ts). */
  hartServe(index: number, op: number, a: number, b: number): number;
  threadClockAtLeast(hi: number, lo: number): void;
}

/**
 * Callbacks the core calls: device accesses (env.mmioRead / env.mmioWrite) and slow hypercalls
 * (env.hypercall: SBI console I/O; arguments in the running vCPU's registers, results to
 * SYS_HC_ERROR / SYS_HC_VALUE).
 */
export interface CoreHost {
  mmioRead(device: number, offset: number, size: number): number;
  mmioWrite(device: number, offset: number, size: number, value: number): void;
  hypercall?(vcpu: number, eid: number, fid: number): void;
  /** The translator's back end for the pure-TS core (src/jit/js-backend.ts): the source of the
   *  function of the region whose IR is at `ir`, or null (docs/jit.md). */
  jitCompile?(ir: number): string | null;
  /** The translator's back end for the Wasm core (src/jit/wasm-backend.ts WasmBackend): it
   *  compiles a region into a module over the core's memory (Core.wasmMemory) and puts its
   *  function in the core's table (Core.wasmTable) at its handle, where the core calls it. */
  jitWasm?: {
    compile(ir: number): number;
    release(handle: number): void;
  } | null;
}

export type CoreKind = "wasm" | "ts";
export const CORE_KINDS: readonly CoreKind[] = ["wasm", "ts"];

export interface Core {
  readonly kind: CoreKind;
  readonly exports: CoreExports;
  /** The linear memory (fixed size: it never grows); a SharedArrayBuffer in the threaded build. */
  readonly memory: ArrayBuffer;
  /** The Wasm core's memory object (what the translator's modules import). */
  readonly wasmMemory?: WebAssembly.Memory;
  /** The Wasm core's function table: translated regions, at their handles (call_indirect). */
  readonly wasmTable?: WebAssembly.Table;
  /** The threaded build only: what another thread needs to run a hart over the same memory. */
  readonly threads?: CoreThreads;
}

/**
 * What a hart's thread instantiates its own core from (src/machine/hart-thread.mjs): the one
 * shared memory, and the threaded build (the compiled Wasm module, or the pure-TS module's URL).
 */
export interface CoreThreads {
  memory: WebAssembly.Memory | SharedArrayBuffer;
  wasmModule?: WebAssembly.Module;
  tsUrl?: string;
}

export interface CoreOptions {
  kind: CoreKind;
  /** Size of the linear memory in bytes (rounded up to 64 KiB). */
  memoryBytes: number;
  host: CoreHost;
  /** Compiled build/core.wasm (kind "wasm"; default: loadCoreWasm()); with `threaded`,
   *  build/core-mt.wasm (default: loadCoreWasm(CORE_MT_WASM_URL)). */
  wasmModule?: WebAssembly.Module;
  /**
   * The threaded build (build/core-mt.wasm, core-mt-ts.js) over a shared memory, so that harts
   * can run on other threads (src/machine/parallel.ts). This core is the home thread's: it
   * keeps the home system block (SYS_HOME). Needs SharedArrayBuffer (in a browser: a
   * cross-origin isolated page).
   */
  threaded?: boolean;
}

const PAGE = 65536;
/** Host addresses must stay below 2 GiB: the core uses negative values as fault sentinels. */
export const MAX_MEMORY_BYTES = 0x7fff0000;

let tsInstances = 0;

/** Where the Wasm build lives (dist/build/core.wasm in the package). */
export const CORE_WASM_URL = new URL("../../build/core.wasm", import.meta.url);
/** The pure-TS build: a plain ES module without imports, instantiated once per core. */
const CORE_TS_URL = new URL("../../build/core-ts.js", import.meta.url);
/** The threaded build of both (docs/smp.md, harts on parallel threads). */
export const CORE_MT_WASM_URL = new URL("../../build/core-mt.wasm", import.meta.url);
const CORE_MT_TS_URL = new URL("../../build/core-mt-ts.js", import.meta.url);
/** Where the home thread keeps its system block (assembly/layout.ts SYS_HOME). */
const SYS_HOME = 0x10000;

/** The two builds' modules, compiled once each (by URL). */
const defaultWasm = new Map<string, Promise<WebAssembly.Module>>();

/**
 * Compile the Wasm core, once per `url` default: from a file: URL with Node's fs (read through
 * a dynamic import, so browsers and bundlers never see it), from anything else with fetch.
 */
export function loadCoreWasm(url: URL | string = CORE_WASM_URL): Promise<WebAssembly.Module> {
  const load = async (): Promise<WebAssembly.Module> => {
    const where = new URL(url, CORE_WASM_URL);
    if (where.protocol === "file:") {
      const fs = "node:fs/promises";
      const { readFile } = (await import(/* @vite-ignore */ fs)) as { readFile(u: URL): Promise<Uint8Array<ArrayBuffer>> };
      let bytes: Uint8Array<ArrayBuffer>;
      try {
        bytes = await readFile(where);
      } catch (err) {
        if ((err as { code?: string }).code === "ENOENT") throw new Error(`${where.pathname} is missing: run \`npm run build\` first`);
        throw err;
      }
      return WebAssembly.compile(bytes);
    }
    const response = await fetch(where);
    if (!response.ok) throw new Error(`cannot load the Wasm core from ${where.href}: HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
      // Typically a dev server's HTML fallback: a bundler moved this module away from its files.
      throw new Error(`${where.href} is not the Wasm core (${response.headers.get("content-type") ?? "no content type"}): ` +
        "the library was moved away from its build/ files — with Vite's dev server, exclude the package from " +
        'dependency pre-bundling (optimizeDeps: { exclude: ["wasmvisor"] }), or pass wasmModule');
    }
    return WebAssembly.compile(bytes);
  };
  if (url !== CORE_WASM_URL && url !== CORE_MT_WASM_URL) return load();
  const key = (url as URL).href;
  let compiled = defaultWasm.get(key);
  if (!compiled) {
    compiled = load().catch((err) => {
      defaultWasm.delete(key);
      throw err;
    });
    defaultWasm.set(key, compiled);
  }
  return compiled;
}

/** Instantiate a core. Each call yields an independent core with its own memory. */
export async function createCore(options: CoreOptions): Promise<Core> {
  const pages = Math.ceil(options.memoryBytes / PAGE);
  if (pages * PAGE > MAX_MEMORY_BYTES) {
    throw new RangeError(`core memory of ${pages * PAGE} bytes exceeds the ${MAX_MEMORY_BYTES}-byte limit`);
  }
  if (options.threaded) return createThreadedCore(options, pages);
  if (options.kind === "wasm") {
    const wasmModule = options.wasmModule ?? (await loadCoreWasm());
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    // (the core has no function table of its own: slot 0 stays empty, handles start at 1)
    const table = new WebAssembly.Table({ element: "anyfunc", initial: 1 + JIT_LIVE_MAX });
    const bindings = await import("../../build/core.js");
    const host = options.host;
    const exports = (await bindings.instantiate(wasmModule, {
      env: {
        memory,
        table,
        mmioRead: (d: number, o: number, s: number) => host.mmioRead(d, o, s),
        mmioWrite: (d: number, o: number, s: number, v: number) => host.mmioWrite(d, o, s, v),
        hypercall: (v: number, e: number, f: number) => host.hypercall?.(v, e, f),
        // The translator's Wasm back end (src/jit/wasm-backend.ts), when the host has one.
        jitCompile: (ir: number) => host.jitWasm?.compile(ir) ?? 0,
        jitRelease: (handle: number) => host.jitWasm?.release(handle),
        // (the threaded build's sleep: this build's harts share one thread and never wait)
        threadWait: () => {},
      },
    })) as unknown as CoreExports;
    for (let i = 0; i < table.length; i++) {
      if (table.get(i) !== null) throw new Error("the Wasm core put functions of its own in its table, where the translator's go: give them room (src/core/core.ts)");
    }
    return { kind: "wasm", exports, memory: memory.buffer, wasmMemory: memory, wasmTable: table };
  }
  // The pure-TS core keeps its state in module variables: a fresh module instance per core
  // (the query string makes the module loader, Node's or a browser's, treat each as a new module).
  const url = `${CORE_TS_URL.href}?instance=${++tsInstances}`;
  const mod = await import(/* @vite-ignore */ url);
  const memory = new ArrayBuffer(pages * PAGE);
  const h = options.host;
  mod.shimAttach(memory, {
    mmioRead: (d: number, o: number, s: number) => h.mmioRead(d, o, s),
    mmioWrite: (d: number, o: number, s: number, v: number) => h.mmioWrite(d, o, s, v),
    hypercall: (v: number, e: number, f: number) => h.hypercall?.(v, e, f),
    jitCompile: (ir: number) => h.jitCompile?.(ir) ?? null,
  });
  return { kind: "ts", exports: mod as CoreExports, memory };
}

/** The home thread's core of the threaded build, over a new shared memory. */
async function createThreadedCore(options: CoreOptions, pages: number): Promise<Core> {
  if (typeof SharedArrayBuffer === "undefined") {
    throw new Error("harts on parallel threads need SharedArrayBuffer: in a browser, serve the page cross-origin isolated " +
      "(Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp)");
  }
  const h = options.host;
  const env = {
    mmioRead: (d: number, o: number, s: number) => h.mmioRead(d, o, s),
    mmioWrite: (d: number, o: number, s: number, v: number) => h.mmioWrite(d, o, s, v),
    hypercall: (v: number, e: number, f: number) => h.hypercall?.(v, e, f),
    // (no translator on threads: nothing is ever compiled, so nothing is entered or released)
    jitCompile: () => 0,
    jitRelease: () => {},
    // (the threaded build's sleep: never called on this thread, which waits for no other hart)
    threadWait: (addr: number, expected: number, us: number) => { Atomics.wait(new Int32Array(waitBuffer!), addr >> 2, expected, us / 1000); },
  };
  let waitBuffer: SharedArrayBuffer | null = null;
  if (options.kind === "wasm") {
    const wasmModule = options.wasmModule ?? (await loadCoreWasm(CORE_MT_WASM_URL));
    if (!WebAssembly.Module.imports(wasmModule).some((i) => i.name === "sysBase")) {
      throw new Error("the given wasmModule is the one-thread build (build/core.wasm): harts on threads need the threaded build, build/core-mt.wasm (or pass no wasmModule)");
    }
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    waitBuffer = memory.buffer as unknown as SharedArrayBuffer;
    const instance = await WebAssembly.instantiate(wasmModule, { env: { ...env, memory, sysBase: SYS_HOME } });
    return {
      kind: "wasm", exports: instance.exports as unknown as CoreExports, memory: memory.buffer as unknown as ArrayBuffer,
      threads: { memory, wasmModule },
    };
  }
  const memory = new SharedArrayBuffer(pages * PAGE);
  const mod = await import(/* @vite-ignore */ `${CORE_MT_TS_URL.href}?instance=${++tsInstances}&sysBase=${SYS_HOME}`);
  mod.shimAttach(memory, env);
  return { kind: "ts", exports: mod as CoreExports, memory: memory as unknown as ArrayBuffer, threads: { memory, tsUrl: CORE_MT_TS_URL.href } };
}
