# Interrupts (privileged spec 1.12 §3.1.9, §3.3.3): CLINT software and timer interrupts, the
# software-writable S-level bits of mip, delegation through mideleg, global enables per
# privilege level, vectored mtvec, and WFI. The priority among simultaneous interrupts is
# checked by irq-priority.S.
#include "test.h"
TEST_NAME("interrupts")

#define MIE_BIT 0x8

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)
  la t0, ack_all
  sw t0, irq_ack, t1
  csrw mie, zero
  csrw mstatus, zero

  # ── Machine software interrupt through the CLINT ──
  lw s0, trap_count
  li t0, 8                          # MSIE
  csrw mie, t0
  li a1, CLINT_MSIP
  li t0, 1
  sw t0, 0(a1)                      # pending, but MIE = 0 in M-mode: not taken
  nop
  lw a0, trap_count
  CHECK_REG(1, a0, s0)
  csrr a0, mip
  andi a0, a0, 8
  CHECK(2, a0, 8)
  csrsi mstatus, MIE_BIT            # now taken, before the next instruction
  csrci mstatus, MIE_BIT
  lw a0, trap_count
  addi s0, s0, 1
  CHECK_REG(3, a0, s0)
  lw a0, trap_mcause
  CHECK(4, a0, 0x80000003)
  csrr a0, mip                      # the handler cleared msip
  andi a0, a0, 8
  CHECK(5, a0, 0)

  # ── Machine timer interrupt: WFI wakes on an enabled pending interrupt even with MIE = 0,
  # without taking it; setting MIE then takes it. Sleeping with MIE = 0 is the race-free idiom:
  # with MIE = 1 a timer that fires before the WFI is taken (and cleared) first, and the WFI
  # then waits forever — on QEMU, whose mtime follows the host's clock, a loaded host makes
  # the 5 µs deadline pass before the WFI is reached.
  li t0, 0x80                       # MTIE
  csrw mie, t0
  lw s0, trap_count
  call arm_timer
  wfi
  lw a0, trap_count
  CHECK_REG(10, a0, s0)             # no trap while MIE = 0
  csrr a0, mip
  andi a0, a0, 0x80
  CHECK(11, a0, 0x80)               # still pending
  csrsi mstatus, MIE_BIT            # now taken, before the next instruction
  csrci mstatus, MIE_BIT
  lw a0, trap_count
  addi s0, s0, 1
  CHECK_REG(12, a0, s0)
  lw a0, trap_mcause
  CHECK(13, a0, 0x80000007)

  # ── S-level interrupts set by M-mode software in mip, taken by M (not delegated) ──
  li t0, 0x222
  csrw mie, t0
  csrsi mstatus, MIE_BIT
  csrsi mip, 2                      # SSIP
  csrci mstatus, MIE_BIT
  lw a0, trap_mcause
  CHECK(20, a0, 0x80000001)
  csrsi mstatus, MIE_BIT
  li t0, 0x20                       # STIP
  csrs mip, t0
  csrci mstatus, MIE_BIT
  lw a0, trap_mcause
  CHECK(21, a0, 0x80000005)
  csrsi mstatus, MIE_BIT
  li t0, 0x200                      # SEIP
  csrs mip, t0
  csrci mstatus, MIE_BIT
  lw a0, trap_mcause
  CHECK(22, a0, 0x80000009)

  # ── M-level interrupts are always enabled below M, whatever mstatus.MIE says ──
  # (U-mode raises MSIP and waits for the interrupt: hardware may take it a few instructions
  # after the store that raised it; QEMU does.)
  csrw mie, 8
  csrw mstatus, zero
  la t0, 6f
  sw t0, trap_resume, t1
  lw s0, trap_count
  li a1, CLINT_MSIP
  ENTER_PRIV(0)
  li t0, 1
  sw t0, 0(a1)
7:
  lw t1, trap_count
  beq t1, s0, 7b
  ecall
  j test_fail_notrap
6:
  lw a0, trap_count
  sub a0, a0, s0
  CHECK(40, a0, 2)                  # the interrupt, then the ECALL
  lw a0, trap_mcause
  CHECK(41, a0, 8)
  csrw mie, zero

  # ── Delegation: SSI delegated to S is taken by S in U-mode, not by M in M-mode ──
  la t0, s_trap_entry
  csrw stvec, t0
  li t0, 2
  csrw mideleg, t0
  csrw mie, t0                      # SSIE
  sw zero, s_trap_count, t0
  csrsi mstatus, MIE_BIT
  csrsi mip, 2                      # delegated: M-mode never takes it
  nop
  csrci mstatus, MIE_BIT
  lw a0, s_trap_count
  CHECK(50, a0, 0)
  EXPECT_TRAP(51, 9, ENTER_PRIV(0); nop)   # in U the S-level interrupt is taken by S, which ECALLs
  lw a0, s_trap_scause
  CHECK(52, a0, 0x80000001)
  lw a0, s_trap_count
  CHECK(53, a0, 1)
  # In S-mode with SIE = 0 it waits; SIE = 1 lets it in.
  csrsi mip, 2
  sw zero, s_trap_count, t0
  EXPECT_TRAP(54, 9, ENTER_PRIV(1); nop; csrsi sstatus, 2; nop)
  lw a0, s_trap_count
  CHECK(55, a0, 1)
  csrci mip, 2
  csrw mideleg, zero
  csrw mie, zero
  csrw mstatus, zero

  # ── Vectored mode: interrupts go to base + 4 × cause, exceptions to base ──
  csrr s1, mtvec
  la t0, vector_table
  ori t0, t0, 1
  csrw mtvec, t0
  sw zero, vector_hit, t0
  csrw mie, 8
  li a1, CLINT_MSIP
  li t0, 1
  sw t0, 0(a1)
  csrsi mstatus, MIE_BIT
  nop
  csrci mstatus, MIE_BIT
  lw a0, vector_hit
  CHECK(60, a0, 3)
  csrw mie, zero
  la t0, 5f
  sw t0, trap_resume, t1
  ecall                             # exceptions land on the base (entry 0 → m_trap_entry)
5:
  lw a0, trap_mcause
  CHECK(61, a0, 11)
  csrw mtvec, s1

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

# mtimecmp = mtime + 50 ticks (5 µs)
arm_timer:
  li a1, CLINT_MTIME
  lw a0, 0(a1)
  lw a2, 4(a1)
  addi a0, a0, 50
  li a1, CLINT_CMP
  li t0, -1
  sw t0, 4(a1)
  sw a0, 0(a1)
  sw a2, 4(a1)
  ret

# Interrupt acknowledgement (called by the trap handler; may use t1, t2, a0, a1):
# clear every source.
ack_all:
  li a0, CLINT_MSIP
  sw zero, 0(a0)
  li a0, CLINT_CMP
  li t1, -1
  sw t1, 4(a0)
  sw t1, 0(a0)
  li t1, 0x222
  csrc mip, t1
  ret

  .align 6
  .option push
  .option norvc                     # vector entries are 4 bytes apart
vector_table:
  j m_trap_entry                    # 0: exceptions
  j vec_unexpected                  # 1
  j vec_unexpected                  # 2
  j vec_msi                         # 3
  .rept 12
  j vec_unexpected
  .endr
  .option pop
vec_msi:
  csrw mscratch, t0
  li t0, CLINT_MSIP
  sw zero, 0(t0)
  li t0, 3
  sw t0, vector_hit, t1
  csrr t0, mscratch
  mret
vec_unexpected:
  li TESTNUM, 99
  li t5, 0
  li t6, 1
  j test_fail_values

  .data
  .align 4
vector_hit: .word 0
