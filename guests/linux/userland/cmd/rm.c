/*
 * rm [-f] [-r] [-d] FILE... - remove files.
 *   -f  ignore missing files
 *   -r  remove directories and their contents recursively
 *   -d  remove empty directories
 * Uses unlinkat(2) (AT_REMOVEDIR for directories) and getdents64(2).
 */
#include "u.h"

static int force, recursive, dirs;
static char path[4096];

static int remove_tree(size_t len);

static int remove_path(size_t len)
{
    long r = sys_unlinkat(AT_FDCWD, path, 0);
    if (r == -EISDIR || (r == -EPERM && (recursive || dirs))) {
        /* Linux returns EISDIR for unlink() of a directory */
        if (recursive)
            return remove_tree(len);
        if (dirs)
            r = sys_unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
    }
    if (r == -ENOENT && force)
        return 0;
    if (r < 0) {
        warn_err(path, r);
        return 1;
    }
    return 0;
}

/* remove the contents of directory path[0..len), then the directory */
static int remove_tree(size_t len)
{
    /* on the stack: the recursion below must not clobber our batch */
    char dbuf[1024] __attribute__((aligned(8)));
    int status = 0;
    long fd = sys_open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) {
        warn_err(path, fd);
        return 1;
    }
    for (;;) {
        /* unlinking entries already returned does not disturb the
         * directory position, so a plain sequential scan is enough */
        long n = sys_getdents64(fd, dbuf, sizeof dbuf);
        if (n <= 0) {
            if (n < 0) {
                warn_err(path, n);
                status = 1;
            }
            break;
        }
        for (long off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(dbuf + off);
            off += d->d_reclen;
            const char *nm = d->d_name;
            if (!strcmp(nm, ".") || !strcmp(nm, ".."))
                continue;
            size_t nl = strlen(nm);
            if (len + 1 + nl >= sizeof path) {
                warn_err(nm, -ENAMETOOLONG);
                status = 1;
                continue;
            }
            path[len] = '/';
            memcpy(path + len + 1, nm, nl + 1);
            status |= remove_path(len + 1 + nl);
            path[len] = 0;
        }
    }
    sys_close(fd);
    long r = sys_unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
    if (r < 0) {
        warn_err(path, r);
        status = 1;
    }
    return status;
}

int main(int argc, char **argv)
{
    int i = 1, status = 0;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        for (const char *o = argv[i] + 1; *o; o++) {
            if (*o == 'f')
                force = 1;
            else if (*o == 'r' || *o == 'R')
                recursive = 1;
            else if (*o == 'd')
                dirs = 1;
            else {
                eprintf("usage: rm [-f] [-r] [-d] FILE...\n");
                return 2;
            }
        }
    }
    if (i >= argc && !force) {
        eprintf("usage: rm [-f] [-r] [-d] FILE...\n");
        return 2;
    }
    for (; i < argc; i++) {
        size_t len = strlen(argv[i]);
        if (len >= sizeof path) {
            warn_err(argv[i], -ENAMETOOLONG);
            status = 1;
            continue;
        }
        memcpy(path, argv[i], len + 1);
        while (len > 1 && path[len - 1] == '/') /* "dir/" -> "dir" */
            path[--len] = 0;
        status |= remove_path(len);
    }
    return status;
}
