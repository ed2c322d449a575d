# CSR semantics every conforming RV32IMAC hart shares (privileged spec 1.12 chapters 2-4):
# identification registers, the WARL bits the spec pins down, read-only and privilege checks,
# the sstatus/sie/sip views, counters and the counter-enable registers. wasmvisor's own choices
# for the remaining WARL bits are checked exactly by csr-warl.S.
#include "test.h"
TEST_NAME("csr")

/* Run `code` in privilege p; it must raise illegal-instruction (the handler returns to M). */
#define EXPECT_ILLEGAL_IN(n, p, code...) EXPECT_TRAP(n, 2, ENTER_PRIV(p); code)
/* Run `code` in privilege p without trapping, then come back to M through ECALL (cause 8+p). */
#define RUN_IN(n, p, code...) EXPECT_TRAP(n, 8 + (p), ENTER_PRIV(p); code; ecall)

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  # ── Identification ──
  csrr a0, misa
  CHECK(1, a0, 0x4014112d)          # RV32 + A C D F I M S U (RV32GC)
  csrr a0, mhartid
  CHECK(2, a0, 0)
  csrr a0, mvendorid                # readable (value is implementation-defined)
  csrr a0, marchid
  csrr a0, mimpid

  # ── mstatus WARL ──
  csrw mstatus, zero
  li t0, 0xffffffff
  csrs mstatus, t0
  csrr a0, mstatus
  li t1, 0x007e19aa                 # SIE MIE SPIE MPIE SPP MPP MPRV SUM MXR TVM TW TSR
  and a0, a0, t1
  CHECK(10, a0, 0x007e19aa)
  csrw mstatus, zero
  csrr a0, mstatus
  li t1, 0x1800
  and a0, a0, t1
  CHECK(11, a0, 0)
  li t0, 0x800                      # MPP = S
  csrs mstatus, t0
  csrr a0, mstatus
  and a0, a0, t1
  CHECK(12, a0, 0x800)
  csrw mstatus, zero

  # ── Delegation and interrupt-enable masks ──
  li t0, 0xffffffff
  csrw mideleg, t0
  csrr a0, mideleg
  andi a0, a0, 0x2aa                # S-level interrupts delegable, M-level ones not (bits 3, 7)
  CHECK(20, a0, 0x222)
  csrr a0, mideleg
  li t1, 0x800                      # MEI not delegable
  and a0, a0, t1
  CHECK(26, a0, 0)
  csrw mideleg, zero
  csrw mie, t0
  csrr a0, mie
  li t1, 0xaaa
  and a0, a0, t1
  CHECK(21, a0, 0xaaa)
  csrw mie, zero
  csrr a0, mie
  CHECK(22, a0, 0)
  li t0, 0xb3ff
  csrw medeleg, t0
  csrr a0, medeleg
  li t1, 0xb3ff
  and a0, a0, t1
  CHECK(23, a0, 0xb3ff)
  csrw medeleg, zero
  # mip: M-mode software may write SSIP, STIP and SEIP.
  li t0, 0x222
  csrs mip, t0
  csrr a0, mip
  andi a0, a0, 0x222
  CHECK(24, a0, 0x222)
  csrc mip, t0
  csrr a0, mip
  andi a0, a0, 0x222
  CHECK(25, a0, 0)

  # ── mtvec: MODE 0/1 legal, 2/3 leave the register unchanged ──
  csrr s0, mtvec
  li t0, 0x80001001
  csrw mtvec, t0
  csrr a0, mtvec
  CHECK(30, a0, 0x80001001)
  li t0, 0x80002002
  csrw mtvec, t0
  csrr a0, mtvec
  CHECK(31, a0, 0x80001001)
  csrw mtvec, s0

  # (mepc[0] reads as zero: checked in csr-warl.S, as QEMU 7.2 keeps the bit)
  # mscratch, mcause, mtval hold any value
  li t0, 0xdeadbeef
  csrw mscratch, t0
  csrr a0, mscratch
  CHECK(33, a0, 0xdeadbeef)
  csrw mtval, t0
  csrr a0, mtval
  CHECK(34, a0, 0xdeadbeef)
  li t0, 0x8000000b
  csrw mcause, t0
  csrr a0, mcause
  CHECK(35, a0, 0x8000000b)

  # ── csrrw returns the old value; csrrs/csrrc with x0 do not write ──
  li t0, 5
  csrw mscratch, t0
  li t1, 9
  csrrw a0, mscratch, t1
  CHECK(40, a0, 5)
  csrrsi a0, mscratch, 6
  CHECK(41, a0, 9)
  csrr a0, mscratch
  CHECK(42, a0, 15)
  csrrci a0, mscratch, 3
  csrr a0, mscratch
  CHECK(43, a0, 12)
  csrrs a0, mhartid, x0             # read-only CSR, no write: legal
  csrrsi a0, mhartid, 0             # likewise
  CHECK(44, a0, 0)

  # ── Illegal CSR accesses ──
  EXPECT_TRAP(50, 2, csrw mvendorid, t0)   # write to a read-only CSR
  EXPECT_TRAP(51, 2, csrrsi a0, mhartid, 1)
  EXPECT_TRAP(52, 2, csrr a0, 0x800)       # custom CSR that does not exist
  EXPECT_TRAP(53, 2, csrr a0, 0x5c0)
  EXPECT_TRAP(54, 2, csrr a0, 0xfc0)
  lw a0, trap_mtval
  li a1, 0xfc002573                         # mtval holds the instruction bits
  CHECK_REG(55, a0, a1)
  EXPECT_ILLEGAL_IN(56, 1, csrr a0, mstatus)   # M-level CSR from S
  EXPECT_ILLEGAL_IN(57, 0, csrr a0, sstatus)   # S-level CSR from U
  EXPECT_ILLEGAL_IN(58, 0, csrr a0, mscratch)
  EXPECT_ILLEGAL_IN(59, 1, csrw mepc, zero)

  # ── sstatus is a view of mstatus ──
  csrw mstatus, zero
  li t0, 0xffffffff
  csrs sstatus, t0
  csrr a0, sstatus
  li t1, 0x000c0122                 # SIE SPIE SPP SUM MXR
  and a0, a0, t1
  CHECK(60, a0, 0x000c0122)
  csrr a0, mstatus
  li t1, 0x1888                     # MIE MPIE MPP unaffected
  and a0, a0, t1
  CHECK(61, a0, 0)
  csrw mstatus, zero

  # ── sie/sip are views through mideleg ──
  csrw mideleg, zero
  li t0, 0xffffffff
  csrw sie, t0
  csrr a0, mie
  CHECK(62, a0, 0)                  # nothing delegated: sie writes ignored
  li t0, 0x222
  csrw mideleg, t0
  li t0, 0xffffffff
  csrw sie, t0
  csrr a0, mie
  CHECK(63, a0, 0x222)
  csrr a0, sie
  CHECK(64, a0, 0x222)
  csrw mie, zero
  csrsi sip, 2                      # SSIP is writable through sip when delegated
  csrr a0, mip
  andi a0, a0, 2
  CHECK(65, a0, 2)
  csrci sip, 2
  csrw mideleg, zero

  # ── satp: writable in M; in S only without TVM ──
  li t0, 0x80012345
  csrw satp, t0
  csrr a0, satp
  CHECK(70, a0, 0x80012345)
  csrw satp, zero
  RUN_IN(71, 1, csrr a0, satp)
  li t0, 0x100000                   # TVM
  csrs mstatus, t0
  EXPECT_ILLEGAL_IN(72, 1, csrr a0, satp)
  EXPECT_ILLEGAL_IN(73, 1, sfence.vma)
  li t0, 0x100000
  csrc mstatus, t0

  # ── Counters ──
  csrr a0, mcycle
  csrr a1, mcycle
  bltu a0, a1, 2f
  CHECK(80, a1, 0xffffffff)         # (fails: the cycle counter must advance)
2:
  csrr a0, minstret
  nop
  csrr a1, minstret
  bltu a0, a1, 3f
  CHECK(81, a1, 0xffffffff)
3:
  rdtime a0                         # the time CSR is readable in M
  rdtimeh a1
  rdcycle a0
  rdinstret a0
  rdcycleh a0
  rdinstreth a0
  csrr a0, mhpmcounter3             # hpm counters exist and read as zero here
  csrr a0, hpmcounter3

  # mcounteren/scounteren gate U and S access.
  csrw mcounteren, zero
  csrw scounteren, zero
  EXPECT_ILLEGAL_IN(90, 1, rdcycle a0)
  EXPECT_ILLEGAL_IN(91, 0, rdinstret a0)
  csrwi mcounteren, 7
  RUN_IN(92, 1, rdcycle a0; rdtime a0; rdinstret a0)
  EXPECT_ILLEGAL_IN(93, 0, rdtime a0)
  csrwi scounteren, 4               # IR only for U
  RUN_IN(94, 0, rdinstret a0)
  EXPECT_ILLEGAL_IN(95, 0, rdcycle a0)
  csrw mcounteren, zero
  csrw scounteren, zero

  # ── xRET and WFI privilege checks ──
  EXPECT_ILLEGAL_IN(100, 1, mret)
  EXPECT_ILLEGAL_IN(101, 0, sret)
  EXPECT_ILLEGAL_IN(102, 0, wfi)
  li t0, 0x400000                   # TSR: SRET in S traps
  csrs mstatus, t0
  EXPECT_ILLEGAL_IN(103, 1, sret)
  li t0, 0x400000
  csrc mstatus, t0
  li t0, 0x200000                   # TW: WFI in S traps
  csrs mstatus, t0
  EXPECT_ILLEGAL_IN(104, 1, wfi)
  li t0, 0x200000
  csrc mstatus, t0
  EXPECT_ILLEGAL_IN(105, 0, sfence.vma)

  lw ra, 12(sp)
  addi sp, sp, 16
  ret
