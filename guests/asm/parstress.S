# Atomics stress test for 1 to 8 harts, for machines whose harts really run at the same time
# (QEMU's multi-threaded TCG, wasmvisor's parallel harts) as well as interleaved ones (wasmvisor's
# deterministic SMP): qemu-system-riscv32 -M virt -bios none -smp N, wasmvisor run-elf --harts N.
# Every hart starts here in M-mode with a0 = its hart id (and on QEMU a1 = the device tree).
#
# Hart 0 finds the number of harts N without a race: it probes the CLINT (a hart's mtimecmp
# exists, i.e. keeps what is written to it, only for a hart that exists) and, when a1 holds a
# device tree, counts the cpu@ nodes under /cpus too (the two must agree). It publishes N; every
# hart waits for it, meets the others at a start barrier, and then does ROUNDS rounds of:
#   A  AMOADD.W on a shared counter;
#   B  an LR.W/SC.W retry loop incrementing another;
#   C  a plain lw/addi/sw increment under an AMOSWAP.W.AQ spinlock (released with AMOSWAP.W.RL);
#   D  a plain increment under an LR/SC spinlock (released with FENCE RW,W + SW);
#   message passing: hart h writes its round number to a data word, FENCE W,W, then to a flag
#      word (in another cache line); hart (h+1) mod N reads that flag, FENCE R,R, then the data:
#      data older than the flag is a stale read, a flag older than the last one it saw went
#      backwards. Both are counted (both must stay 0).
# After an end barrier hart 0 prints the counters (each must be N * ROUNDS) and the counts, then
# passes or fails through the test finisher. Only hart 0 prints, after the barrier, so the output
# depends on N alone, never on the interleaving. The other harts wait in WFI for good.

#define UART      0x10000000
#define FINISHER  0x100000
#define MTIMECMP  0x2004000      /* hart i's at MTIMECMP + 8 * i */
#define MAXHARTS  8
#ifndef ROUNDS
#define ROUNDS    20000
#endif
#define LINE      64

#define RT_MACROS
#include "harts.S"
#undef RT_MACROS

  harts_entry
  sub t0, a0, s0
  snez t0, t0                # 1 when a0 was not the hart id
  la t1, a0_wrong
  amoadd.w zero, t0, (t1)
  li t0, MAXHARTS
  bgeu s0, t0, park          # (a hart beyond the tables: not expected)
  harts_find_and_wait
  la a0, start_arrived
  call barrier

  li t6, 1
  li s3, ROUNDS
  li s4, 1                   # this round's number (1 .. ROUNDS)
  la a2, count_a
  la a3, count_b
  la a4, count_c
  la a5, count_d
  la a6, lock_c
  la a7, lock_d
  la t0, channels
  slli t1, s0, 7             # channels of 128 bytes: data word, then the flag a line later
  add s5, t0, t1             # the channel this hart writes
  addi t1, s0, 1
  bne t1, s2, 1f
  li t1, 0
1:
  slli t1, t1, 7
  add s6, t0, t1             # the channel of hart (h + 1) mod N, which this hart reads
  li s7, 0                   # stale reads
  li s8, 0                   # flags gone backwards
  li s9, 0                   # the last flag seen

round:
  # A: AMOADD.
  amoadd.w zero, t6, (a2)
  # B: LR/SC retry loop.
1:
  lr.w t0, (a3)
  addi t0, t0, 1
  sc.w t1, t0, (a3)
  bnez t1, 1b
  # C: AMOSWAP.W.AQ spinlock (test and test-and-set), released with AMOSWAP.W.RL.
2:
  amoswap.w.aq t0, t6, (a6)
  beqz t0, 4f
3:
  lw t0, 0(a6)
  bnez t0, 3b
  j 2b
4:
  lw t0, 0(a4)
  addi t0, t0, 1
  sw t0, 0(a4)
  amoswap.w.rl zero, zero, (a6)
  # D: LR/SC spinlock, released with FENCE RW,W and a plain store.
5:
  lr.w.aq t0, (a7)
  bnez t0, 6f
  sc.w t1, t6, (a7)
  bnez t1, 5b
  j 7f
6:
  lw t0, 0(a7)
  bnez t0, 6b
  j 5b
7:
  lw t0, 0(a5)
  addi t0, t0, 1
  sw t0, 0(a5)
  fence rw, w
  sw zero, 0(a7)
  # Message passing, writer: data, FENCE W,W, flag.
  sw s4, 0(s5)
  fence w, w
  sw s4, LINE(s5)
  # Reader: flag, FENCE R,R, data; the data must be at least as new as the flag.
  lw t0, LINE(s6)
  fence r, r
  lw t1, 0(s6)
  bgeu t1, t0, 8f
  addi s7, s7, 1
8:
  bgeu t0, s9, 9f
  addi s8, s8, 1
9:
  mv s9, t0
  addi s4, s4, 1
  bleu s4, s3, round

  la t0, mp_stale
  amoadd.w zero, s7, (t0)
  la t0, mp_backwards
  amoadd.w zero, s8, (t0)
  la a0, end_arrived
  call barrier
  bnez s0, park

# ── hart 0: the report ───────────────────────────────────────────────────────────────────────
  li s3, ROUNDS
  mul s3, s3, s2             # expected count: N * ROUNDS
  li s4, 0                   # failures
  la a0, m_head
  call puts
  mv a0, s2
  call putdec
  la a0, m_harts
  call puts
  li a0, ROUNDS
  call putdec
  la a0, m_rounds
  call puts
  la a0, m_amoadd
  la a1, count_a
  call counter
  la a0, m_lrsc
  la a1, count_b
  call counter
  la a0, m_swaplock
  la a1, count_c
  call counter
  la a0, m_lrsclock
  la a1, count_d
  call counter
  la a0, m_mp
  call puts
  la t0, mp_stale
  lw a0, 0(t0)
  add s4, s4, a0
  call putdec
  la a0, m_stale
  call puts
  la t0, mp_backwards
  lw a0, 0(t0)
  add s4, s4, a0
  call putdec
  la a0, m_back
  call puts
  la a0, m_a0
  call puts
  la t0, a0_wrong
  lw t0, 0(t0)
  add s4, s4, t0
  la a0, m_yes
  beqz t0, 1f
  la a0, m_no
1:
  call puts
  call harts_count_report
  la a0, m_ok
  j harts_finish

# Print label a0, the counter at a1, and " (expected s3)"; a mismatch adds 1 to s4.
counter:
  mv s5, ra
  mv s6, a1
  call puts
  lw a0, 0(s6)
  beq a0, s3, 1f
  addi s4, s4, 1
1:
  call putdec
  la a0, m_expect
  call puts
  mv a0, s3
  call putdec
  la a0, m_close
  call puts
  mv ra, s5
  ret


#include "harts.S"

  .section .rodata
m_head:     .asciz "parstress: "
m_harts:    .asciz " harts, "
m_rounds:   .asciz " rounds each\n"
m_amoadd:   .asciz "amoadd counter:            "
m_lrsc:     .asciz "lr/sc counter:             "
m_swaplock: .asciz "amoswap.aq lock counter:   "
m_lrsclock: .asciz "lr/sc lock counter:        "
m_expect:   .asciz " (expected "
m_close:    .asciz ")\n"
m_mp:       .asciz "message passing:           "
m_stale:    .asciz " stale reads, "
m_back:     .asciz " flags gone backwards\n"
m_a0:       .asciz "a0 = mhartid at entry on every hart: "
m_yes:      .asciz "yes\n"
m_no:       .asciz "no\n"
m_ok:       .asciz "parstress: ok\n"
m_fail:     .asciz "parstress: FAIL\n"
m_trap:     .asciz "parstress: unexpected trap\n"

  .data
# Everything a hart writes in the rounds has a cache line (64 bytes) of its own.
  .align 6
count_a:       .word 0
  .align 6
count_b:       .word 0
  .align 6
count_c:       .word 0
  .align 6
lock_c:        .word 0
  .align 6
count_d:       .word 0
  .align 6
lock_d:        .word 0
  .align 6
mp_stale:      .word 0
  .align 6
mp_backwards:  .word 0
  .align 6
a0_wrong:      .word 0
  .align 6
channels:      .space 128 * MAXHARTS
