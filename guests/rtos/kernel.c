/* The RTOS kernel: fixed-priority preemptive scheduling, tickless timed releases, counting
 * semaphores and message queues, PLIC interrupt dispatch (interface and contexts: kernel.h).
 *
 * ── Scheduling ───────────────────────────────────────────────────────────────────────────────
 * Up to K_PRIORITIES tasks, one per priority; the highest ready task always runs. The ready
 * queue is a bitmap indexed by priority, and `highest[]` maps a bitmap byte to its top bit, so
 * choosing the next task is two loads whatever the load. The running task stays in the bitmap;
 * blocking clears its bit. Semaphores and queues keep their waiters the same way, so a give or
 * send wakes the highest-priority waiter in constant time. The idle task (priority 0, main()
 * after k_start) never blocks, so the bitmap is never empty once started.
 *
 * ── Traps: the only way into the kernel ──────────────────────────────────────────────────────
 * trap.S has the single trap entry: it saves all 31 registers and mepc into the current task's
 * TCB (mscratch points there while a task runs), switches to the kernel stack and calls
 * k_trap(mcause), which handles the interrupt or system call, picks the highest ready task and
 * returns its TCB; trap.S restores that task and MRETs. The kernel therefore runs with
 * interrupts disabled from the trap to the MRET. Those are its interrupt-disabled sections,
 * besides the boot (main until k_start) and one k_irq_save in k_task_info (a few loads); the
 * demo adds two in main.c (stats_snapshot, stats_reset). README.md lists their measured
 * lengths: 110-205 instructions for kernel entries, at most 66 for the others.
 * System calls are ECALLs (kernel.h): every ECALL is ours. Hypercalls are WVCALLs
 * (sdk/wasmvisor.h), which wasmvisor takes; on the bare machine a WVCALL is an illegal
 * instruction, and k_trap answers it "not supported".
 * Tasks always trap with interrupts enabled (system calls from a critical section are refused),
 * so MRET's MIE := MPIE re-enables interrupts for whichever task resumes, and mstatus needs no
 * per-task copy.
 *
 * ── Time: tickless ───────────────────────────────────────────────────────────────────────────
 * There is no periodic tick. Sleeping tasks wait in a list sorted by their absolute wake-up time
 * (mtime), and mtimecmp is programmed one-shot to the head of that list; the timer interrupt
 * wakes every task that is due and re-arms for the next. Why:
 *   - Release jitter. A task's release is the exact instant it asked for, not the next tick
 *     after it: nothing is rounded to a tick, so the jitter is only the fixed interrupt-to-task
 *     path plus whatever held interrupts off — not path + up to one tick period.
 *   - Resolution for free. Any period (1 ms control, 5 s reporting, anything else) is exact to
 *     the 100 ns mtime tick, with no tick rate to choose and no tick counter to overflow.
 *   - No idle wake-ups. Between releases the hart sleeps (WFI, or the recv hypercall in a
 *     partition). A 1 kHz tick would wake the partition, cost a world switch and use its budget
 *     (the default system gives the RTOS 200 us per ms) a thousand times a second even when
 *     nothing is due; a faster tick for finer releases would cost proportionally more.
 * The cost is a sorted insertion (at most K_PRIORITIES - 1 steps) when a task goes to sleep,
 * which happens in the sleeping task's own system call, not on the release path. The timer
 * interrupt only pops due tasks from the head of the list.
 */
#include <stdio.h>
#include "kernel.h"
#include "platform.h"
#include "wasmvisor.h"

#define PLIC_BASE 0x0c000000u
#define PLIC_PRIORITY(s) (PLIC_BASE + 4u * (s))
#define PLIC_ENABLE_M(w) (PLIC_BASE + 0x2000u + 4u * (w)) /* context 0: hart 0, M-mode */
#define PLIC_THRESHOLD_M (PLIC_BASE + 0x200000u)
#define PLIC_CLAIM_M (PLIC_BASE + 0x200004u)
#define PLIC_SOURCES 96

#define MCAUSE_MTI 0x80000007u /* machine timer interrupt */
#define MCAUSE_MEI 0x8000000bu /* machine external interrupt (the PLIC) */
#define CAUSE_ILLEGAL 2
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_STORE_ACCESS 7
#define CAUSE_ECALL_M 11
#define MIE_MTIE (1u << 7)
#define MIE_MEIE (1u << 11)
#define MSTATUS_MIE (1u << 3)
#define MSTATUS_MPIE (1u << 7)

#define STACK_PAINT 0x5354434bu /* "STCK": never-used stack words still hold it */
#define IDLE_STACK_WATCHED 4096u /* the top of the boot stack (common/virt.ld: 64 KiB below
                                    __stack_top) that k_task_info watches for the idle task */

/* A task control block. ctx must stay first: trap.S saves into and restores from it. */
struct k_task {
  uint32_t ctx[32];       /* ctx[0] = pc (mepc), ctx[n] = register xn (x0 is not kept) */
  struct k_task *next;    /* K_SLEEPING: the next sleeper, later or equal wake time */
  uint64_t wake;          /* K_SLEEPING: mtime to wake at */
  uint32_t *msg;          /* K_QUEUE_WAIT: where the message goes */
  const char *name;
  uint32_t *stack;
  uint32_t stack_size;
  uint32_t activations;
  uint8_t priority, state;
};

#define REG_RA 1
#define REG_SP 2
#define REG_GP 3
#define REG_A0 10
#define REG_A1 11
#define REG_A7 17

/* trap.S */
void k_trap_entry(void);
extern const char k_probe_insn[], k_probe_fixup[];
extern char __stack_top[];

static struct k_task tasks[K_PRIORITIES];           /* indexed by priority */
static struct k_task *const by_priority[K_PRIORITIES] = {
  &tasks[0], &tasks[1], &tasks[2], &tasks[3], &tasks[4], &tasks[5], &tasks[6], &tasks[7],
};                                                  /* (a load instead of a multiply) */
_Static_assert(K_PRIORITIES == 8, "by_priority lists every priority");
static uint8_t order[K_PRIORITIES];                 /* priorities in creation order (idle first) */
static unsigned task_count;
static uint8_t highest[256];                        /* highest[b] = index of b's top bit (b > 0) */
static uint32_t ready;                              /* bitmap of the ready tasks' priorities */
static uint32_t created;                            /* tasks k_start makes ready */
static struct k_task *sleepers;                     /* sorted by wake, earliest first */
static void (*irq_handlers[PLIC_SOURCES])(unsigned);
static struct k_task *k_current;                    /* the running task (mscratch = its TCB while it runs) */
int k_hypervisor;

static void fatal(const char *why, uint32_t cause) __attribute__((noreturn));
static void fatal(const char *why, uint32_t cause) {
  printf("rtos: fatal: %s in task %s: mcause=0x%08lx mepc=0x%08lx mtval=0x%08lx\n", why, k_current->name,
         (unsigned long)cause, (unsigned long)k_current->ctx[0], (unsigned long)csr_read(mtval));
  finish(99);
}

/* ── Ready queue ────────────────────────────────────────────────────────────────────────────── */

static void make_ready(struct k_task *t) {
  ready |= 1u << t->priority;
  t->state = K_READY;
  t->activations++;
}

static void block(struct k_task *t, unsigned state) {
  if (t->priority == 0) fatal("the idle task may not block", CAUSE_ECALL_M);
  ready &= ~(1u << t->priority);
  t->state = (uint8_t)state;
}

/* Take the highest-priority task out of a waiter bitmap. */
static struct k_task *take_waiter(uint32_t *waiters) {
  unsigned p = highest[*waiters];
  *waiters &= ~(1u << p);
  return by_priority[p];
}

static void copy_words(uint32_t *to, const uint32_t *from, unsigned n) {
  for (unsigned i = 0; i < n; i++) to[i] = from[i];
}

/* ── Timer: one-shot to the earliest sleeper ────────────────────────────────────────────────── */

/* Callers arm it only when the earliest wake-up changes: the timer interrupt (the head was
 * due, so the new head is later) and a sleep that becomes the new head. */
static void timer_arm(uint64_t when) {
  REG32(CLINT_MTIMECMP + 4) = 0xffffffffu; /* no early interrupt between the two halves */
  REG32(CLINT_MTIMECMP) = (uint32_t)when;
  REG32(CLINT_MTIMECMP + 4) = (uint32_t)(when >> 32);
}

/* The release path: wake everything due, re-arm for the next. */
static void timer_interrupt(void) {
  uint64_t now = k_now();
  struct k_task *t;
  while ((t = sleepers) != NULL && t->wake <= now) {
    sleepers = t->next;
    make_ready(t);
  }
  timer_arm(t ? t->wake : UINT64_MAX);
}

static void sleep_until(struct k_task *t, uint64_t when) {
  if (when <= k_now()) return; /* already due */
  t->wake = when;
  struct k_task **link = &sleepers;
  while (*link && (*link)->wake <= when) link = &(*link)->next; /* after equals: FIFO */
  t->next = *link;
  *link = t;
  block(t, K_SLEEPING);
  if (sleepers == t) timer_arm(when);
}

/* ── Semaphores and queues (shared by task and interrupt context) ─────────────────────────── */

static void sem_give(struct k_sem *s) {
  if (s->waiters) make_ready(take_waiter(&s->waiters));
  else if (s->count != UINT32_MAX) s->count++;
}

static void sem_take(struct k_task *t, struct k_sem *s) {
  if (s->count) s->count--;
  else {
    s->waiters |= 1u << t->priority;
    block(t, K_SEM_WAIT);
  }
}

static int queue_send(struct k_queue *q, const uint32_t *msg) {
  if (q->waiters) { /* the queue is empty: straight into the highest waiter's buffer */
    struct k_task *r = take_waiter(&q->waiters);
    copy_words(r->msg, msg, q->msg_words);
    make_ready(r);
    return K_OK;
  }
  if (q->count == q->capacity) return K_EFULL;
  unsigned slot = q->head + q->count;
  if (slot >= q->capacity) slot -= q->capacity;
  copy_words(q->buf + slot * q->msg_words, msg, q->msg_words);
  q->count++;
  return K_OK;
}

static void queue_receive(struct k_task *t, struct k_queue *q, uint32_t *msg) {
  if (q->count) {
    copy_words(msg, q->buf + q->head * q->msg_words, q->msg_words);
    q->head = (uint16_t)(q->head + 1 == q->capacity ? 0 : q->head + 1);
    q->count--;
  } else {
    t->msg = msg;
    q->waiters |= 1u << t->priority;
    block(t, K_QUEUE_WAIT);
  }
}

void k_sem_give_from_isr(struct k_sem *s) { sem_give(s); }
int k_queue_send_from_isr(struct k_queue *q, const void *msg) { return queue_send(q, msg); }

/* ── System calls and interrupts ──────────────────────────────────────────────────────────── */

__attribute__((noinline)) static void system_call(struct k_task *t) {
  uint32_t a0 = t->ctx[REG_A0], a1 = t->ctx[REG_A1];
  if (!(csr_read(mstatus) & MSTATUS_MPIE)) /* it would resume with interrupts off */
    fatal("system call with interrupts disabled", CAUSE_ECALL_M);
  switch (t->ctx[REG_A7]) {
    case K_SYS_SLEEP_UNTIL: sleep_until(t, (uint64_t)a1 << 32 | a0); break;
    case K_SYS_SEM_TAKE: sem_take(t, (struct k_sem *)a0); break;
    case K_SYS_SEM_GIVE: sem_give((struct k_sem *)a0); break;
    case K_SYS_QUEUE_SEND: t->ctx[REG_A0] = (uint32_t)queue_send((struct k_queue *)a0, (const uint32_t *)a1); break;
    case K_SYS_QUEUE_RECEIVE: queue_receive(t, (struct k_queue *)a0, (uint32_t *)a1); break;
    case K_SYS_EXIT: block(t, K_DORMANT); break;
    case K_SYS_YIELD: break; /* the choice below is all it asks for */
    default: fatal("unknown system call", CAUSE_ECALL_M);
  }
}

__attribute__((noinline)) static void external_interrupt(void) {
  for (uint32_t id; (id = REG32(PLIC_CLAIM_M)) != 0;) {
    if (id < PLIC_SOURCES && irq_handlers[id]) irq_handlers[id](id);
    REG32(PLIC_CLAIM_M) = id; /* complete */
  }
}

/* ── Measuring the kernel's interrupt-disabled sections (-DRTOS_MEASURE) ──────────────────── */

#ifdef RTOS_MEASURE
/* k_trap names the kind of each trap in k_measure_class: timer, external, system call n at
 * n + 1, and everything else (hypercalls on the bare machine, probe faults) last. trap.S reads
 * minstret at entry and exit and keeps the longest per kind in k_longest, counting the whole
 * trap but its own measuring instructions; the store here is the only other addition (1-2
 * instructions). */
uint32_t k_measure_entry, k_measure_class;
uint32_t k_longest[K_MEASURE_CLASSES];
const char *const k_measure_names[K_MEASURE_CLASSES] = {
  "timer", "external", "sleep_until", "sem_take", "sem_give", "queue_send", "queue_receive", "exit", "yield", "other",
};
#define MEASURE(class) (k_measure_class = (class))

int k_measure_format(char *text, size_t size) {
  int n = snprintf(text, size, "longest kernel entries (instructions):");
  for (unsigned i = 0; i < K_MEASURE_CLASSES && n > 0 && (size_t)n < size; i++)
    if (k_longest[i]) n += snprintf(text + n, size - (size_t)n, " %s %lu", k_measure_names[i], (unsigned long)k_longest[i]);
  return n;
}
#else
#define MEASURE(class) ((void)(class))
#endif

/* ── The dispatcher ───────────────────────────────────────────────────────────────────────── */

/* Is the instruction at `pc` a WVCALL? (Read as two halfwords: with compressed code, pc may be
 * only 2-aligned.) */
static int is_wvcall(uint32_t pc) {
  const volatile uint16_t *p = (const volatile uint16_t *)pc;
  return ((uint32_t)p[0] | (uint32_t)p[1] << 16) == WV_WVCALL;
}

/* Called by trap.S, on the kernel stack, interrupts disabled, with the current task's registers
 * saved in its TCB. Returns the task to resume. */
struct k_task *k_trap(uint32_t cause) {
  struct k_task *t = k_current;
  if (cause == MCAUSE_MTI) {
    MEASURE(0);
    timer_interrupt();
  } else if (cause == MCAUSE_MEI) {
    MEASURE(1);
    external_interrupt();
  } else if (cause == CAUSE_ECALL_M) {
    t->ctx[0] += 4; /* resume after the ECALL, whenever that is */
    uint32_t n = t->ctx[REG_A7]; /* system call n: class n + 1 */
    MEASURE(n >= K_SYS_SLEEP_UNTIL && n <= K_SYS_YIELD ? n + 1 : K_MEASURE_CLASSES - 1);
    system_call(t);
  } else if (cause == CAUSE_ILLEGAL && is_wvcall(t->ctx[0])) {
    /* A hypercall where there is no hypervisor (the bare machine): not supported. */
    MEASURE(K_MEASURE_CLASSES - 1);
    t->ctx[0] += 4;
    t->ctx[REG_A0] = (uint32_t)WV_ERR_NOT_SUPPORTED;
  } else if ((cause == CAUSE_LOAD_ACCESS || cause == CAUSE_STORE_ACCESS) && t->ctx[0] == (uint32_t)k_probe_insn) {
    MEASURE(K_MEASURE_CLASSES - 1);
    t->ctx[0] = (uint32_t)k_probe_fixup; /* k_probe_write: nothing at that address */
  } else {
    fatal((int32_t)cause < 0 ? "unexpected interrupt" : "exception", cause);
  }
  return k_current = by_priority[highest[ready]];
}

/* ── Set-up ─────────────────────────────────────────────────────────────────────────────────── */

static void paint(uint32_t *from, uint32_t *to) {
  while (from < to) *from++ = STACK_PAINT;
}

void k_init(void) {
  for (unsigned b = 1; b < 256; b++) highest[b] = (uint8_t)(31 - __builtin_clz(b));
  /* main() is the idle task from here on, on the boot stack. */
  struct k_task *idle = &tasks[0];
  idle->name = "idle";
  idle->stack = (uint32_t *)((uintptr_t)__stack_top - IDLE_STACK_WATCHED);
  idle->stack_size = IDLE_STACK_WATCHED;
  uint32_t *sp;
  __asm__ volatile("mv %0, sp" : "=r"(sp));
  paint(idle->stack, sp - 64); /* well below this frame */
  idle->activations = 1;
  order[task_count++] = 0;
  ready = 1;
  k_current = idle;
  csr_write(mscratch, (uint32_t)(uintptr_t)idle->ctx);
  csr_write(mtvec, (uint32_t)(uintptr_t)k_trap_entry);
  timer_arm(UINT64_MAX);
  REG32(PLIC_THRESHOLD_M) = 0;
  struct wv_regs r = {0};
  wv_hypercall(WV_FID_VERSION, &r); /* bare machine: k_trap answers WV_ERR_NOT_SUPPORTED */
  k_hypervisor = (int32_t)r.a0 == WV_OK;
}

static void task_exit(void) {
  k_syscall2(K_SYS_EXIT, 0, 0);
}

int k_task_create(const char *name, unsigned priority, k_entry entry, void *arg, void *stack, size_t stack_size) {
  if (priority == 0 || priority >= K_PRIORITIES || (created & (1u << priority))) return -1;
  struct k_task *t = &tasks[priority];
  t->name = name;
  t->priority = (uint8_t)priority;
  t->state = K_READY;
  t->activations = 1;
  t->stack = stack;
  t->stack_size = stack_size & ~15u;
  paint(t->stack, t->stack + t->stack_size / 4);
  uint32_t gp;
  __asm__ volatile("mv %0, gp" : "=r"(gp));
  t->ctx[0] = (uint32_t)(uintptr_t)entry;
  t->ctx[REG_RA] = (uint32_t)(uintptr_t)task_exit;
  t->ctx[REG_SP] = (uint32_t)(uintptr_t)t->stack + t->stack_size;
  t->ctx[REG_GP] = gp;
  t->ctx[REG_A0] = (uint32_t)(uintptr_t)arg;
  created |= 1u << priority;
  order[task_count++] = (uint8_t)priority;
  return 0;
}

void k_irq_attach(unsigned source, void (*handler)(unsigned source)) {
  if (source == 0 || source >= PLIC_SOURCES) return;
  irq_handlers[source] = handler;
  REG32(PLIC_PRIORITY(source)) = 1;
  REG32(PLIC_ENABLE_M(source / 32)) |= 1u << (source % 32);
}

void k_start(void) {
  ready |= created;
  csr_set(mie, MIE_MTIE | MIE_MEIE);
  csr_set(mstatus, MSTATUS_MIE);
  k_syscall2(K_SYS_YIELD, 0, 0); /* the highest task runs; back here when only idle is ready */
}

int k_task_info(unsigned i, struct k_task_info *info) {
  if (i >= task_count) return 0;
  const struct k_task *t = &tasks[order[i]];
  uint32_t irq = k_irq_save(); /* a consistent state/activations pair: a few loads */
  info->state = t == k_current ? K_RUNNING : t->state;
  info->activations = t->activations;
  k_irq_restore(irq);
  info->name = t->name;
  info->priority = t->priority;
  const uint32_t *w = t->stack;
  while (w < t->stack + t->stack_size / 4 && *w == STACK_PAINT) w++;
  info->stack_size = t->stack_size;
  info->stack_used = t->stack_size - (uint32_t)((w - t->stack) * 4);
  return 1;
}
