# Runs forever without output: the instruction limit (--max-insns) must stop it.
  .section .text.init
  .globl _start
_start:
  li a0, 0
1:
  addi a0, a0, 1
  j 1b
