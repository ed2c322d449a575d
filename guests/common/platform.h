/* The QEMU-virt platform as seen by wasmvisor's C guests: UART0, CLINT, test finisher. */
#ifndef WASMVISOR_PLATFORM_H
#define WASMVISOR_PLATFORM_H
#include <stdint.h>

#define UART0_BASE     0x10000000u
#define CLINT_BASE     0x02000000u
#define CLINT_MSIP     (CLINT_BASE + 0x0000u)
#define CLINT_MTIMECMP (CLINT_BASE + 0x4000u)
#define CLINT_MTIME    (CLINT_BASE + 0xbff8u)
#define FINISHER_BASE  0x00100000u
#define MTIME_HZ       10000000u

#define REG8(a)  (*(volatile uint8_t *)(uintptr_t)(a))
#define REG32(a) (*(volatile uint32_t *)(uintptr_t)(a))

#define csr_read(csr) ({ uint32_t v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" ::"rK"(v))
#define csr_set(csr, v) __asm__ volatile("csrs " #csr ", %0" ::"rK"(v))
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" ::"rK"(v))

void uart_putc(char c);
int uart_getc(void);            /* -1 when no byte is waiting */
uint64_t mtime_read(void);
void mtimecmp_write(uint64_t when);
void finish(int code) __attribute__((noreturn)); /* 0 = pass */

#endif
