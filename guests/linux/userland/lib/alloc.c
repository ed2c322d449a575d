/*
 * alloc.c - xmalloc(): a bump allocator on top of brk(2).
 *
 * The raw brk syscall returns the new break on success and the old (unchanged)
 * break on failure; brk(0) just reports the current break.  The programs
 * are short-lived, so memory is never freed.
 */
#include "u.h"

static char *cur, *end;

void *xmalloc(size_t n)
{
    n = (n + 7) & ~7u;
    if (!cur)
        cur = end = (char *)sys_brk(0);
    if ((size_t)(end - cur) < n) {
        size_t grow = (n - (end - cur) + 0xffff) & ~0xffffu; /* 64 KiB steps */
        char *want = end + grow;
        char *got = (char *)sys_brk(want);
        if (got != want) {
            warnx("out of memory");
            sys_exit_group(1);
        }
        end = got;
    }
    void *p = cur;
    cur += n;
    return p;
}
