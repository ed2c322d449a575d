# Sv32 virtual memory (privileged spec 1.12 §4.3): translation through two-level tables,
# megapages, every permission rule (R/W/X, U, SUM, MXR, MPRV), the reserved and malformed PTE
# cases, hardware A/D updates, SFENCE.VMA after remapping, satp switches between address spaces
# with ASIDs, page faults delegated to S, and physical addresses beyond 4 GiB.
#
# Address spaces built by the test (root table `root`):
#   0x8000_0000  megapage, identity, RWX, S only  — code and data for S-mode
#   0xc000_0000  megapage → 0x8000_0000, RWX U    — the same code, executable from U-mode
#   0x0040_0000  megapage with ppn[0] ≠ 0         — misaligned superpage
#   0x4000_0000  level-0 table `l0`:
#     +0x0000 → pageA  RW (A = D = 0)     +0x4000 → pageA  W only (reserved)
#     +0x1000 → pageA  R U                +0x5000 → pageB  RW (remapped to pageC later)
#     +0x2000 → pageA  X only             +0x6000 → pageA  RW U
#     +0x3000 → invalid (V = 0)           +0x7000 → pointer at level 0 (malformed)
#                                         +0x8000 → pa above 4 GiB
# A second root `root2` maps 0x4000_5000 → pageC, for satp/ASID switches.
#include "test.h"
TEST_NAME("sv32")

/* Call `fn` in U-mode through its 0xc000_0000 alias; it ends with ECALL (back in M). */
#define USER_CALL(fn) \
  la t0, fn; li t1, 0x40000000; add t0, t0, t1; csrw mepc, t0; \
  li t0, 0x1800; csrc mstatus, t0; mret

/* Store t0 / load t0 at word `idx` of the table at register `base` (uses t1). */
#define PT_SW(base, idx) li t1, (idx) * 4; add t1, base, t1; sw t0, 0(t1)
#define PT_LW(base, idx) li t1, (idx) * 4; add t1, base, t1; lw t0, 0(t1)
/* t0 = PTE for the physical address of label `lab` with `flags`. */
#define PTE_AT(lab, flags) la t0, lab; srli t0, t0, 12; slli t0, t0, 10; ori t0, t0, flags

#define V 0x01
#define R 0x02
#define W 0x04
#define X 0x08
#define U 0x10
#define A 0x40
#define D 0x80
#define SUM 0x40000
#define MXR 0x80000
#define MPRV 0x20000

#define VA 0x40000000

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  # ── Build the tables ──
  la a0, root
  li t0, (0x80000 << 10) | V | R | W | X | A | D      # identity megapage at 0x8000_0000
  PT_SW(a0, 0x200)
  li t0, (0x80000 << 10) | V | R | W | X | U | A | D  # U alias at 0xc000_0000
  PT_SW(a0, 0x300)
  li t0, (0x80001 << 10) | V | R | W | A | D          # misaligned megapage at 0x0040_0000
  PT_SW(a0, 0x001)
  PTE_AT(l0, V)                                       # 0x4000_0000 → l0
  PT_SW(a0, 0x100)
  la a1, l0
  PTE_AT(pageA, V | R | W)
  sw t0, 0(a1)
  PTE_AT(pageA, V | R | U | A)
  sw t0, 4(a1)
  PTE_AT(pageA, V | X | A)
  sw t0, 8(a1)
  sw zero, 12(a1)
  PTE_AT(pageA, V | W | A | D)
  sw t0, 16(a1)
  PTE_AT(pageB, V | R | W | A | D)
  sw t0, 20(a1)
  PTE_AT(pageA, V | R | W | U | A | D)
  sw t0, 24(a1)
  PTE_AT(l0, V)                                       # non-leaf at level 0
  sw t0, 28(a1)
  li t0, (0x300000 << 10) | V | R | W | A | D         # ppn with bit 21 set: pa ≥ 4 GiB
  sw t0, 32(a1)
  # root2: the same megapages, and 0x4000_0000 → l0b, where +0x5000 → pageC.
  la a0, root
  la a2, root2
  PT_LW(a0, 0x200)
  PT_SW(a2, 0x200)
  PT_LW(a0, 0x300)
  PT_SW(a2, 0x300)
  PTE_AT(l0b, V)
  PT_SW(a2, 0x100)
  la a1, l0b
  PTE_AT(pageC, V | R | W | A | D)
  sw t0, 20(a1)

  la t0, root
  srli t0, t0, 12
  li t1, 0x80000000 | (1 << 22)     # Sv32, ASID 1
  or t0, t0, t1
  csrw satp, t0
  mv s10, t0                        # satp for root
  sfence.vma

  # ── S-mode: basic translation and hardware A/D updates ──
  li a1, VA
  EXPECT_TRAP(1, 9, ENTER_PRIV(1); lw a0, 0(a1); ecall)
  la a2, l0
  lw a0, 0(a2)
  andi a0, a0, A | D
  CHECK(2, a0, A)                   # the load set A only
  EXPECT_TRAP(3, 9, ENTER_PRIV(1); li t0, 0x5a5a; sw t0, 4(a1); ecall)
  lw a0, 0(a2)
  andi a0, a0, A | D
  CHECK(4, a0, A | D)               # the store set D
  la a2, pageA
  lw a0, 4(a2)
  CHECK(5, a0, 0x5a5a)              # it reached pageA
  lw a0, 0(a2)
  CHECK(6, a0, 0xa0a0a0a0)

  # ── U pages from S: SUM ──
  li a1, VA + 0x1000
  EXPECT_TRAP(10, 13, ENTER_PRIV(1); lw a0, 0(a1))
  CHECK_TVAL(11, VA + 0x1000)
  li t0, SUM
  csrs mstatus, t0
  EXPECT_TRAP(12, 9, ENTER_PRIV(1); lw a0, 0(a1); ecall)
  CHECK(13, a0, 0xa0a0a0a0)
  EXPECT_TRAP(14, 15, ENTER_PRIV(1); sw a0, 0(a1))     # R-only page: store fault even with SUM
  li t0, SUM
  csrc mstatus, t0
  # S-mode never executes a U page, SUM or not.
  li t0, SUM
  csrs mstatus, t0
  li a1, 0xc0000000
  EXPECT_TRAP(15, 12, ENTER_PRIV(1); jr a1)
  CHECK_TVAL(16, 0xc0000000)
  li t0, SUM
  csrc mstatus, t0

  # ── U-mode: only U pages ──
  li a1, VA + 0x6000
  EXPECT_TRAP(20, 8, USER_CALL(user_load))
  CHECK(21, a0, 0xa0a0a0a0)
  li a1, VA
  EXPECT_TRAP(22, 13, USER_CALL(user_load))           # S-only page
  li a1, VA + 0x1000
  EXPECT_TRAP(23, 15, USER_CALL(user_store))          # U page without W
  li a1, 0x80000000
  EXPECT_TRAP(24, 12, USER_CALL(user_jump))           # fetch from an S-only page

  # ── MXR: loads from execute-only pages ──
  li a1, VA + 0x2000
  EXPECT_TRAP(30, 13, ENTER_PRIV(1); lw a0, 0(a1))
  li t0, MXR
  csrs mstatus, t0
  EXPECT_TRAP(31, 9, ENTER_PRIV(1); lw a0, 0(a1); ecall)
  CHECK(32, a0, 0xa0a0a0a0)
  li t0, MXR
  csrc mstatus, t0

  # ── Malformed and missing entries ──
  li a1, VA + 0x3000
  EXPECT_TRAP(40, 13, ENTER_PRIV(1); lw a0, 0(a1))    # V = 0
  EXPECT_TRAP(41, 15, ENTER_PRIV(1); sw a0, 0(a1))
  li a1, VA + 0x4000
  EXPECT_TRAP(42, 13, ENTER_PRIV(1); lw a0, 0(a1))    # W without R is reserved
  li a1, VA + 0x7000
  EXPECT_TRAP(43, 13, ENTER_PRIV(1); lw a0, 0(a1))    # pointer PTE at level 0
  li a1, 0x00400000
  EXPECT_TRAP(44, 13, ENTER_PRIV(1); lw a0, 0(a1))    # misaligned megapage
  li a1, VA + 0x8000
  EXPECT_TRAP(45, 5, ENTER_PRIV(1); lw a0, 0(a1))     # pa ≥ 4 GiB: access fault
  li a1, 0x10000000                                   # nothing mapped at 0x1000_0000
  EXPECT_TRAP(46, 12, ENTER_PRIV(1); jr a1)
  CHECK_TVAL(47, 0x10000000)
  lw a0, trap_mepc
  CHECK(48, a0, 0x10000000)

  # ── MPRV: M-mode loads and stores translated as MPP ──
  li a1, VA
  li t0, MPRV | 0x800               # MPRV, MPP = S
  csrs mstatus, t0
  lw a0, 4(a1)
  li t0, MPRV | 0x1800
  csrc mstatus, t0
  CHECK(50, a0, 0x5a5a)
  # MPP = U: the S-only page faults. (MPRV is set inside the block: the macro's own stores
  # must not be translated.) The trap sets MPP = M, so the handler runs untranslated.
  EXPECT_TRAP(51, 13, li t0, MPRV; csrs mstatus, t0; lw a0, 4(a1))
  li t0, MPRV | 0x1800
  csrc mstatus, t0
  lw a0, trap_from_priv
  CHECK(52, a0, 3)                  # the fault was raised in M-mode
  # MRET to S clears MPRV (priv 1.12 §3.1.6.3).
  EXPECT_TRAP(53, 9, li t0, MPRV; csrs mstatus, t0; ENTER_PRIV(1); ecall)
  csrr a0, mstatus
  li t1, MPRV
  and a0, a0, t1
  CHECK(54, a0, 0)

  # ── Remapping needs SFENCE.VMA; then the new mapping is seen ──
  li a1, VA + 0x5000
  EXPECT_TRAP(60, 9, ENTER_PRIV(1); lw a0, 0(a1); ecall)
  CHECK(61, a0, 0xb0b0b0b0)
  la a2, l0
  PTE_AT(pageC, V | R | W | A | D)
  sw t0, 20(a2)
  EXPECT_TRAP(62, 9, ENTER_PRIV(1); sfence.vma a1, zero; lw a0, 0(a1); ecall)
  CHECK(63, a0, 0xc0c0c0c0)
  PTE_AT(pageB, V | R | W | A | D)
  sw t0, 20(a2)
  EXPECT_TRAP(64, 9, ENTER_PRIV(1); sfence.vma; lw a0, 0(a1); ecall)
  CHECK(65, a0, 0xb0b0b0b0)
  # Permission change: make the page read-only, fence, a store faults.
  PTE_AT(pageB, V | R | A | D)
  sw t0, 20(a2)
  EXPECT_TRAP(66, 15, ENTER_PRIV(1); sfence.vma a1; sw a0, 0(a1))
  PTE_AT(pageB, V | R | W | A | D)
  sw t0, 20(a2)
  sfence.vma

  # ── satp switch between address spaces (ASIDs 1 and 2) ──
  la t0, root2
  srli t0, t0, 12
  li t1, 0x80000000 | (2 << 22)
  or t0, t0, t1
  mv s9, t0
  li a1, VA + 0x5000
  EXPECT_TRAP(70, 9, ENTER_PRIV(1); csrw satp, s9; lw a0, 0(a1); ecall)
  CHECK(71, a0, 0xc0c0c0c0)
  EXPECT_TRAP(72, 9, ENTER_PRIV(1); csrw satp, s10; lw a0, 0(a1); ecall)
  CHECK(73, a0, 0xb0b0b0b0)
  csrr a0, satp
  CHECK_REG(74, a0, s10)

  # ── Page faults delegated to S: the S handler sees scause and stval ──
  la t0, s_trap_entry
  csrw stvec, t0
  li t0, (1 << 12) | (1 << 13) | (1 << 15)
  csrw medeleg, t0
  sw zero, s_trap_count, t0
  li a1, VA + 0x3000
  EXPECT_TRAP(80, 9, ENTER_PRIV(1); lw a0, 0(a1))     # S handler, then ECALL from S
  lw a0, s_trap_scause
  CHECK(81, a0, 13)
  lw a0, s_trap_stval
  CHECK(82, a0, VA + 0x3000)
  csrw medeleg, zero

  # ── Bare mode again ──
  csrw satp, zero
  sfence.vma
  li a1, VA
  EXPECT_TRAP(90, 9, ENTER_PRIV(1); li a1, 0x80000000; lw a0, 0(a1); ecall)

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

# U-mode helpers (run through the 0xc000_0000 alias; a1 = address)
user_load:
  lw a0, 0(a1)
  ecall
user_store:
  sw a0, 0(a1)
  ecall
user_jump:
  jr a1

  .data
  .align 12
root:  .space 4096
root2: .space 4096
l0:    .space 4096
l0b:   .space 4096
pageA: .fill 1024, 4, 0xa0a0a0a0
pageB: .fill 1024, 4, 0xb0b0b0b0
pageC: .fill 1024, 4, 0xc0c0c0c0
