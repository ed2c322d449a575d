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
//               │ the running vCPU's x registers (HART_X)      │
//   0x0001_1000 ├──────────────────────────────────────────────┤ PHYSMAP_BASE
//               │ physical memory map: PHYSMAP_MAX regions     │
//               │ × 16 bytes {base, size, kind, host/device}   │
//   0x0002_0000 ├──────────────────────────────────────────────┤ VCPU_BASE
//               │ vCPU 0: registers, pc, privilege, CSRs,      │
//               │         counters, split TLBs (fetch/load/    │
//               │         store) for each privilege level      │
//               │ vCPU 1 … VCPU_MAX-1 (same layout)            │
//   0x0010_0000 ├──────────────────────────────────────────────┤ RAM_HOST_BASE
//               │ guest RAM (grows to the memory's end)        │
//               └──────────────────────────────────────────────┘
//
// A vCPU block (VCPU_SIZE bytes):
//
//   +0x000  x0..x31 while the vCPU is not running (the running one's are at HART_X)
//   +0x080  pc, privilege level, WFI and LR/SC state
//   +0x100  CSR words (one per CSR field that has state)
//   +0x400  TLBs: for each privilege level U, S, M a fetch, a load and a store table of
//           TLB_ENTRIES direct-mapped entries {tag, addend}. tag = virtual page address (low 12
//           bits zero) or TLB_INVALID; addend = host address - virtual address, so a hit costs
//           one compare and one add. A tag compare against (va & (page mask | size-1)) also
//           rejects misaligned accesses, which then take the slow path.
//
// Multi-word counters are stored little-endian as {lo, hi} pairs of 32-bit words.

// ── System block ────────────────────────────────────────────────────────────────────────────
export const SYS_BASE: i32 = 0x10000;
/** Exit reason of the last run() (one of EXIT_*). */
export const SYS_EXIT_REASON: i32 = SYS_BASE + 0x00;
// (SYS_BASE + 0x08 is unused.)
/** Host → core request bits (HOSTREQ_*); the core polls them after every MMIO access. */
export const SYS_HOST_REQ: i32 = SYS_BASE + 0x04;
/** Index of the vCPU that run() executes. */
export const SYS_CUR_VCPU: i32 = SYS_BASE + 0x0c;
/** Virtual clock in cycles: retired instructions plus idle time skipped in WFI. Not guest-writable. */
export const SYS_CLOCK_LO: i32 = SYS_BASE + 0x10;
export const SYS_CLOCK_HI: i32 = SYS_BASE + 0x14;
/** Clock cycles per mtime tick (mtime runs at 10 MHz; the default 10 gives a 100 MHz virtual hart). */
export const SYS_CYCLES_PER_TICK: i32 = SYS_BASE + 0x18;
/** mtime = clock / cycles-per-tick + offset (the offset changes when a guest writes mtime). */
export const SYS_TIME_OFFSET_LO: i32 = SYS_BASE + 0x1c;
export const SYS_TIME_OFFSET_HI: i32 = SYS_BASE + 0x20;
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
/** Number of valid entries in the physical memory map. */
export const SYS_PHYSMAP_COUNT: i32 = SYS_BASE + 0x3c;
/** Statistics: TLB misses filled (walks), by kind. */
export const SYS_STAT_TLB_FILLS: i32 = SYS_BASE + 0x40;
export const SYS_STAT_MMIO: i32 = SYS_BASE + 0x44;
export const SYS_STAT_TRAPS: i32 = SYS_BASE + 0x48;
/** Traps taken by the last run() call. Each costs one cycle of virtual time and one unit of
 *  budget, so a guest stuck in a trap loop still makes the clock and the budget advance. */
export const SYS_TRAPS: i32 = SYS_BASE + 0x4c;
/** Fetch table of the running vCPU's current privilege level. */
export const SYS_CUR_TLB_FETCH: i32 = SYS_BASE + 0x50;
/**
 * x0..x31 of the running vCPU. The interpreter addresses them at this fixed place (one register
 * fewer in its hot loop); a vCPU that is not running keeps them in its own block at V_X, and
 * switching vCPUs copies the 32 words.
 */
export const HART_X: i32 = SYS_BASE + 0x100;
export const SYS_SIZE: i32 = 0x200;

// Exit reasons returned by run() and stored at SYS_EXIT_REASON.
/** The instruction budget given to run() is used up. */
export const EXIT_BUDGET: i32 = 0;
/** The host asked the core to stop (HOSTREQ_STOP), e.g. a device halted the machine. */
export const EXIT_HOST: i32 = 1;
/** The hart executed WFI and no enabled interrupt is pending: the host may skip idle time. */
export const EXIT_WFI: i32 = 2;
/** A store hit a watched physical address (SYS_WATCH_ADDR); the store has been performed. */
export const EXIT_WATCH: i32 = 3;

// Host → core requests (SYS_HOST_REQ). The core clears the bits it has acted on.
/** Stop the current run() after the current instruction. */
export const HOSTREQ_STOP: i32 = 1;
/** Device interrupt lines changed: re-evaluate pending interrupts at the next boundary. */
export const HOSTREQ_IRQ: i32 = 2;

// ── Physical memory map ─────────────────────────────────────────────────────────────────────
export const PHYSMAP_BASE: i32 = SYS_BASE + 0x1000;
export const PHYSMAP_MAX: i32 = 32;
export const PHYSMAP_ENTRY: i32 = 16;
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

// ── vCPU blocks ─────────────────────────────────────────────────────────────────────────────
export const VCPU_BASE: i32 = 0x20000;
export const VCPU_SIZE: i32 = 0x5000;
export const VCPU_MAX: i32 = 8;

/** Saved x0..x31 of a vCPU that is not running (see HART_X). */
export const V_X: i32 = 0x000;
export const V_PC: i32 = 0x080;
/** Privilege level: PRIV_U, PRIV_S or PRIV_M. */
export const V_PRIV: i32 = 0x084;
/** Nonzero while the hart sits in WFI. */
export const V_WFI: i32 = 0x088;
/** LR/SC reservation: physical address and a valid flag. */
export const V_RES_ADDR: i32 = 0x08c;
export const V_RES_VALID: i32 = 0x090;
/** Device interrupt lines (MEIP/MTIP/MSIP/SEIP bits) driven by the host's CLINT and PLIC. */
export const V_IRQ_LINES: i32 = 0x094;

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

export const PRIV_U: i32 = 0;
export const PRIV_S: i32 = 1;
export const PRIV_M: i32 = 3;

// ── Guest RAM ───────────────────────────────────────────────────────────────────────────────
export const RAM_HOST_BASE: i32 = 0x100000;

export function vcpuAddr(index: i32): i32 {
  return VCPU_BASE + index * VCPU_SIZE;
}

/** Address of the TLB set for a privilege level (U → 0, S → 1, M → 2). */
export function tlbSetAddr(vcpu: i32, priv: i32): i32 {
  return vcpu + V_TLB + (priv == PRIV_M ? 2 : priv) * TLB_SET;
}
