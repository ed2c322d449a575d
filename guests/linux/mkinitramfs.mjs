#!/usr/bin/env node
// Writes the initial RAM disk of the Linux partition: a cpio archive in the "newc" format
// (Documentation/driver-api/early-userspace/buffer-format.rst), uncompressed, with the userland
// built by userland/build.sh.
//
//   node mkinitramfs.mjs USERLAND_DIR OUT.cpio
//
// Layout: /init, /bin/<tools>, the empty directories init and the shell expect (/dev, /proc,
// /sys, /mnt, /tmp, /root), and /dev/console (character device 5:1), which the kernel opens as
// init's stdin/stdout/stderr before devtmpfs exists. Every entry is owned by root with mtime 0, in
// sorted order, so the archive is reproducible.

import { readFileSync, readdirSync, writeFileSync, statSync } from "node:fs";
import { join } from "node:path";

const [, , userland, out] = process.argv;
if (!userland || !out) {
  console.error("usage: node mkinitramfs.mjs USERLAND_DIR OUT.cpio");
  process.exit(2);
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;

const entries = [];
const dir = (name) => entries.push({ name, mode: S_IFDIR | 0o755, data: new Uint8Array(0) });
const file = (name, data, mode = 0o755) => entries.push({ name, mode: S_IFREG | mode, data });
const chr = (name, major, minor, mode = 0o600) => entries.push({ name, mode: S_IFCHR | mode, data: new Uint8Array(0), rdev: [major, minor] });

for (const d of ["bin", "dev", "mnt", "proc", "root", "sys", "tmp"]) dir(d);
chr("dev/console", 5, 1);
file("init", readFileSync(join(userland, "init")));
for (const name of readdirSync(join(userland, "bin")).sort()) {
  const path = join(userland, "bin", name);
  if (statSync(path).isFile()) file(`bin/${name}`, readFileSync(path));
}
file("etc/motd", new TextEncoder().encode("wasmvisor: Linux in a partition\n"), 0o644);
dir("etc");
entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

const chunks = [];
let size = 0;
const push = (bytes) => {
  chunks.push(bytes);
  size += bytes.length;
};
const pad4 = () => {
  if (size % 4) push(new Uint8Array(4 - (size % 4)));
};
const hex8 = (v) => v.toString(16).padStart(8, "0");
let ino = 1;
function record(name, mode, data, rdev = [0, 0]) {
  const nameBytes = new TextEncoder().encode(`${name}\0`);
  const header = "070701" + [
    ino++, mode, 0, 0, (mode & S_IFDIR) === S_IFDIR ? 2 : 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0,
  ].map(hex8).join("");
  push(new TextEncoder().encode(header));
  push(nameBytes);
  pad4();
  push(data);
  pad4();
}
for (const e of entries) record(e.name, e.mode, e.data, e.rdev);
record("TRAILER!!!", 0, new Uint8Array(0));
// The kernel reads the archive in 512-byte blocks' worth; pad to a multiple of 512.
if (size % 512) push(new Uint8Array(512 - (size % 512)));

const all = new Uint8Array(size);
let at = 0;
for (const c of chunks) {
  all.set(c, at);
  at += c.length;
}
writeFileSync(out, all);
console.log(`  ${out} (${entries.length} entries, ${size} bytes)`);
