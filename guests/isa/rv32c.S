# RV32C: every compressed encoding (unprivileged spec chapter 16), and the reserved ones,
# which must raise illegal-instruction with the 16-bit encoding in mtval.
#include "test.h"
TEST_NAME("rv32c")

  .option rvc
  .text
  .globl test_main
test_main:
  addi sp, sp, -32
  sw ra, 28(sp)

  # ── Quadrant 0 ──
  c.addi4spn a0, sp, 16
  addi a1, sp, 16
  CHECK_REG(1, a0, a1)
  c.addi4spn s1, sp, 1020
  addi a1, sp, 1020
  CHECK_REG(2, s1, a1)
  la s0, cdata
  c.lw a0, 4(s0)
  CHECK(3, a0, 0x22222222)
  c.lw a5, 124(s0)
  CHECK(4, a5, 0x7c7c7c7c)
  li a1, 0x12345678
  c.sw a1, 8(s0)
  lw a0, 8(s0)
  CHECK(5, a0, 0x12345678)

  # ── Quadrant 1 ──
  li a0, 5
  c.nop
  c.addi a0, 31
  CHECK(10, a0, 36)
  c.addi a0, -32
  CHECK(11, a0, 4)
  c.li a0, -1
  CHECK(12, a0, 0xffffffff)
  c.li a0, 31
  CHECK(13, a0, 31)
  mv s2, sp
  c.addi16sp sp, 496
  sub a0, sp, s2
  CHECK(14, a0, 496)
  c.addi16sp sp, -512
  sub a0, sp, s2
  CHECK(15, a0, 0xfffffff0)
  mv sp, s2
  c.lui a0, 0x1f
  CHECK(16, a0, 0x1f000)
  c.lui a0, 0xfffe0         # nzimm = -32 → 0xfffe0000
  CHECK(17, a0, 0xfffe0000)
  li s0, 0x80000001
  c.srli s0, 1
  CHECK(18, s0, 0x40000000)
  li s0, 0x80000001
  c.srai s0, 31
  CHECK(19, s0, 0xffffffff)
  li s0, 0xffffffff
  c.andi s0, -16
  CHECK(20, s0, 0xfffffff0)
  li s0, 0xff
  c.andi s0, 0x0f
  CHECK(21, s0, 0x0f)
  li s0, 10
  li s1, 3
  c.sub s0, s1
  CHECK(22, s0, 7)
  li s0, 0xff00
  li s1, 0x0ff0
  c.xor s0, s1
  CHECK(23, s0, 0xf0f0)
  li s0, 0xff00
  c.or s0, s1
  CHECK(24, s0, 0xfff0)
  li s0, 0xff00
  c.and s0, s1
  CHECK(25, s0, 0x0f00)

  # C.JAL links to the next halfword.
  c.jal 1f
2:
  j fail_c
1:
  la a1, 2b
  CHECK_REG(26, ra, a1)
  c.j 3f
  j fail_c
3:
  li s0, 0
  li a0, 0
  c.beqz s0, 4f
  li a0, 9
4:
  CHECK(27, a0, 0)
  li s0, 1
  li a0, 0
  c.beqz s0, 5f
  li a0, 9
5:
  CHECK(28, a0, 9)
  li a0, 0
  c.bnez s0, 6f
  li a0, 9
6:
  CHECK(29, a0, 0)
  # A c.bnez loop (backward branch)
  li s0, 5
  li a0, 0
7:
  addi a0, a0, 2
  addi s0, s0, -1
  c.bnez s0, 7b
  CHECK(30, a0, 10)

  # ── Quadrant 2 ──
  li a0, 3
  c.slli a0, 30
  CHECK(40, a0, 0xc0000000)
  li t0, 0xcafe
  sw t0, 12(sp)
  c.lwsp a0, 12(sp)
  CHECK(41, a0, 0xcafe)
  li a2, 0xbeef
  c.swsp a2, 16(sp)
  lw a0, 16(sp)
  CHECK(42, a0, 0xbeef)
  la t0, 8f
  c.jr t0
  j fail_c
8:
  li a1, 77
  c.mv a0, a1
  CHECK(43, a0, 77)
  la t0, 9f
  c.jalr t0
10:
  j fail_c
9:
  la a1, 10b
  CHECK_REG(44, ra, a1)
  li a0, 40
  li a1, 2
  c.add a0, a1
  CHECK(45, a0, 42)

  # C.EBREAK raises a breakpoint with mepc at the compressed instruction.
  EXPECT_TRAP(50, 3, ebrk: c.ebreak)
  CHECK_EPC(51, ebrk)

  # ── Reserved and unsupported encodings: illegal instruction, mtval = the 16 bits ──
  EXPECT_TRAP(60, 2, .half 0x0000)        # all zeros (C.ADDI4SPN with nzuimm = 0)
  CHECK_TVAL(61, 0x0000)
  EXPECT_TRAP(62, 2, .half 0x4002)        # C.LWSP with rd = x0
  CHECK_TVAL(63, 0x4002)
  EXPECT_TRAP(64, 2, .half 0x8002)        # C.JR with rs1 = x0
  CHECK_TVAL(65, 0x8002)
  EXPECT_TRAP(66, 2, .half 0x6101)        # C.ADDI16SP with nzimm = 0
  EXPECT_TRAP(67, 2, .half 0x6501)        # C.LUI with nzimm = 0
  EXPECT_TRAP(68, 2, .half 0x1506)        # C.SLLI with shamt[5] = 1 (RV32)
  EXPECT_TRAP(69, 2, .half 0x9105)        # C.SRLI with shamt[5] = 1 (RV32)
  EXPECT_TRAP(70, 2, .half 0x9d09)        # C.SUBW (RV64 only)
  EXPECT_TRAP(71, 2, .half 0x8000)        # quadrant 0, funct3 100: reserved
  CHECK_TVAL(72, 0x8000)

  lw ra, 28(sp)
  addi sp, sp, 32
  ret

fail_c:
  li t5, 0
  li t6, 1
  j test_fail_values

  .data
  .align 4
cdata:
  .word 0x11111111, 0x22222222, 0
  .fill 28, 4, 0
  .word 0x7c7c7c7c
