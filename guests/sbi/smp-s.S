# SBI on two harts of a supervisor-mode partition ("harts": 2; test/smp.test.ts): HSM starts,
# stops and restarts hart 1 with the start address and opaque value it is given; a remote
# SFENCE.VMA (RFENCE) really drops the translation hart 1 cached while hart 0 remapped its page
# (without the fence hart 1 still sees the old page: its own TLB and shadow table); IPIs raise
# SSIP on the harts named, and masks naming a hart that does not exist are refused.
# Hart 1 prints one line through the SBI console and asks which partition it is in (the wasmvisor
# hypercall); otherwise it only stores what it saw: hart 0 checks everything and prints.
#include "test.h"
TEST_NAME("smp-s")

#define V 0x01
#define R 0x02
#define W 0x04
#define X 0x08
#define A 0x40
#define D 0x80
#define VA 0x40000000
#define SATP_SV32 0x80000000
#define SSIP 2
#define EID_WASMVISOR 0x08574d56

#define PTE_AT(lab, flags) la t0, lab; srli t0, t0, 12; slli t0, t0, 10; ori t0, t0, flags
#define PT_SET(tab, idx) la t1, tab; li t3, (idx) * 4; add t1, t1, t3; sw t0, 0(t1)

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  # ── HSM status and bad hart ids ──
  li a0, 1
  SBI(EID_HSM, 2)
  CHECK(1, a0, 0)
  CHECK(2, a1, 1)                 # hart 1: STOPPED until started
  li a0, 2
  SBI(EID_HSM, 2)
  CHECK(3, a0, ERR_INVALID_PARAM) # no hart 2
  li a0, 2
  la a1, hart1_entry
  SBI(EID_HSM, 0)
  CHECK(4, a0, ERR_INVALID_PARAM)
  li a0, 0
  la a1, hart1_entry
  SBI(EID_HSM, 0)
  CHECK(5, a0, ERR_ALREADY_AVAILABLE) # hart 0 runs

  # ── Page tables shared by both harts: identity megapage, VA → pageA ──
  li t0, (0x80000 << 10) | V | R | W | X | A | D
  PT_SET(root, 0x200)
  PTE_AT(l0, V)
  PT_SET(root, 0x100)
  PTE_AT(pageA, V | R | W | A | D)
  PT_SET(l0, 0)
  la t0, root
  srli t0, t0, 12
  li t1, SATP_SV32 | (1 << 22)
  or t0, t0, t1
  sw t0, satp_value, t1
  csrw satp, t0
  sfence.vma

  # ── Start hart 1 ──
  li a0, 1
  la a1, hart1_entry
  li a2, 0x1234
  SBI(EID_HSM, 0)
  CHECK(6, a0, 0)
  li a0, 1
  la a1, hart1_entry
  SBI(EID_HSM, 0)
  CHECK(7, a0, ERR_ALREADY_AVAILABLE)
  li a0, 1
  SBI(EID_HSM, 2)
  CHECK(8, a1, 0)                 # STARTED
  WAIT_FOR(h1_step, 1)
  lw t2, h1_a0
  CHECK(9, t2, 1)                 # a0 = hart id
  lw t2, h1_a1
  CHECK(10, t2, 0x1234)           # a1 = opaque
  lw t2, h1_satp
  CHECK(11, t2, 0)                # started with translation off
  lw t2, h1_seen
  CHECK(12, t2, 0xaaaa)           # hart 1 read pageA through VA
  li a0, 0
  SBI(EID_WASMVISOR, 1)           # this partition's number
  lw t2, h1_partition
  CHECK_REG(28, t2, a1)           # hart 1 is in the same partition

  # ── Remap VA to pageB, fence only here: hart 1 keeps its cached translation ──
  PTE_AT(pageB, V | R | W | A | D)
  PT_SET(l0, 0)
  sfence.vma
  li t0, VA
  lw t2, 0(t0)
  CHECK(13, t2, 0xbbbb)           # hart 0 sees the new page
  li t0, 2
  sw t0, go, t1
  WAIT_FOR(h1_step, 2)
  lw t2, h1_seen
#ifndef VNUMA
  CHECK(14, t2, 0xaaaa)           # hart 1: still the old one (no fence for it)
#else
  # (on vNUMA nodes hart 0's store moved the page table's page to its node, and hart 1's node
  # dropped every translation first: hart 1 may see either page, as the ISA allows)
#endif

  # ── Remote SFENCE.VMA for hart 1, at VA ──
  li a0, 2                        # hart mask: hart 1
  li a1, 0
  li a2, VA
  li a3, 4096
  SBI(EID_RFENCE, 1)
  CHECK(15, a0, 0)
  li t0, 3
  sw t0, go, t1
  WAIT_FOR(h1_step, 3)
  lw t2, h1_seen
  CHECK(16, t2, 0xbbbb)           # now hart 1 sees pageB

  # ── Remap again, fence every hart with mask base -1, size -1 (everything) ──
  PTE_AT(pageC, V | R | W | A | D)
  PT_SET(l0, 0)
  li a0, 0
  li a1, -1
  li a2, 0
  li a3, -1
  SBI(EID_RFENCE, 1)
  CHECK(17, a0, 0)
  li t0, VA
  lw t2, 0(t0)
  CHECK(18, t2, 0xcccc)           # the caller is named too
  li t0, 4
  sw t0, go, t1
  WAIT_FOR(h1_step, 4)
  lw t2, h1_seen
  CHECK(19, t2, 0xcccc)

  # ── IPIs: bad masks, hart 1 woken from WFI, every hart (base -1) ──
  li a0, 4
  li a1, 0
  SBI(EID_IPI, 0)
  CHECK(20, a0, ERR_INVALID_PARAM) # hart 2 does not exist
  li a0, 1
  li a1, 2
  SBI(EID_IPI, 0)
  CHECK(21, a0, ERR_INVALID_PARAM) # base 2 does not exist
  li t0, 5
  sw t0, go, t1
  WAIT_FOR(h1_step, 5)             # hart 1 waits in WFI with SSIE on
  li a0, 2
  li a1, 0
  SBI(EID_IPI, 0)
  CHECK(22, a0, 0)
  WAIT_FOR(h1_step, 6)
  csrr t2, sip
  andi t2, t2, SSIP
  CHECK(23, t2, 0)                 # not named: no SSIP here
  li a0, 0
  li a1, -1
  SBI(EID_IPI, 0)
  csrr t2, sip
  andi t2, t2, SSIP
  CHECK(24, t2, SSIP)              # base -1: this hart too
  li t0, SSIP
  csrc sip, t0
  WAIT_FOR(h1_step, 7)             # and hart 1

  # ── hart 1 stopped itself (hart_stop); start it again elsewhere ──
2:
  li a0, 1
  SBI(EID_HSM, 2)
  beqz a1, 2b                      # until STOPPED
  CHECK(25, a1, 1)
  li a0, 1
  la a1, hart1_again
  li a2, 77
  SBI(EID_HSM, 0)
  CHECK(26, a0, 0)
  WAIT_FOR(h1_step, 8)
  lw t2, h1_a1
  CHECK(27, t2, 77)

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

# ── hart 1 ───────────────────────────────────────────────────────────────────────────────────
hart1_entry:
  la sp, hart1_stack_top
  sw a0, h1_a0, t0
  sw a1, h1_a1, t0
  csrr t0, satp
  sw t0, h1_satp, t1
  lw t0, satp_value
  csrw satp, t0
  sfence.vma
  li t0, VA
  lw t2, 0(t0)                     # caches VA → pageA
  sw t2, h1_seen, t1
  la a0, m_hart1
  call print_str                   # the SBI console reads the caller's registers
  SBI(EID_WASMVISOR, 1)
  sw a1, h1_partition, t0
  li t0, 1
  sw t0, h1_step, t1
  # (step 2: read again without a fence; 3 and 4: after remote fences)
  li s0, 2
3:
  lw t0, go
  bne t0, s0, 3b
  li t0, VA
  lw t2, 0(t0)
  sw t2, h1_seen, t1
  sw s0, h1_step, t1
  addi s0, s0, 1
  li t0, 5
  bne s0, t0, 3b
  # step 5: wait for an IPI in WFI (SSIE on, SIE off: WFI still wakes)
  li t2, 5
8:
  lw t0, go
  bne t0, t2, 8b
  li t0, SSIP
  csrs sie, t0
  li t0, 5
  sw t0, h1_step, t1
4:
  wfi
  csrr t0, sip
  andi t0, t0, SSIP
  beqz t0, 4b
  li t0, SSIP
  csrc sip, t0
  li t0, 6
  sw t0, h1_step, t1
5:
  csrr t0, sip                      # the IPI to every hart
  andi t0, t0, SSIP
  beqz t0, 5b
  li t0, SSIP
  csrc sip, t0
  li t0, 7
  sw t0, h1_step, t1
  SBI(EID_HSM, 1)                   # hart_stop: does not return
6:
  j 6b

hart1_again:
  la sp, hart1_stack_top
  sw a1, h1_a1, t0
  li t0, 8
  sw t0, h1_step, t1
  SBI(EID_HSM, 1)
7:
  j 7b

  .data
  .align 2
satp_value: .word 0
go:         .word 0
h1_step:    .word 0
h1_a0:      .word -1
h1_a1:      .word -1
h1_satp:    .word -1
h1_seen:    .word 0
h1_partition: .word -1
m_hart1:    .asciz "smp-s: hart 1 started\n"
  .align 12
root:       .space 4096
l0:         .space 4096
pageA:      .word 0xaaaa
  .align 12
pageB:      .word 0xbbbb
  .align 12
pageC:      .word 0xcccc
  .align 12
hart1_stack: .space 2048
hart1_stack_top:
