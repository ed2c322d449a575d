# Both harts of a supervisor-mode partition call HSM hart_stop at the same moment (released
# together by a shared word). The last started hart to stop halts the partition, so the run must
# end in a shutdown with status 0 — also on threads and on vNUMA nodes, where the two stops really
# do overlap: each hart marks itself STOP_PENDING before it counts the started ones, so the two
# cannot each count the other as started and leave the partition with every hart stopped
# (test/parallel.test.ts, test/vnuma-partition.test.ts).
#include "test.h"
TEST_NAME("smp-stop")

  .text
  .globl test_main
test_main:
  la a0, m_both                   # (first: neither hart spins while the console is slow)
  call print_str
  li a0, 1
  la a1, hart1_entry
  li a2, 0
  SBI(EID_HSM, 0)
  CHECK(1, a0, 0)
  WAIT_FOR(h1_ready, 1)
  li t0, 1
  sw t0, go, t1
  SBI(EID_HSM, 1)                 # hart_stop: does not return
  j fail_returned

hart1_entry:
  li t0, 1
  sw t0, h1_ready, t1
1:
  lw t0, go
  beqz t0, 1b
  SBI(EID_HSM, 1)
fail_returned:                    # (hart_stop returned: test 2 fails)
  li a0, 2
  CHECK(2, a0, 0)

  .data
  .align 2
go:       .word 0
h1_ready: .word 0
m_both:   .asciz "smp-stop: both harts stop at once\n"
