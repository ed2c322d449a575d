/*
 * dmesg [-r] [-C] - print the kernel log buffer.
 * syslog(SYSLOG_ACTION_SIZE_BUFFER) gives the buffer size, then
 * syslog(SYSLOG_ACTION_READ_ALL, buf, size) copies the whole log (without
 * consuming it) as text lines "<prio>[ time] message".  The "<prio>" prefix
 * is stripped unless -r (raw) is given.  -C clears the buffer.
 * Needs CAP_SYSLOG when kernel.dmesg_restrict is set.
 */
#include "u.h"

int main(int argc, char **argv)
{
    int raw = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-r"))
            raw = 1;
        else if (!strcmp(argv[i], "-C")) {
            long r = sys_syslog(SYSLOG_ACTION_CLEAR, NULL, 0);
            if (r < 0)
                die_err("syslog", r);
            return 0;
        } else {
            eprintf("usage: dmesg [-r] [-C]\n");
            return 2;
        }
    }
    long size = sys_syslog(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
    if (size < 0)
        die_err("syslog", size);
    if (size < 4096)
        size = 4096;
    char *buf = xmalloc(size);
    long n = sys_syslog(SYSLOG_ACTION_READ_ALL, buf, size);
    if (n < 0)
        die_err("syslog", n);
    if (raw)
        return write_all(1, buf, n) < 0;
    /* compact in place: drop "<digits>" at the start of each line */
    long o = 0;
    for (long i = 0; i < n;) {
        if (buf[i] == '<') {
            long j = i + 1;
            while (j < n && is_digit(buf[j]))
                j++;
            if (j < n && j > i + 1 && buf[j] == '>')
                i = j + 1;
        }
        while (i < n) {
            char c = buf[i++];
            buf[o++] = c;
            if (c == '\n')
                break;
        }
    }
    return write_all(1, buf, o) < 0;
}
