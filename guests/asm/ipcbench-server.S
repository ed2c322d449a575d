# The smallest passive IPC server, for the ipc benchmark: wait for a call, answer it with the
# same message (msginfo and MR0..MR3 come back unchanged), wait again. Three instructions per
# call besides the hypercall itself. Only meaningful in a partition (WVCALL, the wasmvisor
# hypercall, guests/sdk/wasmvisor.h); on the bare machine it is an illegal instruction.
  .section .text.init
  .globl _start
_start:
  li a7, 0x08574d56         # the wasmvisor extension (preserved by every hypercall)
  li a6, 6                  # recv: wait for the first call
  .insn i 0x0b, 0, x0, x0, 0x576   # WVCALL
1:
  li a6, 7                  # reply_recv: answer with what came (a1..a5), wait again
  .insn i 0x0b, 0, x0, x0, 0x576   # WVCALL
  j 1b
