# Runtime for the assembly ISA tests (see test.h): start-up, the exits (test finisher), printing
# on the polled UART, and the recording trap handlers. Reporting is in report.S.
#include "test.h"

  .section .text.init
  .globl _start
_start:
  la sp, stack_top
  la t0, m_trap_entry
  csrw mtvec, t0
  # Open PMP for S and U (one NAPOT entry over all memory), as firmware does. wasmvisor has no
  # PMP entries (the CSRs read as zero and S/U accesses are allowed); QEMU has 16 and refuses
  # MRET to S/U while none is configured.
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f
  csrw pmpcfg0, t0
  li TESTNUM, 0
  call test_main
  j test_pass

# ── Exits (report.S prints first) and printing: the test finisher and the polled UART ─────────
  .globl exit_pass, exit_fail
exit_pass:
  li t0, FINISHER
  li t1, 0x5555
  sw t1, 0(t0)
1: j 1b

exit_fail:                # failure code: the test number
  slli t1, TESTNUM, 16
  li t0, 0x3333
  or t1, t1, t0
  li t0, FINISHER
  sw t1, 0(t0)
1: j 1b

  .globl print_char
print_char:
  li t0, UART0
1:
  lbu t1, 5(t0)
  andi t1, t1, 0x20
  beqz t1, 1b
  sb a0, 0(t0)
  ret


# ── Trap handlers ─────────────────────────────────────────────────────────────────────────
# M-mode: record the trap; resume at trap_resume (in M-mode, MPRV clear) if set, else skip the trapping
# instruction (2 or 4 bytes) and return to the interrupted privilege level. Interrupts: the
# handler clears their source through `irq_ack` if the test installed one (a function pointer).
  .align 2
  .globl m_trap_entry
m_trap_entry:
  csrw mscratch, t0
  la t0, trap_save
  sw t1, 0(t0)
  sw t2, 4(t0)
  sw ra, 8(t0)
  sw a0, 12(t0)
  sw a1, 16(t0)
  lw t1, trap_count
  addi t1, t1, 1
  sw t1, trap_count, t2
  csrr t1, mcause
  sw t1, trap_mcause, t2
  csrr t1, mepc
  sw t1, trap_mepc, t2
  csrr t1, mtval
  sw t1, trap_mtval, t2
  csrr t1, mstatus
  srli t1, t1, 11
  andi t1, t1, 3
  sw t1, trap_from_priv, t2
  csrr t1, mcause
  bgez t1, 1f
  # Interrupt: let the test acknowledge it, then return to the interrupted code.
  lw t1, irq_ack
  beqz t1, 3f
  jalr t1
  j 3f
1:
  lw t1, trap_resume
  beqz t1, 2f
  sw zero, trap_resume, t2
  csrw mepc, t1
  li t1, 0x1800         # MPP = M: continue the test in M-mode ...
  csrs mstatus, t1
  li t1, 0x20000        # ... untranslated (MRET to M keeps MPRV, and MPP becomes U)
  csrc mstatus, t1
  j 3f
2:
  csrr t1, mepc         # skip the trapping instruction
  lhu t2, 0(t1)
  andi t2, t2, 3
  addi t1, t1, 2
  li a0, 3
  bne t2, a0, 4f
  addi t1, t1, 2
4:
  csrw mepc, t1
3:
  la t0, trap_save
  lw t1, 0(t0)
  lw t2, 4(t0)
  lw ra, 8(t0)
  lw a0, 12(t0)
  lw a1, 16(t0)
  csrr t0, mscratch
  mret

# S-mode: record the trap in the s_trap_* words, then ECALL to M, which resumes at trap_resume.
  .align 2
  .globl s_trap_entry
s_trap_entry:
  csrw sscratch, t0
  lw t0, s_trap_count
  addi t0, t0, 1
  sw t0, s_trap_count, t1
  csrr t0, scause
  sw t0, s_trap_scause, t1
  csrr t0, sepc
  sw t0, s_trap_sepc, t1
  csrr t0, stval
  sw t0, s_trap_stval, t1
  csrr t0, sstatus
  sw t0, s_trap_sstatus, t1
  csrr t0, sscratch
  ecall

  .data
  .align 4
  .globl trap_count, trap_mcause, trap_mepc, trap_mtval, trap_from_priv, trap_resume
  .globl trap_count_before, irq_ack
  .globl s_trap_count, s_trap_scause, s_trap_sepc, s_trap_stval, s_trap_sstatus
trap_count:        .word 0
trap_count_before: .word 0
trap_mcause:       .word 0
trap_mepc:         .word 0
trap_mtval:        .word 0
trap_from_priv:    .word 0
trap_resume:       .word 0
irq_ack:           .word 0
s_trap_count:      .word 0
s_trap_scause:     .word 0
s_trap_sepc:       .word 0
s_trap_stval:      .word 0
s_trap_sstatus:    .word 0
trap_save:         .space 32

  .bss
  .align 4
  .space 8192
  .globl stack_top
stack_top:
