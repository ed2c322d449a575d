# Shared memory between two partitions (test/hypervisor.test.ts). The system maps region
# "mail" read-write into both at 0x9000_0000, and region "notice" at 0x9001_0000 read-write into
# partition 0 and read-only into partition 1. The partition's index (wasmvisor hypercall FID 1)
# picks the role:
#   0 (writer)  writes a message into "mail" and a notice into "notice", raises the flag, waits
#               for the reader's acknowledgement (yielding), prints it and passes.
#   1 (reader)  waits for the flag (yielding), prints the message and the notice, checks that a
#               store to "notice" and a jump into "mail" (not executable) fault in its own trap
#               handler, acknowledges and passes.
# Only meaningful in a partition: on the bare machine the hypercall (WVCALL) is an illegal
# instruction.
#define UART 0x10000000
#define FINISHER 0x00100000
#define MAIL 0x90000000
#define NOTICE 0x90010000
#define FLAG (MAIL + 0x100)
#define ACK (MAIL + 0x104)
#define EID 0x08574d56
#define WVCALL .insn i 0x0b, 0, x0, x0, 0x576

  .section .text.init
  .globl _start
_start:
  la sp, stack_top
  la t0, trap
  csrw mtvec, t0
  li a7, EID
  li a6, 1
  WVCALL                    # a1 = partition index
  bnez a1, reader

writer:
  la a0, message            # copy the message (with its NUL) into "mail"
  li a1, MAIL
  call copy
  la a0, notice_text
  li a1, NOTICE
  call copy
  li t0, FLAG
  li t1, 1
  sw t1, 0(t0)
1:
  call yield
  li t0, ACK
  lw t1, 0(t0)
  beqz t1, 1b
  la a0, msg_acked
  call puts
  j pass

reader:
1:
  call yield
  li t0, FLAG
  lw t1, 0(t0)
  beqz t1, 1b
  la a0, msg_got
  call puts
  li a0, MAIL
  call puts
  la a0, msg_notice
  call puts
  li a0, NOTICE
  call puts
  la a0, msg_nl
  call puts
  # A store to the read-only mapping: store access fault (7) at NOTICE.
  la t0, after_store
  sw t0, resume, t1
  li t0, NOTICE
  sw zero, 0(t0)
  j fail                    # not reached if the store faulted
after_store:
  li t0, 7
  bne s0, t0, fail
  li t0, NOTICE
  bne s1, t0, fail
  la a0, msg_ro
  call puts
  # A jump into "mail", mapped without execute: instruction access fault (1) at MAIL.
  la t0, after_jump
  sw t0, resume, t1
  li t0, MAIL
  jalr t0
  j fail
after_jump:
  li t0, 1
  bne s0, t0, fail
  li t0, MAIL
  bne s1, t0, fail
  la a0, msg_nx
  call puts
  li t0, ACK
  li t1, 1
  sw t1, 0(t0)
  j pass

pass:
  li t0, FINISHER
  li t1, 0x5555
  sw t1, 0(t0)
1: j 1b
fail:
  la a0, msg_fail
  call puts
  li t0, FINISHER
  li t1, 0x13333            # code 1
  sw t1, 0(t0)
1: j 1b

yield:
  li a7, EID
  li a6, 2
  WVCALL
  ret

copy:                       # strcpy(a1, a0)
  lbu t0, 0(a0)
  sb t0, 0(a1)
  addi a0, a0, 1
  addi a1, a1, 1
  bnez t0, copy
  ret

puts:                       # a0 = string
  li t1, UART
1:
  lbu t0, 0(a0)
  beqz t0, 2f
  sb t0, 0(t1)
  addi a0, a0, 1
  j 1b
2:
  ret

  .align 2
trap:                       # s0 = mcause, s1 = mtval; continue at `resume`
  csrr s0, mcause
  csrr s1, mtval
  lw t0, resume
  beqz t0, fail
  sw zero, resume, t1
  csrw mepc, t0
  mret

  .section .rodata
message:     .asciz "hello from partition 0"
notice_text: .asciz "read-only for partition 1"
msg_got:     .asciz "reader: mail says \""
msg_notice:  .asciz "\", notice says \""
msg_nl:      .asciz "\"\n"
msg_ro:      .asciz "reader: a store to the read-only notice faulted\n"
msg_nx:      .asciz "reader: a jump into the mail (not executable) faulted\n"
msg_acked:   .asciz "writer: the reader acknowledged\n"
msg_fail:    .asciz "shm: FAIL\n"

  .data
  .align 2
resume: .word 0
  .bss
  .align 4
  .space 1024
stack_top:
