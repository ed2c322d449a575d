/* The eight virtio-mmio slots of the virt board (0x1000_1000 + n * 0x1000, n = 0..7) on a
   machine without virtio devices: every slot answers as an empty one, the way QEMU's board does.
   Each reads the magic value "virt", version 2 and device ID 0 ("no device", so drivers leave
   it alone), a vendor ID (wasmvisor's and QEMU's differ: the probe checks that it is nonzero
   and the same in every slot), and 0 in every other register of the 512-byte register block;
   writes change nothing. Narrow reads of the magic value give its low bytes.
   (Under QEMU 7.2, `-global virtio-mmio.force-legacy=false` makes the slots version 2; its
   default is the legacy version 1.) */
#include <stdio.h>
#include "platform.h"

#define VIRTIO_BASE 0x10001000u
#define SLOT(n)     (VIRTIO_BASE + 0x1000u * (n))
#define MAGIC       0x74726976u /* "virt" */

static int failures;

static void check(int ok, const char *what, int slot) {
  if (!ok) {
    printf("slot %d: %s: FAIL\n", slot, what);
    failures++;
  }
}

/* Every register but magic, version and vendor reads 0 (the 512-byte block QEMU decodes). */
static int others_zero(uint32_t base) {
  for (uint32_t off = 0x08; off < 0x200; off += 4)
    if (off != 0x0c && REG32(base + off) != 0) return 0;
  return 1;
}

int main(void) {
  uint32_t vendor = REG32(SLOT(0) + 0x0c);
  for (int n = 0; n < 8; n++) {
    uint32_t b = SLOT(n);
    uint32_t magic = REG32(b), version = REG32(b + 4), device = REG32(b + 8);
    check(REG32(b + 0x0c) == vendor && vendor != 0, "vendor ID", n);
    check(others_zero(b), "other registers", n);
    /* A driver's first steps: reset, ACKNOWLEDGE | DRIVER, select queue 0, read its size. */
    REG32(b + 0x70) = 0;
    REG32(b + 0x70) = 3;
    REG32(b + 0x30) = 0;
    REG32(b + 0x24) = 1;
    REG32(b + 0x20) = 0xffffffffu;
    REG32(b + 0x100) = 0x12345678u;
    REG32(b) = 0; /* even the magic value */
    check(REG32(b + 0x70) == 0 && REG32(b + 0x34) == 0 && REG32(b) == MAGIC && others_zero(b), "writes ignored", n);
    printf("slot %d at 0x%08lx: magic %08lx version %lu device %lu\n", n, (unsigned long)b,
           (unsigned long)magic, (unsigned long)version, (unsigned long)device);
  }
  printf("vendor ID: %s in every slot\n", failures == 0 ? "the same, nonzero," : "NOT the same");
  printf("other registers read 0, writes change nothing: %s\n", failures == 0 ? "yes" : "no");
  uint32_t b = SLOT(3);
  printf("narrow reads: bytes %02x %02x %02x %02x, halfwords %04x %04x, version byte %02x\n",
         REG8(b), REG8(b + 1), REG8(b + 2), REG8(b + 3), *(volatile uint16_t *)(uintptr_t)b,
         *(volatile uint16_t *)(uintptr_t)(b + 2), REG8(b + 4));
  return failures;
}
