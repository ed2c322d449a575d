/*
 * cat [FILE...] - copy files (or stdin when none, or for "-") to stdout.
 * Keeps going after an error and exits 1 if any file failed.
 */
#include "u.h"

static char buf[4096];

static int copy(int fd, const char *name)
{
    for (;;) {
        long n = sys_read(fd, buf, sizeof buf);
        if (n == -EINTR)
            continue;
        if (n < 0) {
            warn_err(name, n);
            return 1;
        }
        if (n == 0)
            return 0;
        long w = write_all(1, buf, n);
        if (w < 0) {
            warn_err("write error", w);
            return 1;
        }
    }
}

int main(int argc, char **argv)
{
    int status = 0;
    if (argc < 2)
        return copy(0, "stdin");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-")) {
            status |= copy(0, "stdin");
            continue;
        }
        long fd = sys_open(argv[i], O_RDONLY, 0);
        if (fd < 0) {
            warn_err(argv[i], fd);
            status = 1;
            continue;
        }
        status |= copy(fd, argv[i]);
        sys_close(fd);
    }
    return status;
}
