# Start-up code for C guests: global pointer, stack, zeroed .bss, a trap vector that reports
# unexpected traps, then main() and exit(main's result). Built for a hart with F (guests/fp/,
# -march=rv32imafdc) it also turns the FPU on: mstatus.FS = Initial and fcsr = 0 (rounding to
# nearest, no flags), as the FS field is Off at reset (privileged spec §3.1.6.6).
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
#ifdef __riscv_flen
  li t0, 1 << 13
  csrs mstatus, t0
  csrwi fcsr, 0
#endif
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
