# The F and D extensions' machine-level rules (unprivileged spec "F" and "D", privileged spec
# §3.1.6.6 and misa): misa's F and D bits; mstatus.FS = Off makes every FP instruction and fcsr
# access an illegal instruction (compressed ones included, mtval the instruction); an FP write
# makes FS Dirty and sets SD; FSW and FMV.X.W leave a Clean state Clean; reserved rounding modes
# (rm 5 and 6, and DYN with frm 5-7) and formats are illegal; fcsr works from U-mode; the
# compressed loads and stores (C.FLD, C.FSD, C.FLW, C.FSW and the SP forms) move bits unchanged.
# Built with -march=rv32imafdc (guests/fp/); compared with QEMU -cpu rv32,f=true,d=true.
#include "test.h"
TEST_NAME("fp-traps")

#define FS_MASK 0x6000
#define FS_INITIAL 0x2000
#define FS_CLEAN 0x4000
#define SD 0x80000000
/* Run `code` in privilege p without trapping, then back to M through ECALL (cause 8+p). */
#define RUN_IN(n, p, code...) EXPECT_TRAP(n, 8 + (p), ENTER_PRIV(p); code; ecall)

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  # ── misa: F (bit 5) and D (bit 3) ──
  csrr a0, misa
  andi a0, a0, 0x28
  CHECK(1, a0, 0x28)

  # ── FS = Off: everything FP is illegal ──
  li t0, FS_MASK
  csrc mstatus, t0
  csrr a0, mstatus
  and a0, a0, t0
  CHECK(2, a0, 0)
  EXPECT_TRAP(3, 2, fadd.s ft0, ft1, ft2)
  EXPECT_TRAP(4, 2, csrr a0, fcsr)
  EXPECT_TRAP(5, 2, csrw frm, zero)
  EXPECT_TRAP(6, 2, fmv.x.w a0, ft0)
  la a1, data
  EXPECT_TRAP(7, 2, flw ft0, 0(a1))
  EXPECT_TRAP(8, 2, fsd ft0, 0(a1))
  EXPECT_TRAP(9, 2, fcvt.d.w ft0, zero)
  EXPECT_TRAP(10, 2, c.fldsp ft0, 0(sp))
  CHECK_TVAL(11, 0x2002)             # the 16-bit instruction
  EXPECT_TRAP(12, 2, c.fld fs0, 0(a1))

  # ── FS = Initial; an FP write makes it Dirty and sets SD ──
  li t0, FS_INITIAL
  csrs mstatus, t0
  csrr a0, mstatus
  li t1, SD | FS_MASK
  and a0, a0, t1
  CHECK(20, a0, FS_INITIAL)
  fmv.w.x ft0, zero
  csrr a0, mstatus
  and a0, a0, t1
  CHECK(21, a0, SD | FS_MASK)
  csrr a0, sstatus                   # the S view shows FS and SD too
  and a0, a0, t1
  CHECK(22, a0, SD | FS_MASK)

  # ── FS = Clean: reading FP state (FSW, FMV.X.W, FSD, fcsr reads) leaves it Clean ──
  li t0, FS_MASK
  csrc mstatus, t0
  li t0, FS_CLEAN
  csrs mstatus, t0
  fsw ft0, 0(a1)
  fsd ft0, 8(a1)
  fmv.x.w a0, ft0
  frcsr a0
  csrr a0, mstatus
  and a0, a0, t1
  CHECK(25, a0, FS_CLEAN)
  fsflags zero                       # a write: Dirty
  csrr a0, mstatus
  and a0, a0, t1
  CHECK(26, a0, SD | FS_MASK)

  # ── Rounding modes: rm 5 and 6 are reserved; DYN uses frm, where 5-7 are reserved ──
  li a0, 0x3f800000
  fmv.w.x ft1, a0
  EXPECT_TRAP(30, 2, .word 0x0020d053)    # fadd.s ft0, ft1, ft2 with rm = 5
  CHECK_TVAL(31, 0x0020d053)
  EXPECT_TRAP(32, 2, .word 0x0020e053)    # rm = 6
  EXPECT_TRAP(33, 2, .word 0x4200e053)    # fcvt.s.d ft0, ft1 with rm = 6
  csrwi frm, 5
  EXPECT_TRAP(34, 2, fadd.s ft0, ft1, ft1)
  fadd.s ft0, ft1, ft1, rne          # a static mode does not read frm
  csrwi frm, 7
  EXPECT_TRAP(35, 2, fmul.d ft0, ft1, ft1)
  csrr a0, frm
  CHECK(36, a0, 7)                   # frm holds any 3-bit value
  csrwi frm, 0
  fmin.s ft0, ft1, ft1               # (no rounding: no rm check)

  # ── Reserved formats and encodings ──
  EXPECT_TRAP(40, 2, .word 0x04208053)    # fadd.h (fmt 2: no Zfh)
  EXPECT_TRAP(41, 2, .word 0x06208053)    # fadd.q (fmt 3: no Q)
  EXPECT_TRAP(42, 2, .word 0x2020b053)    # fsgnj.s with funct3 3
  EXPECT_TRAP(43, 2, .word 0x2820a053)    # fmin.s with funct3 2
  EXPECT_TRAP(44, 2, .word 0x58108053)    # fsqrt.s with rs2 = 1
  EXPECT_TRAP(45, 2, .word 0xe0109053)    # fclass.s with rs2 = 1
  EXPECT_TRAP(46, 2, .word 0xe2008053)    # fmv.x.d (RV64 only)
  EXPECT_TRAP(47, 2, .word 0x00004007)    # LOAD-FP with width 4 (flq)

  # ── fcsr from U-mode (FS is not Off) ──
  RUN_IN(50, 0, csrwi fflags, 0x1f; csrr a0, fcsr; fsrm a2, zero)
  frflags a0
  CHECK(51, a0, 0x1f)

  # ── Compressed loads and stores move bits unchanged (a double, a single boxed) ──
  la a1, data
  li t0, 0x89abcdef
  sw t0, 0(a1)
  li t0, 0x7ff12345                  # a signalling NaN: no conversion, no flags
  sw t0, 4(a1)
  csrwi fflags, 0
  c.fld fs0, 0(a1)
  c.fsd fs0, 8(a1)
  lw a0, 8(a1)
  CHECK(60, a0, 0x89abcdef)
  lw a0, 12(a1)
  CHECK(61, a0, 0x7ff12345)
  c.flw fs1, 4(a1)
  fsd fs1, 16(a1)                    # a single in an f register is NaN-boxed
  lw a0, 16(a1)
  CHECK(62, a0, 0x7ff12345)
  lw a0, 20(a1)
  CHECK(63, a0, -1)
  c.fsw fs1, 24(a1)
  lw a0, 24(a1)
  CHECK(64, a0, 0x7ff12345)
  mv s1, sp
  addi sp, sp, -32
  c.fsdsp fs0, 8(sp)
  c.fldsp fa0, 8(sp)
  c.fswsp fs1, 16(sp)
  c.flwsp fa1, 16(sp)
  mv sp, s1
  fsd fa0, 0(a1)
  lw a0, 0(a1)
  CHECK(65, a0, 0x89abcdef)
  lw a0, 4(a1)
  CHECK(66, a0, 0x7ff12345)
  fmv.x.w a0, fa1
  CHECK(67, a0, 0x7ff12345)
  frflags a0
  CHECK(68, a0, 0)
  # An FLD and an FSD at an address that is 4- but not 8-aligned.
  li t0, 0x3ff00000
  sw t0, 28(a1)
  sw zero, 24(a1)
  fld ft3, 24(a1)
  fsd ft3, 36(a1)
  lw a0, 40(a1)
  CHECK(69, a0, 0x3ff00000)

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

  .data
  .align 3
data:
  .space 64
