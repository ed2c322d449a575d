# Adversarial suite, HTIF off (test/adversarial.test.ts; a partition without "htif"): the guest
# defines tohost/fromhost like a Spike program and sends the commands adv-htif.S sends — a
# write() call, console output, an exit, a call block outside RAM — but with HTIF off they are
# plain stores to its RAM: nothing is output, nothing is answered, nothing stops, and the words
# keep what was stored (AMOs on them work like on any RAM).
#
# Prints one line, then PASS (test finisher).
#include "test.h"
TEST_NAME("adv-htif-off")

#define SYS_WRITE 64

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  la t0, magic                       # write(1, hello, 15)
  li t1, SYS_WRITE
  sw t1, 0(t0)
  li t1, 1
  sw t1, 8(t0)
  la t1, hello
  sw t1, 16(t0)
  li t1, 15
  sw t1, 24(t0)
  la a0, magic
  li a1, 0
  call send
  lw a0, magic
  CHECK(1, a0, SYS_WRITE)            # unanswered
  la t0, magic
  lw a1, tohost
  CHECK_REG(2, a1, t0)               # still there
  li a0, 'X'                         # console output: nothing
  li a1, 0x01010000
  call send
  CHECK(3, a0, 'X')
  li a0, 0                           # a call block at 0 (2^32): nothing
  li a1, 1
  call send
  CHECK(4, a0, 0)
  li a0, 0x2b                        # exit(21): nothing
  li a1, 0
  call send
  CHECK(5, a0, 0x2b)
  la a1, tohost                      # an AMO on tohost is an AMO on RAM
  li a0, 1
  amoadd.w a0, a0, (a1)
  CHECK(6, a0, 0x2b)
  lw a0, tohost
  CHECK(7, a0, 0x2c)
  lw a0, fromhost
  CHECK(8, a0, 0)
  PRINT(msg_off)

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

# tohost = a1:a0 (low word first); waits a while; returns a0 = tohost's low word and checks
# fromhost stayed 0.
send:
  sw a0, tohost, t0
  sw a1, tohost + 4, t0
  li t0, 200
1:
  addi t0, t0, -1
  bnez t0, 1b
  lw t0, fromhost
  li TESTNUM, 9
  mv t5, t0
  li t6, 0
  bne t5, t6, test_fail_values
  lw a0, tohost
  ret

  .section .rodata
hello:   .ascii "hello via HTIF\n"
msg_off: .asciz "adv-htif-off: tohost commands are plain stores: nothing output, answered or stopped\n"

  .data
  .align 3
magic: .space 64

  .section .tohost, "aw", @progbits
  .align 3
  .globl tohost, fromhost
tohost:   .dword 0
fromhost: .dword 0
