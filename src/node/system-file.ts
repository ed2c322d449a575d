// Node adapter: read a system description from disk, check its images, and give the
// hypervisor a loader for them (paths are relative to the description file).

import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { validateSystem, ConfigError, type SystemConfig } from "../config/system.js";
import { parseElf, ElfError } from "../loader/elf.js";
import { RAM_BASE, DEVICE_TREE_BYTES } from "../vmm/board.js";

export interface SystemFile {
  config: SystemConfig;
  loadImage: (image: string) => Uint8Array;
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
  const config = validateSystem(doc, file, (image, ramBytes, mode) => {
    const path = imagePath(image);
    try {
      if (!statSync(path).isFile()) return `${image} is not a file`;
    } catch {
      return `${image} does not exist (looked for ${path})`;
    }
    try {
      const elf = parseElf(readFileSync(path), image);
      for (const [i, s] of elf.segments.entries()) {
        if (s.paddr < RAM_BASE || s.paddr + s.memsz > RAM_BASE + ramBytes) {
          return `${image}: segment ${i} (0x${s.paddr.toString(16)}, ${s.memsz} bytes) does not fit in the partition's RAM (0x80000000, ${ramBytes} bytes): give it more "ram"`;
        }
        if (mode === "supervisor" && s.paddr + s.memsz > RAM_BASE + ramBytes - DEVICE_TREE_BYTES) {
          return `${image}: segment ${i} (0x${s.paddr.toString(16)}, ${s.memsz} bytes) reaches into the last ${DEVICE_TREE_BYTES / 1024} KiB of RAM, where a supervisor-mode partition's device tree goes: give it more "ram"`;
        }
      }
    } catch (err) {
      if (err instanceof ElfError) return err.message;
      throw err;
    }
    return null;
  });
  return { config, loadImage: (image) => readFileSync(imagePath(image)), file };
}
