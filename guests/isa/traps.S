# Synchronous exceptions: every cause this hart can raise outside paging (sv32.S covers page
# faults), the trap CSRs they set, delegation to S-mode through medeleg, and the xRET stacks
# of mstatus (privileged spec 1.12 §3.1.6.1, §3.1.8, §3.1.15, §3.3.2).
#include "test.h"
TEST_NAME("traps")

#define UNMAPPED 0x08000000          /* no device and no memory here, on wasmvisor and QEMU */

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  # ── ECALL and EBREAK ──
  EXPECT_TRAP(1, 11, ec_m: ecall)
  CHECK_EPC(2, ec_m)
  CHECK_TVAL(3, 0)
  EXPECT_TRAP(4, 3, eb_m: ebreak)
  CHECK_EPC(5, eb_m)
  EXPECT_TRAP(6, 8, ENTER_PRIV(0); ec_u: ecall)
  CHECK_EPC(7, ec_u)
  lw a0, trap_from_priv
  CHECK(8, a0, 0)                   # mstatus.MPP recorded the U-mode origin
  EXPECT_TRAP(9, 9, ENTER_PRIV(1); ecall)
  lw a0, trap_from_priv
  CHECK(10, a0, 1)

  # ── Illegal instructions: mtval holds the instruction bits ──
  EXPECT_TRAP(20, 2, .word 0xffffffff)
  CHECK_TVAL(21, 0xffffffff)
  EXPECT_TRAP(22, 2, .word 0x00004073)    # SYSTEM funct3 = 4
  CHECK_TVAL(23, 0x00004073)
  EXPECT_TRAP(24, 2, .word 0x0000200f)    # MISC-MEM funct3 = 2
  EXPECT_TRAP(25, 2, .word 0x00003003)    # LD (RV64 only)
  EXPECT_TRAP(26, 2, .word 0x00003023)    # SD (RV64 only)
  EXPECT_TRAP(27, 2, .word 0x40001033)    # OP with funct7 0x20, funct3 1
  EXPECT_TRAP(28, 2, .word 0x02001013)    # SLLI with shamt[5] set (RV32)
  EXPECT_TRAP(29, 2, .word 0x0000201b)    # OP-IMM-32 (RV64 only)
  EXPECT_TRAP(30, 2, .word 0x00002007)    # FLW: no F extension
  EXPECT_TRAP(31, 2, .word 0x00001067)    # JALR funct3 = 1
  EXPECT_TRAP(32, 2, .word 0x00002063)    # BRANCH funct3 = 2
  EXPECT_TRAP(33, 2, .word 0x0000302f)    # AMO funct3 = 3 (RV64 .d)
  EXPECT_TRAP(34, 2, .word 0x00200073)    # URET: not implemented
  EXPECT_TRAP(35, 2, .word 0x00000000)    # the all-zero parcel
  EXPECT_TRAP(36, 2, ENTER_PRIV(0); .word 0x5760000b) # WVCALL (wasmvisor's hypercall) from U:
  CHECK_TVAL(37, 0x5760000b)              # illegal on hardware, QEMU and in any partition
  EXPECT_TRAP(38, 2, .word 0x0000000b)    # the rest of custom-0 is illegal everywhere

  # ── Access faults: mtval holds the address ──
  li a1, UNMAPPED
  EXPECT_TRAP(40, 5, lw a0, 0(a1))
  CHECK_TVAL(41, UNMAPPED)
  EXPECT_TRAP(42, 7, sw a0, 4(a1))
  CHECK_TVAL(43, UNMAPPED + 4)
  EXPECT_TRAP(44, 5, lb a0, 3(a1))
  EXPECT_TRAP(45, 1, jalr a1)             # instruction access fault at the target
  CHECK_TVAL(46, UNMAPPED)
  lw a0, trap_mepc
  CHECK(47, a0, UNMAPPED)
  li a1, 0x88000000                       # just past 128 MiB of RAM
  EXPECT_TRAP(48, 5, lw a0, 0(a1))

  # ── Delegation: medeleg sends U-mode ECALL and illegal instructions to S ──
  la t0, s_trap_entry
  csrw stvec, t0
  li t0, (1 << 8) | (1 << 2)
  csrw medeleg, t0
  sw zero, s_trap_count, t0
  EXPECT_TRAP(50, 9, ENTER_PRIV(0); ec_u2: ecall)  # S handler → ECALL from S → M
  lw a0, s_trap_count
  CHECK(51, a0, 1)
  lw a0, s_trap_scause
  CHECK(52, a0, 8)
  lw a0, s_trap_sepc
  la a1, ec_u2
  CHECK_REG(53, a0, a1)
  lw a0, s_trap_sstatus
  andi a0, a0, 0x100                # SPP = 0: came from U
  CHECK(54, a0, 0)
  EXPECT_TRAP(55, 9, ENTER_PRIV(1); ill_s: .word 0xffffffff)
  lw a0, s_trap_scause
  CHECK(56, a0, 2)
  lw a0, s_trap_stval
  CHECK(57, a0, 0xffffffff)
  lw a0, s_trap_sstatus
  andi a0, a0, 0x100                # SPP = 1: came from S
  CHECK(58, a0, 0x100)
  # A delegated exception raised in M-mode still goes to M.
  lw s0, s_trap_count
  EXPECT_TRAP(59, 2, .word 0xffffffff)
  lw a0, s_trap_count
  CHECK_REG(60, a0, s0)
  # ECALL from M cannot be delegated.
  li t0, 0xffff
  csrw medeleg, t0
  EXPECT_TRAP(61, 11, ecall)
  csrw medeleg, zero

  # ── mstatus stacks on trap entry and xRET ──
  csrw mstatus, zero
  li t0, 0x8                        # MIE = 1 before the trap
  csrs mstatus, t0
  csrr s1, mie
  csrw mie, zero                    # (no interrupt can fire)
  EXPECT_TRAP(70, 11, ecall)
  csrr a0, mstatus                  # handler's MRET restored MIE from MPIE; MPIE = 1; MPP = M (handler set it)
  andi a0, a0, 0x88
  CHECK(71, a0, 0x88)
  csrw mstatus, zero
  # MRET to U: MIE ← MPIE, MPIE ← 1, MPP ← U, then ECALL from U takes MPIE ← MIE.
  li t0, 0x80                       # MPIE = 1, MIE = 0, MPP = U
  csrw mstatus, t0
  la t0, 2f
  csrw mepc, t0
  mret
2:
  EXPECT_TRAP(72, 8, ecall)         # from U: MPIE took MIE (= 1 after the MRET)
  csrr a0, mstatus
  andi a0, a0, 0x88
  CHECK(73, a0, 0x88)
  csrw mstatus, zero
  csrw mie, s1

  # SRET: SIE ← SPIE, SPIE ← 1, SPP ← U; from S to U.
  li t0, 0x800                      # MPP = S
  csrw mstatus, t0
  la t0, 3f
  csrw mepc, t0
  mret
3:
  li t0, 0x20                       # SPIE = 1, SPP = U, SIE = 0
  csrw sstatus, t0
  la t0, 4f
  csrw sepc, t0
  sret
4:
  EXPECT_TRAP(74, 8, ecall)         # we are in U now
  csrr a0, mstatus
  andi a0, a0, 0x122                # SIE = 1, SPIE = 1, SPP = 0
  CHECK(75, a0, 0x22)
  csrw mstatus, zero

  lw ra, 12(sp)
  addi sp, sp, 16
  ret
