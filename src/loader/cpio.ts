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
  if (path.length > 255) return "is longer than 255 characters";
  if (/[\0\n]/.test(path)) return "contains a NUL or a newline";
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
  for (const f of files) {
    const problem = guestPathProblem(f.path);
    if (problem) throw new RangeError(`guest path "${f.path}" ${problem}`);
    total += f.data.length;
    if (total > MAX_GUEST_FILE_BYTES) throw new RangeError(`the files to add hold more than ${MAX_GUEST_FILE_BYTES} bytes (at ${f.path})`);
    const parts = f.path.split("/").slice(1);
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
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

/** `initrd` with an archive of `files` after it (the initrd padded to 4 bytes first: the kernel
 *  looks for the next archive's magic at a 4-byte boundary, skipping zeros). */
export function initrdWithFiles(initrd: Uint8Array, files: readonly GuestFile[]): Uint8Array {
  const archive = newcArchive(files);
  const start = Math.ceil(initrd.length / 4) * 4;
  const out = new Uint8Array(start + archive.length);
  out.set(initrd);
  out.set(archive, start);
  return out;
}
