# Priority among simultaneous interrupts (privileged spec 1.12 §3.1.9: "Multiple simultaneous
# interrupts destined for M-mode are handled in the following decreasing priority order: MEI,
# MSI, MTI, SEI, SSI, STI"). QEMU 7.2 without AIA takes the lowest-numbered pending interrupt
# first instead, so this guest is not compared with QEMU.
#include "test.h"
TEST_NAME("irq-priority")

#define MIE_BIT 0x8

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)
  csrw mie, zero
  csrw mstatus, zero
  la t0, ack_one
  sw t0, irq_ack, t1
  sw zero, order_len, t0

  # With MSI, MTI, SEI, SSI and STI pending at once they are taken MSI, MTI, SEI, SSI, STI.
  li t0, 0x2aa
  csrw mie, t0                      # SSIE STIE SEIE MSIE MTIE
  li t0, 0x222
  csrs mip, t0
  li a1, CLINT_MSIP
  li t0, 1
  sw t0, 0(a1)
  li a1, CLINT_CMP                  # mtimecmp = 0: the timer interrupt is pending at once
  sw zero, 0(a1)
  sw zero, 4(a1)
  csrsi mstatus, MIE_BIT
  nop
  csrci mstatus, MIE_BIT
  la a1, order
  lw a0, 0(a1)
  CHECK(1, a0, 0x80000003)
  lw a0, 4(a1)
  CHECK(2, a0, 0x80000007)
  lw a0, 8(a1)
  CHECK(3, a0, 0x80000009)
  lw a0, 12(a1)
  CHECK(4, a0, 0x80000001)
  lw a0, 16(a1)
  CHECK(5, a0, 0x80000005)
  lw a0, order_len
  CHECK(6, a0, 5)

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

# Clear only the source of this interrupt and record its cause.
ack_one:
  csrr t1, mcause
  la a0, order
  lw a1, order_len
  slli t2, a1, 2
  add a0, a0, t2
  sw t1, 0(a0)
  addi a1, a1, 1
  sw a1, order_len, t2
  andi t1, t1, 0x1f
  li t2, 3
  beq t1, t2, 1f
  li t2, 7
  beq t1, t2, 2f
  li a0, 1
  sll a0, a0, t1
  csrc mip, a0
  ret
1:
  li a0, CLINT_MSIP
  sw zero, 0(a0)
  ret
2:
  li a0, CLINT_CMP
  li t1, -1
  sw t1, 4(a0)
  sw t1, 0(a0)
  ret


  .data
  .align 4
order_len:  .word 0
order:      .space 32
