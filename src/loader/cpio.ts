// Files put into a Linux guest at boot: a cpio archive in the "newc" format (the kernel's
// Documentation/driver-api/early-userspace/buffer-format.rst), appended to the partition's
// initrd. Linux unpacks every archive of a concatenated initrd in order, the later ones over the
// earlier ones, so the files land in the initial root filesystem over whatever the initrd had.
//
// (guests/linux/mkinitramfs.mjs writes the project's own initramfs with the same format; it runs
// before the library is built, so it keeps its own few lines.)

/** A file for the guest: its absolute path there, its contents, its mode bits (default 0644). */
export interface GuestFile {
  path: string;
  data: Uint8Array;
  mode?: number;
}

/** At most this many files, of at most this many bytes in all, per partition: the archive is
 *  held in memory and copied into the partition's RAM (which must hold it beside the kernel). */
export const MAX_GUEST_FILES = 1024;
export const MAX_GUEST_FILE_BYTES = 64 * 1024 * 1024;

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

/** Why `path` cannot be a guest file's path, or null. */
export function guestPathProblem(path: string): string | null {
  if (!path.startsWith("/")) return "is not absolute (it must start with /)";
  // (bytes, as the guest counts them: the UTF-8 the path is sent as)
  if (new TextEncoder().encode(path).length > 255) return "is longer than 255 bytes";
  if (/[\0\n]/.test(path)) return "contains a NUL or a newline";
  // A lone surrogate would be sent as U+FFFD: another path than the one asked for.
  if (/\p{Cs}/u.test(path)) return "is not well-formed Unicode (a lone surrogate)";
  const parts = path.split("/").slice(1);
  if (parts.some((p) => p === "" || p === "." || p === "..")) return "has an empty, . or .. component (or ends with /)";
  return null;
}

/**
 * The newc archive holding `files`, each preceded by its parent directories (mode 0755; Linux
 * gives an existing directory that mode too). Owned by root, mtime 0, so the same files give the
 * same bytes. Throws RangeError naming the file when a path or the sizes are not acceptable.
 */
export function newcArchive(files: readonly GuestFile[]): Uint8Array {
  if (files.length > MAX_GUEST_FILES) throw new RangeError(`${files.length} files to add: at most ${MAX_GUEST_FILES}`);
  let total = 0;
  const entries: Array<{ name: string; mode: number; data: Uint8Array }> = [];
  const dirs = new Set<string>();
  const names = new Set(files.map((f) => (typeof f?.path === "string" ? f.path.slice(1) : "")));
  const seen = new Set<string>();
  for (const f of files) {
    if (typeof f?.path !== "string") throw new RangeError(`a file to add has no path (a string): ${String(f?.path)}`);
    const problem = guestPathProblem(f.path);
    if (problem) throw new RangeError(`guest path "${f.path}" ${problem}`);
    if (!(f.data instanceof Uint8Array)) throw new RangeError(`guest file "${f.path}": its data must be a Uint8Array`);
    // (Linux would unpack both and keep one, or fail to make the directory: say so instead)
    if (seen.has(f.path)) throw new RangeError(`guest file "${f.path}" is added twice`);
    seen.add(f.path);
    total += f.data.length;
    if (total > MAX_GUEST_FILE_BYTES) throw new RangeError(`the files to add hold more than ${MAX_GUEST_FILE_BYTES} bytes (at ${f.path})`);
    const parts = f.path.split("/").slice(1);
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (names.has(dir)) throw new RangeError(`guest file "/${dir}" is added, and so is "${f.path}" inside it as if it were a directory`);
      if (!dirs.has(dir)) entries.push({ name: dir, mode: S_IFDIR | 0o755, data: new Uint8Array(0) });
      dirs.add(dir);
    }
    entries.push({ name: parts.join("/"), mode: S_IFREG | ((f.mode ?? 0o644) & 0o7777), data: f.data });
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const push = (bytes: Uint8Array) => {
    chunks.push(bytes);
    size += bytes.length;
  };
  const pad4 = () => { if (size % 4) push(new Uint8Array(4 - (size % 4))); };
  const hex8 = (v: number) => v.toString(16).padStart(8, "0");
  let ino = 1;
  const record = (name: string, mode: number, data: Uint8Array) => {
    const nameBytes = new TextEncoder().encode(`${name}\0`);
    // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
    push(new TextEncoder().encode("070701" + [ino++, mode, 0, 0, (mode & S_IFDIR) === S_IFDIR ? 2 : 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0].map(hex8).join("")));
    push(nameBytes);
    pad4();
    push(data);
    pad4();
  };
  for (const e of entries) record(e.name, e.mode, e.data);
  record("TRAILER!!!", 0, new Uint8Array(0));
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

/**
 * The names in a newc archive (without a leading "/") and whether each is a directory; null when
 * `initrd` does not start as one (a compressed initrd: nothing is checked). The walk ends at the
 * trailer, at the end of the bytes or at anything that is not a header; each step moves forward,
 * so the work is bounded by the initrd's size.
 */
export function newcNames(initrd: Uint8Array): Map<string, boolean> | null {
  const ascii = (at: number, n: number) => String.fromCharCode(...initrd.subarray(at, at + n));
  const names = new Map<string, boolean>();
  let at = 0;
  if (ascii(0, 6) !== "070701" && ascii(0, 6) !== "070702") return null;
  while (at + 110 <= initrd.length) {
    const magic = ascii(at, 6);
    if (magic !== "070701" && magic !== "070702") break;
    const field = (i: number) => parseInt(ascii(at + 6 + 8 * i, 8), 16);
    const mode = field(1), filesize = field(6), namesize = field(11);
    if (!(namesize > 0) || !(filesize >= 0)) break;
    const name = new TextDecoder().decode(initrd.subarray(at + 110, at + 110 + namesize - 1));
    if (name === "TRAILER!!!") break;
    names.set(name.replace(/^\.?\/+/, ""), (mode & 0o170000) === S_IFDIR);
    at = Math.ceil((Math.ceil((at + 110 + namesize) / 4) * 4 + filesize) / 4) * 4;
  }
  return names;
}

/**
 * `initrd` with an archive of `files` after it (the initrd padded to 4 bytes first: the kernel
 * looks for the next archive's magic at a 4-byte boundary, skipping zeros). An added file
 * replaces the initrd's file of the same path (on purpose: e.g. a configuration file of one's
 * own). Where the kinds clash — an added file where the initrd has a directory, or an added file
 * below what the initrd has as a file — Linux would fail silently (it neither removes a
 * directory with files nor makes a directory over a file), so this throws a RangeError naming
 * both. (Checked when the initrd is an uncompressed newc archive, as the project's is.)
 */
export function initrdWithFiles(initrd: Uint8Array, files: readonly GuestFile[]): Uint8Array {
  const archive = newcArchive(files);
  const base = newcNames(initrd);
  for (const f of base ? files : []) {
    const parts = f.path.split("/").slice(1);
    if (base!.get(parts.join("/")) === true) throw new RangeError(`guest file "${f.path}": the initrd has a directory there`);
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (base!.get(dir) === false) throw new RangeError(`guest file "${f.path}": the initrd has "/${dir}" as a file, not a directory`);
    }
  }
  const start = Math.ceil(initrd.length / 4) * 4;
  const out = new Uint8Array(start + archive.length);
  out.set(initrd);
  out.set(archive, start);
  return out;
}
