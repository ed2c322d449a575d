/* A real-time partition in miniature: a 1 kHz control task released by the CLINT timer, and a
   background task that does the slack work. The control task measures its release latency
   (mtime at the start of the job minus its release time) and checks its deadline (the next
   release). Every 5 s of virtual time it reports the jobs done, the worst latency and the missed
   deadlines. It runs forever (the default system's RTOS partition, beside Linux); built with
   -DREPORTS=N it stops after N reports. */
#include <stdint.h>
#include <stdio.h>
#include "platform.h"

#define PERIOD (MTIME_HZ / 1000)   /* 1 ms */
#define REPORT_EVERY 5000          /* jobs: 5 s */
#ifndef REPORTS
#define REPORTS 0                  /* 0: forever */
#endif

static volatile uint32_t jobs, missed, worst_latency, background;
static uint64_t release;
static uint32_t state = 1;

/* The control law: a few hundred instructions of fixed-point filtering. */
static void control_job(void) {
  for (int i = 0; i < 32; i++) state = state * 1103515245u + 12345u + (state >> 16);
}

__attribute__((interrupt("machine"), aligned(4))) static void timer_isr(void) {
  uint64_t now = mtime_read();
  uint32_t latency = (uint32_t)(now - release);
  if (latency > worst_latency) worst_latency = latency;
  control_job();
  jobs++;
  release += PERIOD;
  if (mtime_read() > release) { /* finished after the next release: a missed deadline */
    missed++;
    while (release < mtime_read()) release += PERIOD;
  }
  mtimecmp_write(release);
}

int main(void) {
  printf("periodic: 1 kHz control task, reporting every 5 s\n");
  csr_write(mtvec, (uint32_t)(uintptr_t)timer_isr);
  release = mtime_read() + PERIOD;
  mtimecmp_write(release);
  csr_set(mie, 1u << 7);
  csr_set(mstatus, 1u << 3);
  uint32_t reported = 0, reports = 0;
  for (;;) {
    __asm__ volatile("wfi");
    background++;
    if (jobs - reported >= REPORT_EVERY) {
      reported += REPORT_EVERY;
      printf("periodic: %lu jobs, worst release latency %lu ns, %lu deadlines missed\n",
             (unsigned long)jobs, (unsigned long)worst_latency * (1000000000u / MTIME_HZ), (unsigned long)missed);
      if (REPORTS && ++reports == REPORTS) return 0;
    }
  }
}
