// Node adapter: opening the host files a user names — boot images, initial RAM disks, disk
// images, console input, system descriptions. Only regular files qualify: a directory, a FIFO,
// a socket or a device is refused with what it is (a FIFO is opened non-blocking, so that
// naming one cannot hang wasmvisor before the check). Errors say what is wrong in words, with
// the errno code for searching, and what the limit is when a file is too large.

import { openSync, closeSync, fstatSync, readSync, constants, type Stats } from "node:fs";

/** The most bytes read into memory from one file: what Node reads into one buffer. */
export const MAX_READ_BYTES = 2 ** 31 - 1;

/** A host file that cannot be used; `reason` completes "cannot read PATH: …". */
export class HostFileError extends RangeError {
  constructor(readonly path: string, readonly code: string | null, readonly reason: string) {
    super(`${path}: ${reason}`);
    this.name = "HostFileError";
  }
}

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: "it does not exist",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "it is a directory, not a regular file",
  ENOTDIR: "a part of the path is not a directory",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "the name is too long",
  EROFS: "it is on a read-only file system",
  ETXTBSY: "it is busy (a running program)",
  EBUSY: "it is busy",
  EMFILE: "too many open files",
  ENFILE: "too many open files in the system",
  EIO: "an input/output error",
  ENXIO: "no such device",
  ENODEV: "no such device",
  EFBIG: "it is too large",
  EOVERFLOW: "it is too large",
  ENOMEM: "out of memory",
};

/** "ENOENT (it does not exist)" for an error of node:fs. */
export function describeFsError(err: unknown): { code: string | null; text: string } {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== "string") return { code: null, text: String((err as Error | null)?.message ?? err) };
  const words = ERRNO_WORDS[code];
  return { code, text: words ? `${code} (${words})` : code };
}

/** What a file that is not a regular file is, in words. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  return "not a regular file";
}

/**
 * Open `path` ("r", or "r+" for reading and writing) if it is a regular file: its descriptor
 * and size. Throws HostFileError otherwise. The caller closes the descriptor.
 */
export function openRegularFile(path: string, mode: "r" | "r+" = "r"): { fd: number; size: number } {
  // O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer. It changes nothing for
  // a regular file. O_NOCTTY: a terminal named here must not become our controlling terminal.
  if (path.includes("\0")) throw new HostFileError(path, null, "the name contains a NUL character, which no file name can");
  const flags = (mode === "r" ? constants.O_RDONLY : constants.O_RDWR) | constants.O_NONBLOCK | constants.O_NOCTTY;
  let fd: number;
  try {
    fd = openSync(path, flags);
  } catch (err) {
    const { code, text } = describeFsError(err);
    throw new HostFileError(path, code, text);
  }
  let st: Stats;
  try {
    st = fstatSync(fd);
  } catch (err) {
    closeSync(fd);
    const { code, text } = describeFsError(err);
    throw new HostFileError(path, code, text);
  }
  if (!st.isFile()) {
    closeSync(fd);
    throw new HostFileError(path, null, `it is ${kindOf(st)}, not a regular file`);
  }
  return { fd, size: st.size };
}

/** "3221225472 bytes (3 GiB)" */
export function formatBytes(n: number): string {
  const units: Array<[number, string]> = [[2 ** 30, "GiB"], [2 ** 20, "MiB"], [2 ** 10, "KiB"]];
  for (const [size, unit] of units) if (n >= size) return `${n} bytes (${+(n / size).toFixed(1)} ${unit})`;
  return `${n} bytes`;
}

/**
 * Read a regular file completely. A file larger than `maxBytes` is refused before anything is
 * read, with `limit` saying why (default: what wasmvisor can read at all). Throws HostFileError.
 */
export function readRegularFile(path: string, maxBytes = MAX_READ_BYTES, limit = `at most ${formatBytes(MAX_READ_BYTES)} can be read`): Uint8Array {
  const { fd, size } = openRegularFile(path, "r");
  try {
    if (size > maxBytes) throw new HostFileError(path, null, `it is ${formatBytes(size)}, too large: ${limit}`);
    const bytes = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      let n: number;
      try {
        n = readSync(fd, bytes, done, size - done, done);
      } catch (err) {
        const { code, text } = describeFsError(err);
        throw new HostFileError(path, code, `reading failed: ${text}`);
      }
      if (n === 0) break; // it shrank meanwhile
      done += n;
    }
    return done === size ? bytes : bytes.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}
