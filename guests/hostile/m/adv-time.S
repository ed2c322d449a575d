# Adversarial suite, time (test/adversarial.test.ts): a machine-mode guest moves its own clock
# every way it can — mtime's low and high halves, random values, far backwards, to just before
# the 64-bit wrap — and storms its timer and software interrupt; each time it checks what it
# sees of its own clock (the CLINT's mtime and the time CSR agree, a written value reads back,
# deadlines fire when its own mtime reaches them, a deadline whose cycle count overflows never
# fires). The test checks that the victim next to it sees none of it.
#
#   mtime     writes of either half, random values, backwards, near 2^64; time CSR follows
#   mtimecmp  10,000 writes alternating past and never (MTIP follows each), 3,000 timer
#             interrupts each re-armed in the past, a deadline beyond the cycle counter's range
#   msip      3,000 software interrupts, each raised again by the handler; odd values and widths
#   CLINT     other harts' msip and mtimecmp, unused offsets (read 0, stores ignored), past the
#             window (access fault)
#   WFI       10,000 WFIs with an interrupt pending: each returns at once
#
# Prints one line per group, then PASS (test finisher).
#include "test.h"
TEST_NAME("adv-time")

#define MIP_MSIP 0x8
#define MIP_MTIP 0x80
#define MSTATUS_MIE 0x8
#define STORM 3000

/* a1:a0 = mtime (hi:lo, read consistently). */
#define READ_MTIME call read_mtime
/* mtime = hi:lo (low half first: the high half then makes it exact). */
#define WRITE_MTIME(hi, lo) li a0, lo; li a1, hi; call write_mtime
/* mtimecmp = hi:lo. */
#define WRITE_CMP(hi, lo) li a0, lo; li a1, hi; call write_cmp
/* Fail unless a0 - lo is in [0, slack) and a1 = hi (after READ_MTIME). */
#define CHECK_NEAR(n, hi, lo, slack) CHECK(n, a1, hi); li t0, lo; sub t0, a0, t0; sltiu t0, t0, slack; CHECK(n, t0, 1)
#define MIP_BIT(n, bit, want) csrr a0, mip; andi a0, a0, bit; CHECK(n, a0, want)

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  # ── mtime: each half, random values, backwards, near the wrap ──
  WRITE_MTIME(0, 0x12345678)
  READ_MTIME
  CHECK_NEAR(1, 0, 0x12345678, 8)
  li t0, CLINT_MTIME + 4             # the high half alone
  li t1, 0x00000042
  sw t1, 0(t0)
  READ_MTIME
  CHECK_NEAR(2, 0x42, 0x12345678, 16)
  li t0, CLINT_MTIME                 # the low half alone
  li t1, 0xfffffff0
  sw t1, 0(t0)
  READ_MTIME
  CHECK_NEAR(3, 0x42, 0xfffffff0, 8)
  WRITE_MTIME(0, 0)                  # far backwards
  READ_MTIME
  CHECK_NEAR(4, 0, 0, 8)
  rdtime a0                          # the time CSR is the same clock
  rdtimeh a1
  CHECK_NEAR(5, 0, 0, 16)
  li s0, 64                          # random values
  li s1, 0x9e3779b9
1:
  li t0, 1664525
  mul s1, s1, t0
  li t0, 1013904223
  add s1, s1, t0
  srli t0, s1, 8                     # low half: keep clear of a carry into the high half
  mv a0, t0
  mv a1, s1
  call write_mtime
  READ_MTIME
  CHECK_REG(6, a1, s1)
  srli t0, s1, 8
  sub t0, a0, t0
  sltiu t0, t0, 8
  CHECK(7, t0, 1)
  rdtimeh a1
  CHECK_REG(8, a1, s1)
  addi s0, s0, -1
  bnez s0, 1b
  csrr s2, mcycle                    # moving mtime does not move the hart's own counters
  WRITE_MTIME(0xffffffff, 0xffffff00)
  csrr s3, mcycle
  sub s3, s3, s2
  sltiu s3, s3, 40
  CHECK(9, s3, 1)
  READ_MTIME
  CHECK_NEAR(10, 0xffffffff, 0xffffff00, 8)
  WRITE_CMP(0xffffffff, 0xffffff40)  # reached 64 ticks later, still before the wrap
  MIP_BIT(11, MIP_MTIP, 0)
  li a0, 1000
  call spin
  MIP_BIT(12, MIP_MTIP, MIP_MTIP)
  WRITE_MTIME(0xffffffff, 0xfffffff0) # 16 ticks before the wrap; a deadline after it
  WRITE_CMP(0, 5)                    # 5 < mtime: pending at once (unsigned compare)
  MIP_BIT(13, MIP_MTIP, MIP_MTIP)
  WRITE_MTIME(0, 0)
  MIP_BIT(14, MIP_MTIP, 0)           # mtime moved below mtimecmp: MTIP drops
  WRITE_MTIME(0x10, 0)               # (forward: mtime moved backwards is adv-findings-m's)
  WRITE_CMP(0xffffffff, 0xfffffffe)  # × 10 cycles: past 2^64 cycles, never
  li a0, 2000
  call spin
  MIP_BIT(15, MIP_MTIP, 0)
  PRINT(msg_mtime)

  # ── mtimecmp storm ──
  li s0, 5000
2:
  WRITE_CMP(0, 0)
  MIP_BIT(20, MIP_MTIP, MIP_MTIP)
  WRITE_CMP(-1, -1)
  MIP_BIT(21, MIP_MTIP, 0)
  addi s0, s0, -1
  bnez s0, 2b
  # 3,000 timer interrupts, each handler re-arming a deadline in the past.
  la t0, timer_isr
  sw t0, irq_ack, t1
  sw zero, storm_count, t1
  WRITE_CMP(0, 0)
  li t0, MIP_MTIP
  csrw mie, t0
  csrsi mstatus, MSTATUS_MIE         # the handler runs STORM times before this goes on
  csrci mstatus, MSTATUS_MIE
  lw a0, storm_count
  CHECK(22, a0, STORM)
  csrw mie, zero
  PRINT(msg_cmp)

  # ── msip ──
  li a1, CLINT_MSIP
  li t0, -1                          # only bit 0 exists
  sw t0, 0(a1)
  lw a0, 0(a1)
  CHECK(30, a0, 1)
  MIP_BIT(31, MIP_MSIP, MIP_MSIP)
  li t0, 2
  sw t0, 0(a1)
  lw a0, 0(a1)
  CHECK(32, a0, 0)
  MIP_BIT(33, MIP_MSIP, 0)
  la t0, msip_isr
  sw t0, irq_ack, t1
  sw zero, storm_count, t1
  li t0, 1
  sw t0, 0(a1)
  li t0, MIP_MSIP
  csrw mie, t0
  csrsi mstatus, MSTATUS_MIE
  csrci mstatus, MSTATUS_MIE
  lw a0, storm_count
  CHECK(34, a0, STORM)
  csrw mie, zero
  # 10,000 WFIs with the software interrupt pending (and enabled, MIE off): none waits.
  li a1, CLINT_MSIP
  li t0, 1
  sw t0, 0(a1)
  li t0, MIP_MSIP
  csrw mie, t0
  li s0, 10000
3:
  wfi
  addi s0, s0, -1
  bnez s0, 3b
  csrw mie, zero
  sw zero, 0(a1)
  PRINT(msg_msip)

  # ── Other harts' registers, unused offsets, past the window ──
  li a1, CLINT_MSIP + 4              # hart 1's msip: there is no hart 1
  li t0, 1
  sw t0, 0(a1)
  lw a0, 0(a1)
  CHECK(40, a0, 0)
  MIP_BIT(41, MIP_MSIP, 0)
  li a1, CLINT_CMP + 8               # hart 1's mtimecmp
  sw zero, 0(a1)
  sw zero, 4(a1)
  lw a0, 0(a1)
  CHECK(42, a0, 0)
  MIP_BIT(43, MIP_MTIP, 0)
  li a1, 0x0200bff0
  sw a1, 0(a1)
  lw a0, 0(a1)
  CHECK(44, a0, 0)
  li a1, 0x0200fffc
  lw a0, 0(a1)
  CHECK(45, a0, 0)
  li a1, 0x02010000
  EXPECT_TRAP(46, 5, lw a0, 0(a1))
  li a1, 0x02001000
  li t0, -1
  sw t0, 0(a1)
  lw a0, 0(a1)
  CHECK(47, a0, 0)
  PRINT(msg_clint)

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

read_mtime:
  li t0, CLINT_MTIME
1:
  lw a1, 4(t0)
  lw a0, 0(t0)
  lw t1, 4(t0)
  bne a1, t1, 1b
  ret

write_mtime:
  li t0, CLINT_MTIME
  sw a0, 0(t0)
  sw a1, 4(t0)
  sw a0, 0(t0)
  ret

write_cmp:
  li t0, CLINT_CMP
  li t1, -1
  sw t1, 4(t0)                       # (no spurious deadline between the halves)
  sw a0, 0(t0)
  sw a1, 4(t0)
  ret

# About 2 × a0 instructions.
spin:
  addi a0, a0, -1
  bnez a0, spin
  ret

# Interrupt handlers (called by the runtime's handler; may use t1, t2, a0, a1, ra).
timer_isr:                           # count; re-arm in the past until STORM, then never
  lw t1, storm_count
  addi t1, t1, 1
  sw t1, storm_count, t2
  li a0, CLINT_CMP
  li t2, STORM
  bgeu t1, t2, 1f
  sw zero, 4(a0)
  sw zero, 0(a0)
  ret
1:
  li t1, -1
  sw t1, 4(a0)
  sw t1, 0(a0)
  ret
msip_isr:                            # count; raise msip again until STORM
  lw t1, storm_count
  addi t1, t1, 1
  sw t1, storm_count, t2
  li a0, CLINT_MSIP
  li t2, STORM
  sltu t1, t1, t2
  sw t1, 0(a0)
  ret

  .section .rodata
msg_mtime: .asciz "adv-time: mtime written half by half, at random, backwards and near 2^64: its own clock only\n"
msg_cmp:   .asciz "adv-time: 10,000 mtimecmp writes and 3,000 timer interrupts\n"
msg_msip:  .asciz "adv-time: 3,000 software interrupts and 10,000 WFIs with one pending\n"
msg_clint: .asciz "adv-time: other harts' CLINT registers and unused offsets ignored\n"

  .data
  .align 2
storm_count: .word 0
