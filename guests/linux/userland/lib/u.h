/*
 * u.h - the whole public interface of the wasmvisor userland runtime ("libu").
 *
 * There is no libc: every program is a freestanding static ELF that talks to
 * the Linux kernel through raw system calls.  This header holds
 *   - the constants and structure layouts we need from the kernel UAPI
 *     (numbers copied as facts from linux-6.1 include/uapi/...),
 *   - the syscall numbers of the rv32 table (include/uapi/asm-generic/unistd.h;
 *     rv32 has no __ARCH_WANT_TIME32_SYSCALLS / NEW_STAT, so there is no
 *     open, fork, wait4, stat, lseek, nanosleep: we use openat, clone,
 *     waitid, statx, _llseek and the *_time64 calls),
 *   - inline syscall stubs and thin typed wrappers,
 *   - prototypes of the helpers in the lib/ C files.
 *
 * Error convention: every sys_* wrapper returns the raw kernel result, i.e.
 * a value in [-4095, -1] is a negated errno (there is no global errno).
 */
#ifndef U_H
#define U_H

typedef __SIZE_TYPE__ size_t; /* unsigned int on ilp32 */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long s64;
typedef __builtin_va_list va_list;
#define va_start(ap, last) __builtin_va_start(ap, last)
#define va_arg(ap, type) __builtin_va_arg(ap, type)
#define va_end(ap) __builtin_va_end(ap)
#define NULL ((void *)0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- syscall numbers (asm-generic/unistd.h, as used by rv32) ---------- */
#define NR_getcwd 17
#define NR_dup3 24
#define NR_fcntl64 25
#define NR_ioctl 29
#define NR_mkdirat 34
#define NR_unlinkat 35
#define NR_umount2 39
#define NR_mount 40
#define NR_faccessat 48
#define NR_chdir 49
#define NR_openat 56
#define NR_close 57
#define NR_pipe2 59
#define NR_getdents64 61
#define NR_llseek 62 /* __NR3264_lseek is _llseek on 32-bit */
#define NR_fsync 82
#define NR_fdatasync 83
#define NR_read 63
#define NR_write 64
#define NR_pread64 67
#define NR_pwrite64 68
#define NR_readlinkat 78
#define NR_sync 81
#define NR_exit 93
#define NR_exit_group 94
#define NR_waitid 95
#define NR_syslog 116
#define NR_kill 129
#define NR_rt_sigaction 134
#define NR_reboot 142
#define NR_setsid 157
#define NR_uname 160 /* sys_newuname */
#define NR_getpid 172
#define NR_getppid 173
#define NR_brk 214
#define NR_munmap 215
#define NR_mmap2 222
#define NR_clone 220
#define NR_execve 221
#define NR_statx 291
#define NR_clock_gettime64 403
#define NR_clock_nanosleep_time64 407

/* ---- errno values (asm-generic/errno-base.h, errno.h) ----------------- */
#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EINTR 4
#define EIO 5
#define ENXIO 6
#define E2BIG 7
#define ENOEXEC 8
#define EBADF 9
#define ECHILD 10
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define EXDEV 18
#define ENODEV 19
#define ENOTDIR 20
#define EISDIR 21
#define EINVAL 22
#define EMFILE 24
#define ENOTTY 25
#define ETXTBSY 26
#define EFBIG 27
#define ENOSPC 28
#define ESPIPE 29
#define EROFS 30
#define EPIPE 32
#define ERANGE 34
#define ENAMETOOLONG 36
#define ENOSYS 38
#define ENOTEMPTY 39
#define ELOOP 40

/* ---- open / at flags (asm-generic/fcntl.h, linux/fcntl.h) ------------- */
#define O_RDONLY 00
#define O_WRONLY 01
#define O_RDWR 02
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_SHARED 1
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_DIRECT 040000
#define O_APPEND 02000
#define O_NONBLOCK 04000
/* On a 32-bit kernel open() does NOT imply O_LARGEFILE (force_o_largefile()
 * is only true for BITS_PER_LONG != 32), so sys_open() always adds it. */
#define O_LARGEFILE 0100000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define F_GETFD 1
#define F_SETFD 2
#define FD_CLOEXEC 1
#define F_DUPFD_CLOEXEC 1030 /* F_LINUX_SPECIFIC_BASE + 6 */
#define X_OK 1

/* ---- file types (linux/stat.h) ---------------------------------------- */
#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)

/* struct statx, linux/stat.h (identical on every architecture, 256 bytes) */
struct statx_timestamp {
    s64 tv_sec;
    u32 tv_nsec;
    int reserved;
};
struct statx {
    u32 stx_mask;
    u32 stx_blksize;
    u64 stx_attributes;
    u32 stx_nlink;
    u32 stx_uid;
    u32 stx_gid;
    u16 stx_mode;
    u16 spare0;
    u64 stx_ino;
    u64 stx_size;
    u64 stx_blocks;
    u64 stx_attributes_mask;
    struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
    u32 stx_rdev_major, stx_rdev_minor;
    u32 stx_dev_major, stx_dev_minor;
    u64 spare[14];
};
#define STATX_BASIC_STATS 0x7ffu

/* struct linux_dirent64 as returned by getdents64 (linux/dirent.h) */
struct dirent64 {
    u64 d_ino;
    s64 d_off;
    u16 d_reclen;
    u8 d_type;
    char d_name[];
};

/* ---- processes ---------------------------------------------------------- */
#define SIGINT 2
#define SIGKILL 9
#define SIGTERM 15
#define SIGCHLD 17
/* waitid (linux/wait.h) */
#define P_ALL 0
#define P_PID 1
#define WNOHANG 1
#define WEXITED 4
#define CLD_EXITED 1
#define CLD_KILLED 2
#define CLD_DUMPED 3
/* siginfo_t for SIGCHLD (asm-generic/siginfo.h): 3 ints of preamble, then
 * pid, uid, status; the whole thing is SI_MAX_SIZE = 128 bytes. */
typedef struct {
    int si_signo, si_errno, si_code;
    int si_pid;
    unsigned si_uid;
    int si_status;
    int pad[26];
} siginfo_t;

/* rt_sigaction: asm-generic struct sigaction.  riscv does not define
 * SA_RESTORER (the kernel returns through the vDSO rt_sigreturn), so the
 * layout is handler, flags, mask; the mask is _NSIG/8 = 8 bytes. */
struct k_sigaction {
    void (*handler)(int);
    unsigned long flags;
    unsigned long mask[2];
};
#define SIG_DFL ((void (*)(int))0)
#define SIG_IGN ((void (*)(int))1)

/* struct __kernel_timespec: 64-bit seconds even on rv32 (time64 calls) */
struct timespec64 {
    s64 tv_sec;
    s64 tv_nsec;
};
#define CLOCK_MONOTONIC 1

/* struct new_utsname (linux/utsname.h): six 65-byte strings */
struct utsname {
    char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

/* ioctls (asm-generic/ioctls.h) */
#define TCGETS 0x5401
#define TCSETS 0x5402
#define TIOCSCTTY 0x540E

/* struct termios as TCGETS/TCSETS take it (asm-generic/termbits.h: four
 * flag words, the line discipline, NCCS = 19 control characters) */
struct termios {
    u32 c_iflag, c_oflag, c_cflag, c_lflag;
    u8 c_line;
    u8 c_cc[19];
};
/* c_iflag */
#define IGNBRK 0000001
#define BRKINT 0000002
#define PARMRK 0000010
#define ISTRIP 0000040
#define INLCR 0000100
#define IGNCR 0000200
#define ICRNL 0000400
#define IXON 0002000
/* c_oflag */
#define OPOST 0000001
/* c_cflag */
#define CSIZE 0000060
#define CS8 0000060
#define PARENB 0000400
/* c_lflag */
#define ISIG 0000001
#define ICANON 0000002
#define ECHO 0000010
#define ECHONL 0000100
#define IEXTEN 0100000
/* c_cc indices */
#define VTIME 5
#define VMIN 6

/* mount (linux/mount.h) and umount2 flags */
#define MS_RDONLY 1
#define MS_NOSUID 2
#define MS_NODEV 4
#define MS_NOEXEC 8
#define MS_SYNCHRONOUS 16
#define MS_REMOUNT 32
#define MS_NOATIME 1024
#define MS_BIND 4096
#define MS_REC 16384
#define MNT_FORCE 1
#define MNT_DETACH 2

/* reboot (linux/reboot.h) */
#define LINUX_REBOOT_MAGIC1 0xfee1deadu
#define LINUX_REBOOT_MAGIC2 672274793u
#define LINUX_REBOOT_CMD_RESTART 0x01234567u
#define LINUX_REBOOT_CMD_HALT 0xCDEF0123u
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321FEDCu

/* syslog actions (linux/syslog.h) */
#define SYSLOG_ACTION_READ_ALL 3
#define SYSLOG_ACTION_CLEAR 5
#define SYSLOG_ACTION_SIZE_BUFFER 10

/* ---- raw syscalls --------------------------------------------------------
 * RISC-V Linux ABI: `ecall` with the number in a7 and up to six arguments
 * in a0..a5; the result comes back in a0 and every other register is
 * preserved by the kernel.  Hence a0 is the only in/out operand. */
#define SC_ASM(...) __asm__ volatile("ecall" : "+r"(a0) : "r"(a7), ##__VA_ARGS__ : "memory")
static inline long syscall0(long n)
{
    register long a7 __asm__("a7") = n;
    register long a0 __asm__("a0");
    __asm__ volatile("ecall" : "=r"(a0) : "r"(a7) : "memory");
    return a0;
}
static inline long syscall1(long n, long x0)
{
    register long a7 __asm__("a7") = n;
    register long a0 __asm__("a0") = x0;
    SC_ASM();
    return a0;
}
static inline long syscall2(long n, long x0, long x1)
{
    register long a7 __asm__("a7") = n;
    register long a0 __asm__("a0") = x0;
    register long a1 __asm__("a1") = x1;
    SC_ASM("r"(a1));
    return a0;
}
static inline long syscall3(long n, long x0, long x1, long x2)
{
    register long a7 __asm__("a7") = n;
    register long a0 __asm__("a0") = x0;
    register long a1 __asm__("a1") = x1;
    register long a2 __asm__("a2") = x2;
    SC_ASM("r"(a1), "r"(a2));
    return a0;
}
static inline long syscall4(long n, long x0, long x1, long x2, long x3)
{
    register long a7 __asm__("a7") = n;
    register long a0 __asm__("a0") = x0;
    register long a1 __asm__("a1") = x1;
    register long a2 __asm__("a2") = x2;
    register long a3 __asm__("a3") = x3;
    SC_ASM("r"(a1), "r"(a2), "r"(a3));
    return a0;
}
static inline long syscall5(long n, long x0, long x1, long x2, long x3, long x4)
{
    register long a7 __asm__("a7") = n;
    register long a0 __asm__("a0") = x0;
    register long a1 __asm__("a1") = x1;
    register long a2 __asm__("a2") = x2;
    register long a3 __asm__("a3") = x3;
    register long a4 __asm__("a4") = x4;
    SC_ASM("r"(a1), "r"(a2), "r"(a3), "r"(a4));
    return a0;
}

static inline long syscall6(long n, long x0, long x1, long x2, long x3, long x4, long x5)
{
    register long a7 __asm__("a7") = n;
    register long a0 __asm__("a0") = x0;
    register long a1 __asm__("a1") = x1;
    register long a2 __asm__("a2") = x2;
    register long a3 __asm__("a3") = x3;
    register long a4 __asm__("a4") = x4;
    register long a5 __asm__("a5") = x5;
    SC_ASM("r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5));
    return a0;
}

/* true if a raw syscall result is an error (-4095..-1) */
static inline int is_err(long r) { return (unsigned long)r > -4096ul; }

/* ---- typed wrappers ------------------------------------------------------ */
#define L(x) ((long)(x))
static inline long sys_read(int fd, void *b, size_t n) { return syscall3(NR_read, fd, L(b), n); }
static inline long sys_write(int fd, const void *b, size_t n) { return syscall3(NR_write, fd, L(b), n); }
static inline long sys_openat(int dfd, const char *p, int fl, int mode)
{
    return syscall4(NR_openat, dfd, L(p), fl | O_LARGEFILE, mode);
}
static inline long sys_open(const char *p, int fl, int mode) { return sys_openat(AT_FDCWD, p, fl, mode); }
static inline long sys_close(int fd) { return syscall1(NR_close, fd); }
static inline long sys_dup3(int o, int n, int fl) { return syscall3(NR_dup3, o, n, fl); }
static inline long sys_fcntl(int fd, int cmd, long arg) { return syscall3(NR_fcntl64, fd, cmd, arg); }
static inline long sys_ioctl(int fd, unsigned cmd, long arg) { return syscall3(NR_ioctl, fd, cmd, arg); }
static inline long sys_pipe2(int fds[2], int fl) { return syscall2(NR_pipe2, L(fds), fl); }
static inline long sys_getdents64(int fd, void *b, size_t n) { return syscall3(NR_getdents64, fd, L(b), n); }
static inline long sys_statx(int dfd, const char *p, int fl, unsigned mask, struct statx *st)
{
    return syscall5(NR_statx, dfd, L(p), fl, mask, L(st));
}
/* _llseek(fd, offset_high, offset_low, loff_t *result, whence) */
static inline long sys_llseek(int fd, s64 off, s64 *res, int whence)
{
    return syscall5(NR_llseek, fd, (long)(off >> 32), (long)(u32)off, L(res), whence);
}
/* pread64/pwrite64(fd, buf, count, pos): the 64-bit position in a register pair, low word first
 * (ILP32: no alignment of the pair, and 6.1 has no syscall wrapper on riscv). */
static inline long sys_pread(int fd, void *b, size_t n, s64 pos)
{
    return syscall5(NR_pread64, fd, L(b), n, (long)(u32)pos, (long)(pos >> 32));
}
static inline long sys_pwrite(int fd, const void *b, size_t n, s64 pos)
{
    return syscall5(NR_pwrite64, fd, L(b), n, (long)(u32)pos, (long)(pos >> 32));
}
static inline long sys_mkdirat(int dfd, const char *p, int mode) { return syscall3(NR_mkdirat, dfd, L(p), mode); }
static inline long sys_unlinkat(int dfd, const char *p, int fl) { return syscall3(NR_unlinkat, dfd, L(p), fl); }
static inline long sys_faccessat(int dfd, const char *p, int mode) { return syscall3(NR_faccessat, dfd, L(p), mode); }
static inline long sys_readlinkat(int dfd, const char *p, char *b, size_t n)
{
    return syscall4(NR_readlinkat, dfd, L(p), L(b), n);
}
static inline long sys_chdir(const char *p) { return syscall1(NR_chdir, L(p)); }
/* getcwd returns the length including the NUL on success */
static inline long sys_getcwd(char *b, size_t n) { return syscall2(NR_getcwd, L(b), n); }
static inline long sys_mount(const char *src, const char *dst, const char *type, unsigned long fl, const void *data)
{
    return syscall5(NR_mount, L(src), L(dst), L(type), fl, L(data));
}
static inline long sys_umount2(const char *p, int fl) { return syscall2(NR_umount2, L(p), fl); }
static inline long sys_sync(void) { return syscall0(NR_sync); }
static inline long sys_fsync(int fd) { return syscall1(NR_fsync, fd); }
static inline long sys_fdatasync(int fd) { return syscall1(NR_fdatasync, fd); }
static inline long sys_uname(struct utsname *u) { return syscall1(NR_uname, L(u)); }
static inline long sys_syslog(int type, char *b, int n) { return syscall3(NR_syslog, type, L(b), n); }
static inline long sys_reboot(unsigned m1, unsigned m2, unsigned cmd)
{
    return syscall4(NR_reboot, m1, m2, cmd, 0);
}
static inline long sys_getpid(void) { return syscall0(NR_getpid); }
static inline long sys_getppid(void) { return syscall0(NR_getppid); }
static inline long sys_setsid(void) { return syscall0(NR_setsid); }
static inline long sys_kill(int pid, int sig) { return syscall2(NR_kill, pid, sig); }
/* fork() equivalent.  riscv selects CLONE_BACKWARDS, so the argument order
 * is (flags, newsp, parent_tid, tls, child_tid); with flags = SIGCHLD and
 * newsp = 0 the child gets a copy of the address space and keeps using the
 * (copied) current stack, exactly like fork(), and returns 0. */
static inline long sys_fork(void) { return syscall5(NR_clone, SIGCHLD, 0, 0, 0, 0); }
static inline long sys_execve(const char *p, char *const argv[], char *const envp[])
{
    return syscall3(NR_execve, L(p), L(argv), L(envp));
}
/* waitid(which, pid, infop, options, rusage) - the only wait call on rv32 */
static inline long sys_waitid(int which, int pid, siginfo_t *si, int opts)
{
    return syscall5(NR_waitid, which, pid, L(si), opts, 0);
}
static inline long sys_rt_sigaction(int sig, const struct k_sigaction *a, struct k_sigaction *o)
{
    return syscall4(NR_rt_sigaction, sig, L(a), L(o), 8);
}
static inline long sys_clock_gettime(int clk, struct timespec64 *ts)
{
    return syscall2(NR_clock_gettime64, clk, L(ts));
}
static inline long sys_clock_nanosleep(int clk, int fl, const struct timespec64 *req, struct timespec64 *rem)
{
    return syscall4(NR_clock_nanosleep_time64, clk, fl, L(req), L(rem));
}
static inline long sys_brk(void *p) { return syscall1(NR_brk, L(p)); }
/* mmap2: the offset is in 4096-byte units (32-bit generic ABI); UIO picks map N at offset N. */
static inline long sys_mmap2(void *addr, size_t len, int prot, int flags, int fd, unsigned long pgoff)
{
    return syscall6(NR_mmap2, L(addr), len, prot, flags, fd, pgoff);
}
static inline long sys_munmap(void *addr, size_t len) { return syscall2(NR_munmap, L(addr), len); }
__attribute__((noreturn)) void sys_exit_group(int code);

/* ---- runtime globals (lib/start.c) -------------------------------------- */
extern char **environ;
extern const char *progname; /* basename of argv[0], used in messages */

/* ---- strings (lib/string.c) --------------------------------------------- */
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strcpy(char *d, const char *s);
const char *base_name(const char *path);
int is_digit(int c);
/* parse a decimal number; returns 0 and stores it, or -1 if not a number */
int parse_uint(const char *s, unsigned *out);
int parse_int(const char *s, int *out);
char *getenv(const char *name);

/* ---- output (lib/format.c) ----------------------------------------------
 * printf subset: %% %c %s %d %i %u %x %X %o %p with flags '-' '0', width,
 * precision (for %s: max chars), '*', and length modifiers l, ll, z.
 * Output is formatted into a small stack buffer and written with write(2)
 * at the end of the call (so nothing is ever left buffered across fork). */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int eprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fdprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vfdprintf(int fd, const char *fmt, va_list ap);
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
/* write all of buf (retrying short writes); returns 0 or -errno */
long write_all(int fd, const void *buf, size_t n);
long put_str(int fd, const char *s);

/* ---- errors (lib/error.c) ----------------------------------------------- */
const char *errno_name(int e);    /* "ENOENT" */
const char *strerror(int e);      /* "No such file or directory" */
/* print "progname: what: Message (ENAME)\n" on fd 2; err is positive or negative */
void warn_err(const char *what, long err);
/* print "progname: msg\n" on fd 2 */
void warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void die_err(const char *what, long err);

/* ---- memory (lib/alloc.c): a bump allocator on brk; never frees -------- */
void *xmalloc(size_t n); /* dies on exhaustion */

/* ---- misc (lib/util.c) --------------------------------------------------- */
/* read a whole file (NUL-terminated) into xmalloc'ed memory; <0 on error */
long read_file(const char *path, char **out);
/* wait for one child; fills *si; retries EINTR */
long wait_child(int which, int pid, siginfo_t *si, int opts);
void sort_strings(char **v, int n);
int do_echo(int argc, char **argv); /* echo [-n] args..., returns status */

/* ---- terminals (lib/tty.c) ------------------------------------------------ */
static inline long tty_get(int fd, struct termios *t) { return sys_ioctl(fd, TCGETS, L(t)); }
static inline long tty_set(int fd, const struct termios *t) { return sys_ioctl(fd, TCSETS, L(t)); }
/* what cfmakeraw(3) does: bytes in and out unchanged, no echo, no signals */
void tty_make_raw(struct termios *t);

/* ---- line editing (lib/lineedit.c) ----------------------------------------
 * edit_line reads one line from the terminal `in` (already in a mode without
 * ICANON and ECHO: the editor echoes itself, on `out`), with cursor keys,
 * Emacs keys, history and Tab completion; see lineedit.c for the keys.
 * The prompt has been written by the caller; the editor only redraws it. */
#define LE_EOF (-1)
#define LE_INTR (-3)
struct line_editor {
    int in, out;
    const char *prompt;
    /* command names completed besides the programs in $PATH (builtins) */
    const char *const *commands;
    int ncommands;
};
/* returns the length of the line (NUL-terminated, without the newline),
 * LE_EOF (Ctrl-D on an empty line, end of input) or LE_INTR (a signal,
 * i.e. Ctrl-C: "^C" and a newline have been shown, the line is dropped) */
int edit_line(struct line_editor *e, char *line, int max);
/* remember a line for Up/Down (empty lines and repeats are not kept) */
void edit_history_add(const char *line);

#endif
