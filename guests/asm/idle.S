# Waits for an interrupt with none enabled or armed: a machine that can never wake. wasmvisor
# detects this and stops with a clear message (QEMU would wait forever).
  .section .text.init
  .globl _start
_start:
  csrw mie, zero
1:
  wfi
  j 1b
