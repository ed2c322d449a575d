/* The IPC benchmark's client (bench/run.mjs, test/ipc.test.ts): ROUNDS protected calls on
 * channel 0 to guests/asm/ipcbench-server.S (an echo), timed in virtual time (the time CSR:
 * 10 cycles per tick), then ROUNDS round trips of notifications with the partition at the
 * other end of channel 1 (this same program, which answers each notification with one). The
 * role comes from the partition index: 1 measures, anything else answers notifications. */
#include <stdio.h>
#include "wasmvisor.h"
#include "platform.h"

#ifndef ROUNDS
#define ROUNDS 20000
#endif

static volatile uint32_t notes;

void notified(wv_channel ch) {
  notes++;
  if (wv_partition() != 1) wv_notify(ch); /* the echo end answers at once */
}

static uint32_t now(void) { return csr_read(time); }

int main(void) {
  wv_trap_init();
  wv_channel_irq_enable(1);
  if (wv_partition() != 1) {
    for (;;) __asm__ volatile("wfi");
  }
  wv_msginfo reply = 0;
  uint32_t failures = 0;
  uint32_t t0 = now();
  for (uint32_t i = 0; i < ROUNDS; i++) {
    wv_mr_set(0, i);
    if (wv_ppcall(0, wv_msginfo_new(1, 1), &reply) != WV_OK || wv_mr_get(0) != i) failures++;
  }
  uint32_t calls = now() - t0;
  printf("ipcbench: %u calls, %u failed, %lu cycles each\n", ROUNDS, (unsigned)failures,
         (unsigned long)(calls * 10u / ROUNDS));
  t0 = now();
  for (uint32_t i = 0; i < ROUNDS; i++) {
    uint32_t before = notes;
    wv_notify(1);
    while (notes == before) __asm__ volatile("wfi");
  }
  uint32_t pings = now() - t0;
  printf("ipcbench: %u notification round trips, %lu cycles each\n", ROUNDS, (unsigned long)(pings * 10u / ROUNDS));
  return failures != 0;
}
