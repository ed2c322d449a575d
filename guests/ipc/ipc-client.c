/* The client of the IPC tests (test/ipc.test.ts). Its partition holds:
 *   channel 0  → the passive server "srv" (pp)
 *   channel 2  → "rx", a lower-priority partition without pp (calls are refused; notifications
 *                are not)
 * and maps region "board" read-write at 0x9000_0000. Its role comes from its partition index:
 * index 1 is the main client, index 2 the second client, which calls while the server is busy
 * with the first one's long call. */
#include <stdio.h>
#include "wasmvisor.h"
#include "platform.h"

#define BOARD ((volatile uint32_t *)0x90000000u)

static const char *err(int32_t e) {
  switch (e) {
    case WV_OK: return "ok";
    case WV_ERR_FAILED: return "FAILED";
    case WV_ERR_INVALID_PARAM: return "INVALID_PARAM";
    case WV_ERR_DENIED: return "DENIED";
    default: return "?";
  }
}

static void main_client(void) {
  wv_msginfo reply = 0;
  int32_t e;

  wv_mr_set(0, 11); wv_mr_set(1, 22); wv_mr_set(2, 33); wv_mr_set(3, 44);
  e = wv_ppcall(0, wv_msginfo_new(1, 4), &reply);
  printf("echo: %s, label %lu, %lu registers: %lu %lu %lu %lu\n", err(e), (unsigned long)wv_msginfo_label(reply),
         (unsigned long)wv_msginfo_count(reply), (unsigned long)wv_mr_get(0), (unsigned long)wv_mr_get(1),
         (unsigned long)wv_mr_get(2), (unsigned long)wv_mr_get(3));

  wv_mr_set(0, 40); wv_mr_set(1, 2);
  e = wv_ppcall(0, wv_msginfo_new(2, 2), &reply);
  printf("add: %s, 40 + 2 = %lu\n", err(e), (unsigned long)wv_mr_get(0));

  e = wv_ppcall(0, wv_msginfo_new(2, 5), &reply);
  printf("five message registers: %s\n", err(e));
  e = wv_ppcall(7, wv_msginfo_new(1, 0), &reply);
  printf("a channel it does not hold: %s\n", err(e));
  e = wv_ppcall(2, wv_msginfo_new(1, 0), &reply);
  printf("a call to a lower-priority partition: %s\n", err(e));
  printf("notify on a channel it does not hold: %s\n", err(wv_notify(9)));

  /* Shared memory: a message for rx, then three notifications before rx runs again: it sees one. */
  BOARD[0] = 0x600d;
  for (int i = 0; i < 3; i++) wv_notify(2);
  printf("notified rx three times\n");

  /* A long call: the server runs on this partition's time; the second client calls meanwhile. */
  wv_mr_set(0, 30000);
  e = wv_ppcall(0, wv_msginfo_new(3, 1), &reply);
  printf("busy call: %s, served on channel %lu\n", err(e), (unsigned long)wv_mr_get(0));

  e = wv_ppcall(0, wv_msginfo_new(4, 0), &reply);
  printf("stats: %s, %lu calls served, %lu notifications seen\n", err(e), (unsigned long)wv_mr_get(0), (unsigned long)wv_mr_get(1));
  e = wv_ppcall(0, wv_msginfo_new(99, 0), &reply);
  printf("unknown operation: %s, label 0x%lx\n", err(e), (unsigned long)wv_msginfo_label(reply));
}

static void second_client(void) {
  wv_msginfo reply = 0;
  /* Let the main client make its long call first. */
  for (volatile int i = 0; i < 2000; i++) {}
  wv_mr_set(0, 1000); wv_mr_set(1, 337);
  int32_t e = wv_ppcall(0, wv_msginfo_new(2, 2), &reply);
  printf("add while the server was busy: %s, 1000 + 337 = %lu\n", err(e), (unsigned long)wv_mr_get(0));
  e = wv_ppcall(0, wv_msginfo_new(4, 0), &reply);
  printf("stats: %s, %lu calls served, on channel %lu\n", err(e), (unsigned long)wv_mr_get(0), (unsigned long)wv_mr_get(2));
}

int main(void) {
  int32_t me = wv_partition();
  if (me == 1) main_client();
  else second_client();
  return 0;
}
