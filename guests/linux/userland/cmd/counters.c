/*
 * counters - read the hart's time, cycle and instret counters from user mode (rdtime,
 * rdcycle, rdinstret and their high halves), spin a little, read them again and say whether
 * each advanced.  A kernel or firmware that does not enable them for user mode (scounteren)
 * makes the first read an illegal instruction: the program dies with SIGILL.
 */
#include "u.h"

/* A 64-bit counter read from its two halves (high, low, high again, as the ISA manual shows). */
#define READ64(lo, hi, out) do { \
        u32 h1_, l_, h2_; \
        do { \
            __asm__ volatile("csrr %0, " #hi : "=r"(h1_)); \
            __asm__ volatile("csrr %0, " #lo : "=r"(l_)); \
            __asm__ volatile("csrr %0, " #hi : "=r"(h2_)); \
        } while (h1_ != h2_); \
        (out) = (u64)h1_ << 32 | l_; \
    } while (0)

int main(void)
{
    u64 t0, c0, i0, t1, c1, i1;
    READ64(time, timeh, t0);
    READ64(cycle, cycleh, c0);
    READ64(instret, instreth, i0);
    for (volatile int i = 0; i < 10000; i++) {
    }
    READ64(time, timeh, t1);
    READ64(cycle, cycleh, c1);
    READ64(instret, instreth, i1);
    printf("time %s, cycle %s, instret %s\n", t1 > t0 ? "advances" : "stands still",
           c1 > c0 ? "advances" : "stands still", i1 > i0 ? "advances" : "stands still");
    return t1 > t0 && c1 > c0 && i1 > i0 ? 0 : 1;
}
