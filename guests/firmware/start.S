# Entry of the M-mode firmware programs (guests/firmware/): every hart arrives as from QEMU's
# reset vector, with a0 = hart id, a1 = the device tree's address, a2 = the address of the
# fw_dynamic_info structure (OpenSBI's FW_DYNAMIC convention). Hart 0 sets up gp and the stack,
# zeroes .bss and calls fw_main(hartid, dtb, info), which does not return. Every other hart
# waits until the firmware says it is set up (fw_boot_done), takes a stack of its own and calls
# fw_secondary(hartid), which does not return either (by default: it parks).
#define MAX_HARTS 8
#define HART_STACK 1024
  .section .text.init
  .globl _start
_start:
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  csrr t0, mhartid
  bnez t0, 4f
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

4:
  li t1, MAX_HARTS
  bgeu t0, t1, 3b            # (a hart the firmware has no room for)
  la t1, fw_boot_done
5:
  lw t2, 0(t1)
  beqz t2, 5b
  fence r, rw
  la sp, hart_stacks
  addi t2, t0, 1
  slli t2, t2, 10            # HART_STACK
  add sp, sp, t2
  mv a0, t0
  call fw_secondary
  j 3b

# The default for a program that starts one hart only: the others park.
  .weak fw_secondary
fw_secondary:
  csrw mie, zero
6:
  wfi
  j 6b

  .bss
  .align 4
  .globl fw_boot_done
fw_boot_done: .word 0
  .align 4
hart_stacks: .space MAX_HARTS * HART_STACK
