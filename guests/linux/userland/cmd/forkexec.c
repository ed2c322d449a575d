/*
 * forkexec [-p] [-x] [-t] [-e PROGRAM] [N] - fork/exec workload.
 *
 * Creates N children (default 20) with clone(SIGCHLD) - i.e. fork - each
 * of which execve()s PROGRAM (default /bin/true) with argv {PROGRAM}:
 *   default  one after another: fork, then waitid(P_PID, child) before the
 *            next fork;
 *   -p       all at once: fork N children, then reap them with
 *            waitid(P_ALL) until N have been collected;
 *   -x       the child exits with exit_group(0) right after the fork,
 *            without exec (pure fork/exit/wait cost);
 *   -t       also print the elapsed wall time (CLOCK_MONOTONIC).
 * On success prints exactly:   forkexec: N children, all exited 0
 * Otherwise one line per failed child and a summary; exit status 1.
 */
#include "u.h"

static const char *prog = "/bin/true";
static int no_exec;

static long spawn(void)
{
    long pid = sys_fork();
    if (pid == 0) {
        if (no_exec)
            sys_exit_group(0);
        char *argv[] = {(char *)prog, NULL};
        long r = sys_execve(prog, argv, environ);
        warn_err(prog, r);
        sys_exit_group(127);
    }
    return pid;
}

/* returns 1 if the child failed (and says why) */
static int check(const siginfo_t *si)
{
    if (si->si_code == CLD_EXITED && si->si_status == 0)
        return 0;
    if (si->si_code == CLD_EXITED)
        eprintf("forkexec: child %d exited with status %d\n", si->si_pid, si->si_status);
    else
        eprintf("forkexec: child %d killed by signal %d\n", si->si_pid, si->si_status);
    return 1;
}

static s64 now_us(void)
{
    struct timespec64 ts;
    sys_clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000 + (u32)ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
    int parallel = 0, timing = 0, i = 1;
    unsigned n = 20;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-p"))
            parallel = 1;
        else if (!strcmp(argv[i], "-x"))
            no_exec = 1;
        else if (!strcmp(argv[i], "-t"))
            timing = 1;
        else if (!strcmp(argv[i], "-e") && i + 1 < argc)
            prog = argv[++i];
        else
            goto usage;
    }
    if (i < argc && (parse_uint(argv[i++], &n) || n == 0))
        goto usage;
    if (i != argc)
        goto usage;

    s64 t0 = now_us();
    unsigned started = 0, failed = 0;
    siginfo_t si;
    for (started = 0; started < n; started++) {
        long pid = spawn();
        if (pid < 0) {
            warn_err("clone", pid);
            break;
        }
        if (!parallel) {
            long r = wait_child(P_PID, pid, &si, WEXITED);
            if (r < 0)
                die_err("waitid", r);
            failed += check(&si);
        }
    }
    if (parallel) {
        for (unsigned reaped = 0; reaped < started; reaped++) {
            long r = wait_child(P_ALL, 0, &si, WEXITED);
            if (r < 0)
                die_err("waitid", r);
            failed += check(&si);
        }
    }
    s64 dt = now_us() - t0;

    if (started < n)
        printf("forkexec: only %u of %u children could be started, %u failed\n", started, n, failed);
    else if (failed)
        printf("forkexec: %u children, %u failed\n", n, failed);
    else
        printf("forkexec: %u children, all exited 0\n", n);
    if (timing && started)
        printf("forkexec: elapsed %lld.%03u ms, %lld us per child\n", dt / 1000, (unsigned)(dt % 1000),
               dt / started);
    return started < n || failed;
usage:
    eprintf("usage: forkexec [-p] [-x] [-t] [-e PROGRAM] [N]\n");
    return 2;
}
