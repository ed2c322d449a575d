/* The RTOS demo: a 1 kHz control task that measures its own release jitter and deadlines, the
 * request servers (server.c), a reporter printing the statistics every 5 s of virtual time, and
 * the idle task, which receives protected procedure calls from other partitions.
 *
 *   prio  task      does
 *   7     control   1 kHz: reads mtime first thing, records the jitter, runs the control law
 *   5     calls     answers protected procedure calls (handed over by idle through a queue)
 *   4     mailbox   answers Linux's requests in the shared mailbox (woken by a semaphore
 *                   that the channel interrupt gives)
 *   1     reporter  every 5 s: one line of statistics; with -DRTOS_REPORTS=N, ends the run
 *                   after N of them
 *   0     idle      main() after k_start: wv_recv() (WFI on the bare machine)
 */
#include <stdio.h>
#include "app.h"
#include "kernel.h"
#include "platform.h"

#ifndef RTOS_REPORTS
#define RTOS_REPORTS 0 /* 0: run forever */
#endif

#define CONTROL_PERIOD (MTIME_HZ / 1000)    /* 1 ms, in mtime ticks */
#define REPORT_PERIOD (5u * MTIME_HZ)       /* 5 s */

static uint64_t start_time; /* every release counts from here: control at +1 ms, +2 ms, ... */
static struct control_stats stats; /* written by the control task; read and reset under k_irq_save */
static uint32_t control_state = 1;

static uint32_t control_stack[256] __attribute__((aligned(16)));
static uint32_t reporter_stack[512] __attribute__((aligned(16)));

void stats_snapshot(struct control_stats *s) {
  uint32_t irq = k_irq_save(); /* interrupts off: copying 20 words */
  *s = stats;
  k_irq_restore(irq);
}

void stats_reset(void) {
  /* Word by word: GCC would make `stats = (struct control_stats){0}` a call to picolibc's
   * memset, which stores one byte at a time (4 times as long with interrupts off). */
  volatile uint32_t *w = (volatile uint32_t *)&stats;
  uint32_t irq = k_irq_save(); /* interrupts off: clearing 20 words */
  for (unsigned i = 0; i < sizeof stats / 4; i++) w[i] = 0;
  k_irq_restore(irq);
}

/* The control law: a fixed few hundred instructions of integer filtering. */
static void control_law(void) {
  uint32_t x = control_state;
  for (int i = 0; i < 32; i++) x = x * 1103515245u + 12345u + (x >> 16);
  control_state = x;
}

/* Statistics are updated by this task only. The servers, which reset them, have lower
 * priorities, so they never run in the middle of an update; readers take a snapshot. */
static void control_task(void *arg) {
  (void)arg;
  uint64_t release = start_time + CONTROL_PERIOD;
  for (;;) {
    k_sleep_until(release);
    uint32_t started = REG32(CLINT_MTIME); /* first thing: the low word is enough for a delay */
    uint32_t late = started - (uint32_t)release;
    uint64_t deadline = release + CONTROL_PERIOD;
    control_law();
    uint64_t finished = k_now();
    uint32_t missed = late >= CONTROL_PERIOD || finished > deadline;
    uint32_t jitter_ns = late * NS_PER_TICK;
    uint32_t bin = jitter_ns / JITTER_BIN_NS;
    stats.jobs++;
    stats.last_jitter_ns = jitter_ns;
    if (jitter_ns > stats.worst_jitter_ns) stats.worst_jitter_ns = jitter_ns;
    stats.histogram[bin < JITTER_BINS ? bin : JITTER_BINS - 1]++;
    stats.misses += missed;
    /* After an overrun (or a partition kept off the CPU), skip the releases whose deadline has
     * already passed — each a missed job — rather than run a burst of late jobs; a release
     * whose deadline is still ahead runs, late. */
    release = deadline;
    while (release + CONTROL_PERIOD <= finished) {
      release += CONTROL_PERIOD;
      stats.misses++;
    }
  }
}

static void reporter_task(void *arg) {
  (void)arg;
  uint64_t release = start_time;
  for (unsigned reports = 1;; reports++) {
    release += REPORT_PERIOD;
    k_sleep_until(release);
    struct control_stats s;
    stats_snapshot(&s);
    printf("rtos: %lu jobs, %lu deadline misses, worst release jitter %lu ns, last %lu ns\n", (unsigned long)s.jobs,
           (unsigned long)s.misses, (unsigned long)s.worst_jitter_ns, (unsigned long)s.last_jitter_ns);
#ifdef RTOS_MEASURE
    char line[200];
    k_measure_format(line, sizeof line); /* a diagnostic build: a second line */
    printf("rtos: %s\n", line);
#endif
    if (RTOS_REPORTS && reports == RTOS_REPORTS) finish(0);
  }
}

/* The idle task: in a partition, an active server waiting for protected calls. recv returns
 * WV_EV_NONE when an interrupt is pending — it is taken right after the ECALL, since idle runs
 * with interrupts enabled — and WV_EV_CALL with a call, which goes to the calls task (higher
 * priority: it runs as soon as the message is sent). The hypervisor delivers the next call only
 * after the reply, so one call is in service at a time. */
static void idle(void) __attribute__((noreturn));
static void idle(void) {
  for (;;) {
    if (!k_hypervisor) {
      __asm__ volatile("wfi");
      continue;
    }
    struct wv_event e = wv_recv();
    if (e.kind == WV_EV_CALL) server_call_arrived(e.channel, e.msginfo);
  }
}

int main(void) {
  k_init();
  printf("rtos: started, 1 kHz control task, tickless\n");
  k_task_create("control", PRIO_CONTROL, control_task, 0, control_stack, sizeof control_stack);
  server_init();
  k_task_create("reporter", PRIO_REPORTER, reporter_task, 0, reporter_stack, sizeof reporter_stack);
  start_time = k_now();
  k_start();
  idle();
}
