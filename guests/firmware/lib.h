/* Small helpers of the M-mode firmware programs (guests/firmware/): the 16550 console, number
 * printing, the test device, and reading a flattened device tree (Devicetree Specification
 * v0.4, chapter 5). No C library: the firmware runs before anything else. */
#ifndef FW_LIB_H
#define FW_LIB_H

typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef unsigned char u8;

/* QEMU virt's devices (the board wasmvisor's partitions model). */
#define UART0_BASE 0x10000000u
#define TEST_BASE 0x00100000u
#define CLINT_BASE 0x02000000u
#define CLINT_MTIMECMP (CLINT_BASE + 0x4000u)
#define CLINT_MTIME (CLINT_BASE + 0xbff8u)

#define MMIO32(a) (*(volatile u32 *)(a))
#define MMIO8(a) (*(volatile u8 *)(a))

void uart_init(void);
void uart_putc(int c);
/* The next byte of input, or -1 when none is waiting. */
int uart_getc(void);
void puts_(const char *s);
void put_hex(u32 v);
void put_dec(u32 v);
/* The test device: 0x5555 pass, (code << 16) | 0x3333 fail, 0x7777 reset. Does not return. */
void finish(u32 value) __attribute__((noreturn));

u32 be32(const void *p);
/* The FDT's property `prop` of the node at `path` ("/chosen", "/memory"; a node matches a path
 * element with or without its @unit-address), its length in *len; 0 when there is none. */
const void *fdt_prop(const void *fdt, const char *path, const char *prop, u32 *len);

void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);
void *memmove(void *d, const void *s, unsigned long n);
int strcmp_(const char *a, const char *b);

#endif
