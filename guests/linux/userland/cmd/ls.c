/*
 * ls [-l] [-a] [PATH...] - list directory contents, sorted by name (byte
 * order), one per line.  Names starting with '.' are hidden unless -a.
 * -l prints   MODE NLINK SIZE NAME [-> TARGET]
 * where MODE is the type character (d - l c b p s) plus rwx bits, and for
 * character/block devices SIZE is replaced by "MAJOR, MINOR".
 * Metadata comes from statx(2) (the only stat call on rv32), relative to
 * the open directory fd; entries from getdents64(2).
 */
#include "u.h"

static int opt_long, opt_all;

static void mode_string(unsigned m, char *s)
{
    static const char types[] = "?pc?d?b?-?l?s???"; /* indexed by S_IFMT >> 12 */
    static const char rwx[] = "rwxrwxrwx";
    s[0] = types[(m >> 12) & 15];
    for (int i = 0; i < 9; i++)
        s[1 + i] = m & (0400 >> i) ? rwx[i] : '-';
    if (m & 04000)
        s[3] = s[3] == 'x' ? 's' : 'S';
    if (m & 02000)
        s[6] = s[6] == 'x' ? 's' : 'S';
    if (m & 01000)
        s[9] = s[9] == 'x' ? 't' : 'T';
    s[10] = 0;
}

/* print one entry; dfd/name locate it, label is what gets printed */
static int show(int dfd, const char *name, const char *label)
{
    if (!opt_long) {
        printf("%s\n", label);
        return 0;
    }
    struct statx st;
    long r = sys_statx(dfd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &st);
    if (r < 0) {
        warn_err(label, r);
        return 1;
    }
    char mode[11], size[32], link[256];
    mode_string(st.stx_mode, mode);
    unsigned t = st.stx_mode & S_IFMT;
    if (t == S_IFCHR || t == S_IFBLK)
        snprintf(size, sizeof size, "%u, %u", st.stx_rdev_major, st.stx_rdev_minor);
    else
        snprintf(size, sizeof size, "%llu", st.stx_size);
    link[0] = 0;
    if (t == S_IFLNK) {
        long n = sys_readlinkat(dfd, name, link, sizeof link - 1);
        link[n > 0 ? n : 0] = 0;
    }
    printf("%s %3u %9s %s%s%s\n", mode, st.stx_nlink, size, label, link[0] ? " -> " : "", link);
    return 0;
}

static int list_dir(const char *path)
{
    long fd = sys_open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) {
        warn_err(path, fd);
        return 1;
    }
    static char dbuf[4096] __attribute__((aligned(8)));
    int n = 0, cap = 64, status = 0;
    char **names = xmalloc(cap * sizeof *names);
    for (;;) {
        long got = sys_getdents64(fd, dbuf, sizeof dbuf);
        if (got < 0) {
            warn_err(path, got);
            status = 1;
            break;
        }
        if (got == 0)
            break;
        for (long off = 0; off < got;) {
            struct dirent64 *d = (struct dirent64 *)(dbuf + off);
            off += d->d_reclen;
            if (d->d_name[0] == '.' && !opt_all)
                continue;
            if (n == cap) {
                char **nn = xmalloc(2 * cap * sizeof *nn);
                memcpy(nn, names, cap * sizeof *nn);
                names = nn;
                cap *= 2;
            }
            size_t l = strlen(d->d_name) + 1;
            names[n] = xmalloc(l);
            memcpy(names[n++], d->d_name, l);
        }
    }
    sort_strings(names, n);
    for (int i = 0; i < n; i++)
        status |= show(fd, names[i], names[i]);
    sys_close(fd);
    return status;
}

int main(int argc, char **argv)
{
    int i = 1, status = 0;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        for (const char *o = argv[i] + 1; *o; o++) {
            if (*o == 'l')
                opt_long = 1;
            else if (*o == 'a')
                opt_all = 1;
            else if (*o != '1') {
                eprintf("usage: ls [-l] [-a] [PATH...]\n");
                return 2;
            }
        }
    }
    int npaths = argc - i;
    if (npaths == 0)
        return list_dir(".");
    /* like other ls: operands that are not directories first (as given),
     * then the directories, with a "PATH:" header when there are several
     * operands.  A symlink operand is followed unless -l. */
    int first = 1;
    for (int pass = 0; pass < 2; pass++) {
        for (int j = i; j < argc; j++) {
            const char *p = argv[j];
            struct statx st;
            long r = sys_statx(AT_FDCWD, p, opt_long ? AT_SYMLINK_NOFOLLOW : 0, STATX_BASIC_STATS, &st);
            if (r < 0) {
                if (pass == 0) {
                    warn_err(p, r);
                    status = 1;
                }
                continue;
            }
            if (pass == 0 && !S_ISDIR(st.stx_mode)) {
                status |= show(AT_FDCWD, p, p);
                first = 0;
            } else if (pass == 1 && S_ISDIR(st.stx_mode)) {
                if (npaths > 1)
                    printf("%s%s:\n", first ? "" : "\n", p);
                first = 0;
                status |= list_dir(p);
            }
        }
    }
    return status;
}
