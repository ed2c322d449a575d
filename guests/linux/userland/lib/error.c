/*
 * error.c - errno names and messages, and the warn/die helpers.
 *
 * Numbers are the Linux asm-generic ones (the same on RISC-V).  Errors
 * are reported as "prog: what: Message (ENAME)" - the symbolic name makes
 * logs from the emulator easy to grep.
 */
#include "u.h"

struct errinfo {
    u8 num;
    const char *name;
    const char *msg;
};

static const struct errinfo errs[] = {
    {EPERM, "EPERM", "Operation not permitted"},
    {ENOENT, "ENOENT", "No such file or directory"},
    {ESRCH, "ESRCH", "No such process"},
    {EINTR, "EINTR", "Interrupted system call"},
    {EIO, "EIO", "I/O error"},
    {ENXIO, "ENXIO", "No such device or address"},
    {E2BIG, "E2BIG", "Argument list too long"},
    {ENOEXEC, "ENOEXEC", "Exec format error"},
    {EBADF, "EBADF", "Bad file descriptor"},
    {ECHILD, "ECHILD", "No child processes"},
    {EAGAIN, "EAGAIN", "Resource temporarily unavailable"},
    {ENOMEM, "ENOMEM", "Out of memory"},
    {EACCES, "EACCES", "Permission denied"},
    {EFAULT, "EFAULT", "Bad address"},
    {EBUSY, "EBUSY", "Device or resource busy"},
    {EEXIST, "EEXIST", "File exists"},
    {EXDEV, "EXDEV", "Cross-device link"},
    {ENODEV, "ENODEV", "No such device"},
    {ENOTDIR, "ENOTDIR", "Not a directory"},
    {EISDIR, "EISDIR", "Is a directory"},
    {EINVAL, "EINVAL", "Invalid argument"},
    {EMFILE, "EMFILE", "Too many open files"},
    {ENOTTY, "ENOTTY", "Inappropriate ioctl for device"},
    {ETXTBSY, "ETXTBSY", "Text file busy"},
    {EFBIG, "EFBIG", "File too large"},
    {ENOSPC, "ENOSPC", "No space left on device"},
    {ESPIPE, "ESPIPE", "Illegal seek"},
    {EROFS, "EROFS", "Read-only file system"},
    {EPIPE, "EPIPE", "Broken pipe"},
    {ERANGE, "ERANGE", "Result out of range"},
    {ENAMETOOLONG, "ENAMETOOLONG", "File name too long"},
    {ENOSYS, "ENOSYS", "Function not implemented"},
    {ENOTEMPTY, "ENOTEMPTY", "Directory not empty"},
    {ELOOP, "ELOOP", "Too many levels of symbolic links"},
    {75, "EOVERFLOW", "Value too large for defined data type"},
    {95, "EOPNOTSUPP", "Operation not supported"},
};

static const struct errinfo *find(int e)
{
    if (e < 0)
        e = -e;
    for (unsigned i = 0; i < ARRAY_SIZE(errs); i++)
        if (errs[i].num == e)
            return &errs[i];
    return NULL;
}

const char *errno_name(int e)
{
    const struct errinfo *i = find(e);
    return i ? i->name : "E?";
}

const char *strerror(int e)
{
    const struct errinfo *i = find(e);
    return i ? i->msg : "Unknown error";
}

void warn_err(const char *what, long err)
{
    int e = err < 0 ? -err : err;
    const struct errinfo *i = find(e);
    if (i)
        eprintf("%s: %s: %s (%s)\n", progname, what, i->msg, i->name);
    else
        eprintf("%s: %s: error %d\n", progname, what, e);
}

void warnx(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    eprintf("%s: %s\n", progname, buf);
}

void die_err(const char *what, long err)
{
    warn_err(what, err);
    sys_exit_group(1);
}
