# Adversarial suite, HSM and fences aimed at a hart on another vNUMA node with hostile arguments
# (test/vnuma-partition.test.ts): hart ids 2 and 2^32 - 1 (no such hart) for hart_start and
# hart_get_status; remote fences of zero length, at 0, and ending exactly at 2^32, at a hart
# that is stopped; an IPI mask with base 2^32 - 1 and a mask of all ones. Then the last, fatal
# one: hart 1 started at 2^32 - 4, outside RAM — the SBI starts it (it does not check the
# address), its fetch faults, its trap vector (0) faults too, and the kernel halts the partition
# for a trap loop: the partition ends, nothing else does. The output and the halt are the same
# on one thread and on two nodes.
#include "test.h"
TEST_NAME("adv-hsm-nodes")


  .text
  .globl test_main
test_main:
  # hart_get_status and hart_start of harts that do not exist
  li a0, 2
  SBI(EID_HSM, 2)
  CHECK(1, a0, ERR_INVALID_PARAM)
  li a0, -1
  SBI(EID_HSM, 2)
  CHECK(2, a0, ERR_INVALID_PARAM)
  li a0, -1
  li a1, 0x80000000
  SBI(EID_HSM, 0)
  CHECK(3, a0, ERR_INVALID_PARAM)
  li a0, 2
  li a1, 0x80000000
  SBI(EID_HSM, 0)
  CHECK(4, a0, ERR_INVALID_PARAM)
  li a0, 1
  SBI(EID_HSM, 2)
  CHECK(5, a0, 0)
  CHECK(6, a1, 1)                 # hart 1 (on the other node): STOPPED
  # remote fences at the stopped hart 1: zero length at 0, one page ending at 2^32, everything
  li a0, 2
  li a1, 0
  li a2, 0
  li a3, 0
  SBI(EID_RFENCE, 1)
  CHECK(7, a0, 0)
  li a0, 2
  li a1, 0
  li a2, 0xfffff000
  li a3, 0x1000
  SBI(EID_RFENCE, 1)
  CHECK(8, a0, 0)
  li a0, 2
  li a1, 0
  li a2, 0xfffff000
  li a3, 0
  li a4, -1
  SBI(EID_RFENCE, 2)              # the ASID form, zero length at the top page, ASID 2^32 - 1
  CHECK(9, a0, 0)
  # IPI masks: base 2^32 - 1 names every hart; a mask of all ones from base 0 names harts that
  # do not exist (refused)
  li a0, 0
  li a1, -1
  SBI(EID_IPI, 0)
  CHECK(10, a0, 0)
  li a0, -1
  li a1, 0
  SBI(EID_IPI, 0)
  CHECK(11, a0, ERR_INVALID_PARAM)
  la a0, m_refused
  call print_str
  # the fatal one: hart 1 starts at 2^32 - 4 (said first: once it runs, the partition may end
  # at any moment, on another node as the halt comes; had the start failed, hart 1 would never
  # run and the check's report would be whole)
  la a0, m_starting
  call print_str
  li a0, 1
  li a1, 0xfffffffc
  li a2, 0
  SBI(EID_HSM, 0)
  CHECK(12, a0, 0)
1:
  j 1b

  .section .rodata
m_refused: .asciz "adv-hsm-nodes: hart ids 2 and 2^32-1 refused; fences of zero length, at 0 and at the top of the space, at a stopped hart on the other node, returned\n"
m_starting: .asciz "adv-hsm-nodes: hart 1 starts at 2^32-4\n"
