# Triggers that belong to an external debugger (tdata1.dmode = 1): M-mode software enumerates
# the triggers as the Debug Specification describes (§5.1) and finds the debugger's among them;
# it can read them but not change them (writes to tdata1, tdata2 and tdata3 are ignored), cannot
# make one of its own a debugger's (dmode stays 0), and cannot chain one of its own into a
# debugger's (chain reads 0 then). It prints how many it found, then executes `dmode_probe` and
# loads `dmode_data`, where a debugger may have put a hardware breakpoint and a watchpoint.
# Alone it finds none; test/gdb.test.ts runs it with a debugger's triggers set.
#include "test.h"
TEST_NAME("trigger-dmode")

#define T6(bits) ((6 << 28) | (bits))
#define DMODE (1 << 27)
#define CHAIN (1 << 11)
#define TU  (1 << 3)
#define TLD 1

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)
  li s1, 0                          # trigger index
  li s2, 0                          # the debugger's
1:
  csrw tselect, s1
  csrr a0, tselect
  bne a0, s1, 9f                    # no such index
  csrr a0, tinfo
  li t0, 1
  beq a0, t0, 9f                    # no trigger there
  csrr s3, tdata1
  srli t0, s3, 28
  beqz t0, 9f
  li t0, DMODE
  and t0, s3, t0
  beqz t0, 3f
  # A debugger's: nothing the guest writes changes it.
  csrr s4, tdata2
  csrw tdata1, zero
  li t0, T6(TU | TLD)
  csrw tdata1, t0
  li t0, T6(DMODE | TU | TLD)
  csrw tdata1, t0
  li t0, 0x5a5a5a5a
  csrw tdata2, t0
  csrw tdata3, t0
  csrr a0, tdata1
  CHECK_REG(1, a0, s3)
  csrr a0, tdata2
  CHECK_REG(2, a0, s4)
  addi s2, s2, 1
  j 8f
3:
  # The guest's own: it cannot set dmode, nor chain into the debugger's next one.
  li t0, T6(DMODE | TU | TLD)
  csrw tdata1, t0
  csrr a0, tdata1
  CHECK(3, a0, T6(TU | TLD))
  addi t1, s1, 1
  csrw tselect, t1
  csrr t2, tselect
  bne t2, t1, 4f
  csrr t2, tdata1
  csrw tselect, s1
  li t0, DMODE
  and t2, t2, t0
  beqz t2, 4f
  li t0, T6(CHAIN | TU | TLD)
  csrw tdata1, t0
  csrr a0, tdata1
  CHECK(4, a0, T6(TU | TLD))
4:
  csrw tselect, s1
  csrw tdata1, zero
8:
  addi s1, s1, 1
  j 1b
9:
  CHECK(5, s1, 4)                   # four triggers
  la a0, msg_found
  call print_str
  mv a0, s2
  call print_dec
  li a0, '\n'
  call print_char
  call dmode_probe
  lw ra, 12(sp)
  addi sp, sp, 16
  ret

  .globl dmode_probe
dmode_probe:
  la t0, dmode_data
  lw a0, 0(t0)
  addi a0, a0, 1
  sw a0, 0(t0)
  ret

  .section .rodata
msg_found: .asciz "debugger triggers: "
  .data
  .align 4
  .globl dmode_data
dmode_data: .word 41
