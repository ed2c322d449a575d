/* Interrupt-driven UART input through the PLIC: the UART raises its receive interrupt (source
   10), the PLIC forwards it to the M-mode context (MEIP), the handler claims, drains the UART and
   completes. Lines are echoed upper-cased; "quit", or 100 ms of virtual time without input (a
   CLINT timer), ends the run. Also checks the PLIC's pending bit, claim and completion. */
#include <stdio.h>
#include <string.h>
#include "platform.h"

#define PLIC_BASE       0x0c000000u
#define PLIC_PRIORITY(s) (PLIC_BASE + 4u * (s))
#define PLIC_PENDING    (PLIC_BASE + 0x1000u)
#define PLIC_ENABLE0    (PLIC_BASE + 0x2000u)      /* context 0: hart 0, M-mode */
#define PLIC_THRESHOLD0 (PLIC_BASE + 0x200000u)
#define PLIC_CLAIM0     (PLIC_BASE + 0x200004u)
#define UART_IRQ 10
#define UART_IER (UART0_BASE + 1)
#define UART_LSR (UART0_BASE + 5)
#define TIMEOUT (MTIME_HZ / 10)

static volatile int done;
static char line[128];
static int len, lines, bad_claims;

static void take(char c) {
  if (c == '\r') return;
  if (c != '\n') {
    if (len < (int)sizeof line - 1) line[len++] = c;
    return;
  }
  line[len] = 0;
  len = 0;
  if (strcmp(line, "quit") == 0) {
    done = 1;
    return;
  }
  for (char *p = line; *p; p++) if (*p >= 'a' && *p <= 'z') *p -= 32;
  printf("%d: %s\n", ++lines, line);
}

__attribute__((interrupt("machine"), aligned(4))) static void isr(void) {
  uint32_t cause = csr_read(mcause);
  if (cause == 0x8000000bu) {
    uint32_t id = REG32(PLIC_CLAIM0);
    if (id != UART_IRQ) bad_claims++;
    while (REG8(UART_LSR) & 1) take((char)REG8(UART0_BASE));
    REG32(PLIC_CLAIM0) = id; /* complete */
    mtimecmp_write(mtime_read() + TIMEOUT);
  } else if (cause == 0x80000007u) {
    done = 1; /* no input for a while */
    mtimecmp_write(~0ull);
  } else {
    printf("unexpected trap %08lx\n", (unsigned long)cause);
    finish(2);
  }
}

int main(void) {
  printf("uartirq ready\n");
  csr_write(mtvec, (uint32_t)(uintptr_t)isr);
  REG32(PLIC_PRIORITY(UART_IRQ)) = 1;
  REG32(PLIC_THRESHOLD0) = 0;
  REG8(UART_IER) = 1; /* receive data available */
  /* With input waiting the line is up: the source is pending before it is enabled. */
  while (!(REG8(UART_LSR) & 1) && mtime_read() < TIMEOUT) {}
  int pending = (REG32(PLIC_PENDING) >> UART_IRQ) & 1;
  /* Enable the source, then raise the line again: QEMU 7.2's PLIC does not re-evaluate its
     output when only an enable bit changes (the specification says it should), and drivers
     enable the source before the device's interrupt anyway. */
  REG8(UART_IER) = 0;
  REG32(PLIC_ENABLE0) = 1u << UART_IRQ;
  REG8(UART_IER) = 1;
  mtimecmp_write(mtime_read() + TIMEOUT);
  csr_set(mie, (1u << 11) | (1u << 7));
  csr_set(mstatus, 1u << 3);
  while (!done) __asm__ volatile("wfi");
  csr_clear(mstatus, 1u << 3);
  REG8(UART_IER) = 0;
  printf("%d lines; pending before enable: %s; every claim was the UART: %s\n", lines,
         pending ? "yes" : "no", bad_claims == 0 ? "yes" : "no");
  return bad_claims == 0 && pending ? 0 : 1;
}
