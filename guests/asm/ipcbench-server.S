# The smallest passive IPC server, for the ipc benchmark: wait for a call, answer it with the
# same message (msginfo and MR0..MR3 come back unchanged), wait again. Three instructions per
# call besides the hypercall itself. Only meaningful in a partition (wasmvisor hypercall
# extension, guests/sdk/wasmvisor.h); on the bare machine the ECALL is an ordinary exception.
  .section .text.init
  .globl _start
_start:
  li a7, 0x08574d56         # the wasmvisor extension (preserved by every hypercall)
  li a6, 6                  # recv: wait for the first call
  ecall
1:
  li a6, 7                  # reply_recv: answer with what came (a1..a5), wait again
  ecall
  j 1b
