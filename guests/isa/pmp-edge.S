# PMP edge cases where QEMU 7.2 departs from the privileged spec (test/qemu.test.ts lists it):
# a TOR entry whose address is below the one before it matches no address (§3.7.1.1; QEMU 7.2
# computes its top as pmpaddr - 1 and wraps to the top of memory when pmpaddr is 0); with no
# entry active, S and U cannot fetch (an instruction access fault after the MRET, which QEMU 7.2
# refuses as an illegal instruction instead).
#include "test.h"
TEST_NAME("pmp-edge")

#define A_TOR   0x08
#define A_NAPOT 0x18
#define RWX     0x07
#define R       0x01

  .text
  .globl test_main
test_main:
  la s0, data_page
  li t0, -1                         # entry 15: RWX over everything (the background)
  csrw pmpaddr15, t0
  li t0, (A_NAPOT | RWX) << 24
  csrw pmpcfg3, t0
  srli t0, s0, 2                    # entry 1: TOR [data_page, 0): empty, matches nothing
  csrw pmpaddr0, t0
  csrw pmpaddr1, zero
  li t0, (A_TOR | R) << 8
  csrw pmpcfg0, t0
  EXPECT_TRAP(1, 8, ENTER_PRIV(0); sw a0, 0(s0); ecall)
  li t0, 0x100                      # the same top below bottom, not zero
  csrw pmpaddr1, t0
  EXPECT_TRAP(2, 8, ENTER_PRIV(0); sw a0, 0(s0); ecall)
  csrw pmpcfg0, zero
  csrw pmpcfg3, zero                # no entry at all: S and U cannot even fetch
  EXPECT_TRAP(3, 1, ENTER_PRIV(0); u_fetch: nop)
  EXPECT_TRAP(4, 1, ENTER_PRIV(1); nop)
  lw a0, 0(s0)                      # M is free
  li t0, (A_NAPOT | RWX) << 24
  csrw pmpcfg3, t0
  ret

  .data
  .align 12
data_page: .space 4096
