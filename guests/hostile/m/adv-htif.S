# Adversarial suite, HTIF (test/adversarial.test.ts; the partition has "htif": true, 1 MiB of
# RAM). A machine-mode guest drives the Spike host interface through its tohost/fromhost words
# with hostile "magic memory" system calls and checks the contract (src/devices/htif.ts):
#
#   write()   a buffer at 0, in device space, straddling the end of RAM, above the top of the
#             space, or a length of 0xffffffff (all -EFAULT, nothing output: the whole buffer
#             must be RAM); one of 100,000 bytes (a short write of 64 KiB: the count says so);
#             a bad fd (-EBADF); an unknown call (-ENOSYS); the call block at tohost itself
#   tohost    a low word alone (taken as the whole command once the grace period ends), bytes
#             and halfwords into tohost, console output through device 1
#   the end   a call block the partition does not have (at `fatal_block`, a 64-bit payload:
#             2^32, i.e. block 0 above 4 GiB, unless the test patches it to device space, the top
#             of the space or the end of RAM): the host cannot answer it, and the partition must
#             stop as a fatal fault (status 126)
#
# Prints one line per group before the fatal call.
#include "test.h"
TEST_NAME("adv-htif")

#define RAM_END 0x80100000
#define SYS_WRITE 64
#define BIG 100000

/* magic = {which, a0, a1, a2} (64-bit words); a0 = the call's result (magic[0] low word). */
#define SYSCALL(which, x0, x1, x2) li a0, which; li a1, x0; li a2, x1; li a3, x2; call htif_syscall
#define CHECK_RESULT(n, value) CHECK(n, a0, value)

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  # ── write() ──
  la t0, hello
  mv a2, t0
  li a0, SYS_WRITE
  li a1, 1
  li a3, 15
  call htif_syscall
  CHECK_RESULT(1, 15)
  lw a0, magic + 4
  CHECK(2, a0, 0)
  SYSCALL(SYS_WRITE, 1, 0x00000000, 16)          # at 0
  CHECK_RESULT(3, -14)
  lw a0, magic + 4
  CHECK(4, a0, -1)
  SYSCALL(SYS_WRITE, 1, 0x10000000, 1)           # the UART
  CHECK_RESULT(5, -14)
  SYSCALL(SYS_WRITE, 2, RAM_END - 8, 16)         # straddling the end of RAM
  CHECK_RESULT(6, -14)
  SYSCALL(SYS_WRITE, 1, 0xfffffff0, 0x20)        # wrapping
  CHECK_RESULT(7, -14)
  SYSCALL(SYS_WRITE, 1, 0x7ffffff0, 0x20)        # into RAM from below
  CHECK_RESULT(8, -14)
  SYSCALL(SYS_WRITE, 1, RAM_END, 0)              # zero length, outside
  CHECK_RESULT(9, -14)
  SYSCALL(SYS_WRITE, 3, 0x80000000, 4)           # a bad fd
  CHECK_RESULT(10, -9)
  SYSCALL(1234, 0, 0, 0)                         # no such call
  CHECK_RESULT(11, -38)
  la t0, hashes                                  # BIG bytes of '#'
  li t1, BIG
  add t1, t1, t0
  li t2, 0x23232323
1:
  sw t2, 0(t0)
  addi t0, t0, 4
  bltu t0, t1, 1b
  li a0, SYS_WRITE                               # length 0xffffffff: beyond RAM, refused
  li a1, 1
  la a2, hashes
  li a3, -1
  call htif_syscall
  CHECK_RESULT(12, -14)
  li a0, SYS_WRITE                               # 100,000 bytes: 64 KiB move
  li a1, 1
  la a2, hashes
  li a3, BIG
  call htif_syscall
  CHECK_RESULT(13, 0x10000)
  call newline
  PRINT(msg_write)

  # ── The call block at tohost itself: it reads as a call 0 (ENOSYS) and is answered (its
  # result lands in tohost, where the bare machine leaves it and a partition's second look at
  # tohost clears it) ──
  la a0, tohost
  li a1, 0
  call htif_cmd
  CHECK(20, a0, 1)
  sw zero, tohost, t0                            # (low word first: no command)
  sw zero, tohost + 4, t0
  # A low word alone is taken as the whole command after a short grace period.
  la t0, magic
  li t1, SYS_WRITE
  sw t1, 0(t0)
  sw zero, 4(t0)
  li t1, 1
  sw t1, 8(t0)
  la t1, hello
  sw t1, 16(t0)
  li t1, 15
  sw t1, 24(t0)
  sw zero, fromhost, t1
  sw t0, tohost, t1
  li t0, 200                                     # (the grace period is 16 instructions)
2:
  addi t0, t0, -1
  bnez t0, 2b
  lw a0, magic
  CHECK(22, a0, 15)
  lw a0, fromhost
  CHECK(23, a0, 1)
  sw zero, fromhost, t0
  # Bytes and halfwords into tohost: no command is complete, nothing happens.
  la t0, tohost
  li t1, 0x41
  sb t1, 1(t0)
  sh t1, 2(t0)
  sb t1, 5(t0)
  sh zero, 6(t0)
  li t0, 100
3:
  addi t0, t0, -1
  bnez t0, 3b
  lw a0, fromhost
  CHECK(24, a0, 0)
  sw zero, tohost, t0
  sw zero, tohost + 4, t0
  # Console output through device 1, command 1: "!\n"
  li a0, '!'
  li a1, 0x01010000
  call htif_cmd
  CHECK(25, a0, 0x121)
  li a0, '\n'
  li a1, 0x01010000
  call htif_cmd
  PRINT(msg_tohost)

  # ── The end: a call block the host cannot reach stops the partition ──
  PRINT(msg_fatal)
  lw a0, fatal_block
  lw a1, fatal_block + 4
  call htif_cmd
  j test_fail_notrap                             # (never: the partition has stopped)

# One HTIF command hi:lo; returns a0 = fromhost's low word (the host's answer), cleared.
htif_cmd:
  sw zero, fromhost, t0
  sw zero, fromhost + 4, t0
  sw a0, tohost, t0
  sw a1, tohost + 4, t0
  lw a0, fromhost
  sw zero, fromhost, t0
  ret

# The "magic memory" call a0 (arguments a1..a3); returns a0 = its result.
htif_syscall:
  addi sp, sp, -16
  sw ra, 12(sp)
  la t0, magic
  sw a0, 0(t0)
  sw zero, 4(t0)
  sw a1, 8(t0)
  sw zero, 12(t0)
  sw a2, 16(t0)
  sw zero, 20(t0)
  sw a3, 24(t0)
  sw zero, 28(t0)
  mv a0, t0
  li a1, 0
  call htif_cmd
  li t0, 1
  li TESTNUM, 90                                 # fromhost must say "done"
  mv t5, a0
  mv t6, t0
  bne t5, t6, test_fail_values
  lw a0, magic
  lw ra, 12(sp)
  addi sp, sp, 16
  ret

newline:
  addi sp, sp, -16
  sw ra, 12(sp)
  li a0, '\n'
  li a1, 0x01010000
  call htif_cmd
  lw ra, 12(sp)
  addi sp, sp, 16
  ret

  .section .rodata
hello:      .ascii "hello via HTIF\n"
msg_write:  .asciz "adv-htif: write() outside RAM -EFAULT, bad fd, unknown call, 64 KiB per call\n"
msg_tohost: .asciz "adv-htif: block at tohost, a lone low word, partial stores, console output\n"
msg_fatal:  .asciz "adv-htif: a call block outside RAM: the partition must stop\n"

  .data
  .align 3
  .globl fatal_block
fatal_block: .word 0, 1
  .align 3
magic: .space 64

  .section .tohost, "aw", @progbits
  .align 3
  .globl tohost, fromhost
tohost:   .dword 0
fromhost: .dword 0

  .bss
  .align 4
hashes: .space BIG
