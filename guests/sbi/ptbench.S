# A page-table-heavy supervisor workload (the paging.shadow_vs_nested benchmark): two address
# spaces (ASIDs 1 and 2) each map the same 512 data pages at 0x4000_0000, in opposite orders.
# Each round switches satp and reads one word from every page. 512 pages are twice what the
# interpreter's direct-mapped TLB holds, so nearly every access misses it: with shadow paging a
# miss is served from the composed translation the hypervisor kept for that address space;
# with nested paging it is a fresh two-stage walk. Prints a checksum and passes if it is right.
#
# Memory (partition RAM of 4 MiB): this program below 0x8010_0000, data pages at 0x8010_0000-
# 0x8030_0000 (page i holds i in its first word), the device tree at the top.
#include "test.h"
TEST_NAME("ptbench")

#define ROUNDS 1000
#define PAGES 512
#define DATA 0x80100000
#define VA 0x40000000
#define SATP_SV32 0x80000000
#define PTE_RW 0xc7            /* V R W A D */

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  # Data pages: page i holds i.
  li t0, DATA
  li t1, 0
  li t2, PAGES
1:
  sw t1, 0(t0)
  li t3, 4096
  add t0, t0, t3
  addi t1, t1, 1
  bne t1, t2, 1b

  # Root tables: identity megapage for RAM at 0x8000_0000, two level-0 tables at 0x4000_0000
  # and 0x4040_0000.
  la a0, root1
  la a1, l0a
  call make_root
  la a0, root2
  la a1, l0c
  call make_root
  # Level-0 entries: ASID 1 maps page i → data page i, ASID 2 → data page 511 - i.
  la a0, l0a                        # l0a, l0b are adjacent: 1024 entries, 512 used
  li t1, 0
2:
  slli t0, t1, 12
  li t3, DATA
  add t0, t0, t3
  srli t0, t0, 12
  slli t0, t0, 10
  ori t0, t0, PTE_RW
  slli t3, t1, 2
  add t3, a0, t3
  sw t0, 0(t3)
  addi t1, t1, 1
  li t2, PAGES
  bne t1, t2, 2b
  la a0, l0c
  li t1, 0
3:
  li t0, PAGES - 1
  sub t0, t0, t1
  slli t0, t0, 12
  li t3, DATA
  add t0, t0, t3
  srli t0, t0, 12
  slli t0, t0, 10
  ori t0, t0, PTE_RW
  slli t3, t1, 2
  add t3, a0, t3
  sw t0, 0(t3)
  addi t1, t1, 1
  li t2, PAGES
  bne t1, t2, 3b

  la t0, root1
  srli t0, t0, 12
  li t1, SATP_SV32 | (1 << 22)
  or s2, t0, t1                     # satp of ASID 1
  la t0, root2
  srli t0, t0, 12
  li t1, SATP_SV32 | (2 << 22)
  or s3, t0, t1                     # satp of ASID 2
  sfence.vma

  # Rounds: switch address space, touch every page.
  li s4, 0                          # checksum
  li s5, ROUNDS
4:
  csrw satp, s2
  call touch
  csrw satp, s3
  call touch
  addi s5, s5, -1
  bnez s5, 4b
  csrw satp, zero
  sfence.vma

  # Each pass adds 0 + 1 + … + 511 (weighted below), twice a round.
  CHECK(1, s4, ROUNDS * 2 * (PAGES * (PAGES - 1) / 2))
  lw ra, 12(sp)
  addi sp, sp, 16
  ret

# s4 += the first word of each of the 512 pages at VA.
touch:
  li t0, VA
  li t1, PAGES
  li t3, 4096
5:
  lw t2, 0(t0)
  add s4, s4, t2
  add t0, t0, t3
  addi t1, t1, -1
  bnez t1, 5b
  ret

# Root table at a0: RAM megapage, and pointers to the level-0 tables at a1 and a1 + 4 KiB.
make_root:
  li t0, (0x80000 << 10) | 0xcf     # V R W X A D
  li t1, 0x200 * 4
  add t1, a0, t1
  sw t0, 0(t1)
  srli t0, a1, 12
  slli t0, t0, 10
  ori t0, t0, 1
  sw t0, (0x100 * 4)(a0)
  li t2, 4096
  add t2, a1, t2
  srli t0, t2, 12
  slli t0, t0, 10
  ori t0, t0, 1
  sw t0, (0x101 * 4)(a0)
  ret

  .data
  .align 12
root1: .space 4096
root2: .space 4096
l0a:   .space 4096
l0b:   .space 4096
l0c:   .space 4096
l0d:   .space 4096
