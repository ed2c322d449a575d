/*
 * mount                                  list mounts (copy of /proc/mounts)
 * mount [-t TYPE] [-o OPTS] DEVICE DIR   mount a filesystem
 * mount -o remount[,OPTS] DIR            change flags of a mounted filesystem
 *
 * OPTS is a comma list; ro rw nosuid nodev noexec sync noatime remount bind
 * rbind become mount(2) flags (linux/mount.h), anything else is passed to
 * the filesystem as the data string (e.g. "size=1m" for tmpfs).
 * Without -t, every filesystem type in /proc/filesystems that is not
 * marked "nodev" is tried in turn (useful for block devices).
 */
#include "u.h"

static const struct {
    const char *name;
    unsigned long set, clear;
} opts[] = {
    {"ro", MS_RDONLY, 0},       {"rw", 0, MS_RDONLY},
    {"nosuid", MS_NOSUID, 0},   {"nodev", MS_NODEV, 0},
    {"noexec", MS_NOEXEC, 0},   {"sync", MS_SYNCHRONOUS, 0},
    {"noatime", MS_NOATIME, 0}, {"remount", MS_REMOUNT, 0},
    {"bind", MS_BIND, 0},       {"rbind", MS_BIND | MS_REC, 0},
    {"defaults", 0, 0},
};

static unsigned long flags;
static char data[512];

static int parse_opts(char *s)
{
    size_t dl = strlen(data);
    while (*s) {
        char *e = strchr(s, ',');
        if (e)
            *e = 0;
        unsigned i;
        for (i = 0; i < ARRAY_SIZE(opts); i++) {
            if (!strcmp(s, opts[i].name)) {
                flags = (flags | opts[i].set) & ~opts[i].clear;
                break;
            }
        }
        if (i == ARRAY_SIZE(opts) && *s) {
            size_t l = strlen(s);
            if (dl + l + 2 > sizeof data)
                return -1;
            if (dl)
                data[dl++] = ',';
            memcpy(data + dl, s, l + 1);
            dl += l;
        }
        if (!e)
            break;
        s = e + 1;
    }
    return 0;
}

static int try_all_types(const char *dev, const char *dir)
{
    char *list;
    long r = read_file("/proc/filesystems", &list);
    if (r < 0) {
        warn_err("/proc/filesystems (use -t TYPE)", r);
        return 1;
    }
    long last = -ENODEV;
    /* lines are "nodev\tNAME" or "\tNAME" */
    for (char *line = list; *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        if (line[0] == '\t' && line[1]) {
            r = sys_mount(dev, dir, line + 1, flags, data[0] ? data : NULL);
            if (r == 0)
                return 0;
            /* EINVAL = not this filesystem; keep a more telling error */
            if (r != -EINVAL || last == -ENODEV)
                last = r;
        }
        if (!nl)
            break;
        line = nl + 1;
    }
    warn_err(dev, last);
    return 1;
}

int main(int argc, char **argv)
{
    const char *type = NULL;
    int i = 1;
    if (argc == 1) {
        char *text;
        long r = read_file("/proc/mounts", &text);
        if (r < 0)
            die_err("/proc/mounts", r);
        return write_all(1, text, r) < 0;
    }
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-t") && i + 1 < argc)
            type = argv[++i];
        else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            if (parse_opts(argv[++i]) < 0) {
                eprintf("mount: options too long\n");
                return 2;
            }
        } else
            goto usage;
    }
    const char *dev, *dir;
    if (argc - i == 2) {
        dev = argv[i];
        dir = argv[i + 1];
    } else if (argc - i == 1 && (flags & MS_REMOUNT)) {
        dev = "none";
        dir = argv[i];
    } else
        goto usage;
    if (!type && !(flags & (MS_REMOUNT | MS_BIND)))
        return try_all_types(dev, dir);
    long r = sys_mount(dev, dir, type, flags, data[0] ? data : NULL);
    if (r < 0) {
        char what[300];
        snprintf(what, sizeof what, "mounting %s on %s", dev, dir);
        warn_err(what, r);
        return 1;
    }
    return 0;
usage:
    eprintf("usage: mount [-t TYPE] [-o OPTS] DEVICE DIR\n"
            "       mount -o remount,OPTS DIR\n"
            "       mount            (list mounted filesystems)\n");
    return 2;
}
