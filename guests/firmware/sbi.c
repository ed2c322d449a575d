/* wasmvisor's M-mode SBI firmware (guests/firmware/): what OpenSBI's fw_dynamic does on QEMU's
 * virt board, small enough to read in one sitting. It boots as QEMU boots a firmware (-bios): a0
 * = hart id, a1 = the flattened device tree, a2 = OpenSBI's struct fw_dynamic_info (magic
 * "OSBI", version, next_addr, next_mode, options, boot_hart), then
 *
 *   - reserves its own memory in the device tree (a /memreserve/ entry) and denies it to S and U
 *     with PMP entry 0; PMP entry 1 lets S and U reach everything else (as OpenSBI does);
 *   - delegates to S every exception but the ECALL from S (SBI calls) and the S-level interrupts
 *     (mideleg SSIP, STIP, SEIP); OpenSBI keeps illegal instructions and misaligned or faulting
 *     accesses to emulate rdtime, misaligned accesses and the like first, none of which this
 *     hart needs: it reads `time` itself and does misaligned loads and stores in hardware;
 *   - enables the counters below M (mcounteren, scounteren: cycle, time, instret) and Sstc
 *     (menvcfgh.STCE) when the hart has it;
 *   - enters the kernel at next_addr in S-mode with a0 = hart id, a1 = the device tree.
 *
 * It then answers the SBI v2.0 (Base, TIME, IPI, RFENCE, HSM, SRST, DBCN, the legacy
 * extensions) with the QEMU virt devices: the 16550 UART for the console, the CLINT (or stimecmp
 * with Sstc) for the timer, the test device for shutdown and reboot. Results and errors follow
 * the SBI specification v2.0 (chapter 3: a0 = error, a1 = value).
 *
 * Several harts (QEMU's -smp N, wasmvisor's --harts N): hart 0 boots the kernel; every other
 * hart sets itself up as hart 0 did (PMP, delegation, counters) and waits, stopped, until the
 * kernel starts it with HSM hart_start. Harts reach each other through the CLINT's software
 * interrupt (msip) with what is asked in a word per hart: an IPI (the target sets its own SSIP),
 * FENCE.I, SFENCE.VMA. A remote fence returns once every target has done it. */
#include "lib.h"

#define RAM_BASE 0x80000000u

/* SBI extension IDs and errors (SBI specification v2.0). */
#define EID_BASE 0x10
#define EID_TIME 0x54494d45
#define EID_IPI 0x735049
#define EID_RFENCE 0x52464e43
#define EID_HSM 0x48534d
#define EID_SRST 0x53525354
#define EID_DBCN 0x4442434e
#define SBI_SUCCESS 0
#define SBI_ERR_FAILED (-1)
#define SBI_ERR_NOT_SUPPORTED (-2)
#define SBI_ERR_INVALID_PARAM (-3)
#define SBI_ERR_ALREADY_AVAILABLE (-6)
#define SPEC_VERSION (2u << 24)
/* Not in the SBI implementation-ID registry: wasmvisor ("WMV"), the same as its built-in SBI. */
#define IMPL_ID 0x574d56
#define IMPL_VERSION 0x10000 /* firmware 1.0 */

#define FW_DYNAMIC_MAGIC 0x4942534fu
#define FW_DYNAMIC_NEXT_MODE_S 1

#define MSTATUS_MPP (3u << 11)
#define MSTATUS_MPP_S (1u << 11)
#define MSTATUS_MPIE (1u << 7)
#define MIP_SSIP (1u << 1)
#define MIP_STIP (1u << 5)
#define MIP_SEIP (1u << 9)
#define MIP_MTIP (1u << 7)
#define MIP_MSIP (1u << 3)
#define IRQ_MSI 3
#define MENVCFGH_STCE (1u << 31)
#define CAUSE_ECALL_S 9
#define CAUSE_ECALL_M 11
#define IRQ_MTI 7

#define csr_read(csr) ({ u32 v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" ::"rK"(v))
#define csr_set(csr, v) __asm__ volatile("csrs " #csr ", %0" ::"rK"(v))
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" ::"rK"(v))

extern char __fw_end[];
extern void fw_trap_entry(void);

#define MAX_HARTS 8
/* SBI HSM states. */
#define HART_STARTED 0
#define HART_STOPPED 1
#define HART_START_PENDING 2
/* What one hart asks of another (ipi_asked), besides the software interrupt that carries it. */
#define ASK_SSIP 1u
#define ASK_FENCE_I 2u
#define ASK_SFENCE 4u

static u8 trap_stack[MAX_HARTS][2048] __attribute__((aligned(16)));
/* The firmware's memory (a NAPOT region: a power of two from RAM_BASE), and RAM's end. */
static u32 fw_size, ram_end;
static int has_sstc;
/* Harts: how many (the CLINT's), each one's HSM state, where hart_start sends it. */
static u32 nharts = 1;
static volatile u32 hart_state[MAX_HARTS];
static volatile u32 start_addr[MAX_HARTS], start_opaque[MAX_HARTS];
static volatile u32 ipi_asked[MAX_HARTS];
extern volatile u32 fw_boot_done;

static void fatal(const char *what, u32 value) __attribute__((noreturn));
static void fatal(const char *what, u32 value) {
  puts_("wasmvisor-sbi: ");
  puts_(what);
  put_hex(value);
  uart_putc('\n');
  finish((1u << 16) | 0x3333);
}

/* Add /memreserve/ {base, size} to the tree in place: the entries before the terminator stay,
 * everything after them moves up 16 bytes (the tree has room above it: QEMU, and wasmvisor,
 * place it 1 MiB below the next 2 MiB boundary or the end of RAM, whichever is lower). */
static void fdt_add_memreserve(u8 *fdt, u32 base, u32 size) {
  u32 total = be32(fdt + 4), rsv = be32(fdt + 16);
  u8 *at = fdt + rsv;
  while (be32(at) | be32(at + 4) | be32(at + 8) | be32(at + 12)) at += 16;
  memmove(at + 16, at, (u32)(fdt + total - at));
  u32 words[4] = {0, base, 0, size};
  for (int i = 0; i < 4; i++) {
    at[4 * i] = (u8)(words[i] >> 24);
    at[4 * i + 1] = (u8)(words[i] >> 16);
    at[4 * i + 2] = (u8)(words[i] >> 8);
    at[4 * i + 3] = (u8)words[i];
  }
  u32 fields[3] = {4, 8, 12}; /* totalsize, off_dt_struct, off_dt_strings */
  for (int i = 0; i < 3; i++) {
    u8 *f = fdt + fields[i];
    u32 v = be32(f) + 16;
    f[0] = (u8)(v >> 24), f[1] = (u8)(v >> 16), f[2] = (u8)(v >> 8), f[3] = (u8)v;
  }
}

/* This hart's M-mode set-up, the same on every hart: PMP (the firmware denied below M), its
 * trap stack, delegation to S, counters, Sstc, and the software interrupt that carries requests
 * from other harts (taken whenever the hart runs below M). */
static void hart_setup(u32 hartid) {
  /* PMP 0: the firmware, NAPOT, no access below M. PMP 1: everything, NAPOT, RWX. */
  csr_write(pmpaddr0, (RAM_BASE | (fw_size / 2 - 1)) >> 2);
  csr_write(pmpaddr1, 0xffffffffu);
  csr_write(pmpcfg0, 0x1f18u);
  csr_write(mscratch, (u32)(trap_stack[hartid] + sizeof trap_stack[hartid]));
  csr_write(mtvec, (u32)fw_trap_entry);
  /* Delegate to S: every exception but ECALLs from S and M, and the S-level interrupts. */
  csr_write(medeleg, 0xffffu & ~((1u << CAUSE_ECALL_S) | (1u << 10) | (1u << CAUSE_ECALL_M)));
  csr_write(mideleg, MIP_SSIP | MIP_STIP | MIP_SEIP);
  csr_write(mie, MIP_MSIP);
  /* Counters below M; Sstc if the hart has it (STCE sticks). */
  csr_write(mcounteren, 7);
  csr_write(scounteren, 7);
  csr_set(0x31a, MENVCFGH_STCE);
}

/* Enter the next stage at `addr` in S-mode with a0 = hart id, a1 = arg, translation off. */
static void enter_s(u32 hartid, u32 addr, u32 arg) __attribute__((noreturn));
static void enter_s(u32 hartid, u32 addr, u32 arg) {
  csr_write(satp, 0);
  csr_write(sie, 0);
  csr_write(mepc, addr);
  csr_clear(mstatus, MSTATUS_MPP | MSTATUS_MPIE);
  csr_set(mstatus, MSTATUS_MPP_S);
  register u32 a0 __asm__("a0") = hartid;
  register u32 a1 __asm__("a1") = arg;
  __asm__ volatile("mret" ::"r"(a0), "r"(a1));
  __builtin_unreachable();
}

/* The harts there are: a hart's mtimecmp in the CLINT keeps what is written to it only if the
 * hart exists (the others read 0). */
static u32 count_harts(void) {
  u32 n = 0;
  while (n < MAX_HARTS) {
    volatile u32 *hi = (volatile u32 *)(CLINT_MTIMECMP + 8 * n + 4);
    *hi = 0x7fffffffu;
    int there = *hi == 0x7fffffffu;
    *hi = 0xffffffffu;
    if (!there) break;
    n++;
  }
  return n ? n : 1;
}

/* Do what other harts asked of this one (the software interrupt that came with it is cleared
 * first, so a request made meanwhile raises it again). */
static void serve_requests(u32 hartid) {
  MMIO32(CLINT_BASE + 4 * hartid) = 0;
  u32 asked = __atomic_exchange_n(&ipi_asked[hartid], 0u, __ATOMIC_ACQ_REL);
  if (asked & ASK_SSIP) csr_set(mip, MIP_SSIP);
  if (asked & ASK_FENCE_I) __asm__ volatile("fence.i" ::: "memory");
  if (asked & ASK_SFENCE) __asm__ volatile("sfence.vma" ::: "memory");
}

/* Ask hart h for `what` (ASK_*). */
static void ask(u32 h, u32 what) {
  __atomic_fetch_or(&ipi_asked[h], what, __ATOMIC_ACQ_REL);
  MMIO32(CLINT_BASE + 4 * h) = 1;
}

/* A stopped hart waits here until hart_start names it, then enters S at what it was given. */
static void wait_for_start(u32 hartid) __attribute__((noreturn));
static void wait_for_start(u32 hartid) {
  while (hart_state[hartid] != HART_START_PENDING) {
    __asm__ volatile("wfi");
    serve_requests(hartid);
  }
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  u32 addr = start_addr[hartid], opaque = start_opaque[hartid];
  csr_clear(mip, MIP_SSIP);
  hart_state[hartid] = HART_STARTED;
  enter_s(hartid, addr, opaque);
}

/* Every hart but hart 0 (start.S calls this once the firmware is set up). */
void fw_secondary(u32 hartid) __attribute__((noreturn));
void fw_secondary(u32 hartid) {
  if (hartid >= nharts) {
    csr_write(mie, 0);
    for (;;) __asm__ volatile("wfi");
  }
  hart_setup(hartid);
  wait_for_start(hartid);
}

void fw_main(u32 hartid, u8 *fdt, const u32 *info) __attribute__((noreturn));
void fw_main(u32 hartid, u8 *fdt, const u32 *info) {
  uart_init();
  if (info[0] != FW_DYNAMIC_MAGIC || info[1] < 2) fatal("a2 does not point at a fw_dynamic_info (magic \"OSBI\", version 2): ", info[0]);
  u32 next = info[2];
  if (info[3] != FW_DYNAMIC_NEXT_MODE_S) fatal("only an S-mode next stage is supported; next_mode is ", info[3]);
  if (be32(fdt) != 0xd00dfeedu) fatal("a1 does not point at a device tree: ", (u32)fdt);
  u32 len = 0;
  const u8 *reg = fdt_prop(fdt, "/memory", "reg", &len);
  if (!reg || len != 16 || be32(reg + 4) != RAM_BASE) fatal("the device tree has no /memory at 0x80000000: ", (u32)fdt);
  ram_end = RAM_BASE + be32(reg + 12);

  /* Own memory: a power of two from RAM_BASE covering the image, its stacks included. */
  fw_size = 4096;
  while (fw_size < (u32)__fw_end - RAM_BASE) fw_size <<= 1;
  fdt_add_memreserve(fdt, RAM_BASE, fw_size);
  hart_setup(hartid);
  has_sstc = (csr_read(0x31a) & MENVCFGH_STCE) != 0;
  nharts = count_harts();
  for (u32 h = 0; h < MAX_HARTS; h++) hart_state[h] = h == hartid ? HART_STARTED : HART_STOPPED;
  /* The other harts may set themselves up now (start.S waits for this). */
  __atomic_store_n(&fw_boot_done, 1u, __ATOMIC_RELEASE);

  puts_("wasmvisor-sbi: SBI v2.0 firmware (Base TIME IPI RFENCE HSM SRST DBCN, legacy)\n");
  puts_("wasmvisor-sbi: hart ");
  put_dec(hartid);
  puts_(", device tree ");
  put_hex((u32)fdt);
  puts_(", firmware 0x80000000+");
  put_hex(fw_size);
  puts_(" reserved, timer ");
  puts_(has_sstc ? "stimecmp (Sstc)" : "CLINT");
  if (nharts > 1) {
    puts_(", ");
    put_dec(nharts);
    puts_(" harts");
  }
  puts_("\nwasmvisor-sbi: next stage at ");
  put_hex(next);
  puts_(" in S-mode\n");
  enter_s(hartid, next, (u32)fdt);
}

/* The trap frame (trap.S): f[0] = mepc, f[r] = x[r]. */
#define A(n) f[10 + (n)]

/* Is hart h named by {mask, base}? (base -1: all harts.) */
static int names_hart(u32 mask, u32 base, u32 h) {
  if (base == 0xffffffffu) return 1;
  return h >= base && h - base < 32 && ((mask >> (h - base)) & 1);
}

/* A hart mask naming only harts there are (else SBI_ERR_INVALID_PARAM). */
static int valid_mask(u32 mask, u32 base) {
  if (base == 0xffffffffu) return 1;
  if (base >= nharts) return mask == 0;
  u32 room = nharts - base;
  return room >= 32 || (mask >> room) == 0;
}

/* Ask every started hart {mask, base} names for `what`; this hart does its part itself. A fence
 * returns once every target has done it (serving what is asked of this hart meanwhile, so two
 * harts fencing each other do not wait for ever). */
static void ask_harts(u32 mask, u32 base, u32 what) {
  u32 self = csr_read(mhartid);
  for (u32 h = 0; h < nharts; h++) {
    if (!names_hart(mask, base, h) || hart_state[h] != HART_STARTED) continue;
    if (h == self) {
      if (what & ASK_SSIP) csr_set(mip, MIP_SSIP);
      if (what & ASK_FENCE_I) __asm__ volatile("fence.i" ::: "memory");
      if (what & ASK_SFENCE) __asm__ volatile("sfence.vma" ::: "memory");
    } else {
      ask(h, what);
    }
  }
  if (!(what & (ASK_FENCE_I | ASK_SFENCE))) return;
  for (u32 h = 0; h < nharts; h++) {
    if (h == self || !names_hart(mask, base, h)) continue;
    while ((__atomic_load_n(&ipi_asked[h], __ATOMIC_ACQUIRE) & what) && hart_state[h] == HART_STARTED) {
      if (__atomic_load_n(&ipi_asked[self], __ATOMIC_ACQUIRE)) serve_requests(self);
    }
  }
}

static void set_timer(u32 lo, u32 hi) {
  u32 cmp = CLINT_MTIMECMP + 8 * csr_read(mhartid);
  if (has_sstc) {
    /* Write the high half to "never" first, so no intermediate value fires. */
    csr_write(0x15d, 0xffffffffu);
    csr_write(0x14d, lo);
    csr_write(0x15d, hi);
  } else {
    MMIO32(cmp + 4) = 0xffffffffu;
    MMIO32(cmp) = lo;
    MMIO32(cmp + 4) = hi;
    csr_clear(mip, MIP_STIP);
    csr_set(mie, MIP_MTIP);
  }
}

static void sfence_range(u32 start, u32 size, u32 asid, int by_asid) {
  if (size == 0xffffffffu || size > 0x100000u) {
    if (by_asid) __asm__ volatile("sfence.vma x0, %0" ::"r"(asid) : "memory");
    else __asm__ volatile("sfence.vma" ::: "memory");
    return;
  }
  for (u32 off = 0; off < size; off += 4096) {
    if (by_asid) __asm__ volatile("sfence.vma %0, %1" ::"r"(start + off), "r"(asid) : "memory");
    else __asm__ volatile("sfence.vma %0" ::"r"(start + off) : "memory");
  }
}

/* May S name [lo, lo + n) for the debug console? RAM only, and not the firmware's. */
static int dbcn_range_ok(u32 lo, u32 hi, u32 n) {
  if (hi != 0 || lo < RAM_BASE + fw_size || lo >= ram_end) return 0;
  return n <= ram_end - lo;
}

static void stop(u32 value) __attribute__((noreturn));
static void stop(u32 value) {
  finish(value);
}

/* Returns a0 (error) and sets *value (a1). */
static i32 sbi_call(u32 *f, u32 *value) {
  u32 eid = A(7), fid = A(6);
  *value = 0;
  switch (eid) {
    case 0x00: /* legacy set_timer (a0 low, a1 high) */
      set_timer(A(0), A(1));
      return 0;
    case 0x01: /* legacy console_putchar */
      uart_putc((int)A(0));
      return 0;
    case 0x02: /* legacy console_getchar: the byte, or -1 */
      return uart_getc();
    case 0x03: /* legacy clear_ipi */
      csr_clear(mip, MIP_SSIP);
      return 0;
    case 0x04: /* legacy send_ipi: hart 0 is the only one */
      csr_set(mip, MIP_SSIP);
      return 0;
    case 0x05: /* legacy remote_fence_i */
      __asm__ volatile("fence.i" ::: "memory");
      return 0;
    case 0x06: /* legacy remote_sfence_vma */
    case 0x07: /* legacy remote_sfence_vma_asid */
      sfence_range(A(1), A(2), A(3), eid == 0x07);
      return 0;
    case 0x08: /* legacy shutdown */
      stop(0x5555);
    case EID_BASE:
      switch (fid) {
        case 0: *value = SPEC_VERSION; return SBI_SUCCESS;
        case 1: *value = IMPL_ID; return SBI_SUCCESS;
        case 2: *value = IMPL_VERSION; return SBI_SUCCESS;
        case 3: {
          u32 e = A(0);
          *value = e <= 0x08 || e == EID_BASE || e == EID_TIME || e == EID_IPI || e == EID_RFENCE || e == EID_HSM ||
            e == EID_SRST || e == EID_DBCN;
          return SBI_SUCCESS;
        }
        case 4: *value = csr_read(mvendorid); return SBI_SUCCESS;
        case 5: *value = csr_read(marchid); return SBI_SUCCESS;
        case 6: *value = csr_read(mimpid); return SBI_SUCCESS;
      }
      return SBI_ERR_NOT_SUPPORTED;
    case EID_TIME:
      if (fid != 0) return SBI_ERR_NOT_SUPPORTED;
      set_timer(A(0), A(1));
      return SBI_SUCCESS;
    case EID_IPI:
      if (fid != 0) return SBI_ERR_NOT_SUPPORTED;
      if (!valid_mask(A(0), A(1))) return SBI_ERR_INVALID_PARAM;
      ask_harts(A(0), A(1), ASK_SSIP);
      return SBI_SUCCESS;
    case EID_RFENCE:
      if (fid > 2) return SBI_ERR_NOT_SUPPORTED; /* hypervisor fences: no H extension */
      if (!valid_mask(A(0), A(1))) return SBI_ERR_INVALID_PARAM;
      if (nharts == 1) {
        if (fid == 0) __asm__ volatile("fence.i" ::: "memory");
        else sfence_range(A(2), A(3), A(4), fid == 2);
      } else {
        /* (another hart flushes all its translations: more than the range asked, never less) */
        ask_harts(A(0), A(1), fid == 0 ? ASK_FENCE_I : ASK_SFENCE);
      }
      return SBI_SUCCESS;
    case EID_HSM:
      switch (fid) {
        case 0: { /* hart_start(hartid, start_addr, opaque) */
          u32 h = A(0);
          if (h >= nharts) return SBI_ERR_INVALID_PARAM;
          if (hart_state[h] != HART_STOPPED) return SBI_ERR_ALREADY_AVAILABLE;
          start_addr[h] = A(1);
          start_opaque[h] = A(2);
          __atomic_store_n(&hart_state[h], HART_START_PENDING, __ATOMIC_RELEASE);
          MMIO32(CLINT_BASE + 4 * h) = 1;
          return SBI_SUCCESS;
        }
        case 1: { /* hart_stop: this hart waits to be started again; the last one stops the machine */
          u32 self = csr_read(mhartid), started = 0;
          for (u32 h = 0; h < nharts; h++) started += h != self && hart_state[h] != HART_STOPPED;
          if (started == 0) stop(0x5555);
          hart_state[self] = HART_STOPPED;
          csr_clear(mip, MIP_SSIP);
          wait_for_start(self);
        }
        case 2: /* hart_get_status */
          if (A(0) >= nharts) return SBI_ERR_INVALID_PARAM;
          *value = hart_state[A(0)];
          return SBI_SUCCESS;
      }
      return SBI_ERR_NOT_SUPPORTED; /* hart_suspend */
    case EID_SRST:
      if (fid != 0) return SBI_ERR_NOT_SUPPORTED;
      if (A(0) > 2 || A(1) > 1) return SBI_ERR_INVALID_PARAM;
      /* type 0 shutdown, 1 cold and 2 warm reboot; reason 0 none, 1 system failure */
      if (A(0) != 0) stop(0x7777);
      stop(A(1) == 0 ? 0x5555 : (1u << 16) | 0x3333);
    case EID_DBCN:
      if (fid == 2) { /* write_byte */
        uart_putc((int)(A(0) & 0xff));
        return SBI_SUCCESS;
      }
      if (fid > 2) return SBI_ERR_NOT_SUPPORTED;
      if (!dbcn_range_ok(A(1), A(2), A(0))) return SBI_ERR_INVALID_PARAM;
      if (fid == 0) { /* write(num_bytes, base_lo, base_hi) */
        const u8 *p = (const u8 *)A(1);
        for (u32 i = 0; i < A(0); i++) uart_putc(p[i]);
        *value = A(0);
      } else { /* read: what is waiting, at most num_bytes */
        u8 *p = (u8 *)A(1);
        u32 n = 0;
        int c;
        while (n < A(0) && (c = uart_getc()) >= 0) p[n++] = (u8)c;
        *value = n;
      }
      return SBI_SUCCESS;
  }
  return SBI_ERR_NOT_SUPPORTED;
}

void fw_trap(u32 *f) {
  u32 cause = csr_read(mcause);
  if (cause == CAUSE_ECALL_S) {
    u32 value;
    u32 eid = A(7);
    i32 error = sbi_call(f, &value);
    A(0) = (u32)error;
    if (eid > 0x08) A(1) = value; /* the legacy extensions return a0 only */
    f[0] += 4;
    return;
  }
  if (cause == (0x80000000u | IRQ_MSI)) {
    serve_requests(csr_read(mhartid));
    return;
  }
  if (cause == (0x80000000u | IRQ_MTI)) {
    /* The CLINT timer (no Sstc): it becomes the supervisor's timer interrupt. */
    csr_clear(mie, MIP_MTIP);
    csr_set(mip, MIP_STIP);
    return;
  }
  fatal("unexpected trap in M-mode, mcause ", cause);
}
