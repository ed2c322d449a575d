/*
 * crt0.S - process entry point of every userland program.
 *
 * Linux/RISC-V starts a static ELF at e_entry with (ELF psABI + kernel
 * create_elf_tables()):
 *     sp ->  argc            (one XLEN word)
 *            argv[0..argc-1], NULL
 *            envp[0..], NULL
 *            auxv pairs ...
 * sp is 16-byte aligned.  No register other than sp is meaningful (a0 is 0),
 * and gp is ours to set: the linker script defines __global_pointer$ and the
 * linker relaxes accesses to small data (.sdata/.sbss) into gp-relative
 * form, so gp must hold that value before any C code runs.
 */
    .section .text.start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    .option push
    .option norelax             /* must not be relaxed against gp itself */
    lla     gp, __global_pointer$
    .option pop
    lw      a0, 0(sp)           /* argc */
    addi    a1, sp, 4           /* argv */
    slli    a2, a0, 2
    add     a2, a2, a1
    addi    a2, a2, 4           /* envp = argv + argc + 1 */
    andi    sp, sp, -16         /* keep the psABI alignment (already so) */
    call    __start_c           /* never returns */
1:  j       1b
    .size _start, . - _start

/* exit_group(code): ends all threads of the process; never returns. */
    .text
    .globl sys_exit_group
    .type sys_exit_group, @function
sys_exit_group:
    li      a7, 94              /* __NR_exit_group */
    ecall
2:  j       2b
    .size sys_exit_group, . - sys_exit_group
