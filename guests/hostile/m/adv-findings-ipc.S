# Reproducer for an IPC finding of the adversarial suite (test/adversarial-findings.test.ts).
# Two partitions run this image; the partition index (hypercall FID 1) picks the role.
#
#   0, the server (active, higher priority, accepts protected calls on channel 0): it waits in
#      recv with a software interrupt pending, so recv returns at once (EV_NONE) as the SDK
#      says — like WFI. Then it computes with a0-a6 for a long time (many time windows) and
#      checks they still hold its values. Nothing may write them but itself: a call that
#      arrives while it is busy must wait until it calls recv again. Then it serves that call.
#   1, the client: one protected call to the server on channel 0 (label 1, MR0 = 42), prints the
#      reply.
#
# The server prints "registers intact" or what it found instead; then both finish (PASS).
#include "test.h"
TEST_NAME("adv-findings-ipc")

#define EID_WV 0x08574d56
#define WVCALL .insn i 0x0b, 0, x0, x0, 0x576
#define MSIE 0x8

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)
  li a7, EID_WV
  li a6, 1
  WVCALL
  bnez a1, client

  # ── Server ──
  li t0, MSIE                        # recv returns at once: an interrupt is pending (MIE off)
  csrw mie, t0
  li t1, CLINT_MSIP
  li t0, 1
  sw t0, 0(t1)
  li a7, EID_WV
  li a6, 6
  WVCALL
  CHECK(1, a0, 0)                    # EV_NONE
  li t1, CLINT_MSIP
  sw zero, 0(t1)
  csrw mie, zero
  # Busy with its own registers for a long time.
  li a0, 0x0a0a0a0a
  li a1, 0x0b0b0b0b
  li a2, 0x0c0c0c0c
  li a3, 0x0d0d0d0d
  li a4, 0x0e0e0e0e
  li a5, 0x0f0f0f0f
  li a6, 0x06060606
  li s0, 100000
1:
  li t0, 0x0a0a0a0a
  bne a0, t0, clobbered
  li t0, 0x0b0b0b0b
  bne a1, t0, clobbered
  li t0, 0x0c0c0c0c
  bne a2, t0, clobbered
  li t0, 0x0d0d0d0d
  bne a3, t0, clobbered
  li t0, 0x0e0e0e0e
  bne a4, t0, clobbered
  li t0, 0x0f0f0f0f
  bne a5, t0, clobbered
  li t0, 0x06060606
  bne a6, t0, clobbered
  addi s0, s0, -1
  bnez s0, 1b
  PRINT(msg_intact)
  j serve
clobbered:
  mv s1, a0
  mv s2, a1
  mv s3, a2
  PRINT(msg_clobbered)
  mv a0, s1
  call print_hex
  li a0, ' '
  call print_char
  mv a0, s2
  call print_hex
  li a0, ' '
  call print_char
  mv a0, s3
  call print_hex
  li a0, '\n'
  call print_char
serve:                               # now wait for the call and answer it: MR0 + 1
  li a7, EID_WV
  li a6, 6
  WVCALL
  CHECK(2, a0, 1)                    # EV_CALL
  addi a2, a2, 1
  li a1, 0x11
  li a7, EID_WV
  li a6, 5                           # reply (an active server)
  WVCALL
  CHECK(3, a0, 0)
  j done

  # ── Client ──
client:
  li a0, 0                           # channel 0
  li a1, 0x11                        # label 1, one register
  li a2, 42
  li a7, EID_WV
  li a6, 4
  WVCALL
  CHECK(10, a0, 0)
  CHECK(11, a2, 43)
  PRINT(msg_reply)
done:
  lw ra, 12(sp)
  addi sp, sp, 16
  ret

  .section .rodata
msg_intact:    .asciz "server: registers intact\n"
msg_clobbered: .asciz "server: a0, a1, a2 changed under it by a call it had not received: "
msg_reply:     .asciz "client: the reply came: 43\n"
