# Sdtrig triggers (RISC-V Debug Specification 1.0, chapter 5) as software uses them, the part
# QEMU 7.2 implements the same way (test/qemu.test.ts compares): two triggers of type 6
# (mcontrol6), address equal; execute, load and store; the m, s and u enables; timing "before"
# (the instruction does not run, a load leaves its register, a store leaves memory, an AMO
# both); the breakpoint exception's cause and mepc; LR, SC and AMOs; misaligned accesses that
# reach the address; the trigger's priority over the instruction's own exceptions (illegal
# instruction, ECALL, fetch/load/store access faults and page faults); changes taking effect at
# once on pages used just before; MPRV (the hart's mode counts); delegation to S.
# trigger-edge.S checks what QEMU 7.2 does differently or not at all (mtval, the other match
# types, sizes, chains, icount, hit bits, WARL details, the MIE/SIE rule).
#
# wasmvisor holds off action-0 triggers in M while mstatus.MIE = 0 (and in S while SIE = 0 when
# breakpoints are delegated), so this test runs with MIE = 1 and mie = 0 (no interrupt comes).
#include "test.h"
TEST_NAME("trigger")

#define T6(bits) ((6 << 28) | (bits))
#define TM  (1 << 6)
#define TS  (1 << 4)
#define TU  (1 << 3)
#define TX  4
#define TST 2
#define TLD 1
#define OFF T6(0)            /* a type 6 trigger enabled in no mode (QEMU 7.2 ignores tdata1 = 0) */
#define MPRV 0x20000
#define A_NA4   0x10
#define A_NAPOT 0x18

/* Trigger n: off, tdata2 = reg, tdata1 = ctl (the order the spec prescribes). Clobbers t0. */
#define ARM(n, reg, ctl) li t0, n; csrw tselect, t0; li t0, OFF; csrw tdata1, t0; csrw tdata2, reg; \
  li t0, T6(ctl); csrw tdata1, t0
#define DISARM(n) li t0, n; csrw tselect, t0; li t0, OFF; csrw tdata1, t0

/* Code in U / S / M: it must run to its ECALL, or stop at a trigger (breakpoint, cause 3). */
#define U_OK(n, code...)    EXPECT_TRAP(n, 8, ENTER_PRIV(0); code; ecall)
#define U_BREAK(n, code...) EXPECT_TRAP(n, 3, ENTER_PRIV(0); code)
#define S_OK(n, code...)    EXPECT_TRAP(n, 9, ENTER_PRIV(1); code; ecall)
#define S_BREAK(n, code...) EXPECT_TRAP(n, 3, ENTER_PRIV(1); code)
#define M_BREAK(n, code...) EXPECT_TRAP(n, 3, code)
/* Code in M that must not trap. */
#define M_OK(n, code...) \
  lw t5, trap_count; sw t5, trap_count_before, t6; code; \
  li TESTNUM, n; lw t5, trap_count; lw t6, trap_count_before; bne t5, t6, test_fail_values
/* The word at s0 + off must still hold `value`. */
#define WORD_IS(n, off, value) lw a0, off(s0); CHECK(n, a0, value)

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)
  csrsi mstatus, 8                  # MIE = 1 (with mie = 0)
  la s0, data_word

  # ── The registers: at least two triggers, of type 6; tdata2 holds any address ──
  csrw tselect, zero
  csrr a0, tselect
  CHECK(1, a0, 0)
  li t0, 1
  csrw tselect, t0
  csrr a0, tselect
  CHECK(2, a0, 1)
  csrr a0, tinfo
  andi a0, a0, 1 << 6
  CHECK(3, a0, 1 << 6)
  li t0, T6(TM | TS | TU | TX | TST | TLD)
  csrw tdata1, t0
  csrr a0, tdata1
  CHECK(4, a0, T6(TM | TS | TU | TX | TST | TLD))
  li t0, 0x12345678
  csrw tdata2, t0
  csrr a0, tdata2
  CHECK(5, a0, 0x12345678)
  li t0, OFF
  csrw tdata1, t0
  csrr a0, tdata1
  CHECK(6, a0, OFF)
  csrw tselect, zero
  csrr a0, tselect
  CHECK(7, a0, 0)

  # ── Execute: the trap comes before the instruction, in the modes enabled only ──
  la s1, x_target
  ARM(0, s1, TU | TX)
  li a0, 0
  U_BREAK(10, call x_target)
  CHECK(11, a0, 0)                  # x_target's "li a0, 1" did not run
  CHECK_EPC(12, x_target)
  S_OK(13, call x_target)
  CHECK(14, a0, 1)
  li a0, 0
  M_OK(15, call x_target)
  CHECK(16, a0, 1)
  ARM(0, s1, TS | TX)
  U_OK(17, call x_target)
  S_BREAK(18, call x_target)
  CHECK_EPC(19, x_target)
  M_OK(20, call x_target)
  ARM(0, s1, TM | TX)
  U_OK(21, call x_target)
  S_OK(22, call x_target)
  M_BREAK(23, call x_target)
  CHECK_EPC(24, x_target)
  ARM(0, s1, TM | TS | TU | TX)
  U_BREAK(25, call x_target)
  S_BREAK(26, call x_target)
  M_BREAK(27, call x_target)
  la s1, x_target32                 # a 32-bit instruction
  ARM(0, s1, TU | TX)
  U_BREAK(28, call x_target32)
  CHECK_EPC(29, x_target32)
  U_OK(30, call x_target)
  DISARM(0)
  U_OK(31, call x_target32)

  # ── Loads: before the access (the register keeps its value), any width reaching the word ──
  ARM(1, s0, TU | TLD)
  li a0, 7
  U_BREAK(40, load1: lw a0, 0(s0))
  CHECK(41, a0, 7)
  CHECK_EPC(42, load1)
  U_BREAK(43, lh a0, 0(s0))
  U_BREAK(44, lbu a0, 0(s0))
  U_BREAK(45, lw a0, -2(s0))        # misaligned, its upper half is the word's
  U_OK(46, lw a0, 12(s0); lw a0, -4(s0); lhu a0, -2(s0); lw a0, 8(s0))
  CHECK(47, a0, 0x99aabbcc)         # (the loads that ran did load)
  li a0, 7
  U_BREAK(48, lr.w a0, (s0))
  li a2, 1
  U_BREAK(49, amoadd.w a0, a2, (s0))
  CHECK(50, a0, 7)
  WORD_IS(51, 0, 0x11223344)        # the AMO did not write either
  U_OK(52, sc.w a0, a2, (s0))       # SC is a store (and fails here: no reservation)
  ARM(1, s0, TS | TLD)
  U_OK(53, lw a0, 0(s0))
  S_BREAK(54, lw a0, 0(s0))
  M_OK(55, lw a0, 0(s0))
  ARM(1, s0, TM | TLD)
  S_OK(56, lw a0, 0(s0))
  li a0, 7
  M_BREAK(57, lw a0, 0(s0))
  CHECK(58, a0, 7)

  # ── Stores: before the access (memory keeps its value) ──
  ARM(1, s0, TU | TST)
  li a2, 0x55
  U_BREAK(60, store1: sw a2, 0(s0))
  CHECK_EPC(61, store1)
  WORD_IS(62, 0, 0x11223344)
  U_BREAK(63, sb a2, 0(s0))
  U_BREAK(64, sh a2, 0(s0))
  U_BREAK(65, sw a2, -2(s0))        # misaligned: none of its bytes is written
  WORD_IS(66, -4, 0x55667788)
  WORD_IS(67, 0, 0x11223344)
  U_BREAK(68, amoswap.w a0, a2, (s0))
  WORD_IS(69, 0, 0x11223344)
  U_OK(70, lw a0, 0(s0); lr.w a0, (s0))  # loads
  U_BREAK(71, lr.w a0, (s0); sc1: sc.w a0, a2, (s0))  # a successful SC is a store
  CHECK_EPC(72, sc1)
  WORD_IS(73, 0, 0x11223344)
  ARM(1, s0, TS | TST)
  U_OK(74, lw a0, 0(s0); sw a0, 0(s0))   # (the same value back)
  S_BREAK(75, sw a2, 0(s0))
  ARM(1, s0, TM | TST)
  M_BREAK(76, sw a2, 0(s0))
  WORD_IS(77, 0, 0x11223344)
  ARM(1, s0, TU | TST | TLD)        # both kinds
  U_BREAK(78, lw a0, 0(s0))
  U_BREAK(79, sw a2, 0(s0))

  # ── Two triggers: each on its own; both on one access make one exception ──
  la s1, x_target
  ARM(0, s1, TU | TX)
  ARM(1, s0, TU | TLD)
  U_BREAK(80, call x_target)
  U_BREAK(81, lw a0, 0(s0))
  ARM(0, s0, TU | TLD)
  U_BREAK(82, lw a0, 0(s0))
  DISARM(0)
  DISARM(1)
  U_OK(83, lw a0, 0(s0); call x_target)

  # ── Priority: before the instruction's own exceptions ──
  la s1, illegal_insn
  ARM(0, s1, TU | TX)
  U_BREAK(90, la a5, illegal_insn; jr a5)
  CHECK_EPC(91, illegal_insn)
  DISARM(0)
  EXPECT_TRAP(92, 2, ENTER_PRIV(0); la a5, illegal_insn; jr a5)
  la s1, ecall_insn
  ARM(0, s1, TU | TX)
  U_BREAK(93, la a5, ecall_insn; jr a5)
  CHECK_EPC(94, ecall_insn)
  # PMP: entry 15 opens everything (the background), entry 0 closes the word at s0, entry 1
  # makes noexec_page readable and writable only.
  li t0, -1
  csrw pmpaddr15, t0
  li t0, (A_NAPOT | 7) << 24
  csrw pmpcfg3, t0
  srli t0, s0, 2
  csrw pmpaddr0, t0
  la t0, noexec_page
  srli t0, t0, 2
  ori t0, t0, 0x1ff
  csrw pmpaddr1, t0
  li t0, ((A_NAPOT | 3) << 8) | A_NA4
  csrw pmpcfg0, t0
  EXPECT_TRAP(95, 5, ENTER_PRIV(0); lw a0, 0(s0))
  EXPECT_TRAP(96, 7, ENTER_PRIV(0); sw a0, 0(s0))
  EXPECT_TRAP(97, 1, ENTER_PRIV(0); la a5, noexec_page; jr a5)
  ARM(0, s0, TU | TLD)
  U_BREAK(98, lw a0, 0(s0))
  ARM(0, s0, TU | TST)
  U_BREAK(99, sw a0, 0(s0))
  la s1, noexec_page
  ARM(0, s1, TU | TX)
  U_BREAK(100, la a5, noexec_page; jr a5)
  CHECK_EPC(101, noexec_page)
  DISARM(0)
  li t0, -1                         # back to the runtime's single open entry
  csrw pmpaddr0, t0
  li t0, A_NAPOT | 7
  csrw pmpcfg0, t0
  csrw pmpcfg3, zero
  # Sv32: a megapage maps RAM 1:1 for U; 0x40000000 is not mapped.
  la t1, root_table
  li t0, (0x80000 << 10) | 0xdf     # V R W X U A D
  li t2, 0x200 * 4
  add t1, t1, t2
  sw t0, 0(t1)
  la t1, root_table
  srli t0, t1, 12
  li t2, 0x80000000
  or t0, t0, t2
  csrw satp, t0
  sfence.vma
  li s1, 0x40000000
  EXPECT_TRAP(110, 12, ENTER_PRIV(0); jr s1)
  EXPECT_TRAP(111, 13, ENTER_PRIV(0); lw a0, 0(s1))
  EXPECT_TRAP(112, 15, ENTER_PRIV(0); sw a0, 0(s1))
  ARM(0, s1, TU | TX)
  U_BREAK(113, jr s1)
  lw a0, trap_mepc
  CHECK(114, a0, 0x40000000)
  ARM(0, s1, TU | TLD)
  U_BREAK(115, lw a0, 0(s1))
  ARM(0, s1, TU | TST)
  U_BREAK(116, sw a0, 0(s1))
  la s1, x_target                   # translated code: virtual = physical here
  ARM(0, s1, TU | TX)
  U_BREAK(117, call x_target)
  ARM(0, s0, TU | TLD)
  U_BREAK(118, lw a0, 0(s0))
  DISARM(0)
  csrw satp, zero
  sfence.vma

  # ── Changes take effect at once, even on pages used (and cached) just before ──
  U_OK(120, call x_target; call x_target; lw a0, 0(s0); lw a0, 8(s0); sw a0, 12(s0); sw a0, 12(s0))
  la s1, x_target
  ARM(0, s1, TU | TX)
  U_BREAK(121, call x_target)
  DISARM(0)
  U_OK(122, call x_target)
  ARM(0, s0, TU | TLD)
  U_BREAK(123, lw a0, 0(s0))
  # Its neighbours, again and again (the page is not cached whole), then the word itself.
  U_OK(124, lw a0, 8(s0); lw a0, 8(s0); lw a0, -4(s0); lw a0, 12(s0); lw a0, 8(s0))
  U_BREAK(125, lw a0, 8(s0); lw a0, -4(s0); lw a0, 0(s0))
  ARM(0, s0, TU | TST)
  addi a2, s0, 12
  U_BREAK(126, sw a0, 0(a2); sw a0, 0(a2); sw a0, 0(s0))
  DISARM(0)
  U_OK(127, lw a0, 0(s0); sw a0, 12(s0))
  # A loop over an array, once with nothing armed (its pages cached), then with a trigger on
  # its 51st word: the loop's earlier loads go on, the 51st stops it.
  U_OK(128, call sum_loop)
  CHECK(129, a3, 100)
  la s1, array + 50 * 4
  ARM(0, s1, TU | TLD)
  U_BREAK(130, call sum_loop)
  CHECK(131, a3, 50)
  CHECK_EPC(132, array_load)
  DISARM(0)
  # M-mode's own TLB.
  M_OK(133, lw a0, 0(s0); lw a0, 0(s0))
  ARM(0, s0, TM | TLD)
  M_BREAK(134, lw a0, 0(s0))
  DISARM(0)
  M_OK(135, lw a0, 0(s0))

  # ── MPRV: M-mode loads at U's privilege are still M-mode's for the triggers ──
  li t0, 0x1800                     # MPP = U
  csrc mstatus, t0
  ARM(1, s0, TU | TLD)
  li t0, MPRV
  csrs mstatus, t0
  lw a0, 0(s0)
  li t0, MPRV
  csrc mstatus, t0
  CHECK(140, a0, 0x11223344)
  ARM(1, s0, TM | TLD)
  li t0, MPRV
  M_BREAK(141, csrs mstatus, t0; mprv_load: lw a0, 0(s0))
  CHECK_EPC(142, mprv_load)
  DISARM(1)

  # ── Delegated breakpoints: U's and S's triggers trap to S (with SIE = 1 in S) ──
  la t0, s_trap_entry
  csrw stvec, t0
  li t0, 1 << 3
  csrw medeleg, t0
  la s1, x_target
  ARM(0, s1, TU | TX)
  EXPECT_TRAP(150, 9, ENTER_PRIV(0); call x_target)   # S's handler ECALLs to M
  lw a0, s_trap_scause
  CHECK(151, a0, 3)
  lw a0, s_trap_sepc
  CHECK_REG(152, a0, s1)
  ARM(0, s0, TS | TLD)
  csrsi sstatus, 2
  EXPECT_TRAP(153, 9, ENTER_PRIV(1); s_load: lw a0, 0(s0))
  lw a0, s_trap_scause
  CHECK(154, a0, 3)
  lw a0, s_trap_sepc
  la a1, s_load
  CHECK_REG(155, a0, a1)
  lw a0, s_trap_count
  CHECK(156, a0, 2)
  DISARM(0)
  csrw medeleg, zero
  csrci sstatus, 2

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
illegal_insn:
  .word 0
ecall_insn:
  ecall
  ret

# Loads the 100 words of `array` (a3 counts them).
sum_loop:
  la a2, array
  li a3, 0
  li a4, 100
1:
  slli a5, a3, 2
  add a5, a5, a2
array_load:
  lw a0, 0(a5)
  addi a3, a3, 1
  blt a3, a4, 1b
  ret

  .data
  .align 4
  .word 0x55667788
data_word:                          # (QEMU 7.2 watches 8 bytes from a size-any trigger's address:
  .word 0x11223344, 0, 0x99aabbcc, 0  #  this test leaves the 7 after it alone)
array:
  .space 400
  .align 12
noexec_page:
  ret
  .align 12
root_table:
  .space 4096
