# RV32I: every base instruction, with edge values (unprivileged spec, chapter 2).
#include "test.h"
TEST_NAME("rv32i")

  .option norvc           # 32-bit encodings only; rv32c.S covers the compressed ones
  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  # ── Register-immediate ──
  TEST_RI(1, addi, 0x00000000, 0x00000000, 0)
  TEST_RI(2, addi, 0x00000002, 0x00000001, 1)
  TEST_RI(3, addi, 0x7fffffff, 0x80000000, -1)
  TEST_RI(4, addi, 0x80000000, 0x7fffffff, 1)
  TEST_RI(5, addi, 0xfffff800, 0x00000000, -2048)
  TEST_RI(6, addi, 0x000007ff, 0x00000000, 2047)
  TEST_RI(7, slti, 1, 0xffffffff, 0)
  TEST_RI(8, slti, 0, 0x00000000, -1)
  TEST_RI(9, slti, 1, 0x80000000, 0x7ff)
  TEST_RI(10, sltiu, 0, 0xffffffff, 0)
  TEST_RI(11, sltiu, 1, 0x00000000, -1)   # -1 compares as 0xffffffff
  TEST_RI(12, sltiu, 1, 0x00000005, 6)
  TEST_RI(13, xori, 0xff00f00f, 0x00ff0f00, -0xf1)
  TEST_RI(14, ori, 0xff00ff0f, 0xff00ff00, 0x00f)
  TEST_RI(15, andi, 0x00000700, 0xff00ff00, 0x70f)
  TEST_RI(16, slli, 0x80000000, 0x00000001, 31)
  TEST_RI(17, slli, 0x21212121, 0x21212121, 0)
  TEST_RI(23, slli, 0x42424242, 0x21212121, 1)
  TEST_RI(18, srli, 0x00000001, 0x80000000, 31)
  TEST_RI(19, srli, 0x7fffffff, 0xffffffff, 1)
  TEST_RI(20, srai, 0xffffffff, 0x80000000, 31)
  TEST_RI(21, srai, 0xc0000000, 0x80000000, 1)
  TEST_RI(22, srai, 0x3fffffff, 0x7fffffff, 1)

  # ── Register-register ──
  TEST_RR(30, add, 0x00000000, 0xffffffff, 0x00000001)
  TEST_RR(31, add, 0x80000000, 0x7fffffff, 0x00000001)
  TEST_RR(32, sub, 0xffffffff, 0x00000000, 0x00000001)
  TEST_RR(33, sub, 0x7fffffff, 0x80000000, 0x00000001)
  TEST_RR(34, sll, 0x80000000, 0x00000001, 31)
  TEST_RR(35, sll, 0x00000002, 0x00000001, 33)       # only rs2[4:0] counts
  TEST_RR(36, slt, 1, 0x80000000, 0x7fffffff)
  TEST_RR(37, slt, 0, 0x7fffffff, 0x80000000)
  TEST_RR(38, sltu, 0, 0x80000000, 0x7fffffff)
  TEST_RR(39, sltu, 1, 0x7fffffff, 0x80000000)
  TEST_RR(40, xor, 0xf00ff00f, 0xff00ff00, 0x0f0f0f0f)
  TEST_RR(41, srl, 0x00000001, 0x80000000, 31)
  TEST_RR(42, srl, 0x40000000, 0x80000000, 0xffffffe1)
  TEST_RR(43, sra, 0xffffffff, 0x80000000, 31)
  TEST_RR(44, sra, 0xfffffffe, 0xfffffffc, 0x21)
  TEST_RR(45, or, 0xff0fff0f, 0xff00ff00, 0x0f0f0f0f)
  TEST_RR(46, and, 0x0f000f00, 0xff00ff00, 0x0f0f0f0f)

  # ── x0 stays zero ──
  li t0, 5
  add x0, t0, t0
  CHECK(50, x0, 0)
  addi x0, x0, 1
  CHECK(51, x0, 0)

  # ── LUI / AUIPC ──
  lui a0, 0xfffff
  CHECK(60, a0, 0xfffff000)
  lui a0, 0x80000
  CHECK(61, a0, 0x80000000)
1:
  auipc a0, 0
  la a1, 1b
  CHECK_REG(62, a0, a1)
2:
  auipc a0, 0x1
  la a1, 2b
  li t0, 0x1000
  add a1, a1, t0
  CHECK_REG(63, a0, a1)

  # ── Branches ──
  TEST_BR(70, beq, 1, 5, 5)
  TEST_BR(71, beq, 0, 5, 6)
  TEST_BR(72, bne, 1, 5, 6)
  TEST_BR(73, bne, 0, 5, 5)
  TEST_BR(74, blt, 1, 0xffffffff, 0)
  TEST_BR(75, blt, 0, 0, 0xffffffff)
  TEST_BR(76, blt, 0, 3, 3)
  TEST_BR(77, bge, 1, 3, 3)
  TEST_BR(78, bge, 1, 0, 0x80000000)
  TEST_BR(79, bge, 0, 0x80000000, 0)
  TEST_BR(80, bltu, 1, 0, 0xffffffff)
  TEST_BR(81, bltu, 0, 0xffffffff, 0)
  TEST_BR(82, bgeu, 1, 0xffffffff, 0xffffffff)
  TEST_BR(83, bgeu, 1, 0x80000000, 0x7fffffff)
  TEST_BR(84, bgeu, 0, 0x7fffffff, 0x80000000)
  # A backward branch loop.
  li a0, 0
  li a1, 10
3:
  addi a0, a0, 3
  addi a1, a1, -1
  bnez a1, 3b
  CHECK(85, a0, 30)

  # ── JAL / JALR ──
  jal a0, 4f
5:
  j fail_jump
4:
  la a1, 5b
  CHECK_REG(90, a0, a1)
  la t0, 6f
  jalr a0, 1(t0)          # bit 0 of the target is cleared
7:
  j fail_jump
6:
  la a1, 7b
  CHECK_REG(91, a0, a1)
  la t0, 8f + 8
  jalr t0, -8(t0)         # rd == rs1: the target uses the old value
9:
  j fail_jump
8:
  la a1, 9b
  CHECK_REG(92, t0, a1)

  # ── Loads ──
  la a1, data
  lb a0, 0(a1)
  CHECK(100, a0, 0xffffff81)
  lbu a0, 0(a1)
  CHECK(101, a0, 0x81)
  lb a0, 1(a1)
  CHECK(102, a0, 0x72)
  lh a0, 2(a1)
  CHECK(103, a0, 0xffff8364)
  lhu a0, 2(a1)
  CHECK(104, a0, 0x8364)
  lw a0, 0(a1)
  CHECK(105, a0, 0x83647281)
  lw a0, 4(a1)
  CHECK(106, a0, 0x0badcafe)
  addi a2, a1, 8
  lw a0, -4(a2)           # negative offset
  CHECK(107, a0, 0x0badcafe)

  # ── Misaligned loads are performed (the execution environment handles them) ──
  lw a0, 1(a1)
  CHECK(110, a0, 0xfe836472)
  lh a0, 3(a1)
  CHECK(111, a0, 0xfffffe83)
  lhu a0, 3(a1)
  CHECK(112, a0, 0x0000fe83)

  # ── Stores ──
  la a1, scratch
  li t0, 0x11223344
  sw t0, 0(a1)
  li t0, 0xaa
  sb t0, 1(a1)
  lw a0, 0(a1)
  CHECK(120, a0, 0x1122aa44)
  li t0, 0xbbcc
  sh t0, 2(a1)
  lw a0, 0(a1)
  CHECK(121, a0, 0xbbccaa44)
  li t0, 0x12345678
  sw t0, 5(a1)            # misaligned store spanning two words
  lw a0, 4(a1)
  CHECK(122, a0, 0x34567800)
  lw a0, 8(a1)
  CHECK(123, a0, 0x00000012)
  li t0, 0xdead
  sh t0, 11(a1)           # misaligned halfword
  lw a0, 8(a1)
  CHECK(124, a0, 0xad000012)
  lw a0, 12(a1)
  CHECK(125, a0, 0x000000de)

  # ── FENCE, FENCE.I ──
  fence
  fence rw, rw
  fence.i
  # Self-modifying code: patch an instruction, FENCE.I, execute it.
  la a1, patch_site
  li t0, 0x02a00513       # addi a0, x0, 42
  sw t0, 0(a1)
  fence.i
  li a0, 0
patch_site:
  addi a0, x0, 7
  CHECK(130, a0, 42)

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

fail_jump:
  li t5, 0
  li t6, 1
  j test_fail_values

  .data
  .align 4
data:
  .byte 0x81, 0x72, 0x64, 0x83, 0xfe, 0xca, 0xad, 0x0b
scratch:
  .space 16
