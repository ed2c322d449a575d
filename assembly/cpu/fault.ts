// Faults are values, not exceptions: a helper that fails records the trap cause and tval here
// and returns; the interpreter sees `slowStatus != 0` after a slow-path call and raises the trap
// through its single exit path (kernel/trap.ts trapEnter). Interrupts use the same cause
// encoding (bit 31 set). Slow paths also use slowStatus to ask the interpreter to leave its
// inner loop after the current instruction (an MMIO access the host reacted to, a watched store).

/** Outcome of the last slow-path helper: STATUS_*. The interpreter resets it to STATUS_OK. */
export let slowStatus: i32 = 0;
export const STATUS_OK: i32 = 0;
/** The helper failed: faultCause/faultTval hold the trap to raise; nothing was committed. */
export const STATUS_FAULT: i32 = 1;
/** The access completed, but the host posted a request (SYS_HOST_REQ): resynchronise. */
export const STATUS_RESYNC: i32 = 2;
/** The access completed and hit a watched address: leave run() with EXIT_WATCH. */
export const STATUS_WATCH: i32 = 3;
/** The device did part of the work of this access and asked for it again (HOSTREQ_RETRY): the
 *  instruction does not complete; run() returns EXIT_RETRY with pc on it. */
export const STATUS_RETRY: i32 = 4;

export function setStatus(status: i32): void {
  slowStatus = status;
}

/** Pending synchronous trap cause (CAUSE_*), or -1 when none. */
export let faultCause: i32 = -1;
/** The trap value that goes with faultCause (faulting address, instruction bits, or 0). */
export let faultTval: i32 = 0;

export function raise(cause: i32, tval: i32): void {
  faultCause = cause;
  faultTval = tval;
  slowStatus = STATUS_FAULT;
}

export function faultClear(): void {
  faultCause = -1;
  faultTval = 0;
  slowStatus = STATUS_OK;
}

// Exception causes (privileged spec 3.1.15, table "mcause values after trap").
export const CAUSE_FETCH_MISALIGNED: i32 = 0;
export const CAUSE_FETCH_ACCESS: i32 = 1;
export const CAUSE_ILLEGAL: i32 = 2;
export const CAUSE_BREAKPOINT: i32 = 3;
export const CAUSE_LOAD_MISALIGNED: i32 = 4;
export const CAUSE_LOAD_ACCESS: i32 = 5;
export const CAUSE_STORE_MISALIGNED: i32 = 6;
export const CAUSE_STORE_ACCESS: i32 = 7;
export const CAUSE_ECALL_U: i32 = 8;
export const CAUSE_ECALL_S: i32 = 9;
export const CAUSE_ECALL_M: i32 = 11;
export const CAUSE_FETCH_PAGE: i32 = 12;
export const CAUSE_LOAD_PAGE: i32 = 13;
export const CAUSE_STORE_PAGE: i32 = 15;
/** Internal: a trigger's breakpoint exception (kernel/trigger.ts). The guest sees cause 3, but
 *  unlike an EBREAK it is never a debugger's stop. */
export const CAUSE_TRIGGER: i32 = 0x103;
/** Internal: a debugger's trigger fired: no trap, the run stops (EXIT_BREAK). */
export const CAUSE_DEBUG_HALT: i32 = 0x7ff;

/** Interrupt causes carry bit 31. */
export const CAUSE_INTERRUPT: i32 = -2147483648;
// Interrupt numbers (bit positions in mip/mie).
export const IRQ_SSI: i32 = 1;
export const IRQ_MSI: i32 = 3;
export const IRQ_STI: i32 = 5;
export const IRQ_MTI: i32 = 7;
export const IRQ_SEI: i32 = 9;
export const IRQ_MEI: i32 = 11;

// Access kinds, as the MMU distinguishes them.
export const ACCESS_FETCH: i32 = 0;
export const ACCESS_LOAD: i32 = 1;
export const ACCESS_STORE: i32 = 2;
