# Sstc with menvcfg.STCE clear: stimecmp does not drive STIP, which is M-mode software's bit
# again ("STIP reverts to its defined behavior as if Sstc is not implemented", Sstc 1.0). QEMU 7.2
# raises STIP from a past stimecmp even then (test/qemu.test.ts lists it); sstc.S covers the rest.
#include "test.h"
TEST_NAME("sstc-off")

#define STIP 0x20
#define STCE 0x80000000

  .text
  .globl test_main
test_main:
  csrw mie, zero
  csrw menvcfgh, zero
  csrw stimecmp, zero               # in the past, but STCE = 0: no STIP
  csrw stimecmph, zero
  nop
  csrr a0, mip
  andi a0, a0, STIP
  CHECK(1, a0, 0)
  li t0, STIP
  csrs mip, t0                      # M software sets STIP …
  csrr a0, mip
  andi a0, a0, STIP
  CHECK(2, a0, STIP)
  csrc mip, t0                      # … and clears it
  csrr a0, mip
  andi a0, a0, STIP
  CHECK(3, a0, 0)
  li t0, STCE                       # STCE = 1: the past stimecmp takes over and raises STIP
  csrw menvcfgh, t0
  nop
  csrr a0, mip
  andi a0, a0, STIP
  CHECK(4, a0, STIP)
  csrw menvcfgh, zero               # STCE = 0 again: STIP is M's, as it was left
  li t0, STIP
  csrc mip, t0
  csrr a0, mip
  andi a0, a0, STIP
  CHECK(5, a0, 0)
  ret
