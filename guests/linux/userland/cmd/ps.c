/*
 * ps - list processes:   PID STAT COMMAND
 * Scans /proc for numeric directories.  STAT is the state letter from
 * /proc/PID/stat (the field after "(comm)"; comm may itself contain spaces
 * and parentheses, so we look for the LAST ')').  COMMAND is
 * /proc/PID/cmdline with the NUL separators turned into spaces, or
 * "[comm]" for kernel threads, whose cmdline is empty.
 */
#include "u.h"

static char buf[4096];

/* read up to sizeof buf - 1 bytes of a small file into buf; length or -errno */
static long slurp(const char *path)
{
    long fd = sys_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return fd;
    long len = 0, r;
    while (len < (long)sizeof buf - 1 && (r = sys_read(fd, buf + len, sizeof buf - 1 - len)) != 0) {
        if (r == -EINTR)
            continue;
        if (r < 0) {
            len = r;
            break;
        }
        len += r;
    }
    sys_close(fd);
    if (len >= 0)
        buf[len] = 0;
    return len;
}

static void show(unsigned pid)
{
    char path[48], comm[64], state = '?';
    snprintf(path, sizeof path, "/proc/%u/stat", pid);
    if (slurp(path) <= 0)
        return; /* the process exited meanwhile */
    char *open = strchr(buf, '('), *close = strrchr(buf, ')');
    if (!open || !close || close < open)
        return;
    *close = 0;
    snprintf(comm, sizeof comm, "%s", open + 1);
    if (close[1] == ' ' && close[2])
        state = close[2];

    snprintf(path, sizeof path, "/proc/%u/cmdline", pid);
    long n = slurp(path);
    while (n > 0 && buf[n - 1] == 0)
        n--;
    for (long i = 0; i < n; i++)
        if (buf[i] == 0 || buf[i] == '\n')
            buf[i] = ' ';
    if (n > 0)
        buf[n] = 0;
    if (n > 0)
        printf("%5u %c    %s\n", pid, state, buf);
    else
        printf("%5u %c    [%s]\n", pid, state, comm);
}

int main(void)
{
    static char dbuf[4096] __attribute__((aligned(8)));
    static unsigned pids[4096];
    int n = 0;
    long fd = sys_open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0)
        die_err("/proc", fd);
    for (;;) {
        long got = sys_getdents64(fd, dbuf, sizeof dbuf);
        if (got < 0)
            die_err("/proc", got);
        if (got == 0)
            break;
        for (long off = 0; off < got;) {
            struct dirent64 *d = (struct dirent64 *)(dbuf + off);
            off += d->d_reclen;
            unsigned pid;
            if (n < (int)ARRAY_SIZE(pids) && parse_uint(d->d_name, &pid) == 0)
                pids[n++] = pid;
        }
    }
    sys_close(fd);
    /* /proc lists pids in ascending order already; sort anyway (cheap) */
    for (int i = 1; i < n; i++) {
        unsigned x = pids[i];
        int j = i;
        for (; j > 0 && pids[j - 1] > x; j--)
            pids[j] = pids[j - 1];
        pids[j] = x;
    }
    printf("  PID STAT COMMAND\n");
    for (int i = 0; i < n; i++)
        show(pids[i]);
    return 0;
}
