# Physical memory protection (privileged spec 1.12 §3.7) with 16 entries: the CSRs' WARL
# behaviour, NA4, NAPOT and TOR matching, priority (the lowest-numbered matching entry decides),
# S/U accesses that no entry matches, M-mode accesses (free unless an entry is locked), MPRV,
# page-table walks checked as S-mode accesses, sub-page granularity (a denied word inside an
# allowed page), changes taking effect at once, and the lock rules (a locked entry binds M and
# ignores writes to its configuration and address, and to the address below a locked TOR entry).
# Locked entries stay until reset, so the lock tests come last.
#include "test.h"
TEST_NAME("pmp")

#define A_TOR   0x08
#define A_NA4   0x10
#define A_NAPOT 0x18
#define L       0x80
#define RWX     0x07
#define R       0x01
#define RW      0x03
#define MPRV    0x20000

/* Code in U-mode: it must run to its ECALL (cause 8), or fault with `cause`. */
#define U_OK(n, code...)           EXPECT_TRAP(n, 8, ENTER_PRIV(0); code; ecall)
#define U_FAULT(n, cause, code...) EXPECT_TRAP(n, cause, ENTER_PRIV(0); code)
/* The last trap's mtval must equal register `reg`. */
#define TVAL_IS(n, reg)            lw t4, trap_mtval; CHECK_REG(n, t4, reg)

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)
  la s0, page_p                     # page P; page Q = P + 4 KiB

  # ── The address registers hold any value (csr-warl.S checks the configuration's WARL bits) ──
  li t0, 0xdeadbeef
  csrw pmpaddr1, t0
  csrr a0, pmpaddr1
  CHECK(1, a0, 0xdeadbeef)
  csrw pmpaddr1, zero

  # ── Layout: entry 15 is RWX over everything (the background); entries 0-14 off ──
  li t0, -1
  csrw pmpaddr15, t0
  li t0, (A_NAPOT | RWX) << 24
  csrw pmpcfg3, t0
  csrw pmpcfg0, zero
  csrw pmpcfg1, zero
  csrw pmpcfg2, zero
  addi a1, s0, 8
  U_OK(10, lw a0, 0(a1); sw a0, 0(a1))

  # ── NA4: entry 0 denies the word at P + 8; its neighbours stay allowed, however often they are
  # touched (a page with a denied word is never cached whole) ──
  srli t0, a1, 2
  csrw pmpaddr0, t0
  li t0, A_NA4
  csrw pmpcfg0, t0
  U_FAULT(11, 5, lw a0, 0(a1))
  TVAL_IS(12, a1)
  U_FAULT(13, 7, sw a0, 0(a1))
  addi a2, s0, 4
  addi a3, s0, 12
  U_OK(14, lw a0, 0(a2); lw a0, 0(a3); sw a0, 0(a2); lw a0, 0(a2); lw a0, 0(a3); sw a0, 0(a3))
  U_FAULT(15, 5, lw a0, 0(a2); lw a0, 0(a3); lw a0, 0(a1))
  lw a0, 0(a1)                      # M-mode: an unlocked entry does not bind it
  sw a0, 0(a1)

  # ── Priority: entry 0 (NA4, R only) inside entry 1 (NAPOT over P, no access): the lower
  # number decides ──
  li t0, A_NA4 | R
  csrw pmpcfg0, t0
  srli t0, s0, 2
  ori t0, t0, 0x1ff                 # NAPOT: 4 KiB at P
  csrw pmpaddr1, t0
  li t0, ((A_NAPOT) << 8) | (A_NA4 | R)
  csrw pmpcfg0, t0
  U_OK(20, lw a0, 0(a1))            # entry 0: readable
  U_FAULT(21, 7, sw a0, 0(a1))      # entry 0: not writable (entry 1 would not allow it either)
  U_FAULT(22, 5, lw a0, 0(a2))      # entry 1: nothing
  addi a4, s0, 2047
  addi a4, a4, 2047
  addi a4, a4, 2                    # P + 4096 = Q: outside entry 1, the background allows it
  U_OK(23, lw a0, 0(a4))

  # ── TOR: entry 3 covers [pmpaddr2, pmpaddr3) = [Q + 0x100, Q + 0x200), read-only ──
  csrw pmpcfg0, zero
  addi t0, a4, 0x100
  srli t0, t0, 2
  csrw pmpaddr2, t0
  addi t0, a4, 0x200
  srli t0, t0, 2
  csrw pmpaddr3, t0
  li t0, (A_TOR | R) << 24
  csrw pmpcfg0, t0
  addi a5, a4, 0x100                # first word inside
  addi a6, a4, 0x1fc                # last word inside
  addi a7, a4, 0x200                # first word after
  U_OK(30, lw a0, 0(a5); lw a0, 0(a6); sw a0, 0(a7))
  U_FAULT(31, 7, sw a0, 0(a5))
  U_FAULT(32, 7, sw a0, 0(a6))
  csrr t0, pmpaddr2                 # an empty TOR range (top = bottom) matches nothing
  csrw pmpaddr3, t0                 # (top below bottom: pmp-edge.S)
  U_OK(33, sw a0, 0(a5))

  # ── A change takes effect at once, even for a page used just before ──
  srli t0, a4, 2
  ori t0, t0, 0x1ff                 # entry 0: NAPOT over Q, readable only
  csrw pmpaddr0, t0
  li t0, A_NAPOT | R
  csrw pmpcfg0, t0
  U_OK(40, lw a0, 0(a4))
  U_FAULT(41, 7, sw a0, 0(a4))
  li t0, A_NAPOT | RW
  csrw pmpcfg0, t0
  U_OK(42, sw a0, 0(a4))
  # Execute permission: a jump into Q (which holds a RET-like code word) is a fetch fault.
  li t0, A_NAPOT | RW               # no X
  csrw pmpcfg0, t0
  la a5, q_code_copy
  U_FAULT(43, 1, jalr a5)
  TVAL_IS(44, a5)

  # ── No match: a load S or U makes outside every entry fails, M's succeeds (with no entry
  # at all, pmp-edge.S: QEMU 7.2 refuses the MRET then) ──
  la a5, no_entry_word
  csrw pmpaddr0, zero               # entry 1: TOR [0, no_entry_word) RWX: the code and the data
  srli t0, a5, 2                    # before that word; no other entry
  csrw pmpaddr1, t0
  li t0, (A_TOR | RWX) << 8
  csrw pmpcfg0, t0
  csrw pmpcfg3, zero
  EXPECT_TRAP(50, 5, ENTER_PRIV(1); lw a0, 0(a5))
  TVAL_IS(51, a5)
  lw a0, 0(a5)                      # M is free
  li t0, (A_NAPOT | RWX) << 24      # the background again
  csrw pmpcfg3, t0
  csrw pmpcfg0, zero

  # ── MPRV: M-mode loads and stores at MPP = U are checked as U's ──
  li t0, A_NA4                      # entry 0 denies P + 8 again
  srli t1, a1, 2
  csrw pmpaddr0, t1
  csrw pmpcfg0, t0
  li t0, 0x1800                     # MPP = U
  csrc mstatus, t0
  li t0, MPRV
  EXPECT_TRAP(60, 5, csrs mstatus, t0; lw a0, 0(a1))
  csrr a0, mstatus                  # (the handler left MPRV clear)
  and a0, a0, t0
  CHECK(61, a0, 0)

  # ── Page-table walks are S-mode accesses: S with Sv32 on, the root table in a page PMP
  # denies to S, faults at its first fetch (an instruction access fault) ──
  la t0, page_table
  srli t1, t0, 2
  ori t1, t1, 0x1ff                 # entry 1: NAPOT over the table's page, no access
  csrw pmpaddr1, t1
  li t1, A_NAPOT << 8
  csrw pmpcfg0, t1
  srli t0, t0, 12
  li t1, 0x80000000
  or t0, t0, t1
  csrw satp, t0
  EXPECT_TRAP(70, 1, ENTER_PRIV(1); s_fetch: nop)
  la a5, s_fetch
  TVAL_IS(71, a5)
  csrw satp, zero
  csrw pmpcfg0, zero

  # ── Locks: a locked entry binds M and keeps its configuration and address ──
  srli t0, a1, 2                    # entry 4: NA4 at P + 8, locked, no access
  csrw pmpaddr4, t0
  li t0, A_NA4 | L
  csrw pmpcfg1, t0
  EXPECT_TRAP(80, 5, lw a0, 0(a1))  # M is bound now
  TVAL_IS(81, a1)
  li t0, A_NAPOT | RWX
  csrw pmpcfg1, t0                  # ignored
  csrr a0, pmpcfg1
  CHECK(82, a0, A_NA4 | L)
  csrw pmpaddr4, zero               # ignored
  csrr a0, pmpaddr4
  srli t0, a1, 2
  CHECK_REG(83, a0, t0)
  lw a0, 0(a2)                      # M may still use the neighbours
  # A locked TOR entry (6) also protects the address below it (pmpaddr5).
  addi t0, a4, 0x400
  srli t0, t0, 2
  csrw pmpaddr5, t0
  addi t0, a4, 0x500
  srli t0, t0, 2
  csrw pmpaddr6, t0
  li t0, ((A_TOR | L | R) << 16) | (A_NA4 | L)
  csrw pmpcfg1, t0
  csrw pmpaddr5, zero               # ignored: entry 6 is a locked TOR entry
  csrr a0, pmpaddr5
  addi t0, a4, 0x400
  srli t0, t0, 2
  CHECK_REG(84, a0, t0)
  addi a5, a4, 0x400
  EXPECT_TRAP(85, 7, sw a0, 0(a5))  # M: read-only now
  lw a0, 0(a5)

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

  .data
  .align 12
page_p:      .space 4096
page_q:      .space 0x800
q_code_copy: ret                    # in page Q: fetched from U only to be refused
  .align 12
page_table:  .space 4096
no_entry_word: .word 0
