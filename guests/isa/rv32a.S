# RV32A: LR/SC reservations and every AMO (unprivileged spec chapter 8), plus the
# address-misaligned trap of LR (never split). Misaligned SC and AMOs are checked by
# amo-misaligned.S, apart, because QEMU 7.2 differs from the spec there.
#include "test.h"
TEST_NAME("rv32a")

#define TEST_AMO(n, inst, old, src, newval) \
  la a1, cell; li t0, old; sw t0, 0(a1); li a2, src; inst a0, a2, (a1); \
  CHECK(n, a0, old); lw a3, 0(a1); CHECK(n, a3, newval)

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)
  TEST_AMO(1, amoswap.w, 0x11111111, 0x22222222, 0x22222222)
  TEST_AMO(2, amoadd.w, 0x7fffffff, 0x00000001, 0x80000000)
  TEST_AMO(3, amoxor.w, 0xff00ff00, 0x0ff00ff0, 0xf0f0f0f0)
  TEST_AMO(4, amoand.w, 0xff00ff00, 0x0ff00ff0, 0x0f000f00)
  TEST_AMO(5, amoor.w, 0xff00ff00, 0x0ff00ff0, 0xfff0fff0)
  TEST_AMO(6, amomin.w, 0x80000000, 0x00000001, 0x80000000)
  TEST_AMO(7, amomin.w, 0x00000001, 0xffffffff, 0xffffffff)
  TEST_AMO(8, amomax.w, 0x80000000, 0x00000001, 0x00000001)
  TEST_AMO(9, amomax.w, 0xffffffff, 0xfffffffe, 0xffffffff)
  TEST_AMO(10, amominu.w, 0x80000000, 0x00000001, 0x00000001)
  TEST_AMO(11, amominu.w, 0xffffffff, 0xfffffffe, 0xfffffffe)
  TEST_AMO(12, amomaxu.w, 0x80000000, 0x00000001, 0x80000000)
  TEST_AMO(13, amomaxu.w, 0x00000001, 0xffffffff, 0xffffffff)
  TEST_AMO(14, amoadd.w.aqrl, 0x00000005, 0x00000003, 0x00000008)

  # AMO with rd = x0 still updates memory.
  la a1, cell
  li t0, 10
  sw t0, 0(a1)
  li a2, 5
  amoadd.w x0, a2, (a1)
  lw a0, 0(a1)
  CHECK(20, a0, 15)

  # LR/SC: success, then a second SC without a new LR fails.
  la a1, cell
  li t0, 100
  sw t0, 0(a1)
  lr.w a0, (a1)
  CHECK(30, a0, 100)
  addi a0, a0, 1
  sc.w a2, a0, (a1)
  CHECK(31, a2, 0)
  lw a3, 0(a1)
  CHECK(32, a3, 101)
  li a0, 55
  sc.w a2, a0, (a1)
  CHECK(33, a2, 1)
  lw a3, 0(a1)
  CHECK(34, a3, 101)

  # SC to a different address than the reservation fails and writes nothing.
  la a1, cell
  la a4, cell2
  sw zero, 0(a4)
  lr.w a0, (a1)
  li a0, 77
  sc.w a2, a0, (a4)
  CHECK(40, a2, 1)
  lw a3, 0(a4)
  CHECK(41, a3, 0)

  # A trap between LR and SC drops the reservation.
  la a1, cell
  lr.w a0, (a1)
  ecall
  li a0, 88
  sc.w a2, a0, (a1)
  CHECK(45, a2, 1)

  # A compare-and-swap loop built from LR/SC.
  la a1, cell
  li t0, 41
  sw t0, 0(a1)
1:
  lr.w a0, (a1)
  addi a0, a0, 1
  sc.w a2, a0, (a1)
  bnez a2, 1b
  lw a3, 0(a1)
  CHECK(50, a3, 42)

  # A misaligned LR raises load address-misaligned (4) with tval = the address.
  la a1, cell
  addi a1, a1, 2
  EXPECT_TRAP(60, 4, lr.w a0, (a1))
  lw a0, trap_mtval
  CHECK_REG(61, a0, a1)

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

  .data
  .align 4
cell:  .word 0
cell2: .word 0
