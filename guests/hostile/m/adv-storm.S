# Adversarial suite, storms and a trap loop (test/adversarial.test.ts): a machine-mode guest
# floods its own trap handler — 20,000 ECALLs, 20,000 illegal instructions, 10,000 EBREAKs
# (each handled: instructions retire between them, so none of it is a trap loop) — and its
# interrupt path, with 5,000 UART transmitter-empty interrupts through the PLIC, each claimed and
# completed while the line stays up, and 20,000 bytes sent to itself through the UART's loopback
# (a FIFO keeps 16; the host must not keep them all). Then it points mtvec where nothing is and
# traps: every trap
# now traps again without retiring an instruction, and the hypervisor must stop the partition
# after 100,000 of them as a fatal fault (status 126) — the victim's time untouched throughout.
#
# Prints one line per storm, then ends in the trap loop.
#include "test.h"
TEST_NAME("adv-storm")

#define PLIC_PRIO 0x0c000000
#define PLIC_ENABLE0 0x0c002000
#define PLIC_CLAIM0 0x0c200004
#define UART_IRQ 10
#define MIE_MEIE 0x800
#define MSTATUS_MIE 0x8
#define STORM 5000

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  lw s0, trap_count
  li s1, 20000
1:
  ecall
  addi s1, s1, -1
  bnez s1, 1b
  li s1, 20000
2:
  .word -1                           # an illegal instruction
  addi s1, s1, -1
  bnez s1, 2b
  li s1, 10000
3:
  ebreak
  addi s1, s1, -1
  bnez s1, 3b
  lw a0, trap_count
  sub a0, a0, s0
  CHECK(1, a0, 50000)
  lw a0, trap_mcause
  CHECK(2, a0, 3)
  PRINT(msg_traps)

  # UART THR-empty interrupts: the line stays up, so every completion makes it pending again.
  li t0, PLIC_PRIO + 4 * UART_IRQ
  li t1, 1
  sw t1, 0(t0)
  li t0, PLIC_ENABLE0
  li t1, 1 << UART_IRQ
  sw t1, 0(t0)
  la t0, uart_isr
  sw t0, irq_ack, t1
  sw zero, storm_count, t1
  li t0, UART0
  li t1, 2                           # IER: transmitter holding register empty
  sb t1, 1(t0)
  li t0, MIE_MEIE
  csrw mie, t0
  csrsi mstatus, MSTATUS_MIE         # the handler runs STORM times before this goes on
  csrci mstatus, MSTATUS_MIE
  csrw mie, zero
  lw a0, storm_count
  CHECK(3, a0, STORM)
  PRINT(msg_irq)

  # UART loopback: 20,000 bytes sent to itself without reading; a 16550's receive FIFO keeps
  # 16 (the rest overrun), and the host must not keep more.
  li a1, UART0
  li t0, 0x01                        # FCR: FIFO mode (16 bytes; without it the 16450's one RBR)
  sb t0, 2(a1)
  li t0, 0x10                        # MCR: loopback
  sb t0, 4(a1)
  li s1, 20000
4:
  sb s1, 0(a1)
  addi s1, s1, -1
  bnez s1, 4b
  li s1, 0
5:
  lbu t0, 5(a1)                      # LSR: data ready?
  andi t0, t0, 1
  beqz t0, 6f
  lbu t0, 0(a1)
  addi s1, s1, 1
  j 5b
6:
  sb zero, 4(a1)
  sb zero, 2(a1)
  CHECK(4, s1, 16)
  PRINT(msg_loopback)

  # The trap loop: the vector where nothing is, then a trap.
  PRINT(msg_loop)
  csrw mtvec, zero
  .word -1
  j test_fail_notrap

# Claim, complete; after STORM interrupts turn the UART's interrupt off. (May use t1, t2, a0, a1.)
uart_isr:
  li a0, PLIC_CLAIM0
  lw a1, 0(a0)
  sw a1, 0(a0)
  li t2, UART_IRQ
  bne a1, t2, 1f
  lw t1, storm_count
  addi t1, t1, 1
  sw t1, storm_count, t2
  li t2, STORM
  bltu t1, t2, 1f
  li a0, UART0
  sb zero, 1(a0)
1:
  ret

  .section .rodata
msg_traps: .asciz "adv-storm: 20,000 ECALLs, 20,000 illegal instructions, 10,000 EBREAKs handled\n"
msg_irq:   .asciz "adv-storm: 5,000 UART interrupts claimed and completed with the line up\n"
msg_loopback: .asciz "adv-storm: 20,000 bytes looped back through the UART: 16 kept\n"
msg_loop:  .asciz "adv-storm: now a trap loop: mtvec where nothing is\n"

  .data
  .align 2
storm_count: .word 0
