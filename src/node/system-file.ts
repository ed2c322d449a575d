// Node adapter: read a system description from disk, check its images, initial RAM disks and
// disks, and give the hypervisor a loader for them (paths are relative to the description file).

import { closeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { validateSystem, ConfigError, type SystemConfig, type PartitionFiles, type FileProblem, type DiskConfig } from "../config/system.js";
import { ElfError, type ElfImage } from "../loader/elf.js";
import { parseBootImage, isLinuxImage } from "../loader/linux.js";
import { parseFirmware, placeFirmwareBoot } from "../loader/firmware-boot.js";
import { RAM_BASE, DEVICE_TREE_BYTES, bootPlacement } from "../vmm/board.js";
import type { BlockStorage } from "../devices/virtio-blk.js";
import { FileDisk, openDiskImage } from "./disk-file.js";
import { readRegularFile, openRegularFile, HostFileError, formatBytes } from "./host-file.js";
import { RapilogDisk } from "./rapilog-disk.js";
import { semihostDirectory } from "./semihost-dir.js";
import type { SemihostFiles } from "../devices/semihosting.js";

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
  /** Open a partition's semihosting directory (its files confined to it). */
  openSemihostDir: (dir: string) => SemihostFiles;
  file: string;
}

/** The largest system description read (a description is a few KiB). */
export const MAX_DESCRIPTION_BYTES = 16 * 1024 * 1024;

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
    text = new TextDecoder().decode(readRegularFile(file, MAX_DESCRIPTION_BYTES, `a system description is at most ${formatBytes(MAX_DESCRIPTION_BYTES)}`));
  } catch (err) {
    if (!(err instanceof HostFileError)) throw err;
    throw new ConfigError(file, [{ path: "", message: `cannot read the file: ${err.reason}` }]);
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
  // (resolve() drops a trailing slash, which says "a directory": the file system must see it.)
  const imagePath = (image: string) => resolve(dir, image) + (image.endsWith("/") ? "/" : "");
  const config = validateSystem(doc, file, (p) => partitionFileProblems(p, imagePath));
  return {
    config,
    loadImage: (image) => readRegularFile(imagePath(image)),
    openDisk: (disk) => openDiskFile({ ...disk, file: imagePath(disk.file) }),
    openSemihostDir: (d) => semihostDirectory(imagePath(d)),
    file,
  };
}

/** What is wrong with a partition's image, initrd and disk (empty when nothing is). */
function partitionFileProblems(p: PartitionFiles, path: (f: string) => string): FileProblem[] {
  const problems: FileProblem[] = [];
  const problem = (field: FileProblem["field"], name: string, full: string, err: HostFileError) => problems.push({
    field,
    message: err.code === "ENOENT" ? `${name} does not exist (looked for ${full})` : `cannot read ${name}${full !== name ? ` (${full})` : ""}: ${err.reason}`,
  });
  const read = (field: FileProblem["field"], name: string): Uint8Array | null => {
    const full = path(name);
    try {
      return readRegularFile(full);
    } catch (err) {
      if (!(err instanceof HostFileError)) throw err;
      problem(field, name, full, err);
      return null;
    }
  };
  /** The size of a regular file (it is not read), or null. */
  const size = (field: FileProblem["field"], name: string): number | null => {
    const full = path(name);
    try {
      const { fd, size: bytes } = openRegularFile(full);
      closeSync(fd);
      return bytes;
    } catch (err) {
      if (!(err instanceof HostFileError)) throw err;
      problem(field, name, full, err);
      return null;
    }
  };
  // A firmware boot's files are placed as QEMU places them (firmwareBootProblems); the disk and
  // the semihosting directory are checked below as for any partition.
  if (p.firmware) problems.push(...firmwareBootProblems(p, read, size));
  const bytes = p.firmware ? null : read("image", p.image);
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
    // One message for the first segment that does not fit (an ELF may have 65535 of them).
    const misfits: string[] = [];
    for (const [i, s] of image.segments.entries()) {
      if (s.paddr < RAM_BASE || s.paddr + s.memsz > RAM_BASE + p.ramBytes) {
        misfits.push(`${p.image}: segment ${i} (0x${s.paddr.toString(16)}, ${s.memsz} bytes) does not fit in the partition's RAM (0x80000000, ${p.ramBytes} bytes): give it more "ram"`);
      } else if (p.mode === "supervisor" && s.paddr + s.memsz > RAM_BASE + p.ramBytes - DEVICE_TREE_BYTES) {
        misfits.push(`${p.image}: segment ${i} (0x${s.paddr.toString(16)}, ${s.memsz} bytes) reaches into the last ${DEVICE_TREE_BYTES / 1024} KiB of RAM, where a supervisor-mode partition's device tree goes: give it more "ram"`);
      }
    }
    if (misfits.length > 0) {
      problems.push({ field: "image", message: misfits.length === 1 ? misfits[0] : `${misfits[0]} (and ${misfits.length - 1} more segments)` });
    }
    // HTIF (src/devices/htif.ts) exchanges 64-bit words at tohost and fromhost, in RAM (as the
    // board checks when it loads the image).
    const tohost = image.symbols.get("tohost");
    for (const symbol of p.htif && tohost !== undefined ? ["tohost", "fromhost"] : []) {
      const at = image.symbols.get(symbol);
      if (at !== undefined && (at < RAM_BASE || at + 8 > RAM_BASE + p.ramBytes || at % 8 !== 0)) {
        problems.push({ field: "image", message: `${p.image}: its symbol ${symbol} (0x${at.toString(16)}) must be an 8-byte-aligned address in the partition's RAM (0x80000000, ${p.ramBytes} bytes), where HTIF exchanges 64-bit words ("htif": true)` });
      }
    }
  }
  if (p.initrd !== undefined && !p.firmware) {
    // Only its size matters here (where it goes, and whether it fits): it is read when the
    // partition starts.
    const initrdBytes = size("initrd", p.initrd);
    if (initrdBytes !== null && image && problems.length === 0) {
      const placed = bootPlacement(image, p.ramBytes, initrdBytes);
      if (typeof placed === "string") problems.push({ field: "initrd", message: `${p.initrd}: ${placed}` });
    } else if (initrdBytes !== null && initrdBytes > p.ramBytes) {
      problems.push({ field: "initrd", message: `${p.initrd}: it is ${formatBytes(initrdBytes)}, larger than the partition's RAM (${formatBytes(p.ramBytes)}): an initial RAM disk is loaded into it` });
    }
  }
  if (p.disk) {
    // Opened and closed again: whether it exists, is a regular file, can be written (unless
    // read-only) and has a usable size. (A RapiLog disk's writer thread is started by the run.)
    try {
      closeSync(openDiskImage(path(p.disk.file), p.disk.readOnly).fd);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      problems.push({ field: "disk", message: err.message });
    }
  }
  if (p.semihostingDir !== undefined) {
    try {
      semihostDirectory(path(p.semihostingDir));
    } catch (err) {
      problems.push({ field: "semihosting.dir", message: (err as Error).message });
    }
  }
  return problems;
}

/**
 * What is wrong with a firmware boot's files (a partition with "firmware"): the firmware, the
 * kernel and the initrd must be readable and fit in RAM where QEMU puts them, without overlapping
 * each other or the device tree (src/loader/firmware-boot.ts; the board checks again with the
 * real tree when it loads them).
 */
function firmwareBootProblems(
  p: PartitionFiles,
  read: (field: FileProblem["field"], name: string) => Uint8Array | null,
  size: (field: FileProblem["field"], name: string) => number | null,
): FileProblem[] {
  const problems: FileProblem[] = [];
  const bytes = read("firmware", p.image);
  let firmware: ElfImage | null = null;
  if (bytes) {
    try {
      firmware = parseFirmware(bytes, p.image, RAM_BASE);
    } catch (err) {
      if (!(err instanceof ElfError)) throw err;
      problems.push({ field: "firmware", message: err.message });
    }
  }
  const kernel = p.kernel === undefined ? undefined : read("kernel", p.kernel);
  const initrdBytes = p.initrd === undefined ? undefined : size("initrd", p.initrd);
  if (!firmware || kernel === null || initrdBytes === null || problems.length > 0) return problems;
  const placed = placeFirmwareBoot({
    firmware, firmwareName: p.image,
    kernel: kernel && p.kernel !== undefined ? { bytes: kernel, name: p.kernel } : undefined,
    initrd: initrdBytes !== undefined && p.initrd !== undefined ? { bytes: initrdBytes, name: p.initrd } : undefined,
    ramBase: RAM_BASE, ramBytes: p.ramBytes,
    deviceTree: () => new Uint8Array(TYPICAL_DEVICE_TREE),
  });
  if (typeof placed === "string") {
    // The field of the file the message names last among initrd, kernel, firmware (the tree's
    // place is QEMU's: a file that runs into it is the one to change).
    const field: FileProblem["field"] = /\binitrd /.test(placed) ? "initrd" : /\bkernel /.test(placed) ? "kernel" : "firmware";
    problems.push({ field, message: placed });
  }
  return problems;
}

/** A device tree's size for the checks before the tree is made (the board's are 2-4 KiB). */
const TYPICAL_DEVICE_TREE = 4096;
