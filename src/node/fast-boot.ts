// Fast boot (`wasmvisor run … --fast-boot DIR`, and `npm start`): a system is started from a
// snapshot taken at its console's first shell prompt instead of being booted again.
//
// The snapshot is kept in DIR under a key: a SHA-256 of everything a run's course depends on —
// the system description (as validated), the run options that change it (paging, IPC path,
// files added to an initrd with --add-file), every image, kernel and initial RAM disk, every
// disk's contents, and this build of wasmvisor
// (the Wasm core, the pure-TS core, the host's code). Any change gives another key, so a stale
// snapshot is never used: the system boots and a new one is written (the older ones of that
// system are removed). What is restored is exact: it goes on as the booted system would have
// from the moment the snapshot was taken.
//
// The snapshot is written only when nothing can make it differ from a plain boot's prompt:
// no console input has been given yet (typed-ahead keys would be in it) and no disk has been
// written (the key holds the disks as they were before the boot). Systems the snapshot cannot
// carry whole are booted as usual: semihosting directories, RapiLog disks and the file agent
// keep host state a snapshot does not hold.
//
// Limits: in --wall-clock mode the guest's clock is the one the first boot read (Linux's date
// goes on from then, as after a resume from suspend without an RTC update).

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { SystemFile } from "./system-file.js";
import type { PagingMode } from "../api/hypervisor.js";
import { CORE_WASM_URL } from "../core/core.js";
import type { GuestFile } from "../loader/cpio.js";

/** The default cache directory: $WASMVISOR_CACHE, else $XDG_CACHE_HOME/wasmvisor/boot, else
 *  ~/.cache/wasmvisor/boot. */
export function defaultFastBootDir(): string {
  if (process.env.WASMVISOR_CACHE) return join(process.env.WASMVISOR_CACHE, "boot");
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "wasmvisor", "boot");
}

/** Why `sys` cannot be fast-booted, or null. */
export function fastBootRefusal(sys: SystemFile): string | null {
  for (const p of sys.config.partitions) {
    if (p.semihosting?.dir !== undefined) return `partition "${p.name}" has a semihosting directory (host state a snapshot does not hold)`;
    if (p.disk?.mode === "rapilog") return `partition "${p.name}" has a RapiLog disk (its log is host state a snapshot does not hold)`;
    // (the host side of the file agent, src/api/files.ts, is not in a snapshot: a restored
    // agent that has said hello would not be heard again)
    if (p.devices.includes("file-agent")) return `partition "${p.name}" has the file agent (its host side is not in a snapshot)`;
  }
  return null;
}

/** This build of wasmvisor: the two cores and every module of the host (src/ or dist/src/). */
let buildHash: string | null = null;
function wasmvisorBuild(): string {
  if (buildHash) return buildHash;
  const hash = createHash("sha256");
  const srcRoot = resolve(dirname(fileURLToPath(import.meta.url)), ".."); // (src/ or dist/src/)
  const wasm = fileURLToPath(CORE_WASM_URL);
  for (const f of [wasm, join(dirname(wasm), "core-ts.js")]) hash.update(`\0${f.slice(dirname(wasm).length)}\0`).update(readFileSync(f));
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : /\.(js|ts)$/.test(e.name) && !e.name.endsWith(".d.ts") ? [join(dir, e.name)] : []))
    .sort();
  for (const f of walk(srcRoot)) hash.update(`\0${f.slice(srcRoot.length)}\0`).update(readFileSync(f));
  buildHash = hash.digest("hex");
  return buildHash;
}

/** The key of `sys` run with `options`: see the top of this file. */
export function fastBootKey(sys: SystemFile, options: { paging: PagingMode; ipcFastPath: boolean; addFiles?: Record<string, readonly GuestFile[]> }): string {
  const hash = createHash("sha256");
  hash.update("wasmvisor fast boot 1\0").update(wasmvisorBuild());
  hash.update(JSON.stringify({ config: sys.config, paging: options.paging, ipcFastPath: options.ipcFastPath }));
  // (files added to an initrd: their names, modes and contents)
  for (const [name, files] of Object.entries(options.addFiles ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (const f of files) hash.update(`\0added\0${name}\0${f.path}\0${f.mode ?? ""}\0${f.data.length}\0`).update(f.data);
  }
  const base = dirname(sys.file);
  for (const p of sys.config.partitions) {
    for (const f of [p.image, p.kernel, p.initrd]) {
      if (f !== undefined) hash.update(`\0${f}\0`).update(sys.loadImage(f));
    }
    if (p.disk) hash.update(`\0disk\0`).update(readFileSync(resolve(base, p.disk.file)));
  }
  return hash.digest("hex");
}

/** The file `sys`'s snapshot with `key` is kept in, in `dir`. */
export function fastBootFile(dir: string, sys: SystemFile, key: string): string {
  return join(dir, `${sys.config.name.replace(/[^\w.-]/g, "_")}-${key.slice(0, 32)}.wvsnap`);
}

/** The snapshot in `file`, or null if there is none (or it cannot be read). */
export function readFastBoot(file: string): Uint8Array | null {
  try {
    if (!statSync(file).isFile()) return null;
    return readFileSync(file);
  } catch {
    return null;
  }
}

/** Keep `bytes` as `file` (through a temporary file; the system's older snapshots removed). */
export function writeFastBoot(file: string, bytes: Uint8Array): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
  const keyed = /^(.*)-[0-9a-f]{32}\.wvsnap$/;
  const own = file.slice(dir.length + 1);
  const system = keyed.exec(own)?.[1];
  for (const other of readdirSync(dir)) {
    if (other !== own && keyed.exec(other)?.[1] === system) rmSync(join(dir, other), { force: true });
  }
}
