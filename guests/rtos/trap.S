# The RTOS's trap entry and exit (kernel.c explains the design).
#
# While a task runs, mscratch holds the address of its TCB, whose first 32 words are its saved
# context: word 0 = pc, word n = register xn. A trap (interrupt, ECALL, fault) swaps sp with
# mscratch, stores every register and mepc there, moves to the kernel stack and calls
# k_trap(mcause), which returns the TCB of the task to resume (the same or another). The exit
# loads that task's registers, points mscratch at its TCB and MRETs. Interrupts stay disabled
# from the trap to the MRET (the hart clears MIE on trap entry; MRET restores it from MPIE).
#
# Cost, in instructions (without -DRTOS_MEASURE): entry 38 up to and including the call of
# k_trap, exit 36 from k_trap's return to the MRET included; the task's next instruction is its
# own. Between them, k_trap takes 63 on a timer release of one task (README.md, "Measured").

  .equ CTX_PC, 0

  .macro for_regs op
  \op x1, 1
  \op x3, 3
  \op x4, 4
  \op x5, 5
  \op x6, 6
  \op x7, 7
  \op x8, 8
  \op x9, 9
  \op x10, 10
  \op x11, 11
  \op x12, 12
  \op x13, 13
  \op x14, 14
  \op x15, 15
  \op x16, 16
  \op x17, 17
  \op x18, 18
  \op x19, 19
  \op x20, 20
  \op x21, 21
  \op x22, 22
  \op x23, 23
  \op x24, 24
  \op x25, 25
  \op x26, 26
  \op x27, 27
  \op x28, 28
  \op x29, 29
  \op x30, 30
  \op x31, 31
  .endm
  .macro save reg, n
  sw \reg, (\n * 4)(sp)
  .endm
  .macro restore reg, n
  lw \reg, (\n * 4)(sp)
  .endm

  .section .text
  .align 2
  .globl k_trap_entry
k_trap_entry:
  csrrw sp, mscratch, sp         # sp = the current TCB, mscratch = the task's sp
  for_regs save                  # x1, x3..x31
#ifdef RTOS_MEASURE
  .option push
  .option norelax                # fixed lengths: 1 + 2 instructions here
  csrr t0, minstret
  sw t0, k_measure_entry, t1
  .option pop
#endif
  csrr t0, mscratch
  sw t0, (2 * 4)(sp)             # the task's sp
  csrr t0, mepc
  sw t0, CTX_PC(sp)
  csrr a0, mcause
  la sp, k_kernel_stack_top
  call k_trap                    # a0 = the TCB to resume

# Resume the task whose TCB is in a0.
  .globl k_resume
k_resume:
  lw t0, CTX_PC(a0)
  csrw mepc, t0
  csrw mscratch, a0
  mv sp, a0
#ifdef RTOS_MEASURE
  .option push
  .option norelax
  csrr t0, minstret              # instructions since the entry's csrr (that one included)
  lw t1, k_measure_entry
  sub t0, t0, t1
  # The whole trap = 31 instructions before the entry's csrr + (this difference - the entry's
  # 3 measuring instructions) + 32 after the measuring ones here = difference + 60.
  addi t0, t0, 60
  lw t1, k_measure_class         # k_longest[k_measure_class] = max(it, t0)
  slli t1, t1, 2
  la t2, k_longest
  add t2, t2, t1
  lw t1, 0(t2)
  bgeu t1, t0, 1f
  sw t0, 0(t2)
1:
  .option pop
#endif
  for_regs restore
  lw sp, (2 * 4)(sp)             # last: sp was the base
  mret

# int k_probe_write(uint32_t *address, uint32_t value): 0, or -1 when the store faults (nothing
# is mapped there). k_trap sends an access fault at k_probe_insn to k_probe_fixup.
  .globl k_probe_write, k_probe_insn, k_probe_fixup
k_probe_write:
k_probe_insn:
  sw a1, 0(a0)
  li a0, 0
  ret
k_probe_fixup:
  li a0, -1
  ret

  .section .bss
  .align 4
k_kernel_stack:                  # k_trap and all it calls, interrupt handlers included
  .space 2048
k_kernel_stack_top:
