// A virtio-blk disk backed by a host file (Node): the "writethrough" disk mode. Reads and writes
// go straight to the file at the requested offset (into the host's page cache); the guest's
// FLUSH becomes fdatasync, and completes only when the host has the data on its disk, so what
// the guest has flushed survives a crash of the host process or machine. Errors opening the
// file or with its size are reported before anything starts.

import { closeSync, readSync, writeSync, fdatasyncSync } from "node:fs";
import { openRegularFile, HostFileError } from "./host-file.js";
import { diskSizeProblem, type BlockStorage } from "../devices/virtio-blk.js";

/**
 * Open a disk image for a disk mode: its descriptor and size. Throws RangeError with the reason
 * (the file cannot be opened, or is not a regular file, or its size is not a whole number of
 * sectors, or is zero). Only regular files are disks: a directory, a FIFO or a device is
 * refused (a FIFO without waiting for a writer). Block devices are refused too: Node can
 * neither size one (fstat says 0 bytes) nor lock it against a mounted file system.
 */
export function openDiskImage(path: string, readOnly: boolean): { fd: number; size: number } {
  let opened: { fd: number; size: number };
  try {
    opened = openRegularFile(path, readOnly ? "r" : "r+");
  } catch (err) {
    if (!(err instanceof HostFileError)) throw err;
    const hint = !readOnly && (err.code === "EROFS" || err.code === "EACCES" || err.code === "EPERM")
      ? '; a disk the guest may not write to needs "readOnly": true'
      : err.code === null ? "; a disk is an image file (make one with truncate -s 64M FILE)" : "";
    throw new RangeError(`cannot open the disk image ${path}: ${err.reason}${hint}`);
  }
  const { fd, size } = opened;
  const problem = diskSizeProblem(size);
  if (problem) {
    closeSync(fd);
    throw new RangeError(`${path}: ${problem}`);
  }
  return { fd, size };
}

/** Read `into.length` bytes at `offset` (within the checked size; a short file leaves zeros). */
export function readFully(fd: number, into: Uint8Array, offset: number): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, offset + done);
    if (n === 0) break;
    done += n;
  }
}

export class FileDisk implements BlockStorage {
  private fd: number;
  readonly size: number;
  /** Whether a write since the last flush is not yet known to be on the host's disk. */
  private dirty = false;
  /** fdatasync calls made (the cost writethrough pays per commit). */
  hostSyncs = 0;

  /** Open `path` (read-write unless `readOnly`); throws RangeError with the reason. */
  constructor(readonly path: string, readonly readOnly = false) {
    ({ fd: this.fd, size: this.size } = openDiskImage(path, readOnly));
  }

  read(offset: number, into: Uint8Array): void {
    readFully(this.fd, into, offset);
  }

  write(offset: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, offset + done);
    this.dirty = true;
  }

  flush(): void {
    if (!this.dirty) return;
    fdatasyncSync(this.fd); // the data (the file's size never changes): what a commit needs
    this.hostSyncs++;
    this.dirty = false;
  }

  sync(): void {
    this.flush();
  }

  close(): void {
    if (this.fd >= 0 && !this.readOnly) this.flush();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
