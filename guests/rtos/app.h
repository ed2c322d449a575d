/* What the demo's two halves share: main.c (control task, reporter, idle) and server.c (the
 * request servers for Linux's mailbox and for protected procedure calls). */
#ifndef RTOS_APP_H
#define RTOS_APP_H
#include <stdint.h>
#include "wasmvisor.h"

/* Task priorities (kernel.h: 0..7, one task each; higher runs first). Gaps are left free. */
#define PRIO_CONTROL 7  /* 1 kHz control task */
#define PRIO_CALLS 5    /* protected procedure calls from other partitions */
#define PRIO_MAILBOX 4  /* Linux's requests through the shared mailbox */
#define PRIO_REPORTER 1 /* the 5 s report on the console */
                        /* 0: idle (main), which receives the calls */

#define NS_PER_TICK (1000000000u / 10000000u) /* mtime runs at 10 MHz: 100 ns */
#define JITTER_BINS 16
#define JITTER_BIN_NS 250u                    /* histogram bins: [0, 250) ns, [250, 500) ns, ... */

/* The control task's statistics (what RTOS_CMD_STATS returns). */
struct control_stats {
  uint32_t jobs, misses, worst_jitter_ns, last_jitter_ns;
  uint32_t histogram[JITTER_BINS]; /* release jitter; the last bin holds everything above */
};

/** A consistent copy of the statistics (a short interrupt-disabled section). */
void stats_snapshot(struct control_stats *s);
/** Statistics back to zero (RTOS_CMD_RESET). */
void stats_reset(void);

/** Create the server tasks and attach the Linux channel's interrupt (before k_start). */
void server_init(void);
/** The idle task received a protected call (its MRs are in wv_mr): hand it to the server. */
void server_call_arrived(wv_channel channel, wv_msginfo msginfo);

#endif
