# HTIF (Spike / riscv-tests convention): console output through tohost device 1 command 1,
# then exit through tohost = (code << 1) | 1. No UART, no finisher: QEMU's virt board has no
# HTIF, so this guest is not compared with QEMU.
  .section .text.init
  .globl _start
_start:
  la s0, msg
1:
  lbu a0, 0(s0)
  beqz a0, 3f
  # tohost = {device 1, command 1, payload = the character}: low word, then high word
  la t0, tohost
  sw a0, 0(t0)
  li t1, 0x01010000
  sw t1, 4(t0)
  # wait for the host's answer in fromhost, then clear it
  la t2, fromhost
2:
  lw t1, 0(t2)
  beqz t1, 2b
  sw zero, 0(t2)
  sw zero, 4(t2)
  addi s0, s0, 1
  j 1b
3:
  # exit(0): tohost = 1 (a 32-bit write of the low word is enough)
  la t0, tohost
  li t1, 1
  sw t1, 0(t0)
4:
  j 4b

  .section .rodata
msg:
  .asciz "hello through HTIF\n"

  .section .tohost, "aw", @progbits
  .align 6
  .globl tohost
tohost: .dword 0
  .align 6
  .globl fromhost
fromhost: .dword 0
