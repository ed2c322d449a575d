# Timer interrupts on every hart, for 1 to 8 harts: qemu-system-riscv32 -M virt -bios none -smp N,
# wasmvisor run-elf --harts N (deterministic, on threads, on vNUMA nodes). Every hart starts here
# in M-mode with a0 = its hart id (and on QEMU a1 = the device tree).
#
# Each hart arms its own mtimecmp (the CLINT's, at MTIMECMP + 8 * hart) PERIOD ahead, TICKS times,
# and waits for each machine timer interrupt in WFI (mie.MTIE set, mstatus.MIE clear: WFI wakes
# on the pending interrupt, no trap is taken), moving mtimecmp on by PERIOD each time. Then it
# checks that mtime advanced by at least TICKS periods (an interrupt is never early; how late it
# may be depends on the host — a hart that waits while others run on host threads wakes when
# the host looks), and adds its count and its verdict to shared totals. Hart 0 prints N, the
# interrupts counted (N x TICKS) and how many harts saw the time pass, and passes through the
# test finisher — the same output on every host.
# Hart 0 finds N as guests/asm/parstress.S does (CLINT probe, the device tree's /cpus too).

#define UART      0x10000000
#define FINISHER  0x100000
#define MTIMECMP  0x2004000      /* hart i's at MTIMECMP + 8 * i */
#define MTIME     0x200bff8
#define MAXHARTS  8
#define TICKS     20
#define PERIOD    10000          /* 1 ms of the 10 MHz timebase */

#define RT_MACROS
#include "harts.S"
#undef RT_MACROS

  harts_entry
  li t0, MAXHARTS
  bgeu s0, t0, park
  harts_find_and_wait

  la a0, start_arrived
  call barrier

  li s3, MTIMECMP
  slli t0, s0, 3
  add s3, s3, t0             # this hart's mtimecmp
  call read_mtime            # a0:a1 = mtime
  mv s4, a0                  # start, low word
  mv s5, a0                  # the deadline, 64 bits: s5 low, s6 high
  mv s6, a1
  li s7, 0                   # interrupts counted
  li t0, 0x80
  csrw mie, t0               # MTIE only; mstatus.MIE stays clear
1:
  # deadline += PERIOD, then program it: the high word to "never" first, so no intermediate
  # value fires.
  li t0, PERIOD
  add t1, s5, t0
  sltu t2, t1, s5
  add s6, s6, t2
  mv s5, t1
  li t0, -1
  sw t0, 4(s3)
  sw s5, 0(s3)
  sw s6, 4(s3)
2:
  wfi
  csrr t0, mip
  andi t0, t0, 0x80
  beqz t0, 2b
  addi s7, s7, 1
  li t0, TICKS
  bltu s7, t0, 1b
  csrw mie, zero
  li t0, -1
  sw t0, 4(s3)               # no more interrupts from this hart's timer

  # mtime advanced by at least TICKS periods (the low words' difference: the run is short)
  call read_mtime
  sub a0, a0, s4
  li t0, TICKS * PERIOD
  bltu a0, t0, 3f
  la t0, in_time
  li t1, 1
  amoadd.w zero, t1, (t0)
3:
  la t0, total
  amoadd.w zero, s7, (t0)
  la a0, end_arrived
  call barrier
  bnez s0, park

# ── hart 0: the report ───────────────────────────────────────────────────────────────────────
  la a0, m_head
  call puts
  mv a0, s2
  call putdec
  la a0, m_harts
  call puts
  la t0, total
  lw a0, 0(t0)
  call putdec
  la a0, m_expected
  call puts
  li t0, TICKS
  mul a0, s2, t0
  call putdec
  la a0, m_intime
  call puts
  la t0, in_time
  lw a0, 0(t0)
  call putdec
  la a0, m_tail
  call puts
  li s4, 0                   # failures
  la t0, total
  lw t1, 0(t0)
  li t0, TICKS
  mul t0, s2, t0
  beq t1, t0, 1f
  addi s4, s4, 1
1:
  la t0, in_time
  lw t1, 0(t0)
  beq t1, s2, 2f
  addi s4, s4, 1
2:
  call harts_count_report
  la a0, m_ok
  j harts_finish

# mtime as a0 (low), a1 (high), read whole: high, low, high again until the high word holds.
read_mtime:
  li t0, MTIME
1:
  lw a1, 4(t0)
  lw a0, 0(t0)
  lw t1, 4(t0)
  bne a1, t1, 1b
  ret


#include "harts.S"

  .section .rodata
m_head:     .asciz "partimer: "
m_harts:    .asciz " harts, "
m_expected: .asciz " timer interrupts (expected "
m_intime:   .asciz "), "
m_tail:     .asciz " harts saw at least 20 ms pass\n"
m_ok:       .asciz "partimer: ok\n"
m_fail:     .asciz "partimer: FAIL\n"
m_trap:     .asciz "partimer: unexpected trap\n"

  .data
  .align 6
total:         .word 0
  .align 6
in_time:       .word 0
