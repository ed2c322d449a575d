/*
 * util.c - small helpers shared by several programs.
 */
#include "u.h"

/* Read a whole file into xmalloc'ed memory, NUL-terminated.  Works for
 * /proc files, whose size is reported as 0: read until EOF, growing the
 * buffer.  Returns the length or a negative errno. */
long read_file(const char *path, char **out)
{
    long fd = sys_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return fd;
    size_t cap = 4096, len = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (len + 1 >= cap) {
            char *nb = xmalloc(cap * 2);
            memcpy(nb, buf, len);
            buf = nb;
            cap *= 2;
        }
        long r = sys_read(fd, buf + len, cap - 1 - len);
        if (r == -EINTR)
            continue;
        if (r < 0) {
            sys_close(fd);
            return r;
        }
        if (r == 0)
            break;
        len += r;
    }
    sys_close(fd);
    buf[len] = 0;
    *out = buf;
    return len;
}

long wait_child(int which, int pid, siginfo_t *si, int opts)
{
    long r;
    do {
        memset(si, 0, sizeof *si);
        r = sys_waitid(which, pid, si, opts);
    } while (r == -EINTR);
    return r;
}

/* insertion sort by strcmp: directories here are small */
void sort_strings(char **v, int n)
{
    for (int i = 1; i < n; i++) {
        char *x = v[i];
        int j = i;
        while (j > 0 && strcmp(v[j - 1], x) > 0) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* echo [-n] ARGS... - shared by /bin/echo and the shell builtin.  Output
 * is gathered into one buffer so that a short line is a single write(2). */
struct obuf {
    char b[512];
    size_t n;
    int err;
};

static void ob_put(struct obuf *o, char c)
{
    if (o->n == sizeof o->b) {
        o->err |= write_all(1, o->b, o->n) < 0;
        o->n = 0;
    }
    o->b[o->n++] = c;
}

int do_echo(int argc, char **argv)
{
    struct obuf o;
    int first = 1, nl = 1;
    o.n = o.err = 0;
    if (argc > 1 && !strcmp(argv[1], "-n"))
        nl = 0, first = 2;
    for (int i = first; i < argc; i++) {
        if (i > first)
            ob_put(&o, ' ');
        for (const char *s = argv[i]; *s; s++)
            ob_put(&o, *s);
    }
    if (nl)
        ob_put(&o, '\n');
    o.err |= write_all(1, o.b, o.n) < 0;
    return o.err;
}
