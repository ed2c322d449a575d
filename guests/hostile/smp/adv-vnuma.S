# Adversarial suite, shared memory (test/vnuma.test.ts): two harts, the attacker (hart 1) on
# another vNUMA node than hart 0 when run with --nodes 2 (docs/vnuma.md), where every page it
# touches comes through the shared memory protocol — and the same program on one node, where the
# output must be the same. The attacker points its accesses where the protocol must not go:
#
#   0 (the host's kernel state), the top of the 32-bit space, just past RAM: access faults;
#   a word straddling the end of RAM, loaded and stored: access faults, no byte written;
#   the last word of RAM (its own node's memory): an AMO that must land;
#   a word across two pages of hart 0's node: written whole;
#   LR/SC on the page hart 0 wrote last: the increment seen by hart 0.
#
# Every fault is taken by this program's own handler (a load or store access fault, skipped);
# any other trap fails. Needs the default 128 MiB of RAM and 2 harts.
#define UART      0x10000000
#define FINISHER  0x100000
#define MTIMECMP  0x2004000
#define MAXHARTS  8
#define RAM_END   0x88000000

#define RT_MACROS
#include "harts.S"
#undef RT_MACROS

  harts_entry
  li t0, MAXHARTS
  bgeu s0, t0, park
  harts_find_and_wait
  la t0, skip
  csrw mtvec, t0
  li s10, 0                  # this hart's faults
  li t0, 1
  beq s0, t0, attacker
  bnez s0, bystander

# ── hart 0: the pattern, the wait, the checks ────────────────────────────────────────────────
  la t0, pattern
  li t1, 0x11223344
  sw t1, 0(t0)
  la a0, start_arrived
  call barrier
  la a0, end_arrived
  call barrier
  li s4, 0                   # failures
  la t0, attacker_faults
  lw t1, 0(t0)
  li t2, 5
  beq t1, t2, 1f
  addi s4, s4, 1
1:
  li t0, RAM_END - 4
  lw t1, 0(t0)               # the AMO's 5, no byte of the faulting store
  li t2, 5
  beq t1, t2, 2f
  addi s4, s4, 1
2:
  la t0, boundary
  lhu t1, -2(t0)
  lhu t2, 0(t0)
  li t3, 0xccdd
  beq t1, t3, 3f
  addi s4, s4, 1
3:
  li t3, 0xaabb
  beq t2, t3, 4f
  addi s4, s4, 1
4:
  la t0, pattern
  lw t1, 0(t0)
  li t2, 0x11223345
  beq t1, t2, 5f
  addi s4, s4, 1
5:
  bnez s10, fail_trap        # (hart 0 takes no fault)
  bnez s4, 6f
  la a0, m_faults
  call puts
  la a0, m_seen
  call puts
6:
  call harts_count_report
  la a0, m_ok
  j harts_finish
fail_trap:
  j trap

# ── hart 1: the attacks ─────────────────────────────────────────────────────────────────────
attacker:
  la a0, start_arrived
  call barrier
  .option push
  .option norvc              # (4-byte instructions: the handler skips 4)
  li t0, 0
  lw t1, 0(t0)               # 1: kernel state
  li t0, 0xfffffffc
  lw t1, 0(t0)               # 2: the top of the space
  li t0, RAM_END
  sw t1, 0(t0)               # 3: just past RAM
  li t0, RAM_END - 2
  lw t1, 0(t0)               # 4: a word straddling the end of RAM
  li t1, 0x55667788
  sw t1, 0(t0)               # 5: stored straddling it: no byte written
  li t0, RAM_END - 4
  li t1, 5
  amoadd.w zero, t1, (t0)    # the last word of RAM
  la t0, boundary
  li t1, 0xaabbccdd
  sw t1, -2(t0)              # a word across two pages
  la t0, pattern
7:
  lr.w t1, (t0)
  addi t1, t1, 1
  sc.w t2, t1, (t0)
  bnez t2, 7b
  .option pop
  la t0, attacker_faults
  sw s10, 0(t0)
  la a0, end_arrived
  call barrier
  j park

bystander:                   # (harts beyond 1 meet the barriers and park)
  la a0, start_arrived
  call barrier
  la a0, end_arrived
  call barrier
  j park

# A load or store access fault: counted and skipped; anything else fails.
  .align 2
skip:
  csrr t6, mcause
  addi t6, t6, -5
  beqz t6, 8f
  addi t6, t6, -2
  bnez t6, trap
8:
  addi s10, s10, 1
  csrr t6, mepc
  addi t6, t6, 4
  csrw mepc, t6
  mret

#include "harts.S"

  .section .rodata
m_faults:   .asciz "adv-vnuma: 0, the top of the space, past RAM and both ways across its end faulted, nothing written\n"
m_seen:     .asciz "adv-vnuma: an AMO on the last word, a word across two pages, LR/SC on the other hart's page: all landed\n"
m_ok:       .asciz "adv-vnuma: PASS\n"
m_fail:     .asciz "adv-vnuma: FAIL\n"
m_trap:     .asciz "adv-vnuma: unexpected trap\n"

  .data
  .align 6
attacker_faults: .word 0
  .align 12
pattern:   .word 0
  .space 4092
boundary:  .word 0
