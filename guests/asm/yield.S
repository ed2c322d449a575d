# Yields its partition's slice forever through the wasmvisor hypercall (WVCALL, EID 0x08574D56,
# FID 2), counting rounds in a0. For the worldswitch.ns benchmark: two of these side by side
# switch at every yield. Only meaningful in a partition: on the bare machine WVCALL is an illegal
# instruction (it counts and returns from a minimal handler, so it still runs forever).
  .section .text.init
  .globl _start
_start:
  la t0, handler
  csrw mtvec, t0
  li a0, 0
1:
  li a7, 0x08574d56
  li a6, 2
  .insn i 0x0b, 0, x0, x0, 0x576   # WVCALL
  addi a0, a0, 1
  j 1b

  .align 2
handler:                    # bare machine: skip the WVCALL
  csrr t0, mepc
  addi t0, t0, 4
  csrw mepc, t0
  mret
