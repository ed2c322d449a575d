/* Timer interrupts from the CLINT: a 1 kHz tick handled in M-mode while the main loop sleeps
   in WFI. Prints the tick count and checks that mtime advanced by the expected amount. */
#include <stdint.h>
#include <stdio.h>
#include "platform.h"

#define TICK (MTIME_HZ / 1000) /* 1 ms */
#define TICKS 20

static volatile uint32_t ticks;
static uint64_t next;

__attribute__((interrupt("machine"), aligned(4))) static void timer_isr(void) {
  uint32_t cause = csr_read(mcause);
  if (cause != 0x80000007u) {
    printf("unexpected trap %08lx\n", (unsigned long)cause);
    finish(2);
  }
  ticks++;
  next += TICK;
  mtimecmp_write(next);
}

int main(void) {
  csr_write(mtvec, (uint32_t)(uintptr_t)timer_isr);
  uint64_t start = mtime_read();
  next = start + TICK;
  mtimecmp_write(next);
  csr_set(mie, 1u << 7);
  csr_set(mstatus, 1u << 3);
  while (ticks < TICKS) __asm__ volatile("wfi");
  csr_clear(mstatus, 1u << 3);
  uint64_t elapsed = mtime_read() - start;
  printf("%lu timer interrupts\n", (unsigned long)ticks);
  if (elapsed < (uint64_t)TICKS * TICK || elapsed > (uint64_t)(TICKS + 1) * TICK) {
    printf("elapsed %lu ticks: out of range\n", (unsigned long)elapsed);
    return 1;
  }
  printf("elapsed time within [%u, %u] ms\n", TICKS, TICKS + 1);
  return 0;
}
