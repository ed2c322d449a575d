/* The 16550A's receive FIFO driven through loopback (MCR bit 4: what the guest sends comes back
   through its own receiver), so that every byte arrives at a known moment and QEMU's board can
   be compared exactly: trigger levels 1/4/8/14, a receive FIFO reset, the character timeout
   (IIR 0xC after 4 character times without a byte or a read; a read clears it and starts the
   count again), seen by polling and through its interrupt (PLIC), mode switches clearing the FIFO, overrun in
   FIFO and in 16450 mode (LSR.OE and the receiver line status interrupt, IIR 0x6), the THR-empty
   interrupt with the FIFO bits in IIR, and MSR showing the modem control outputs (CTS = RTS,
   DSR = DTR, RI = OUT1, DCD = OUT2).

   The line runs at divisor 24: 9600 baud on wasmvisor's 3.6864 MHz clock (4 character times of
   10 bits: 4.17 ms), 16633 baud on QEMU's (2.4 ms); the checks allow both. Sleeps are WFI on
   the CLINT timer. Results are printed at the end, outside loopback (in loopback the console's
   own bytes would come back instead of going out). */
#include <stdio.h>
#include <string.h>
#include "platform.h"

#define RBR 0
#define THR 0
#define DLL 0
#define IER 1
#define DLM 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define U(r) REG8(UART0_BASE + (r))
#define UART_IRQ 10

#define PLIC_BASE        0x0c000000u
#define PLIC_PRIORITY(s) (PLIC_BASE + 4u * (s))
#define PLIC_ENABLE0     (PLIC_BASE + 0x2000u)
#define PLIC_THRESHOLD0  (PLIC_BASE + 0x200000u)
#define PLIC_CLAIM0      (PLIC_BASE + 0x200004u)

#define MS (MTIME_HZ / 1000)
#define LOOP 0x10

/* Sleep in WFI until mtime has advanced by `ticks` (MTIP wakes WFI with interrupts off). */
static void sleep_ticks(uint64_t ticks) {
  mtimecmp_write(mtime_read() + ticks);
  csr_set(mie, 1u << 7);
  while (!(csr_read(mip) & (1u << 7))) __asm__ volatile("wfi");
  csr_clear(mie, 1u << 7);
  mtimecmp_write(~0ull);
}

static void send(const char *s) {
  while (*s) U(THR) = (uint8_t)*s++;
}

/* Read what the receiver holds. */
static int drain(char *out, int size) {
  int n = 0;
  while ((U(LSR) & 1) && n < size - 1) out[n++] = (char)U(RBR);
  out[n] = 0;
  return n;
}

/* IIR at each trigger level (FCR bits 7:6), the FIFO left as it is. */
static void triggers(uint8_t *iir) {
  for (int t = 0; t < 4; t++) {
    U(FCR) = (uint8_t)(0x01 | (t << 6));
    iir[t] = U(IIR);
  }
}

static volatile int irq_done;
static volatile uint32_t irq_iir;
static volatile uint64_t irq_at;
static char irq_bytes[8];

__attribute__((interrupt("machine"), aligned(4))) static void isr(void) {
  uint32_t cause = csr_read(mcause);
  if (cause == 0x8000000bu) {
    uint32_t id = REG32(PLIC_CLAIM0);
    if (id == UART_IRQ) {
      irq_at = mtime_read();
      irq_iir = U(IIR);
      drain(irq_bytes, sizeof irq_bytes);
      irq_done = 1;
    }
    REG32(PLIC_CLAIM0) = id;
  } else if (cause == 0x80000007u) {
    mtimecmp_write(~0ull); /* the safety timeout: no interrupt came */
    irq_done = -1;
  } else {
    U(MCR) = 0;
    printf("unexpected trap %08lx\n", (unsigned long)cause);
    finish(2);
  }
}

int main(void) {
  printf("uartloop ready\n");
  U(LCR) = 0x83;
  U(DLL) = 24;
  U(DLM) = 0;
  U(LCR) = 0x03; /* 8 data bits, no parity, 1 stop bit */
  U(IER) = 0;
  U(MCR) = LOOP;

  /* ── Trigger levels with 5, 10 and 14 bytes in the FIFO ── */
  U(FCR) = 0x01;
  uint8_t iir_on = U(IIR);
  U(IER) = 1;
  uint8_t t5[4], t10[4], t14[4];
  send("ABCDE");
  triggers(t5);
  send("FGHIJ");
  triggers(t10);
  send("KLMN");
  triggers(t14);

  /* ── A receive FIFO reset empties it ── */
  U(FCR) = 0xc3; /* reset, trigger level 14 */
  uint8_t reset_lsr = U(LSR), reset_iir = U(IIR);
  send("xy");
  char after_reset = (char)U(RBR);

  /* ── The character timeout: 'y' waits below the trigger level ── */
  sleep_ticks(1 * MS);
  uint8_t to_1ms = U(IIR);
  sleep_ticks(10 * MS);
  uint8_t to_11ms = U(IIR);
  char y = (char)U(RBR);
  uint8_t to_empty = U(IIR);
  /* A read clears the timeout and starts the count again. */
  send("pq");
  sleep_ticks(10 * MS);
  uint8_t to_pq = U(IIR);
  char p = (char)U(RBR);
  uint8_t to_read = U(IIR);
  sleep_ticks(1 * MS);
  uint8_t to_read_1ms = U(IIR);
  sleep_ticks(10 * MS);
  uint8_t to_read_11ms = U(IIR);
  char q = (char)U(RBR);

  /* ── The timeout's interrupt wakes the hart through the PLIC ── */
  csr_write(mtvec, (uint32_t)(uintptr_t)isr);
  REG32(PLIC_PRIORITY(UART_IRQ)) = 1;
  REG32(PLIC_THRESHOLD0) = 0;
  REG32(PLIC_ENABLE0) = 1u << UART_IRQ;
  /* QEMU's PLIC keeps a source pending after its line went down (the UART's went up and down in
     the trigger level checks): claim and complete it away first. The line is down now. */
  uint32_t stale = REG32(PLIC_CLAIM0);
  if (stale) REG32(PLIC_CLAIM0) = stale;
  send("t");
  uint64_t sent_at = mtime_read();
  mtimecmp_write(sent_at + 100 * MS);
  csr_set(mie, (1u << 11) | (1u << 7));
  csr_set(mstatus, 1u << 3);
  while (!irq_done) __asm__ volatile("wfi");
  csr_clear(mstatus, 1u << 3);
  csr_clear(mie, (1u << 11) | (1u << 7));
  mtimecmp_write(~0ull);
  uint64_t waited = irq_at - sent_at;
  uint8_t irq_iir_after = U(IIR);

  /* ── The timeout also comes while the hart runs (polling IIR, no WFI) ── */
  send("w");
  uint64_t poll_start = mtime_read();
  while (U(IIR) != 0xcc && mtime_read() - poll_start < 20 * MS) {}
  uint64_t polled = mtime_read() - poll_start;
  char w = (char)U(RBR);

  /* ── Switching between FIFO and 16450 mode clears the receiver ── */
  send("mn");
  U(FCR) = 0x00;
  uint8_t off_lsr = U(LSR), off_iir = U(IIR);
  send("o");
  uint8_t off_lsr2 = U(LSR);
  U(FCR) = 0x01;
  uint8_t on_lsr = U(LSR);

  /* ── Overrun: 17 bytes into the FIFO; two into RBR in 16450 mode ── */
  U(FCR) = 0xc7; /* FIFO on, both FIFOs reset, trigger level 14 */
  U(IER) = 0x05; /* receive data and line status */
  for (int i = 0; i < 17; i++) U(THR) = (uint8_t)('a' + i);
  uint8_t ov_iir1 = U(IIR), ov_lsr1 = U(LSR), ov_lsr2 = U(LSR), ov_iir2 = U(IIR);
  char ov[20];
  int ov_n = drain(ov, sizeof ov);
  U(FCR) = 0x00;
  send("xy");
  uint8_t s_lsr1 = U(LSR), s_lsr2 = U(LSR);
  char s_c = (char)U(RBR);
  uint8_t s_lsr3 = U(LSR);

  /* ── THR empty, with the FIFO bits ── */
  U(FCR) = 0x01;
  U(IER) = 0x02;
  uint8_t thre1 = U(IIR), thre2 = U(IIR);
  U(THR) = 'z';
  uint8_t thre3 = U(IIR);
  (void)U(RBR);
  U(IER) = 0;

  /* ── MSR in loopback: the modem control outputs come back as inputs ── */
  static const uint8_t mcr_bits[4] = {0x01, 0x02, 0x04, 0x08}; /* DTR, RTS, OUT1, OUT2 */
  uint8_t msr[4];
  for (int i = 0; i < 4; i++) {
    U(MCR) = LOOP | mcr_bits[i];
    msr[i] = U(MSR);
  }
  U(MCR) = 0; /* out of loopback: the console works again */
  uint8_t msr_out = U(MSR);

  printf("FIFO on: IIR %02x\n", iir_on);
  printf("IIR at trigger level 1/4/8/14 with  5 bytes: %02x %02x %02x %02x\n", t5[0], t5[1], t5[2], t5[3]);
  printf("IIR at trigger level 1/4/8/14 with 10 bytes: %02x %02x %02x %02x\n", t10[0], t10[1], t10[2], t10[3]);
  printf("IIR at trigger level 1/4/8/14 with 14 bytes: %02x %02x %02x %02x\n", t14[0], t14[1], t14[2], t14[3]);
  printf("RX FIFO reset: LSR %02x, IIR %02x; then '%c'\n", reset_lsr, reset_iir, after_reset);
  printf("timeout: IIR %02x after 1 ms, %02x after 11 ms; read '%c', IIR %02x\n", to_1ms, to_11ms, y, to_empty);
  printf("a read restarts it: IIR %02x; read '%c', IIR %02x, %02x after 1 ms, %02x after 11 ms; read '%c'\n",
         to_pq, p, to_read, to_read_1ms, to_read_11ms, q);
  printf("timeout interrupt: %s; IIR %02x, received %s; IIR then %02x\n",
         irq_done != 1 ? "none" : waited >= 2 * MS && waited < 5 * MS ? "after 2-5 ms" : "at the wrong time",
         (unsigned)irq_iir, irq_bytes, irq_iir_after);
  printf("polling IIR: the timeout %s; read '%c'\n", polled >= 2 * MS && polled < 5 * MS ? "after 2-5 ms" : "at the wrong time", w);
  printf("FIFO off: LSR %02x, IIR %02x; a byte: LSR %02x; FIFO on: LSR %02x\n", off_lsr, off_iir, off_lsr2, on_lsr);
  printf("overrun, FIFO: 17 sent; IIR %02x, LSR %02x then %02x, IIR %02x; received %d: %s\n",
         ov_iir1, ov_lsr1, ov_lsr2, ov_iir2, ov_n, ov);
  printf("overrun, 16450: 'x' then 'y'; LSR %02x then %02x; RBR '%c', LSR %02x\n", s_lsr1, s_lsr2, s_c, s_lsr3);
  printf("THR empty: IIR %02x, then %02x; after a write %02x\n", thre1, thre2, thre3);
  printf("MSR in loopback with DTR, RTS, OUT1, OUT2: %02x %02x %02x %02x; outside: %02x\n", msr[0], msr[1], msr[2], msr[3], msr_out);

  int ok = iir_on == 0xc1 &&
           !memcmp(t5, "\xc4\xc4\xc1\xc1", 4) && !memcmp(t10, "\xc4\xc4\xc4\xc1", 4) && !memcmp(t14, "\xc4\xc4\xc4\xc4", 4) &&
           reset_lsr == 0x60 && reset_iir == 0xc1 && after_reset == 'x' &&
           to_1ms == 0xc1 && to_11ms == 0xcc && y == 'y' && to_empty == 0xc1 &&
           to_pq == 0xcc && p == 'p' && to_read == 0xc1 && to_read_1ms == 0xc1 && to_read_11ms == 0xcc && q == 'q' &&
           irq_done == 1 && irq_iir == 0xcc && !strcmp(irq_bytes, "t") && irq_iir_after == 0xc1 &&
           waited >= 2 * MS && waited < 5 * MS && polled >= 2 * MS && polled < 5 * MS && w == 'w' &&
           off_lsr == 0x60 && off_iir == 0x01 && off_lsr2 == 0x61 && on_lsr == 0x60 &&
           ov_iir1 == 0xc6 && ov_lsr1 == 0x63 && ov_lsr2 == 0x61 && ov_iir2 == 0xc4 && !strcmp(ov, "abcdefghijklmnop") &&
           s_lsr1 == 0x63 && s_lsr2 == 0x61 && s_c == 'y' && s_lsr3 == 0x60 &&
           thre1 == 0xc2 && thre2 == 0xc1 && thre3 == 0xc2 &&
           !memcmp(msr, "\x20\x10\x40\x80", 4) && msr_out == 0xb0;
  printf("%s\n", ok ? "uartloop: PASS" : "uartloop: FAIL");
  return ok ? 0 : 1;
}
