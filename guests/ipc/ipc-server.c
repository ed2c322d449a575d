/* A passive protected-procedure-call server on the SDK's Microkit-style loop (test/ipc.test.ts,
 * the ipc benchmark). It runs only on its callers' time. Operations, by message label:
 *   1 ECHO   the message registers come back unchanged
 *   2 ADD    MR0 = MR0 + MR1
 *   3 BUSY   spin MR0 iterations (a long call), MR0 = the channel it came in on
 *   4 STATS  MR0 = calls served, MR1 = notifications seen, MR2 = the channel
 * anything else: label 0xfff, no registers. */
#include "wasmvisor.h"

static uint32_t calls, notes;

void init(void) {}

void notified(wv_channel ch) {
  (void)ch;
  notes++;
}

wv_msginfo protected(wv_channel ch, wv_msginfo msginfo) {
  calls++;
  switch (wv_msginfo_label(msginfo)) {
    case 1:
      return msginfo;
    case 2:
      wv_mr_set(0, wv_mr_get(0) + wv_mr_get(1));
      return wv_msginfo_new(2, 1);
    case 3:
      for (volatile uint32_t i = 0; i < wv_mr_get(0); i++) {}
      wv_mr_set(0, ch);
      return wv_msginfo_new(3, 1);
    case 4:
      wv_mr_set(0, calls);
      wv_mr_set(1, notes);
      wv_mr_set(2, ch);
      return wv_msginfo_new(4, 3);
    default:
      return wv_msginfo_new(0xfff, 0);
  }
}

int main(void) {
  wv_main();
}
