# Reproducers for findings of the adversarial suite in a machine-mode guest
# (test/adversarial-findings.test.ts), each checked against the privileged spec:
#
#   1  a misaligned store straddling the end of RAM faults (nothing written, as it should); mtval
#      must be the store's address or that of the part that faulted (RAM_END - 2 or RAM_END:
#      priv spec §3.1.16) — wasmvisor reports the store's last byte, RAM_END + 1
#   2  mtime moved backwards, then mtimecmp near 2^64: mtime is far below mtimecmp, so MTIP must
#      stay clear (MTIP = mtime >= mtimecmp) — wasmvisor raises it at once (the deadline's cycle
#      count wraps past 2^64 to a time in the past)
#   3  (in a partition) the hypercalls notify and yield have no result but a0; guests/sdk/
#      wasmvisor.h: "Registers not listed are preserved" — wasmvisor zeroes a1 (sbi.ts ret())
#
# Prints one line per reproducer (as the spec says, or WRONG: what happened), then PASS. Needs 1 MiB of RAM.
#include "test.h"
TEST_NAME("adv-findings-m")

#define RAM_END 0x80100000

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  li a1, RAM_END - 2
  EXPECT_TRAP(1, 7, sw a0, 0(a1))
  lw s0, trap_mtval
  li t0, RAM_END
  beq s0, t0, 1f
  li t0, RAM_END - 2
  beq s0, t0, 1f
  PRINT(bad_tval)
  mv a0, s0
  call print_hex
  li a0, '\n'
  call print_char
  j 2f
1:
  PRINT(msg_tval)
2:

  li t0, CLINT_MTIME                 # mtime = 0 (backwards from the clock)
  sw zero, 0(t0)
  sw zero, 4(t0)
  li t0, CLINT_CMP                   # mtimecmp = 2^64 - 2
  li t1, -1
  sw t1, 4(t0)
  li t1, -2
  sw t1, 0(t0)
  li t0, 1000
3:
  addi t0, t0, -1
  bnez t0, 3b
  csrr t1, mip
  andi t1, t1, 0x80
  la a0, msg_time
  beqz t1, 4f
  la a0, bad_time
4:
  call print_str

  li a7, 0x08574d56                  # notify on a channel it does not hold; yield
  li a6, 3
  li a0, 9
  li a1, 0x5a5a5a5a
  .insn i 0x0b, 0, x0, x0, 0x576
  mv s1, a1
  li a6, 2
  li a1, 0x5a5a5a5a
  .insn i 0x0b, 0, x0, x0, 0x576
  li t0, 0x5a5a5a5a
  la a0, msg_a1
  bne s1, t0, 5f
  beq a1, t0, 6f
5:
  la a0, bad_a1
6:
  call print_str

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

  .section .rodata
msg_tval: .asciz "adv-findings-m: a straddling store's mtval names the store or its faulting part\n"
bad_tval: .asciz "adv-findings-m: WRONG: a straddling store's mtval is "
bad_time: .asciz "adv-findings-m: WRONG: mtime moved back, mtimecmp near 2^64: MTIP raised at once\n"
msg_a1:   .asciz "adv-findings-m: notify and yield leave a1 as it was\n"
bad_a1:   .asciz "adv-findings-m: WRONG: notify and yield change a1\n"
msg_time: .asciz "adv-findings-m: mtime moved back, mtimecmp near 2^64: no timer interrupt\n"
