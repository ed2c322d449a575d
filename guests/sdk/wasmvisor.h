/* The wasmvisor guest SDK: hypercalls, IPC channels and the Microkit-style entry points.
 *
 * ── The hypercall ABI ────────────────────────────────────────────────────────────────────────
 * The hypercall instruction WVCALL (0x5760000B: the custom-0 opcode, funct3 0, rd = rs1 = x0,
 * imm 0x576), with the SBI register convention: the extension ID EID 0x08574D56 ("\x08WMV") in
 * a7, the function ID in a6, arguments in a0..a5. It works from a machine-mode partition's
 * M-mode and from a supervisor-mode partition's S-mode; anywhere else — user mode, or a machine
 * without wasmvisor (the bare machine, QEMU, hardware) — it is an illegal instruction (mcause 2,
 * mtval = its bits), so a guest can tell whether it runs under wasmvisor. A machine-mode
 * partition's ECALLs are all its own: wasmvisor never takes them. (A supervisor-mode partition
 * may also use ECALL with the same registers: there the SBI is the hypervisor's.) Results come
 * back in a0 (an SBI error code: 0 success, -1 FAILED, -2 NOT_SUPPORTED, -3 INVALID_PARAM,
 * -4 DENIED) and, as listed, in a1..a6. Registers not listed are preserved. WVCALL with another
 * EID in a7 returns NOT_SUPPORTED.
 *
 *   FID  name        arguments                      results
 *   0    version     -                              a1 = 1
 *   1    partition   -                              a1 = this partition's index
 *   2    yield       -                              (the rest of the slice goes to others)
 *   3    notify      a0 = channel                   -
 *   4    ppcall      a0 = channel, a1 = msginfo,    a1 = reply msginfo, a2..a5 = reply MRs
 *                    a2..a5 = MR0..MR3
 *   5    reply       a1 = msginfo, a2..a5 = MRs     -          (active servers only)
 *   6    recv        -                              a0 = event (below)
 *   7    reply_recv  a1 = msginfo, a2..a5 = MRs     a0 = event (below)
 *
 * recv and reply_recv block until a protected call arrives — a0 = WV_EV_CALL, a1 = its
 * msginfo, a2..a5 = its MRs, a6 = the channel — or, like WFI, until an interrupt is pending:
 * a0 = WV_EV_NONE (take the interrupt, then wait again).
 *
 * ── Channels ─────────────────────────────────────────────────────────────────────────────────
 * A channel connects two partitions (system description "channels"); each end has its own id
 * (0..62). notify is asynchronous and coalescing: it raises the channel's interrupt at the other
 * end, PLIC source 32 + id there (pending once however often it is raised, until claimed). A
 * protected procedure call (ppcall) is synchronous: it goes to the end marked "pp", whose
 * partition must have the higher priority; the caller waits for the reply. A passive server
 * ("passive": true) runs only on its callers' time. A message is a msginfo word — label << 4 |
 * count — and count (0..4) message registers; a longer message is refused (INVALID_PARAM).
 * Shared memory regions are mapped by the system description, with permissions.
 *
 * ── Microkit-style programs ──────────────────────────────────────────────────────────────────
 * A machine-mode C program linked with wasmvisor-rt.c may define init(), notified(ch) and
 * protected(ch, msginfo) and call wv_main(): init() runs, then every channel interrupt calls
 * notified() and every protected call protected(), whose result is the reply (its MRs are set
 * with wv_mr_set). Programs with their own main loop use the calls below directly.
 */
#ifndef WASMVISOR_H
#define WASMVISOR_H
#include <stdint.h>

#define WV_EID 0x08574d56u
/** The hypercall instruction's encoding. */
#define WV_WVCALL 0x5760000bu
/** WVCALL in assembly (needs no assembler support for custom instructions). */
#define WV_WVCALL_ASM ".insn i 0x0b, 0, x0, x0, 0x576"

#define WV_FID_VERSION 0
#define WV_FID_PARTITION 1
#define WV_FID_YIELD 2
#define WV_FID_NOTIFY 3
#define WV_FID_PPCALL 4
#define WV_FID_REPLY 5
#define WV_FID_RECV 6
#define WV_FID_REPLY_RECV 7

#define WV_OK 0
#define WV_ERR_FAILED (-1)
#define WV_ERR_NOT_SUPPORTED (-2)
#define WV_ERR_INVALID_PARAM (-3)
#define WV_ERR_DENIED (-4)

#define WV_EV_NONE 0
#define WV_EV_CALL 1

#define WV_MR_MAX 4
/** PLIC source of channel `ch` at this partition. */
#define WV_CHANNEL_IRQ(ch) (32u + (ch))

typedef uint32_t wv_channel;
typedef uint32_t wv_msginfo;

static inline wv_msginfo wv_msginfo_new(uint32_t label, uint32_t count) { return label << 4 | (count & 0xf); }
static inline uint32_t wv_msginfo_label(wv_msginfo m) { return m >> 4; }
static inline uint32_t wv_msginfo_count(wv_msginfo m) { return m & 0xf; }

/** The message registers of this partition: arguments of the next call or reply, results of
 *  the last one. */
extern uint32_t wv_mr[WV_MR_MAX];
static inline void wv_mr_set(unsigned i, uint32_t v) { wv_mr[i] = v; }
static inline uint32_t wv_mr_get(unsigned i) { return wv_mr[i]; }

/* The raw hypercall: a0..a5 in, a0..a6 out. */
struct wv_regs { uint32_t a0, a1, a2, a3, a4, a5, a6; };

static inline void wv_hypercall(uint32_t fid, struct wv_regs *r) {
  register uint32_t a0 __asm__("a0") = r->a0;
  register uint32_t a1 __asm__("a1") = r->a1;
  register uint32_t a2 __asm__("a2") = r->a2;
  register uint32_t a3 __asm__("a3") = r->a3;
  register uint32_t a4 __asm__("a4") = r->a4;
  register uint32_t a5 __asm__("a5") = r->a5;
  register uint32_t a6 __asm__("a6") = fid;
  register uint32_t a7 __asm__("a7") = WV_EID;
  __asm__ volatile(WV_WVCALL_ASM : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5), "+r"(a6) : "r"(a7) : "memory");
  r->a0 = a0; r->a1 = a1; r->a2 = a2; r->a3 = a3; r->a4 = a4; r->a5 = a5; r->a6 = a6;
}

static inline int32_t wv_partition(void) {
  struct wv_regs r = {0};
  wv_hypercall(WV_FID_PARTITION, &r);
  return (int32_t)r.a1;
}

static inline void wv_yield(void) {
  struct wv_regs r = {0};
  wv_hypercall(WV_FID_YIELD, &r);
}

/** Notify the other end of channel `ch`. Returns an error code. */
static inline int32_t wv_notify(wv_channel ch) {
  struct wv_regs r = {0};
  r.a0 = ch;
  wv_hypercall(WV_FID_NOTIFY, &r);
  return (int32_t)r.a0;
}

/** Protected procedure call on channel `ch` with wv_mr[0..count): returns the error code; the
 *  reply's msginfo goes to *reply and its MRs to wv_mr. */
static inline int32_t wv_ppcall(wv_channel ch, wv_msginfo msginfo, wv_msginfo *reply) {
  struct wv_regs r = { ch, msginfo, wv_mr[0], wv_mr[1], wv_mr[2], wv_mr[3], 0 };
  wv_hypercall(WV_FID_PPCALL, &r);
  if ((int32_t)r.a0 == WV_OK) {
    if (reply) *reply = r.a1;
    wv_mr[0] = r.a2; wv_mr[1] = r.a3; wv_mr[2] = r.a4; wv_mr[3] = r.a5;
  }
  return (int32_t)r.a0;
}

/** Answer the current call with msginfo and wv_mr (active servers). */
static inline int32_t wv_reply(wv_msginfo msginfo) {
  struct wv_regs r = { 0, msginfo, wv_mr[0], wv_mr[1], wv_mr[2], wv_mr[3], 0 };
  wv_hypercall(WV_FID_REPLY, &r);
  return (int32_t)r.a0;
}

/** A received event: a call (channel, msginfo; MRs in wv_mr) or an interrupt to take. */
struct wv_event { int32_t kind; wv_channel channel; wv_msginfo msginfo; };

static inline struct wv_event wv_event_from(const struct wv_regs *r) {
  struct wv_event e = { (int32_t)r->a0, r->a6, r->a1 };
  if (e.kind == WV_EV_CALL) { wv_mr[0] = r->a2; wv_mr[1] = r->a3; wv_mr[2] = r->a4; wv_mr[3] = r->a5; }
  return e;
}

/** Wait for a protected call (or an interrupt). */
static inline struct wv_event wv_recv(void) {
  struct wv_regs r = {0};
  wv_hypercall(WV_FID_RECV, &r);
  return wv_event_from(&r);
}

/** Answer the current call (if any) with msginfo and wv_mr, then wait for the next. */
static inline struct wv_event wv_reply_recv(wv_msginfo msginfo) {
  struct wv_regs r = { 0, msginfo, wv_mr[0], wv_mr[1], wv_mr[2], wv_mr[3], 0 };
  wv_hypercall(WV_FID_REPLY_RECV, &r);
  return wv_event_from(&r);
}

/* ── Machine-mode runtime (wasmvisor-rt.c) ─────────────────────────────────────────────────── */

/** Microkit-style entry points (defined by the program when it calls wv_main). */
void init(void);
void notified(wv_channel ch);
wv_msginfo protected(wv_channel ch, wv_msginfo msginfo);

/** Run init(), then serve notifications and protected calls forever. */
void wv_main(void) __attribute__((noreturn));

/** Install the runtime's trap handler (wv_main does it): channel interrupts call notified(). */
void wv_trap_init(void);
/** Let channel `ch`'s interrupt through the PLIC to this hart's M-mode. */
void wv_channel_irq_enable(wv_channel ch);

/** Hooks a program may define (weak defaults in the runtime): the machine timer interrupt, and
 *  exceptions — return the pc to resume at (the default reports the trap and fails). */
void wv_timer_interrupt(void);
uint32_t wv_exception(uint32_t mcause, uint32_t mepc, uint32_t mtval);

#endif
