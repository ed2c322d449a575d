# Runtime for the assembly ISA tests (see test.h): start-up, printing, pass/fail reporting and
# the recording trap handlers.
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
  la a0, test_name
  call print_str
  la a0, msg_pass
  call print_str
  li t0, FINISHER
  li t1, 0x5555
  sw t1, 0(t0)
1: j 1b

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
  slli t1, TESTNUM, 16
  li t0, 0x3333
  or t1, t1, t0
  li t0, FINISHER
  sw t1, 0(t0)
1: j 1b

# ── Printing (polled UART) ────────────────────────────────────────────────────────────────
  .globl print_char
print_char:
  li t0, UART0
1:
  lbu t1, 5(t0)
  andi t1, t1, 0x20
  beqz t1, 1b
  sb a0, 0(t0)
  ret

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

  .section .rodata
msg_pass:     .asciz ": PASS\n"
msg_fail:     .asciz ": FAIL test "
msg_got:      .asciz ": got "
msg_expected: .asciz " expected "
msg_notrap:   .asciz ": the expected trap did not happen (or a different number of traps)"

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
stack_top:
