# A parallel CPU benchmark for 1 to 8 harts whose answer does not depend on how many there are:
# qemu-system-riscv32 -M virt -bios none -smp N, wasmvisor run-elf --harts N (deterministic or
# parallel harts). Every hart starts here in M-mode with a0 = its hart id (and on QEMU a1 = the
# device tree).
#
# ITEMS work items; hart h takes items h, h + N, h + 2N, … and adds their results, then adds its
# sum (AMOADD) to a shared checksum; after a barrier hart 0 prints N, ITEMS and the checksum and
# passes through the test finisher. The checksum is the same for every N.
#
# Item i is a pure function of i (nothing carries over from one item to the next, so it does
# not matter which hart runs it, or after which items):
#   - an xorshift32 generator seeded from i fills a 1 KiB scratch array (256 stores);
#   - 512 steps each draw a number, look up one of 2048 words of an 8 KiB table (the same
#     contents on every hart, built once per hart), read-modify-write a random scratch word
#     with a multiply, take a data-dependent branch, and every 32nd step divide (DIVU, REMU);
#   - a pass folds the scratch array into an FNV-style hash (multiply, a sign-dependent branch).
# Each hart has its own table and scratch (12 KiB apart), and keeps its running sum in a
# register: no cache line is written by two harts in the hot loop.
# Hart 0 finds N as guests/asm/parstress.S does (CLINT probe, the device tree's /cpus too).
#
# Built with -DNUMA_AREAS (parbench-numa): hart h's table and scratch lie at
# RAM_BASE + h * RAM_BYTES / N + 1 MiB instead of in .bss — in the h-th of N equal parts of
# RAM, which on a vNUMA machine with its harts spread in blocks is the memory of the hart's own
# node (docs/vnuma.md). Assumes the default 128 MiB of RAM.

#define UART      0x10000000
#define FINISHER  0x100000
#define MTIMECMP  0x2004000      /* hart i's at MTIMECMP + 8 * i */
#define MAXHARTS  8
#ifndef ITEMS
#define ITEMS     10000
#endif
#define TABLE_WORDS   2048       /* 8 KiB */
#define SCRATCH_BYTES 1024
#define STEPS     512
#define AREA      12288          /* per hart: the table, then the scratch array */
#define RAM_BYTES 0x8000000      /* NUMA_AREAS: the machine's RAM (128 MiB) */

# xorshift32: x ^= x << 13; x ^= x >> 17; x ^= x << 5
.macro xorshift x, tmp
  slli \tmp, \x, 13
  xor \x, \x, \tmp
  srli \tmp, \x, 17
  xor \x, \x, \tmp
  slli \tmp, \x, 5
  xor \x, \x, \tmp
.endm

#define RT_MACROS
#include "harts.S"
#undef RT_MACROS

  harts_entry
  li t0, MAXHARTS
  bgeu s0, t0, park
  harts_find_and_wait

#ifdef NUMA_AREAS
  li t0, RAM_BYTES
  mul t0, t0, s0
  divu t0, t0, s2            # h * RAM / N (h < 8: no overflow)
  li s5, 0x80100000
  add s5, s5, t0             # this hart's table, in its part of RAM
#else
  la s5, areas
  li t0, AREA
  mul t0, t0, s0
  add s5, s5, t0             # this hart's table
#endif
  li t0, TABLE_WORDS * 4
  add s6, s5, t0             # its scratch array
  li t0, SCRATCH_BYTES
  add s10, s6, t0            # the scratch array's end
  li s9, 0x2545f491          # multipliers
  li s11, 0x01000193

  # The table: the same on every hart.
  li a0, 0x12345679
  li t1, 0x9e3779b9
  li t2, 0                   # k * 0x9e3779b9
  mv a2, s5
1:
  xorshift a0, t0
  xor t3, a0, t2
  sw t3, 0(a2)
  add t2, t2, t1
  addi a2, a2, 4
  bltu a2, s6, 1b

  la a0, start_arrived
  call barrier

  mv s3, s0                  # item i: h, h + N, …
  li s4, ITEMS
  li s7, 0                   # this hart's sum
  li s8, 0                   # items done
  bgeu s3, s4, done
item:
  # Seed: (i + 1) * 0x9e3779b9 (never 0: the multiplier is odd).
  addi a0, s3, 1
  li t0, 0x9e3779b9
  mul a0, a0, t0
  # Fill the scratch array.
  mv a2, s6
1:
  xorshift a0, t0
  sw a0, 0(a2)
  addi a2, a2, 4
  bltu a2, s10, 1b
  # The steps.
  mv a1, s3                  # acc
  li a2, 0                   # step
  li a7, STEPS
2:
  xorshift a0, t0
  andi t1, a0, TABLE_WORDS - 1
  slli t1, t1, 2
  add t1, t1, s5
  lw t1, 0(t1)               # t = table[x % 2048]
  srli t2, a0, 11
  andi t2, t2, (SCRATCH_BYTES / 4) - 1
  slli t2, t2, 2
  add t2, t2, s6
  lw t3, 0(t2)               # s = scratch[(x >> 11) % 256]
  xor t3, t3, t1
  mul t3, t3, s9             # v = (s ^ t) * 0x2545f491
  andi t4, t3, 0x80
  beqz t4, 3f
  srli t4, t3, 5
  add a1, a1, t4             # acc += v >> 5
  j 4f
3:
  slli t4, a1, 3
  add t4, t4, t3
  xor a1, a1, t4             # acc ^= v + (acc << 3)
4:
  add t4, t3, a1
  sw t4, 0(t2)               # scratch[…] = v + acc
  andi t4, a2, 31
  li t5, 31
  bne t4, t5, 5f
  srli t4, a0, 22
  ori t4, t4, 3
  divu t5, a1, t4
  add a1, a1, t5             # acc += acc / ((x >> 22) | 3)
  li t4, 1000003
  remu t5, a1, t4
  xor a1, a1, t5             # acc ^= acc % 1000003
5:
  addi a2, a2, 1
  bltu a2, a7, 2b
  # Fold the scratch array.
  li a6, 0x811c9dc5
  mv a2, s6
  li a4, 0
6:
  lw t1, 0(a2)
  xor a6, a6, t1
  mul a6, a6, s11            # h = (h ^ w) * 0x01000193
  bgez t1, 7f
  add a6, a6, a4             # + k when w is negative
7:
  addi a4, a4, 1
  addi a2, a2, 4
  bltu a2, s10, 6b
  xor a0, a1, a6             # the item's result
  add s7, s7, a0
  addi s8, s8, 1
  add s3, s3, s2
  bltu s3, s4, item

done:
  la t0, checksum
  amoadd.w zero, s7, (t0)
  la t0, items_done
  amoadd.w zero, s8, (t0)
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
  li a0, ITEMS
  call putdec
  la a0, m_items
  call puts
  la t0, checksum
  lw a0, 0(t0)
  call puthex
  la a0, m_nl
  call puts
  li s4, 0                   # failures
  la t0, items_done
  lw a0, 0(t0)
  li t1, ITEMS
  beq a0, t1, 1f
  addi s4, s4, 1
  la a0, m_done
  call puts
  la t0, items_done
  lw a0, 0(t0)
  call putdec
  la a0, m_nl
  call puts
1:
  call harts_count_report
  li a0, 0                   # (nothing more to print when it passes)
  j harts_finish


puthex:                      # a0 as 8 hex digits
  li t0, UART
  li t2, 28
1:
  srl t1, a0, t2
  andi t1, t1, 15
  addi t1, t1, '0'
  li t3, '9'
  bleu t1, t3, 2f
  addi t1, t1, 'a' - '9' - 1
2:
  uart_put t1, t0, t3
  addi t2, t2, -4
  bgez t2, 1b
  ret

#include "harts.S"

  .section .rodata
m_head:     .asciz "parbench: "
m_harts:    .asciz " harts, "
m_items:    .asciz " items, checksum 0x"
m_nl:       .asciz "\n"
m_done:     .asciz "items done: "
m_fail:     .asciz "parbench: FAIL\n"
m_trap:     .asciz "parbench: unexpected trap\n"

  .data
  .align 6
checksum:      .word 0
  .align 6
items_done:    .word 0

  .bss
  .align 12
areas:         .space AREA * MAXHARTS
