# Adversarial suite, the SBI between harts on different vNUMA nodes (test/vnuma-partition.test.ts):
# a supervisor-mode partition of 2 harts whose SBI calls to each other cross processes as messages
# (docs/vnuma.md, "A partition on nodes"). Both harts at once, each at the other, 200 times:
# remote SFENCE.VMA with hostile ranges (everything, huge, negative, wrapping) — so each waits
# for the other while the other waits for it; HSM status; hart_start of a running hart; IPIs,
# 2000 each way, in masks with base -1 and bits past the last hart (refused). Then hart 1 waits
# in WFI for an IPI, stops, is restarted with its opaque value and stops again; fences and IPIs
# to a stopped hart return; its status reads STOPPED. Every answer is checked (hart 1 counts
# wrong answers; hart 0 checks them and its own). The output is the same on one node and on two.
#include "test.h"
TEST_NAME("adv-sbi-nodes")

#define SSIP 2
#define ROUNDS 200
#define IPIS 2000

/* Count a wrong answer: unless register `reg` equals `expect`, add one to word `errs` (t0, t1). */
#define EXPECT(reg, expect, errs) li t0, expect; beq reg, t0, 1f; lw t0, errs; addi t0, t0, 1; sw t0, errs, t1; 1:

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  li a0, 1
  SBI(EID_HSM, 2)
  CHECK(1, a1, 1)                 # hart 1: STOPPED until started
  li a0, 1
  la a1, hart1_entry
  li a2, 0x5151
  SBI(EID_HSM, 0)
  CHECK(2, a0, 0)
  WAIT_FOR(h1_ready, 1)
  li t0, 1
  sw t0, go, t1                   # both storms start now

  # ── Hart 0's storm at hart 1 (hart 1 storms at hart 0 meanwhile) ──
  li s1, ROUNDS
21:
  andi s2, s1, 3                  # a hostile range each time: all, huge, negative, wrapping
  li a0, 2                        # mask: hart 1
  li a1, 0
  li a2, 0x40000000
  li a3, -1
  beqz s2, 22f
  li a3, 0x7fffffff
  addi s2, s2, -1
  beqz s2, 22f
  li a2, -4096
  li a3, -8192
  addi s2, s2, -1
  beqz s2, 22f
  li a2, 0xfffff000
  li a3, 0x3000
22:
  SBI(EID_RFENCE, 1)              # remote_sfence_vma: waits for hart 1, which may wait for us
  EXPECT(a0, 0, h0_errors)
  li a0, 2
  li a1, 0
  li a2, 0
  li a3, 0x1000
  li a4, 5
  SBI(EID_RFENCE, 2)              # remote_sfence_vma_asid, hart 1, ASID 5
  EXPECT(a0, 0, h0_errors)
  li a0, 1
  SBI(EID_HSM, 2)
  EXPECT(a0, 0, h0_errors)
  EXPECT(a1, 0, h0_errors)        # STARTED
  li a0, 1
  la a1, hart1_entry
  SBI(EID_HSM, 0)
  EXPECT(a0, ERR_ALREADY_AVAILABLE, h0_errors)
  li a0, 6                        # harts 1 and 2: hart 2 does not exist
  li a1, 0
  SBI(EID_IPI, 0)
  EXPECT(a0, ERR_INVALID_PARAM, h0_errors)
  addi s1, s1, -1
  bnez s1, 21b
  li s1, IPIS
23:
  li a0, 1
  li a1, 1                        # base 1, mask 1: hart 1
  SBI(EID_IPI, 0)
  EXPECT(a0, 0, h0_errors)
  addi s1, s1, -1
  bnez s1, 23b
  lw t2, h0_errors
  CHECK(3, t2, 0)                 # every answer hart 0 got was right
  WAIT_FOR(h1_ready, 2)
  lw t2, h1_errors
  CHECK(11, t2, 0)                # and every answer hart 1 got: fences,
  lw t2, h1_errors + 4
  CHECK(12, t2, 0)                # status (error, value),
  lw t2, h1_errors + 8
  CHECK(13, t2, 0)
  lw t2, h1_errors + 12
  CHECK(14, t2, 0)                # starts of a running hart,
  lw t2, h1_errors + 16
  CHECK(15, t2, 0)                # masks naming no hart,
  lw t2, h1_errors + 20
  CHECK(16, t2, 0)                # IPIs
  la a0, m_storm
  call print_str

  # ── Hart 1 waits in WFI for an IPI, then stops ──
  li t0, SSIP
  csrc sip, t0                    # (what hart 1's storm left pending here)
  li t0, 2
  sw t0, go, t1
  WAIT_FOR(h1_ready, 3)           # in WFI from now on (or about to be)
  li a0, 1
  li a1, 1
  SBI(EID_IPI, 0)
  CHECK(5, a0, 0)
  WAIT_FOR(h1_ready, 4)           # woke, stopping
24:
  li a0, 1
  SBI(EID_HSM, 2)
  CHECK(6, a0, 0)
  beqz a1, 24b                    # until STOPPED
  # fences and IPIs to a stopped hart return
  li a0, -1
  li a1, -1                       # base -1: every hart
  li a2, 0
  li a3, -1
  SBI(EID_RFENCE, 1)
  CHECK(7, a0, 0)
  li a0, 0
  li a1, -1
  SBI(EID_IPI, 0)
  CHECK(8, a0, 0)
  li t0, SSIP
  csrc sip, t0
  # restart hart 1 with its opaque value; it stops again
  li a0, 1
  la a1, hart1_again
  li a2, 0x7777
  SBI(EID_HSM, 0)
  CHECK(9, a0, 0)
  WAIT_FOR(h1_ready, 5)
  lw t2, h1_opaque
  CHECK(10, t2, 0x7777)
25:
  li a0, 1
  SBI(EID_HSM, 2)
  beqz a1, 25b
  la a0, m_stops
  call print_str

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

# ── hart 1 ───────────────────────────────────────────────────────────────────────────────────
hart1_entry:
  la sp, hart1_stack_top
  sw a1, h1_opaque, t0
  li t0, 1
  sw t0, h1_ready, t1
  WAIT_FOR(go, 1)
  li s1, ROUNDS
21:
  andi s2, s1, 3
  li a0, 1                        # mask: hart 0
  li a1, 0
  li a2, 0
  li a3, -1
  beqz s2, 22f
  li a3, 0x7ffff000
  addi s2, s2, -1
  beqz s2, 22f
  li a2, -8192
  li a3, -4096
  addi s2, s2, -1
  beqz s2, 22f
  li a2, 0xffffe000
  li a3, 0x4000
22:
  SBI(EID_RFENCE, 1)
  EXPECT(a0, 0, h1_errors)
  li a0, 0
  SBI(EID_HSM, 2)
  EXPECT(a0, 0, h1_errors + 4)
  EXPECT(a1, 0, h1_errors + 8)    # hart 0: STARTED
  li a0, 0
  la a1, hart1_entry
  SBI(EID_HSM, 0)
  EXPECT(a0, ERR_ALREADY_AVAILABLE, h1_errors + 12)
  li a0, 1
  li a1, 2                        # base 2: no such hart
  SBI(EID_IPI, 0)
  EXPECT(a0, ERR_INVALID_PARAM, h1_errors + 16)
  addi s1, s1, -1
  bnez s1, 21b
  li s1, IPIS
23:
  li a0, 1
  li a1, -1                       # base -1: every hart, this one too
  SBI(EID_IPI, 0)
  EXPECT(a0, 0, h1_errors + 20)
  addi s1, s1, -1
  bnez s1, 23b
  li t0, 2
  sw t0, h1_ready, t1
  WAIT_FOR(go, 2)
  li t0, SSIP
  csrc sip, t0                    # (its own storm's IPIs)
  csrs sie, t0                    # SSIE on, SIE off: WFI wakes for it, nothing is taken
  li t0, 3
  sw t0, h1_ready, t1
24:
  wfi
  csrr t0, sip
  andi t0, t0, SSIP
  beqz t0, 24b
  li t0, 4
  sw t0, h1_ready, t1
  SBI(EID_HSM, 1)                 # hart_stop: does not return
26:
  j 26b

hart1_again:
  la sp, hart1_stack_top
  sw a1, h1_opaque, t0
  li t0, 5
  sw t0, h1_ready, t1
  SBI(EID_HSM, 1)
27:
  j 27b

  .section .rodata
m_storm: .asciz "adv-sbi-nodes: fences with hostile ranges, status, starts and IPIs both ways at once, every answer right\n"
m_stops: .asciz "adv-sbi-nodes: woken from WFI, stopped, restarted with its value, stopped; fences and IPIs to it returned\n"

  .data
  .align 2
go:         .word 0
h1_ready:   .word 0
h1_opaque:  .word 0
h0_errors:  .word 0
h1_errors:  .word 0, 0, 0, 0, 0, 0 # fences, status error, status value, starts, bad IPIs, IPIs
  .align 4
hart1_stack: .space 2048
hart1_stack_top:
