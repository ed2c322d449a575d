// A partition's semihosting files on Node: one host directory, and nothing outside it.
//
// A name is relative to the directory, with "/" between components: an absolute name, a ".."
// component or a NUL is refused (EACCES) before the host is asked anything. A name may pass
// through symlinks inside the directory, but where it really leads (realpath) must stay inside
// it; for a file that does not exist yet, its parent's real path must, and the name itself must
// not be a symlink (a dangling link would create its target elsewhere). The final open uses
// O_NOFOLLOW on the resolved path. Files are opened synchronously (a call is answered before the
// guest's EBREAK completes) and are closed by the partition (Semihosting.closeAll) when it ends.

import * as fs from "node:fs";
import * as path from "node:path";
import { Errno, SemihostError, type OpenMode, type SemihostFile, type SemihostFiles } from "../devices/semihosting.js";

/** Open the directory DIR for semihosting; throws (with what is wrong) if it is not one. */
export function semihostDirectory(dir: string): SemihostFiles {
  let root: string;
  try {
    root = fs.realpathSync(dir);
  } catch (err) {
    throw new Error(`semihosting directory ${dir}: ${(err as { code?: string }).code === "ENOENT" ? "no such directory" : (err as Error).message}`);
  }
  if (!fs.statSync(root).isDirectory()) throw new Error(`semihosting directory ${dir} is not a directory`);
  return new DirectoryFiles(root);
}

class DirectoryFiles implements SemihostFiles {
  constructor(private readonly root: string) {}

  private inside(real: string): boolean {
    return real === this.root || real.startsWith(this.root + path.sep);
  }

  /** Names are relative, without "..": anything else is refused before the host is asked. */
  private check(name: string): void {
    if (name.length === 0) throw new SemihostError(Errno.ENOENT);
    if (name.includes("\0") || path.isAbsolute(name) || name.split("/").includes("..")) {
      throw new SemihostError(Errno.EACCES, `${name}: outside the semihosting directory`);
    }
  }

  /** The host path `name` really names, inside the directory; throws SemihostError. */
  private resolve(name: string, mayCreate: boolean): string {
    this.check(name);
    const full = path.join(this.root, name);
    let real: string;
    try {
      real = fs.realpathSync(full);
    } catch (err) {
      if ((err as { code?: string }).code !== "ENOENT" || !mayCreate) throw err;
      // Not there (or a dangling symlink): its parent must be inside, and it must not be a link.
      let link = false;
      try {
        link = fs.lstatSync(full).isSymbolicLink();
      } catch {
        // nothing there at all
      }
      if (link) throw new SemihostError(Errno.EACCES, `${name}: a symlink leading nowhere`);
      real = path.join(fs.realpathSync(path.dirname(full)), path.basename(full));
    }
    if (!this.inside(real)) throw new SemihostError(Errno.EACCES, `${name}: leads outside the semihosting directory`);
    return real;
  }

  open(name: string, mode: OpenMode): SemihostFile {
    const c = fs.constants;
    const real = this.resolve(name, mode.create);
    let flags = mode.read && mode.write ? c.O_RDWR : mode.write ? c.O_WRONLY : c.O_RDONLY;
    if (mode.create) flags |= c.O_CREAT;
    if (mode.truncate) flags |= c.O_TRUNC;
    if (mode.append) flags |= c.O_APPEND;
    flags |= c.O_NOFOLLOW;
    const fd = fs.openSync(real, flags, 0o644);
    let closed = false;
    return {
      read: (into, position) => fs.readSync(fd, into, 0, into.length, position),
      write: (data, position) => fs.writeSync(fd, data, 0, data.length, position),
      size: () => fs.fstatSync(fd).size,
      close: () => {
        if (closed) return;
        closed = true;
        fs.closeSync(fd);
      },
    };
  }

  /** The directory entry `name` itself (a final symlink not followed, as remove(3) and
   *  rename(2) treat it): its parent's real path must be inside the directory. */
  private entry(name: string): string {
    this.check(name);
    const full = path.join(this.root, name);
    const parent = fs.realpathSync(path.dirname(full));
    const entry = path.join(parent, path.basename(full));
    if (!this.inside(parent) || entry === this.root || !this.inside(entry)) {
      throw new SemihostError(Errno.EACCES, `${name}: outside the semihosting directory`);
    }
    return entry;
  }

  remove(name: string): void {
    const entry = this.entry(name);
    // remove(3): a file (or a symlink), or an empty directory.
    if (fs.lstatSync(entry).isDirectory()) fs.rmdirSync(entry);
    else fs.unlinkSync(entry);
  }

  rename(from: string, to: string): void {
    fs.renameSync(this.entry(from), this.entry(to));
  }
}
