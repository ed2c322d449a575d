/* The RTOS's request servers: one protocol (sdk/rtos-protocol.h), two ways in.
 *
 *   mailbox  Linux's requests: the shared mailbox at 0x9000_0000, channel 0 both ways. The
 *            channel's interrupt (PLIC source 32) gives a semaphore; the task answers the
 *            request in place, sets reply_seq = request_seq and notifies channel 0 back.
 *   calls    protected procedure calls from other partitions (label = command, MRs = args):
 *            the idle task receives them (main.c) and hands them over through a one-message
 *            queue; the task answers with wv_reply (label = status, MRs = result[0..3]).
 *
 * Neither prints; the text replies are formatted into the mailbox with snprintf. */
#include <stdio.h>
#include <string.h>
#include "app.h"
#include "kernel.h"
#include "rtos-protocol.h"
#include "wasmvisor.h"

#define MAILBOX ((volatile struct rtos_mailbox *)0x90000000u)
#define LINUX_CHANNEL 0

/* The SDK's message registers (wasmvisor.h). Only the idle task (recv) and the calls task
 * (reply) use them, and never at the same time: idle runs only while the calls task waits. */
uint32_t wv_mr[WV_MR_MAX];

struct call {
  uint32_t channel, msginfo, mr[WV_MR_MAX];
};

static struct k_sem doorbell = K_SEM_INIT(0);
K_QUEUE_DEFINE(calls, struct call, 1);

static uint32_t mailbox_stack[512] __attribute__((aligned(16)));
static uint32_t calls_stack[256] __attribute__((aligned(16)));

static const char *const state_names[] = {"ready", "sleeping", "sem", "queue", "dormant", "running"};

static size_t text_tasks(char *text, size_t size) {
  size_t n = 0;
  struct k_task_info t;
  for (unsigned i = 0; k_task_info(i, &t) && n < size; i++) {
    int w = snprintf(text + n, size - n, "%-8s %u %-8s %lu activations, stack %lu/%lu\n", t.name, t.priority,
                     state_names[t.state], (unsigned long)t.activations, (unsigned long)t.stack_used,
                     (unsigned long)t.stack_size);
    if (w < 0) break;
    n += (size_t)w;
  }
  return n;
}

/* One request, either way in: the status, result[0..3] and (when text is not NULL) the text. */
static uint32_t execute(uint32_t command, const uint32_t args[4], uint32_t result[4], char *text, size_t size) {
  if (text) text[0] = 0;
  switch (command) {
    case RTOS_CMD_PING:
      result[0] = args[0] + 1;
      return RTOS_OK;
    case RTOS_CMD_STATS: {
      struct control_stats s;
      stats_snapshot(&s);
      result[0] = s.jobs;
      result[1] = s.misses;
      result[2] = s.worst_jitter_ns;
      result[3] = s.last_jitter_ns;
      if (text) {
        int n = snprintf(text, size, "%lu jobs, %lu deadline misses, worst release jitter %lu ns, last %lu ns\n"
                         "jitter histogram (%u ns bins):", (unsigned long)s.jobs, (unsigned long)s.misses,
                         (unsigned long)s.worst_jitter_ns, (unsigned long)s.last_jitter_ns, JITTER_BIN_NS);
        for (unsigned i = 0; i < JITTER_BINS && n > 0 && (size_t)n < size; i++)
          n += snprintf(text + n, size - (size_t)n, " %lu", (unsigned long)s.histogram[i]);
        if (n > 0 && (size_t)n < size) n += snprintf(text + n, size - (size_t)n, "\n");
#ifdef RTOS_MEASURE
        if (n > 0 && (size_t)n < size) n += k_measure_format(text + n, size - (size_t)n);
        if (n > 0 && (size_t)n < size) snprintf(text + n, size - (size_t)n, "\n");
#endif
      }
      return RTOS_OK;
    }
    case RTOS_CMD_TASKS: {
      struct k_task_info t;
      unsigned count = 0;
      while (k_task_info(count, &t)) count++;
      result[0] = count;
      if (text) text_tasks(text, size);
      return RTOS_OK;
    }
    case RTOS_CMD_ADD:
      result[0] = args[0] + args[1];
      return RTOS_OK;
    case RTOS_CMD_RESET:
      stats_reset();
      return RTOS_OK;
    default:
      return RTOS_EBADCMD;
  }
}

/* ── Linux's mailbox ────────────────────────────────────────────────────────────────────────── */

/* Interrupt context: the channel's PLIC source (edge-triggered; the kernel claims and
 * completes it). Notifications coalesce, so the task checks the sequence numbers itself. */
static void doorbell_isr(unsigned source) {
  (void)source;
  k_sem_give_from_isr(&doorbell);
}

static void mailbox_task(void *arg) {
  (void)arg;
  volatile struct rtos_mailbox *mb = MAILBOX;
  /* A system without the region (the bare machine, a test system) faults here: no mailbox,
   * nothing to serve. */
  if (k_probe_write(&mb->magic, 0) != 0) {
    for (;;) k_sem_take(&doorbell);
  }
  volatile uint32_t *word = (volatile uint32_t *)mb;
  for (unsigned i = 1; i < sizeof(struct rtos_mailbox) / 4; i++) word[i] = 0;
  __asm__ volatile("fence w, w" ::: "memory"); /* the zeroed mailbox before the magic */
  mb->magic = RTOS_MAILBOX_MAGIC;
  for (;;) {
    k_sem_take(&doorbell);
    uint32_t seq = mb->request_seq;
    if (seq == mb->reply_seq) continue; /* nothing new (a coalesced notification) */
    __asm__ volatile("fence r, r" ::: "memory");
    uint32_t args[4] = {mb->args[0], mb->args[1], mb->args[2], mb->args[3]};
    uint32_t result[4] = {0, 0, 0, 0};
    uint32_t status = execute(mb->command, args, result, (char *)mb->text, sizeof mb->text);
    mb->status = status;
    for (unsigned i = 0; i < 4; i++) mb->result[i] = result[i];
    __asm__ volatile("fence w, w" ::: "memory"); /* the reply before its sequence number */
    mb->reply_seq = seq;
    wv_notify(LINUX_CHANNEL);
  }
}

/* ── Protected procedure calls ──────────────────────────────────────────────────────────────── */

void server_call_arrived(wv_channel channel, wv_msginfo msginfo) {
  struct call c = {channel, msginfo, {wv_mr[0], wv_mr[1], wv_mr[2], wv_mr[3]}};
  /* The calls task waits whenever idle runs, so the queue has room; if it had not, the caller
   * would still get an answer. */
  if (k_queue_send(&calls, &c) != K_OK) wv_reply(wv_msginfo_new(RTOS_EBADCMD, 0));
}

static void calls_task(void *arg) {
  (void)arg;
  for (;;) {
    struct call c;
    k_queue_receive(&calls, &c);
    uint32_t args[4], result[4] = {0, 0, 0, 0};
    unsigned count = wv_msginfo_count(c.msginfo);
    for (unsigned i = 0; i < 4; i++) args[i] = i < count ? c.mr[i] : 0; /* only the registers sent */
    uint32_t status = execute(wv_msginfo_label(c.msginfo), args, result, NULL, 0);
    for (unsigned i = 0; i < 4; i++) wv_mr_set(i, result[i]);
    wv_reply(wv_msginfo_new(status, 4));
  }
}

void server_init(void) {
  k_task_create("calls", PRIO_CALLS, calls_task, 0, calls_stack, sizeof calls_stack);
  k_task_create("mailbox", PRIO_MAILBOX, mailbox_task, 0, mailbox_stack, sizeof mailbox_stack);
  k_irq_attach(WV_CHANNEL_IRQ(LINUX_CHANNEL), doorbell_isr);
}
