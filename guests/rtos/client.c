/* A client of the RTOS for guests/rtos/test-system.json, on the SDK's runtime (wasmvisor-rt.c):
 *
 *   channel 0   the RTOS's protected procedure calls (its channel 1, "pp"): ADD, STATS, PING and
 *               an unknown command, as another partition would call them
 *   channel 1   plays Linux: requests through the mailbox region mapped at 0x9000_0000 (the
 *               RTOS's channel 0), notifying the RTOS and waiting for its notification back,
 *               as rtosctl does
 *
 * It makes its calls at start and again after 5.5 s of virtual time, when the control task has
 * run 5500 jobs and the RTOS has printed its first report, then resets the statistics; it prints
 * the results and returns 0. */
#include <stdio.h>
#include "platform.h"
#include "rtos-protocol.h"
#include "wasmvisor.h"

#define RTOS_CALLS 0
#define RTOS_MAILBOX_CHANNEL 1
#define MAILBOX ((volatile struct rtos_mailbox *)0x90000000u)

static volatile uint32_t notifications;

void notified(wv_channel ch) {
  if (ch == RTOS_MAILBOX_CHANNEL) notifications++;
}

void wv_timer_interrupt(void) {
  mtimecmp_write(~0ull); /* one-shot: the main loop looks at mtime */
}

static void call(const char *what, uint32_t command, uint32_t count, uint32_t a, uint32_t b) {
  wv_msginfo reply = 0;
  wv_mr_set(0, a);
  wv_mr_set(1, b);
  int32_t e = wv_ppcall(RTOS_CALLS, wv_msginfo_new(command, count), &reply);
  printf("call %s: error %ld, status %lu, %lu registers: %lu %lu %lu %lu\n", what, (long)e,
         (unsigned long)wv_msginfo_label(reply), (unsigned long)wv_msginfo_count(reply), (unsigned long)wv_mr_get(0),
         (unsigned long)wv_mr_get(1), (unsigned long)wv_mr_get(2), (unsigned long)wv_mr_get(3));
}

/* One request through the mailbox, as Linux makes it; prints the reply. */
static void request(const char *what, uint32_t command, uint32_t a, uint32_t b) {
  volatile struct rtos_mailbox *mb = MAILBOX;
  uint32_t seq = mb->request_seq + 1;
  mb->command = command;
  mb->args[0] = a;
  mb->args[1] = b;
  mb->args[2] = mb->args[3] = 0;
  __asm__ volatile("fence w, w" ::: "memory");
  mb->request_seq = seq;
  uint32_t before = notifications;
  wv_notify(RTOS_MAILBOX_CHANNEL);
  /* Wait for the RTOS's notification. WFI with interrupts off, so one that arrives between the
   * check and the WFI still wakes it; the handler runs when they are back on. */
  for (;;) {
    csr_clear(mstatus, 8);
    int done = notifications != before;
    if (!done) __asm__ volatile("wfi");
    csr_set(mstatus, 8);
    if (done) break;
  }
  __asm__ volatile("fence r, r" ::: "memory");
  printf("mailbox %s: reply_seq %s, status %lu, result %lu %lu %lu %lu\n", what, mb->reply_seq == seq ? "ok" : "WRONG",
         (unsigned long)mb->status, (unsigned long)mb->result[0], (unsigned long)mb->result[1],
         (unsigned long)mb->result[2], (unsigned long)mb->result[3]);
  if (mb->text[0]) printf("%s", (const char *)mb->text);
}

static void wait_until(uint64_t when) {
  csr_set(mie, 1u << 7);
  mtimecmp_write(when);
  while (mtime_read() < when) __asm__ volatile("wfi");
}

static void exchange(void) {
  call("add", RTOS_CMD_ADD, 2, 40, 2);
  call("stats", RTOS_CMD_STATS, 0, 0, 0);
  call("ping", RTOS_CMD_PING, 1, 41, 0);
  call("unknown", 99, 0, 0, 0);
  request("ping", RTOS_CMD_PING, 6, 0);
  request("add", RTOS_CMD_ADD, 1000, 337);
  request("stats", RTOS_CMD_STATS, 0, 0);
  request("tasks", RTOS_CMD_TASKS, 0, 0);
  request("unknown", 42, 0, 0);
}

int main(void) {
  wv_trap_init();
  wv_channel_irq_enable(RTOS_MAILBOX_CHANNEL);
  while (MAILBOX->magic != RTOS_MAILBOX_MAGIC) wv_yield();
  printf("client: the RTOS's mailbox is ready\n");
  exchange();
  wait_until(MTIME_HZ * 11 / 2);
  printf("client: at 5.5 s\n");
  exchange();
  request("reset", RTOS_CMD_RESET, 0, 0);
  call("stats after reset", RTOS_CMD_STATS, 0, 0, 0);
  return 0;
}
