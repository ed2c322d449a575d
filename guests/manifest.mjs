// Source hashes of the guest ELFs built into guests/bin/ (guests/manifest.json; the ELFs are built by the setup, not committed).
//
// Each ELF's input hash covers its own source, everything in common/ and sdk/, and build.sh
// (flags live there). `node manifest.mjs write` records the hashes after a build; checkManifest() (used by
// test/guests-manifest.test.ts) reports ELFs whose sources changed without a rebuild, ELFs
// changed without their manifest entry, and sources without an ELF.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync, existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const KINDS = [
  { dir: "asm", ext: ".S" },
  { dir: "isa", ext: ".S" },
  { dir: "sbi", ext: ".S" },
  { dir: "hostile/m", ext: ".S" },
  { dir: "hostile/s", ext: ".S" },
  { dir: "hostile/smp", ext: ".S" },
  { dir: "ipc", ext: ".c" },
  { dir: "c", ext: ".c" },
  { dir: "fp", ext: ".S" },
  { dir: "fp", ext: ".c" },
];

const sha256 = (data) => createHash("sha256").update(data).digest("hex");

function commonFiles() {
  return [
    ...readdirSync(join(here, "common")).sort().map((f) => join("common", f)),
    ...readdirSync(join(here, "sdk")).sort().map((f) => join("sdk", f)),
    "build.sh",
  ];
}

/** Programs built from a folder of sources (the folder's files all count, its build/ not), or
 *  from another program's source with other flags. */
const FOLDER_PROGRAMS = [
  { name: "rtos", source: "rtos" },
  { name: "rtos-client", source: "rtos" },
  { name: "rtos-afterburn", source: "rtos" },
  { name: "firmware", source: "firmware" },
  { name: "fwprobe", source: "firmware" },
  // Built again from one source with other flags (build.sh): parbench.S with fewer items, and
  // with each hart's memory in its part of RAM.
  { name: "parbench-short", source: "asm/parbench.S" },
  { name: "parbench-numa", source: "asm/parbench.S" },
  // cmark.c with ten times the iterations, for bench:jit.
  { name: "cmark-long", source: "c/cmark.c" },
  // smp-s.S for a partition on vNUMA nodes (without the check that a hart keeps a stale
  // translation, which the shared memory drops).
  { name: "smp-s-vnuma", source: "sbi/smp-s.S" },
];

/** Every guest program: name, source path (relative to guests/: a file, or a folder). */
export function guestSources() {
  const out = [];
  for (const { dir, ext } of KINDS) {
    for (const f of readdirSync(join(here, dir)).sort()) {
      if (f.endsWith(ext)) out.push({ name: f.slice(0, -ext.length), source: join(dir, f) });
    }
  }
  return [...out, ...FOLDER_PROGRAMS];
}

/** The files a source stands for: itself, or a folder's files (build outputs left out). */
function sourceFiles(source) {
  if (!statSync(join(here, source)).isDirectory()) return [source];
  return readdirSync(join(here, source)).sort()
    .filter((f) => statSync(join(here, source, f)).isFile())
    .map((f) => join(source, f));
}

function inputHash(source) {
  const h = createHash("sha256");
  for (const f of [...sourceFiles(source), ...commonFiles()]) {
    h.update(f + "\0");
    h.update(readFileSync(join(here, f)));
    h.update("\0");
  }
  return h.digest("hex");
}

export function elfPath(name) {
  return join(here, "bin", `${name}.elf`);
}

/** Problems with the committed ELFs, as human-readable strings (empty when all is current). */
export function checkManifest() {
  const problems = [];
  const path = join(here, "manifest.json");
  if (!existsSync(path)) return ["guests/manifest.json is missing: run `npm run guests`"];
  const manifest = JSON.parse(readFileSync(path, "utf8"));
  for (const { name, source } of guestSources()) {
    const entry = manifest.elfs[name];
    if (!entry) { problems.push(`${name}: not in guests/manifest.json (run \`npm run guests\`)`); continue; }
    if (!existsSync(elfPath(name))) { problems.push(`${name}: guests/bin/${name}.elf is missing`); continue; }
    if (entry.sources !== inputHash(source)) problems.push(`${name}: sources changed since guests/bin/${name}.elf was built (run \`npm run guests\`)`);
    if (entry.elf !== sha256(readFileSync(elfPath(name)))) problems.push(`${name}: guests/bin/${name}.elf differs from the one recorded in the manifest`);
  }
  for (const f of readdirSync(join(here, "bin"))) {
    if (f.endsWith(".elf") && !guestSources().some((g) => `${g.name}.elf` === f)) problems.push(`guests/bin/${f} has no source`);
  }
  for (const name of Object.keys(manifest.elfs)) {
    if (!guestSources().some((g) => g.name === name)) problems.push(`${name}: in the manifest but has no source`);
  }
  return problems;
}

if (process.argv[2] === "write") {
  const elfs = {};
  for (const { name, source } of guestSources()) {
    elfs[name] = { source, sources: inputHash(source), elf: sha256(readFileSync(elfPath(name))) };
  }
  writeFileSync(join(here, "manifest.json"), JSON.stringify({ elfs }, null, 2) + "\n");
  console.log(`  manifest.json (${Object.keys(elfs).length} programs)`);
}
