# Reproducers for findings of the adversarial suite in a supervisor-mode guest
# (test/adversarial-findings.test.ts), checked against the SBI specification v2.0: a function ID
# an extension does not define returns SBI_ERR_NOT_SUPPORTED. wasmvisor compares FIDs as signed
# numbers in RFENCE and DBCN, so FID 0xffffffff (-1) passes the "FID > 2" test:
#
#   1  RFENCE FID -1: answered SUCCESS (as if a remote_fence_i)
#   2  DBCN FID -1: served as console_read — it reads the console input into the buffer
#
# Prints one line per reproducer (as the spec says, or WRONG: what happened), then shuts down. Its console
# input must be "q".
#include "test.h"
TEST_NAME("adv-findings-s")

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  li a0, 1
  li a1, 0
  li a7, 0x52464e43                  # RFENCE
  li a6, -1
  ecall
  la t0, msg_rfence
  li t1, -2
  beq a0, t1, 1f
  la t0, bad_rfence
1:
  mv a0, t0
  call print_str

  li a0, 4
  la a1, buf
  li a2, 0
  li a7, 0x4442434e                  # DBCN
  li a6, -1
  ecall
  lw t1, buf                         # nothing may have been read
  la t0, msg_dbcn
  li t2, -2
  bne a0, t2, 2f
  beqz t1, 3f
2:
  la t0, bad_dbcn
3:
  mv a0, t0
  call print_str

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

  .section .rodata
msg_rfence: .asciz "adv-findings-s: RFENCE FID -1: NOT_SUPPORTED\n"
bad_rfence: .asciz "adv-findings-s: WRONG: RFENCE FID -1 was served\n"
bad_dbcn:   .asciz "adv-findings-s: WRONG: DBCN FID -1 was served as a console read\n"
msg_dbcn:   .asciz "adv-findings-s: DBCN FID -1: NOT_SUPPORTED, nothing read\n"

  .data
  .align 2
buf: .word 0
