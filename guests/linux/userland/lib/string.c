/*
 * string.c - the handful of string/memory routines the programs need.
 *
 * memcpy, memmove, memset and memcmp must exist as real external symbols:
 * even with -ffreestanding GCC emits calls to them for struct copies and
 * large initialisers.  build.sh compiles everything with
 * -fno-tree-loop-distribute-patterns so that GCC cannot turn the loops
 * below back into calls to themselves.  Byte loops, except that memcpy and
 * memset move aligned words when they can (kvdb clears and copies whole
 * sectors per transaction).
 */
#include "u.h"

typedef u32 __attribute__((may_alias)) word; /* may alias any object */

void *memcpy(void *d, const void *s, size_t n)
{
    u8 *dp = d;
    const u8 *sp = s;
    if ((((unsigned long)dp | (unsigned long)sp) & 3) == 0)
        for (; n >= 4; n -= 4, dp += 4, sp += 4)
            *(word *)dp = *(const word *)sp;
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    u8 *dp = d;
    const u8 *sp = s;
    if (dp <= sp || dp >= sp + n)
        return memcpy(d, s, n);
    while (n--) /* overlapping with dest above src: copy backwards */
        dp[n] = sp[n];
    return d;
}

void *memset(void *d, int c, size_t n)
{
    u8 *dp = d;
    if (((unsigned long)dp & 3) == 0) {
        u32 w = (u8)c * 0x01010101u;
        for (; n >= 4; n -= 4, dp += 4)
            *(word *)dp = w;
    }
    while (n--)
        *dp++ = (u8)c;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const u8 *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return p - s;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (u8)*a - (u8)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (u8)*a - (u8)*b;
        if (!*a)
            break;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    const char *r = NULL;
    for (;; s++) {
        if (*s == (char)c)
            r = s;
        if (!*s)
            return (char *)r;
    }
}

char *strcpy(char *d, const char *s)
{
    char *r = d;
    while ((*d++ = *s++))
        ;
    return r;
}

/* "/bin/ls" -> "ls"; "dir/" is returned unchanged (not needed here) */
const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s && s[1] ? s + 1 : path;
}

int is_digit(int c) { return c >= '0' && c <= '9'; }

int parse_uint(const char *s, unsigned *out)
{
    unsigned v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (!is_digit(*s) || v > 429496729u || (v == 429496729u && *s > '5'))
            return -1;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return 0;
}

int parse_int(const char *s, int *out)
{
    unsigned v;
    int neg = *s == '-';
    if (parse_uint(s + neg, &v) || v > 2147483647u + neg)
        return -1;
    *out = neg ? (int)-v : (int)v;
    return 0;
}

char *getenv(const char *name)
{
    size_t n = strlen(name);
    for (char **e = environ; e && *e; e++)
        if (!strncmp(*e, name, n) && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}
