/*
 * lineedit.c - the shell's line editor (edit_line), for a terminal in a
 * mode without ICANON and ECHO (the shell sets it before each line and
 * restores the cooked mode before running what was typed).
 *
 * Keys (Emacs style, as bash/readline; both the ESC [ x and ESC O x forms
 * of the cursor keys, and the ESC [ n ~ forms of Home/End/Delete):
 *   Left / Ctrl-B, Right / Ctrl-F     move one character
 *   Home / Ctrl-A, End / Ctrl-E       start / end of the line
 *   Backspace (DEL or Ctrl-H)         delete before the cursor
 *   Delete / Ctrl-D                   delete under the cursor (Ctrl-D on an
 *                                     empty line: end of input)
 *   Ctrl-K / Ctrl-U                   delete to the end / to the start
 *   Ctrl-W                            delete the word before the cursor
 *   Ctrl-L                            clear the screen, redraw the line
 *   Up / Ctrl-P, Down / Ctrl-N        history (HIST_MAX lines, in memory)
 *   Tab                               complete a command name (the first
 *                                     word: the shell's builtins and the
 *                                     programs in $PATH) or a path (other
 *                                     words, or a word with a '/'); the
 *                                     common part is inserted, and when
 *                                     there is none to add the choices
 *                                     are listed
 *   Enter (CR or LF)                  the line is done
 *   Ctrl-C                            (ISIG stays on: the tty sends SIGINT,
 *                                     the read fails with EINTR) the line
 *                                     is dropped
 * Other control characters are ignored.
 *
 * Drawing: the console of a wasmvisor partition may show every line with a
 * prefix ("[linux] "), so the editor never returns to column 0 with CR: it
 * moves the cursor relative to where it is (BS, ESC [ n D, ESC [ n C) and
 * erases with ESC [ K.  Typing at the end of the line echoes exactly what
 * the tty's own echo would (the character; "\b \b" for a backspace), so a
 * transcript of plain typed lines is the same as in canonical mode.  A
 * line wider than the terminal is not handled (the cursor moves do not go
 * up a row).  A UTF-8 sequence counts as one column.
 */
#include "u.h"

#define HIST_MAX 32
#define HIST_LINE 256 /* longer lines are not kept in the history */
#define COMP_MAX 128  /* completion candidates kept */
#define COMP_POOL 4096
#define OUT_MAX 512

/* ---- output: gathered, one write per key ---------------------------------- */
static struct {
    int fd, n;
    char b[OUT_MAX];
} o;

static void flush(void)
{
    if (o.n)
        write_all(o.fd, o.b, o.n);
    o.n = 0;
}

static void out_c(char c)
{
    if (o.n == OUT_MAX)
        flush();
    o.b[o.n++] = c;
}

static void out_n(const char *s, int n)
{
    while (n-- > 0)
        out_c(*s++);
}

static void out_s(const char *s) { out_n(s, strlen(s)); }

/* ESC [ n <cmd> */
static void out_csi(int n, char cmd)
{
    char b[16];
    out_n(b, snprintf(b, sizeof b, "\x1b[%d%c", n, cmd));
}

/* ---- the line --------------------------------------------------------------- */
static char *buf;
static int len, pos, cap;

static int is_cont(char c) { return ((u8)c & 0xc0) == 0x80; } /* UTF-8 continuation byte */

/* columns taken by buf[a..b) */
static int cols(int a, int b)
{
    int n = 0;
    for (int i = a; i < b; i++)
        n += !is_cont(buf[i]);
    return n;
}

static int prev_char(int i)
{
    while (i > 0 && is_cont(buf[--i]))
        ;
    return i;
}

static int next_char(int i)
{
    while (i < len && is_cont(buf[++i]))
        ;
    return i;
}

static void cursor_left(int n)
{
    if (n == 1)
        out_c('\b');
    else if (n > 1)
        out_csi(n, 'D');
}

static void cursor_right(int n)
{
    if (n > 0)
        out_csi(n, 'C');
}

/* Show the line from `from` on, after moving the cursor `back` columns to
 * the left (to where `from` is shown), erase what is left of the old line,
 * and put the cursor at pos. */
static void redraw(int back, int from)
{
    cursor_left(back);
    out_n(buf + from, len - from);
    out_s("\x1b[K");
    cursor_left(cols(pos, len));
}

static void move_to(int to)
{
    if (to < pos)
        cursor_left(cols(to, pos));
    else
        cursor_right(cols(pos, to));
    pos = to;
}

static void bell(void) { out_c('\a'); }

/* insert s[0..n) at the cursor */
static void insert(const char *s, int n)
{
    if (len + n > cap) {
        bell();
        return;
    }
    memmove(buf + pos + n, buf + pos, len - pos);
    memcpy(buf + pos, s, n);
    len += n;
    int at = pos;
    pos += n;
    if (pos == len) /* typing at the end: just the echo */
        out_n(buf + at, n);
    else
        redraw(0, at);
}

/* delete buf[a..b) (the cursor is at a or b); the cursor goes to a */
static void delete_range(int a, int b)
{
    if (a >= b)
        return;
    int back = cols(a, pos), at_end = pos == b && b == len && back == 1;
    memmove(buf + a, buf + b, len - b);
    len -= b - a;
    pos = a;
    if (at_end)
        out_s("\b \b"); /* a backspace at the end: as the tty's echo erases */
    else
        redraw(back, a);
}

/* ---- history -------------------------------------------------------------------- */
static char history[HIST_MAX][HIST_LINE];
static int hist_n, hist_first; /* lines kept; the oldest one's slot */

static const char *hist_get(int back) /* 1 = the newest */
{
    return history[(hist_first + hist_n - back) % HIST_MAX];
}

void edit_history_add(const char *line)
{
    size_t n = strlen(line);
    if (n == 0 || n >= HIST_LINE || (hist_n && !strcmp(hist_get(1), line)))
        return;
    if (hist_n == HIST_MAX)
        hist_first = (hist_first + 1) % HIST_MAX;
    else
        hist_n++;
    strcpy(history[(hist_first + hist_n - 1) % HIST_MAX], line);
}

static char scratch[HIST_LINE]; /* the line being typed, while browsing */
static int browsing;           /* 0: the line being typed, k: the k-th newest */

static void replace_line(const char *s)
{
    int back = cols(0, pos);
    len = strlen(s);
    if (len > cap)
        len = cap;
    memcpy(buf, s, len);
    pos = len;
    redraw(back, 0);
}

static void history_step(int dir) /* +1 older, -1 newer */
{
    int to = browsing + dir;
    if (to < 0 || to > hist_n) {
        bell();
        return;
    }
    if (browsing == 0) {
        int n = len < HIST_LINE - 1 ? len : HIST_LINE - 1;
        memcpy(scratch, buf, n);
        scratch[n] = 0;
    }
    browsing = to;
    replace_line(to == 0 ? scratch : hist_get(to));
}

/* ---- completion ----------------------------------------------------------------- */
static char comp_pool[COMP_POOL];
static char *comp[COMP_MAX]; /* a directory's name ends with '/' */
static int ncomp, comp_used, comp_dropped;

static void comp_add(const char *name, int dir)
{
    for (int i = 0; i < ncomp; i++)
        if (!strcmp(comp[i], name))
            return; /* (a program in two $PATH directories, or a builtin) */
    size_t n = strlen(name);
    if (ncomp == COMP_MAX || comp_used + n + 2 > COMP_POOL) {
        comp_dropped++;
        return;
    }
    char *at = comp[ncomp++] = comp_pool + comp_used;
    memcpy(at, name, n);
    if (dir)
        at[n++] = '/';
    at[n] = 0;
    comp_used += n + 1;
}

#define DT_UNKNOWN 0
#define DT_DIR 4
#define DT_REG 8
#define DT_LNK 10

/* Entries of directory `dir` starting with prefix[0..plen): all of them
 * (paths), or the executable files (commands). */
static void comp_dir_scan(const char *dir, const char *prefix, int plen, int commands)
{
    long fd = sys_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0)
        return;
    static char dbuf[1024];
    for (;;) {
        long got = sys_getdents64(fd, dbuf, sizeof dbuf);
        if (got <= 0)
            break;
        for (long off = 0; off < got;) {
            struct dirent64 *d = (struct dirent64 *)(dbuf + off);
            off += d->d_reclen;
            const char *name = d->d_name;
            if (strncmp(name, prefix, plen) || !strcmp(name, ".") || !strcmp(name, ".."))
                continue;
            if (name[0] == '.' && prefix[0] != '.')
                continue; /* hidden unless asked for */
            int type = d->d_type;
            if (type == DT_UNKNOWN || type == DT_LNK) {
                struct statx st;
                type = sys_statx(fd, name, 0, STATX_BASIC_STATS, &st) < 0 ? DT_UNKNOWN
                       : S_ISDIR(st.stx_mode)                             ? DT_DIR
                       : (st.stx_mode & S_IFMT) == S_IFREG                ? DT_REG
                                                                          : DT_UNKNOWN;
            }
            if (commands && (type != DT_REG || sys_faccessat(fd, name, X_OK) < 0))
                continue;
            comp_add(name, !commands && type == DT_DIR);
        }
    }
    sys_close(fd);
}

static int is_word_end(char c) { return c == ' ' || c == '\t' || c == ';' || c == '|' || c == '&' || c == '<' || c == '>'; }

/* the characters a completed name needs a backslash before */
static int needs_escape(char c) { return is_word_end(c) || c == '\'' || c == '"' || c == '\\' || c == '$' || c == '#'; }

static void insert_escaped(const char *s, int n)
{
    char b[256];
    int k = 0;
    for (int i = 0; i < n && k < (int)sizeof b - 2; i++) {
        if (needs_escape(s[i]))
            b[k++] = '\\';
        b[k++] = s[i];
    }
    insert(b, k);
}

static void list_choices(struct line_editor *e)
{
    sort_strings(comp, ncomp);
    move_to(len);
    out_s("\n");
    int col = 0;
    for (int i = 0; i < ncomp; i++) {
        int w = strlen(comp[i]);
        if (col && col + 2 + w > 78) {
            out_s("\n");
            col = 0;
        } else if (col) {
            out_s("  ");
            col += 2;
        }
        out_s(comp[i]);
        col += w;
    }
    if (comp_dropped) {
        char b[48];
        out_n(b, snprintf(b, sizeof b, "%s(and %d more)", col ? "  " : "", comp_dropped));
    }
    out_s("\n");
    out_s(e->prompt);
    out_n(buf, len);
}

static void complete(struct line_editor *e)
{
    int ws = pos;
    while (ws > 0 && !is_word_end(buf[ws - 1]))
        ws--;
    int before = ws;
    while (before > 0 && (buf[before - 1] == ' ' || buf[before - 1] == '\t'))
        before--;
    int command = before == 0 || buf[before - 1] == ';' || buf[before - 1] == '|' || buf[before - 1] == '&';
    char word[256];
    int wl = pos - ws;
    if (wl >= (int)sizeof word) {
        bell();
        return;
    }
    memcpy(word, buf + ws, wl);
    word[wl] = 0;
    ncomp = comp_used = comp_dropped = 0;
    const char *prefix = word;
    if (command && !strchr(word, '/')) {
        for (int i = 0; i < e->ncommands; i++)
            if (!strncmp(e->commands[i], word, wl))
                comp_add(e->commands[i], 0);
        const char *path = getenv("PATH");
        if (!path)
            path = "/bin";
        for (;;) {
            const char *end = strchr(path, ':');
            int dl = end ? end - path : (int)strlen(path);
            char dir[256];
            if (dl < (int)sizeof dir) {
                memcpy(dir, path, dl);
                dir[dl] = 0;
                comp_dir_scan(dl ? dir : ".", word, wl, 1);
            }
            if (!end)
                break;
            path = end + 1;
        }
    } else {
        char *slash = strrchr(word, '/');
        char dir[256];
        if (slash) {
            int dl = slash - word;
            memcpy(dir, word, dl);
            dir[dl ? dl : 1] = 0;
            if (!dl)
                dir[0] = '/';
            prefix = slash + 1;
        } else {
            strcpy(dir, ".");
        }
        comp_dir_scan(dir, prefix, strlen(prefix), 0);
    }
    int plen = strlen(prefix);
    if (ncomp == 0) {
        bell();
        return;
    }
    if (ncomp == 1 && !comp_dropped) {
        int n = strlen(comp[0]);
        insert_escaped(comp[0] + plen, n - plen);
        if (comp[0][n - 1] != '/' && pos == len)
            insert(" ", 1); /* (a directory's '/' was inserted: the path goes on) */
        return;
    }
    /* the part every choice shares */
    int common = strlen(comp[0]);
    for (int i = 1; i < ncomp; i++) {
        int k = 0;
        while (k < common && comp[i][k] == comp[0][k])
            k++;
        common = k;
    }
    if (common > plen)
        insert_escaped(comp[0] + plen, common - plen);
    else
        list_choices(e);
}

/* ---- keys -------------------------------------------------------------------------- */
static int read_key(int fd, char *c)
{
    long r = sys_read(fd, c, 1);
    if (r == -EINTR)
        return LE_INTR;
    return r == 1 ? 0 : LE_EOF;
}

/* After ESC: the rest of a cursor key.  Returns the key as a control
 * character (Ctrl-P up, Ctrl-N down, Ctrl-F right, Ctrl-B left, Ctrl-A
 * home, Ctrl-E end, Ctrl-D delete), 0 for one we do not know, or <0. */
static int escape_key(int fd)
{
    char c;
    int r = read_key(fd, &c);
    if (r < 0)
        return r;
    if (c != '[' && c != 'O')
        return 0; /* (Alt-x: not handled) */
    int csi = c == '[', param = 0;
    for (;;) {
        if ((r = read_key(fd, &c)) < 0)
            return r;
        if (csi && is_digit(c))
            param = param * 10 + (c - '0');
        else if (!(csi && c == ';'))
            break;
        if (param > 1000)
            param = 1000;
    }
    switch (c) {
    case 'A': return 'P' - 64;
    case 'B': return 'N' - 64;
    case 'C': return 'F' - 64;
    case 'D': return 'B' - 64;
    case 'H': return 'A' - 64;
    case 'F': return 'E' - 64;
    case '~':
        return param == 1 || param == 7 ? 'A' - 64 : param == 4 || param == 8 ? 'E' - 64 : param == 3 ? 'D' - 64 : 0;
    default: return 0;
    }
}

int edit_line(struct line_editor *e, char *line, int max)
{
    buf = line;
    cap = max - 1;
    len = pos = 0;
    browsing = 0;
    o.fd = e->out;
    o.n = 0;
    for (;;) {
        flush();
        char c;
        int key, r = read_key(e->in, &c);
        if (r == LE_EOF && len == 0)
            return LE_EOF;
        if (r == LE_EOF)
            c = '\n';
        key = (u8)c;
        if (r == LE_INTR) {
            out_s("^C\n");
            flush();
            return LE_INTR;
        }
        if (key == 27) {
            key = escape_key(e->in);
            if (key == LE_INTR) {
                out_s("^C\n");
                flush();
                return LE_INTR;
            }
            if (key <= 0)
                continue;
        }
        switch (key) {
        case '\r':
        case '\n':
            move_to(len);
            out_s("\n");
            flush();
            line[len] = 0;
            return len;
        case 'A' - 64: move_to(0); break;
        case 'E' - 64: move_to(len); break;
        case 'B' - 64:
            if (pos > 0)
                move_to(prev_char(pos));
            break;
        case 'F' - 64:
            if (pos < len)
                move_to(next_char(pos));
            break;
        case 127:
        case 'H' - 64:
            if (pos > 0)
                delete_range(prev_char(pos), pos);
            break;
        case 'D' - 64:
            if (len == 0) {
                flush();
                return LE_EOF;
            }
            if (pos < len)
                delete_range(pos, next_char(pos));
            break;
        case 'K' - 64: delete_range(pos, len); break;
        case 'U' - 64: delete_range(0, pos); break;
        case 'W' - 64: {
            int a = pos;
            while (a > 0 && (buf[a - 1] == ' ' || buf[a - 1] == '\t'))
                a--;
            while (a > 0 && buf[a - 1] != ' ' && buf[a - 1] != '\t')
                a--;
            delete_range(a, pos);
            break;
        }
        case 'L' - 64:
            out_s("\x1b[H\x1b[2J");
            out_s(e->prompt);
            out_n(buf, len);
            cursor_left(cols(pos, len));
            break;
        case 'P' - 64: history_step(1); break;
        case 'N' - 64: history_step(-1); break;
        case '\t': complete(e); break;
        default:
            if (key >= 32) {
                char ch = key;
                insert(&ch, 1);
            }
            break;
        }
    }
}
