# Bare-metal SMP on two harts (wasmvisor --harts 2, qemu-system-riscv32 -M virt -bios none -smp 2):
# every hart starts here in M-mode with a0 = its hart id (QEMU's reset vector: csrr a0, mhartid).
# Only hart 0 prints, after each phase, so the output never depends on the interleaving:
#   1. both harts add 1 to a plain counter 3000 times each under an LR/SC spinlock, to another
#      under an AMOSWAP spinlock, and to a third with AMOADD: each must reach exactly 6000;
#   2. an LR of hart 0 is broken by hart 1's store to the same word: hart 0's SC fails;
#   3. IPIs through the CLINT's msip: hart 0 wakes hart 1 from WFI, hart 1 answers the same way;
#   4. cross-modifying code with the remote fence the ISA asks for (FENCE.I on the hart that runs
#      it): hart 1 writes a function, hart 0 runs it after FENCE.I, twice with different code.
# Then hart 0 passes through the test finisher; hart 1 waits in WFI for good.

#define UART      0x10000000
#define FINISHER  0x100000
#define MSIP0     0x2000000
#define MSIP1     0x2000004
#define ROUNDS    3000
#define MIP_MSIP  8

  .section .text.init
  .globl _start
_start:
  csrr t0, mhartid
  sub t1, a0, t0             # t1 = 0 when a0 held the hart id
  seqz t1, t1
  la t2, a0ok
  slli t3, t0, 2
  add t2, t2, t3
  sw t1, 0(t2)               # a0ok[hart] = (a0 == mhartid)
  la sp, stacks_end
  slli t3, t0, 12
  sub sp, sp, t3             # 4 KiB of stack per hart
  la t2, trap
  csrw mtvec, t2
  bnez t0, hart1

# ── hart 0 ─────────────────────────────────────────────────────────────────────────────────────
hart0:
  la a0, m_hello
  call puts
  call counting              # phase 1 (hart 1 does the same)
  call barrier
  la a0, m_count
  call puts
  la t0, lrsc_count
  lw a0, 0(t0)
  call putdec
  la a0, m_sp
  call puts
  la t0, swap_count
  lw a0, 0(t0)
  call putdec
  la a0, m_sp
  call puts
  la t0, amo_count
  lw a0, 0(t0)
  call putdec
  la a0, m_nl
  call puts
  la a0, m_a0
  call puts
  la t0, a0ok
  lw a0, 0(t0)
  call putdec
  la a0, m_sp
  call puts
  la t0, a0ok
  lw a0, 4(t0)
  call putdec
  la a0, m_nl
  call puts

  # Phase 2: hart 0 reserves `word`, hart 1 stores to it, hart 0's SC must fail.
  la s0, word
  lr.w t0, (s0)
  la t1, flag_store
  li t2, 1
  sw t2, 0(t1)               # (a store to another granule: the reservation stands)
1:
  la t1, flag_stored
  lw t2, 0(t1)
  beqz t2, 1b
  li t3, 0x5a5a
  sc.w t4, t3, (s0)
  la a0, m_sc
  call puts
  mv a0, t4
  snez a0, a0
  call putdec
  la a0, m_word
  call puts
  lw a0, 0(s0)
  call putdec
  la a0, m_nl
  call puts

  # Phase 3: wake hart 1 (waiting in WFI) with an IPI; wait for its IPI back.
  li t0, MIP_MSIP
  csrs mie, t0               # MSIE (interrupts stay off globally: WFI still wakes)
2:
  la t1, hart1_waiting
  lw t2, 0(t1)
  beqz t2, 2b
  li t1, MSIP1
  li t2, 1
  sw t2, 0(t1)
3:
  wfi
  csrr t0, mip
  andi t0, t0, MIP_MSIP
  beqz t0, 3b
  li t1, MSIP0
  sw zero, 0(t1)
  la a0, m_ipi
  call puts
  la t0, ipi_seen
  lw a0, 0(t0)
  call putdec
  la a0, m_nl
  call puts

  # Phase 4: run the code hart 1 writes, after FENCE.I, twice.
  li s1, 1
4:
  la t0, code_ready
  lw t1, 0(t0)
  bne t1, s1, 4b
  fence.i
  call codebuf
  mv s2, a0
  la a0, m_code
  call puts
  mv a0, s2
  call putdec
  la a0, m_nl
  call puts
  la t0, code_ran
  sw s1, 0(t0)
  addi s1, s1, 1
  li t0, 3
  bne s1, t0, 4b

  la a0, m_done
  call puts
  li t0, FINISHER
  li t1, 0x5555
  sw t1, 0(t0)
5:
  j 5b

# ── hart 1 ─────────────────────────────────────────────────────────────────────────────────────
hart1:
  call counting
  call barrier
  # Phase 2: store to the word hart 0 has reserved.
1:
  la t1, flag_store
  lw t2, 0(t1)
  beqz t2, 1b
  la t0, word
  li t1, 77
  sw t1, 0(t0)
  la t1, flag_stored
  li t2, 1
  sw t2, 0(t1)
  # Phase 3: wait for hart 0's IPI in WFI, then answer it.
  li t0, MIP_MSIP
  csrs mie, t0
  la t1, hart1_waiting
  li t2, 1
  sw t2, 0(t1)
2:
  wfi
  csrr t0, mip
  andi t0, t0, MIP_MSIP
  beqz t0, 2b
  li t1, MSIP1
  sw zero, 0(t1)
  la t1, ipi_seen
  li t2, 1
  sw t2, 0(t1)
  li t1, MSIP0
  sw t2, 0(t1)
  # Phase 4: write `li a0, 42; ret`, publish it; then `li a0, 43; ret` once hart 0 ran it.
  la t0, codebuf
  li t1, 0x02a00513          # addi a0, zero, 42
  sw t1, 0(t0)
  li t1, 0x00008067          # jalr zero, 0(ra)
  sw t1, 4(t0)
  fence w, w
  la t0, code_ready
  li t1, 1
  sw t1, 0(t0)
3:
  la t0, code_ran
  lw t1, 0(t0)
  beqz t1, 3b
  la t0, codebuf
  li t1, 0x02b00513          # addi a0, zero, 43
  sw t1, 0(t0)
  fence w, w
  la t0, code_ready
  li t1, 2
  sw t1, 0(t0)
  csrw mie, zero
4:
  wfi
  j 4b

# ── phase 1, on both harts ─────────────────────────────────────────────────────────────────────
counting:
  li t6, ROUNDS
1:
  # An LR/SC spinlock around a plain read-modify-write.
  la t0, lrsc_lock
  li t2, 1
2:
  lr.w.aq t1, (t0)
  bnez t1, 2b
  sc.w t1, t2, (t0)
  bnez t1, 2b
  la t3, lrsc_count
  lw t4, 0(t3)
  addi t4, t4, 1
  sw t4, 0(t3)
  amoswap.w.rl zero, zero, (t0)
  # An AMOSWAP spinlock around another.
  la t0, swap_lock
3:
  amoswap.w.aq t1, t2, (t0)
  bnez t1, 3b
  la t3, swap_count
  lw t4, 0(t3)
  addi t4, t4, 1
  sw t4, 0(t3)
  sw zero, 0(t0)
  fence rw, w
  # And AMOADD.
  la t0, amo_count
  amoadd.w zero, t2, (t0)
  addi t6, t6, -1
  bnez t6, 1b
  ret

# Both harts arrive, then go on.
barrier:
  la t0, arrived
  li t1, 1
  amoadd.w zero, t1, (t0)
  li t1, 2
1:
  lw t2, 0(t0)
  bne t2, t1, 1b
  ret

# ── output (hart 0) ────────────────────────────────────────────────────────────────────────────
puts:
  li t0, UART
1:
  lbu t1, 0(a0)
  beqz t1, 2f
  sb t1, 0(t0)
  addi a0, a0, 1
  j 1b
2:
  ret

putdec:                      # a0 < 100000, without leading zeros
  li t0, UART
  li t1, 10000
  li t3, 0                   # a digit printed yet
1:
  divu t2, a0, t1
  remu a0, a0, t1
  bnez t2, 2f
  bnez t3, 2f
  li t4, 1
  bne t1, t4, 3f
2:
  addi t2, t2, '0'
  sb t2, 0(t0)
  li t3, 1
3:
  li t4, 10
  divu t1, t1, t4
  bnez t1, 1b
  ret

  .align 2
trap:
  la a0, m_trap
  call puts
  li t0, FINISHER
  li t1, 0x13333             # fail, code 1
  sw t1, 0(t0)
1:
  j 1b

# The function hart 1 writes (in RAM, executable: M-mode without PMP reaches everything).
  .align 4
codebuf:
  li a0, 0
  ret

  .section .rodata
m_hello: .asciz "smp: hart 0 and hart 1 running\n"
m_count: .asciz "counters (lr/sc lock, amoswap lock, amoadd): "
m_sp:    .asciz " "
m_nl:    .asciz "\n"
m_a0:    .asciz "a0 = mhartid at entry (hart 0, hart 1): "
m_sc:    .asciz "sc after another hart's store fails: "
m_word:  .asciz ", word = "
m_ipi:   .asciz "ipi 0 -> 1 -> 0: "
m_code:  .asciz "code written by hart 1 returns "
m_done:  .asciz "smp: PASS\n"
m_trap:  .asciz "smp: unexpected trap\n"

  .data
  .align 6
lrsc_lock:   .word 0
  .align 6
lrsc_count:  .word 0
  .align 6
swap_lock:   .word 0
  .align 6
swap_count:  .word 0
  .align 6
amo_count:   .word 0
  .align 6
arrived:     .word 0
  .align 6
word:        .word 0
  .align 6
flag_store:  .word 0
flag_stored: .word 0
hart1_waiting: .word 0
ipi_seen:    .word 0
code_ready:  .word 0
code_ran:    .word 0
a0ok:        .word 0, 0
  .align 12
stacks:      .space 8192
stacks_end:
