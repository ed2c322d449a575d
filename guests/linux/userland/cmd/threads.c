/*
 * threads [N] [ROUNDS] - a multi-threaded workload for SMP partitions.
 *
 * Starts N threads (default 4, at most 16) with clone(CLONE_VM | CLONE_THREAD | ...), each on a
 * stack of its own. Every thread, ROUNDS times (default 20000):
 *   - adds 1 to a shared counter with an atomic add (AMOADD.W);
 *   - adds 1 to a plain counter inside a futex mutex (compare-and-swap with LR/SC; contended
 *     waiters sleep in FUTEX_WAIT and are woken by FUTEX_WAKE);
 * and every 1000 rounds notes the CPU it runs on (getcpu). Then all threads meet at a futex
 * barrier, and the main thread joins each one by waiting on its CLONE_CHILD_CLEARTID word (the
 * kernel clears it and wakes the futex when the thread exits).
 * On success prints exactly:
 *   threads: N threads x ROUNDS rounds: atomic N*ROUNDS, mutex N*ROUNDS, barrier N, joined N
 *   threads: ran on C CPUs
 * and exits 0; a wrong count exits 1.
 */
#include "u.h"

#define MAX_THREADS 16
#define STACK_BYTES 16384

/* clone_thread(flags, stack_top, ctid, fn, arg): a new thread runs fn(arg) on stack_top, then
 * exits (the thread alone: exit, not exit_group). Returns the thread id, or -errno. Assembly:
 * the child must not touch the parent's stack frame after the ecall. */
long clone_thread(long flags, void *stack_top, int *ctid, void (*fn)(void *), void *arg);
__asm__(
    "    .text\n"
    "    .globl clone_thread\n"
    "clone_thread:\n"
    "    mv t0, a3\n"              /* fn */
    "    mv t1, a4\n"              /* arg */
    "    mv a4, a2\n"              /* child_tid */
    "    li a2, 0\n"               /* parent_tid */
    "    li a3, 0\n"               /* tls */
    "    li a7, 220\n"             /* __NR_clone */
    "    ecall\n"
    "    bnez a0, 1f\n"
    "    mv a0, t1\n"              /* child: fn(arg) on its own stack */
    "    jalr t0\n"
    "    li a0, 0\n"
    "    li a7, 93\n"              /* __NR_exit: this thread only */
    "    ecall\n"
    "1:  ret\n");

static int atomic_count;
static int mutex_count;
static int mutex; /* 0 free, 1 locked, 2 locked with waiters */
static int barrier_arrived;
static int barrier_gen;
static unsigned cpus_seen; /* a bit per CPU, set atomically */
static int tids[MAX_THREADS];
static int nthreads = 4;
static int rounds = 20000;

static int cas(int *p, int expected, int desired)
{
    __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
    return expected;
}

/* Drepper's mutex ("Futexes Are Tricky", mutex 2). */
static void lock(void)
{
    int c = cas(&mutex, 0, 1);
    if (c == 0)
        return;
    if (c != 2)
        c = __atomic_exchange_n(&mutex, 2, __ATOMIC_ACQUIRE);
    while (c != 0) {
        sys_futex(&mutex, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 2);
        c = __atomic_exchange_n(&mutex, 2, __ATOMIC_ACQUIRE);
    }
}

static void unlock(void)
{
    if (__atomic_fetch_sub(&mutex, 1, __ATOMIC_RELEASE) != 1) {
        __atomic_store_n(&mutex, 0, __ATOMIC_RELEASE);
        sys_futex(&mutex, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1);
    }
}

/* Everyone (the threads) arrives, the last one wakes the others. */
static void barrier(void)
{
    int gen = __atomic_load_n(&barrier_gen, __ATOMIC_ACQUIRE);
    if (__atomic_add_fetch(&barrier_arrived, 1, __ATOMIC_ACQ_REL) == nthreads) {
        __atomic_add_fetch(&barrier_gen, 1, __ATOMIC_RELEASE);
        sys_futex(&barrier_gen, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, MAX_THREADS);
        return;
    }
    while (__atomic_load_n(&barrier_gen, __ATOMIC_ACQUIRE) == gen)
        sys_futex(&barrier_gen, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, gen);
}

static void note_cpu(void)
{
    unsigned cpu = 0;
    if (sys_getcpu(&cpu) == 0 && cpu < 32)
        __atomic_fetch_or(&cpus_seen, 1u << cpu, __ATOMIC_RELAXED);
}

static void worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < rounds; i++) {
        __atomic_fetch_add(&atomic_count, 1, __ATOMIC_RELAXED);
        lock();
        mutex_count++;
        unlock();
        if (i % 1000 == 0)
            note_cpu();
    }
    barrier();
}

int main(int argc, char **argv)
{
    unsigned n = (unsigned)nthreads, r = (unsigned)rounds;
    if ((argc > 1 && parse_uint(argv[1], &n) < 0) || (argc > 2 && parse_uint(argv[2], &r) < 0) ||
        n < 1 || n > MAX_THREADS || r < 1 || r > 1000000) {
        eprintf("usage: threads [N (1-%d)] [ROUNDS]\n", MAX_THREADS);
        return 2;
    }
    nthreads = (int)n;
    rounds = (int)r;
    const long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
        CLONE_CHILD_CLEARTID;
    for (int t = 0; t < nthreads; t++) {
        char *stack = xmalloc(STACK_BYTES);
        tids[t] = -1; /* cleared (0) by the kernel when the thread exits */
        long tid = clone_thread(flags, stack + STACK_BYTES, &tids[t], worker, 0);
        if (is_err(tid))
            die_err("threads: clone", tid);
        /* (the kernel does not write child_tid at creation without CLONE_CHILD_SETTID) */
    }
    int joined = 0;
    for (int t = 0; t < nthreads; t++) {
        int v;
        while ((v = __atomic_load_n(&tids[t], __ATOMIC_ACQUIRE)) != 0)
            sys_futex(&tids[t], FUTEX_WAIT, v);
        joined++;
    }
    int cpus = __builtin_popcount(cpus_seen);
    int want = nthreads * rounds;
    printf("threads: %d threads x %d rounds: atomic %d, mutex %d, barrier %d, joined %d\n", nthreads, rounds,
        atomic_count, mutex_count, barrier_arrived, joined);
    printf("threads: ran on %d CPUs\n", cpus);
    return atomic_count == want && mutex_count == want && barrier_arrived == nthreads && joined == nthreads ? 0 : 1;
}
