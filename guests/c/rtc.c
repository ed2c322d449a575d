/* The Goldfish RTC of the virt board (0x0010_1000, PLIC source 11): nanoseconds since 1970.
   Checks the date it starts from (wasmvisor's default epoch, 2026-01-01T00:00:00Z; QEMU is run
   with `-rtc base=2026-01-01T00:00:00,clock=vm` to agree), that TIME_HIGH returns the word
   latched by the last TIME_LOW read, that writes set the time (each half on its own), that it
   advances with mtime, the alarm registers (ALARM_LOW arms, ALARM_HIGH does not, CLEAR_ALARM,
   ALARM_STATUS, IRQ_ENABLED), an alarm in the past firing at once with its interrupt held back
   until enabled and cleared by CLEAR_INTERRUPT, and an alarm 2 ms ahead waking the hart from WFI
   through the PLIC at the right time. */
#include <stdio.h>
#include "platform.h"

#define RTC_BASE        0x00101000u
#define TIME_LOW        (RTC_BASE + 0x00u)
#define TIME_HIGH       (RTC_BASE + 0x04u)
#define ALARM_LOW       (RTC_BASE + 0x08u)
#define ALARM_HIGH      (RTC_BASE + 0x0cu)
#define IRQ_ENABLED     (RTC_BASE + 0x10u)
#define CLEAR_ALARM     (RTC_BASE + 0x14u)
#define ALARM_STATUS    (RTC_BASE + 0x18u)
#define CLEAR_INTERRUPT (RTC_BASE + 0x1cu)
#define RTC_IRQ 11

#define PLIC_BASE        0x0c000000u
#define PLIC_PRIORITY(s) (PLIC_BASE + 4u * (s))
#define PLIC_ENABLE0     (PLIC_BASE + 0x2000u)
#define PLIC_THRESHOLD0  (PLIC_BASE + 0x200000u)
#define PLIC_CLAIM0      (PLIC_BASE + 0x200004u)

#define NS_PER_S   1000000000ull
#define NS_PER_MS  1000000ull
#define EPOCH_2026 1767225600ull /* 2026-01-01T00:00:00Z */

static int failures;

static void expect(int ok, const char *what) {
  if (!ok) {
    printf("FAIL: %s\n", what);
    failures++;
  }
}

static uint64_t rtc_read(void) {
  uint32_t lo = REG32(TIME_LOW);
  uint32_t hi = REG32(TIME_HIGH);
  return ((uint64_t)hi << 32) | lo;
}

static void rtc_write(uint64_t t) {
  REG32(TIME_HIGH) = (uint32_t)(t >> 32);
  REG32(TIME_LOW) = (uint32_t)t;
}

static void alarm_write(uint64_t t) {
  REG32(ALARM_HIGH) = (uint32_t)(t >> 32);
  REG32(ALARM_LOW) = (uint32_t)t;
}

/* Sleep in WFI until mtime has advanced by `ticks` (interrupts stay off: MTIP wakes WFI). */
static void sleep_ticks(uint64_t ticks) {
  mtimecmp_write(mtime_read() + ticks);
  csr_set(mie, 1u << 7);
  while (!(csr_read(mip) & (1u << 7))) __asm__ volatile("wfi");
  csr_clear(mie, 1u << 7);
  mtimecmp_write(~0ull);
}

/* "YYYY-MM-DD" of a day count since 1970-01-01. */
static void format_date(char *out, uint32_t days) {
  static const unsigned char month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  unsigned year = 1970, month = 0;
  for (;;) {
    unsigned leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (days < 365 + leap) break;
    days -= 365 + leap;
    year++;
  }
  for (;; month++) {
    unsigned leap = month == 1 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0);
    if (days < month_days[month] + leap) break;
    days -= month_days[month] + leap;
  }
  sprintf(out, "%04u-%02u-%02u", year, month + 1, (unsigned)days + 1);
}

static volatile int alarm_seen;
static volatile uint64_t alarm_at;
static volatile uint32_t status_in_isr;

__attribute__((interrupt("machine"), aligned(4))) static void isr(void) {
  uint32_t cause = csr_read(mcause);
  if (cause == 0x8000000bu) {
    uint32_t id = REG32(PLIC_CLAIM0);
    if (id == RTC_IRQ) {
      alarm_at = mtime_read();
      status_in_isr = REG32(ALARM_STATUS);
      REG32(CLEAR_INTERRUPT) = 1;
      alarm_seen = 1;
    }
    REG32(PLIC_CLAIM0) = id;
  } else if (cause == 0x80000007u) {
    mtimecmp_write(~0ull); /* the safety timeout: the alarm never came */
    alarm_seen = -1;
  } else {
    printf("unexpected trap %08lx\n", (unsigned long)cause);
    finish(2);
  }
}

int main(void) {
  char date[16];

  /* ── The date it starts from ── */
  uint64_t t = rtc_read();
  uint64_t secs = t / NS_PER_S;
  format_date(date, (uint32_t)(secs / 86400));
  printf("RTC: %s, %s\n", date, secs % 86400 == 0 ? "within a second of midnight" : "later than expected");

  /* ── TIME_HIGH is the word latched by reading TIME_LOW ── */
  uint32_t hi = (uint32_t)(t >> 32);
  REG32(TIME_HIGH) = hi + 5;
  expect(REG32(TIME_HIGH) == hi, "TIME_HIGH read before TIME_LOW gives the latched word");
  (void)REG32(TIME_LOW);
  expect(REG32(TIME_HIGH) == hi + 5, "a write to TIME_HIGH sets the high word");
  REG32(TIME_LOW) = 0;
  uint32_t lo = REG32(TIME_LOW);
  expect(lo < NS_PER_MS && REG32(TIME_HIGH) == hi + 5, "a write to TIME_LOW sets the low word, the high word stays");
  printf("TIME_HIGH latched by TIME_LOW; writes set each half: %s\n", failures == 0 ? "yes" : "no");

  /* ── Setting the time; it advances with mtime ── */
  const uint64_t set = (EPOCH_2026 + 1626 * 86400ull + 12 * 3600) * NS_PER_S; /* 2030-06-15T12:00:00Z */
  rtc_write(set);
  uint64_t back = rtc_read();
  format_date(date, (uint32_t)(back / NS_PER_S / 86400));
  expect(back >= set && back - set < NS_PER_MS, "the time reads back as written");
  uint64_t m0 = mtime_read();
  uint64_t r0 = rtc_read();
  sleep_ticks(2 * MTIME_HZ / 1000);
  uint64_t r1 = rtc_read();
  uint64_t m1 = mtime_read();
  uint64_t dr = r1 - r0, dm = (m1 - m0) * (NS_PER_S / MTIME_HZ);
  expect(dr + NS_PER_MS / 10 > dm && dm + NS_PER_MS / 10 > dr, "the RTC advances with mtime");
  printf("set to %s 12:00:00; advances with mtime: %s\n", date, dr + NS_PER_MS / 10 > dm && dm + NS_PER_MS / 10 > dr ? "yes" : "no");

  /* ── Alarm registers ── */
  REG32(ALARM_HIGH) = 0x7fffffffu;
  int high_arms = REG32(ALARM_STATUS) != 0;
  REG32(ALARM_LOW) = 0x12345678u;
  int low_arms = REG32(ALARM_STATUS) == 1;
  int readback = REG32(ALARM_HIGH) == 0x7fffffffu && REG32(ALARM_LOW) == 0x12345678u;
  REG32(CLEAR_ALARM) = 1;
  int cleared = REG32(ALARM_STATUS) == 0;
  REG32(IRQ_ENABLED) = 3;
  int enabled = REG32(IRQ_ENABLED) == 1;
  REG32(IRQ_ENABLED) = 0;
  expect(!high_arms && low_arms && readback && cleared && enabled, "alarm registers");
  printf("alarm: ALARM_HIGH does not arm, ALARM_LOW arms, read back, CLEAR_ALARM, IRQ_ENABLED bit 0: %s\n",
         !high_arms && low_arms && readback && cleared && enabled ? "yes" : "no");

  /* ── An alarm in the past fires at once; its interrupt waits for IRQ_ENABLED ── */
  REG32(PLIC_PRIORITY(RTC_IRQ)) = 1;
  REG32(PLIC_THRESHOLD0) = 0;
  REG32(PLIC_ENABLE0) = 1u << RTC_IRQ;
  alarm_write(rtc_read() - NS_PER_S);
  uint32_t status = REG32(ALARM_STATUS);
  uint32_t claim_disabled = REG32(PLIC_CLAIM0);
  if (claim_disabled) REG32(PLIC_CLAIM0) = claim_disabled;
  REG32(IRQ_ENABLED) = 1;
  uint32_t claim_enabled = REG32(PLIC_CLAIM0);
  REG32(CLEAR_INTERRUPT) = 1;
  if (claim_enabled) REG32(PLIC_CLAIM0) = claim_enabled;
  uint32_t claim_cleared = REG32(PLIC_CLAIM0);
  if (claim_cleared) REG32(PLIC_CLAIM0) = claim_cleared;
  expect(status == 0 && claim_disabled == 0 && claim_enabled == RTC_IRQ && claim_cleared == 0, "an alarm in the past");
  printf("alarm in the past: status %lu at once; claims: %lu while disabled, %lu enabled, %lu after CLEAR_INTERRUPT\n",
         (unsigned long)status, (unsigned long)claim_disabled, (unsigned long)claim_enabled, (unsigned long)claim_cleared);

  /* ── An alarm 2 ms ahead wakes the hart through the PLIC ── */
  csr_write(mtvec, (uint32_t)(uintptr_t)isr);
  uint64_t start = mtime_read();
  alarm_write(rtc_read() + 2 * NS_PER_MS);
  uint32_t armed = REG32(ALARM_STATUS);
  mtimecmp_write(start + MTIME_HZ / 10); /* 100 ms: the alarm did not come */
  csr_set(mie, (1u << 11) | (1u << 7));
  csr_set(mstatus, 1u << 3);
  while (!alarm_seen) __asm__ volatile("wfi");
  csr_clear(mstatus, 1u << 3);
  mtimecmp_write(~0ull);
  uint64_t waited = alarm_at - start;
  int in_time = alarm_seen == 1 && waited >= 2 * MTIME_HZ / 1000 && waited < 3 * MTIME_HZ / 1000;
  expect(armed == 1 && in_time && status_in_isr == 0, "an alarm 2 ms ahead");
  printf("alarm 2 ms ahead: armed %lu, interrupt %s, status %lu in the handler\n", (unsigned long)armed,
         alarm_seen != 1 ? "never came" : in_time ? "after 2-3 ms" : "at the wrong time", (unsigned long)status_in_isr);
  return failures;
}
