# Adversarial suite, CSRs from M (test/adversarial.test.ts): a machine-mode guest sweeps all 4096
# CSR numbers with nine kinds of access each — reads (CSRRS/CSRRC with x0, CSRRSI 0), writes
# (CSRRW, CSRRS, CSRRC with a register, CSRRWI, CSRRCI, each followed by a write of the old
# value back) and a read + CSRRW x0 + restore — and checks each against the privileged spec and
# the implemented set README.md documents: an access traps (illegal instruction, mtval = its
# bits) exactly when the CSR does not exist or is read-only and written. Written values are
# pseudo-random (satp, mtvec, mstatus, medeleg… get junk for one instruction) and every register
# is put back at once, so the guest survives its own writes; afterwards its trap vector, mstatus
# and delegation must be as before. Then the WARL corners of mtvec (MODE 2 and 3 ignored) and
# mepc (bit 0 reads 0). Each instruction is written into a stub in RAM and run after FENCE.I:
# self-modifying code, 36,864 times.
#
# Prints one line per attack that was contained, then PASS (test finisher).
#include "test.h"
TEST_NAME("adv-csr-m")

#define OPS 9
#define NOP 0x00000013
#define RET 0x00008067
/* A Zicsr instruction with csr = 0: funct3, rd, rs1 (register or uimm). */
#define CSRI(f3, rd, rs1) (((rs1) << 15) | ((f3) << 12) | ((rd) << 7) | 0x73)
#define A0 10
#define A1 11
#define A2 12

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  csrr s8, mtvec                     # what the sweep must leave intact
  csrr s9, mstatus
  csrr s10, medeleg
  srli t0, s9, 13                    # the FP CSRs are there while mstatus.FS is not Off
  andi t0, t0, 3
  snez t0, t0
  sw t0, fp_csrs_value, t1
  li a0, 3                           # from M
  li a1, -1                          # any value may be written
  call csr_sweep
  csrr a0, mtvec
  CHECK_REG(1, a0, s8)
  csrr a0, mstatus                   # (every trap's MRET leaves MPIE set and MPP = U)
  li t0, ~0x1880
  and a0, a0, t0
  and s9, s9, t0
  CHECK_REG(2, a0, s9)
  csrr a0, medeleg
  CHECK_REG(3, a0, s10)
  csrr a0, mie
  CHECK(4, a0, 0)
  csrr a0, satp
  CHECK(5, a0, 0)
  PRINT(msg_sweep)

  # mtvec MODE 2 and 3 are reserved: the write is ignored; mepc[0] reads 0.
  la t0, m_trap_entry
  ori t1, t0, 2
  csrw mtvec, t1
  csrr a0, mtvec
  CHECK_REG(10, a0, t0)
  ori t1, t0, 3
  csrw mtvec, t1
  csrr a0, mtvec
  CHECK_REG(11, a0, t0)
  li t1, 0x80000003
  csrw mepc, t1
  csrr a0, mepc
  CHECK(12, a0, 0x80000002)
  li t1, -1                          # misa is read-only in effect (WARL, no bit writable)
  csrw misa, t1
  csrr a0, misa
  CHECK(13, a0, 0x4014112d)         # RV32GC: A C D F I M S U
  PRINT(msg_warl)

  lw ra, 12(sp)
  addi sp, sp, 16
  ret
# A check of the sweep failed (guests/hostile/common/csr-sweep.S).
  .globl sweep_fail
sweep_fail:
  j test_fail_values

  .section .rodata
msg_sweep: .asciz "adv-csr-m: 4096 CSRs x 9 accesses from M: illegal exactly where the spec says, state intact\n"
msg_warl:  .asciz "adv-csr-m: odd mtvec/mepc values legalised, misa fixed\n"

