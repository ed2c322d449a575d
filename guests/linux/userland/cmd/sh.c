/*
 * sh - a small interactive shell.
 *
 *   sh                 read commands from stdin; prints the prompt "# " on
 *                      stderr before each line; EOF exits with status 0
 *   sh -c 'CMDS'       run CMDS (may contain newlines), exit with last status
 *   sh SCRIPT          run the lines of SCRIPT (no prompt), exit likewise
 *
 * Syntax (a deliberately small subset of POSIX sh):
 *   words separated by blanks; '...' literal; "..." with $ expansion and
 *   \" \\ \$ escapes; \c outside quotes escapes c; # starts a comment at
 *   the beginning of a word;
 *   $? last status, $$ shell pid, $NAME / ${NAME} environment variable
 *   (the result of an expansion is never split into several words);
 *   cmd1 | cmd2 ...     pipelines;
 *   a ; b   a && b   a || b   a &     lists (& = background, not waited for;
 *                                     finished jobs are reported at the
 *                                     next prompt);
 *   < FILE  > FILE  >> FILE  N>FILE  N>&M      redirections.
 * Builtins: cd [DIR] (default /), pwd, echo [-n], exit [N], export
 * [NAME=VALUE...], unset NAME..., help.
 * Other commands: a name containing '/' is executed as is; otherwise it is
 * looked up in the directories of $PATH (default "/bin").
 *
 * Processes: fork is clone(SIGCHLD) (rv32 has no fork syscall) followed by
 * execve; the shell waits with waitid(P_PID) (rv32 has no wait4).  A
 * command killed by a signal yields status 128+N and the message
 * "sh: NAME: killed by signal N" (not for SIGPIPE).  An unknown command
 * prints "sh: NAME: not found" and yields 127.
 *
 * Input: on a terminal the shell edits the line itself (lib/lineedit.c:
 * cursor keys, Emacs keys, history, Tab completion of commands and paths):
 * before each line it switches the tty to a mode without ICANON, ECHO and
 * IEXTEN (ISIG stays: Ctrl-C still sends SIGINT), and it restores the mode
 * it found at start (cooked) before running what was typed, so commands
 * see the terminal as usual.  From a pipe it reads one byte at a time so
 * that it never swallows input meant for the commands it runs.  Script
 * files are read in chunks.
 * Ctrl-C: when stdin is a tty, SIGINT/SIGQUIT get an empty handler (not
 * SIG_IGN, which would be inherited across execve): the line being typed
 * is dropped and a running foreground command receives the signal
 * (provided the tty is our controlling terminal - init arranges that).
 */
#include "u.h"

#define LINE_MAX 1024
#define POOL_MAX 4096
#define MAXARGS 64
#define MAXCMDS 8
#define MAXREDIR 8

/* ---- state ---------------------------------------------------------------- */
static int last_status;
static int interactive;        /* prompting on stdin */
static int on_tty;             /* ... and stdin is a terminal */
static struct termios cooked;  /* its mode when the shell started */

enum { R_IN, R_OUT, R_APPEND, R_DUP };
struct redir {
    int kind, fd;
    char *word;
};
struct cmd {
    char *argv[MAXARGS + 1];
    int argc, nredir;
    struct redir redir[MAXREDIR];
    char *path; /* resolved program, or NULL if not found / builtin */
};
static struct cmd cmds[MAXCMDS];

/* ---- environment ------------------------------------------------------------
 * environ is replaced by a private, growable copy so that export/unset
 * work and getenv() (lib) sees the changes. */
static int env_n, env_cap;

static void env_init(void)
{
    char **old = environ;
    for (env_n = 0; old && old[env_n]; env_n++)
        ;
    env_cap = env_n + 16;
    environ = xmalloc((env_cap + 1) * sizeof(char *));
    for (int i = 0; i < env_n; i++)
        environ[i] = old[i];
    environ[env_n] = NULL;
}

static int env_find(const char *name, size_t len)
{
    for (int i = 0; i < env_n; i++)
        if (!strncmp(environ[i], name, len) && environ[i][len] == '=')
            return i;
    return -1;
}

static void env_unset(const char *name)
{
    int i = env_find(name, strlen(name));
    if (i < 0)
        return;
    environ[i] = environ[--env_n];
    environ[env_n] = NULL;
}

static void env_set(const char *assignment) /* "NAME=VALUE" */
{
    size_t len = strchr(assignment, '=') - assignment;
    char *copy = xmalloc(strlen(assignment) + 1);
    strcpy(copy, assignment);
    int i = env_find(assignment, len);
    if (i >= 0) {
        environ[i] = copy;
        return;
    }
    if (env_n == env_cap) {
        char **n = xmalloc((2 * env_cap + 1) * sizeof(char *));
        memcpy(n, environ, env_n * sizeof(char *));
        environ = n;
        env_cap *= 2;
    }
    environ[env_n++] = copy;
    environ[env_n] = NULL;
}

/* ---- input ------------------------------------------------------------------ */
struct reader {
    int fd, onebyte, pos, len;
    char buf[512];
};

#define RL_EOF (-1)
#define RL_LONG (-2)
#define RL_INTR (-3)

/* Read one line (without the '\n') into line[LINE_MAX].  Returns its length,
 * RL_EOF at end of input, RL_LONG if it was too long (it is discarded), or
 * RL_INTR if a signal interrupted the read (the partial line is dropped). */
static int read_line(struct reader *r, char *line)
{
    int n = 0, overflow = 0;
    for (;;) {
        if (r->pos == r->len) {
            long got = sys_read(r->fd, r->buf, r->onebyte ? 1 : sizeof r->buf);
            if (got == -EINTR)
                return RL_INTR;
            if (got < 0) {
                warn_err("read", got);
                got = 0;
            }
            if (got == 0) {
                if (n == 0 && !overflow)
                    return RL_EOF;
                break; /* last line without a newline */
            }
            r->pos = 0;
            r->len = got;
        }
        char c = r->buf[r->pos++];
        if (c == '\n')
            break;
        if (n < LINE_MAX - 1)
            line[n++] = c;
        else
            overflow = 1;
    }
    line[n] = 0;
    return overflow ? RL_LONG : n;
}

/* ---- lexer ------------------------------------------------------------------
 * Tokens are produced on demand, so "$?" is expanded only when the lexer
 * reaches it, i.e. after everything before it on the line has run. */
enum { T_END, T_WORD, T_SEMI, T_AMP, T_AND, T_OR, T_PIPE, T_REDIR, T_ERR };
struct token {
    int type;
    char *word;
    int kind, fd; /* for T_REDIR */
};

static const char *lp; /* read position in the current line */
static char pool[POOL_MAX];
static int pool_n, pool_full;

static void pool_put(char c)
{
    if (pool_n < POOL_MAX)
        pool[pool_n++] = c;
    else
        pool_full = 1;
}

static void pool_puts(const char *s)
{
    while (*s)
        pool_put(*s++);
}

static int is_name_char(char c, int first)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && is_digit(c));
}

/* lp points just after a '$' */
static void expand_dollar(void)
{
    char num[16];
    if (*lp == '?' || *lp == '$') {
        snprintf(num, sizeof num, "%ld", *lp == '?' ? (long)last_status : sys_getpid());
        pool_puts(num);
        lp++;
        return;
    }
    int brace = *lp == '{';
    const char *name = lp + brace, *e = name;
    while (is_name_char(*e, e == name))
        e++;
    if (e == name || (brace && *e != '}')) {
        pool_put('$'); /* not an expansion: keep the '$' literally */
        return;
    }
    int i = env_find(name, e - name);
    if (i >= 0)
        pool_puts(environ[i] + (e - name) + 1);
    lp = e + brace;
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
static int is_special(char c) { return c == ';' || c == '&' || c == '|' || c == '<' || c == '>'; }

static int syntax_error(const char *what)
{
    eprintf("sh: syntax error: %s\n", what);
    return T_ERR;
}

/* read one word starting at lp into the pool; 1 = got a word, 0 = the word
 * vanished (unquoted empty expansion), -1 = error */
static int lex_word(char **out)
{
    int start = pool_n, quoted = 0;
    for (;;) {
        char c = *lp;
        if (!c || is_blank(c) || is_special(c))
            break;
        lp++;
        if (c == '\'') {
            quoted = 1;
            while (*lp && *lp != '\'')
                pool_put(*lp++);
            if (!*lp) {
                syntax_error("missing closing '");
                return -1;
            }
            lp++;
        } else if (c == '"') {
            quoted = 1;
            while (*lp && *lp != '"') {
                c = *lp++;
                if (c == '\\' && (*lp == '"' || *lp == '\\' || *lp == '$' || *lp == '`'))
                    pool_put(*lp++);
                else if (c == '$')
                    expand_dollar();
                else
                    pool_put(c);
            }
            if (!*lp) {
                syntax_error("missing closing \"");
                return -1;
            }
            lp++;
        } else if (c == '\\') {
            quoted = 1;
            if (*lp)
                pool_put(*lp++);
        } else if (c == '$') {
            expand_dollar();
        } else {
            pool_put(c);
        }
    }
    pool_put(0);
    if (pool_full) {
        eprintf("sh: line too long\n");
        return -1;
    }
    *out = pool + start;
    if (!quoted && pool_n - start == 1) {
        pool_n = start;
        return 0;
    }
    return 1;
}

static int lex(struct token *t)
{
again:
    while (is_blank(*lp))
        lp++;
    char c = *lp;
    if (!c || c == '#')
        return t->type = T_END;
    if (c == ';')
        return lp++, t->type = T_SEMI;
    if (c == '&') {
        lp++;
        if (*lp == '&')
            return lp++, t->type = T_AND;
        return t->type = T_AMP;
    }
    if (c == '|') {
        lp++;
        if (*lp == '|')
            return lp++, t->type = T_OR;
        return t->type = T_PIPE;
    }
    /* redirection, optionally preceded by a single-digit fd: 2>file */
    const char *q = lp;
    int fd = -1;
    if (is_digit(*q) && (q[1] == '<' || q[1] == '>'))
        fd = *q++ - '0';
    if (*q == '<' || *q == '>') {
        int out = *q == '>';
        t->kind = out ? R_OUT : R_IN;
        q++;
        if (out && *q == '>')
            t->kind = R_APPEND, q++;
        else if (*q == '&')
            t->kind = R_DUP, q++;
        t->fd = fd >= 0 ? fd : out;
        lp = q;
        while (is_blank(*lp))
            lp++;
        if (!*lp || is_special(*lp) || *lp == '#')
            return syntax_error("missing file name after redirection");
        int r = lex_word(&t->word);
        if (r <= 0)
            return r < 0 ? T_ERR : syntax_error("empty file name after redirection");
        return t->type = T_REDIR;
    }
    int r = lex_word(&t->word);
    if (r < 0)
        return t->type = T_ERR;
    if (r == 0)
        goto again;
    return t->type = T_WORD;
}

/* ---- parser -------------------------------------------------------------------
 * Parse one pipeline into cmds[]; *ncmds = number of commands (0 for an empty
 * list element), *term = the token that ended it.  Returns -1 on error. */
static int parse_pipeline(int *ncmds, int *term)
{
    struct token t;
    int n = 0;
    struct cmd *c = &cmds[0];
    memset(c, 0, sizeof *c);
    for (;;) {
        switch (lex(&t)) {
        case T_WORD:
            if (c->argc == MAXARGS) {
                eprintf("sh: too many arguments\n");
                return -1;
            }
            c->argv[c->argc++] = t.word;
            break;
        case T_REDIR:
            if (c->nredir == MAXREDIR) {
                eprintf("sh: too many redirections\n");
                return -1;
            }
            c->redir[c->nredir++] = (struct redir){t.kind, t.fd, t.word};
            break;
        case T_PIPE:
            if (!c->argc && !c->nredir)
                return syntax_error("unexpected '|'"), -1;
            if (++n == MAXCMDS) {
                eprintf("sh: pipeline too long\n");
                return -1;
            }
            c = &cmds[n];
            memset(c, 0, sizeof *c);
            break;
        case T_ERR:
            return -1;
        default: /* T_END, T_SEMI, T_AMP, T_AND, T_OR */
            if (!c->argc && !c->nredir) {
                if (n > 0 || t.type == T_AND || t.type == T_OR || t.type == T_AMP)
                    return syntax_error("missing command"), -1;
                *ncmds = 0;
            } else {
                *ncmds = n + 1;
            }
            *term = t.type;
            return 0;
        }
    }
}

/* ---- redirections ---------------------------------------------------------- */
/* make `to` refer to what `from` refers to, and close `from`; the result
 * is not close-on-exec */
static long move_fd(int from, int to)
{
    if (from == to)
        return sys_fcntl(to, F_SETFD, 0);
    long r = sys_dup3(from, to, 0);
    sys_close(from);
    return r;
}

struct saved {
    int fd, copy; /* copy < 0: fd was closed before */
};

/* Apply c's redirections in order.  If sv is given (builtin run inside the
 * shell), the previous state of each fd touched is saved there first, in
 * fds >= 10 marked close-on-exec.  Returns 0 or -1 (message printed). */
static int apply_redirs(struct cmd *c, struct saved *sv, int *nsv)
{
    for (int i = 0; i < c->nredir; i++) {
        struct redir *r = &c->redir[i];
        if (sv) {
            int known = 0;
            for (int j = 0; j < *nsv; j++)
                known |= sv[j].fd == r->fd;
            if (!known) {
                long copy = sys_fcntl(r->fd, F_DUPFD_CLOEXEC, 10);
                sv[*nsv].fd = r->fd;
                sv[(*nsv)++].copy = copy < 0 ? -1 : copy;
            }
        }
        long fd;
        if (r->kind == R_DUP) {
            unsigned src;
            if (!strcmp(r->word, "-")) {
                sys_close(r->fd);
                continue;
            }
            if (parse_uint(r->word, &src) || src > 9) {
                eprintf("sh: %s: bad file descriptor\n", r->word);
                return -1;
            }
            if ((int)src == r->fd)
                continue;
            fd = sys_dup3(src, r->fd, 0);
            if (fd < 0) {
                eprintf("sh: %u: %s\n", src, strerror(fd));
                return -1;
            }
            continue;
        }
        int flags = r->kind == R_IN ? O_RDONLY
                    : r->kind == R_OUT ? O_WRONLY | O_CREAT | O_TRUNC
                                       : O_WRONLY | O_CREAT | O_APPEND;
        fd = sys_open(r->word, flags | O_CLOEXEC, 0666);
        if (fd < 0) {
            eprintf("sh: %s: %s\n", r->word, strerror(fd));
            return -1;
        }
        move_fd(fd, r->fd);
    }
    return 0;
}

static void restore_redirs(struct saved *sv, int nsv)
{
    while (nsv--) {
        if (sv[nsv].copy >= 0)
            move_fd(sv[nsv].copy, sv[nsv].fd);
        else
            sys_close(sv[nsv].fd);
    }
}

/* ---- builtins --------------------------------------------------------------- */
static int b_cd(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/";
    long r = sys_chdir(dir);
    if (r < 0) {
        eprintf("sh: cd: %s: %s\n", dir, strerror(r));
        return 1;
    }
    return 0;
}

static int b_pwd(int argc, char **argv)
{
    (void)argc, (void)argv;
    char buf[4096];
    long r = sys_getcwd(buf, sizeof buf);
    if (r < 0) {
        eprintf("sh: pwd: %s\n", strerror(r));
        return 1;
    }
    printf("%s\n", buf);
    return 0;
}

static int b_exit(int argc, char **argv)
{
    int code = last_status;
    if (argc > 1 && parse_int(argv[1], &code)) {
        eprintf("sh: exit: %s: numeric argument required\n", argv[1]);
        code = 2;
    }
    sys_exit_group(code & 255);
}

static int b_export(int argc, char **argv)
{
    int status = 0;
    if (argc == 1)
        for (char **e = environ; *e; e++)
            printf("export %s\n", *e);
    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i]) {
            eprintf("sh: export: %s: expected NAME=VALUE\n", argv[i]);
            status = 1;
        } else {
            env_set(argv[i]);
        }
    }
    return status;
}

static int b_unset(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        env_unset(argv[i]);
    return 0;
}

static int b_clear(int argc, char **argv)
{
    (void)argc, (void)argv;
    put_str(1, "\x1b[H\x1b[2J"); /* cursor home, erase the screen (ECMA-48 CUP, ED) */
    return 0;
}

static int b_help(int argc, char **argv);

static const struct builtin {
    const char *name;
    int (*fn)(int, char **);
} builtins[] = {
    {"cd", b_cd},         {"pwd", b_pwd},     {"echo", do_echo}, {"exit", b_exit},
    {"export", b_export}, {"unset", b_unset}, {"help", b_help}, {"clear", b_clear},
};

static int b_help(int argc, char **argv)
{
    (void)argc, (void)argv;
    printf("wasmvisor sh - builtins: cd [DIR], pwd, echo [-n] ARGS, exit [N],\n"
           "  export [NAME=VALUE...], unset NAME..., clear, help\n"
           "syntax: 'single' \"double $VAR\" \\x  $? $$ $NAME  a;b  a&&b  a||b  a|b  a&\n"
           "  <FILE >FILE >>FILE 2>FILE 2>&1   # comment\n"
           "other commands are looked up in $PATH (default /bin); try: ls /bin\n"
           "keys: Left/Right Home/End (Ctrl-A/E) Backspace/Delete Ctrl-K/U/W, Up/Down\n"
           "  history, Tab completes commands and paths, Ctrl-L clears, Ctrl-C drops the line\n");
    return 0;
}

static const struct builtin *find_builtin(const char *name)
{
    for (unsigned i = 0; i < ARRAY_SIZE(builtins); i++)
        if (!strcmp(builtins[i].name, name))
            return &builtins[i];
    return NULL;
}

/* ---- running commands --------------------------------------------------------- */
/* Find the program for `name`: itself if it contains '/', else the first
 * executable regular file DIR/name for DIR in $PATH.  Result in the pool. */
static char *resolve(const char *name)
{
    if (strchr(name, '/'))
        return (char *)name;
    const char *path = getenv("PATH");
    if (!path)
        path = "/bin";
    for (;;) {
        const char *e = strchr(path, ':');
        size_t dl = e ? (size_t)(e - path) : strlen(path);
        char buf[512];
        if (dl + strlen(name) + 2 <= sizeof buf) {
            if (dl == 0) /* an empty PATH element means the current directory */
                strcpy(buf, name);
            else
                snprintf(buf, sizeof buf, "%.*s/%s", (int)dl, path, name);
            struct statx st;
            if (sys_statx(AT_FDCWD, buf, 0, STATX_BASIC_STATS, &st) == 0 &&
                (st.stx_mode & S_IFMT) == S_IFREG && sys_faccessat(AT_FDCWD, buf, X_OK) == 0) {
                char *r = pool + pool_n;
                pool_puts(buf);
                pool_put(0);
                return pool_full ? NULL : r;
            }
        }
        if (!e)
            return NULL;
        path = e + 1;
    }
}

/* runs in the forked child; never returns */
__attribute__((noreturn)) static void child_exec(struct cmd *c)
{
    if (apply_redirs(c, NULL, NULL) < 0)
        sys_exit_group(1);
    if (!c->argc)
        sys_exit_group(0);
    const struct builtin *b = find_builtin(c->argv[0]);
    if (b)
        sys_exit_group(b->fn(c->argc, c->argv));
    if (!c->path)
        sys_exit_group(127); /* "not found" was reported by the parent */
    long r = sys_execve(c->path, c->argv, environ);
    if (r == -ENOENT) {
        eprintf("sh: %s: not found\n", c->argv[0]);
        sys_exit_group(127);
    }
    eprintf("sh: %s: %s\n", c->argv[0], strerror(r));
    sys_exit_group(126);
}

static int status_of(const siginfo_t *si, const char *name)
{
    if (si->si_code == CLD_EXITED)
        return si->si_status & 255;
    /* after Ctrl-C the tty has echoed "^C" without a newline: add one */
    if (on_tty && si->si_status == SIGINT)
        put_str(2, "\n");
    if (si->si_status != 13) /* SIGPIPE is routine in pipelines */
        eprintf("sh: %s: killed by signal %d\n", name, si->si_status);
    return 128 + si->si_status;
}

/* report background jobs that have finished (interactive only) */
static void reap_background(void)
{
    siginfo_t si;
    while (wait_child(P_ALL, 0, &si, WEXITED | WNOHANG) == 0 && si.si_pid) {
        if (interactive)
            eprintf("[%d] done, status %d\n", si.si_pid,
                    si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status);
    }
}

static int run_pipeline(int n, int background)
{
    struct cmd *c = &cmds[0];
    /* a lone builtin (or bare redirection) runs inside the shell itself */
    if (n == 1 && !background && (!c->argc || find_builtin(c->argv[0]))) {
        struct saved sv[MAXREDIR];
        int nsv = 0, status = 1;
        if (apply_redirs(c, sv, &nsv) == 0)
            status = c->argc ? find_builtin(c->argv[0])->fn(c->argc, c->argv) : 0;
        restore_redirs(sv, nsv);
        return status;
    }
    int notfound = 0;
    for (int i = 0; i < n; i++) {
        c = &cmds[i];
        c->path = NULL;
        if (c->argc && !find_builtin(c->argv[0]) && !(c->path = resolve(c->argv[0]))) {
            eprintf("sh: %s: not found\n", c->argv[0]);
            notfound = 1;
        }
    }
    if (n == 1 && notfound)
        return 127;

    long pids[MAXCMDS];
    int started = 0, prev_read = -1;
    for (int i = 0; i < n; i++) {
        int pfd[2] = {-1, -1};
        if (i < n - 1) {
            long r = sys_pipe2(pfd, O_CLOEXEC);
            if (r < 0) {
                warn_err("pipe", r);
                break;
            }
        }
        long pid = sys_fork();
        if (pid == 0) {
            if (prev_read >= 0)
                move_fd(prev_read, 0);
            else if (background) {
                /* no job control: background jobs must not read the tty */
                long nul = sys_open("/dev/null", O_RDONLY, 0);
                if (nul >= 0)
                    move_fd(nul, 0);
            }
            if (pfd[1] >= 0)
                move_fd(pfd[1], 1);
            child_exec(&cmds[i]);
        }
        if (prev_read >= 0)
            sys_close(prev_read);
        if (pfd[1] >= 0)
            sys_close(pfd[1]);
        prev_read = pfd[0];
        if (pid < 0) {
            warn_err("clone", pid);
            break;
        }
        pids[started++] = pid;
    }
    if (prev_read >= 0)
        sys_close(prev_read);
    if (background) {
        if (interactive && started)
            eprintf("[%ld]\n", pids[started - 1]);
        return 0;
    }
    int status = started == n ? 0 : 1;
    for (int i = 0; i < started; i++) {
        siginfo_t si;
        if (wait_child(P_PID, pids[i], &si, WEXITED) < 0)
            continue;
        int s = status_of(&si, cmds[i].argc ? cmds[i].argv[0] : "?");
        if (i == n - 1)
            status = s;
    }
    return status;
}

/* run every list element of one line */
static void run_line(const char *line)
{
    int cond = T_SEMI;
    lp = line;
    for (;;) {
        int n, term;
        pool_n = pool_full = 0;
        if (parse_pipeline(&n, &term) < 0) {
            last_status = 2;
            return;
        }
        if (n == 0 && (cond == T_AND || cond == T_OR)) {
            syntax_error("missing command after && or ||");
            last_status = 2;
            return;
        }
        if (n > 0 && (cond == T_SEMI || cond == T_AMP || (cond == T_AND && last_status == 0) ||
                      (cond == T_OR && last_status != 0)))
            last_status = run_pipeline(n, term == T_AMP);
        if (term == T_END)
            return;
        cond = term;
    }
}

static void on_signal(int sig) { (void)sig; }

#define PROMPT "# "

/* One line from the terminal through the line editor, the tty in its
 * editing mode meanwhile; same results as read_line. */
static int edit_tty_line(char *line)
{
    static const char *names[ARRAY_SIZE(builtins)];
    static struct line_editor e = {0, 2, PROMPT, names, ARRAY_SIZE(builtins)};
    for (unsigned i = 0; i < ARRAY_SIZE(builtins); i++)
        names[i] = builtins[i].name;
    struct termios raw = cooked;
    raw.c_lflag &= ~(ICANON | ECHO | IEXTEN);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    tty_set(0, &raw);
    int n = edit_line(&e, line, LINE_MAX);
    tty_set(0, &cooked);
    if (n > 0)
        edit_history_add(line);
    return n == LE_INTR ? RL_INTR : n == LE_EOF ? RL_EOF : n;
}

static int run_reader(struct reader *r)
{
    static char line[LINE_MAX];
    for (;;) {
        if (interactive) {
            reap_background();
            put_str(2, PROMPT);
        }
        int n = on_tty ? edit_tty_line(line) : read_line(r, line);
        if (n == RL_EOF)
            return interactive ? 0 : last_status;
        if (n == RL_INTR) /* (only on a tty: the editor has shown "^C" and a newline) */
            continue;
        if (n == RL_LONG) {
            eprintf("sh: line too long (max %d)\n", LINE_MAX - 1);
            last_status = 2;
            continue;
        }
        run_line(line);
    }
}

int main(int argc, char **argv)
{
    env_init();
    if (argc >= 3 && !strcmp(argv[1], "-c")) {
        /* run the string line by line */
        char *s = argv[2];
        for (;;) {
            char *nl = strchr(s, '\n');
            if (nl)
                *nl = 0;
            run_line(s);
            if (!nl)
                break;
            s = nl + 1;
        }
        return last_status;
    }
    static struct reader r;
    if (argc >= 2 && argv[1][0] == '-') {
        eprintf("usage: sh [-c COMMANDS | SCRIPT]\n");
        return 2;
    }
    if (argc >= 2) {
        long fd = sys_open(argv[1], O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0) {
            eprintf("sh: %s: %s\n", argv[1], strerror(fd));
            return 127;
        }
        r.fd = fd;
        return run_reader(&r);
    }
    /* interactive: stdin */
    on_tty = tty_get(0, &cooked) == 0;
    r.fd = 0;
    r.onebyte = !on_tty;
    interactive = 1;
    if (on_tty) {
        struct k_sigaction sa = {on_signal, 0, {0, 0}}; /* no SA_RESTART: read gets EINTR */
        sys_rt_sigaction(SIGINT, &sa, NULL);
        sys_rt_sigaction(3 /* SIGQUIT */, &sa, NULL);
    }
    return run_reader(&r);
}
