/*
 * format.c - a small printf: %% %c %s %d %i %u %x %X %o %p, flags '-' '0',
 * field width and precision (both may be '*'), length modifiers l, ll, z.
 *
 * Output goes through a "sink": either a caller's string buffer
 * (snprintf, always NUL-terminated, truncating) or a file descriptor, in
 * which case the text is collected in a 256-byte stack buffer and written
 * whenever it fills and at the end of the call.  Nothing stays buffered
 * between calls, so fork()/exec() never duplicate or lose output.
 */
#include "u.h"

struct sink {
    char *buf;
    size_t cap, len; /* len counts all output, even past cap */
    int fd;          /* >= 0: flush to this fd when buf is full */
};

long write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        long r = sys_write(fd, p, n);
        if (r == -EINTR)
            continue;
        if (r < 0)
            return r;
        p += r;
        n -= r;
    }
    return 0;
}

long put_str(int fd, const char *s) { return write_all(fd, s, strlen(s)); }

static void flush(struct sink *k)
{
    if (k->fd >= 0 && k->len) {
        write_all(k->fd, k->buf, k->len);
        k->len = 0;
    }
}

static void put(struct sink *k, char c)
{
    if (k->fd >= 0) {
        if (k->len == k->cap)
            flush(k);
        k->buf[k->len++] = c;
    } else {
        if (k->len + 1 < k->cap)
            k->buf[k->len] = c;
        k->len++;
    }
}

static void pad(struct sink *k, int n, char c)
{
    while (n-- > 0)
        put(k, c);
}

static void format(struct sink *k, const char *f, va_list ap)
{
    for (; *f; f++) {
        if (*f != '%') {
            put(k, *f);
            continue;
        }
        int left = 0, zero = 0, width = 0, prec = -1, lng = 0;
        for (;; f++) {
            if (f[1] == '-')
                left = 1;
            else if (f[1] == '0')
                zero = 1;
            else
                break;
        }
        if (f[1] == '*') {
            f++;
            width = va_arg(ap, int);
            if (width < 0)
                left = 1, width = -width;
        } else {
            while (is_digit(f[1]))
                width = width * 10 + (*++f - '0');
        }
        if (f[1] == '.') {
            f++;
            prec = 0;
            if (f[1] == '*') {
                f++;
                prec = va_arg(ap, int);
            } else {
                while (is_digit(f[1]))
                    prec = prec * 10 + (*++f - '0');
            }
        }
        while (f[1] == 'l' || f[1] == 'z')
            lng += *++f == 'l';
        char c = *++f;
        if (!c)
            break;

        char tmp[24]; /* enough for a 64-bit number in octal */
        const char *s = tmp;
        int n = 0, neg = 0;
        u64 v;
        unsigned base = 10;
        switch (c) {
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            n = 1;
            break;
        case 's':
            s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            while (s[n] && (prec < 0 || n < prec))
                n++;
            break;
        case 'd':
        case 'i': {
            s64 sv = lng >= 2 ? va_arg(ap, s64) : va_arg(ap, long);
            neg = sv < 0;
            v = neg ? -(u64)sv : (u64)sv;
            goto number;
        }
        case 'p':
            lng = 0;
            /* fall through */
        case 'x':
        case 'X':
            base = 16;
            goto unsigned_arg;
        case 'o':
            base = 8;
            /* fall through */
        case 'u':
        unsigned_arg:
            v = lng >= 2 ? va_arg(ap, u64) : va_arg(ap, unsigned long);
        number: {
            /* build the digits backwards at the end of tmp.  Values that
             * fit in 32 bits use 32-bit division (no libgcc call). */
            const char *dig = c == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
            char *e = tmp + sizeof tmp;
            do {
                if (v >> 32) {
                    *--e = dig[v % base];
                    v /= base;
                } else {
                    u32 w = (u32)v;
                    *--e = dig[w % base];
                    v = w / base;
                }
            } while (v);
            if (c == 'p') {
                *--e = 'x';
                *--e = '0';
            }
            s = e;
            n = tmp + sizeof tmp - e;
            break;
        }
        default: /* unknown conversion: print it literally */
            put(k, c);
            continue;
        }
        int fill = width - n - neg;
        if (!left && !zero)
            pad(k, fill, ' ');
        if (neg)
            put(k, '-');
        if (!left && zero)
            pad(k, fill, '0');
        for (int i = 0; i < n; i++)
            put(k, s[i]);
        if (left)
            pad(k, fill, ' ');
    }
}

int vfdprintf(int fd, const char *fmt, va_list ap)
{
    char buf[256];
    struct sink k = {buf, sizeof buf, 0, fd};
    format(&k, fmt, ap);
    flush(&k);
    return 0;
}

int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
    struct sink k = {buf, n, 0, -1};
    format(&k, fmt, ap);
    if (n)
        buf[k.len < n ? k.len : n - 1] = 0;
    return k.len;
}

int fdprintf(int fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfdprintf(fd, fmt, ap);
    va_end(ap);
    return 0;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfdprintf(1, fmt, ap);
    va_end(ap);
    return 0;
}

int eprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfdprintf(2, fmt, ap);
    va_end(ap);
    return 0;
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}
