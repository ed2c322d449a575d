/*
 * mkdir [-p] DIR... - create directories (mode 0777 & ~umask).
 * -p: create missing parents and do not complain if DIR exists.
 */
#include "u.h"

static long mkdir_p(char *path)
{
    /* create every prefix that ends just before a '/', then the whole path */
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        long r = sys_mkdirat(AT_FDCWD, path, 0777);
        *p = '/';
        if (r < 0 && r != -EEXIST)
            return r;
    }
    long r = sys_mkdirat(AT_FDCWD, path, 0777);
    if (r == -EEXIST) {
        struct statx st;
        if (sys_statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &st) == 0 && S_ISDIR(st.stx_mode))
            r = 0;
    }
    return r;
}

int main(int argc, char **argv)
{
    int parents = 0, status = 0, i = 1;
    if (i < argc && !strcmp(argv[i], "-p"))
        parents = 1, i++;
    if (i >= argc) {
        eprintf("usage: mkdir [-p] DIR...\n");
        return 2;
    }
    for (; i < argc; i++) {
        long r = parents ? mkdir_p(argv[i]) : sys_mkdirat(AT_FDCWD, argv[i], 0777);
        if (r < 0) {
            warn_err(argv[i], r);
            status = 1;
        }
    }
    return status;
}
