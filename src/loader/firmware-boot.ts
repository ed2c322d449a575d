// Booting "the QEMU way": an M-mode firmware plus a kernel, an initial RAM disk and a command line
// (`qemu-system-riscv32 -M virt -bios FW -kernel K -initrd I -append A`), placed where QEMU 7.2's
// riscv32 `virt` board places them (hw/riscv/boot.c), so an unmodified SBI firmware (OpenSBI's
// FW_DYNAMIC, or wasmvisor's own guests/firmware) boots an unmodified kernel. Measured on QEMU
// 7.2 with guests/firmware/probe.c (test/firmware.test.ts compares the two):
//
//   firmware   at the start of RAM (0x8000_0000): an ELF at its own addresses, else raw bytes
//   kernel     an ELF at its own addresses (entry: the ELF's), else raw bytes (a Linux Image
//              too: QEMU does not read its header) at the firmware's end rounded up to 4 MiB
//   initrd     at the kernel's entry + min(RAM / 2, 128 MiB)  (not RAM base + …: QEMU adds it to
//              the kernel's address)
//   DTB        at (min(RAM end, 3 GiB) − 1 MiB) rounded down to 2 MiB: QEMU takes the size of its
//              unpacked 1 MiB tree; the room above it lets a firmware grow the tree in place
//   boot ROM   QEMU's mask ROM at 0x1000: its reset vector (10 words: code, then the kernel entry
//              and the DTB address as 64-bit values) and OpenSBI's struct fw_dynamic_info at
//              0x1028: magic "OSBI", version 2, next_addr = the kernel's entry, next_mode = 1 (S),
//              options 0, boot_hart 0
//   hart       M-mode at the firmware's entry, a0 = hart id 0, a1 = the DTB, a2 = 0x1028, as
//              QEMU's reset vector leaves it (wasmvisor starts the hart there directly: the ROM is
//              data, not code, so the six instructions of QEMU's vector are not counted)
//
// Everything must lie in RAM without overlapping; what does not gives an error naming both.

import { parseElf, ElfError, PF_R, PF_W, PF_X, type ElfImage } from "./elf.js";
import { isLinuxImage, parseLinuxImage } from "./linux.js";

/** QEMU virt's mask ROM, where its reset vector and the fw_dynamic_info live. */
export const BOOT_ROM_BASE = 0x1000;
export const BOOT_ROM_SIZE = 0xf000;
/** Where fw_dynamic_info starts: after the reset vector's 10 words. */
export const FW_DYNAMIC_INFO = BOOT_ROM_BASE + 40;
/** OpenSBI's fw_dynamic_info (include/sbi/fw_dynamic.h): "OSBI", version 2, next mode S. */
export const FW_DYNAMIC_MAGIC = 0x4942534f;
export const FW_DYNAMIC_VERSION = 2;
export const FW_DYNAMIC_NEXT_MODE_S = 1;
/** The kernel goes at the firmware's end rounded up to this (rv32; rv64 would use 2 MiB). */
export const KERNEL_ALIGN = 4 * 1024 * 1024;
/** The device-tree size QEMU places by (its tree before packing), and the alignment. */
export const FDT_ROOM = 1024 * 1024;
export const FDT_ALIGN = 2 * 1024 * 1024;
/** The initrd goes this far past the kernel at most (QEMU: min(RAM / 2, 128 MiB)). */
export const INITRD_MAX_OFFSET = 128 * 1024 * 1024;

const MIB = 1024 * 1024;
const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;
const isElf = (b: Uint8Array) => b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;

/** The firmware (QEMU's -bios): an ELF, or a raw binary loaded at `ramBase` and entered there. */
export function parseFirmware(bytes: Uint8Array, file: string, ramBase: number): ElfImage {
  if (isElf(bytes)) return parseElf(bytes, file);
  if (bytes.length === 0) throw new ElfError(file, "empty file: a firmware is an ELF executable or a raw binary loaded at 0x80000000");
  return { entry: ramBase, segments: [{ paddr: ramBase, vaddr: ramBase, data: bytes, memsz: bytes.length, flags: PF_R | PF_W | PF_X }], symbols: new Map() };
}

/** End (exclusive) of an image's highest segment, as QEMU's ELF loader reports it (memsz). */
export function imageEnd(image: ElfImage, ramBase: number): number {
  return Math.max(ramBase, ...image.segments.map((s) => s.paddr + s.memsz));
}

/**
 * The kernel (QEMU's -kernel): an ELF at its own addresses; anything else as raw bytes at
 * `base`, entered there. A Linux Image is raw to QEMU too; its header's image_size (bss
 * included) is what it occupies, so that overlaps with the initrd and the DTB are caught.
 */
export function parseKernel(bytes: Uint8Array, file: string, base: number): ElfImage {
  if (isElf(bytes)) return parseElf(bytes, file);
  if (bytes.length === 0) throw new ElfError(file, "empty file: a kernel is an ELF executable, a Linux Image or a raw binary");
  const memsz = isLinuxImage(bytes) ? Math.max(parseLinuxImage(bytes, file).imageSize, bytes.length) : bytes.length;
  return { entry: base, segments: [{ paddr: base, vaddr: base, data: bytes, memsz, flags: PF_R | PF_W | PF_X }], symbols: new Map() };
}

/** Where a firmware boot puts its pieces (guest-physical addresses). */
export interface FirmwarePlacement {
  /** The kernel, loaded (null: no kernel; the firmware gets next_addr 0). */
  kernel: ElfImage | null;
  /** The kernel's entry (fw_dynamic_info.next_addr). */
  kernelEntry: number;
  /** Where the initrd starts (meaningful when there is one). */
  initrdStart: number;
  /** The device tree's address (a1), and the tree. */
  dtb: number;
  dtbBytes: Uint8Array;
}

/**
 * Place a firmware boot as QEMU does, checking that every piece lies in RAM and that none
 * overlaps another. Files are named in messages by the names given. Returns the placement, or
 * a message naming what does not fit and what it collides with.
 */
export function placeFirmwareBoot(o: {
  firmware: ElfImage;
  firmwareName: string;
  kernel?: { bytes: Uint8Array; name: string };
  initrd?: { bytes: number; name: string };
  ramBase: number;
  ramBytes: number;
  /** The device tree, given where the initrd is (it is placed as QEMU places its 1 MiB tree). */
  deviceTree: (initrd?: { start: number; end: number }) => Uint8Array;
}): FirmwarePlacement | string {
  const ramEnd = o.ramBase + o.ramBytes;
  const pieces: Array<{ what: string; start: number; end: number }> = [];
  const inRam = (what: string, start: number, end: number): string | null => {
    if (start < o.ramBase || end > ramEnd) {
      return `${what} (${hex(start)}-${hex(end - 1)}) does not fit in RAM (${hex(o.ramBase)}-${hex(ramEnd - 1)}, ${o.ramBytes / MIB} MiB): give the partition more RAM`;
    }
    const clash = pieces.find((p) => start < p.end && p.start < end);
    if (clash) return `${what} (${hex(start)}-${hex(end - 1)}) overlaps ${clash.what} (${hex(clash.start)}-${hex(clash.end - 1)})`;
    pieces.push({ what, start, end });
    return null;
  };
  for (const [i, s] of o.firmware.segments.entries()) {
    if (s.memsz === 0) continue;
    const problem = inRam(`firmware ${o.firmwareName}${o.firmware.segments.length > 1 ? ` segment ${i}` : ""}`, s.paddr, s.paddr + s.memsz);
    if (problem) return problem;
  }
  const fwEnd = imageEnd(o.firmware, o.ramBase);
  const kernelBase = Math.ceil(fwEnd / KERNEL_ALIGN) * KERNEL_ALIGN;
  let kernel: ElfImage | null = null;
  if (o.kernel) {
    try {
      kernel = parseKernel(o.kernel.bytes, o.kernel.name, kernelBase);
    } catch (err) {
      if (err instanceof ElfError) return `kernel ${err.message}`;
      throw err;
    }
    for (const [i, s] of kernel.segments.entries()) {
      if (s.memsz === 0) continue;
      const problem = inRam(`kernel ${o.kernel.name}${kernel.segments.length > 1 ? ` segment ${i}` : ""}`, s.paddr, s.paddr + s.memsz);
      if (problem) return problem;
    }
  }
  const kernelEntry = kernel ? kernel.entry >>> 0 : 0;
  // QEMU: kernel entry + min(RAM / 2, 128 MiB).
  const initrdStart = kernelEntry + Math.min(Math.floor(o.ramBytes / 2), INITRD_MAX_OFFSET);
  if (o.initrd) {
    if (!kernel) return `initrd ${o.initrd.name}: an initial RAM disk needs a kernel (QEMU's -initrd needs -kernel)`;
    const problem = inRam(`initrd ${o.initrd.name}`, initrdStart, initrdStart + o.initrd.bytes);
    if (problem) return problem;
  }
  const dtbBytes = o.deviceTree(o.initrd ? { start: initrdStart, end: initrdStart + o.initrd.bytes } : undefined);
  const top = Math.min(ramEnd, 3072 * MIB);
  const dtb = Math.floor((top - Math.max(FDT_ROOM, dtbBytes.length)) / FDT_ALIGN) * FDT_ALIGN;
  const problem = inRam("the device tree", dtb, dtb + dtbBytes.length);
  if (problem) return problem;
  return { kernel, kernelEntry, initrdStart, dtb, dtbBytes };
}

/**
 * The boot ROM's contents as QEMU 7.2 writes them for a 32-bit hart: the reset vector (auipc
 * t0; addi a2, t0, 40; csrr a0, mhartid; lw a1, 32(t0); lw t0, 24(t0); jr t0; the firmware's
 * entry and the DTB address as 64-bit values), then fw_dynamic_info (six 32-bit words).
 */
export function bootRomImage(firmwareEntry: number, dtb: number, kernelEntry: number): Uint8Array {
  const words = [
    0x00000297, 0x02828613, 0xf1402573, 0x0202a583, 0x0182a283, 0x00028067,
    firmwareEntry, 0, dtb, 0,
    FW_DYNAMIC_MAGIC, FW_DYNAMIC_VERSION, kernelEntry, FW_DYNAMIC_NEXT_MODE_S, 0, 0,
  ];
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w >>> 0, true));
  return out;
}
