# A fatal fault: mtvec points where nothing is mapped, then an illegal instruction. Every trap
# now faults fetching its own handler, forever, without retiring an instruction. In a
# partition the hypervisor stops it as a fatal fault (a trap loop) while the others go on; on
# the bare machine (as under QEMU) it runs until the instruction limit.
  .section .text.init
  .globl _start
_start:
  la a0, msg
  li a1, 0x10000000         # UART0
1:
  lbu a2, 0(a0)
  beqz a2, 2f
  sb a2, 0(a1)
  addi a0, a0, 1
  j 1b
2:
  csrw mtvec, zero          # no memory at 0
  .word 0                   # illegal instruction
3: j 3b

  .section .rodata
msg: .asciz "trap-loop: mtvec = 0, faulting\n"
