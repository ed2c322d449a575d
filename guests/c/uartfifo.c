/* The 16550A's receiver with input waiting on the host side (given all at once, as with
   `--input`): the one-byte RBR of 16450 mode, the 16-byte FIFO filled from the waiting input,
   FIFO resets and mode switches that discard only what the receiver holds (the input behind it
   survives), the trigger levels 1/4/8/14 with 10 bytes in the FIFO, the character timeout (IIR
   0xC after 4 character times without a read, cleared by a read) and its interrupt through the
   PLIC. (uartloop checks the same logic with loopback bytes, against QEMU too.)

   Not compared with QEMU: its 16550 takes input from its character backend only up to the
   trigger level (with level 1, one byte at a time) and only again after a read of RBR, so the
   bytes a reset discards there depend on the trigger level and on when the backend's thread ran.
   Here the receiver is the data sheet's, with a sender that keeps sending while there is room.

   The input is "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz|0123456789".
   Sleeps are WFI on the CLINT timer: virtual time passes, no instructions are spent. */
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
#define U(r) REG8(UART0_BASE + (r))
#define UART_IRQ 10

#define PLIC_BASE        0x0c000000u
#define PLIC_PRIORITY(s) (PLIC_BASE + 4u * (s))
#define PLIC_ENABLE0     (PLIC_BASE + 0x2000u)
#define PLIC_THRESHOLD0  (PLIC_BASE + 0x200000u)
#define PLIC_CLAIM0      (PLIC_BASE + 0x200004u)

#define MS (MTIME_HZ / 1000)

static int failures;

static void expect(int ok, const char *what) {
  if (!ok) {
    printf("FAIL: %s\n", what);
    failures++;
  }
}

/* Sleep in WFI until mtime has advanced by `ticks` (MTIP wakes WFI with interrupts off). */
static void sleep_ticks(uint64_t ticks) {
  mtimecmp_write(mtime_read() + ticks);
  csr_set(mie, 1u << 7);
  while (!(csr_read(mip) & (1u << 7))) __asm__ volatile("wfi");
  csr_clear(mie, 1u << 7);
  mtimecmp_write(~0ull);
}

static int wait_dr(unsigned ms) {
  uint64_t end = mtime_read() + (uint64_t)ms * MS;
  while (!(U(LSR) & 1)) {
    if (mtime_read() >= end) return 0;
    sleep_ticks(MS / 2);
  }
  return 1;
}

/* Wait until the receiver holds a byte again, then let 100 ms pass. */
static void refilled(void) {
  if (!wait_dr(1000)) {
    printf("FAIL: no input arrived\n");
    finish(3);
  }
  sleep_ticks(100 * MS);
}

static volatile int irq_done;
static volatile uint32_t irq_iir;
static volatile uint64_t irq_at;
static char irq_bytes[32];

__attribute__((interrupt("machine"), aligned(4))) static void isr(void) {
  uint32_t cause = csr_read(mcause);
  if (cause == 0x8000000bu) {
    uint32_t id = REG32(PLIC_CLAIM0);
    if (id == UART_IRQ) {
      irq_at = mtime_read();
      irq_iir = U(IIR);
      int n = 0;
      while ((U(LSR) & 1) && n < (int)sizeof irq_bytes - 1) irq_bytes[n++] = (char)U(RBR);
      irq_bytes[n] = 0;
      irq_done = 1;
    }
    REG32(PLIC_CLAIM0) = id;
  } else if (cause == 0x80000007u) {
    mtimecmp_write(~0ull); /* the safety timeout: no interrupt came */
    irq_done = -1;
  } else {
    printf("unexpected trap %08lx\n", (unsigned long)cause);
    finish(2);
  }
}

int main(void) {
  printf("uartfifo ready\n");

  /* ── 16450 mode (FCR bit 0 clear, the reset state): one byte in RBR ── */
  if (!wait_dr(1000)) {
    printf("FAIL: no input\n");
    return 3;
  }
  sleep_ticks(100 * MS);
  uint8_t lsr = U(LSR), iir = U(IIR);
  U(IER) = 1;
  uint8_t iir_rda = U(IIR);
  U(IER) = 0;
  printf("16450 mode: LSR %02x, IIR %02x, with IER.RDA %02x\n", lsr, iir, iir_rda);

  /* ── FIFO mode on: the switch empties RBR ('0' is lost), the FIFO fills from the input ── */
  U(FCR) = 0x01;
  uint8_t iir_fifo = U(IIR);
  refilled();
  char c1 = (char)U(RBR);
  sleep_ticks(100 * MS); /* full again: 16 bytes */
  printf("FIFO on: IIR %02x; next byte '%c' (the one in RBR was discarded)\n", iir_fifo, c1);

  /* ── Receive FIFO reset: its 16 bytes go, the input behind them survives ── */
  U(FCR) = 0x03;
  refilled();
  char c2 = (char)U(RBR);
  sleep_ticks(100 * MS); /* full again */
  printf("RX FIFO reset: next byte '%c' (16 discarded)\n", c2);

  /* ── FIFO mode off: the switch empties the FIFO; RBR takes the next byte ── */
  U(FCR) = 0x00;
  uint8_t iir_off = U(IIR);
  refilled();
  char c3 = (char)U(RBR);
  sleep_ticks(100 * MS); /* RBR holds the next byte again */
  printf("FIFO off: IIR %02x; next byte '%c' (16 discarded)\n", iir_off, c3);

  /* ── FIFO on again (RBR's byte is lost); a slow line: divisor 2000, 115 baud, 4 character
        times (8N1: 10 bits each) are 347 ms ── */
  U(FCR) = 0x01;
  refilled();
  U(LCR) = 0x83;
  U(DLL) = 2000 & 0xff;
  U(DLM) = 2000 >> 8;
  U(LCR) = 0x03; /* 8 data bits, no parity, 1 stop bit */
  char seen[64];
  int n = 0;
  for (;;) {
    if (!wait_dr(1000)) {
      printf("FAIL: the marker never came\n");
      return 4;
    }
    char c = (char)U(RBR);
    seen[n++] = c;
    if (c == '|' || n == (int)sizeof seen - 1) break;
  }
  seen[n] = 0;
  sleep_ticks(50 * MS); /* the last 10 bytes are in the FIFO; no timeout yet */
  printf("read up to the marker: %s\n", seen);

  /* ── Trigger levels with 10 bytes in the FIFO ── */
  U(IER) = 1;
  uint8_t trig[4];
  for (int t = 0; t < 4; t++) {
    U(FCR) = (uint8_t)(0x01 | (t << 6));
    trig[t] = U(IIR);
  }
  printf("10 bytes; IIR at trigger level 1: %02x, 4: %02x, 8: %02x, 14: %02x\n", trig[0], trig[1], trig[2], trig[3]);

  /* ── Character timeout: no read for 4 character times ── */
  sleep_ticks(500 * MS);
  uint8_t iir_to = U(IIR);
  char c4 = (char)U(RBR);
  uint64_t read_at = mtime_read(); /* the timeout counts from this read */
  uint8_t iir_after = U(IIR);
  printf("after 500 ms without a read: IIR %02x; read '%c', then IIR %02x\n", iir_to, c4, iir_after);

  /* ── The timeout's interrupt, through the PLIC, wakes the hart ── */
  csr_write(mtvec, (uint32_t)(uintptr_t)isr);
  REG32(PLIC_PRIORITY(UART_IRQ)) = 1;
  REG32(PLIC_THRESHOLD0) = 0;
  REG32(PLIC_ENABLE0) = 1u << UART_IRQ;
  uint64_t start = mtime_read();
  mtimecmp_write(start + 2 * MTIME_HZ);
  csr_set(mie, (1u << 11) | (1u << 7));
  csr_set(mstatus, 1u << 3);
  while (!irq_done) __asm__ volatile("wfi");
  csr_clear(mstatus, 1u << 3);
  csr_clear(mie, (1u << 11) | (1u << 7));
  mtimecmp_write(~0ull);
  uint64_t waited = irq_at - read_at;
  printf("timeout interrupt: %s; IIR %02x, %d bytes: %s; IIR now %02x\n",
         irq_done != 1 ? "none" : waited >= 347 * MS && waited < 348 * MS ? "after 347 ms" : "at the wrong time",
         (unsigned)irq_iir, (int)strlen(irq_bytes), irq_bytes, U(IIR));
  U(IER) = 0;

  expect(lsr == 0x61 && iir == 0x01 && iir_rda == 0x04, "16450 mode");
  expect(c1 == '1' && c2 == 'I' && c3 == 'Z', "discarded bytes");
  expect(strcmp(seen, "bcdefghijklmnopqrstuvwxyz|") == 0, "bytes behind the FIFO");
  expect(trig[0] == 0xc4 && trig[1] == 0xc4 && trig[2] == 0xc4 && trig[3] == 0xc1, "trigger levels");
  expect(iir_to == 0xcc && c4 == '0' && iir_after == 0xc1, "character timeout");
  expect(irq_done == 1 && irq_iir == 0xcc && strcmp(irq_bytes, "123456789") == 0 && waited >= 347 * MS && waited < 348 * MS,
         "timeout interrupt after 4 character times");
  return failures;
}
