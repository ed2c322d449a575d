/*
 * wvagent - the file agent: serves the host's requests to write, read and
 * list files, over a virtio console of its own (the partition's
 * "file-agent" device; the host side is src/api/files.ts, the design is in
 * docs/files.md).  init starts it when the kernel command line names the
 * agent's tty (wvagent=/dev/hvcN, which wasmvisor adds).
 *
 *   wvagent TTY
 *
 * The tty is put in raw mode (bytes pass unchanged both ways).  The agent
 * says "WVAGENT 1\n" once, then answers one request at a time:
 *
 *   W <len> <mode, octal> <path>\n <len bytes>   write (create/truncate) a file
 *   R <path>\n                                   read a whole file
 *   L <path>\n                                   list a directory
 *
 * with "OK <len>\n <len bytes>" (nothing for W; the file for R; one line per
 * entry for L: "<f|d|l|o> <size> <name>\n", f file, d directory, l symbolic
 * link, o other) or "ERR <ENAME> <message>\n".  A file read or written is
 * at most MAX_FILE bytes, a listing at most MAX_LIST bytes: beyond that the
 * answer is EFBIG (a write's bytes are still taken, and dropped).  A request
 * line that cannot be parsed is answered with EINVAL.
 */
#include "u.h"

#define MAX_FILE (1024 * 1024) /* src/api/files.ts MAX_AGENT_FILE */
#define MAX_LIST (64 * 1024)
#define LINE 4200

static int tty;
static char file[MAX_FILE]; /* bss: pages are only taken when used */
static char list[MAX_LIST];

/* ---- input: buffered reads of the tty ---------------------------------- */
static char in[4096];
static int in_pos, in_len;

static int fill(void)
{
    for (;;) {
        long n = sys_read(tty, in, sizeof in);
        if (n == -EINTR)
            continue;
        if (n <= 0)
            return -1;
        in_pos = 0;
        in_len = n;
        return 0;
    }
}

/* the request line, without its '\n' (NUL-terminated); <0 at end of input,
 * 1 if it was too long (the rest of it is skipped) */
static int read_request(char *line)
{
    int n = 0, longer = 0;
    for (;;) {
        if (in_pos == in_len && fill() < 0)
            return -1;
        char c = in[in_pos++];
        if (c == '\n')
            break;
        if (n < LINE - 1)
            line[n++] = c;
        else
            longer = 1;
    }
    line[n] = 0;
    return longer;
}

/* take n bytes of input: into dst, or dropped (dst NULL); <0 at end of input */
static int take(char *dst, u32 n)
{
    while (n > 0) {
        if (in_pos == in_len && fill() < 0)
            return -1;
        u32 k = in_len - in_pos < (int)n ? (u32)(in_len - in_pos) : n;
        if (dst) {
            memcpy(dst, in + in_pos, k);
            dst += k;
        }
        in_pos += k;
        n -= k;
    }
    return 0;
}

/* ---- answers --------------------------------------------------------------- */
static void ok(const char *data, u32 n)
{
    fdprintf(tty, "OK %u\n", n);
    write_all(tty, data, n);
}

static void err(long e, const char *why)
{
    if (e < 0)
        e = -e;
    fdprintf(tty, "ERR %s %s\n", errno_name(e), why ? why : strerror(e));
}

/* ---- requests ---------------------------------------------------------------- */
static int parse_octal(const char *s, unsigned *out)
{
    unsigned v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '7' || v > 07777)
            return -1;
        v = v * 8 + (*s - '0');
    }
    *out = v;
    return 0;
}

static int do_write(char *args)
{
    char *sp1 = strchr(args, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    unsigned len, mode;
    if (!sp2)
        return err(EINVAL, "expected W LEN MODE PATH"), 0; /* (no length: nothing to drop) */
    *sp1 = *sp2 = 0;
    if (parse_uint(args, &len) || parse_octal(sp1 + 1, &mode) || mode > 07777)
        return err(EINVAL, "expected W LEN MODE PATH"), 0;
    const char *path = sp2 + 1;
    if (len > MAX_FILE) {
        if (take(NULL, len) < 0)
            return -1;
        err(EFBIG, "larger than the agent takes (1 MiB)");
        return 0;
    }
    if (take(file, len) < 0)
        return -1;
    long fd = sys_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return err(fd, NULL), 0;
    long r = write_all(fd, file, len);
    long c = sys_close(fd);
    if (r < 0 || c < 0)
        return err(r < 0 ? r : c, NULL), 0;
    ok(NULL, 0);
    return 0;
}

static void do_read(const char *path)
{
    long fd = sys_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return err(fd, NULL);
    struct statx st;
    long r = sys_statx(fd, "", 0x1000 /* AT_EMPTY_PATH */, STATX_BASIC_STATS, &st);
    if (r == 0 && S_ISDIR(st.stx_mode))
        r = -EISDIR;
    u32 n = 0;
    while (r >= 0) { /* until end of file, or one byte more than MAX_FILE */
        r = sys_read(fd, file + n, n < MAX_FILE ? MAX_FILE - n : 1);
        if (r == -EINTR) {
            r = 0;
            continue;
        }
        if (r <= 0)
            break;
        if (n == MAX_FILE) {
            r = -EFBIG;
            break;
        }
        n += r;
    }
    sys_close(fd);
    if (r == -EFBIG)
        return err(EFBIG, "larger than the agent gives (1 MiB)");
    if (r < 0)
        return err(r, NULL);
    ok(file, n);
}

static void do_list(const char *path)
{
    long fd = sys_open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0)
        return err(fd, NULL);
    static char dbuf[2048];
    u32 n = 0;
    long got;
    while ((got = sys_getdents64(fd, dbuf, sizeof dbuf)) > 0) {
        for (long off = 0; off < got;) {
            struct dirent64 *d = (struct dirent64 *)(dbuf + off);
            off += d->d_reclen;
            if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
                continue;
            struct statx st;
            char type = 'o';
            u64 size = 0;
            if (sys_statx(fd, d->d_name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &st) == 0) {
                u32 fmt = st.stx_mode & S_IFMT;
                type = fmt == S_IFREG ? 'f' : fmt == S_IFDIR ? 'd' : fmt == S_IFLNK ? 'l' : 'o';
                size = fmt == S_IFREG ? st.stx_size : 0;
            }
            int w = snprintf(list + n, MAX_LIST - n, "%c %llu %s\n", type, size, d->d_name);
            if (w < 0 || n + w >= MAX_LIST) {
                sys_close(fd);
                return err(EFBIG, "more entries than the agent lists (64 KiB)");
            }
            n += w;
        }
    }
    sys_close(fd);
    if (got < 0)
        return err(got, NULL);
    ok(list, n);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        eprintf("usage: wvagent TTY\n");
        return 2;
    }
    long fd = sys_open(argv[1], O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
    if (fd < 0)
        die_err(argv[1], fd);
    tty = fd;
    struct termios t;
    long r = tty_get(tty, &t);
    if (r < 0)
        die_err("TCGETS", r);
    tty_make_raw(&t);
    if ((r = tty_set(tty, &t)) < 0)
        die_err("TCSETS", r);
    put_str(tty, "WVAGENT 1\n");
    static char line[LINE];
    for (;;) {
        int longer = read_request(line);
        if (longer < 0)
            return 0; /* (the tty hung up) */
        if (longer || !line[0] || line[1] != ' ') {
            err(EINVAL, longer ? "request line too long" : "unknown request");
            continue;
        }
        char *args = line + 2;
        if (line[0] == 'W') {
            if (do_write(args) < 0)
                return 0;
        } else if (line[0] == 'R') {
            do_read(args);
        } else if (line[0] == 'L') {
            do_list(args);
        } else {
            err(EINVAL, "unknown request");
        }
    }
}
