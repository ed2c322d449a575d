/* The receiving end of the IPC tests (test/ipc.test.ts): an active, low-priority partition in
 * its own window. Channel 0 comes from the main client (no pp). It maps region "board"
 * read-only at 0x9000_0000: it reads the client's message, and a store there must fault. It
 * counts notifications (they coalesce) and reports when its first window is over. */
#include <stdio.h>
#include "wasmvisor.h"
#include "platform.h"

#define BOARD ((volatile uint32_t *)0x90000000u)

static volatile uint32_t notes, faults, fault_cause;

void notified(wv_channel ch) {
  (void)ch;
  notes++;
}

uint32_t wv_exception(uint32_t mcause, uint32_t mepc, uint32_t mtval) {
  (void)mtval;
  faults++;
  fault_cause = mcause;
  /* Skip the faulting store: 2 or 4 bytes (the assembler may have compressed it). */
  return mepc + ((*(volatile uint16_t *)(uintptr_t)mepc & 3) == 3 ? 4 : 2);
}

int main(void) {
  wv_trap_init();
  wv_channel_irq_enable(0);
  /* Wait until the client's notification has arrived (it is coalesced while we wait). */
  while (notes == 0) __asm__ volatile("wfi");
  /* Let more time pass: further notifications would show up now. */
  for (volatile int i = 0; i < 20000; i++) {}
  printf("rx: %lu notification(s), the board says 0x%lx\n", (unsigned long)notes, (unsigned long)BOARD[0]);
  __asm__ volatile("sw %0, 0(%1)" :: "r"(1), "r"(BOARD) : "memory");
  printf("rx: a store to the read-only board faulted %lu time(s), mcause %lu\n", (unsigned long)faults, (unsigned long)fault_cause);
  return 0;
}
