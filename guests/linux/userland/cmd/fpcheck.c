/*
 * fpcheck [N] - the kernel keeps each process's F/D state (f0-f31 and fcsr).
 *
 * Built with the F and D extensions (-march=rv32imafdc, the ilp32 calling convention of the
 * rest of the userland: build.sh). N processes (default 3) run at once, each with its own
 * rounding mode in frm and its own values in every f register, long enough to be preempted
 * many times (HZ=100); each checks that its f registers, its fcsr and a computed result are
 * what the same computation gave before the fork. Prints exactly
 *     fpcheck: N processes kept their FP state
 * and exits 0; otherwise says which process saw what, and exits 1.
 */
#include "u.h"

/* Fill f0-f31 with (seed + i) as doubles, then read them back summed bit-wise (a checksum of
 * exactly what the registers hold). */
static u32 fill_regs(u32 seed)
{
    double v[32];
    for (int i = 0; i < 32; i++)
        v[i] = (double)(seed * 32 + i) * 1.5;
    __asm__ volatile(
        "fld f0, 0(%0)\n fld f1, 8(%0)\n fld f2, 16(%0)\n fld f3, 24(%0)\n"
        "fld f4, 32(%0)\n fld f5, 40(%0)\n fld f6, 48(%0)\n fld f7, 56(%0)\n"
        "fld f8, 64(%0)\n fld f9, 72(%0)\n fld f10, 80(%0)\n fld f11, 88(%0)\n"
        "fld f12, 96(%0)\n fld f13, 104(%0)\n fld f14, 112(%0)\n fld f15, 120(%0)\n"
        "fld f16, 128(%0)\n fld f17, 136(%0)\n fld f18, 144(%0)\n fld f19, 152(%0)\n"
        "fld f20, 160(%0)\n fld f21, 168(%0)\n fld f22, 176(%0)\n fld f23, 184(%0)\n"
        "fld f24, 192(%0)\n fld f25, 200(%0)\n fld f26, 208(%0)\n fld f27, 216(%0)\n"
        "fld f28, 224(%0)\n fld f29, 232(%0)\n fld f30, 240(%0)\n fld f31, 248(%0)\n"
        :: "r"(v) : "memory");
    u32 sum = 0;
    for (int i = 0; i < 32; i++) {
        u32 *w = (u32 *)&v[i];
        sum = sum * 31 + w[0] + w[1] * 7;
    }
    return sum;
}

/* Read f0-f31 back (without touching them otherwise) and checksum them as fill_regs did. */
static u32 read_regs(void)
{
    double v[32];
    __asm__ volatile(
        "fsd f0, 0(%0)\n fsd f1, 8(%0)\n fsd f2, 16(%0)\n fsd f3, 24(%0)\n"
        "fsd f4, 32(%0)\n fsd f5, 40(%0)\n fsd f6, 48(%0)\n fsd f7, 56(%0)\n"
        "fsd f8, 64(%0)\n fsd f9, 72(%0)\n fsd f10, 80(%0)\n fsd f11, 88(%0)\n"
        "fsd f12, 96(%0)\n fsd f13, 104(%0)\n fsd f14, 112(%0)\n fsd f15, 120(%0)\n"
        "fsd f16, 128(%0)\n fsd f17, 136(%0)\n fsd f18, 144(%0)\n fsd f19, 152(%0)\n"
        "fsd f20, 160(%0)\n fsd f21, 168(%0)\n fsd f22, 176(%0)\n fsd f23, 184(%0)\n"
        "fsd f24, 192(%0)\n fsd f25, 200(%0)\n fsd f26, 208(%0)\n fsd f27, 216(%0)\n"
        "fsd f28, 224(%0)\n fsd f29, 232(%0)\n fsd f30, 240(%0)\n fsd f31, 248(%0)\n"
        :: "r"(v) : "memory");
    u32 sum = 0;
    for (int i = 0; i < 32; i++) {
        u32 *w = (u32 *)&v[i];
        sum = sum * 31 + w[0] + w[1] * 7;
    }
    return sum;
}

/* A computation whose result depends on the rounding mode in frm (dynamic rounding), in
 * registers the compiler chooses (the asm keeps f0-f31 live only around it). */
static u64 work(u32 rounds)
{
    double x = 1.0, y = 0.0;
    for (u32 i = 1; i <= rounds; i++) {
        __asm__ volatile("fdiv.d %0, %1, %2" : "=f"(y) : "f"(x), "f"((double)(i + 2)));
        __asm__ volatile("fmadd.d %0, %1, %2, %3" : "=f"(x) : "f"(x), "f"(1.0000001), "f"(y));
    }
    u64 bits;
    memcpy(&bits, &x, sizeof bits);
    return bits;
}

static u32 get_fcsr(void) { u32 v; __asm__ volatile("frcsr %0" : "=r"(v)); return v; }
static void set_fcsr(u32 v) { __asm__ volatile("fscsr %0" :: "r"(v)); }

/* One process: rounding mode rm, accrued flags set to a pattern; returns 0 if all is kept. */
static int child(u32 id, u64 expect)
{
    u32 fcsr = (id % 5) << 5 | 0x1f;
    set_fcsr(fcsr);
    int bad = 0;
    for (u32 round = 0; round < 40; round++) {
        u32 sum = fill_regs(id + round);
        /* Spin long enough to be preempted, touching only integer registers. */
        for (volatile u32 spin = 0; spin < 20000; spin++) {}
        u32 got = read_regs();
        if (got != sum) {
            eprintf("fpcheck: process %u: f registers changed (round %u)\n", id, round);
            bad = 1;
            break;
        }
    }
    u64 r = work(3000);
    if (r != expect) {
        eprintf("fpcheck: process %u: result %x%08x, expected %x%08x\n", id, (u32)(r >> 32), (u32)r, (u32)(expect >> 32), (u32)expect);
        bad = 1;
    }
    /* fdiv/fmadd raise NX: the flags were all set already, the rounding mode must be ours. */
    if (get_fcsr() != fcsr) {
        eprintf("fpcheck: process %u: fcsr %x, expected %x\n", id, get_fcsr(), fcsr);
        bad = 1;
    }
    return bad;
}

int main(int argc, char **argv)
{
    unsigned n = 3;
    if (argc > 2 || (argc == 2 && (parse_uint(argv[1], &n) || n == 0 || n > 16))) {
        eprintf("usage: fpcheck [N (1-16)]\n");
        return 2;
    }
    /* The expected results, one per rounding mode, computed before any fork. */
    u64 expect[5];
    for (u32 rm = 0; rm < 5; rm++) {
        set_fcsr(rm << 5);
        expect[rm] = work(3000);
    }
    set_fcsr(0);
    for (u32 i = 0; i < n; i++) {
        long pid = sys_fork();
        if (pid < 0)
            die_err("clone", pid);
        if (pid == 0)
            sys_exit_group(child(i, expect[i % 5]));
    }
    unsigned failed = 0;
    siginfo_t si;
    for (u32 i = 0; i < n; i++) {
        long r = wait_child(P_ALL, 0, &si, WEXITED);
        if (r < 0)
            die_err("waitid", r);
        if (si.si_code != CLD_EXITED || si.si_status != 0)
            failed++;
    }
    if (failed) {
        eprintf("fpcheck: %u of %u processes lost FP state\n", failed, n);
        return 1;
    }
    printf("fpcheck: %u processes kept their FP state\n", n);
    return 0;
}
