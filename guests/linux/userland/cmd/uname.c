/*
 * uname [-asnrvm] - print system information from uname(2) (struct
 * new_utsname).  Default is -s; -a prints sysname nodename release version
 * machine, in that order (the same order as the flags' fields).
 */
#include "u.h"

int main(int argc, char **argv)
{
    struct utsname u;
    unsigned want = 0; /* bit i = field i of: s n r v m */
    static const char letters[] = "snrvm";
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (*o++ != '-' || !*o)
            goto usage;
        for (; *o; o++) {
            const char *p = strchr(letters, *o);
            if (*o == 'a')
                want = 31;
            else if (p)
                want |= 1u << (p - letters);
            else
                goto usage;
        }
    }
    if (!want)
        want = 1;
    long r = sys_uname(&u);
    if (r < 0)
        die_err("uname", r);
    const char *f[5] = {u.sysname, u.nodename, u.release, u.version, u.machine};
    const char *sep = "";
    for (int i = 0; i < 5; i++) {
        if (want & (1u << i)) {
            printf("%s%s", sep, f[i]);
            sep = " ";
        }
    }
    printf("\n");
    return 0;
usage:
    eprintf("usage: uname [-asnrvm]\n");
    return 2;
}
