# Adversarial suite, CSRs from S and U (test/adversarial.test.ts): a supervisor-mode guest sweeps
# all 4096 CSR numbers with nine kinds of access each (as guests/hostile/m/adv-csr-m.S does from
# M), first from S, then from U, and checks each against the privileged spec: an access traps
# (illegal instruction, stval = its bits) exactly when the CSR does not exist, needs more
# privilege (every M- and H-level CSR), is read-only and written, or is a counter its enable
# bits hide (mcounteren = all ones as the hypervisor sets it, like OpenSBI; scounteren as this
# guest sets it for U). Written values are pseudo-random with bit 31 clear (so satp stays Bare
# while the instruction after the write fetches) and every register is put back at once; the
# guest's vector, sstatus, sie and satp must be intact afterwards. Then the WARL corners of stvec
# (MODE 2 and 3 ignored) and sepc (bit 0 reads 0). Last, satp gets Sv32 junk
# whose root table is nowhere: every fetch faults, the vector too, and the hypervisor must stop
# the partition as a fatal fault (a trap loop) — it must not hang or escape.
#
# Prints one line per attack that was contained; ends in the fatal trap loop (status 126).
#include "test.h"
TEST_NAME("adv-csr-s")

#define OPS 9
#define NOP 0x00000013
#define RET 0x00008067
/* A Zicsr instruction with csr = 0: funct3, rd, rs1 (register or uimm). */
#define CSRI(f3, rd, rs1) (((rs1) << 15) | ((f3) << 12) | ((rd) << 7) | 0x73)
#define A0 10
#define A1 11
#define A2 12
#define SPP 0x100
#define SCOUNTEREN_U 0xd                 /* cycle, instret and hpmcounter3 for U */

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)
  lw t0, hypervisor_mcounteren      # the sweep's model of mcounteren
  sw t0, mcounteren_value, t1

  # ── From S ──
  csrr s8, stvec
  csrr s9, sstatus
  srli t0, s9, 13                    # the FP CSRs are there while sstatus.FS is not Off
  andi t0, t0, 3
  snez t0, t0
  sw t0, fp_csrs_value, t1
  li a0, 1
  li a1, 0x7fffffff
  call csr_sweep
  csrr a0, stvec
  CHECK_REG(1, a0, s8)
  csrr a0, sstatus                   # (every trap's SRET leaves SPIE set, SPP as it came)
  li t0, ~0x120
  and a0, a0, t0
  and s9, s9, t0
  CHECK_REG(2, a0, s9)
  csrr a0, sie
  CHECK(3, a0, 0)
  csrr a0, satp
  CHECK(4, a0, 0)
  PRINT(msg_sweep_s)

  # ── From U (the same code, run in U-mode with satp Bare) ──
  li t0, SCOUNTEREN_U
  csrw scounteren, t0
  sw t0, scounteren_value, t1
  li t0, 1
  sw t0, sweep_in_user, t1
  li t0, SPP
  csrc sstatus, t0
  la t0, user_sweep
  csrw sepc, t0
  sret
user_sweep:
  li a0, 0
  li a1, -1
  call csr_sweep
  la t0, 1f                          # back to S through an ECALL (cause 8, delegated to S)
  sw t0, trap_resume, t1
  ecall
1:
  sw zero, sweep_in_user, t0
  lw a0, trap_mcause
  CHECK(10, a0, 8)
  PRINT(msg_sweep_u)

  # ── stvec MODE 2 and 3 are reserved (the write is ignored); sepc[0] reads 0 ──
  la t0, s_trap_entry
  ori t1, t0, 2
  csrw stvec, t1
  csrr a0, stvec
  CHECK_REG(20, a0, t0)
  ori t1, t0, 3
  csrw stvec, t1
  csrr a0, stvec
  CHECK_REG(21, a0, t0)
  li t1, 0x80000001
  csrw sepc, t1
  csrr a0, sepc
  CHECK(22, a0, 0x80000000)
  PRINT(msg_warl)

  # ── satp junk from S: the root table lies outside RAM (ppn 0x3ffff) ──
  PRINT(msg_satp)
  li t0, 0xffc3ffff
  csrw satp, t0
  nop                                # never fetched: the hypervisor stops the loop
  j test_fail_notrap

# A sweep check failed: report it from S (from U, return to S through an ECALL first; t5, t6 and
# TESTNUM survive the trap).
  .globl sweep_fail
sweep_fail:
  lw t0, sweep_in_user
  beqz t0, test_fail_values
  la t0, test_fail_values
  sw t0, trap_resume, t1
  ecall

  .section .rodata
msg_sweep_s: .asciz "adv-csr-s: 4096 CSRs x 9 accesses from S: illegal exactly where the spec says, state intact\n"
msg_sweep_u: .asciz "adv-csr-s: 4096 CSRs x 9 accesses from U: illegal exactly where the spec says\n"
msg_warl:    .asciz "adv-csr-s: odd stvec/sepc values legalised\n"
msg_satp:    .asciz "adv-csr-s: satp junk from S: every fetch faults until the hypervisor stops the trap loop\n"

  .data
  .align 2
sweep_in_user:    .word 0
  .globl hypervisor_mcounteren
hypervisor_mcounteren: .word -1    # as the hypervisor sets it for a supervisor-mode guest (OpenSBI's)
