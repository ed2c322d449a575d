# The CSR sweep of the adversarial suite (guests/hostile/m/adv-csr-m.S from M, hostile/s/
# adv-csr-s.S from S and U): every one of the 4096 CSR numbers with nine kinds of access, each
# written into `stub` and run (self-modifying code), checked against the privileged spec and the
# CSR set wasmvisor implements (README.md, "The guest-visible machine"). A guest sets
# mcounteren_value (and scounteren_value) to what its counters' enables are, fp_csrs_value to
# 1 when fflags, frm and fcsr may be accessed (F present and mstatus.FS not Off), defines
# `sweep_fail` (called with the failing check's TESTNUM, t5 = got, t6 = expected), and calls
# csr_sweep once per privilege level.
#include "test.h"

#define OPS 9
#define NOP 0x00000013
#define RET 0x00008067
/* A Zicsr instruction with csr = 0: funct3, rd, rs1 (register or uimm). */
#define CSRI(f3, rd, rs1) (((rs1) << 15) | ((f3) << 12) | ((rd) << 7) | 0x73)
#define A0 10
#define A1 11
#define A2 12

  .text
  .globl csr_sweep

# ── The sweep ───────────────────────────────────────────────────────────────────────────────
# a0 = privilege the sweep runs at (3, 1 or 0), a1 = mask for written values. Fails with test
# number 0x1000 * (op + 1) + csr, got = traps taken, expected = traps the spec gives.
csr_sweep:
  addi sp, sp, -48
  sw ra, 44(sp)
  sw s0, 40(sp)
  sw s1, 36(sp)
  sw s2, 32(sp)
  sw s3, 28(sp)
  sw s4, 24(sp)
  sw s5, 20(sp)
  sw s6, 16(sp)
  sw s7, 12(sp)
  mv s3, a0
  mv s6, a1
  call csr_exists_init
  li s0, 0                           # csr
  li s7, 0x2545f491                  # value generator
1:
  li s1, 0                           # op
2:
  # The stub: the op's three instructions with the CSR number, then RET.
  la s2, ops
  slli t0, s1, 4
  add s2, s2, t0
  la t2, stub
  slli t0, s0, 20
  lw t1, 0(s2)
  or t1, t1, t0
  sw t1, 0(t2)
  lw t1, 4(s2)
  or t1, t1, t0
  sw t1, 4(t2)
  lw t1, 8(s2)
  or t1, t1, t0
  sw t1, 8(t2)
  fence.i
  li t0, 1664525
  mul s7, s7, t0
  li t0, 1013904223
  add s7, s7, t0
  and a1, s7, s6
  lw s4, trap_count
  jalr t2
  lw s5, trap_count
  sub s5, s5, s4                     # traps taken
  # Traps expected: one for a denied read, two for a denied write (it and the restore).
  li s4, 0
  lbu t0, 12(s2)
  beqz t0, 3f
  mv a0, s0
  mv a1, s3
  li a2, 0
  call csr_legal
  bnez a0, 3f
  li s4, 1
3:
  lbu t0, 13(s2)
  beqz t0, 4f
  mv a0, s0
  mv a1, s3
  li a2, 1
  call csr_legal
  bnez a0, 4f
  addi s4, s4, 2
4:
  addi TESTNUM, s1, 1
  slli TESTNUM, TESTNUM, 12
  add TESTNUM, TESTNUM, s0
  mv t5, s5
  mv t6, s4
  bne t5, t6, sweep_fail
  beqz s4, 6f
  # The last trap: illegal instruction, mtval = the bits of the last trapping instruction.
  lw t5, trap_mcause
  li t6, 2
  bne t5, t6, sweep_fail
  li t0, 2
  lbu t1, 14(s2)                     # index of the restore (traps only if the write did)
  bge s4, t0, 5f
  li t1, 0
5:
  slli t1, t1, 2
  la t2, stub
  add t1, t1, t2
  lw t6, 0(t1)
  lw t5, trap_mtval
  bne t5, t6, sweep_fail
6:
  addi s1, s1, 1
  li t0, OPS
  bltu s1, t0, 2b
  addi s0, s0, 1
  li t0, 4096
  bltu s0, t0, 1b
  lw ra, 44(sp)
  lw s0, 40(sp)
  lw s1, 36(sp)
  lw s2, 32(sp)
  lw s3, 28(sp)
  lw s4, 24(sp)
  lw s5, 20(sp)
  lw s6, 16(sp)
  lw s7, 12(sp)
  addi sp, sp, 48
  ret

# Turn the table of implemented ranges into a bitmap (one bit per CSR number).
csr_exists_init:
  la t0, exists
1:
  lw t1, 0(t0)
  bltz t1, 3f
  lw t2, 4(t0)
  addi t0, t0, 8
2:
  srli t3, t1, 5
  slli t3, t3, 2
  la t4, exists_map
  add t3, t3, t4
  lw t4, 0(t3)
  li t5, 1
  sll t5, t5, t1
  or t4, t4, t5
  sw t4, 0(t3)
  addi t1, t1, 1
  bleu t1, t2, 2b
  j 1b
3:
  ret

# a0 = csr, a1 = privilege, a2 = 1 for a write → a0 = 1 if the access is legal (priv spec
# §2.1: csr[9:8] is the lowest privilege, csr[11:10] = 3 read-only), the CSR exists, a
# counter below M is enabled by mcounteren (and scounteren for U), and an FP CSR has FS on.
csr_legal:
  srli t0, a0, 8
  andi t0, t0, 3
  bgt t0, a1, 9f
  beqz a2, 1f
  srli t0, a0, 10
  li t1, 3
  beq t0, t1, 9f
1:
  srli t0, a0, 5                     # the bitmap of CSRs that exist (made by csr_exists_init)
  slli t0, t0, 2
  la t1, exists_map
  add t0, t0, t1
  lw t0, 0(t0)
  srl t0, t0, a0
  andi t0, t0, 1
  beqz t0, 9f
  li t0, 3                           # fflags, frm, fcsr: only with mstatus.FS not Off
  bgtu a0, t0, 7f
  lw t0, fp_csrs_value
  beqz t0, 9f
  j 8f
7:
  li t0, 3
  beq a1, t0, 8f
  # Counters (0xc00-0xc1f, 0xc80-0xc9f) below M need their enable bits.
  srli t0, a0, 5
  li t1, 0xc00 >> 5
  beq t0, t1, 3f
  li t1, 0xc80 >> 5
  bne t0, t1, 8f
3:
  andi t0, a0, 31
  lw t1, mcounteren_value
  srl t1, t1, t0
  andi t1, t1, 1
  beqz t1, 9f
  bnez a1, 8f
  lw t1, scounteren_value
  srl t1, t1, t0
  andi t1, t1, 1
  beqz t1, 9f
8:
  li a0, 1
  ret
9:
  li a0, 0
  ret

  .section .rodata
  .align 2
/* Per op: three instruction words (csr = 0), then reads (1 if it reads first), writes (1 if it
 * writes), the index of the restoring write, and a pad byte. */
ops:
  .word CSRI(2, A0, 0), NOP, NOP;                       .byte 1, 0, 0, 0   # csrrs a0, c, x0
  .word CSRI(6, A0, 0), NOP, NOP;                       .byte 1, 0, 0, 0   # csrrsi a0, c, 0
  .word CSRI(3, A0, 0), NOP, NOP;                       .byte 1, 0, 0, 0   # csrrc a0, c, x0
  .word CSRI(1, A0, A1), CSRI(1, 0, A0), NOP;           .byte 0, 1, 1, 0   # csrrw; restore
  .word CSRI(2, A0, A1), CSRI(1, 0, A0), NOP;           .byte 0, 1, 1, 0   # csrrs a0, c, a1; restore
  .word CSRI(3, A0, A1), CSRI(1, 0, A0), NOP;           .byte 0, 1, 1, 0   # csrrc a0, c, a1; restore
  .word CSRI(5, A0, 31), CSRI(1, 0, A0), NOP;           .byte 0, 1, 1, 0   # csrrwi a0, c, 31; restore
  .word CSRI(7, A0, 31), CSRI(1, 0, A0), NOP;           .byte 0, 1, 1, 0   # csrrci a0, c, 31; restore
  .word CSRI(2, A2, 0), CSRI(1, 0, A1), CSRI(1, 0, A2); .byte 1, 1, 2, 0   # read; csrrw x0; restore

/* The CSRs this hart implements (README.md, "The guest-visible machine"), inclusive ranges. */
exists:
  .word 0x100, 0x100, 0x104, 0x106, 0x10a, 0x10a, 0x140, 0x144, 0x14d, 0x14d   # S (stimecmp: Sstc)
  .word 0x15d, 0x15d, 0x180, 0x180
  .word 0x300, 0x306, 0x30a, 0x30a, 0x310, 0x310, 0x31a, 0x31a                 # M trap setup
  .word 0x320, 0x320, 0x323, 0x33f, 0x340, 0x344, 0x3a0, 0x3ef                 # counters, trap handling, PMP
  .word 0xb00, 0xb00, 0xb02, 0xb1f, 0xb80, 0xb80, 0xb82, 0xb9f                 # M counters
  .word 0x7a0, 0x7a4                                                           # Sdtrig: tselect, tdata1-3, tinfo
  .word 0xc00, 0xc1f, 0xc80, 0xc9f, 0xf11, 0xf15                               # user counters, ids
  .word 0x001, 0x003                                                           # fflags, frm, fcsr (F)
  .word -1, -1

  .data
  .align 2
  .globl mcounteren_value, scounteren_value, fp_csrs_value
mcounteren_value: .word 0
scounteren_value: .word 0
fp_csrs_value: .word 0
exists_map: .space 512
  .align 4
stub:
  .word NOP, NOP, NOP, RET
