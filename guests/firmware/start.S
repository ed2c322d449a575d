# Entry of the M-mode firmware programs (guests/firmware/): the hart arrives as from QEMU's reset
# vector, with a0 = hart id, a1 = the device tree's address, a2 = the address of the
# fw_dynamic_info structure (OpenSBI's FW_DYNAMIC convention). Sets up gp and the stack, zeroes
# .bss and calls fw_main(hartid, dtb, info), which does not return.
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
  call fw_main
3:
  wfi
  j 3b
