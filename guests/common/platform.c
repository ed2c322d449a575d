/* Platform support for C guests: polled UART console wired to picolibc's stdio, exit through
   the SiFive test finisher, CLINT time helpers, and the report for unexpected traps. */
#include <stdio.h>
#include <stdlib.h>
#include "platform.h"

#define UART_THR 0
#define UART_RBR 0
#define UART_LSR 5
#define LSR_DR   0x01
#define LSR_THRE 0x20

void uart_putc(char c) {
  while (!(REG8(UART0_BASE + UART_LSR) & LSR_THRE)) {}
  REG8(UART0_BASE + UART_THR) = (uint8_t)c;
}

int uart_getc(void) {
  if (!(REG8(UART0_BASE + UART_LSR) & LSR_DR)) return -1;
  return REG8(UART0_BASE + UART_RBR);
}

static int stdio_put(char c, FILE *f) {
  (void)f;
  uart_putc(c);
  return (unsigned char)c;
}

static int stdio_get(FILE *f) {
  (void)f;
  int c;
  while ((c = uart_getc()) < 0) {}
  return c;
}

static FILE console = FDEV_SETUP_STREAM(stdio_put, stdio_get, NULL, _FDEV_SETUP_RW);
FILE *const stdin = &console;
FILE *const stdout = &console;
FILE *const stderr = &console;

uint64_t mtime_read(void) {
  uint32_t hi, lo;
  do {
    hi = REG32(CLINT_MTIME + 4);
    lo = REG32(CLINT_MTIME);
  } while (hi != REG32(CLINT_MTIME + 4));
  return ((uint64_t)hi << 32) | lo;
}

void mtimecmp_write(uint64_t when) {
  REG32(CLINT_MTIMECMP + 4) = 0xffffffffu; /* no spurious interrupt between the halves */
  REG32(CLINT_MTIMECMP) = (uint32_t)when;
  REG32(CLINT_MTIMECMP + 4) = (uint32_t)(when >> 32);
}

void finish(int code) {
  REG32(FINISHER_BASE) = code == 0 ? 0x5555u : ((uint32_t)code << 16) | 0x3333u;
  for (;;) {}
}

void _exit(int code) {
  finish(code);
}

void unexpected_trap(uint32_t mcause, uint32_t mepc, uint32_t mtval) {
  printf("unexpected trap: mcause=0x%08lx mepc=0x%08lx mtval=0x%08lx\n",
         (unsigned long)mcause, (unsigned long)mepc, (unsigned long)mtval);
  finish(99);
}
