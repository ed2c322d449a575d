# Adversarial suite, memory (test/adversarial.test.ts): a machine-mode guest with 1 MiB of RAM
# attacks the memory map from M and through its own page tables (S-mode translation, reached
# with MPRV for data and by MRET for instruction fetches). Every access must end in the fault
# the privileged spec prescribes, taken by this guest's own handler, or reach its own RAM or its
# own devices — never anything else:
#
#   physical   loads, stores and fetches where the host keeps kernel state (0), just below and
#              just past its RAM (where a neighbour's RAM would follow in a flat map), at the top
#              of the space; misaligned words straddling both ends of RAM (a faulting store writes
#              no byte); a 32-bit instruction whose second half lies past the end of RAM
#   atomics    AMO, LR and SC on every device (UART, CLINT, PLIC, the test finisher, an empty
#              virtio slot) and past RAM: access faults, the device untouched; misaligned ones
#   fetch      from every device: instruction access faults
#   tables     leaves into kernel state, device space (its own UART: that works), past RAM, at
#              guest-physical addresses other partitions use (which are its own RAM here), above
#              4 GiB; misaligned megapages; W-only leaves; table pointers outside RAM and into a
#              device; a root table above 4 GiB and satp junk; executing through all of them
#   SMC        code written into RAM and run after FENCE.I, then rewritten and run again
#   regions    (in a partition that maps them: a read-only region at 0x2000_0000 and an
#              execute-only one at 0x2000_1000) stores, AMOs and SC to the read-only one and
#              loads from the execute-only one fault, directly and through writable, readable
#              PTEs (the partition's permissions win over the guest's, in shadow and nested
#              paging alike); fetching from the execute-only one works (its zeros are an illegal
#              instruction); a page table in the read-only region cannot get its A bit
#
# Needs: RAM of exactly 1 MiB (RAM_END), the default devices. Prints one line per class, then
# PASS (test finisher). Without the regions (the bare machine) their line is not printed.
#include "test.h"
TEST_NAME("adv-mem")

#define RAM_END 0x80100000
#define V 0x01
#define R 0x02
#define W 0x04
#define X 0x08
#define U 0x10
#define A 0x40
#define D 0x80
#define MPRV 0x20000
#define MPP 0x1800
#define MPP_S 0x0800
#define SATP_SV32 0x80000000
#define RO 0x20000000
#define XO 0x20001000

/* A load/store at a fixed address must fault with `cause` and mtval = the address. */
#define LOAD_FAULT(n, insn, addr) li a1, addr; EXPECT_TRAP(n, 5, insn a0, 0(a1)); CHECK_TVAL(n, addr)
#define STORE_FAULT(n, insn, addr) li a1, addr; EXPECT_TRAP(n, 7, insn a0, 0(a1)); CHECK_TVAL(n, addr)
/* The same with mtval = either of two addresses (a misaligned access may report the start of the
 * access or of the part that faulted, priv spec §3.1.16). */
#define LOAD_FAULT2(n, insn, addr, part) li a1, addr; EXPECT_TRAP(n, 5, insn a0, 0(a1)); CHECK_TVAL2(n, addr, part)
#define CHECK_TVAL2(n, a, b) li TESTNUM, n; lw t5, trap_mtval; li t6, a; beq t5, t6, 98f; li t6, b; bne t5, t6, test_fail_values; 98:
#define FETCH_FAULT(n, addr) li a1, addr; EXPECT_TRAP(n, 1, jalr a1); CHECK_TVAL(n, addr)
/* Data accesses as S through the page tables (mstatus.MPRV with MPP = S; every trap clears it). */
#define AS_S li t0, MPP; csrc mstatus, t0; li t0, MPRV | MPP_S; csrs mstatus, t0
#define AS_M li t0, MPRV; csrc mstatus, t0
/* A translated load/store at `va` must fault with `cause`, mtval = va. */
#define S_LOAD_FAULT(n, cause, va) li a1, va; EXPECT_TRAP(n, cause, AS_S; lw a0, 0(a1)); CHECK_TVAL(n, va)
#define S_STORE_FAULT(n, cause, va) li a1, va; EXPECT_TRAP(n, cause, AS_S; sw a0, 0(a1)); CHECK_TVAL(n, va)
/* Fetching at `va` in S (or U) must fault with `cause`, mtval = va. */
#define S_FETCH_FAULT(n, cause, va) li a0, va; li a1, MPP_S; call run_at; CHECK(n, a0, cause); CHECK_TVAL(n, va)
#define U_FETCH_FAULT(n, cause, va) li a0, va; li a1, 0; call run_at; CHECK(n, a0, cause); CHECK_TVAL(n, va)
/* Root-table entry `idx` = t0. */
#define ROOT_SW(idx) la t1, root; li t2, (idx) * 4; add t1, t1, t2; sw t0, 0(t1)
#define L0_SW(idx) la t1, l0; li t2, (idx) * 4; add t1, t1, t2; sw t0, 0(t1)

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  # ── Physical accesses from M ──
  LOAD_FAULT(1, lw, 0x00000000)
  STORE_FAULT(2, sw, 0x00000000)
  LOAD_FAULT(3, lw, 0x00010000)
  STORE_FAULT(4, sw, 0x00400000)
  LOAD_FAULT(5, lw, 0x7ffff000)
  LOAD_FAULT(6, lw, RAM_END)         # where a neighbour's RAM would follow
  STORE_FAULT(7, sw, RAM_END)
  LOAD_FAULT(8, lb, 0x80400000)
  LOAD_FAULT(9, lw, 0xfffffffc)
  LOAD_FAULT(10, lw, 0x10009000)     # past the eight virtio slots
  LOAD_FAULT2(11, lw, RAM_END - 2, RAM_END)  # misaligned, straddling the end of RAM
  LOAD_FAULT2(12, lh, RAM_END - 1, RAM_END)
  LOAD_FAULT(13, lw, 0x7ffffffe)     # straddling the start of RAM
  LOAD_FAULT(14, lw, 0xfffffffe)     # wrapping to address 0
  li a1, RAM_END - 4                 # a faulting store writes no byte
  li t0, 0x11223344
  sw t0, 0(a1)
  li a0, 0x55667788
  li a1, RAM_END - 2
  EXPECT_TRAP(15, 7, sw a0, 0(a1))
  lw a0, trap_mtval                  # an address inside the access (wasmvisor reports its last
  li t0, RAM_END - 2                 # byte, RAM_END + 1; test/adversarial-findings.test.ts)
  sub a0, a0, t0
  sltiu a0, a0, 4
  CHECK(16, a0, 1)
  li a1, RAM_END - 4
  lw a0, 0(a1)
  CHECK(17, a0, 0x11223344)
  li a1, 0x80000000
  lw s0, 0(a1)
  li a1, 0x7ffffffe
  li a0, -1
  EXPECT_TRAP(18, 7, sw a0, 0(a1))
  CHECK_TVAL(18, 0x7ffffffe)
  li a1, 0x80000000
  lw a0, 0(a1)
  CHECK_REG(19, a0, s0)              # _start's first instruction is intact
  li a1, RAM_END - 2                 # a 32-bit instruction in the last halfword of RAM
  li t0, 0x0513                      # the low half of "li a0, 0"
  sh t0, 0(a1)
  fence.i
  li a1, RAM_END - 2
  EXPECT_TRAP(20, 1, jalr a1)
  CHECK_TVAL(21, RAM_END)            # the half that faulted (priv spec §3.1.16)
  lw a0, trap_mepc
  CHECK(22, a0, RAM_END - 2)
  PRINT(msg_phys)

  # ── Atomics on devices and past RAM ──
  li a1, 0x10000000                  # UART
  EXPECT_TRAP(30, 7, amoswap.w a0, a0, (a1))
  li a1, 0x00100000                  # the test finisher: must not finish anything
  li a0, 0x5555
  EXPECT_TRAP(31, 7, amoswap.w a0, a0, (a1))
  li a1, 0x00100000
  li a0, 0x5555
  EXPECT_TRAP(32, 7, amoor.w a0, a0, (a1))
  li a1, 0x0200bff8                  # CLINT mtime
  EXPECT_TRAP(33, 5, lr.w a0, (a1))
  li a1, 0x02004000                  # CLINT mtimecmp
  EXPECT_TRAP(34, 7, sc.w a0, a0, (a1))
  li a1, 0x0c000004                  # PLIC priority 1
  EXPECT_TRAP(35, 7, amoadd.w a0, a0, (a1))
  li a1, 0x02000000                  # msip
  li a0, 1
  EXPECT_TRAP(36, 7, amoor.w a0, a0, (a1))
  csrr a0, mip
  CHECK(37, a0, 0)                   # the software interrupt was not raised
  li a1, 0x10001000
  EXPECT_TRAP(38, 7, amomax.w a0, a0, (a1))
  li a1, RAM_END
  EXPECT_TRAP(39, 5, lr.w a0, (a1))
  CHECK_TVAL(40, RAM_END)
  li a1, RAM_END - 2
  EXPECT_TRAP(41, 6, amoadd.w a0, a0, (a1))
  li a1, RAM_END - 2
  EXPECT_TRAP(42, 4, lr.w a0, (a1))
  li a1, RAM_END - 4                 # the last word of RAM is fine
  li a0, 5
  amoadd.w a0, a0, (a1)
  CHECK(43, a0, 0x05133344)          # (its upper half is that instruction's low half)
  PRINT(msg_amo)

  # ── Fetch from devices ──
  FETCH_FAULT(50, 0x10000000)
  FETCH_FAULT(51, 0x02000000)
  FETCH_FAULT(52, 0x0c000000)
  FETCH_FAULT(53, 0x00100000)
  FETCH_FAULT(54, 0x10001000)
  FETCH_FAULT(55, 0x00000000)
  FETCH_FAULT(56, RAM_END)
  FETCH_FAULT(57, 0xfffffffe)
  PRINT(msg_fetch)

  # ── Page tables ──
  li t0, (0x80000 << 10) | V | R | W | X | A | D      # identity megapage for this code
  ROOT_SW(0x200)
  li t0, (0x00000 << 10) | V | R | W | X | A | D      # 0x4000_0000 → 0 (kernel state?)
  ROOT_SW(0x100)
  li t0, (0x10000 << 10) | V | R | W | X | A | D      # 0x4040_0000 → 0x1000_0000, its UART
  ROOT_SW(0x101)
  li t0, (0x80400 << 10) | V | R | W | X | A | D      # 0x4080_0000 → past its RAM
  ROOT_SW(0x102)
  li t0, (0x80000 << 10) | V | R | A                  # 0x40c0_0000 → its own RAM
  ROOT_SW(0x103)
  li t0, (0x80001 << 10) | V | R | W | A | D          # 0x4100_0000 misaligned megapage
  ROOT_SW(0x104)
  li t0, (0x00010 << 10) | V                          # 0x4140_0000 → a table outside RAM
  ROOT_SW(0x105)
  li t0, (0x10000 << 10) | V                          # 0x4180_0000 → a table in the UART
  ROOT_SW(0x106)
  li t0, (0x300000 << 10) | V | R | W | X | A | D     # 0x41c0_0000 → above 4 GiB
  ROOT_SW(0x107)
  li t0, (0x80000 << 10) | V | W | A | D              # 0x4200_0000 W only: reserved
  ROOT_SW(0x108)
  la t0, l0                                           # 0x4240_0000 → l0
  srli t0, t0, 12
  slli t0, t0, 10
  ori t0, t0, V
  ROOT_SW(0x109)
  li t0, (0x0c000 << 10) | V | R | W | A | D          # +0x0000 → the PLIC (its own)
  L0_SW(0)
  li t0, (0x80100 << 10) | V | R | W | X | A | D      # +0x1000 → just past RAM
  L0_SW(1)
  la t0, l0                                           # +0x2000 → a pointer at level 0
  srli t0, t0, 12
  slli t0, t0, 10
  ori t0, t0, V
  L0_SW(2)
  li t0, (0x02000 << 10) | V | R | W | X | A | D      # +0x3000 → the CLINT, executable
  L0_SW(3)
  li t0, (0x7ffff << 10) | V | R | W | X | A | D      # +0x4000 → just below RAM
  L0_SW(4)
  li t0, (0x3fffff << 10) | V | R | W | X | A | D     # +0x5000 → the top of the 34-bit space
  L0_SW(5)
  la t0, root
  srli t0, t0, 12
  li t1, SATP_SV32
  or t0, t0, t1
  csrw satp, t0
  sfence.vma

  S_LOAD_FAULT(60, 5, 0x40000000)
  S_STORE_FAULT(61, 7, 0x40000004)
  li a1, 0x40400005                  # its own UART's LSR through a PTE: THRE | TEMT
  AS_S
  lbu a0, 0(a1)
  AS_M
  CHECK(62, a0, 0x60)
  S_LOAD_FAULT(63, 5, 0x40800000)
  S_STORE_FAULT(64, 7, 0x40800ffc)
  li a1, 0x40c00000                  # its own RAM at another partition's address: its own bytes
  AS_S
  lw a0, 0(a1)
  AS_M
  li a1, 0x80000000
  lw a2, 0(a1)
  CHECK_REG(65, a0, a2)
  S_STORE_FAULT(66, 15, 0x40c00000)  # read-only leaf: store page fault
  S_LOAD_FAULT(67, 13, 0x41000000)
  S_LOAD_FAULT(68, 5, 0x41400000)
  S_LOAD_FAULT(69, 5, 0x41800000)
  S_LOAD_FAULT(70, 5, 0x41c00000)
  S_LOAD_FAULT(71, 13, 0x42000000)
  li a1, 0x42400004                  # PLIC priority 1 through a 4 KiB page: reads 0
  AS_S
  lw a0, 0(a1)
  AS_M
  CHECK(72, a0, 0)
  S_LOAD_FAULT(73, 5, 0x42401000)
  S_LOAD_FAULT(74, 13, 0x42402000)
  S_LOAD_FAULT(75, 5, 0x42404000)
  S_LOAD_FAULT(76, 5, 0x42405000)
  li a1, 0x40400000                  # an AMO on its UART through a PTE
  EXPECT_TRAP(77, 7, AS_S; amoswap.w a0, a0, (a1))
  S_FETCH_FAULT(80, 1, 0x40000000)
  S_FETCH_FAULT(81, 1, 0x40400000)
  S_FETCH_FAULT(82, 1, 0x40800000)
  S_FETCH_FAULT(83, 12, 0x41000000)
  S_FETCH_FAULT(84, 1, 0x41400000)
  S_FETCH_FAULT(85, 1, 0x41c00000)
  S_FETCH_FAULT(86, 1, 0x42403000)   # the CLINT through an executable PTE
  S_FETCH_FAULT(87, 12, 0x40c00000)  # not executable
  U_FETCH_FAULT(88, 12, 0x80000000)  # not a user page
  U_FETCH_FAULT(89, 12, 0x42405000)  # not a user page either

  # Root tables nowhere: above 4 GiB, and junk.
  li t0, SATP_SV32 | 0x100000
  csrw satp, t0
  S_LOAD_FAULT(90, 5, 0x80000000)
  S_FETCH_FAULT(91, 1, 0x80000000)
  li t0, 0x8badf00d
  csrw satp, t0
  S_LOAD_FAULT(92, 5, 0x12345678)
  S_STORE_FAULT(93, 7, 0xdeadbeec)
  li t0, 0xffffffff
  csrw satp, t0
  S_FETCH_FAULT(94, 1, 0x80000000)
  li t0, 0x80000000                  # ppn 0: the root table at physical 0
  csrw satp, t0
  S_LOAD_FAULT(95, 5, 0x00000000)
  csrw satp, zero
  sfence.vma
  PRINT(msg_tables)

  # ── Self-modifying code ──
  la a1, smc
  li t0, 0x02a00513                  # li a0, 42
  sw t0, 0(a1)
  li t0, 0x00008067                  # ret
  sw t0, 4(a1)
  fence.i
  li a0, 0
  jalr a1
  CHECK(100, a0, 42)
  la a1, smc
  li t0, 0x02b00513                  # li a0, 43
  sw t0, 0(a1)
  fence.i
  jalr a1
  CHECK(101, a0, 43)
  la a1, smc                         # a compressed rewrite: c.li a0, 7; c.jr ra
  li t0, 0x8082451d
  sw t0, 0(a1)
  fence.i
  jalr a1
  CHECK(102, a0, 7)
  PRINT(msg_smc)

  # ── Shared regions with permissions (only where the partition maps them) ──
  li a1, RO
  la t0, 1f
  sw t0, trap_resume, t1
  lw a0, 0(a1)                       # readable? (on the bare machine: an access fault)
  sw zero, trap_resume, t0
  j 2f
1:
  j 9f
2:
  CHECK(110, a0, 0)
  STORE_FAULT(111, sw, RO)
  STORE_FAULT(112, sb, RO + 3)
  li a1, RO
  EXPECT_TRAP(113, 7, amoswap.w a0, a0, (a1))
  li a1, RO
  lr.w a0, (a1)                      # LR reads: fine; the SC cannot write
  EXPECT_TRAP(114, 7, sc.w a0, a0, (a1))
  LOAD_FAULT(115, lw, XO)
  li a1, XO
  EXPECT_TRAP(116, 2, jalr a1)       # fetched (zeros): an illegal instruction
  lw a0, trap_mepc
  CHECK(117, a0, XO)
  # Through page tables: RW leaves onto both, an executable one onto XO, a table in RO.
  li t0, (RO >> 12 << 10) | V | R | W | X | A | D     # 0x4300_0000 → RO, read-write
  la t1, l0
  sw t0, 0x40(t1)                                     # (l0 entry 0x10: 0x4241_0000)
  li t0, (XO >> 12 << 10) | V | R | W | X | A | D     # 0x4241_1000 → XO
  sw t0, 0x44(t1)
  li t0, (RO >> 12 << 10) | V                         # 0x4280_0000 → a table in RO
  ROOT_SW(0x10a)
  la t0, root
  srli t0, t0, 12
  li t1, SATP_SV32
  or t0, t0, t1
  csrw satp, t0
  sfence.vma
  li a1, 0x42410000
  AS_S
  lw a0, 0(a1)
  AS_M
  CHECK(118, a0, 0)
  S_STORE_FAULT(119, 7, 0x42410000)  # the partition's read-only wins over the PTE's W
  li a1, 0x42410000                  # again, now that the translation is cached
  AS_S
  lw a0, 0(a1)
  AS_M
  S_STORE_FAULT(120, 7, 0x42410004)
  S_LOAD_FAULT(121, 5, 0x42411000)   # execute-only: no loads, whatever the PTE says
  li a1, 0x42411000
  EXPECT_TRAP(122, 7, AS_S; amoadd.w a0, a0, (a1))
  li a0, 0x42411000                  # but fetches: its zeros are an illegal instruction
  li a1, MPP_S
  call run_at
  CHECK(123, a0, 2)
  lw a0, trap_mepc
  CHECK(123, a0, 0x42411000)
  S_LOAD_FAULT(124, 13, 0x42800000)  # a table in RO: its PTEs are zero (invalid)
  csrw satp, zero
  sfence.vma
  PRINT(msg_regions)
9:

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

# Enter privilege a1 (MPP bits) at a0 with the current satp; the fetch there must fault back to
# M. Returns a0 = mcause (the handler resumes here in M).
run_at:
  csrw mepc, a0
  li t0, MPP
  csrc mstatus, t0
  csrs mstatus, a1
  la t0, 1f
  sw t0, trap_resume, t1
  mret
1:
  lw a0, trap_mcause
  ret

  .section .rodata
msg_phys:   .asciz "adv-mem: kernel state, a neighbour's RAM and both ends of RAM faulted, nothing written\n"
msg_amo:    .asciz "adv-mem: AMO/LR/SC on every device and past RAM faulted, devices untouched\n"
msg_fetch:  .asciz "adv-mem: fetches from every device and past RAM faulted\n"
msg_tables: .asciz "adv-mem: page tables into kernel state, devices, past RAM, above 4 GiB and satp junk: own RAM or faults\n"
msg_regions: .asciz "adv-mem: a read-only and an execute-only region keep their permissions, directly and through PTEs\n"
msg_smc:    .asciz "adv-mem: self-modifying code runs as rewritten\n"

  .data
  .align 2
smc: .word 0, 0, 0, 0
  .bss
  .align 12
root: .space 4096
l0:   .space 4096
