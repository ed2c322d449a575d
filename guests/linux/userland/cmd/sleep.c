/*
 * sleep SECONDS - pause.  SECONDS may have a fraction ("0.25"); there is no
 * floating point, so it is parsed into seconds + nanoseconds by hand.
 * rv32 only has clock_nanosleep_time64 (struct __kernel_timespec with 64-bit
 * fields); CLOCK_MONOTONIC, relative (flags 0).  If a signal interrupts the
 * sleep the kernel stores the remaining time, and we sleep again.
 */
#include "u.h"

int main(int argc, char **argv)
{
    struct timespec64 ts = {0, 0};
    const char *s = argc == 2 ? argv[1] : "";
    if (!*s || *s == '.')
        goto usage;
    for (; is_digit(*s); s++) {
        ts.tv_sec = ts.tv_sec * 10 + (*s - '0');
        if (ts.tv_sec > 0x7fffffffLL)
            goto usage;
    }
    if (*s == '.') {
        long scale = 100000000;
        for (s++; is_digit(*s); s++, scale /= 10)
            ts.tv_nsec += (*s - '0') * scale;
    }
    if (*s)
        goto usage;
    for (;;) {
        long r = sys_clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts);
        if (r == 0)
            return 0;
        if (r != -EINTR)
            die_err("clock_nanosleep", r);
    }
usage:
    eprintf("usage: sleep SECONDS[.FRACTION]\n");
    return 2;
}
