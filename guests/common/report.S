# Test reporting shared by the test runtimes (testrt.S for M-mode tests, srt.S for supervisor
# guests): the pass line, the failure reports of test.h's macros, and printing. A runtime provides
# print_char (a0 = character; may clobber t0, t1 and a0 only), exit_pass and exit_fail (the test
# number in TESTNUM), and stack_top.
#include "test.h"

  .text
# ── Pass: "<name>: PASS" ────────────────────────────────────────────────────────────────────
  .globl test_pass
test_pass:
  la a0, test_name
  call print_str
  la a0, msg_pass
  call print_str
  j exit_pass

# ── Failure reports ───────────────────────────────────────────────────────────────────────
# t5 = value got, t6 = value expected, TESTNUM = test number.
  .globl test_fail_values
test_fail_values:
  mv s0, t5
  mv s1, t6
  la sp, stack_top
  call fail_header
  la a0, msg_got
  call print_str
  mv a0, s0
  call print_hex
  la a0, msg_expected
  call print_str
  mv a0, s1
  call print_hex
  j fail_exit

  .globl test_fail_notrap
test_fail_notrap:
  la sp, stack_top
  call fail_header
  la a0, msg_notrap
  call print_str
  j fail_exit

fail_header:
  addi sp, sp, -16
  sw ra, 0(sp)
  la a0, test_name
  call print_str
  la a0, msg_fail
  call print_str
  mv a0, TESTNUM
  call print_dec
  lw ra, 0(sp)
  addi sp, sp, 16
  ret

fail_exit:
  li a0, '\n'
  call print_char
  j exit_fail

# ── Printing, on the runtime's print_char (which may clobber t0, t1 and a0 only) ─────────────
  .globl print_str
print_str:
  mv t2, a0
  mv t3, ra
1:
  lbu a0, 0(t2)
  beqz a0, 2f
  call print_char
  addi t2, t2, 1
  j 1b
2:
  mv ra, t3
  ret

  .globl print_hex
print_hex:              # "0x" + 8 hex digits of a0
  mv t2, a0
  mv t3, ra
  li a0, '0'
  call print_char
  li a0, 'x'
  call print_char
  li t4, 28
1:
  srl a0, t2, t4
  andi a0, a0, 15
  li t1, 10
  blt a0, t1, 2f
  addi a0, a0, 'a' - '0' - 10
2:
  addi a0, a0, '0'
  call print_char
  addi t4, t4, -4
  bgez t4, 1b
  mv ra, t3
  ret

  .globl print_dec
print_dec:              # unsigned decimal of a0 (< 10^9)
  addi sp, sp, -32
  sw ra, 28(sp)
  mv t2, a0
  addi t3, sp, 16       # digits are stored backwards from sp+16
  sb zero, 0(t3)
1:
  li t1, 10
  remu t4, t2, t1
  divu t2, t2, t1
  addi t4, t4, '0'
  addi t3, t3, -1
  sb t4, 0(t3)
  bnez t2, 1b
  mv a0, t3
  call print_str
  lw ra, 28(sp)
  addi sp, sp, 32
  ret


  .section .rodata
msg_pass:     .asciz ": PASS\n"
msg_fail:     .asciz ": FAIL test "
msg_got:      .asciz ": got "
msg_expected: .asciz " expected "
msg_notrap:   .asciz ": the expected trap did not happen (or a different number of traps)"

