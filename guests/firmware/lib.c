/* Helpers of the M-mode firmware programs (lib.h). */
#include "lib.h"

#define THR 0
#define RBR 0
#define IER 1
#define FCR 2
#define LCR 3
#define LSR 5
#define LSR_DR 0x01
#define LSR_THRE 0x20

void uart_init(void) {
  MMIO8(UART0_BASE + IER) = 0;    /* no interrupts: the firmware polls */
  MMIO8(UART0_BASE + LCR) = 0x03; /* 8N1 */
  MMIO8(UART0_BASE + FCR) = 0x01; /* FIFOs on, nothing discarded */
}

void uart_putc(int c) {
  while ((MMIO8(UART0_BASE + LSR) & LSR_THRE) == 0) {}
  MMIO8(UART0_BASE + THR) = (u8)c;
}

int uart_getc(void) {
  if ((MMIO8(UART0_BASE + LSR) & LSR_DR) == 0) return -1;
  return MMIO8(UART0_BASE + RBR);
}

void puts_(const char *s) {
  while (*s) uart_putc(*s++);
}

void put_hex(u32 v) {
  puts_("0x");
  for (int i = 28; i >= 0; i -= 4) uart_putc("0123456789abcdef"[(v >> i) & 15]);
}

void put_dec(u32 v) {
  char buf[12];
  int n = 0;
  do buf[n++] = (char)('0' + v % 10); while ((v /= 10) != 0);
  while (n) uart_putc(buf[--n]);
}

void finish(u32 value) {
  MMIO32(TEST_BASE) = value;
  for (;;) __asm__ volatile("wfi");
}

u32 be32(const void *p) {
  const u8 *b = p;
  return ((u32)b[0] << 24) | ((u32)b[1] << 16) | ((u32)b[2] << 8) | b[3];
}

int strcmp_(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (u8)*a - (u8)*b;
}

/* Does node name `name` match path element [el, el + n) (equal, or equal up to its '@')? */
static int name_matches(const char *name, const char *el, u32 n) {
  for (u32 i = 0; i < n; i++) if (name[i] != el[i]) return 0;
  return name[n] == 0 || name[n] == '@';
}

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9

const void *fdt_prop(const void *fdt, const char *path, const char *prop, u32 *len) {
  const u8 *base = fdt;
  if (be32(base) != FDT_MAGIC) return 0;
  const u8 *p = base + be32(base + 8);
  const char *strings = (const char *)base + be32(base + 12);
  const u8 *end = p + be32(base + 36);
  /* depth: nesting of the current node; matched: how many path elements the open nodes match. */
  int depth = 0, matched = 0;
  const char *el = path + 1; /* the next path element to match */
  while (p < end) {
    u32 token = be32(p);
    p += 4;
    if (token == FDT_BEGIN_NODE) {
      const char *name = (const char *)p;
      u32 n = 0;
      while (name[n]) n++;
      p += (n + 4) & ~3u;
      depth++;
      if (depth >= 2 && matched == depth - 2 && *el) {
        u32 k = 0;
        while (el[k] && el[k] != '/') k++;
        if (k > 0 && name_matches(name, el, k)) {
          matched++;
          el += k + (el[k] == '/');
        }
      }
    } else if (token == FDT_END_NODE) {
      if (matched > 0 && matched == depth - 1) return 0; /* left a matching node: no such property */
      depth--;
    } else if (token == FDT_PROP) {
      u32 n = be32(p), nameoff = be32(p + 4);
      const u8 *value = p + 8;
      p += 8 + ((n + 3) & ~3u);
      if (*el == 0 && depth == matched + 1 && strcmp_(strings + nameoff, prop) == 0) {
        if (len) *len = n;
        return value;
      }
    } else if (token != FDT_NOP) {
      break;
    }
  }
  return 0;
}

void *memset(void *d, int c, unsigned long n) {
  u8 *p = d;
  while (n--) *p++ = (u8)c;
  return d;
}

void *memcpy(void *d, const void *s, unsigned long n) {
  u8 *p = d;
  const u8 *q = s;
  while (n--) *p++ = *q++;
  return d;
}

void *memmove(void *d, const void *s, unsigned long n) {
  u8 *p = d;
  const u8 *q = s;
  if (p < q) while (n--) *p++ = *q++;
  else while (n--) p[n] = q[n];
  return d;
}
