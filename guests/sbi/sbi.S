# The SBI as a supervisor-mode partition sees it (SBI specification v2.0): boot registers and the
# device tree, Base, TIME (timer interrupts through sip.STIP), IPI (sip.SSIP), an external
# interrupt through the PLIC's S-mode context (sip.SEIP; the test queues "x" as input), RFENCE, HSM, SRST
# argument checks, DBCN (buffers outside RAM, of any length, are refused), the legacy extensions,
# wasmvisor's hypercall extension (through ECALL and through WVCALL), unknown extensions, and that
# M-mode stays out of reach: M-level CSRs and MRET are illegal in S, ECALL from U is an exception
# delegated to S, not an SBI call, and WVCALL from U is an illegal instruction.
#
# Runs on common/srt.S in a partition with guest mode "supervisor" (test/hypervisor.test.ts).
#include "test.h"
TEST_NAME("sbi")

#define SBI_ERR_NOT_SUPPORTED   -2
#define SBI_ERR_INVALID_PARAM   -3
#define SBI_ERR_ALREADY_AVAILABLE -6

#define EID_RFNC 0x52464e43
#define EID_WMV  0x08574d56

/* An SBI call through WVCALL, wasmvisor's hypercall instruction (sdk/wasmvisor.h; SBI() is in test.h). */
#define WVCALL .insn i 0x0b, 0, x0, x0, 0x576
#define HYPERCALL(eid, fid) li a7, eid; li a6, fid; WVCALL

#define DBCN_LEN 25                 /* bytes in dbcn_msg */

/* Sleep until the trap count moves past `before`: WFI with interrupts globally off (it still
 * wakes on a pending enabled interrupt), then a window with SIE on to take it. Without the
 * race of enabling first: an interrupt taken just before the WFI would leave it asleep. */
#define WAIT_FOR_TRAP(before) \
  1: lw t0, trap_count; bne t0, before, 2f; wfi; csrsi sstatus, SSTATUS_SIE; csrci sstatus, SSTATUS_SIE; j 1b; 2:

#define SIE_SSIE 0x002
#define SIE_STIE 0x020
#define SSTATUS_SIE 0x002
#define SSTATUS_SPP 0x100

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  # ── Boot: a0 = hart 0, a1 = a flattened device tree in RAM ──
  lw a0, boot_hartid
  CHECK(1, a0, 0)
  lw a1, boot_dtb
  li t0, 0x80000000
  li TESTNUM, 2
  bltu a1, t0, bad_dtb
  lw a0, 0(a1)
  CHECK(3, a0, 0xedfe0dd0)          # FDT magic 0xd00dfeed, big-endian

  # ── Base ──
  SBI(EID_BASE, 0)                  # spec version
  CHECK(10, a0, 0)
  CHECK(11, a1, 0x02000000)         # 2.0
  SBI(EID_BASE, 1)                  # implementation ID
  CHECK(12, a0, 0)
  CHECK(13, a1, 0x574d56)
  li a0, EID_TIME
  SBI(EID_BASE, 3)                  # probe
  CHECK(14, a1, 1)
  li a0, EID_DBCN
  SBI(EID_BASE, 3)
  CHECK(15, a1, 1)
  li a0, 0x0a000000                 # nobody's extension
  SBI(EID_BASE, 3)
  CHECK(16, a0, 0)
  CHECK(17, a1, 0)
  SBI(EID_BASE, 99)                 # no such function
  CHECK(18, a0, SBI_ERR_NOT_SUPPORTED)
  SBI(0x0a000000, 0)                # no such extension
  CHECK(19, a0, SBI_ERR_NOT_SUPPORTED)

  # ── Counters: time, cycle and instret are readable from S (mcounteren) ──
  rdtime a2
  rdinstret a3
  rdtime a4
  sub a4, a4, a2
  sltu a0, a4, zero                 # time does not go backwards
  CHECK(20, a0, 0)
  sltiu a0, a3, 1                   # instret counts
  CHECK(21, a0, 0)

  # ── TIME: a timer interrupt arrives through sip.STIP at the time set ──
  la t0, ack_timer
  sw t0, irq_ack, t1
  li t0, SIE_STIE
  csrw sie, t0
  rdtime s2
  addi a0, s2, 200                  # 20 µs from now
  li a1, 0
  SBI(EID_TIME, 0)
  CHECK(30, a0, 0)
  csrr a0, sip
  andi a0, a0, SIE_STIE             # not yet pending
  CHECK(31, a0, 0)
  lw s3, trap_count
  WAIT_FOR_TRAP(s3)
  lw a0, trap_mcause
  CHECK(32, a0, 0x80000005)         # supervisor timer interrupt
  rdtime a0
  addi s2, s2, 200
  sltu a0, a0, s2                   # not before the deadline
  CHECK(33, a0, 0)
  csrr a0, sip
  andi a0, a0, SIE_STIE             # the handler moved the deadline away
  CHECK(34, a0, 0)
  # A deadline in the past is pending at once; the legacy call works the same way.
  li a0, 1
  li a1, 0
  SBI(0x00, 0)
  CHECK(35, a0, 0)
  csrr a0, sip
  andi a0, a0, SIE_STIE
  CHECK(36, a0, SIE_STIE)
  li a0, -1
  li a1, -1
  SBI(EID_TIME, 0)
  csrr a0, sip
  andi a0, a0, SIE_STIE
  CHECK(37, a0, 0)
  SBI(EID_TIME, 1)
  CHECK(38, a0, SBI_ERR_NOT_SUPPORTED)

  # ── IPI: a software interrupt to hart 0 sets sip.SSIP ──
  la t0, ack_ipi
  sw t0, irq_ack, t1
  li t0, SIE_SSIE
  csrw sie, t0
  li a0, 1                          # hart mask {0}, base 0
  li a1, 0
  SBI(EID_IPI, 0)
  CHECK(40, a0, 0)
  lw s3, trap_count
  csrs sstatus, SSTATUS_SIE
  nop
  csrc sstatus, SSTATUS_SIE
  lw t0, trap_count
  addi s3, s3, 1
  CHECK_REG(41, t0, s3)
  lw a0, trap_mcause
  CHECK(42, a0, 0x80000001)
  li a0, 2                          # hart 1 does not exist
  li a1, 0
  SBI(EID_IPI, 0)
  CHECK(43, a0, SBI_ERR_INVALID_PARAM)
  li a0, 0                          # the legacy send_ipi takes a pointer to a mask
  SBI(0x04, 0)
  csrr a0, sip
  andi a0, a0, SIE_SSIE
  CHECK(44, a0, SIE_SSIE)
  SBI(0x03, 0)                      # legacy clear_ipi
  csrr a0, sip
  andi a0, a0, SIE_SSIE
  CHECK(45, a0, 0)
  csrw sie, zero
  sw zero, irq_ack, t1

  # ── RFENCE ──
  li a0, 0
  li a1, -1                         # all harts
  li a2, 0
  li a3, -1                         # whole address space
  SBI(EID_RFNC, 1)                  # remote_sfence_vma
  CHECK(50, a0, 0)
  li a0, 1
  li a1, 0
  li a2, 0x80000000
  li a3, 0x2000
  li a4, 5
  SBI(EID_RFNC, 2)                  # remote_sfence_vma_asid
  CHECK(51, a0, 0)
  li a0, 4
  li a1, 0
  SBI(EID_RFNC, 0)                  # remote_fence_i to hart 2: no such hart
  CHECK(52, a0, SBI_ERR_INVALID_PARAM)
  li a0, 1
  li a1, 0
  SBI(EID_RFNC, 3)                  # hypervisor fences: no H extension
  CHECK(53, a0, SBI_ERR_NOT_SUPPORTED)

  # ── HSM: hart 0 is started and the only hart ──
  li a0, 0
  SBI(EID_HSM, 2)
  CHECK(60, a0, 0)
  CHECK(61, a1, 0)                  # STARTED
  li a0, 1
  SBI(EID_HSM, 2)
  CHECK(62, a0, SBI_ERR_INVALID_PARAM)
  li a0, 0
  SBI(EID_HSM, 0)                   # hart_start of a running hart
  CHECK(63, a0, SBI_ERR_ALREADY_AVAILABLE)

  # ── SRST: bad arguments come back as errors (the real reset ends the test) ──
  li a0, 7
  li a1, 0
  SBI(EID_SRST, 0)
  CHECK(70, a0, SBI_ERR_INVALID_PARAM)
  li a0, 0
  li a1, 0x1000
  SBI(EID_SRST, 0)
  CHECK(71, a0, SBI_ERR_INVALID_PARAM)

  # ── An external interrupt through the PLIC's S-mode context (1): the UART's receive line.
  #    The test queues one byte, "x", as console input. ──
  li t0, 0x0c000000 + 4 * 10        # source 10: priority 1
  li t1, 1
  sw t1, 0(t0)
  li t0, 0x0c002080                 # context 1 enables
  li t1, 1 << 10
  sw t1, 0(t0)
  li t0, 0x0c201000                 # context 1 threshold
  sw zero, 0(t0)
  la t0, ack_ext
  sw t0, irq_ack, t1
  li t0, 0x200                      # sie.SEIE
  csrw sie, t0
  li t0, 0x10000001                 # UART IER: receive data available
  li t1, 1
  sb t1, 0(t0)
  lw s3, trap_count
  WAIT_FOR_TRAP(s3)
  lw a0, trap_mcause
  CHECK(75, a0, 0x80000009)         # supervisor external interrupt
  lw a0, ext_claim
  CHECK(76, a0, 10)
  lw a0, ext_byte
  CHECK(77, a0, 'x')
  csrr a0, sip                      # completed, line low: nothing pending
  andi a0, a0, 0x200
  CHECK(78, a0, 0)
  li t0, 0x10000001
  sb zero, 0(t0)
  csrw sie, zero
  sw zero, irq_ack, t1

  # ── DBCN: write a buffer, a byte; memory outside RAM is refused (SBI_ERR_INVALID_PARAM) ──
  li a0, DBCN_LEN
  la a1, dbcn_msg
  li a2, 0
  SBI(EID_DBCN, 0)
  CHECK(80, a0, 0)
  CHECK(81, a1, DBCN_LEN)
  li a0, '\n'
  SBI(EID_DBCN, 2)
  CHECK(82, a0, 0)
  li a0, 4
  li a1, 0x10000000                 # the UART, not RAM
  li a2, 0
  SBI(EID_DBCN, 0)
  CHECK(83, a0, SBI_ERR_INVALID_PARAM)
  li a0, 4
  la a1, dbcn_msg
  li a2, 1                          # above 4 GiB
  SBI(EID_DBCN, 0)
  CHECK(84, a0, SBI_ERR_INVALID_PARAM)
  li a0, 0                          # nothing to write, but at an address outside RAM
  li a1, 0x10000000
  li a2, 0
  SBI(EID_DBCN, 0)
  CHECK(120, a0, SBI_ERR_INVALID_PARAM)
  li a0, -1                         # 4 GiB - 1 bytes from RAM's start: beyond RAM, wraps
  li a1, 0x80000000
  li a2, 0
  SBI(EID_DBCN, 0)
  CHECK(121, a0, SBI_ERR_INVALID_PARAM)
  li a0, 16                         # a read into memory that is not RAM
  li a1, 0x0c000000
  li a2, 0
  SBI(EID_DBCN, 1)
  CHECK(122, a0, SBI_ERR_INVALID_PARAM)
  li a0, 4
  la a1, dbcn_buf
  li a2, 0
  SBI(EID_DBCN, 1)                  # read: no input queued
  CHECK(85, a0, 0)
  CHECK(86, a1, 0)
  SBI(0x02, 0)                      # legacy getchar: nothing
  CHECK(87, a0, -1)

  # ── wasmvisor hypercalls ──
  SBI(EID_WMV, 0)
  CHECK(90, a0, 0)
  CHECK(91, a1, 1)                  # extension version
  SBI(EID_WMV, 1)
  CHECK(92, a0, 0)
  sw a1, partition_id, t0
  SBI(EID_WMV, 2)                   # yield
  CHECK(93, a0, 0)
  SBI(EID_WMV, 77)
  CHECK(94, a0, SBI_ERR_NOT_SUPPORTED)
  HYPERCALL(EID_WMV, 0)             # WVCALL reaches the same extension
  CHECK(95, a0, 0)
  CHECK(96, a1, 1)
  HYPERCALL(EID_WMV, 1)
  lw t0, partition_id
  CHECK_REG(97, a1, t0)
  HYPERCALL(EID_BASE, 0)            # only the wasmvisor extension: no SBI through WVCALL
  CHECK(98, a0, SBI_ERR_NOT_SUPPORTED)

  # ── M-mode is out of reach ──
  EXPECT_TRAP(100, 2, csrr a0, mstatus)      # illegal instruction, delegated to S
  EXPECT_TRAP(101, 2, csrw mtvec, zero)
  EXPECT_TRAP(102, 2, mret)
  EXPECT_TRAP(103, 2, csrr a0, mscratch)
  lw a0, trap_from_priv             # the trap came from S (sstatus.SPP) to S's handler
  CHECK(104, a0, 1)
  # ECALL from U is an exception for the supervisor (cause 8), not an SBI call.
  li t0, SSTATUS_SPP
  csrc sstatus, t0
  la t0, user_code
  csrw sepc, t0
  li TESTNUM, 105
  la t6, 2f
  sw t6, trap_resume, t5
  lw s3, trap_count
  sret
2:
  CHECK(106, a0, 0x55)              # the ecall left a0 alone: no SBI call happened
  lw t0, trap_count
  addi s3, s3, 1
  CHECK_REG(107, t0, s3)
  lw a0, trap_mcause
  CHECK(108, a0, 8)
  lw a0, trap_from_priv             # from U
  CHECK(109, a0, 0)
  # WVCALL from U is an illegal instruction for the supervisor (cause 2, stval = its bits).
  li t0, SSTATUS_SPP
  csrc sstatus, t0
  la t0, user_wvcall
  csrw sepc, t0
  li TESTNUM, 110
  la t6, 3f
  sw t6, trap_resume, t5
  lw s3, trap_count
  sret
3:
  CHECK(111, a0, 0x66)              # a0 untouched: no hypercall happened
  lw t0, trap_count
  addi s3, s3, 1
  CHECK_REG(112, t0, s3)
  lw a0, trap_mcause
  CHECK(113, a0, 2)
  lw a0, trap_mtval
  CHECK(114, a0, 0x5760000b)
  lw a0, trap_from_priv
  CHECK(115, a0, 0)

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

bad_dtb:
  li TESTNUM, 2
  j test_fail_notrap

user_code:
  li a0, 0x55
  li a7, EID_BASE
  li a6, 0
  ecall
1: j 1b                             # not reached: the supervisor resumes elsewhere

user_wvcall:
  li a0, 0x66
  li a7, EID_WMV
  li a6, 0
  WVCALL
1: j 1b                             # not reached

# Interrupt acknowledgements, called by the runtime's trap handler (may use t1, t2, a0, a1,
# a6, a7, ra).
ack_timer:
  li a0, -1
  li a1, -1
  li a7, EID_TIME
  li a6, 0
  ecall
  ret
ack_ipi:
  csrc sip, SIE_SSIE
  ret
ack_ext:                            # claim, drain the UART, complete
  li t1, 0x0c201004
  lw a0, 0(t1)
  sw a0, ext_claim, t2
  li t2, 0x10000000
  lbu a1, 0(t2)
  sw a1, ext_byte, t2
  sw a0, 0(t1)
  ret

  .section .rodata
dbcn_msg: .ascii "sbi: console through DBCN"
dbcn_msg_end:
  .if dbcn_msg_end - dbcn_msg - DBCN_LEN
  .error "DBCN_LEN does not match dbcn_msg"
  .endif

  .data
  .align 2
partition_id: .word -1
ext_claim:    .word 0
ext_byte:     .word 0
dbcn_buf:     .word 0
