# Sv32 from a supervisor-mode partition: the guest owns satp and its page tables, and every
# translation it gets goes through the hypervisor's shadow tables (or, in nested mode, a
# two-stage walk). Mapping, remapping and permission changes each followed by the SFENCE.VMA
# they need (per address, per ASID, global), hardware A/D updates visible in the guest's own
# PTEs, address spaces with distinct ASIDs that need no fence to switch, global mappings shared
# by the address spaces and fenced by address, SUM and MXR, U-mode
# code through a U alias, and PTEs that point outside the partition's RAM (access faults).
#
# Address spaces (root table `root`, ASID 1):
#   0x8000_0000  megapage, identity, RWX, S only   — this program, its data and tables
#   0xc000_0000  megapage → 0x8000_0000, RWX U     — the same code, for U-mode
#   0x0040_0000  megapage with ppn[0] ≠ 0          — misaligned superpage
#   0x4000_0000  level-0 table `l0`:
#     +0x0000 → pageA RW (A = D = 0)       +0x4000 → pageA R (made RW later)
#     +0x1000 → pageA R U                  +0x5000 → pageB (remapped to pageC later)
#     +0x2000 → pageA X only               +0x6000 → 0x9000_0000: no RAM there
#     +0x3000 → invalid (made valid later)  +0x7000 → pageA, global (in l0b too; remapped later)
# `root2` (ASID 2) has the same megapages and 0x4000_0000 → `l0b`, where +0x5000 → pageB.
#include "test.h"
TEST_NAME("sv32s")

#define V 0x01
#define R 0x02
#define W 0x04
#define X 0x08
#define U 0x10
#define G 0x20
#define A 0x40
#define D 0x80
#define SUM 0x40000
#define MXR 0x80000
#define SPP 0x100
#define VA 0x40000000
#define SATP_SV32 0x80000000

/* t0 = PTE for the physical address of label `lab` with `flags`. */
#define PTE_AT(lab, flags) la t0, lab; srli t0, t0, 12; slli t0, t0, 10; ori t0, t0, flags
/* Word `idx` of the table at label `tab` = t0 (uses t1, t3). */
#define PT_SET(tab, idx) la t1, tab; li t3, (idx) * 4; add t1, t1, t3; sw t0, 0(t1)
/* t0 = word `idx` of the table at label `tab` (uses t3). */
#define PT_GET(tab, idx) la t0, tab; li t3, (idx) * 4; add t0, t0, t3; lw t0, 0(t0)
/* satp = Sv32, asid, root table at label `tab` (uses t0, t1). */
#define SATP_SET(tab, asid) la t0, tab; srli t0, t0, 12; li t1, SATP_SV32 | ((asid) << 22); or t0, t0, t1; csrw satp, t0

/* Run `fn` in U-mode through its 0xc000_0000 alias; it must end in a trap with scause
 * `cause` (an ECALL: 8), after which the test goes on in S. */
#define USER_RUN(n, fn, cause) \
  li TESTNUM, n; la t6, 99f; sw t6, trap_resume, t5; \
  lw t5, trap_count; sw t5, trap_count_before, t6; \
  la t0, fn; li t1, 0x40000000; add t0, t0, t1; csrw sepc, t0; \
  li t0, SPP; csrc sstatus, t0; sret; \
  99: lw t5, trap_count; lw t6, trap_count_before; addi t6, t6, 1; bne t5, t6, test_fail_notrap; \
  lw t5, trap_mcause; li t6, cause; bne t5, t6, test_fail_values

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  # ── Build the tables ──
  li t0, (0x80000 << 10) | V | R | W | X | A | D
  PT_SET(root, 0x200)
  PT_SET(root2, 0x200)
  li t0, (0x80000 << 10) | V | R | W | X | U | A | D
  PT_SET(root, 0x300)
  PT_SET(root2, 0x300)
  li t0, (0x80001 << 10) | V | R | W | A | D
  PT_SET(root, 0x001)
  PTE_AT(l0, V)
  PT_SET(root, 0x100)
  PTE_AT(l0b, V)
  PT_SET(root2, 0x100)
  PTE_AT(pageA, V | R | W)
  PT_SET(l0, 0)
  PTE_AT(pageA, V | R | U | A)
  PT_SET(l0, 1)
  PTE_AT(pageA, V | X | A)
  PT_SET(l0, 2)
  PTE_AT(pageA, V | R | A)
  PT_SET(l0, 4)
  PTE_AT(pageB, V | R | W | A | D)
  PT_SET(l0, 5)
  PT_SET(l0b, 5)
  li t0, (0x90000 << 10) | V | R | W | A | D
  PT_SET(l0, 6)

  # ── Turn translation on (ASID 1); the code goes on through the identity megapage ──
  SATP_SET(root, 1)
  sfence.vma
  csrr a0, satp
  la t0, root
  srli t0, t0, 12
  li t1, SATP_SV32 | (1 << 22)
  or t0, t0, t1
  CHECK_REG(1, a0, t0)
  li a1, VA + 0x5000
  lw a0, 0(a1)
  CHECK(2, a0, 0xb0b0b0b0)

  # ── A/D: the walk sets A on a load and D on a store, in the guest's PTE ──
  li a1, VA
  lw a0, 0(a1)
  CHECK(10, a0, 0xa0a0a0a0)
  PT_GET(l0, 0)
  andi a0, t0, A | D
  CHECK(11, a0, A)
  li a1, VA
  li a2, 0x11111111
  sw a2, 8(a1)                      # a translation cached read-only must walk again for D
  PT_GET(l0, 0)
  andi a0, t0, A | D
  CHECK(12, a0, A | D)
  lw a0, pageA + 8
  CHECK(13, a0, 0x11111111)
  # Clear A and D, fence that page: the next load sets A again.
  PT_GET(l0, 0)
  andi t0, t0, ~(A | D)
  PT_SET(l0, 0)
  li a1, VA
  sfence.vma a1
  lw a0, 8(a1)
  CHECK(14, a0, 0x11111111)
  PT_GET(l0, 0)
  andi a0, t0, A | D
  CHECK(15, a0, A)

  # ── Permission change: read-only, store faults; made writable + SFENCE.VMA addr, it works ──
  li a1, VA + 0x4000
  lw a0, 12(a1)
  CHECK(20, a0, 0xa0a0a0a0)
  EXPECT_TRAP(21, 15, sw zero, 12(a1))
  CHECK_TVAL(22, VA + 0x400c)
  PTE_AT(pageA, V | R | W | A | D)
  PT_SET(l0, 4)
  li a1, VA + 0x4000
  sfence.vma a1
  li a2, 0x22222222
  sw a2, 12(a1)
  lw a0, pageA + 12
  CHECK(23, a0, 0x22222222)
  # …and back to read-only: after the fence the store faults again.
  PTE_AT(pageA, V | R | A)
  PT_SET(l0, 4)
  li a1, VA + 0x4000
  sfence.vma a1
  EXPECT_TRAP(24, 15, sw zero, 12(a1))

  # ── Remapping: +0x5000 moves from pageB to pageC ──
  PTE_AT(pageC, V | R | W | A | D)
  PT_SET(l0, 5)
  li a1, VA + 0x5000
  sfence.vma a1
  lw a0, 0(a1)
  CHECK(30, a0, 0xc0c0c0c0)

  # ── Invalid, then valid after a global fence ──
  li a1, VA + 0x3000
  EXPECT_TRAP(31, 13, lw a0, 4(a1))
  CHECK_TVAL(32, VA + 0x3004)
  EXPECT_TRAP(33, 15, sw a0, 4(a1))
  PTE_AT(pageB, V | R | W | A | D)
  PT_SET(l0, 3)
  sfence.vma
  li a1, VA + 0x3000
  lw a0, 4(a1)
  CHECK(34, a0, 0xb0b0b0b0)

  # ── SUM and MXR ──
  li a1, VA + 0x1000
  EXPECT_TRAP(40, 13, lw a0, 0(a1))          # a U page from S without SUM
  li t0, SUM
  csrs sstatus, t0
  lw a0, 0(a1)
  CHECK(41, a0, 0xa0a0a0a0)
  EXPECT_TRAP(42, 15, sw a0, 0(a1))          # a U page that is not writable
  li t0, SUM
  csrc sstatus, t0
  li a1, VA + 0x2000
  EXPECT_TRAP(43, 13, lw a0, 0(a1))          # execute-only
  li t0, MXR
  csrs sstatus, t0
  lw a0, 0(a1)
  CHECK(44, a0, 0xa0a0a0a0)
  li t0, MXR
  csrc sstatus, t0
  li a1, VA
  EXPECT_TRAP(45, 12, jalr a1)               # not executable
  CHECK_TVAL(46, VA)
  li a1, 0x00400000
  EXPECT_TRAP(47, 13, lw a0, 0(a1))          # misaligned megapage

  # ── A PTE naming guest-physical memory the partition does not have: access faults ──
  li a1, VA + 0x6000
  EXPECT_TRAP(50, 5, lw a0, 0(a1))
  CHECK_TVAL(51, VA + 0x6000)
  EXPECT_TRAP(52, 7, sw a0, 0(a1))
  # …and a table pointer outside RAM faults the walk itself.
  li t0, (0x90000 << 10) | V
  PT_SET(root, 0x180)
  sfence.vma
  li a1, 0x60000000
  EXPECT_TRAP(53, 5, lw a0, 0(a1))

  # ── Address spaces: ASID 2 sees pageB at +0x5000 while ASID 1 sees pageC, no fences ──
  SATP_SET(root2, 2)
  li a1, VA + 0x5000
  lw a0, 0(a1)
  CHECK(60, a0, 0xb0b0b0b0)
  SATP_SET(root, 1)
  lw a0, 0(a1)
  CHECK(61, a0, 0xc0c0c0c0)
  # Change ASID 2's mapping while ASID 1 runs; fence ASID 2 only; switch and see it.
  PTE_AT(pageA, V | R | W | A | D)
  PT_SET(l0b, 5)
  li t2, 2
  sfence.vma zero, t2
  lw a0, 0(a1)
  CHECK(62, a0, 0xc0c0c0c0)
  SATP_SET(root2, 2)
  lw a0, 0(a1)
  CHECK(63, a0, 0xa0a0a0a0)
  SATP_SET(root, 1)
  lw a0, 0(a1)
  CHECK(64, a0, 0xc0c0c0c0)

  # ── Global mappings (PTE.G), shared by every address space: +0x7000 → pageA in both
  #    roots. Remapped to pageC and fenced by address alone, both address spaces see pageC. ──
  PTE_AT(pageA, V | R | W | G | A | D)
  PT_SET(l0, 7)
  PT_SET(l0b, 7)
  sfence.vma
  li a1, VA + 0x7000
  lw a0, 0(a1)
  CHECK(65, a0, 0xa0a0a0a0)
  SATP_SET(root2, 2)
  lw a0, 0(a1)
  CHECK(66, a0, 0xa0a0a0a0)
  PTE_AT(pageC, V | R | W | G | A | D)
  PT_SET(l0, 7)
  PT_SET(l0b, 7)
  li a1, VA + 0x7000
  sfence.vma a1                               # every address space, global mappings included
  lw a0, 0(a1)
  CHECK(67, a0, 0xc0c0c0c0)
  SATP_SET(root, 1)
  lw a0, 0(a1)
  CHECK(68, a0, 0xc0c0c0c0)
  # An ASID fence keeps global mappings, but a global change fenced x0, x0 is seen.
  PTE_AT(pageB, V | R | W | G | A | D)
  PT_SET(l0, 7)
  PT_SET(l0b, 7)
  sfence.vma
  li a1, VA + 0x7000
  lw a0, 0(a1)
  CHECK(69, a0, 0xb0b0b0b0)

  # ── U-mode through the U alias ──
  li a1, VA + 0x1000                         # a U page
  li a2, 0
  USER_RUN(70, user_load, 8)                 # it loads, then ECALLs
  CHECK(71, a2, 0xa0a0a0a0)
  lw a0, trap_from_priv
  CHECK(72, a0, 0)
  li a1, VA                                  # an S page
  USER_RUN(73, user_load, 13)
  CHECK_TVAL(74, VA)
  # U cannot execute S code: its own pc at the S-only identity mapping faults.
  li TESTNUM, 75
  la t6, 98f
  sw t6, trap_resume, t5
  la t0, user_load
  csrw sepc, t0
  li t0, SPP
  csrc sstatus, t0
  sret
98:
  lw a0, trap_mcause
  CHECK(76, a0, 12)
  la a1, user_load
  lw a0, trap_mtval
  CHECK_REG(77, a0, a1)

  # ── Translation off again: physical addresses ──
  csrw satp, zero
  sfence.vma
  lw a0, pageC
  CHECK(80, a0, 0xc0c0c0c0)

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

user_load:
  lw a2, 0(a1)
  ecall
1: j 1b

  .data
  .align 12
root:  .space 4096
root2: .space 4096
l0:    .space 4096
l0b:   .space 4096
pageA: .fill 1024, 4, 0xa0a0a0a0
pageB: .fill 1024, 4, 0xb0b0b0b0
pageC: .fill 1024, 4, 0xc0c0c0c0
