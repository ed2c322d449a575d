/* A real-time task whose output is its own timing: a 1 kHz timer interrupt while the main loop
   computes. At each tick the handler records how late it ran (mtime at entry minus the deadline)
   and how many instructions the hart had retired; the main loop counts its iterations. All of
   it is printed at the end, so any change in when or how much this guest ran changes its output.

   It is the victim in the isolation tests (test/isolation.test.ts): next to a hostile partition
   it must print exactly what it prints next to a benign one. Deterministic on wasmvisor; under
   QEMU the figures follow the host's clock. */
#include <stdint.h>
#include <stdio.h>
#include "platform.h"

#define TICK (MTIME_HZ / 1000) /* 1 ms */
#define TICKS 20

static volatile uint32_t ticks;
static uint64_t deadline;
static uint32_t late[TICKS];
static uint32_t instret[TICKS];

__attribute__((interrupt("machine"), aligned(4))) static void timer_isr(void) {
  uint32_t cause = csr_read(mcause);
  if (cause != 0x80000007u) {
    printf("unexpected trap %08lx at %08lx\n", (unsigned long)cause, (unsigned long)csr_read(mepc));
    finish(2);
  }
  uint32_t n = ticks;
  if (n < TICKS) {
    late[n] = (uint32_t)(mtime_read() - deadline);
    instret[n] = csr_read(minstret);
  }
  ticks = n + 1;
  deadline += TICK;
  mtimecmp_write(deadline);
}

int main(void) {
  csr_write(mtvec, (uint32_t)(uintptr_t)timer_isr);
  uint64_t start = mtime_read();
  deadline = start + TICK;
  mtimecmp_write(deadline);
  csr_set(mie, 1u << 7);
  csr_set(mstatus, 1u << 3);
  uint32_t iterations = 0, x = 1;
  while (ticks < TICKS) { /* CPU-bound between ticks */
    x = x * 1664525u + 1013904223u;
    iterations++;
  }
  csr_clear(mstatus, 1u << 3);
  for (int i = 0; i < TICKS; i++) {
    printf("tick %d: %lu ticks late, instret %lu\n", i + 1, (unsigned long)late[i], (unsigned long)instret[i]);
  }
  printf("%lu iterations (x = %08lx) in %lu mtime ticks\n", (unsigned long)iterations, (unsigned long)x,
         (unsigned long)(mtime_read() - start));
  return 0;
}
