# Start-up code for C guests: global pointer, stack, zeroed .bss, a trap vector that reports
# unexpected traps, then main() and exit(main's result).
  .section .text.init
  .globl _start
_start:
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  la sp, __stack_top
  la t0, __bss_start
  la t1, __bss_end
1:
  bgeu t0, t1, 2f
  sw zero, 0(t0)
  addi t0, t0, 4
  j 1b
2:
  la t0, unexpected_trap_entry
  csrw mtvec, t0
  call main
  call exit
3:
  j 3b

# An unexpected trap: report mcause/mepc/mtval (platform.c) and fail.
  .align 2
unexpected_trap_entry:
  la sp, __stack_top
  csrr a0, mcause
  csrr a1, mepc
  csrr a2, mtval
  call unexpected_trap
4:
  j 4b
