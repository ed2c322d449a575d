# Sstc (the stimecmp extension, RISC-V privileged spec 1.12 + Sstc 1.0): menvcfgh.STCE, the
# stimecmp/stimecmph CSRs from M, S and U, STIP driven by mtime >= stimecmp while STCE is set
# (read-only in mip then), access from S gated by STCE and mcounteren.TM, and a delegated
# supervisor timer interrupt taken by S. STIP while STCE is clear: sstc-off.S.
#include "test.h"
TEST_NAME("sstc")

#define STIP 0x20
#define MIE_BIT 0x8
#define STCE 0x80000000

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)
  la t0, ack_stip
  sw t0, irq_ack, t1
  csrw mie, zero
  csrw mstatus, zero

  # ── menvcfgh: STCE is writable (reserved bits are not) ──
  csrr a0, menvcfgh
  CHECK(1, a0, 0)
  li t0, STCE | 0x0fffffff
  csrw menvcfgh, t0
  csrr a0, menvcfgh
  CHECK(2, a0, STCE)
  csrw menvcfgh, zero

  # ── STCE = 0: stimecmp is M's storage ──
  li t0, 0x12345678
  csrw stimecmp, t0
  li t0, 0x9abc
  csrw stimecmph, t0
  csrr a0, stimecmp
  CHECK(3, a0, 0x12345678)
  csrr a0, stimecmph
  CHECK(4, a0, 0x9abc)
  # (What STIP does while STCE = 0 is sstc-off.S: QEMU 7.2 differs there.)

  # ── STCE = 1: STIP = (mtime >= stimecmp) ──
  li t0, -1
  csrw stimecmp, t0                 # far future first (high half after low, the spec's idiom)
  csrw stimecmph, t0
  li t0, STCE
  csrw menvcfgh, t0
  csrr a0, mip
  andi a0, a0, STIP
  CHECK(10, a0, 0)
  li t0, STIP                       # read-only now: M cannot set it
  csrs mip, t0
  csrr a0, mip
  andi a0, a0, STIP
  CHECK(11, a0, 0)
  csrw stimecmph, zero              # stimecmp = 0xffffffff (low half): still in the future
  csrr a0, mip
  andi a0, a0, STIP
  CHECK(12, a0, 0)
  csrw stimecmp, zero               # 0: mtime >= 0, STIP rises (at the next boundary)
  nop
  csrr a0, mip
  andi a0, a0, STIP
  CHECK(13, a0, STIP)
  csrc mip, t0                      # read-only: stays
  csrr a0, mip
  andi a0, a0, STIP
  CHECK(14, a0, STIP)
  call arm_stimecmp                 # stimecmp = mtime + 50: STIP falls at once …
  csrr a0, mip
  andi a0, a0, STIP
  CHECK(15, a0, 0)
  li t0, STIP                       # … and rises when mtime gets there (WFI wakes on it)
  csrw mie, t0
  wfi
  csrr a0, mip
  andi a0, a0, STIP
  CHECK(16, a0, STIP)
  lw s0, trap_count                 # taken by M once MIE allows (not delegated)
  csrsi mstatus, MIE_BIT
  csrci mstatus, MIE_BIT
  lw a0, trap_count
  addi s0, s0, 1
  CHECK_REG(17, a0, s0)
  lw a0, trap_mcause
  CHECK(18, a0, 0x80000005)
  csrw mie, zero

  # ── Access from S: needs STCE and mcounteren.TM; from U never ──
  li t0, 2                          # TM
  csrw mcounteren, t0
  EXPECT_TRAP(20, 9, ENTER_PRIV(1); csrr a1, stimecmp; li a2, 7; csrw stimecmp, a2; ecall)
  csrr a0, stimecmp
  CHECK(21, a0, 7)
  csrw mcounteren, zero
  EXPECT_TRAP(22, 2, ENTER_PRIV(1); csrr a1, stimecmp)
  li t0, 2
  csrw mcounteren, t0
  csrw menvcfgh, zero
  EXPECT_TRAP(23, 2, ENTER_PRIV(1); csrr a1, stimecmph)
  li t0, STCE
  csrw menvcfgh, t0
  EXPECT_TRAP(24, 2, ENTER_PRIV(0); csrr a1, stimecmp)
  li t0, -1
  csrw scounteren, t0
  EXPECT_TRAP(25, 2, ENTER_PRIV(0); csrw stimecmp, zero)

  # ── A delegated supervisor timer interrupt: S programs stimecmp and takes the interrupt (its
  # handler reports to M through ECALL); stimecmp still in the past keeps STIP up until M moves it.
  li t0, -1
  csrw stimecmp, t0
  csrw stimecmph, t0
  la t0, s_trap_entry
  csrw stvec, t0
  li t0, STIP
  csrw mideleg, t0
  csrw mie, t0
  sw zero, s_trap_count, t0
  EXPECT_TRAP(30, 9, ENTER_PRIV(1); call s_arm; csrsi sstatus, 2; 3: j 3b)
  lw a0, s_trap_count
  CHECK(31, a0, 1)
  lw a0, s_trap_scause
  CHECK(32, a0, 0x80000005)
  csrr a0, mip
  andi a0, a0, STIP
  CHECK(33, a0, STIP)
  li t0, -1
  csrw stimecmp, t0
  csrr a0, mip
  andi a0, a0, STIP
  CHECK(34, a0, 0)
  csrw mideleg, zero
  csrw mie, zero
  csrw menvcfgh, zero
  csrw mcounteren, zero

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

# stimecmp = mtime + 50 ticks (M-mode; reads the CLINT's mtime).
arm_stimecmp:
  li a1, CLINT_MTIME
  lw a0, 0(a1)
  lw a2, 4(a1)
  addi a0, a0, 50
  sltiu t0, a0, 50                  # carry into the high word
  add a2, a2, t0
  li t0, -1
  csrw stimecmph, t0
  csrw stimecmp, a0
  csrw stimecmph, a2
  ret

# The same from S, through the time CSR (mcounteren.TM is set).
s_arm:
  rdtimeh a2
  rdtime a0
  addi a0, a0, 50
  sltiu t0, a0, 50
  add a2, a2, t0
  li t0, -1
  csrw stimecmph, t0
  csrw stimecmp, a0
  csrw stimecmph, a2
  ret

# Interrupt acknowledgement (M): move stimecmp away (STCE = 1) and clear M's STIP (STCE = 0).
ack_stip:
  li t1, -1
  csrw stimecmp, t1
  csrw stimecmph, t1
  li t1, STIP
  csrc mip, t1
  ret
