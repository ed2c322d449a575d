# Sdtrig triggers beyond what QEMU 7.2 does the same way (test/qemu.test.ts says why it is not
# compared): four triggers and tselect's WARL rule, tinfo, the WARL legalisation of tdata1 for
# types 6 (mcontrol6), 3 (icount) and 15, NAPOT's tdata2, tdata3, the registers that do not
# exist (tcontrol, the context registers, Debug Mode's), M-only access; mtval (the matching
# address); every match type (equal, NAPOT, >=, <, mask low/high, and their negations) with
# compare values for every byte of an access; sizes; chains (execute + load, a >= / < range)
# and hit bits; the rule that holds action-0 triggers off in M while mstatus.MIE = 0 and in S
# while sstatus.SIE = 0 when breakpoints are delegated (so a handler is never re-trapped);
# priority over a misaligned AMO or LR; icount (single-stepping U, M, and counting traps);
# a guest cannot make a trigger the debugger's (dmode) or take action 1.
#include "test.h"
TEST_NAME("trigger-edge")

#define T6(bits) ((6 << 28) | (bits))
#define IC(bits) ((3 << 28) | (bits))
#define DISABLED 0xf0000000
#define TM  (1 << 6)
#define TS  (1 << 4)
#define TU  (1 << 3)
#define TX  4
#define TST 2
#define TLD 1
#define DMODE (1 << 27)
#define HIT0  (1 << 22)
#define HIT1  (1 << 25)
#define CHAIN (1 << 11)
#define MATCH(m)  ((m) << 7)
#define SIZE(s)   ((s) << 16)
#define ACTION(a) ((a) << 12)
#define IC_COUNT(c) ((c) << 10)
#define IC_HIT     (1 << 24)
#define IC_M       (1 << 9)
#define IC_PENDING (1 << 8)
#define IC_S       (1 << 7)
#define IC_U       (1 << 6)
#define OFF 0

#define ARM(n, reg, ctl) li t0, n; csrw tselect, t0; csrw tdata1, zero; csrw tdata2, reg; \
  li t0, ctl; csrw tdata1, t0
#define DISARM(n) li t0, n; csrw tselect, t0; csrw tdata1, zero
/* Write tdata1 of the selected trigger; it must read back as `expect`. */
#define TDATA1_IS(n, write, expect) li t0, write; csrw tdata1, t0; csrr a0, tdata1; CHECK(n, a0, expect)

#define U_OK(n, code...)    EXPECT_TRAP(n, 8, ENTER_PRIV(0); code; ecall)
#define U_BREAK(n, code...) EXPECT_TRAP(n, 3, ENTER_PRIV(0); code)
#define S_OK(n, code...)    EXPECT_TRAP(n, 9, ENTER_PRIV(1); code; ecall)
#define S_BREAK(n, code...) EXPECT_TRAP(n, 3, ENTER_PRIV(1); code)
#define M_BREAK(n, code...) EXPECT_TRAP(n, 3, code)
#define M_OK(n, code...) \
  lw t5, trap_count; sw t5, trap_count_before, t6; code; \
  li TESTNUM, n; lw t5, trap_count; lw t6, trap_count_before; bne t5, t6, test_fail_values
/* The last trap's mtval must equal register `reg`, or reg + off. */
#define TVAL_AT(n, reg, off) lw a0, trap_mtval; addi a1, reg, off; CHECK_REG(n, a0, a1)
/* Loads in U at s2 + offsets: each must stop at a trigger with mtval s2 + at, or run. */
#define U_LOAD_HITS(n, insn, off, at) U_BREAK(n, insn a0, off(s2)); TVAL_AT(n, s2, at)
#define U_LOAD_MISSES(n, insn, off) U_OK(n, insn a0, off(s2))

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)
  la s0, data_word
  la s2, block                      # 256-aligned: its low byte is 0

  # ── Enumeration: four triggers of types 3, 6 and 15 (tinfo version 1), all disabled ──
  li s1, 0
1:
  csrw tselect, s1
  csrr a0, tselect
  CHECK_REG(1, a0, s1)
  csrr a0, tinfo
  CHECK(2, a0, 0x01008048)
  csrr a0, tdata1
  CHECK(3, a0, DISABLED)
  csrr a0, tdata3
  CHECK(4, a0, 0)
  addi s1, s1, 1
  li t0, 4
  bne s1, t0, 1b
  li t0, 4                          # no trigger 4: tselect keeps its value
  csrw tselect, t0
  csrr a0, tselect
  CHECK(5, a0, 3)
  li t0, -1
  csrw tselect, t0
  csrr a0, tselect
  CHECK(6, a0, 3)
  li t0, -1
  csrw tinfo, t0                    # read-only fields: ignored
  csrr a0, tinfo
  CHECK(7, a0, 0x01008048)

  # ── tdata1 is WARL ──
  csrw tselect, zero
  TDATA1_IS(10, T6(TM | TU | TLD), T6(TM | TU | TLD))
  TDATA1_IS(11, 0, DISABLED)        # writing 0 disables
  TDATA1_IS(12, (2 << 28) | TM | TX, DISABLED)   # legacy mcontrol: not offered
  TDATA1_IS(13, (4 << 28) | TM, DISABLED)
  TDATA1_IS(14, (5 << 28) | TM, DISABLED)
  TDATA1_IS(15, (7 << 28) | TM, DISABLED)
  TDATA1_IS(16, (1 << 28) | TM, DISABLED)
  TDATA1_IS(17, (12 << 28) | TM, DISABLED)
  TDATA1_IS(18, 0xffffffff, DISABLED)
  TDATA1_IS(19, T6(DMODE | TM | TX), T6(TM | TX))                     # dmode: Debug Mode's alone
  TDATA1_IS(20, T6(HIT1 | HIT0 | TX), T6(HIT1 | HIT0 | TX))           # hit is writable
  TDATA1_IS(21, T6((1 << 26) | (1 << 24) | (1 << 23) | (1 << 5) | TX), T6(TX))  # uncertain, vs, vu, uncertainen
  TDATA1_IS(22, T6((1 << 21) | (3 << 19) | TX), T6(TX))               # select = 1 (data): no
  TDATA1_IS(23, T6(SIZE(3) | TX), T6(SIZE(3) | TX))
  TDATA1_IS(24, T6(SIZE(4) | TX), T6(TX))                             # 48 bits and wider: any
  TDATA1_IS(25, T6(SIZE(7) | TX), T6(TX))
  TDATA1_IS(26, T6(ACTION(1) | TX), T6(TX))                           # enter Debug Mode: dmode only
  TDATA1_IS(27, T6(ACTION(2) | TX), T6(TX))                           # trace actions: no
  TDATA1_IS(28, T6(ACTION(15) | TX), T6(TX))
  li s1, 0                          # match: 0-5, 8, 9, 12, 13 are kept, the others read 0
  li s3, 0x333f
2:
  slli t1, s1, 7
  li t0, T6(TX)
  or t0, t0, t1
  csrw tdata1, t0
  srl t2, s3, s1
  andi t2, t2, 1
  li t0, T6(TX)
  beqz t2, 3f
  or t0, t0, t1
3:
  csrr a0, tdata1
  CHECK_REG(29, a0, t0)
  addi s1, s1, 1
  li t0, 16
  bne s1, t0, 2b
  TDATA1_IS(30, T6(CHAIN | TX), T6(CHAIN | TX))
  li t0, 3                          # the last trigger has no next one to chain to
  csrw tselect, t0
  TDATA1_IS(31, T6(CHAIN | TX), T6(TX))
  csrw tselect, zero
  TDATA1_IS(32, IC(IC_COUNT(0x3fff) | IC_M | IC_S | IC_U | IC_PENDING | IC_HIT), IC(IC_COUNT(0x3fff) | IC_M | IC_S | IC_U | IC_PENDING | IC_HIT))
  TDATA1_IS(33, IC(DMODE | (1 << 26) | (1 << 25) | IC_COUNT(5) | 1), IC(IC_COUNT(5)))  # dmode, vs, vu, action 1
  TDATA1_IS(34, IC(IC_COUNT(1) | IC_U | 2), IC(IC_COUNT(1) | IC_U))
  TDATA1_IS(35, (15 << 28) | 0x123, DISABLED)
  # tdata2: any address; NAPOT's maskmax6 is 31: all ones below bit 31 drops bit 30.
  TDATA1_IS(36, T6(MATCH(1) | TLD), T6(MATCH(1) | TLD))
  li t0, -1
  csrw tdata2, t0
  csrr a0, tdata2
  CHECK(37, a0, 0xbfffffff)
  TDATA1_IS(38, T6(TLD), T6(TLD))
  li t0, -1
  csrw tdata2, t0
  csrr a0, tdata2
  CHECK(39, a0, 0xffffffff)
  li t0, -1
  csrw tdata3, t0                   # textra32 with nothing implemented: reads 0
  csrr a0, tdata3
  CHECK(40, a0, 0)
  csrw tdata1, zero
  # Registers that do not exist: tcontrol and the context registers, Debug Mode's.
  EXPECT_TRAP(41, 2, csrr a0, 0x7a5)
  EXPECT_TRAP(42, 2, csrr a0, 0x7a8)
  EXPECT_TRAP(43, 2, csrr a0, 0x7aa)
  EXPECT_TRAP(44, 2, csrr a0, 0x5a8)
  EXPECT_TRAP(45, 2, csrr a0, 0x7b0)
  EXPECT_TRAP(46, 2, csrr a0, 0x7b1)
  # M-mode only.
  EXPECT_TRAP(47, 2, ENTER_PRIV(1); csrr a0, tselect)
  EXPECT_TRAP(48, 2, ENTER_PRIV(1); csrr a0, tdata1)
  EXPECT_TRAP(49, 2, ENTER_PRIV(0); csrw tdata2, zero)

  # ── mtval: the instruction's address, or the first byte of the access that matches ──
  la s1, x_target
  ARM(0, s1, T6(TU | TX))
  U_BREAK(50, call x_target)
  TVAL_AT(51, s1, 0)
  ARM(0, s0, T6(TU | TLD))
  U_BREAK(52, lw a0, -2(s0))        # bytes s0-2 .. s0+1: the match is at s0
  TVAL_AT(53, s0, 0)
  U_OK(54, lb a0, 1(s0); lb a0, 3(s0); lh a0, 2(s0); lw a0, 4(s0))  # bytes after it: no
  addi s1, s0, 2
  ARM(0, s1, T6(TU | TST))
  U_BREAK(55, sw a0, 0(s0))
  TVAL_AT(56, s0, 2)
  ARM(0, s0, T6(TU | TST))
  U_BREAK(57, amoor.w a0, zero, (s0))
  TVAL_AT(58, s0, 0)

  # ── Match types, on U-mode loads from `block` (B = s2) ──
  addi s1, s2, 8 + 3                # NAPOT: tdata2 = B+8 | 0b11: the 8 bytes at B+8
  ARM(0, s1, T6(MATCH(1) | TU | TLD))
  U_LOAD_MISSES(60, lw, 4)
  U_LOAD_HITS(61, lw, 8, 8)
  U_LOAD_HITS(62, lw, 12, 12)
  U_LOAD_MISSES(63, lw, 16)
  U_LOAD_HITS(64, lw, 6, 8)         # misaligned, half inside
  U_LOAD_HITS(65, lbu, 15, 15)
  ARM(0, s1, T6(MATCH(9) | TU | TLD))   # not NAPOT: no byte inside
  U_LOAD_HITS(66, lw, 4, 4)
  U_LOAD_MISSES(67, lw, 8)
  U_LOAD_MISSES(68, lw, 6)          # one byte inside is enough to fail
  U_LOAD_HITS(69, lh, 16, 16)
  addi s1, s2, 20                   # >= B+20
  ARM(0, s1, T6(MATCH(2) | TU | TLD))
  U_LOAD_MISSES(70, lw, 16)
  U_LOAD_MISSES(71, lh, 18)
  U_LOAD_HITS(72, lw, 20, 20)
  U_LOAD_HITS(73, lw, 18, 20)
  U_LOAD_HITS(74, lw, 252, 252)
  addi s1, s2, 8                    # < B+8
  ARM(0, s1, T6(MATCH(3) | TU | TLD))
  U_LOAD_HITS(75, lw, 4, 4)
  U_LOAD_HITS(76, lw, 6, 6)
  U_LOAD_MISSES(77, lw, 8)
  U_LOAD_HITS(78, lw, -4, -4)
  li s1, (0x00ff << 16) | 0x24      # mask low: address & 0xff == 0x24
  ARM(0, s1, T6(MATCH(4) | TU | TLD))
  U_LOAD_HITS(79, lw, 0x24, 0x24)
  U_LOAD_HITS(80, lw, 0x124, 0x124)
  U_LOAD_MISSES(81, lw, 0x28)
  U_LOAD_HITS(82, lw, 0x22, 0x24)
  ARM(0, s1, T6(MATCH(12) | TU | TLD))  # not mask low
  U_LOAD_MISSES(83, lw, 0x24)
  U_LOAD_HITS(84, lw, 0x28, 0x28)
  li s1, (0x0ff << 16) | 0x124      # a value bit outside the mask: never matches
  ARM(0, s1, T6(MATCH(4) | TU | TLD))
  U_LOAD_MISSES(85, lw, 0x24)
  U_LOAD_MISSES(86, lw, 0x124)
  li s1, (0xffff << 16) | 0x8000    # mask high: address >> 16 == 0x8000 (all of this guest)
  ARM(0, s1, T6(MATCH(5) | TU | TLD))
  U_LOAD_HITS(87, lw, 0, 0)
  ARM(0, s1, T6(MATCH(13) | TU | TLD))
  U_LOAD_MISSES(88, lw, 0)
  li s1, (0xffff << 16) | 0x8001
  ARM(0, s1, T6(MATCH(5) | TU | TLD))
  U_LOAD_MISSES(89, lw, 0)
  ARM(0, s1, T6(MATCH(13) | TU | TLD))
  U_LOAD_HITS(90, lw, 0, 0)
  ARM(0, s2, T6(MATCH(8) | TU | TLD))   # not equal: no byte is tdata2
  U_LOAD_MISSES(91, lw, 0)
  U_LOAD_MISSES(92, lbu, 0)
  U_LOAD_HITS(93, lbu, 1, 1)
  U_LOAD_HITS(94, lw, 4, 4)
  U_LOAD_MISSES(95, lw, -2)
  la s1, x_far                      # execute >= x_far: only the code from there on
  ARM(0, s1, T6(MATCH(2) | TU | TX))
  U_OK(96, call x_target)
  U_BREAK(97, call x_far)
  TVAL_AT(98, s1, 0)
  DISARM(0)

  # ── Sizes: 8, 16 or 32-bit accesses only; 16 or 32-bit instructions only ──
  ARM(0, s0, T6(SIZE(1) | TU | TLD))
  U_BREAK(100, lbu a0, 0(s0))
  U_OK(101, lhu a0, 0(s0); lw a0, 0(s0))
  ARM(0, s0, T6(SIZE(2) | TU | TLD))
  U_BREAK(102, lhu a0, 0(s0))
  U_OK(103, lbu a0, 0(s0); lw a0, 0(s0))
  ARM(0, s0, T6(SIZE(3) | TU | TLD))
  U_BREAK(104, lw a0, 0(s0))
  U_BREAK(105, lw a0, -2(s0))
  U_OK(106, lbu a0, 0(s0); lhu a0, 0(s0))
  ARM(0, s0, T6(SIZE(2) | TU | TST))
  U_BREAK(107, sh a0, 0(s0))
  U_OK(108, lw a0, 0(s0); sw a0, 0(s0); sb a0, 0(s0))
  la s1, x_target                   # compressed
  ARM(0, s1, T6(SIZE(2) | TU | TX))
  U_BREAK(109, call x_target)
  ARM(0, s1, T6(SIZE(3) | TU | TX))
  U_OK(110, call x_target)
  ARM(0, s1, T6(SIZE(1) | TU | TX))
  U_OK(111, call x_target)
  la s1, x_target32                 # 32-bit
  ARM(0, s1, T6(SIZE(3) | TU | TX))
  U_BREAK(112, call x_target32)
  ARM(0, s1, T6(SIZE(2) | TU | TX))
  U_OK(113, call x_target32)
  DISARM(0)

  # ── Chains: all of them must match the same instruction; hit0 on every member ──
  la s1, chain_insn                 # trigger 0: execute chain_insn, chained to 1: load s0
  ARM(0, s1, T6(CHAIN | TU | TX))
  ARM(1, s0, T6(TU | TLD))
  mv a5, s0
  U_BREAK(120, call chain_insn)
  CHECK_EPC(121, chain_insn)
  TVAL_AT(122, s0, 0)
  addi a5, s0, 12
  U_OK(123, call chain_insn)        # chain_insn, another address
  U_OK(124, lw a0, 0(s0))           # the address, another instruction
  csrw tselect, zero
  csrr a0, tdata1
  CHECK(125, a0, T6(HIT0 | CHAIN | TU | TX))
  li t0, 1
  csrw tselect, t0
  csrr a0, tdata1
  CHECK(126, a0, T6(HIT0 | TU | TLD))
  TDATA1_IS(127, T6(TU | TLD), T6(TU | TLD))   # the user clears hit
  DISARM(0)
  DISARM(1)
  addi s1, s0, 8                    # triggers 2 and 3: [s0+8, s0+16) as >= and <
  ARM(2, s1, T6(CHAIN | MATCH(2) | TU | TLD | TST))
  addi s1, s0, 16
  ARM(3, s1, T6(MATCH(3) | TU | TLD | TST))
  U_OK(130, lw a0, 4(s0); lw a0, 16(s0); lw a0, 0(s0); sh a0, 6(s0))
  U_BREAK(131, lw a0, 8(s0))
  TVAL_AT(132, s0, 8)
  U_BREAK(133, sb a0, 15(s0))
  TVAL_AT(134, s0, 15)
  U_BREAK(135, lw a0, 6(s0))        # bytes 6..9: the first inside is 8
  TVAL_AT(136, s0, 8)
  U_BREAK(137, lw a0, 14(s0))       # bytes 14..17
  TVAL_AT(138, s0, 14)
  li t0, 3                          # a chain whose last trigger is disabled never fires
  csrw tselect, t0
  csrw tdata1, zero
  U_OK(139, lw a0, 8(s0))
  DISARM(2)
  # hit after a single trigger fires: 01 (before)
  ARM(1, s0, T6(HIT1 | TU | TLD))
  U_BREAK(140, lw a0, 0(s0))
  csrr a0, tdata1
  CHECK(141, a0, T6(HIT0 | TU | TLD))
  DISARM(1)

  # ── Action 0 is held off in M while MIE = 0, in S while SIE = 0 when breakpoints go to S ──
  csrci mstatus, 8
  la s1, x_target
  ARM(0, s1, T6(TM | TS | TU | TX))
  M_OK(150, call x_target)
  csrsi mstatus, 8
  M_BREAK(151, call x_target)
  csrsi mstatus, 8                  # (the handler's MRET set MIE from MPIE)
  la s3, m_trap_entry               # the handler itself: entered with MIE = 0, never re-trapped
  ARM(1, s3, T6(TM | TX))
  EXPECT_TRAP(152, 8, ENTER_PRIV(0); ecall)
  DISARM(1)
  csrci mstatus, 8
  la t0, s_trap_entry
  csrw stvec, t0
  csrci sstatus, 2
  S_BREAK(153, call x_target)       # breakpoints to M: SIE does not matter
  li t0, 1 << 3
  csrw medeleg, t0
  S_OK(154, call x_target)          # to S, with SIE = 0: held off
  lw a0, s_trap_count
  CHECK(155, a0, 0)
  csrsi sstatus, 2
  EXPECT_TRAP(156, 9, ENTER_PRIV(1); call x_target)   # SIE = 1: to S (whose handler ECALLs)
  lw a0, s_trap_scause
  CHECK(157, a0, 3)
  lw a0, s_trap_stval
  CHECK_REG(158, a0, s1)
  csrci sstatus, 2
  EXPECT_TRAP(159, 9, ENTER_PRIV(0); call x_target)   # U is never held off
  lw a0, s_trap_count
  CHECK(160, a0, 2)
  csrw medeleg, zero
  DISARM(0)

  # ── Triggers come before a misaligned AMO's or LR's address-misaligned exception ──
  addi s1, s0, 2
  EXPECT_TRAP(170, 6, amoadd.w a0, zero, (s1))
  EXPECT_TRAP(171, 4, lr.w a0, (s1))
  ARM(0, s1, T6(TU | TST))
  U_BREAK(172, amoadd.w a0, zero, (s1))
  ARM(0, s1, T6(TU | TLD))
  U_BREAK(173, lr.w a0, (s1))
  DISARM(0)

  # ── icount: single steps in U; a trap counts; M with MIE = 1; the write does not count ──
  li t0, IC(IC_COUNT(1) | IC_U)
  csrw tdata1, t0
  U_BREAK(180, ic_1: nop; ic_2: nop; ecall)   # ic_1 retires: the trap comes before ic_2
  CHECK_EPC(181, ic_2)
  lw a0, trap_mtval
  CHECK(182, a0, 0)
  csrr a0, tdata1
  CHECK(183, a0, IC(IC_HIT | IC_U))           # count 0, not pending, hit
  li t0, IC(IC_COUNT(3) | IC_U)
  csrw tdata1, t0
  U_BREAK(184, nop; addi a0, zero, 1; addi a0, a0, 1; ic_4: addi a0, a0, 1; ecall)
  CHECK(185, a0, 2)
  CHECK_EPC(186, ic_4)
  li t0, IC(IC_COUNT(2) | IC_U)     # nop, then ECALL's trap: count 0, pending for U
  csrw tdata1, t0
  EXPECT_TRAP(187, 8, ENTER_PRIV(0); nop; ecall)
  csrr a0, tdata1
  CHECK(188, a0, IC(IC_PENDING | IC_U))
  U_BREAK(189, ic_first: nop)       # it fires before the next U instruction
  CHECK_EPC(190, ic_first)
  csrsi mstatus, 8
  li t0, IC(IC_COUNT(2) | IC_M)     # M: the csrw itself does not count, the two addi do
  li a0, 0
  M_BREAK(191, csrw tdata1, t0; addi a0, a0, 1; addi a0, a0, 1; ic_m3: addi a0, a0, 1)
  CHECK(192, a0, 2)
  CHECK_EPC(193, ic_m3)
  csrci mstatus, 8                  # MIE = 0: M does not count
  li t0, IC(IC_COUNT(1) | IC_M)
  csrw tdata1, t0
  M_OK(194, nop; nop; nop)
  csrr a0, tdata1
  CHECK(195, a0, IC(IC_COUNT(1) | IC_M))
  csrw tdata1, zero

  # ── Priority among breakpoints: an execute trigger before EBREAK (its mtval tells them apart);
  # a pending icount before an execute trigger on the same instruction ──
  la s1, ebreak_insn
  EXPECT_TRAP(200, 3, ENTER_PRIV(0); jr s1)
  lw a0, trap_mtval
  CHECK(201, a0, 0)                 # EBREAK's own
  ARM(0, s1, T6(TU | TX))
  U_BREAK(202, jr s1)
  TVAL_AT(203, s1, 0)               # the trigger's
  la s1, ic_sub2
  ARM(0, s1, T6(TU | TX))
  li t0, 1
  csrw tselect, t0
  li t0, IC(IC_COUNT(2) | IC_U)     # jal and ic_sub's first nop: pending at ic_sub2
  csrw tdata1, t0
  U_BREAK(204, jal ic_sub)
  CHECK_EPC(205, ic_sub2)
  lw a0, trap_mtval
  CHECK(206, a0, 0)                 # icount's
  U_BREAK(207, jal ic_sub)          # (icount is spent) the execute trigger's
  TVAL_AT(208, s1, 0)
  csrw tdata1, zero
  DISARM(0)

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

# Called in every mode: "li a0, 1" (compressed), return.
x_target:
  li a0, 1
  ret
  .option push
  .option norvc
x_target32:
  addi a0, zero, 2
  ret
  .option pop
chain_insn:
  lw a0, 0(a5)
  ret
ebreak_insn:
  ebreak
ic_sub:
  nop
ic_sub2:
  nop
  ret
x_far:
  ret

  .data
  .align 4
  .word 0x55667788
data_word:
  .word 0x11223344, 0x99aabbcc, 0, 0, 0, 0
  .align 8
block:
  .space 512
