/*
 * stress MILLISECONDS [DIR] - load the system with CPU and I/O work for a while.
 *
 * Forks two workers and waits for both: a CPU worker (integer arithmetic in a tight loop) and,
 * when DIR is given, an I/O worker that writes 16 KiB files into DIR, syncs, reads them back,
 * checks them and deletes them, round after round. Both stop when MILLISECONDS of
 * CLOCK_MONOTONIC have passed (virtual time in wasmvisor). Prints what each did:
 *   stress: 1234567 cpu rounds, 42 files written and verified in 150 ms
 * Used to load Linux while the RTOS partition measures its jitter (test/rtos.test.ts).
 */
#include "u.h"

static long long now_ms(void)
{
    struct timespec64 ts;
    sys_clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned char buf[16384], back[16384];

static int io_worker(const char *dir, long long until)
{
    unsigned files = 0;
    char path[128];
    for (unsigned round = 0; now_ms() < until; round++) {
        snprintf(path, sizeof path, "%s/stress-%u", dir, round % 4);
        for (unsigned i = 0; i < sizeof buf; i++)
            buf[i] = (unsigned char)(i * 7 + round);
        long fd = sys_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            die_err(path, fd);
        if (write_all((int)fd, buf, sizeof buf) < 0)
            die_err("write", -5);
        sys_close((int)fd);
        sys_sync();
        fd = sys_open(path, O_RDONLY, 0);
        if (fd < 0)
            die_err(path, fd);
        long n = 0;
        while (n < (long)sizeof back) {
            long r = sys_read((int)fd, back + n, sizeof back - n);
            if (r <= 0)
                break;
            n += r;
        }
        sys_close((int)fd);
        if (n != (long)sizeof back || memcmp(buf, back, sizeof buf) != 0) {
            eprintf("stress: %s did not read back\n", path);
            return 1;
        }
        sys_unlinkat(AT_FDCWD, path, 0);
        files++;
    }
    printf("stress: %u files written and verified\n", files);
    return 0;
}

static int cpu_worker(long long until)
{
    unsigned x = 1, rounds = 0;
    while (now_ms() < until) {
        for (int i = 0; i < 1000; i++)
            x = x * 1103515245u + 12345u;
        rounds++;
    }
    printf("stress: %u cpu rounds (x = %x)\n", rounds, x);
    return 0;
}

int main(int argc, char **argv)
{
    unsigned ms;
    if (argc < 2 || argc > 3 || parse_uint(argv[1], &ms) < 0) {
        eprintf("usage: stress MILLISECONDS [DIR]\n");
        return 2;
    }
    long long start = now_ms(), until = start + ms;
    long cpu = sys_fork();
    if (cpu == 0)
        sys_exit_group(cpu_worker(until));
    long io = argc == 3 ? sys_fork() : -1;
    if (io == 0)
        sys_exit_group(io_worker(argv[2], until));
    int status = 0;
    siginfo_t si;
    for (int waits = io > 0 ? 2 : 1; waits > 0; waits--) {
        if (wait_child(P_ALL, 0, &si, WEXITED) < 0)
            break;
        if (si.si_status != 0)
            status = 1;
    }
    printf("stress: done after %u ms\n", (unsigned)(now_ms() - start));
    return status;
}
