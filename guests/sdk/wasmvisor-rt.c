/* The wasmvisor SDK's machine-mode runtime (see wasmvisor.h): message registers, the trap
 * handler that turns channel interrupts into notified() calls, and the Microkit-style event
 * loop wv_main(). Built with picolibc and guests/common (platform.c for printf and finish). */
#include <stdio.h>
#include "wasmvisor.h"
#include "platform.h"

uint32_t wv_mr[WV_MR_MAX];

#define PLIC_BASE 0x0c000000u
#define PLIC_PRIORITY(s) (PLIC_BASE + 4u * (s))
#define PLIC_ENABLE_M(w) (PLIC_BASE + 0x2000u + 4u * (w)) /* context 0: hart 0, M-mode */
#define PLIC_THRESHOLD_M (PLIC_BASE + 0x200000u)
#define PLIC_CLAIM_M (PLIC_BASE + 0x200004u)

#define MCAUSE_INTERRUPT 0x80000000u
#define IRQ_MTI 7
#define IRQ_MEI 11

__attribute__((weak)) void wv_timer_interrupt(void) {
  mtimecmp_write(~0ull); /* nobody asked for it: disarm */
}

__attribute__((weak)) uint32_t wv_exception(uint32_t mcause, uint32_t mepc, uint32_t mtval) {
  printf("unexpected trap: mcause=0x%08lx mepc=0x%08lx mtval=0x%08lx\n", (unsigned long)mcause, (unsigned long)mepc, (unsigned long)mtval);
  finish(99);
}

/* Entry points a program leaves out get these: nothing to initialise, notifications ignored,
 * calls answered with label 0xfff and no registers. */
__attribute__((weak)) void init(void) {}
__attribute__((weak)) void notified(wv_channel ch) { (void)ch; }
__attribute__((weak)) wv_msginfo protected(wv_channel ch, wv_msginfo msginfo) {
  (void)ch;
  (void)msginfo;
  return wv_msginfo_new(0xfff, 0);
}

__attribute__((interrupt("machine"), aligned(4))) static void wv_trap(void) {
  uint32_t cause = csr_read(mcause);
  if (cause & MCAUSE_INTERRUPT) {
    cause &= ~MCAUSE_INTERRUPT;
    if (cause == IRQ_MEI) {
      for (uint32_t id; (id = REG32(PLIC_CLAIM_M)) != 0;) {
        if (id >= WV_CHANNEL_IRQ(0)) notified(id - WV_CHANNEL_IRQ(0));
        REG32(PLIC_CLAIM_M) = id; /* complete */
      }
    } else if (cause == IRQ_MTI) {
      wv_timer_interrupt();
    }
    return;
  }
  csr_write(mepc, wv_exception(cause, csr_read(mepc), csr_read(mtval)));
}

void wv_trap_init(void) {
  csr_write(mtvec, (uint32_t)(uintptr_t)wv_trap);
  REG32(PLIC_THRESHOLD_M) = 0;
  csr_set(mie, 1u << IRQ_MEI);
  csr_set(mstatus, 1u << 3);
}

void wv_channel_irq_enable(wv_channel ch) {
  uint32_t source = WV_CHANNEL_IRQ(ch);
  REG32(PLIC_PRIORITY(source)) = 1;
  REG32(PLIC_ENABLE_M(source / 32)) |= 1u << (source % 32);
}

void wv_main(void) {
  wv_trap_init();
  init();
  wv_msginfo reply = 0;
  int replying = 0;
  for (;;) {
    struct wv_event e = replying ? wv_reply_recv(reply) : wv_recv();
    replying = 0;
    if (e.kind == WV_EV_CALL) {
      reply = protected(e.channel, e.msginfo);
      replying = 1;
    }
    /* WV_EV_NONE: an interrupt is pending; it is taken now (MIE is set) and we wait again. */
  }
}
