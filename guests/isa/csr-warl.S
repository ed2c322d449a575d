# wasmvisor's exact choices for WARL fields and counters (README.md, "The guest-visible
# machine"). QEMU 7.2 makes other legal choices (more interrupt bits, 16 PMP entries, host-time
# counters) and keeps mepc[0], which the spec requires to read as zero; so this guest is not
# compared with QEMU.
#include "test.h"
TEST_NAME("csr-warl")

  .text
  .globl test_main
test_main:
  li t0, 0xffffffff
  csrw mstatus, t0
  csrr a0, mstatus
  CHECK(1, a0, 0x807e79aa)          # FS writable (F and D): Dirty, so SD is set; no VS/XS state
  csrw mstatus, zero
  li t0, 0x1000                     # MPP = 2 (reserved) leaves MPP unchanged
  csrs mstatus, t0
  csrr a0, mstatus
  CHECK(2, a0, 0)
  li t0, 0x800
  csrs mstatus, t0                  # MPP = S
  li t0, 0x1800
  csrs mstatus, t0                  # set both bits: M
  csrr a0, mstatus
  CHECK(3, a0, 0x1800)
  csrw mstatus, zero
  csrr a0, mstatush
  CHECK(4, a0, 0)

  li t0, 0xffffffff
  csrw mideleg, t0
  csrr a0, mideleg
  CHECK(10, a0, 0x222)
  csrw mideleg, zero
  csrw medeleg, t0
  csrr a0, medeleg
  CHECK(11, a0, 0xb3ff)             # not ECALL-from-M (11), not reserved causes
  csrw medeleg, zero
  csrw mie, t0
  csrr a0, mie
  CHECK(12, a0, 0xaaa)
  csrw mie, zero
  csrw mip, t0
  csrr a0, mip
  CHECK(13, a0, 0x222)
  csrw mip, zero

  li t0, 0x80000003
  csrw mepc, t0
  csrr a0, mepc
  CHECK(20, a0, 0x80000002)
  csrw sepc, t0
  csrr a0, sepc
  CHECK(21, a0, 0x80000002)
  li t0, 0x80000003                 # stvec MODE 3 is reserved: the write is ignored
  csrw stvec, zero
  csrw stvec, t0
  csrr a0, stvec
  CHECK(22, a0, 0)

  li t0, 0xffffffff
  csrw mcountinhibit, t0
  csrr a0, mcountinhibit
  CHECK(30, a0, 5)                  # CY and IR
  csrw menvcfg, t0
  csrr a0, menvcfg
  CHECK(31, a0, 1)                  # FIOM only
  csrw menvcfgh, t0
  csrr a0, menvcfgh
  CHECK(32, a0, 0x80000000)         # STCE (Sstc) only
  csrw menvcfgh, zero
  csrw senvcfg, t0
  csrr a0, senvcfg
  CHECK(33, a0, 1)
  csrw 0x3c0, t0                    # pmpaddr16: 16 PMP entries, the rest read-only zero
  csrr a0, 0x3c0
  CHECK(34, a0, 0)
  csrw 0x3a4, t0                    # pmpcfg4
  csrr a0, 0x3a4
  CHECK(35, a0, 0)
  li t0, 0x6f02                     # pmpcfg0: entry 0 W without R (reserved: W is dropped), entry 1
  csrw pmpcfg0, t0                  # reserved bits 5 and 6 (read zero) with NAPOT RWX
  csrr a0, pmpcfg0
  CHECK(38, a0, 0x0f00)
  li t0, 0x1f                       # back to what the runtime set: entry 0 RWX over everything
  csrw pmpcfg0, t0
  csrw mhpmevent3, t0
  csrr a0, mhpmevent3
  CHECK(36, a0, 0)
  csrw mhpmcounter3, t0
  csrr a0, mhpmcounter3
  CHECK(37, a0, 0)

  # Counters are exact: the instruction after a write reads the written value, and each
  # retired instruction adds one.
  csrw mcountinhibit, zero
  li t0, 100
  csrw minstret, t0
  csrr a0, minstret
  CHECK(40, a0, 100)
  csrr a0, minstret
  nop
  nop
  csrr a1, minstret
  sub a0, a1, a0
  CHECK(41, a0, 3)
  li t0, 0xffffffff                 # carry into minstreth
  csrw minstreth, zero
  csrw minstret, t0
  nop
  csrr a0, minstreth
  CHECK(42, a0, 1)
  li t0, 4                          # inhibit IR: minstret stops
  csrw mcountinhibit, t0
  csrr a0, minstret
  nop
  csrr a1, minstret
  CHECK_REG(43, a0, a1)
  csrw mcountinhibit, zero
  csrr a0, minstret
  nop
  csrr a1, minstret
  sub a0, a1, a0
  CHECK(44, a0, 2)
  li t0, 1000
  csrw mcycle, t0
  csrr a0, mcycle
  CHECK(45, a0, 1000)
  csrw mcycleh, zero
  csrr a0, mcycleh
  CHECK(46, a0, 0)
  # A write to one half suppresses the writing instruction's own increment of the whole
  # 64-bit counter (Spike, Sail): after minstreth, minstret still reads what it held.
  li t0, 0xfffffffe
  li t1, 5
  csrw minstret, t0                 # the next instruction reads 0xfffffffe
  csrw minstreth, t1                # no increment here: {5, 0xfffffffe} next
  csrr a0, minstret                 # {5, 0xfffffffe}
  csrr a1, minstreth                # {5, 0xffffffff}
  nop                               # {6, 0}
  csrr a2, minstreth                # {6, 1}
  CHECK(47, a0, 0xfffffffe)
  CHECK(48, a1, 5)
  CHECK(49, a2, 6)
  li t0, 0xffffffff                 # and after the low half: no carry from the writing instruction
  csrw minstreth, zero
  csrw minstret, t0                 # {0, 0xffffffff} next: the high half stays 0
  csrr a0, minstreth
  CHECK(52, a0, 0)

  # mtime runs at one tick per 10 retired instructions (default clock rate).
  rdtime a0
  .rept 100
  nop
  .endr
  rdtime a1
  sub a0, a1, a0
  CHECK(50, a0, 10)
  li a1, CLINT_MTIME                # the CLINT's mtime is the same clock
  rdtime a0
  lw a2, 0(a1)
  sub a0, a2, a0
  CHECK(51, a0, 0)
  ret
