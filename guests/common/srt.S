# Runtime for S-mode test guests (guests/sbi/): they run in a supervisor-mode partition,
# start in S-mode with a0 = hart id and a1 = the device tree, print through the SBI console and
# end with an SBI system reset. Reporting is in report.S. The trap handler and the symbols are
# those of testrt.S (trap_count, trap_mcause — which holds scause here — trap_mepc, trap_mtval,
# trap_resume, irq_ack), so the macros of test.h work unchanged. A failing check prints its message and shuts down reporting a
# system failure (the partition's status is then 1).
#include "test.h"

#define SBI_SRST 0x53525354

  .section .text.init
  .globl _start
_start:
  la sp, stack_top
  sw a0, boot_hartid, t0
  sw a1, boot_dtb, t0
  la t0, s_trap_entry
  csrw stvec, t0
  li TESTNUM, 0
  call test_main
  j test_pass

# ── Exits (report.S prints first): an SBI system reset ────────────────────────────────────
  .globl exit_pass, exit_fail
exit_pass:
  li a0, 0                  # shutdown, no reason
  li a1, 0
  j sbi_reset
exit_fail:
  li a0, 0                  # shutdown
  li a1, 1                  # reason: system failure
sbi_reset:
  li a7, SBI_SRST
  li a6, 0
  ecall
1: j 1b

# ── Printing through the SBI legacy console (EID 1) ──────────────────────────────────────
  .globl print_char
print_char:                 # a0 = character; preserves every register but a0
  addi sp, sp, -16
  sw a7, 0(sp)
  sw a6, 4(sp)
  li a7, 1
  li a6, 0
  ecall
  lw a7, 0(sp)
  lw a6, 4(sp)
  addi sp, sp, 16
  ret


# ── The S-mode trap handler ──────────────────────────────────────────────────────────────
# Records the trap; for interrupts calls irq_ack (if set) and returns; for exceptions resumes at
# trap_resume (in S-mode) when set, else skips the trapping instruction.
  .align 2
  .globl s_trap_entry
s_trap_entry:
  csrw sscratch, t0
  la t0, trap_save
  sw t1, 0(t0)
  sw t2, 4(t0)
  sw ra, 8(t0)
  sw a0, 12(t0)
  sw a1, 16(t0)
  sw a6, 20(t0)
  sw a7, 24(t0)
  lw t1, trap_count
  addi t1, t1, 1
  sw t1, trap_count, t2
  csrr t1, scause
  sw t1, trap_mcause, t2
  csrr t1, sepc
  sw t1, trap_mepc, t2
  csrr t1, stval
  sw t1, trap_mtval, t2
  csrr t1, sstatus
  srli t1, t1, 8
  andi t1, t1, 1
  sw t1, trap_from_priv, t2
  csrr t1, scause
  bgez t1, 1f
  lw t1, irq_ack
  beqz t1, 3f
  jalr t1
  j 3f
1:
  lw t1, trap_resume
  beqz t1, 2f
  sw zero, trap_resume, t2
  csrw sepc, t1
  li t1, 0x100              # SPP = S: continue the test in S-mode
  csrs sstatus, t1
  j 3f
2:
  csrr t1, sepc             # skip the trapping instruction
  lhu t2, 0(t1)
  andi t2, t2, 3
  addi t1, t1, 2
  li a0, 3
  bne t2, a0, 4f
  addi t1, t1, 2
4:
  csrw sepc, t1
3:
  la t0, trap_save
  lw t1, 0(t0)
  lw t2, 4(t0)
  lw ra, 8(t0)
  lw a0, 12(t0)
  lw a1, 16(t0)
  lw a6, 20(t0)
  lw a7, 24(t0)
  csrr t0, sscratch
  sret

  .data
  .align 4
  .globl trap_count, trap_mcause, trap_mepc, trap_mtval, trap_from_priv, trap_resume
  .globl trap_count_before, irq_ack, boot_hartid, boot_dtb
trap_count:        .word 0
trap_count_before: .word 0
trap_mcause:       .word 0
trap_mepc:         .word 0
trap_mtval:        .word 0
trap_from_priv:    .word 0
trap_resume:       .word 0
irq_ack:           .word 0
boot_hartid:       .word -1
boot_dtb:          .word 0
trap_save:         .space 32

  .bss
  .align 4
  .space 8192
  .globl stack_top
stack_top:
