# A hostile supervisor-mode partition (test/isolation.test.ts runs it next to a victim). Each
# attack must end in the guest-visible fault the privileged spec prescribes, taken by this
# guest's own trap handler; it prints one line per attack that was contained and then spins
# forever with interrupts disabled, so the hypervisor has to take the CPU from it by force.
#
#   memory   every MiB of the physical address space is probed with a load (except the 256 MiB
#            at 0x8000_0000 that may hold its RAM); only its own devices answer. Stores, an AMO
#            and a jump at addresses where the host keeps the kernel's state, other partitions'
#            RAM or nothing at all; the same through page tables (a leaf and a table pointer).
#   CSRs     every machine-level CSR is out of reach from S; sstatus, sie and sip keep their
#            M-only bits; read-only counters cannot be written.
#   returns  MRET from S; SRET and MRET from U; SRET into the host's addresses; an ECALL from U
#            asking for a system reset is only an exception for this supervisor.
#   storms   3000 software interrupts, each re-raised by an SBI call from the handler; then
#            3000 timer interrupts, each from a deadline set in the past.
#   spin     an endless loop with interrupts disabled.
#
# Needs: RAM below 256 MiB, the default devices, no shared regions (its probe count says so).
#include "test.h"
TEST_NAME("hostile")

#define SATP_SV32 0x80000000
#define SIE_SSIE 0x002
#define SIE_STIE 0x020
#define SSTATUS_SIE 0x002
#define SPP 0x100
#define STORM 3000
/* MiB windows of the physical space that answer a load: finisher, CLINT, the 6 MiB of the
 * PLIC, UART0 (the RAM window is not probed). */
#define READABLE_MIB 9

/* Code that must raise an illegal-instruction exception (cause 2). */
#define ILLEGAL(n, code...) EXPECT_TRAP(n, 2, code)
/* A store to `addr` must raise a store access fault with stval = addr. */
#define STORE_DENIED(n, addr) li a1, addr; EXPECT_TRAP(n, 7, sw a1, 0(a1)); CHECK_TVAL(n, addr)

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  # ── Memory: probe the physical address space a MiB at a time ──
  li s2, 0                          # address
  li s3, 0                          # loads that did not fault
  li s4, 0x80000000
  li s5, 0x90000000
1:
  bltu s2, s4, 2f
  bltu s2, s5, 3f                   # skip the RAM window
2:
  lw t0, trap_count
  lw a0, 0(s2)                      # faults: the handler skips it
  lw t1, trap_count
  bne t0, t1, 3f
  addi s3, s3, 1
3:
  li t0, 0x100000
  add s2, s2, t0
  bnez s2, 1b                       # until the address wraps to 0
  CHECK(1, s3, READABLE_MIB)
  PRINT(msg_probe)

  # Where the host keeps the kernel's state and the partitions' RAM (if guest addresses were
  # host addresses), the gap after a device, the top of the space.
  STORE_DENIED(10, 0x00000000)
  STORE_DENIED(11, 0x00010000)
  STORE_DENIED(12, 0x00020000)
  STORE_DENIED(13, 0x00102000)
  STORE_DENIED(14, 0x00400000)
  STORE_DENIED(15, 0x00500000)
  STORE_DENIED(16, 0x7ffffffc)
  STORE_DENIED(17, 0x90000000)
  STORE_DENIED(18, 0xfffffffc)
  li a1, 0x00400000
  EXPECT_TRAP(19, 7, amoswap.w a0, a1, (a1))
  li a1, 0x00400000
  EXPECT_TRAP(20, 1, jalr a1)       # instruction access fault
  CHECK_TVAL(21, 0x00400000)

  # Through page tables: a leaf that names the host's RAM base, and a table pointer at the
  # kernel's state. Identity megapage for this code at 0x8000_0000.
  la a2, root
  li t0, (0x80000 << 10) | 0xcf     # V R W X A D
  li t1, 0x200 * 4
  add t1, a2, t1
  sw t0, 0(t1)
  li t0, (0x00400 << 10) | 0xc7     # 0x4000_0000 → 0x0040_0000, V R W A D
  li t1, 0x100 * 4
  add t1, a2, t1
  sw t0, 0(t1)
  li t0, (0x00010 << 10) | 0x01     # 0x4040_0000 → a "table" at 0x0001_0000
  li t1, 0x101 * 4
  add t1, a2, t1
  sw t0, 0(t1)
  srli t0, a2, 12
  li t1, SATP_SV32
  or t0, t0, t1
  csrw satp, t0
  sfence.vma
  li a1, 0x40000000
  EXPECT_TRAP(30, 5, lw a0, 0(a1))
  EXPECT_TRAP(31, 7, sw a0, 0(a1))
  li a1, 0x40400000
  EXPECT_TRAP(32, 5, lw a0, 0(a1))
  csrw satp, zero
  sfence.vma
  PRINT(msg_stores)

  # ── CSRs ──
  ILLEGAL(40, csrr a0, mstatus)
  ILLEGAL(41, csrw mstatus, zero)
  ILLEGAL(42, csrw medeleg, zero)
  ILLEGAL(43, csrw mideleg, zero)
  ILLEGAL(44, csrw mtvec, zero)
  ILLEGAL(45, csrs mie, a0)
  ILLEGAL(46, csrr a0, mip)
  ILLEGAL(47, csrw mepc, zero)
  ILLEGAL(48, csrr a0, mhartid)
  ILLEGAL(49, csrr a0, mscratch)
  ILLEGAL(50, csrw mcounteren, zero)
  ILLEGAL(51, csrr a0, mcycle)
  ILLEGAL(52, csrw minstret, zero)
  ILLEGAL(53, csrw pmpcfg0, zero)
  ILLEGAL(54, csrr a0, pmpaddr0)
  ILLEGAL(55, csrr a0, 0x600)       # hstatus: no H extension
  ILLEGAL(56, csrw cycle, zero)     # read-only
  ILLEGAL(57, csrw time, zero)
  li t0, 0x1800                     # MPP is not in sstatus
  csrs sstatus, t0
  csrr a0, sstatus
  and a0, a0, t0
  CHECK(58, a0, 0)
  li t0, 0x888                      # MSIE, MTIE, MEIE are not in sie
  csrs sie, t0
  csrr a0, sie
  CHECK(59, a0, 0)
  li t0, -1                         # only SSIP is writable in sip
  csrw sip, t0
  csrr a0, sip
  csrw sip, zero
  andi a0, a0, ~0x222
  CHECK(60, a0, 0)
  PRINT(msg_csrs)

  # ── Returns ──
  ILLEGAL(70, mret)
  la a0, user_sret                  # from U: SRET, MRET, an S CSR
  call run_user
  CHECK(71, a0, 2)
  la a0, user_mret
  call run_user
  CHECK(72, a0, 2)
  la a0, user_csr
  call run_user
  CHECK(73, a0, 2)
  la a0, user_reset                 # ECALL from U naming SRST: an exception, no reset
  call run_user
  CHECK(74, a0, 8)
  li TESTNUM, 75                    # SRET into the kernel's state: instruction access fault
  li t0, SPP
  csrs sstatus, t0
  li t0, 0x00010000
  csrw sepc, t0
  la t6, 4f
  sw t6, trap_resume, t5
  sret
4:
  lw a0, trap_mcause
  CHECK(76, a0, 1)
  CHECK_TVAL(77, 0x00010000)
  ILLEGAL(78, csrr a0, mstatus)     # still not M
  PRINT(msg_returns)

  # ── Storms ──
  la t0, storm_ipi
  sw t0, irq_ack, t1
  sw zero, storm_count, t1
  li t0, SIE_SSIE
  csrw sie, t0
  csrsi sip, SIE_SSIE
  csrsi sstatus, SSTATUS_SIE        # the handler runs STORM times before this goes on
  csrci sstatus, SSTATUS_SIE
  lw a0, storm_count
  CHECK(80, a0, STORM)
  la t0, storm_timer
  sw t0, irq_ack, t1
  sw zero, storm_count, t1
  li t0, SIE_STIE
  csrw sie, t0
  li a0, 0
  li a1, 0
  li a7, EID_TIME
  li a6, 0
  ecall
  csrsi sstatus, SSTATUS_SIE
  csrci sstatus, SSTATUS_SIE
  lw a0, storm_count
  CHECK(81, a0, STORM)
  csrw sie, zero
  PRINT(msg_storms)

  # ── Spin with interrupts disabled, forever ──
  PRINT(msg_spin)
  csrci sstatus, SSTATUS_SIE
5:
  j 5b

# Run the code at a0 in U-mode; return (in S) the scause of the trap that ends it.
run_user:
  li t0, SPP
  csrc sstatus, t0
  csrw sepc, a0
  la t6, 6f
  sw t6, trap_resume, t5
  sret
6:
  lw a0, trap_mcause
  ret

user_sret:
  sret
user_mret:
  mret
user_csr:
  csrr a0, sstatus
user_reset:
  li a0, 0
  li a1, 0
  li a7, EID_SRST
  li a6, 0
  ecall
7: j 7b

# Interrupt handlers (called by the runtime; may use t1, t2, a0, a1, a6, a7, ra).
storm_ipi:                          # count; re-raise through the SBI until STORM
  lw t1, storm_count
  addi t1, t1, 1
  sw t1, storm_count, t2
  li t2, STORM
  bgeu t1, t2, 8f
  li a0, 1
  li a1, 0
  li a7, EID_IPI
  li a6, 0
  ecall
  ret
8:
  csrci sip, SIE_SSIE
  ret
storm_timer:                        # count; a deadline in the past until STORM
  lw t1, storm_count
  addi t1, t1, 1
  sw t1, storm_count, t2
  li t2, STORM
  li a0, 0
  li a1, 0
  bltu t1, t2, 9f
  li a0, -1
  li a1, -1
9:
  li a7, EID_TIME
  li a6, 0
  ecall
  ret

  .section .rodata
msg_probe:   .asciz "hostile: 4096 MiB probed, only its own devices answered\n"
msg_stores:  .asciz "hostile: stores, AMO, jump and page-table escapes faulted\n"
msg_csrs:    .asciz "hostile: machine-level CSRs out of reach\n"
msg_returns: .asciz "hostile: MRET/SRET tricks faulted, still in S\n"
msg_storms:  .asciz "hostile: 6000 self-inflicted interrupts handled\n"
msg_spin:    .asciz "hostile: spinning with interrupts disabled\n"

  .data
  .align 2
storm_count: .word 0
  .align 12
root: .space 4096
