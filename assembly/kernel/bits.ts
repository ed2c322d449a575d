// Bit fields of the privileged state (privileged spec 1.12, §3.1.6 mstatus, §4.1.11 satp).

export const MSTATUS_SIE: i32 = 1 << 1;
export const MSTATUS_MIE: i32 = 1 << 3;
export const MSTATUS_SPIE: i32 = 1 << 5;
export const MSTATUS_MPIE: i32 = 1 << 7;
export const MSTATUS_SPP: i32 = 1 << 8;
export const MSTATUS_MPP_SHIFT: i32 = 11;
export const MSTATUS_MPP: i32 = 3 << 11;
export const MSTATUS_MPRV: i32 = 1 << 17;
export const MSTATUS_SUM: i32 = 1 << 18;
export const MSTATUS_MXR: i32 = 1 << 19;
export const MSTATUS_TVM: i32 = 1 << 20;
export const MSTATUS_TW: i32 = 1 << 21;
export const MSTATUS_TSR: i32 = 1 << 22;
/** FS, the F/D state: Off (0) makes every F/D instruction and fcsr access illegal; Initial (1),
 *  Clean (2); Dirty (3) once an instruction changed the FP registers or fcsr (priv spec §3.1.6.6). */
export const MSTATUS_FS: i32 = 3 << 13;
export const MSTATUS_FS_DIRTY: i32 = 3 << 13;
/** SD (read-only): FS (or VS, XS, which read 0 here) is Dirty. */
export const MSTATUS_SD: i32 = i32(0x80000000);
/** Bits software can write in mstatus besides FS, which is writable when the vCPU has F (VS and
 *  XS are read-only zero: no V or custom state). */
export const MSTATUS_WRITABLE: i32 =
  MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_MPP |
  MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR;
/** The bits of mstatus visible through sstatus (SIE SPIE UBE SPP VS FS XS SUM MXR SD). */
export const SSTATUS_VIEW: i32 = i32(0x800de762);

/** satp.MODE = Sv32 is bit 31: a negative satp means translation is on. */
export const SATP_PPN: i32 = 0x3fffff;

/** Interrupt-enable/pending bits this hart implements: SSI MSI STI MTI SEI MEI. */
export const MIP_ALL: i32 = 0xaaa;
/** mip bits M-mode software may write (mip.SEIP is also ORed with the external line). */
export const MIP_SW_WRITABLE: i32 = 0x222;
/** Interrupts that may be delegated to S-mode. */
export const MIDELEG_WRITABLE: i32 = 0x222;
/** Exceptions that may be delegated: causes 0-9, 12, 13, 15 (not ECALL from M, priv 1.12). */
export const MEDELEG_WRITABLE: i32 = 0xb3ff;

/** misa without F and D: MXL=1 (RV32), extensions A, C, I, M, S, U (a partition with "fpu": false). */
export const MISA_VALUE: i32 = 0x40141105;
export const MISA_F: i32 = 1 << 5;
export const MISA_D: i32 = 1 << 3;
/** misa of RV32GC: A, C, D, F, I, M, S, U (the default). */
export const MISA_FD_VALUE: i32 = MISA_VALUE | MISA_F | MISA_D;

// Sv32 page-table entry bits (privileged spec §4.3.1).
export const PTE_V: i32 = 1;
export const PTE_R: i32 = 2;
export const PTE_W: i32 = 4;
export const PTE_X: i32 = 8;
export const PTE_U: i32 = 16;
export const PTE_G: i32 = 32;
export const PTE_A: i32 = 64;
export const PTE_D: i32 = 128;
