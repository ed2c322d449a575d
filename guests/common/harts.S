# What the parallel-harts guests (asm/parstress.S, asm/parbench.S) share, included twice:
# RT_MACROS (before any code): the UART macros; otherwise the routines — how many harts there
# are (the CLINT probe and the device tree's cpu@ nodes), puts, putdec, a barrier, the end of the
# run (the hart-count report, pass or fail through the finisher, park), and the trap handler,
# which prints the including program's m_trap and fails. The including file defines UART,
# FINISHER, MTIMECMP and MAXHARTS, and the messages m_trap and m_fail; the words shared with it
# (nharts, the start and end barriers' counters, the hart counts, the decimal buffer) are here.

#ifdef RT_MACROS
# Write a byte to the UART once its holding register is empty (LSR.THRE): QEMU's UART holds a
# byte back (THRE clear) when its host side cannot take it yet; without the wait, multi-threaded
# QEMU lost the end of the output now and then.
.macro uart_put byte, uart, tmp
88:
  lbu \tmp, 5(\uart)
  andi \tmp, \tmp, 0x20
  beqz \tmp, 88b
  sb \byte, 0(\uart)
.endm

# Wait until the UART has sent everything (LSR.TEMT), before the finisher ends the machine.
.macro uart_drain uart, tmp
88:
  lbu \tmp, 5(\uart)
  andi \tmp, \tmp, 0x40
  beqz \tmp, 88b
.endm

# The entry of every hart: s0 = its hart id, s1 = a1 (the device tree on QEMU; 0 on wasmvisor's
# bare machine), traps to the trap handler, no interrupt enabled.
.macro harts_entry
  .section .text.init
  .globl _start
_start:
  csrr s0, mhartid
  mv s1, a1
  la t0, trap
  csrw mtvec, t0
  csrw mie, zero
.endm

# The start of every hart (s0 = its hart id, s1 = a1 at entry): hart 0 finds how many harts
# there are (the device tree's cpu@ nodes if a1 holds one, the CLINT's mtimecmp probe; a
# disagreement is noted in count_dtb/count_clint) and publishes it in nharts; every hart waits
# for it (s2 = N) and parks if its id is not below N.
.macro harts_find_and_wait
  bnez s0, 87f

# ── hart 0: how many harts? ──────────────────────────────────────────────────────────────────
  mv a0, s1
  call fdt_cpus              # a0 = cpu@ nodes under /cpus, 0 without a device tree
  mv s2, a0
  call clint_harts           # a0 = harts whose mtimecmp exists
  beqz s2, 1f
  beq s2, a0, 1f
  la t0, count_dtb           # disagreement: noted, printed, and a failure
  sw s2, 0(t0)
  la t0, count_clint
  sw a0, 0(t0)
1:
  li t0, MAXHARTS
  bleu a0, t0, 2f
  mv a0, t0
2:
  la t0, nharts
  fence rw, w
  sw a0, 0(t0)               # publish N (every hart waits for it)

# ── every hart ───────────────────────────────────────────────────────────────────────────────
87:
  la t0, nharts
1:
  lw s2, 0(t0)
  beqz s2, 1b
  fence r, rw
  bgeu s0, s2, park
.endm
#else
# ── how many harts ───────────────────────────────────────────────────────────────────────────
# The CLINT keeps what is written to hart i's mtimecmp only if hart i exists (elsewhere the
# register reads 0). Probe the upper halves of 0..MAXHARTS (a value far in the future, so no
# timer fires), stop at the first missing one, and put all ones back. Returns a0 = the count.
clint_harts:
  li t0, MTIMECMP
  li t1, 0x7fffffff
  li t2, -1
  li a0, 0
  li t4, MAXHARTS + 1
1:
  sw t1, 4(t0)
  lw t3, 4(t0)
  bne t3, t1, 2f
  sw t2, 4(t0)
  addi a0, a0, 1
  addi t0, t0, 8
  bltu a0, t4, 1b
2:
  ret

# A big-endian word of the device tree.
.macro be32 rd, off, base, tmp
  lbu \rd, \off(\base)
  lbu \tmp, \off+1(\base)
  slli \rd, \rd, 8
  or \rd, \rd, \tmp
  lbu \tmp, \off+2(\base)
  slli \rd, \rd, 8
  or \rd, \rd, \tmp
  lbu \tmp, \off+3(\base)
  slli \rd, \rd, 8
  or \rd, \rd, \tmp
.endm

# a0 = a flattened device tree (or 0): returns a0 = the number of nodes named cpu@… directly
# under /cpus, 0 when a0 holds no device tree.
fdt_cpus:
  mv t0, a0
  li a0, 0
  beqz t0, 9f
  andi t1, t0, 3
  bnez t1, 9f
  be32 t1, 0, t0, t2
  li t2, 0xd00dfeed
  bne t1, t2, 9f
  be32 t5, 4, t0, t2         # totalsize
  add t5, t5, t0             # the end
  be32 t1, 8, t0, t2         # off_dt_struct
  add t0, t0, t1             # t0: the next token
  li t3, 0                   # depth
  li t4, 0                   # inside /cpus
1:
  bgeu t0, t5, 9f
  be32 t1, 0, t0, t2
  addi t0, t0, 4
  li t2, 1
  beq t1, t2, 2f             # FDT_BEGIN_NODE
  li t2, 2
  beq t1, t2, 5f             # FDT_END_NODE
  li t2, 3
  beq t1, t2, 6f             # FDT_PROP
  li t2, 4
  beq t1, t2, 1b             # FDT_NOP
  j 9f                       # FDT_END (or anything else)
2:
  addi t3, t3, 1
  li t2, 2
  bne t3, t2, 3f
  # depth 2: is it "cpus"?
  lbu t1, 0(t0)
  li t2, 'c'
  bne t1, t2, 4f
  lbu t1, 1(t0)
  li t2, 'p'
  bne t1, t2, 4f
  lbu t1, 2(t0)
  li t2, 'u'
  bne t1, t2, 4f
  lbu t1, 3(t0)
  li t2, 's'
  bne t1, t2, 4f
  lbu t1, 4(t0)
  bnez t1, 4f
  li t4, 1
  j 4f
3:
  # depth 3 inside /cpus: does the name start with "cpu@"?
  beqz t4, 4f
  li t2, 3
  bne t3, t2, 4f
  lbu t1, 0(t0)
  li t2, 'c'
  bne t1, t2, 4f
  lbu t1, 1(t0)
  li t2, 'p'
  bne t1, t2, 4f
  lbu t1, 2(t0)
  li t2, 'u'
  bne t1, t2, 4f
  lbu t1, 3(t0)
  li t2, '@'
  bne t1, t2, 4f
  addi a0, a0, 1
4:
  # skip the name and its NUL, to the next word
  lbu t1, 0(t0)
  addi t0, t0, 1
  bnez t1, 4b
  addi t0, t0, 3
  andi t0, t0, -4
  j 1b
5:
  li t2, 2
  bne t3, t2, 51f
  li t4, 0
51:
  addi t3, t3, -1
  j 1b
6:
  be32 t1, 0, t0, t2         # the value's length
  addi t0, t0, 8             # past len and nameoff
  add t0, t0, t1
  addi t0, t0, 3
  andi t0, t0, -4
  j 1b
9:
  ret

# ── output (hart 0) ──────────────────────────────────────────────────────────────────────────
puts:
  li t0, UART
1:
  lbu t1, 0(a0)
  beqz t1, 2f
  uart_put t1, t0, t2
  addi a0, a0, 1
  j 1b
2:
  ret

putdec:                      # a0, unsigned, without leading zeros
  la t0, decbuf_end
  mv t3, t0
  li t2, 10
1:
  remu t1, a0, t2
  divu a0, a0, t2
  addi t1, t1, '0'
  addi t0, t0, -1
  sb t1, 0(t0)
  bnez a0, 1b
  li t2, UART
2:
  lbu t1, 0(t0)
  uart_put t1, t2, t4
  addi t0, t0, 1
  bltu t0, t3, 2b
  ret

# ── the end ──────────────────────────────────────────────────────────────────────────────────
# Barrier for the N harts (s2) on the counter at a0 (each barrier has its own counter).
barrier:
  li t1, 1
  amoadd.w.aqrl zero, t1, (a0)
1:
  lw t1, 0(a0)
  bltu t1, s2, 1b
  fence r, rw
  ret

# (hart 0) When harts_find_and_wait found the two counts of harts to differ: a message saying
# so, and a failure (s4 += 1). Its return address waits in t6 (puts and putdec leave t6 alone).
harts_count_report:
  mv t6, ra
  la t0, count_dtb
  lw t1, 0(t0)
  beqz t1, 1f
  addi s4, s4, 1
  la a0, h_count
  call puts
  la t0, count_dtb
  lw a0, 0(t0)
  call putdec
  la a0, h_clint
  call puts
  la t0, count_clint
  lw a0, 0(t0)
  call putdec
  la a0, h_nl
  call puts
1:
  jr t6

# (hart 0) The end of the run, s4 failures: the including program's m_fail, or else a0, its
# success message (0: none); then, once the UART has sent everything, the test finisher: pass,
# or fail with code 1. Every hart that is done parks here.
harts_finish:
  beqz s4, 1f
  la a0, m_fail
1:
  beqz a0, 2f
  call puts
2:
  li t0, UART
  uart_drain t0, t1
  li t0, FINISHER
  li t1, 0x5555
  beqz s4, 3f
  li t1, 0x13333             # fail, code 1
3:
  sw t1, 0(t0)
park:
  csrw mie, zero
4:
  wfi
  j 4b

  .align 2
trap:
  la a0, m_trap
  call puts
  li t0, UART
  uart_drain t0, t1
  li t0, FINISHER
  li t1, 0x23333             # fail, code 2
  sw t1, 0(t0)
1:
  j 1b

  .section .rodata
h_count:    .asciz "hart count: device tree "
h_clint:    .asciz ", clint "
h_nl:       .asciz "\n"

# The words these routines share with the including program, each in a cache line of its own.
  .data
  .align 6
nharts:        .word 0
  .align 6
start_arrived: .word 0
  .align 6
end_arrived:   .word 0
  .align 6
count_dtb:     .word 0
count_clint:   .word 0
decbuf:        .space 12
decbuf_end:
  .text
#endif
