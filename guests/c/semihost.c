/* RISC-V semihosting (test/semihosting.test.ts): console, the features file, files in the
 * semihosting directory (open/write/read/seek/flen/istty/close, rename, remove), errors and
 * errno, hostile arguments, time, and SYS_EXIT_EXTENDED with a status. Everything goes through
 * semihosting, nothing through the UART, so the output can be compared with QEMU's
 * (`-semihosting-config enable=on,target=native`; QEMU needs -m 128M, the default on both).
 *
 * Lines starting with "wv:" are where wasmvisor differs from QEMU 7.2 on purpose (files confined
 * to the directory, time from the partition's clock, the console, appending); the QEMU
 * comparison leaves them out. The part after "wasmvisor only" runs where marchid is 0
 * (wasmvisor; QEMU reports its version there): calls QEMU aborts on, and U-mode.
 *
 * The test runs it with the directory holding hello.txt ("hello file\n") and a symlink "out"
 * to a directory outside holding secret.txt, and with the input "xy". Exit: status 7. */
#include <stdint.h>
#include <string.h>
#include "platform.h"

#define SYS_OPEN 0x01
#define SYS_CLOSE 0x02
#define SYS_WRITEC 0x03
#define SYS_WRITE0 0x04
#define SYS_WRITE 0x05
#define SYS_READ 0x06
#define SYS_READC 0x07
#define SYS_ISERROR 0x08
#define SYS_ISTTY 0x09
#define SYS_SEEK 0x0a
#define SYS_FLEN 0x0c
#define SYS_TMPNAM 0x0d
#define SYS_REMOVE 0x0e
#define SYS_RENAME 0x0f
#define SYS_CLOCK 0x10
#define SYS_TIME 0x11
#define SYS_SYSTEM 0x12
#define SYS_ERRNO 0x13
#define SYS_GET_CMDLINE 0x15
#define SYS_HEAPINFO 0x16
#define SYS_EXIT_EXTENDED 0x20
#define SYS_ELAPSED 0x30
#define SYS_TICKFREQ 0x31

/* The semihosting sequence: uncompressed, and aligned so that the three words share a page. */
__attribute__((noinline, aligned(64))) static uint32_t semi(uint32_t op, uintptr_t arg) {
  register uint32_t a0 __asm__("a0") = op;
  register uintptr_t a1 __asm__("a1") = arg;
  __asm__ volatile(
      ".option push\n.option norvc\n"
      "slli x0, x0, 0x1f\n"
      "ebreak\n"
      "srai x0, x0, 7\n"
      ".option pop\n"
      : "+r"(a0) : "r"(a1) : "memory");
  return a0;
}

static void say(const char *s) { semi(SYS_WRITE0, (uintptr_t)s); }

static void hex(uint32_t v) {
  char buf[11] = "0x";
  for (int i = 0; i < 8; i++) buf[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 15];
  buf[10] = 0;
  say(buf);
}

static void dec(int32_t v) {
  char buf[12];
  int n = 0;
  uint32_t u = v < 0 ? -(uint32_t)v : (uint32_t)v;
  do { buf[n++] = '0' + u % 10; u /= 10; } while (u);
  if (v < 0) buf[n++] = '-';
  char out[12];
  for (int i = 0; i < n; i++) out[i] = buf[n - 1 - i];
  out[n] = 0;
  say(out);
}

/* "label -> result errno N" */
static void report(const char *label, uint32_t result) {
  say(label);
  say(" -> ");
  dec((int32_t)result);
  if ((int32_t)result == -1) {
    say(" errno ");
    dec((int32_t)semi(SYS_ERRNO, 0));
  }
  say("\n");
}

static int32_t sh_open(const char *name, uint32_t mode) {
  uint32_t b[3] = {(uintptr_t)name, mode, strlen(name)};
  return (int32_t)semi(SYS_OPEN, (uintptr_t)b);
}
static uint32_t sh_close(int32_t fd) { uint32_t b[1] = {fd}; return semi(SYS_CLOSE, (uintptr_t)b); }
static uint32_t sh_write(int32_t fd, const void *p, uint32_t n) {
  uint32_t b[3] = {fd, (uintptr_t)p, n};
  return semi(SYS_WRITE, (uintptr_t)b);
}
static uint32_t sh_read(int32_t fd, void *p, uint32_t n) {
  uint32_t b[3] = {fd, (uintptr_t)p, n};
  return semi(SYS_READ, (uintptr_t)b);
}
static uint32_t sh_one(uint32_t op, uint32_t v) { uint32_t b[1] = {v}; return semi(op, (uintptr_t)b); }
static uint32_t sh_seek(int32_t fd, uint32_t pos) { uint32_t b[2] = {fd, pos}; return semi(SYS_SEEK, (uintptr_t)b); }
static uint32_t sh_remove(const char *name) { uint32_t b[2] = {(uintptr_t)name, strlen(name)}; return semi(SYS_REMOVE, (uintptr_t)b); }
static uint32_t sh_rename(const char *a, const char *b2) {
  uint32_t b[4] = {(uintptr_t)a, strlen(a), (uintptr_t)b2, strlen(b2)};
  return semi(SYS_RENAME, (uintptr_t)b);
}

static char buf[64];
/* The end of RAM (128 MiB, the default on both): beyond it nothing is mapped. */
#define RAM_END 0x88000000u

/* U-mode probe: a semihosting call from U traps (breakpoint) instead. */
volatile uint32_t trapped_cause;
extern void u_entry(void);
extern void u_trap(void);
__asm__(
    ".align 4\n"
    "u_entry:\n"
    ".option push\n.option norvc\n"
    "li a0, 4\n"
    "slli x0, x0, 0x1f\n"
    "ebreak\n"
    "srai x0, x0, 7\n"
    ".option pop\n"
    "1: j 1b\n"
    ".align 4\n"
    "u_trap:\n"
    "csrr t0, mcause\n"
    "la t1, trapped_cause\n"
    "sw t0, 0(t1)\n"
    "la t0, u_back\n"
    "csrw mepc, t0\n"
    "li t0, 0x1800\n"
    "csrs mstatus, t0\n" /* MPP = M: back to M-mode */
    "mret\n");
void u_back(void);
__asm__(".globl u_back\nu_back:\n j u_returned\n");
void u_returned(void);

int main(void) {
  say("semihost: start\n");
  semi(SYS_WRITEC, (uintptr_t) "C");
  report("\nwritec", semi(SYS_WRITEC, (uintptr_t) "\n"));
  report("writec outside RAM", semi(SYS_WRITEC, RAM_END + 0x100000));

  /* The features file. */
  int32_t f = sh_open(":semihosting-features", 0);
  report("features open", f);
  report("features flen", sh_one(SYS_FLEN, f));
  memset(buf, 0, sizeof buf);
  report("features read 8", sh_read(f, buf, 8));
  say("features bytes ");
  for (int i = 0; i < 5; i++) hex((uint8_t)buf[i]), say(" ");
  say("\n");
  report("features seek 6", sh_seek(f, 6));
  report("features write", sh_write(f, "x", 1));
  report("features close", sh_close(f));
  report("features open for writing", sh_open(":semihosting-features", 4));

  /* The console as a file. */
  int32_t tt = sh_open(":tt", 4);
  report("tt open", tt);
  report("tt write", sh_write(tt, "through :tt\n", 12));
  report("tt seek", sh_seek(tt, 0));

  /* Files. */
  int32_t h = sh_open("hello.txt", 0);
  report("hello open", h);
  report("hello flen", sh_one(SYS_FLEN, h));
  memset(buf, 0, sizeof buf);
  report("hello read 64", sh_read(h, buf, 64));
  say(buf);
  report("hello istty", sh_one(SYS_ISTTY, h));
  report("hello write (read-only)", sh_write(h, "x", 1));
  report("hello close", sh_close(h));
  report("hello close again", sh_close(h));

  int32_t w = sh_open("data.txt", 6); /* w+ */
  report("data open w+", w);
  report("data write", sh_write(w, "hello semihosting", 17));
  report("data seek 6", sh_seek(w, 6));
  memset(buf, 0, sizeof buf);
  report("data read 11", sh_read(w, buf, 11));
  say(buf);
  say("\n");
  report("data read at end", sh_read(w, buf, 5));
  report("data flen", sh_one(SYS_FLEN, w));
  report("data close", sh_close(w));
  report("rename", sh_rename("data.txt", "renamed.txt"));
  report("open old name", sh_open("data.txt", 0));
  report("errno", semi(SYS_ERRNO, 0));
  report("remove", sh_remove("renamed.txt"));
  report("remove again", sh_remove("renamed.txt"));

  /* Bad arguments. */
  uint32_t bad[3] = {(uintptr_t) "hello.txt", 0, 3}; /* the byte at name + 3 is not the NUL */
  report("open, wrong name length", semi(SYS_OPEN, (uintptr_t)bad));
  report("open, mode 12", sh_open("hello.txt", 12));
  report("open, block outside RAM", semi(SYS_OPEN, RAM_END + 0x100000));
  report("write, length 2^32-1", sh_write(tt, "x", 0xffffffffu));
  report("write, buffer past RAM", sh_write(tt, (void *)(RAM_END - 16), 32));
  report("write, bad handle", sh_write(99, "x", 1));
  report("read, bad handle", sh_read(99, buf, 1));
  report("istty, bad handle", sh_one(SYS_ISTTY, 99));
  report("flen, bad handle", sh_one(SYS_FLEN, 99));
  report("iserror(-5)", sh_one(SYS_ISERROR, -5));
  report("iserror(5)", sh_one(SYS_ISERROR, 5));
  report("tickfreq", semi(SYS_TICKFREQ, 0));
  say("write0 outside RAM: ");
  report("", semi(SYS_WRITE0, RAM_END + 0x100000));
  report("tt close", sh_close(tt));

  /* Where wasmvisor differs from QEMU on purpose. */
  report("wv: open ../escape", sh_open("../escape", 4));
  report("wv: open /etc/passwd", sh_open("/etc/passwd", 0));
  report("wv: open through symlink out/", sh_open("out/secret.txt", 0));
  report("wv: remove through symlink out/", sh_remove("out/secret.txt"));
  report("wv: rename to ../x", sh_rename("hello.txt", "../x"));
  /* A buffer the whole of which is checked, zero length and the top of the address space too
     (QEMU 7.2 answers these from its own guest-memory checks: not compared). */
  int32_t out = sh_open(":tt", 4), in = sh_open("hello.txt", 0);
  report("wv: write, 0 bytes outside RAM", sh_write(out, (void *)(RAM_END + 0x100000), 0));
  report("wv: write, buffer across 2^32", sh_write(out, (void *)0xfffffff0u, 32));
  report("wv: read into 0 bytes at 2^32 - 1", sh_read(in, (void *)0xffffffffu, 0));
  sh_close(in);
  sh_close(out);
  int32_t a = sh_open("hello.txt", 8); /* "a": appends (QEMU 7.2 writes at the start) */
  report("wv: append", sh_write(a, "more\n", 5));
  report("wv: flen after append", sh_one(SYS_FLEN, a));
  sh_close(a);
  uint32_t cmd[2] = {(uintptr_t)buf, sizeof buf};
  report("wv: get_cmdline", semi(SYS_GET_CMDLINE, (uintptr_t)cmd));
  say("wv: cmdline ");
  say(buf);
  say("\n");
  uint32_t heap[4];
  uint32_t hb[1] = {(uintptr_t)heap};
  report("wv: heapinfo", semi(SYS_HEAPINFO, (uintptr_t)hb));
  say("wv: heap ");
  for (int i = 0; i < 4; i++) hex(heap[i]), say(" ");
  say("\n");
  report("wv: clock", semi(SYS_CLOCK, 0));
  report("wv: time", semi(SYS_TIME, 0));
  uint32_t el[2];
  report("wv: elapsed", semi(SYS_ELAPSED, (uintptr_t)el));
  say("wv: elapsed ns ");
  hex(el[1]);
  hex(el[0]);
  say("\n");
  uint32_t tmp[3] = {(uintptr_t)buf, 42, sizeof buf};
  report("wv: tmpnam", semi(SYS_TMPNAM, (uintptr_t)tmp));
  say("wv: tmpnam ");
  say(buf);
  say("\n");
  uint32_t sys[2] = {(uintptr_t) "true", 4};
  report("wv: system", semi(SYS_SYSTEM, (uintptr_t)sys));

  if (csr_read(marchid) == 0) {
    say("wasmvisor only\n");
    /* Console input (QEMU reads its own stdin, and waits for ever at its end). */
    int32_t tin = sh_open(":tt", 0);
    report("wv: istty(:tt)", sh_one(SYS_ISTTY, tin));
    report("wv: readc", semi(SYS_READC, 0));
    report("wv: read :tt 4", sh_read(tin, buf, 4));
    say("wv: got ");
    say(buf[0] == 'y' ? "y" : "?");
    say("\n");
    report("wv: readc at end of input", semi(SYS_READC, 0));
    sh_close(tin);
    report("unknown operation 0x19", semi(0x19, 0));
    /* Too many open files. */
    int32_t fds[20];
    int n = 0;
    for (; n < 20; n++) {
      fds[n] = sh_open(":tt", 4);
      if (fds[n] == -1) break;
    }
    say("opened ");
    dec(n);
    report(" handles, then", (uint32_t)fds[n]);
    for (int i = 0; i < n; i++) sh_close(fds[i]);
    /* U-mode: the sequence is a breakpoint there (M and S only). */
    csr_write(pmpaddr0, 0xffffffffu);
    csr_write(pmpcfg0, 0x1f); /* NAPOT, RWX: everything for U */
    csr_write(mtvec, (uintptr_t)u_trap);
    csr_write(mepc, (uintptr_t)u_entry);
    csr_clear(mstatus, 0x1800); /* MPP = U */
    __asm__ volatile("mret");
  }
  u_returned();
  return 0;
}

void u_returned(void) {
  if (csr_read(marchid) == 0) {
    report("semihosting call from U-mode: mcause", trapped_cause);
  }
  say("semihost: done\n");
  uint32_t ex[2] = {0x20026, 7};
  semi(SYS_EXIT_EXTENDED, (uintptr_t)ex);
  say("not reached\n");
  for (;;) {}
}
