/*
 * init - PID 1 of the wasmvisor initramfs (installed as /init).
 *
 * 1. mounts devtmpfs on /dev (creating the directory if needed),
 * 2. makes fds 0, 1, 2 refer to /dev/console: the kernel normally opens
 *    /dev/console for PID 1 before exec'ing it (console_on_rootfs()), but
 *    only if the initramfs contains that node (c 5 1); otherwise the fds
 *    are closed and we open it from the devtmpfs just mounted,
 * 3. prints the banner "wasmvisor userland: init started",
 * 4. mounts proc on /proc and sysfs on /sys, creates /tmp and /mnt,
 * 5. starts the file agent /bin/wvagent when the command line names its tty
 *    (wvagent=/dev/hvcN),
 * 6. runs /bin/sh in a loop: each shell is a session leader with the
 *    console as its controlling tty (setsid + TIOCSCTTY, so that Ctrl-C
 *    reaches its foreground commands); when it ends, init prints
 *    "init: shell exited with status N, restarting" (or "killed by signal
 *    N") and starts a new one, pausing 1 s if the shell lived less than 1 s.
 * All the while it reaps every child, including orphans reparented to it,
 * with waitid(P_ALL, 0, &info, WEXITED).
 *
 * Mount failures are reported but are not fatal; a filesystem that is
 * already mounted (EBUSY, or the directory is already a mount point) is
 * left alone.  The kernel passes init an environment (HOME=/ TERM=linux
 * plus unknown key=value boot parameters); the shell gets it, with
 * PATH=/bin and HOME=/ added when missing.
 * init must never exit (the kernel would panic), so main() only returns
 * when it is not PID 1 - running it by hand is refused.
 */
#include "u.h"

#define SHELL "/bin/sh"

static s64 now_ms(void)
{
    struct timespec64 ts;
    sys_clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + (u32)ts.tv_nsec / 1000000;
}

static void sleep_s(int s)
{
    struct timespec64 ts = {s, 0};
    while (sys_clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == -EINTR)
        ;
}

/* dir is already a mount point if it is on another device than its parent */
static int is_mountpoint(const char *dir)
{
    struct statx a, b;
    char parent[64];
    snprintf(parent, sizeof parent, "%s/..", dir);
    if (sys_statx(AT_FDCWD, dir, 0, STATX_BASIC_STATS, &a) < 0 ||
        sys_statx(AT_FDCWD, parent, 0, STATX_BASIC_STATS, &b) < 0)
        return 0;
    return a.stx_dev_major != b.stx_dev_major || a.stx_dev_minor != b.stx_dev_minor;
}

static long mount_fs(const char *type, const char *dir, unsigned long flags)
{
    long r = sys_mkdirat(AT_FDCWD, dir, 0755);
    if (r < 0 && r != -EEXIST)
        return r;
    if (is_mountpoint(dir))
        return 0;
    r = sys_mount(type, dir, type, flags, NULL);
    return r == -EBUSY ? 0 : r;
}

static void report(const char *what, long r)
{
    if (r < 0)
        eprintf("init: %s: %s (%s)\n", what, strerror(r), errno_name(r));
}

static int fd_open(int fd) { return sys_fcntl(fd, F_GETFD, 0) >= 0; }

static void setup_console(void)
{
    if (fd_open(0) && fd_open(1) && fd_open(2))
        return;
    long fd = sys_open("/dev/console", O_RDWR, 0);
    if (fd < 0)
        return; /* nowhere to complain to */
    for (int i = 0; i < 3; i++)
        if (i != fd && !fd_open(i))
            sys_dup3(fd, i, 0);
    if (fd > 2)
        sys_close(fd);
}

/* environment for the shell: ours plus PATH/HOME defaults */
static char *shell_env[40];

static void build_env(char **envp)
{
    int n = 0, path = 0, home = 0;
    for (; envp && *envp && n < (int)ARRAY_SIZE(shell_env) - 3; envp++) {
        path |= !strncmp(*envp, "PATH=", 5);
        home |= !strncmp(*envp, "HOME=", 5);
        shell_env[n++] = *envp;
    }
    if (!path)
        shell_env[n++] = "PATH=/bin";
    if (!home)
        shell_env[n++] = "HOME=/";
    shell_env[n] = NULL;
}

static long spawn_shell(void)
{
    long pid = sys_fork();
    if (pid != 0)
        return pid;
    /* child: new session, console as controlling terminal (arg 1: take it
     * over even if a dead session still owns it; we have CAP_SYS_ADMIN) */
    sys_setsid();
    sys_ioctl(0, TIOCSCTTY, 1);
    char *argv[] = {"sh", NULL};
    long r = sys_execve(SHELL, argv, shell_env);
    report("cannot run " SHELL, r);
    sys_exit_group(127);
}

/* The file agent (bin/wvagent), when the command line names its tty
 * (wvagent=/dev/hvcN: wasmvisor adds it for a partition with the
 * "file-agent" device).  In a session of its own, without a controlling
 * tty; started once (if it dies, requests fail on the host's side). */
static void start_agent(void)
{
    char *tty = getenv("wvagent");
    if (!tty)
        return;
    long pid = sys_fork();
    if (pid != 0) {
        if (pid < 0)
            report("clone (file agent)", pid);
        return;
    }
    sys_setsid();
    char *argv[] = {"wvagent", tty, NULL};
    report("cannot run /bin/wvagent", sys_execve("/bin/wvagent", argv, shell_env));
    sys_exit_group(127);
}

int main(int argc, char **argv, char **envp)
{
    (void)argc, (void)argv;
    long pid = sys_getpid();
    if (pid != 1) {
        eprintf("init: must be run as PID 1 (this is PID %ld)\n", pid);
        return 1;
    }
    sys_chdir("/");
    long dev_err = mount_fs("devtmpfs", "/dev", 0);
    setup_console();
    put_str(1, "wasmvisor userland: init started\n");
    report("mounting devtmpfs on /dev", dev_err);
    report("mounting proc on /proc", mount_fs("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC));
    report("mounting sysfs on /sys", mount_fs("sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC));
    /* mkdir applies the umask (022): set the sticky, world-writable mode
     * of /tmp explicitly with fchmodat (nr 53) when we created it */
    if (sys_mkdirat(AT_FDCWD, "/tmp", 0777) == 0)
        syscall3(53, AT_FDCWD, (long)"/tmp", 01777);
    sys_mkdirat(AT_FDCWD, "/mnt", 0755);
    build_env(envp);
    start_agent();

    for (;;) {
        s64 started = now_ms();
        long shell = spawn_shell();
        if (shell < 0) {
            report("clone", shell);
            sleep_s(1);
            continue;
        }
        for (;;) {
            siginfo_t si;
            long r = wait_child(P_ALL, 0, &si, WEXITED);
            if (r == -ECHILD)
                break; /* cannot happen while the shell lives; be safe */
            if (r < 0 || si.si_pid != shell)
                continue; /* an orphan has been reaped */
            if (si.si_code == CLD_EXITED)
                eprintf("init: shell exited with status %d, restarting\n", si.si_status);
            else
                eprintf("init: shell killed by signal %d, restarting\n", si.si_status);
            break;
        }
        if (now_ms() - started < 1000)
            sleep_s(1); /* do not spin if the shell cannot even start */
    }
}
