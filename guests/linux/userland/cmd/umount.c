/*
 * umount [-l] [-f] DIR... - detach filesystems with umount2(2).
 *   -l  lazy (MNT_DETACH)   -f  force (MNT_FORCE)
 */
#include "u.h"

int main(int argc, char **argv)
{
    int flags = 0, status = 0, i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-l"))
            flags |= MNT_DETACH;
        else if (!strcmp(argv[i], "-f"))
            flags |= MNT_FORCE;
        else
            break;
    }
    if (i >= argc) {
        eprintf("usage: umount [-l] [-f] DIR...\n");
        return 2;
    }
    for (; i < argc; i++) {
        long r = sys_umount2(argv[i], flags);
        if (r < 0) {
            warn_err(argv[i], r);
            status = 1;
        }
    }
    return status;
}
