// Node adapter: read a system description from disk, check its images, initial RAM disks and
// disks, and give the hypervisor a loader for them (paths are relative to the description file).

import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { validateSystem, ConfigError, type SystemConfig, type PartitionFiles, type FileProblem, type DiskConfig } from "../config/system.js";
import { ElfError, type ElfImage } from "../loader/elf.js";
import { parseBootImage, isLinuxImage } from "../loader/linux.js";
import { RAM_BASE, DEVICE_TREE_BYTES, bootPlacement } from "../vmm/board.js";
import type { BlockStorage } from "../devices/virtio-blk.js";
import { FileDisk } from "./disk-file.js";
import { RapilogDisk } from "./rapilog-disk.js";

/** A disk of the description as a host file: writethrough (FileDisk) or RapiLog. */
export function openDiskFile(disk: DiskConfig): FileDisk | RapilogDisk {
  return disk.mode === "rapilog" ? new RapilogDisk(disk.file, disk.bufferBytes) : new FileDisk(disk.file, disk.readOnly);
}

export interface SystemFile {
  config: SystemConfig;
  /** Bytes of an image or initrd named in the description. */
  loadImage: (image: string) => Uint8Array;
  /** Open a disk named in the description (a host file, writethrough or RapiLog). */
  openDisk: (disk: DiskConfig) => BlockStorage;
  file: string;
}

/** Line and column of character offset `at` in `text`. */
function position(text: string, at: number): string {
  const before = text.slice(0, at);
  const line = before.split("\n").length;
  return `line ${line}, column ${at - before.lastIndexOf("\n")}`;
}

/** Read, parse and validate a system description; throws ConfigError listing every problem. */
export function loadSystemFile(file: string): SystemFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(file, [{ path: "", message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? err})` }]);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const m = /position (\d+)/.exec(String((err as Error).message));
    const where = m ? ` at ${position(text, Number(m[1]))}` : "";
    throw new ConfigError(file, [{ path: "", message: `not valid JSON${where}: ${(err as Error).message}` }]);
  }
  const dir = dirname(file);
  const imagePath = (image: string) => resolve(dir, image);
  const config = validateSystem(doc, file, (p) => partitionFileProblems(p, imagePath));
  return {
    config,
    loadImage: (image) => readFileSync(imagePath(image)),
    openDisk: (disk) => openDiskFile({ ...disk, file: imagePath(disk.file) }),
    file,
  };
}

/** What is wrong with a partition's image, initrd and disk (empty when nothing is). */
function partitionFileProblems(p: PartitionFiles, path: (f: string) => string): FileProblem[] {
  const problems: FileProblem[] = [];
  const read = (field: FileProblem["field"], name: string): Uint8Array | null => {
    const full = path(name);
    try {
      if (!statSync(full).isFile()) {
        problems.push({ field, message: `${name} is not a file` });
        return null;
      }
      return readFileSync(full);
    } catch {
      problems.push({ field, message: `${name} does not exist (looked for ${full})` });
      return null;
    }
  };
  const bytes = read("image", p.image);
  let image: ElfImage | null = null;
  if (bytes) {
    try {
      image = parseBootImage(bytes, p.image, RAM_BASE);
    } catch (err) {
      if (!(err instanceof ElfError)) throw err;
      problems.push({ field: "image", message: err.message });
    }
  }
  if (image) {
    if (isLinuxImage(bytes!) && p.mode !== "supervisor") {
      problems.push({ field: "image", message: `${p.image} is a Linux kernel: it boots in a supervisor-mode partition (set "mode": "supervisor")` });
    }
    for (const [i, s] of image.segments.entries()) {
      if (s.paddr < RAM_BASE || s.paddr + s.memsz > RAM_BASE + p.ramBytes) {
        problems.push({ field: "image", message: `${p.image}: segment ${i} (0x${s.paddr.toString(16)}, ${s.memsz} bytes) does not fit in the partition's RAM (0x80000000, ${p.ramBytes} bytes): give it more "ram"` });
      } else if (p.mode === "supervisor" && s.paddr + s.memsz > RAM_BASE + p.ramBytes - DEVICE_TREE_BYTES) {
        problems.push({ field: "image", message: `${p.image}: segment ${i} (0x${s.paddr.toString(16)}, ${s.memsz} bytes) reaches into the last ${DEVICE_TREE_BYTES / 1024} KiB of RAM, where a supervisor-mode partition's device tree goes: give it more "ram"` });
      }
    }
  }
  if (p.initrd !== undefined) {
    const initrd = read("initrd", p.initrd);
    if (initrd && image && problems.length === 0) {
      const placed = bootPlacement(image, p.ramBytes, initrd.length);
      if (typeof placed === "string") problems.push({ field: "initrd", message: `${p.initrd}: ${placed}` });
    }
  }
  if (p.disk) {
    try {
      openDiskFile({ ...p.disk, file: path(p.disk.file) }).close();
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      problems.push({ field: "disk", message: err.message });
    }
  }
  return problems;
}
