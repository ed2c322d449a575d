/* The RTOS kernel's interface (kernel.c, trap.S): fixed-priority preemptive tasks, tickless
 * timed releases, counting semaphores, message queues, PLIC interrupt handlers.
 *
 * Contexts. Task context: a task's own code, interrupts enabled. Interrupt context: a handler
 * attached with k_irq_attach, called by the kernel's dispatcher with interrupts disabled. The
 * kernel itself runs only inside traps (interrupts disabled by the hart), so its state needs no
 * locks; tasks reach it through ECALL (the k_* calls below), never by touching it directly.
 *
 *   from tasks:       k_sleep_until, k_sem_take, k_sem_give, k_queue_send, k_queue_receive
 *                     (only with interrupts enabled: never inside k_irq_save/k_irq_restore)
 *   from handlers:    k_sem_give_from_isr, k_queue_send_from_isr, k_now
 *   before k_start:   k_init, k_task_create, k_irq_attach
 */
#ifndef RTOS_KERNEL_H
#define RTOS_KERNEL_H
#include <stddef.h>
#include <stdint.h>

/* Priorities 0 (lowest: the idle task, which is main() itself after k_start) to K_PRIORITIES-1.
 * Each task has its own priority: the ready queue is a bitmap with one bit per priority. */
#define K_PRIORITIES 8

/* Task states (struct k_task_info.state; K_RUNNING there only: to the kernel it is ready). */
enum k_state { K_READY, K_SLEEPING, K_SEM_WAIT, K_QUEUE_WAIT, K_DORMANT, K_RUNNING };

/* Errors. */
#define K_OK 0
#define K_EFULL (-1) /* k_queue_send*: the queue is full; the message was not sent */

typedef void (*k_entry)(void *arg);

/* A counting semaphore: K_SEM_INIT(initial count). */
struct k_sem {
  uint32_t count;
  uint32_t waiters; /* bitmap of the priorities of the tasks blocked in k_sem_take */
};
#define K_SEM_INIT(n) { (n), 0 }

/* A message queue of `capacity` messages of `msg_words` 32-bit words each (messages are copied
 * in and out; their buffers must be word-aligned). K_QUEUE_DEFINE(name, type, capacity) defines
 * one with its storage. */
struct k_queue {
  uint32_t *buf;
  uint16_t msg_words, capacity;
  uint16_t head, count;
  uint32_t waiters; /* bitmap of the priorities of the tasks blocked in k_queue_receive */
};
#define K_QUEUE_DEFINE(name, type, cap)                                                     \
  _Static_assert(sizeof(type) % 4 == 0, "queue messages are whole words");                 \
  static uint32_t name##_storage[(cap) * sizeof(type) / 4];                                  \
  static struct k_queue name = { name##_storage, sizeof(type) / 4, (cap), 0, 0, 0 }

/* What k_task_info reports (the RTOS_CMD_TASKS reply). */
struct k_task_info {
  const char *name;
  uint8_t priority, state;
  uint32_t activations;           /* times it was made ready: creation, then every wake-up */
  uint32_t stack_used, stack_size; /* high-water mark of its stack, in bytes */
};

/* ── Set-up (main, before k_start) ────────────────────────────────────────────────────────── */

/** Take over the hart's traps; main() becomes the idle task (priority 0) on the boot stack. */
void k_init(void);
/** A task, started by k_start. Returns 0, or -1 for a priority in use or out of range. */
int k_task_create(const char *name, unsigned priority, k_entry entry, void *arg, void *stack, size_t stack_size);
/** Call handler(source) in interrupt context whenever PLIC source `source` (1..95) fires. */
void k_irq_attach(unsigned source, void (*handler)(unsigned source));
/** Start the tasks: the highest runs now; this returns in the idle task once all are blocked. */
void k_start(void);

/** Is a wasmvisor hypervisor answering hypercalls? (k_init asks it; on the bare machine the
 *  kernel answers them itself with WV_ERR_NOT_SUPPORTED.) */
extern int k_hypervisor;

/* ── Time ─────────────────────────────────────────────────────────────────────────────────── */

/** mtime (10 MHz), read consistently. */
static inline uint64_t k_now(void) {
  volatile uint32_t *mtime = (volatile uint32_t *)0x0200bff8u;
  uint32_t hi, lo;
  do {
    hi = mtime[1];
    lo = mtime[0];
  } while (hi != mtime[1]);
  return (uint64_t)hi << 32 | lo;
}

/* ── System calls (task context) ──────────────────────────────────────────────────────────── */

/* ECALL with a7 = the call number, arguments in a0..a1, result in a0; every other register is
 * preserved. (Every ECALL is the RTOS's own: hypercalls are WVCALLs, sdk/wasmvisor.h.) */
enum { K_SYS_SLEEP_UNTIL = 1, K_SYS_SEM_TAKE, K_SYS_SEM_GIVE, K_SYS_QUEUE_SEND, K_SYS_QUEUE_RECEIVE, K_SYS_EXIT, K_SYS_YIELD };

static inline uint32_t k_syscall2(uint32_t n, uint32_t x, uint32_t y) {
  register uint32_t a0 __asm__("a0") = x;
  register uint32_t a1 __asm__("a1") = y;
  register uint32_t a7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a7) : "memory");
  return a0;
}

/** Block until mtime >= when (an absolute release time: no drift). Returns at once if past. */
static inline void k_sleep_until(uint64_t when) {
  k_syscall2(K_SYS_SLEEP_UNTIL, (uint32_t)when, (uint32_t)(when >> 32));
}
/** Take one unit of the semaphore, blocking while there is none (highest priority first). */
static inline void k_sem_take(struct k_sem *s) { k_syscall2(K_SYS_SEM_TAKE, (uint32_t)(uintptr_t)s, 0); }
/** Give one unit: to the highest-priority waiter if any, else to the count. */
static inline void k_sem_give(struct k_sem *s) { k_syscall2(K_SYS_SEM_GIVE, (uint32_t)(uintptr_t)s, 0); }
/** Send a copy of *msg: K_OK, or K_EFULL (it never blocks). */
static inline int k_queue_send(struct k_queue *q, const void *msg) {
  return (int)k_syscall2(K_SYS_QUEUE_SEND, (uint32_t)(uintptr_t)q, (uint32_t)(uintptr_t)msg);
}
/** Receive the oldest message into *msg, blocking while the queue is empty. */
static inline void k_queue_receive(struct k_queue *q, void *msg) {
  k_syscall2(K_SYS_QUEUE_RECEIVE, (uint32_t)(uintptr_t)q, (uint32_t)(uintptr_t)msg);
}

/* ── Interrupt context ────────────────────────────────────────────────────────────────────── */

void k_sem_give_from_isr(struct k_sem *s);
int k_queue_send_from_isr(struct k_queue *q, const void *msg);

/* ── Short critical sections in tasks ─────────────────────────────────────────────────────── */

/** Disable interrupts; returns the previous state for k_irq_restore. Keep the section short:
 *  it adds to every other task's release jitter. No k_* call inside. */
static inline uint32_t k_irq_save(void) {
  uint32_t old;
  __asm__ volatile("csrrci %0, mstatus, 8" : "=r"(old)::"memory");
  return old & 8;
}
static inline void k_irq_restore(uint32_t old) { __asm__ volatile("csrs mstatus, %0" ::"r"(old) : "memory"); }

/** Store value at address unless nothing is mapped there: 0, or -1 (the access fault is caught).
 *  For probing a shared region that a system description may or may not map. */
int k_probe_write(volatile uint32_t *address, uint32_t value);

/** The state of the task at index i (0 = idle, then in creation order); 0 when there is none. */
int k_task_info(unsigned i, struct k_task_info *info);

/* -DRTOS_MEASURE: the longest kernel entry (trap to MRET, interrupts disabled throughout) seen
 * so far, in instructions, per kind: k_longest[i] for k_measure_names[i]. */
#define K_MEASURE_CLASSES 10
#ifdef RTOS_MEASURE
extern uint32_t k_longest[K_MEASURE_CLASSES];
extern const char *const k_measure_names[K_MEASURE_CLASSES];
/** One line (no newline) of the figures above; snprintf's result. */
int k_measure_format(char *text, size_t size);
#endif

#endif
