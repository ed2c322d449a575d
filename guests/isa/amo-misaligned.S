# Misaligned SC.W and AMOs raise a store/AMO address-misaligned exception (cause 6), with the
# address in mtval and memory unchanged (unprivileged spec §8.2-8.4: "If the address is not
# naturally aligned, an address-misaligned exception or an access-fault exception will be
# generated"; privileged spec table 3.6 names cause 6 "Store/AMO address misaligned").
# QEMU 7.2 differs on both: a misaligned SC without a reservation fails without trapping, and
# a misaligned AMO reports cause 4 (load). So this guest is not compared with QEMU.
#include "test.h"
TEST_NAME("amo-misaligned")

  .text
  .globl test_main
test_main:
  la a1, cell
  addi a1, a1, 2
  li a2, 5
  EXPECT_TRAP(1, 6, sc.w a0, a2, (a1))
  lw a0, trap_mtval
  CHECK_REG(2, a0, a1)
  EXPECT_TRAP(3, 6, amoadd.w a0, a2, (a1))
  lw a0, trap_mtval
  CHECK_REG(4, a0, a1)
  EXPECT_TRAP(5, 6, amoswap.w a0, a2, (a1))
  la a1, cell
  lw a0, 0(a1)
  CHECK(6, a0, 0x12345678)
  ret

  .data
  .align 4
cell: .word 0x12345678
