/* Assembly test framework for wasmvisor's ISA guests (used by guests/isa/*.S).
 *
 * A test file defines `test_main` (entered in M-mode with a valid stack) and uses the macros
 * below. Each check names a test number; the first failing check prints
 *   "<name>: FAIL test <n>: got <value> expected <value>"
 * and exits through the test finisher with the test number as failure code. When test_main
 * returns, "<name>: PASS" is printed and the finisher reports success.
 *
 * Traps: the runtime's M-mode handler (testrt.S) records every trap it takes (count, mcause,
 * mepc, mtval, and the privilege it came from) and resumes at `trap_resume` when it is set
 * (then clears it, and returns in M-mode with MPRV clear), otherwise at the instruction after the trapping
 * one. EXPECT_TRAP runs code that must trap with a given cause. The S-mode handler `s_trap_entry`
 * records scause/sepc/stval the same way and then returns to M via ECALL.
 *
 * Registers: s11 holds the current test number; t5/t6 are scratch for the macros; the trap
 * handler preserves every register except those listed in testrt.S.
 */
#ifndef WASMVISOR_TEST_H
#define WASMVISOR_TEST_H

#define TESTNUM s11

#define UART0       0x10000000
#define FINISHER    0x00100000
#define CLINT_MSIP  0x02000000
#define CLINT_CMP   0x02004000
#define CLINT_MTIME 0x0200bff8

#define TEST_NAME(str) \
  .pushsection .rodata; .globl test_name; test_name: .asciz str; .popsection

/* SBI extensions and errors (SBI v2.0) the S-mode guests call and check. */
#define EID_BASE   0x10
#define EID_TIME   0x54494d45
#define EID_IPI    0x735049
#define EID_RFENCE 0x52464e43
#define EID_HSM    0x48534d
#define EID_SRST   0x53525354
#define EID_DBCN   0x4442434e
#define ERR_INVALID_PARAM -3
#define ERR_ALREADY_AVAILABLE -6

/* An SBI call from an S-mode guest (guests/sbi, guests/hostile/s): extension `eid`, function
 * `fid`, arguments in a0-a5 as set before; a0 = error, a1 = value. */
#define SBI(eid, fid) li a7, eid; li a6, fid; ecall

/* Wait until the word at `lab` equals `val` (uses t0, t1): another hart's progress. */
#define WAIT_FOR(lab, val) 1: lw t0, lab; li t1, val; bne t0, t1, 1b

/* Fail unless register `reg` equals the 32-bit constant `expect`. */
#define CHECK(n, reg, expect) \
  li TESTNUM, n; li t6, expect; mv t5, reg; bne t5, t6, test_fail_values

/* Fail unless registers a and b are equal. */
#define CHECK_REG(n, a, b) \
  li TESTNUM, n; mv t5, a; mv t6, b; bne t5, t6, test_fail_values

/* rd = inst(val1, val2), compared with result. */
#define TEST_RR(n, inst, result, val1, val2) \
  li a1, val1; li a2, val2; inst a0, a1, a2; CHECK(n, a0, result)

/* rd = inst(val1, imm), compared with result. */
#define TEST_RI(n, inst, result, val1, imm) \
  li a1, val1; inst a0, a1, imm; CHECK(n, a0, result)

/* Branch test: `taken` is 1 if inst(val1, val2) must branch. */
#define TEST_BR(n, inst, taken, val1, val2) \
  li a1, val1; li a2, val2; li a0, 0; inst a1, a2, 1f; j 2f; 1: li a0, 1; 2: CHECK(n, a0, taken)

/* Run `code`; it must trap with mcause `cause` (the handler resumes after the block). */
#define EXPECT_TRAP(n, cause, code...) \
  li TESTNUM, n; la t6, 99f; la t5, trap_resume; sw t6, 0(t5); \
  lw t5, trap_count; sw t5, trap_count_before, t6; \
  code; \
  j test_fail_notrap; \
  99: lw t5, trap_count; lw t6, trap_count_before; addi t6, t6, 1; bne t5, t6, test_fail_notrap; \
  lw t5, trap_mcause; li t6, cause; bne t5, t6, test_fail_values

/* The last trap's mtval must equal `expect` (after EXPECT_TRAP). */
#define CHECK_TVAL(n, expect) lw a0, trap_mtval; CHECK(n, a0, expect)
/* The last trap's mepc must equal the address of `label`. */
#define CHECK_EPC(n, label) lw a0, trap_mepc; la a1, label; CHECK_REG(n, a0, a1)

/* Continue at the next instruction in privilege mode p (0 U, 1 S, 3 M), through MRET (clobbers
 * t0; uses local label 1). */
#define ENTER_PRIV(p) \
  li t0, 0x1800; csrc mstatus, t0; li t0, ((p) << 11); csrs mstatus, t0; \
  la t0, 1f; csrw mepc, t0; mret; 1:

/* Print a NUL-terminated string at `label`. */
#define PRINT(label) la a0, label; call print_str

#endif
