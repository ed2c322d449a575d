// The one map of wasmvisor's linear memory. The core (assembly/) and the host (src/) both import
// this file; no offset is written down anywhere else. Every value is a byte offset into the
// linear memory shared by the core and the host (a WebAssembly.Memory for the Wasm core, an
// ArrayBuffer for the pure-TS core).
//
//   0x0000_0000 ┌──────────────────────────────────────────────┐
//               │ AssemblyScript static data (asc output)      │  must end below SYS_BASE
//   0x0001_0000 ├──────────────────────────────────────────────┤ SYS_BASE
//               │ system block: run control, exit info,        │
//               │ virtual clock, host→core requests, trace,    │
//               │ statistics, the running vCPU's x registers   │
//   0x0001_1000 ├──────────────────────────────────────────────┤ PHYSMAP_BASE
//               │ physical memory maps, one per partition:     │
//               │ PHYSMAP_MAX regions × 16 bytes               │
//   0x0001_2000 ├──────────────────────────────────────────────┤ SCHED_BASE
//               │ the schedule: major frame, windows, quantum  │
//   0x0002_0000 ├──────────────────────────────────────────────┤ VCPU_BASE
//               │ vCPU 0: registers, pc, privilege, CSRs,      │
//               │   counters, timers, scheduling state, split  │
//               │   TLBs for each privilege level, shadow      │
//               │   page tables (one per recent address space) │
//               │ vCPU 1 … VCPU_MAX-1 (same layout)            │
//   0x000E_8000 ├──────────────────────────────────────────────┤ THREAD_SYS_BASE
//               │ system blocks of the threaded build's host   │
//               │ threads: THREADS_MAX × 1 KiB (kernel/        │
//               │ threads.ts; unused by the one-thread cores), │
//               │ then (0xEC000) the time domains of partitions│
//               │ on threads: one 1 KiB block per partition    │
//   0x000F_0000 ├──────────────────────────────────────────────┤ TIMELINE_BASE
//               │ schedule timeline: a ring of 4096 entries    │
//               │ {clock lo, clock hi, vCPU, reason}           │
//   0x0010_0000 ├──────────────────────────────────────────────┤ STAGE2_BASE
//               │ stage-2 tables for nested paging: per        │
//               │ partition a root and level-0 tables (4 KiB)  │
//   0x003F_0000 ├──────────────────────────────────────────────┤ DIRTY_BASE
//               │ dirty-page bitmap: a bit per 4 KiB page of   │
//               │ guest RAM (live migration's pre-copy)        │
//   0x0040_0000 ├──────────────────────────────────────────────┤ RAM_HOST_BASE
//               │ guest RAM of every partition, and shared     │
//               │ memory regions (to the memory's end)         │
//               └──────────────────────────────────────────────┘
//
// A vCPU block (VCPU_SIZE bytes):
//
//   +0x000  x0..x31 while the vCPU is not running (the running one's are at HART_X)
//   +0x080  pc, privilege level, WFI and LR/SC state, device interrupt lines
//   +0x100  CSR words (one per CSR field that has state), counters, physical map
//   +0x180  guest mode, timers, scheduling state, statistics, debugger flags, SMP (the
//           partition's harts and their round-robin turn)
//   +0x240  shadow page table slots: {asid, root, age, used} per slot
//   +0x2a0  IPC: channel ids → channel table, call state and queued message, passive flag
//   +0x400  TLBs: for each privilege level U, S, M a fetch, a load and a store table of
//           TLB_ENTRIES direct-mapped entries {tag, addend}. tag = virtual page address (low 12
//           bits zero) or TLB_INVALID; addend = host address - virtual address, so a hit costs
//           one compare and one add. A tag compare against (va & (page mask | size-1)) also
//           rejects misaligned accesses, which then take the slow path.
//   +0x4c00 shadow page tables: SHADOW_SLOTS tables (one per recent address space) and one
//           more (SHADOW_GLOBAL) for the guest's global mappings, which every address space
//           shares; each of SHADOW_ENTRIES direct-mapped entries {tag, addend, pte, level}: the
//           composed translation of one guest virtual page (guest PTE permissions + where the
//           partition's map puts the page in host memory).
//   +0x18c00 PMP: pmpcfg0-3, pmpaddr0-15 (mmu/pmp.ts)
//   +0x18c80 Sdtrig triggers: tselect, what they may match, the debugger's last trigger stop,
//            {tdata1, tdata2} per trigger (kernel/trigger.ts)
//   +0x18d00 F and D: f0..f31 {lo, hi} (binary32 values NaN-boxed: hi all ones), fcsr, misa
//            (cpu/fpu.ts)
//   +0x18e08 pre-virtualization: patched sites on, sites completed in the fast loop, patched
//            sites that took the slow path (kernel/previrt.ts)
//   +0x18e14 trap-and-emulate exits by kind (EXIT_KINDS words; kernel/previrt.ts exitKind)
//   +0x18e54 vNUMA: the SBI's operations on harts of other nodes this hart asked (kernel/threads.ts)
//   +0x18e68 SMP: hart_starts of this hart (kernel/sbi.ts hartStart)
//   +0x18e6c end (VCPU_SIZE 0x19000)
//
// Multi-word counters and clock values are stored little-endian as {lo, hi} pairs of words.

// ── System block ────────────────────────────────────────────────────────────────────────────
/** Where the one-thread cores keep the system block (and what the host's SYS_* constants name). */
export const SYS_HOME: i32 = 0x10000;
/**
 * The running thread's system block. In the threaded build (build/core-mt.wasm, core-mt-ts.js:
 * harts on parallel host threads, docs/smp.md) scripts/build.mjs replaces this one line so that
 * every thread has its own block at THREAD_SYS_BASE + thread × THREAD_SYS_SIZE, given when the
 * thread instantiates the core; everything else in this map is shared.
 */
export const SYS_BASE: i32 = SYS_HOME; // @threaded-sys-base
/** True in the threaded build only (scripts/build.mjs, as SYS_BASE): atomics and fences that a
 *  one-thread core does not need. */
export const THREADED: bool = false; // @threaded-flag
/** The threaded build's per-thread system blocks (the area after the vCPUs). */
export const THREAD_SYS_BASE: i32 = 0xe8000;
export const THREAD_SYS_SIZE: i32 = 0x400;
export const THREADS_MAX: i32 = 8;
/** The time domains of partitions whose harts run on threads (one per partition, by index):
 *  blocks laid out as the system block, of which the clock words and the clock rate are used. */
export const DOMAIN_SYS_BASE: i32 = 0xec000;
/** Exit reason of the last run() (one of EXIT_*). */
export const SYS_EXIT_REASON: i32 = SYS_BASE + 0x00;
/** Host → core request bits (HOSTREQ_*); the core polls them after every MMIO access. */
export const SYS_HOST_REQ: i32 = SYS_BASE + 0x04;
/** Nonzero when the core runs the partitioned system (hvRun) rather than one bare machine. */
export const SYS_HV_MODE: i32 = SYS_BASE + 0x08;
/** Index of the vCPU that run() executes. */
export const SYS_CUR_VCPU: i32 = SYS_BASE + 0x0c;
/** Virtual clock in cycles: retired instructions plus idle time skipped in WFI. Not guest-writable. */
export const SYS_CLOCK_LO: i32 = SYS_BASE + 0x10;
export const SYS_CLOCK_HI: i32 = SYS_BASE + 0x14;
/** Clock cycles per mtime tick (mtime runs at 10 MHz; the default 10 gives a 100 MHz virtual hart). */
export const SYS_CYCLES_PER_TICK: i32 = SYS_BASE + 0x18;
/** Order of protected calls (kernel/ipc.ts): each call queued takes the next number, so a
 *  server receives its callers of equal priority first come, first served. */
export const SYS_IPC_SEQ: i32 = SYS_BASE + 0x1c;
/** Nonzero: every page of guest RAM written is marked in the dirty bitmap (DIRTY_BASE). */
export const SYS_DIRTY_ON: i32 = SYS_BASE + 0x20;
/** Clock value at the moment of the current MMIO access (so devices see exact time mid-slice). */
export const SYS_NOW_LO: i32 = SYS_BASE + 0x24;
export const SYS_NOW_HI: i32 = SYS_BASE + 0x28;
/** pc and raw bits of the instruction run() fetched last (the first one of every run() call). */
export const SYS_TRACE_PC: i32 = SYS_BASE + 0x2c;
export const SYS_TRACE_INSN: i32 = SYS_BASE + 0x30;
/** Instructions retired by the last run() call. */
export const SYS_RETIRED: i32 = SYS_BASE + 0x34;
/** Physical address of a "watched" store (EXIT_WATCH): HTIF tohost and the like. */
export const SYS_WATCH_ADDR: i32 = SYS_BASE + 0x38;
/** Paging mode of the partitioned system: PAGING_SHADOW or PAGING_NESTED. */
export const SYS_PAGING: i32 = SYS_BASE + 0x3c;
/** Statistics: TLB misses filled (walks), by kind. */
export const SYS_STAT_TLB_FILLS: i32 = SYS_BASE + 0x40;
export const SYS_STAT_MMIO: i32 = SYS_BASE + 0x44;
export const SYS_STAT_TRAPS: i32 = SYS_BASE + 0x48;
/** Work of the last run() call that retired nothing: traps taken and device accesses to be
 *  retried (EXIT_RETRY). Each costs one cycle of virtual time and one unit of budget, so a
 *  guest stuck in a trap loop still makes the clock and the budget advance. */
export const SYS_TRAPS: i32 = SYS_BASE + 0x4c;
/** Fetch table of the running vCPU's current privilege level. */
export const SYS_CUR_TLB_FETCH: i32 = SYS_BASE + 0x50;
/** Statistics: guest page-table walks, shadow-table hits, world switches, SBI calls. */
export const SYS_STAT_WALKS: i32 = SYS_BASE + 0x54;
export const SYS_STAT_SHADOW_HITS: i32 = SYS_BASE + 0x58;
export const SYS_STAT_SWITCHES: i32 = SYS_BASE + 0x5c;
export const SYS_STAT_SBI: i32 = SYS_BASE + 0x60;
/** vCPU that caused the last exit of hvRun() (EXIT_HALT, EXIT_HOST, EXIT_WATCH). */
export const SYS_EXIT_VCPU: i32 = SYS_BASE + 0x64;
/** Result of a slow hypercall the host served (env.hypercall): the SBI error and value words. */
export const SYS_HC_ERROR: i32 = SYS_BASE + 0x70;
export const SYS_HC_VALUE: i32 = SYS_BASE + 0x74;
/** The "extension" of a forwarded semihosting call (env.hypercall(vcpu, HC_SEMIHOSTING, op)):
 *  outside the SBI's ranges, so the host never mistakes it for an SBI call. The host answers
 *  with a0 in SYS_HC_VALUE, or asks for the call again (HOSTREQ_RETRY). */
export const HC_SEMIHOSTING: i32 = 0x53454d49; // "SEMI"
/** The threaded build's own call to its host (env.hypercall(vcpu, HC_THREAD_WAKE, index)): wake the
 *  thread of vCPU `index` (an IPI, a hart started, a fence asked of it). Never a guest's EID:
 *  the host thread of the caller answers it itself (src/machine/hart-thread.mjs). */
export const HC_THREAD_WAKE: i32 = 0x57414b45; // "WAKE"
/** vNUMA: the threaded build asks its host to do an operation (HART_OP_*, in the caller's
 *  V_REMOTE_OP/A/B) to vCPU `fid`, which runs on another node (env.hypercall(vcpu, HC_HART_REMOTE,
 *  index)); the answer comes into the caller's V_REMOTE_RESULT and V_REMOTE_WAIT counts down. */
export const HC_HART_REMOTE: i32 = 0x48415254; // "HART"
/** vNUMA: this thread's hart dropped the translations another node asked it to (FENCE_REMOTE). */
export const HC_FENCED: i32 = 0x46454e43; // "FENC"
/** The operations: set SSIP (an IPI; not answered), a remote SFENCE.VMA (answered once done),
 *  HSM hart_start (A: start address, B: opaque; answers an SBI error), HSM status (0 started). */
export const HART_OP_IPI: i32 = 1;
export const HART_OP_FENCE: i32 = 2;
export const HART_OP_START: i32 = 3;
export const HART_OP_STATUS: i32 = 4;
/** Nonzero: protected procedure calls and replies take the IPC fast path when they can. */
export const SYS_IPC_FAST: i32 = SYS_BASE + 0x78;
/** IPC statistics: calls, fast-path calls, fast-path replies, notifications. */
export const SYS_STAT_IPC_CALLS: i32 = SYS_BASE + 0x7c;
export const SYS_STAT_IPC_FAST_CALLS: i32 = SYS_BASE + 0x80;
export const SYS_STAT_IPC_FAST_REPLIES: i32 = SYS_BASE + 0x84;
export const SYS_STAT_IPC_NOTIFIES: i32 = SYS_BASE + 0x88;
/** Set when the running vCPU yields (hypercall): its round-robin turn ends (kernel/sched.ts). */
export const SYS_YIELDED: i32 = SYS_BASE + 0x8c;
/** The schedule timeline (TIMELINE_BASE, kernel/timeline.ts): entries written so far (wraps at
 *  2^32; entry k is at slot k mod TIMELINE_ENTRIES), and entries the host has consumed. */
export const SYS_TL_COUNT: i32 = SYS_BASE + 0x90;
export const SYS_TL_READ: i32 = SYS_BASE + 0x94;
/** Host: nonzero asks for back-pressure: when the host has not consumed TIMELINE_ENTRIES -
 *  TIMELINE_SLACK entries, the core requests HOSTREQ_TIMELINE (run() returns EXIT_TIMELINE). */
export const SYS_TL_STALL: i32 = SYS_BASE + 0x98;
/** What the latest timeline entry says runs, plus 2 (0: nothing recorded yet, 1: idle). */
export const SYS_TL_RUNNING: i32 = SYS_BASE + 0x9c;
/** A word of the thread's own that the threaded build's FENCE operates on (an atomic no-op). */
export const SYS_FENCE: i32 = SYS_BASE + 0xa0;
/**
 * Base of the translator's area (the JIT, docs/jit.md), or 0: the translator is off. The host
 * reserves JIT_AREA_BYTES after guest RAM when it turns the translator on (jitReset); the
 * area's map is JIT_* below.
 */
export const SYS_JIT_BASE: i32 = SYS_BASE + 0xa4;
/** Statistics of the translator: regions translated, guest instructions in them, entries into
 *  translated code, instructions retired there, invalidations (pages written, full flushes). */
export const SYS_STAT_JIT_REGIONS: i32 = SYS_BASE + 0xa8;
export const SYS_STAT_JIT_INSNS: i32 = SYS_BASE + 0xac;
export const SYS_STAT_JIT_ENTRIES: i32 = SYS_BASE + 0xb0;
export const SYS_STAT_JIT_RETIRED_LO: i32 = SYS_BASE + 0xb4;
export const SYS_STAT_JIT_RETIRED_HI: i32 = SYS_BASE + 0xb8;
export const SYS_STAT_JIT_INVALIDATIONS: i32 = SYS_BASE + 0xbc;
/** Where translated code of the Wasm back end leaves the pc it stopped at (jitExitPc()). */
export const SYS_JIT_EXIT_PC: i32 = SYS_BASE + 0xc0;
/**
 * vNUMA's page-granular distributed shared memory (docs/vnuma.md; the threaded build only):
 * the address of this node's rights table, or 0 (no DSM). The table has a byte per 4 KiB page
 * of host memory from RAM_HOST_BASE: DSM_NONE, DSM_READ (a read copy) or DSM_WRITE (this node
 * owns the page). A TLB miss (mmu/access.ts resolve) on RAM checks it; an access the table does
 * not allow does not complete: run() returns EXIT_RETRY with the page's host address in
 * SYS_DSM_PAGE and the right it needs in SYS_DSM_WANT, and the host fetches the page before the
 * hart goes on. Nothing is checked on a TLB hit: a page's entries are only ever filled with the
 * right the table gave, and the host drops a hart's translations before it lowers a right.
 */
export const SYS_DSM_BASE: i32 = SYS_BASE + 0xc4;
export const SYS_DSM_PAGE: i32 = SYS_BASE + 0xc8;
export const SYS_DSM_WANT: i32 = SYS_BASE + 0xcc;
/** The rights table's length in pages (guest RAM's): a host page past it is not shared. */
export const SYS_DSM_PAGES: i32 = SYS_BASE + 0xd0;
/** The translator: probes of a branch target before it is translated (0: JIT_HOT_DEFAULT). The
 *  host's choice (MachineOptions/HypervisorOptions `jitHot`, `--jit-hot`); tests set it low so
 *  that short programs are translated too. */
export const SYS_JIT_HOT: i32 = SYS_BASE + 0xd4;
/** A guest kernel runs much code a few hundred times (boot, fork, exec): translating it costs
 *  more than interpreting it. bench.elf's loops are probed millions of times. Measured in
 *  docs/jit.md (32 before: Linux's prompt 15x slower with the translator than without). */
export const JIT_HOT_DEFAULT: i32 = 16384;
/** The translator: regions alive now (each owned by a directory entry; borrowed entries do not
 *  count). A translation that would make more than JIT_LIVE_MAX drops every one first (jitFlush,
 *  counted in SYS_STAT_JIT_INVALIDATIONS), as QEMU flushes its full code buffer: the back ends'
 *  functions and modules — host memory — stay bounded whatever a guest does. Linux to its
 *  prompt makes ~20, bench.elf 6. */
export const SYS_JIT_LIVE: i32 = SYS_BASE + 0xd8;
export const JIT_LIVE_MAX: i32 = 512;
export const DSM_NONE: i32 = 0;
export const DSM_READ: i32 = 1;
export const DSM_WRITE: i32 = 2;
/**
 * x0..x31 of the running vCPU. The interpreter addresses them at this fixed place (one register
 * fewer in its hot loop); a vCPU that is not running keeps them in its own block at V_X, and
 * switching vCPUs copies the 32 words.
 */
export const HART_X: i32 = SYS_BASE + 0x100;
export const SYS_SIZE: i32 = 0x200;

// Exit reasons returned by run() and hvRun() and stored at SYS_EXIT_REASON.
/** The instruction budget given to run() is used up. */
export const EXIT_BUDGET: i32 = 0;
/** The host asked the core to stop (HOSTREQ_STOP), e.g. a device halted the machine. */
export const EXIT_HOST: i32 = 1;
/** The hart executed WFI and no enabled interrupt is pending: the caller may skip idle time. */
export const EXIT_WFI: i32 = 2;
/** A store hit a watched physical address (SYS_WATCH_ADDR); the store has been performed. */
export const EXIT_WATCH: i32 = 3;
/** hvRun(): every partition has halted. */
export const EXIT_ALL_HALTED: i32 = 4;
/** hvRun(): every runnable partition waits for an interrupt that no timer will raise. */
export const EXIT_IDLE: i32 = 5;
/** The running vCPU halted (SBI SRST, or a fatal fault in hvRun); SYS_EXIT_VCPU names it. */
export const EXIT_HALT: i32 = 6;
/** hvRun(): the schedule timeline is nearly full and the host asked for back-pressure
 *  (SYS_TL_STALL): drain it and call again. Nothing else happened; any clock value is valid. */
export const EXIT_TIMELINE: i32 = 7;
/** An EBREAK of a vCPU with DEBUG_BREAK set, or a trigger of its debugger's (dmode, action
 *  "enter Debug Mode") that fired: SYS_EXIT_VCPU names the vCPU (hvRun), V_DEBUG_HIT says which.
 *  The instruction neither retired nor trapped: pc is on it. */
export const EXIT_BREAK: i32 = 8;
/** hvRun(): the vCPU with DEBUG_STEP set did one unit of work; SYS_EXIT_VCPU names it. */
export const EXIT_STEP: i32 = 9;
/** A device access must be tried again: its device has more work for it than one exit may do
 *  (HOSTREQ_RETRY). The instruction did not complete (pc is on it) and cost one cycle; the
 *  host may do other things first (SYS_EXIT_VCPU names the vCPU in hvRun). When the vCPU runs
 *  again it executes the access again and the device goes on where it stopped. */
export const EXIT_RETRY: i32 = 10;

// Host → core requests (SYS_HOST_REQ). The core clears the bits it has acted on.
/** Stop the current run() after the current instruction. */
export const HOSTREQ_STOP: i32 = 1;
/** Device interrupt lines changed: re-evaluate pending interrupts at the next boundary. */
export const HOSTREQ_IRQ: i32 = 2;
/** Set by the core itself: the schedule timeline needs draining (run() returns EXIT_TIMELINE). */
export const HOSTREQ_TIMELINE: i32 = 4;
/** Set by a device during an access: do not complete this access, end the slice and execute
 *  it again later (bounded host work per exit: the device continues where it stopped). */
export const HOSTREQ_RETRY: i32 = 8;
/** The run ends (harts on threads or nodes: src/machine/parallel.ts stop()): a hart waiting for
 *  another (a remote fence, an answer from another node) gives up. Set with HOSTREQ_STOP, which
 *  alone only ends a slice (a device asks it after an access) and must not end such a wait. */
export const HOSTREQ_END: i32 = 16;

export const PAGING_SHADOW: i32 = 0;
export const PAGING_NESTED: i32 = 1;

// ── Physical memory maps ────────────────────────────────────────────────────────────────────
export const PHYSMAP_BASE: i32 = SYS_HOME + 0x1000;
export const PHYSMAP_MAX: i32 = 32;
export const PHYSMAP_ENTRY: i32 = 16;
/** Size of one partition's map; partition p's map starts at PHYSMAP_BASE + p * PHYSMAP_SIZE. */
export const PHYSMAP_SIZE: i32 = PHYSMAP_MAX * PHYSMAP_ENTRY;
/** Region fields: guest-physical base, size in bytes, kind (PM_*), host offset or device id. */
export const PM_BASE: i32 = 0;
export const PM_SIZE: i32 = 4;
export const PM_KIND: i32 = 8;
export const PM_TARGET: i32 = 12;
/** RAM: TARGET is the host address of the region's first byte. */
export const PM_RAM: i32 = 1;
/** Device: TARGET is the device number passed to the host's mmioRead/mmioWrite. */
export const PM_MMIO: i32 = 2;
/** RAM whose stores exit to the host after they are performed (HTIF tohost). */
export const PM_RAM_WATCH: i32 = 3;
/** The low byte of PM_KIND is the kind; these bits above it deny access (default: allowed). */
export const PM_KIND_MASK: i32 = 0xff;
export const PM_NO_READ: i32 = 0x100;
export const PM_NO_WRITE: i32 = 0x200;
export const PM_NO_EXEC: i32 = 0x400;

// ── The schedule ────────────────────────────────────────────────────────────────────────────
// A repeating major frame of windows (ARINC 653); each window lists the partitions that may run
// in it, and among those the highest-priority one that is runnable and has budget runs (seL4
// MCS: budget per period). All times are in clock cycles.
export const SCHED_BASE: i32 = SYS_HOME + 0x2000;
/** Length of the major frame in cycles (< 2^31). */
export const SCHED_FRAME: i32 = SCHED_BASE + 0x00;
/** Number of windows (≤ SCHED_WINDOWS_MAX) and of vCPUs (partitions) in the system. */
export const SCHED_WINDOW_COUNT: i32 = SCHED_BASE + 0x04;
export const SCHED_VCPU_COUNT: i32 = SCHED_BASE + 0x08;
/** Longest slice a partition runs before the scheduler looks again (cycles). */
export const SCHED_QUANTUM: i32 = SCHED_BASE + 0x0c;
/** Windows: {start, length, partition mask}, 12 bytes each, sorted by start. */
export const SCHED_WINDOWS: i32 = SCHED_BASE + 0x40;
export const SCHED_WINDOW_ENTRY: i32 = 12;
export const SCHED_WINDOWS_MAX: i32 = 64;
export const SW_START: i32 = 0;
export const SW_LENGTH: i32 = 4;
export const SW_MASK: i32 = 8;

// ── IPC channels ────────────────────────────────────────────────────────────────────────────
// seL4 Microkit channels between two partitions (kernel/ipc.ts). The host writes the table from
// the system description; each vCPU also has V_CHANNELS, its channel ids → table entries.
export const IPC_BASE: i32 = SCHED_BASE + 0x1000;
export const IPC_CHANNEL_COUNT: i32 = IPC_BASE + 0x00;
export const IPC_CHANNELS: i32 = IPC_BASE + 0x40;
export const IPC_CHANNEL_ENTRY: i32 = 32;
export const IPC_CHANNELS_MAX: i32 = 128;
/** Channel fields: the two ends (vCPU, channel id there), and the end that accepts protected
 *  procedure calls (0 or 1; -1: neither). */
export const CH_VCPU0: i32 = 0;
export const CH_ID0: i32 = 4;
export const CH_VCPU1: i32 = 8;
export const CH_ID1: i32 = 12;
export const CH_PP_END: i32 = 16;

// ── vCPU blocks ─────────────────────────────────────────────────────────────────────────────
export const VCPU_BASE: i32 = 0x20000;
export const VCPU_SIZE: i32 = 0x19000;
export const VCPU_MAX: i32 = 8;

/** Saved x0..x31 of a vCPU that is not running (see HART_X). */
export const V_X: i32 = 0x000;
export const V_PC: i32 = 0x080;
/** Privilege level: PRIV_U, PRIV_S or PRIV_M. */
export const V_PRIV: i32 = 0x084;
/** Nonzero while the hart sits in WFI. */
export const V_WFI: i32 = 0x088;
/** LR/SC reservation: host address and a valid flag. */
export const V_RES_ADDR: i32 = 0x08c;
export const V_RES_VALID: i32 = 0x090;
/** Device interrupt lines (MEIP/MTIP/MSIP/SEIP bits) driven by the CLINT, PLIC and timers. */
export const V_IRQ_LINES: i32 = 0x094;
/** The value LR.W read: SC.W succeeds only if memory still holds it (a compare-and-exchange,
 *  as QEMU does; what makes LR/SC right between harts on parallel threads). */
export const V_RES_VALUE: i32 = 0x098;
/** Nonzero: the vCPU runs on a host thread of its own (a partition "parallel": true; docs/smp.md),
 *  so the home thread's scheduler (kernel/sched.ts) leaves it alone. Set on a partition's hart 0. */
export const V_ELSEWHERE: i32 = 0x09c;
/** V_ELSEWHERE's values: a thread of this process; another node (vNUMA, docs/vnuma.md) — another
 *  process, whose copy of the vCPU block is the live one, so what the SBI does to that hart (an
 *  IPI, a remote fence, an HSM start or status) is a message (kernel/threads.ts remoteAsk). */
export const ELSEWHERE_THREAD: i32 = 1;
export const ELSEWHERE_NODE: i32 = 2;
/** A remote SFENCE.VMA asked of this vCPU by another hart's thread (threaded build): the vCPU's
 *  own thread drops its translations at its next block boundary and clears the word
 *  (kernel/threads.ts threadService); the asking hart waits for that. */
export const V_FENCE_REQ: i32 = 0x0a0;
/** V_FENCE_REQ bits: FENCE_TRANSLATED, what a remote SFENCE.VMA asks (the U and S sets and
 *  the shadow tables); FENCE_ALL, what vNUMA asks before it lowers a page's right (every set:
 *  M-mode's too, whose entries cache physical pages). */
export const FENCE_TRANSLATED: i32 = 1;
export const FENCE_ALL: i32 = 2;
/** ... and asked from another node: the hart's core tells its host when it has dropped them
 *  (env.hypercall(vcpu, HC_FENCED, index)), so the answer goes back at once. */
export const FENCE_REMOTE: i32 = 4;

export const V_MSTATUS: i32 = 0x100;
export const V_MEDELEG: i32 = 0x104;
export const V_MIDELEG: i32 = 0x108;
export const V_MIE: i32 = 0x10c;
/** Software-writable mip bits (SSIP, STIP, SEIP); the read value also ORs in V_IRQ_LINES. */
export const V_MIP: i32 = 0x110;
export const V_MTVEC: i32 = 0x114;
export const V_MCOUNTEREN: i32 = 0x118;
export const V_MSCRATCH: i32 = 0x11c;
export const V_MEPC: i32 = 0x120;
export const V_MCAUSE: i32 = 0x124;
export const V_MTVAL: i32 = 0x128;
export const V_MCOUNTINHIBIT: i32 = 0x12c;
export const V_MENVCFG: i32 = 0x130;
export const V_MHARTID: i32 = 0x134;
export const V_STVEC: i32 = 0x140;
export const V_SCOUNTEREN: i32 = 0x144;
export const V_SSCRATCH: i32 = 0x148;
export const V_SEPC: i32 = 0x14c;
export const V_SCAUSE: i32 = 0x150;
export const V_STVAL: i32 = 0x154;
export const V_SATP: i32 = 0x158;
export const V_SENVCFG: i32 = 0x15c;
export const V_MCYCLE_LO: i32 = 0x160;
export const V_MCYCLE_HI: i32 = 0x164;
export const V_MINSTRET_LO: i32 = 0x168;
export const V_MINSTRET_HI: i32 = 0x16c;
/** Physical memory map used by this vCPU: address of its first region and the region count. */
export const V_PHYSMAP: i32 = 0x170;
export const V_PHYSMAP_COUNT: i32 = 0x174;
/** Stage-2 root table of the vCPU's partition (host address), for nested paging. */
export const V_STAGE2: i32 = 0x178;

/** Guest mode: GUEST_MACHINE (M-mode guest, virtual M CSRs) or GUEST_SUPERVISOR (SBI). */
export const V_MODE: i32 = 0x180;
/** Clock value at which MTIP rises (the CLINT's mtimecmp); all ones: never. */
export const V_TIMER_LO: i32 = 0x184;
export const V_TIMER_HI: i32 = 0x188;
/** Clock value at which STIP rises (SBI set_timer); all ones: never. */
export const V_STIMER_LO: i32 = 0x18c;
export const V_STIMER_HI: i32 = 0x190;
/** Traps taken in a row without an instruction retiring (a trap loop is a fatal fault). */
export const V_TRAP_STREAK: i32 = 0x194;
/** Scheduling state: VS_RUNNABLE, VS_HALTED. (WFI is V_WFI.) */
export const V_STATE: i32 = 0x198;
/** Why the vCPU halted (HALT_*), with a status word (exit code, or the SRST reason). */
export const V_HALT_REASON: i32 = 0x19c;
export const V_HALT_STATUS: i32 = 0x1a0;
/** Scheduling parameters (cycles): priority (larger runs first), budget per period, period. */
export const V_PRIORITY: i32 = 0x1a4;
export const V_BUDGET: i32 = 0x1a8;
export const V_PERIOD: i32 = 0x1ac;
/** Budget left in the current period, and when the next period starts (clock value). */
export const V_BUDGET_LEFT: i32 = 0x1b0;
export const V_REPLENISH_LO: i32 = 0x1b4;
export const V_REPLENISH_HI: i32 = 0x1b8;
/** Statistics of this vCPU: instructions retired, cycles run (instructions + traps), traps. */
export const V_STAT_RETIRED_LO: i32 = 0x1c0;
export const V_STAT_RETIRED_HI: i32 = 0x1c4;
export const V_STAT_CYCLES_LO: i32 = 0x1c8;
export const V_STAT_CYCLES_HI: i32 = 0x1cc;
export const V_STAT_TRAPS: i32 = 0x1d0;
export const V_STAT_MMIO: i32 = 0x1d4;
export const V_STAT_SBI: i32 = 0x1d8;
export const V_STAT_SYSTEM: i32 = 0x1dc;
export const V_STAT_WALKS: i32 = 0x1e0;
export const V_STAT_SHADOW_FILLS: i32 = 0x1e4;
export const V_STAT_SHADOW_HITS: i32 = 0x1e8;
export const V_STAT_SWITCHES_IN: i32 = 0x1ec;
/** Debugger control of this vCPU (DEBUG_*; 0 when no debugger is attached). */
export const V_DEBUG: i32 = 0x1f0;
/** EBREAK stops the run (EXIT_BREAK) instead of trapping: pc stays on the EBREAK, which
 *  neither retires nor traps. A debugger's software breakpoints are EBREAKs it writes. (A
 *  debugger's hardware breakpoints and watchpoints are triggers with dmode set, V_TRIGGERS:
 *  they stop the run the same way whatever this flag says.) */
export const DEBUG_BREAK: i32 = 1;
/** hvRun(): run this vCPU for one unit of work (an instruction or a trap), then return
 *  EXIT_STEP; the core clears the bit. (A bare machine steps with run(1).) */
export const DEBUG_STEP: i32 = 2;
/** This partition's view of time: its mtime = clock / cycles-per-tick + this offset (64-bit,
 *  changed only when the partition writes its own CLINT's mtime). Time is per partition: no
 *  partition can move another's clock, and the scheduler runs on the clock itself. */
export const V_TIME_OFFSET_LO: i32 = 0x1f4;
export const V_TIME_OFFSET_HI: i32 = 0x1f8;
/** The S-level timer's compare value in this partition's mtime ticks: stimecmp (Sstc), which
 *  SBI set_timer also writes; the deadline (V_STIMER) follows when the partition moves its own
 *  mtime. */
export const V_STIMECMP_LO: i32 = 0x1fc;
export const V_STIMECMP_HI: i32 = 0x200;
/** menvcfgh (RV32: menvcfg bits 63:32): STCE (bit 31) enables Sstc's stimecmp for S-mode. */
export const V_MENVCFGH: i32 = 0x204;
/** RISC-V semihosting (kernel/semihost.ts): SEMIHOST_* bits the host sets for a partition that
 *  has it (0: off, the sequence's EBREAK is an ordinary breakpoint). */
export const V_SEMIHOST: i32 = 0x208;
/** Semihosting is on: from M and S. */
export const SEMIHOST_ON: i32 = 1;
/** ... and from U as well (QEMU's -semihosting-config userspace=on). */
export const SEMIHOST_USER: i32 = 2;

/** SMP (kernel/smp.ts): a partition's harts are vCPUs; hart 0 is the partition's own vCPU (its
 *  index is the partition's), harts 1..n-1 are the vCPUs V_HART_FIRST.. V_HART_FIRST+n-2. Every
 *  hart names its partition's hart 0 in V_LEADER; hart 0 alone holds the count, where the others
 *  are, and the round-robin turn among them: the hart (0..n-1) whose turn it is and the cycles
 *  left of its quantum (SMP_QUANTUM). */
export const V_LEADER: i32 = 0x20c;
export const V_HART_COUNT: i32 = 0x210;
export const V_HART_FIRST: i32 = 0x214;
export const V_HART_TURN: i32 = 0x218;
export const V_HART_LEFT: i32 = 0x21c;
/** Round-robin quantum among the runnable harts of one partition, in cycles of virtual time (a
 *  hart that waits in WFI, is stopped or halted gives up the rest of its turn at once). */
export const SMP_QUANTUM: i32 = 10000;
/** Most harts of one partition (and of the whole system: every hart is a vCPU, VCPU_MAX). */
export const HARTS_MAX: i32 = 8;

/** Shadow page tables: the slot in use (-1: translation off), an age counter for replacement. */
export const V_SHADOW_CUR: i32 = 0x240;
export const V_SHADOW_AGE: i32 = 0x244;
/** This vCPU's channels: for channel id 0..62, the IPC_CHANNELS entry index + 1 (0: none). */
export const V_CHANNELS: i32 = 0x2a0;
/** IPC state (IPC_*), the partner (a caller's server, a server's current client, else -1), the
 *  channel entry of a caller's call, its message {msginfo, mr0..mr3} while queued, a sequence
 *  number for first-come order among equal priorities, the passive flag and whether a passive
 *  partition has finished its initialisation (first wait for calls). */
export const V_IPC_STATE: i32 = 0x3a0;
export const V_IPC_SERVER: i32 = 0x3a4;
export const V_IPC_CLIENT: i32 = 0x3a8;
export const V_IPC_CHANNEL: i32 = 0x3ac;
export const V_IPC_MSG: i32 = 0x3b0;
export const V_IPC_SEQ: i32 = 0x3c4;
export const V_PASSIVE: i32 = 0x3c8;
export const V_PASSIVE_READY: i32 = 0x3cc;
export const V_STAT_IPC_CALLS: i32 = 0x3d0;
export const V_STAT_IPC_SERVED: i32 = 0x3d4;
export const IPC_NONE: i32 = 0;
/** Blocked in recv / reply_recv, waiting for a call (or an interrupt, like WFI). */
export const IPC_RECEIVING: i32 = 1;
/** A caller waiting for its server to receive the call. */
export const IPC_CALL_QUEUED: i32 = 2;
/** A caller whose call its server is serving (on the caller's time if the server is passive). */
export const IPC_CALL_ACTIVE: i32 = 3;

/** Per slot {asid, root ppn, age, used}; asid -1: free. used: entries may be valid. The global
 *  table (SHADOW_GLOBAL) has an entry too: only its `used` word counts. */
export const V_SHADOW_META: i32 = 0x250;
export const SHADOW_META_ENTRY: i32 = 16;
export const SM_ASID: i32 = 0;
export const SM_ROOT: i32 = 4;
export const SM_AGE: i32 = 8;
export const SM_USED: i32 = 12;

export const GUEST_MACHINE: i32 = 0;
export const GUEST_SUPERVISOR: i32 = 1;
export const VS_RUNNABLE: i32 = 0;
export const VS_HALTED: i32 = 1;
/** A hart of an SMP partition that is not started (SBI HSM STOPPED; hart_start runs it). */
export const VS_STOPPED: i32 = 2;
/** A hart that called HSM hart_stop and is ending its slice (SBI STOP_PENDING): set before it
 *  counts the partition's started harts, so of two harts stopping at once on threads or nodes at
 *  least one sees the other no longer started and halts the partition; run() makes it STOPPED
 *  when the slice is committed. */
export const VS_STOP_PENDING: i32 = 3;
/** Halt reasons (V_HALT_REASON). The host adds its own (finisher, HTIF) in src/vmm. */
export const HALT_NONE: i32 = 0;
export const HALT_SHUTDOWN: i32 = 1;
export const HALT_RESET: i32 = 2;
export const HALT_TRAP_LOOP: i32 = 3;
export const HALT_HOST: i32 = 4;

export const V_TLB: i32 = 0x400;
export const TLB_ENTRIES: i32 = 256;
export const TLB_ENTRY: i32 = 8;
export const TLB_TABLE: i32 = TLB_ENTRIES * TLB_ENTRY;
/** One privilege level's set: fetch, load and store tables. */
export const TLB_SET: i32 = 3 * TLB_TABLE;
export const TLB_FETCH: i32 = 0;
export const TLB_LOAD: i32 = TLB_TABLE;
export const TLB_STORE: i32 = 2 * TLB_TABLE;
/** A tag no address can match: its low 12 bits are all ones, masked addresses have them clear. */
export const TLB_INVALID: i32 = -1;

/** PMP (mmu/pmp.ts): pmpcfg0-3 (4 words, a byte per entry) and pmpaddr0-15. */
export const V_PMPCFG: i32 = 0x18c00;
export const V_PMPADDR: i32 = 0x18c10;

/** Sdtrig (kernel/trigger.ts): the trigger tselect selects. */
export const V_TSELECT: i32 = 0x18c80;
/** What the triggers may match now (TRIG_* bits of kernel/trigger.ts, 0: nothing, and nothing
 *  is checked): derived from V_TRIGGERS whenever a trigger changes. */
export const V_TRIG_SUMMARY: i32 = 0x18c84;
/** The last EXIT_BREAK of this vCPU: 0 for an EBREAK, else 1 + the index of the debugger's
 *  trigger that fired (the last of its chain), with the address it matched (the instruction's
 *  for an execute trigger, the data address for a load or store) in V_DEBUG_ADDR. */
export const V_DEBUG_HIT: i32 = 0x18c88;
export const V_DEBUG_ADDR: i32 = 0x18c8c;
/** The triggers: {tdata1, tdata2} each (tdata3 reads as zero: no textra conditions). */
export const V_TRIGGERS: i32 = 0x18c90;
export const TRIGGER_COUNT: i32 = 4;
export const TRIGGER_ENTRY: i32 = 8;

/** F and D (cpu/fpu.ts): f0..f31 as {lo, hi} words (a binary32 value is NaN-boxed: hi = -1).
 *  They stay in the vCPU block while the vCPU runs: the interpreter addresses them there. */
export const V_F: i32 = 0x18d00;
/** fcsr: frm (bits 7-5) and fflags (bits 4-0); bits 31-8 are zero. */
export const V_FCSR: i32 = 0x18e00;
/** misa as this vCPU reads it: F and D (bits 5, 3) set unless its partition has them off. */
export const V_MISA: i32 = 0x18e04;
/** Pre-virtualization (kernel/previrt.ts, docs/previrt.md): 1 when the loader patched this
 *  vCPU's partition's sites, so the custom-1 form of a sensitive instruction (VCSR) runs; 0: it
 *  is an illegal instruction, as on hardware. */
export const V_PREVIRT: i32 = 0x18e08;
/** Statistics: patched sites the fast loop completed itself (no exit from it), and patched
 *  sites that took the trap-and-emulate path in run() (counted in V_STAT_SYSTEM as well). */
export const V_STAT_VCSR_FAST: i32 = 0x18e0c;
export const V_STAT_VCSR_SLOW: i32 = 0x18e10;
/** Trap-and-emulate exits of this vCPU by kind (kernel/previrt.ts exitKind; EXIT_KIND_NAMES
 *  in src/loader/previrt.ts names them): where the exits pre-virtualization leaves come from. */
export const V_STAT_EXIT_KINDS: i32 = 0x18e14;
export const EXIT_KINDS: i32 = 16;
/** vNUMA (kernel/threads.ts remoteAsk): answers this hart still waits for, the last answer, and
 *  the operation it asks (HART_OP_*, two arguments) — the host reads those three. */
export const V_REMOTE_WAIT: i32 = 0x18e54;
export const V_REMOTE_RESULT: i32 = 0x18e58;
export const V_REMOTE_OP: i32 = 0x18e5c;
export const V_REMOTE_A: i32 = 0x18e60;
export const V_REMOTE_B: i32 = 0x18e64;
/** SMP: how often SBI HSM hart_start started this hart (kernel/sbi.ts hartStart). A hart's
 *  thread loads its registers from the block again when the count moved (hart-thread.mjs): a
 *  stop and a start may both happen while the thread is still finishing the stopping slice. */
export const V_STARTS: i32 = 0x18e68;
/** A patched site is its original SYSTEM instruction (opcode 0x73) with the opcode XORed with
 *  this, giving custom-1 (0x2b): every other field stays where it was (src/tools/afterburn). */
export const PREVIRT_OPCODE_FLIP: i32 = 0x73 ^ 0x2b;

export const V_SHADOW: i32 = 0x4c00;
/** Shadow tables of address spaces; the table after them (SHADOW_GLOBAL) holds global mappings. */
export const SHADOW_SLOTS: i32 = 4;
export const SHADOW_GLOBAL: i32 = SHADOW_SLOTS;
export const SHADOW_ENTRIES: i32 = 1024;
export const SHADOW_ENTRY: i32 = 16;
export const SHADOW_TABLE: i32 = SHADOW_ENTRIES * SHADOW_ENTRY;
/** Shadow entry fields: virtual page tag (or -1), host addend, guest PTE (leaf), level. */
export const SE_TAG: i32 = 0;
export const SE_ADDEND: i32 = 4;
export const SE_PTE: i32 = 8;
export const SE_LEVEL: i32 = 12;

export const PRIV_U: i32 = 0;
export const PRIV_S: i32 = 1;
export const PRIV_M: i32 = 3;

// ── The schedule timeline ───────────────────────────────────────────────────────────────────
// Every change of what runs, with its exact virtual time (kernel/timeline.ts): a ring the host
// drains after hvRun() returns (src/api/hypervisor.ts, the "switch" event). SYS_TL_COUNT counts
// the entries written, so the host sees how many were overwritten before it read them.
export const TIMELINE_BASE: i32 = 0xf0000;
/** A power of two. */
export const TIMELINE_ENTRIES: i32 = 4096;
export const TIMELINE_ENTRY: i32 = 16;
/** With back-pressure on, the core asks for a drain while this many entries are still free
 *  (more than hvRun() can write before it returns: one per vCPU switch or idle stretch). */
export const TIMELINE_SLACK: i32 = 256;
/** Entry fields: the clock (cycles) at which the change took effect, the vCPU that runs from
 *  then on (-1: none, idle), and why (TL_*). */
export const TL_CLOCK_LO: i32 = 0;
export const TL_CLOCK_HI: i32 = 4;
export const TL_VCPU: i32 = 8;
export const TL_REASON: i32 = 12;
/** The scheduler chose it (a window, budget, quantum, preemption, or the previous one waited,
 *  blocked or halted). */
export const TL_SCHEDULE: i32 = 0;
/** Nothing can run: the clock skips ahead. */
export const TL_IDLE: i32 = 1;
/** The IPC fast path: a call switched to its passive server, a reply back to the caller. */
export const TL_IPC_CALL: i32 = 2;
export const TL_IPC_REPLY: i32 = 3;

// ── Stage-2 tables (nested paging) ──────────────────────────────────────────────────────────
// Per partition: a root of 1024 entries (one per 4 MiB of guest-physical space) pointing to
// level-0 tables of 1024 entries (one per 4 KiB page). A valid entry has bit 0 set; a root entry
// holds the level-0 table's host address, a level-0 entry the host address of the page's
// physical-map region entry (the region gives RAM host addresses or the device).
export const STAGE2_BASE: i32 = 0x100000;
export const STAGE2_END: i32 = 0x3f0000;

// ── Dirty pages ─────────────────────────────────────────────────────────────────────────────
// While SYS_DIRTY_ON is set, bit p of the bitmap (word p >> 5, bit p & 31) is set when the page
// at host address RAM_HOST_BASE + p × 4 KiB is written: by a store (mmu/access.ts marks pages as
// a store fills the TLB or takes the slow path), a page-table walk's A/D update, or the host
// (the memory gate). The host collects the bitmap and re-arms it with dirtyRearm(), which also
// drops every store translation, so the next store to each page is seen again (mmu/dirty.ts).
export const DIRTY_BASE: i32 = 0x3f0000;
export const DIRTY_BYTES: i32 = 0x10000;
/** Pages the bitmap covers: 2 GiB of guest RAM (more than the core's memory can hold). */
export const DIRTY_PAGES: i32 = DIRTY_BYTES * 8;
export const STAGE2_TABLE: i32 = 4096;

// ── The translator's area (docs/jit.md) ─────────────────────────────────────────────────────
// Not part of the fixed map: the host reserves it after guest RAM when the translator is on and
// gives its base to the core (SYS_JIT_BASE). Offsets from that base:
//
//   +0x00000  directory: JIT_DIR_ENTRIES direct-mapped entries {pc, host address of pc,
//             handle of the translated region (0 none, < 0 refused), execution count}, indexed
//             by (pc >> 1) & (JIT_DIR_ENTRIES - 1)
//   +0x10000  code-page bitmap: a bit per 4 KiB page of host memory that holds translated code
//             (such pages are kept out of every store TLB, so a store to one takes the slow path,
//             which drops the page's translations)
//   +0x20000  IR of the region being translated (assembly/jit/frontend.ts writes it, a back end
//             reads it): a header, JIT_BLOCKS_MAX blocks, JIT_INSNS_MAX instructions
//   +0x25000  taken-branch counters: JIT_HOT_SLOTS words indexed by (target >> 1) &
//             (JIT_HOT_SLOTS - 1), counted by the interpreter's fast loop, which leaves for a
//             directory probe only when a counter reaches JIT_PREFILTER (cpu/exec.ts hotProbe)
//   +0x2d000  end
export const JIT_DIR: i32 = 0;
export const JIT_DIR_ENTRIES: i32 = 4096;
export const JIT_DIR_ENTRY: i32 = 16;
export const JIT_CODE_MAP: i32 = 0x10000;
export const JIT_IR: i32 = 0x20000;
export const JIT_HOT_TABLE: i32 = 0x25000;
export const JIT_HOT_SLOTS: i32 = 8192;
/** Taken branches to a target (or to targets sharing its counter) per directory probe: cold
 *  code stays in the fast loop, and the directory counts a probe as this many. */
export const JIT_PREFILTER: i32 = 64;
export const JIT_AREA_BYTES: i32 = 0x2d000;
/** IR header words: entry pc, blocks, instructions. */
export const JIT_IR_ENTRY: i32 = 0;
export const JIT_IR_BLOCKS: i32 = 4;
export const JIT_IR_INSNS: i32 = 8;
/** IR blocks at JIT_IR + JIT_IR_BLOCK_BASE, JIT_IR_BLOCK bytes each: {start pc, first
 *  instruction, instructions, pc after the last one}. */
export const JIT_IR_BLOCK_BASE: i32 = 0x10;
export const JIT_IR_BLOCK: i32 = 16;
export const JIT_BLOCKS_MAX: i32 = 64;
/** IR instructions at JIT_IR + JIT_IR_INSN_BASE, JIT_IR_INSN bytes each: {pc, op, rd, rs1, rs2,
 *  imm, length in bytes, 0} (ops: assembly/jit/ir.ts). */
export const JIT_IR_INSN_BASE: i32 = 0x410;
export const JIT_IR_INSN: i32 = 32;
export const JIT_INSNS_MAX: i32 = 576;

// ── Guest RAM ───────────────────────────────────────────────────────────────────────────────
export const RAM_HOST_BASE: i32 = 0x400000;

export function vcpuAddr(index: i32): i32 {
  return VCPU_BASE + index * VCPU_SIZE;
}

export function physmapAddr(partition: i32): i32 {
  return PHYSMAP_BASE + partition * PHYSMAP_SIZE;
}

/** Address of the TLB set for a privilege level (U → 0, S → 1, M → 2). */
export function tlbSetAddr(vcpu: i32, priv: i32): i32 {
  return vcpu + V_TLB + (priv == PRIV_M ? 2 : priv) * TLB_SET;
}
