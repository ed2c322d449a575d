# Adversarial suite, SBI and hypercalls from S (test/adversarial.test.ts): a supervisor-mode guest
# calls every SBI extension and function the hypervisor implements, and many it does not, with
# hostile arguments, and checks each answer against the SBI specification v2.0 and wasmvisor's
# contract (guests/sdk/wasmvisor.h):
#
#   Base     every FID; probes of real, unknown and negative extension IDs
#   TIME     set_timer in the past (fires at once), disarmed (all ones), and far enough that
#            deadline × cycles-per-tick overflows 64 bits (must never fire, not wrap to "now")
#   IPI      hart masks naming harts that do not exist, base -1, empty masks
#   RFENCE   every FID, huge, negative and wrapping ranges, bad masks, hypervisor fences
#   HSM      start/status of harts that do not exist, suspend
#   SRST     reserved types and reasons (refused: the partition goes on)
#   DBCN     buffers at 0, in device space, above 4 GiB, wrapping, straddling the end of RAM, of
#            length 0 outside RAM, reads into a read-only region (all INVALID_PARAM); a 128 KiB
#            write (only 64 KiB move: the count says so); reads with and without input; write_byte
#   legacy   0x00-0x07 with garbage pointers (never dereferenced); only a0 changes
#   unknown  EIDs in every range, unknown FIDs
#   hypercalls (ECALL and WVCALL from S): every FID with channels it does not hold, a reply with
#            no call, recv storms with an interrupt pending, WVCALL naming another extension;
#            from U: WVCALL is an illegal instruction, ECALL naming the extension only an
#            exception for this guest
#
# Registers the SBI must preserve (a2-a7) are checked after every call. Prints one line for each
# group, then shuts down (SBI SRST: status 0). Needs 1 MiB of RAM (RAM_END) and the
# default devices, a read-only region at 0x2000_0000; its console input must be "xyz".
#include "test.h"
TEST_NAME("adv-sbi")

#define RAM_END 0x80100000
#define RO 0x20000000             /* a read-only shared region */
#define EID_WV 0x08574d56
#define WVCALL .insn i 0x0b, 0, x0, x0, 0x576
#define OK 0
#define FAILED -1
#define NOT_SUPPORTED -2
#define INVALID_PARAM -3
#define DENIED -4
#define ALREADY_AVAILABLE -6
#define SIP_SSIP 2
#define SIP_STIP 0x20

/* An SBI call with a0..a5 as set; s0 = a canary the call must not touch; a2..a5 are reloaded and
 * checked by SBI_EXPECT. */
#define CALL(eid, fid) li a7, eid; li a6, fid; ecall
#define ARGS(x0, x1, x2, x3, x4) li a0, x0; li a1, x1; li a2, x2; li a3, x3; li a4, x4
/* The call must return error `err` (a0) and leave a2..a4, a6 and a7 as they were. */
#define SBI_EXPECT(n, eid, fid, x0, x1, x2, x3, x4, err) ARGS(x0, x1, x2, x3, x4); CALL(eid, fid); CHECK(n, a0, err); \
  CHECK(n, a2, x2); CHECK(n, a3, x3); CHECK(n, a4, x4); CHECK(n, a6, fid); CHECK(n, a7, eid)
/* The same through WVCALL. */
#define HC(n, fid, x0, x1, err) li a0, x0; li a1, x1; li a7, EID_WV; li a6, fid; WVCALL; CHECK(n, a0, err)
#define HCE(n, fid, x0, x1, err) li a0, x0; li a1, x1; li a7, EID_WV; li a6, fid; ecall; CHECK(n, a0, err)

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  # ── Base ──
  SBI_EXPECT(1, EID_BASE, 0, 0, 0, 0, 0, 0, OK)
  CHECK(2, a1, 0x02000000)
  SBI_EXPECT(3, EID_BASE, 1, 0, 0, 0, 0, 0, OK)
  CHECK(4, a1, 0x574d56)
  SBI_EXPECT(5, EID_BASE, 2, 0, 0, 0, 0, 0, OK)
  SBI_EXPECT(6, EID_BASE, 3, EID_DBCN, 0, 0, 0, 0, OK)
  CHECK(7, a1, 1)
  SBI_EXPECT(8, EID_BASE, 3, 0x12345678, 0, 0, 0, 0, OK)
  CHECK(9, a1, 0)
  SBI_EXPECT(10, EID_BASE, 3, -1, 0, 0, 0, 0, OK)
  CHECK(11, a1, 0)
  SBI_EXPECT(12, EID_BASE, 3, EID_WV, 0, 0, 0, 0, OK)
  CHECK(13, a1, 1)
  SBI_EXPECT(14, EID_BASE, 3, 0x09, 0, 0, 0, 0, OK)     # legacy range ends at 0x08
  CHECK(15, a1, 0)
  SBI_EXPECT(16, EID_BASE, 4, 0, 0, 0, 0, 0, OK)
  SBI_EXPECT(17, EID_BASE, 5, 0, 0, 0, 0, 0, OK)
  SBI_EXPECT(18, EID_BASE, 6, 0, 0, 0, 0, 0, OK)
  SBI_EXPECT(19, EID_BASE, 7, 0, 0, 0, 0, 0, NOT_SUPPORTED)
  SBI_EXPECT(20, EID_BASE, -1, 0, 0, 0, 0, 0, NOT_SUPPORTED)
  PRINT(msg_base)

  # ── TIME (interrupts stay off: sip.STIP shows what happened) ──
  li t0, SIP_STIP
  csrw sie, t0
  SBI_EXPECT(30, EID_TIME, 0, 0, 0, 0, 0, 0, OK)        # in the past: pending at once
  csrr a0, sip
  andi a0, a0, SIP_STIP
  CHECK(31, a0, SIP_STIP)
  SBI_EXPECT(32, EID_TIME, 0, -1, -1, 0, 0, 0, OK)      # disarmed: STIP drops and stays down
  call spin
  csrr a0, sip
  andi a0, a0, SIP_STIP
  CHECK(33, a0, 0)
  # 0x1999_9999_9999_999a ticks × 10 cycles = 2^64 + 4: beyond the clock's range, never.
  SBI_EXPECT(34, EID_TIME, 0, 0x9999999a, 0x19999999, 0, 0, 0, OK)
  call spin
  csrr a0, sip
  andi a0, a0, SIP_STIP
  CHECK(35, a0, 0)
  SBI_EXPECT(36, EID_TIME, 0, 0, 0x80000000, 0, 0, 0, OK)
  call spin
  csrr a0, sip
  andi a0, a0, SIP_STIP
  CHECK(37, a0, 0)
  rdtime t1                          # 100 ticks from now: fires within the spin of 5000
  addi t1, t1, 100
  rdtimeh t2
  mv a0, t1
  mv a1, t2
  CALL(EID_TIME, 0)
  CHECK(38, a0, OK)
  call spin
  csrr a0, sip
  andi a0, a0, SIP_STIP
  CHECK(39, a0, SIP_STIP)
  SBI_EXPECT(40, EID_TIME, 1, 0, 0, 0, 0, 0, NOT_SUPPORTED)
  SBI_EXPECT(41, EID_TIME, 0, -1, -1, 0, 0, 0, OK)
  csrw sie, zero
  PRINT(msg_time)

  # ── IPI ──
  SBI_EXPECT(50, EID_IPI, 0, 2, 0, 0, 0, 0, INVALID_PARAM)      # hart 1 does not exist
  SBI_EXPECT(51, EID_IPI, 0, 1, 1, 0, 0, 0, INVALID_PARAM)      # base 1: hart 1
  SBI_EXPECT(52, EID_IPI, 0, -1, 0, 0, 0, 0, INVALID_PARAM)
  SBI_EXPECT(53, EID_IPI, 0, 1, 0xffffff00, 0, 0, 0, INVALID_PARAM)
  csrr a0, sip
  CHECK(54, a0, 0)
  SBI_EXPECT(55, EID_IPI, 0, 0, 0, 0, 0, 0, OK)                 # an empty mask: nobody
  csrr a0, sip
  CHECK(56, a0, 0)
  SBI_EXPECT(57, EID_IPI, 0, 0x1234, -1, 0, 0, 0, OK)           # base -1: every hart (the mask is ignored)
  csrr a0, sip
  CHECK(58, a0, SIP_SSIP)
  csrci sip, SIP_SSIP
  SBI_EXPECT(59, EID_IPI, 0, 1, 0, 0, 0, 0, OK)
  csrr a0, sip
  CHECK(60, a0, SIP_SSIP)
  csrci sip, SIP_SSIP
  SBI_EXPECT(61, EID_IPI, 1, 1, 0, 0, 0, 0, NOT_SUPPORTED)
  PRINT(msg_ipi)

  # ── RFENCE ──
  SBI_EXPECT(70, EID_RFENCE, 0, 1, 0, 0, 0, 0, OK)
  SBI_EXPECT(71, EID_RFENCE, 1, 1, 0, 0, -1, 0, OK)              # size -1: everything
  SBI_EXPECT(72, EID_RFENCE, 1, 1, 0, 0x80000000, 0x80000000, 0, OK)
  SBI_EXPECT(73, EID_RFENCE, 1, 1, 0, 0xfffff000, 0x100000, 0, OK)  # wraps past the top
  SBI_EXPECT(74, EID_RFENCE, 1, 1, 0, 0x12345678, 0x100001, 0, OK)
  SBI_EXPECT(75, EID_RFENCE, 1, 0, -1, 0, 0x7fffffff, 0, OK)
  SBI_EXPECT(76, EID_RFENCE, 2, 1, 0, 0, -1, -1, OK)             # ASID -1
  SBI_EXPECT(77, EID_RFENCE, 2, 1, 0, 0xffffffff, 1, 0x1ff, OK)
  SBI_EXPECT(78, EID_RFENCE, 1, 2, 0, 0, -1, 0, INVALID_PARAM)
  SBI_EXPECT(79, EID_RFENCE, 0, 1, 5, 0, 0, 0, INVALID_PARAM)
  SBI_EXPECT(80, EID_RFENCE, 3, 1, 0, 0, -1, 0, NOT_SUPPORTED)   # hypervisor fences: no H
  SBI_EXPECT(81, EID_RFENCE, 6, 1, 0, 0, -1, 0, NOT_SUPPORTED)
  SBI_EXPECT(82, EID_RFENCE, 7, 1, 0, 0, -1, 0, NOT_SUPPORTED)
  SBI_EXPECT(83, EID_RFENCE, 0x100, 1, 0, 0, -1, 0, NOT_SUPPORTED)  # (FID -1: adv-findings-s)
  PRINT(msg_rfence)

  # ── HSM and SRST: refusals leave the partition running ──
  SBI_EXPECT(90, EID_HSM, 0, 0, 0x80000000, 0, 0, 0, ALREADY_AVAILABLE)
  SBI_EXPECT(91, EID_HSM, 0, 1, 0x80000000, 0, 0, 0, INVALID_PARAM)
  SBI_EXPECT(92, EID_HSM, 0, -1, 0, 0, 0, 0, INVALID_PARAM)
  SBI_EXPECT(93, EID_HSM, 2, 0, 0, 0, 0, 0, OK)
  CHECK(94, a1, 0)                                        # started
  SBI_EXPECT(95, EID_HSM, 2, 7, 0, 0, 0, 0, INVALID_PARAM)
  SBI_EXPECT(96, EID_HSM, 3, 0, 0, 0, 0, 0, NOT_SUPPORTED)       # suspend
  SBI_EXPECT(97, EID_HSM, 0x100, 0, 0, 0, 0, 0, NOT_SUPPORTED)
  SBI_EXPECT(100, EID_SRST, 0, 3, 0, 0, 0, 0, INVALID_PARAM)
  SBI_EXPECT(101, EID_SRST, 0, 0xf0000000, 0, 0, 0, 0, INVALID_PARAM)
  SBI_EXPECT(102, EID_SRST, 0, 0, 2, 0, 0, 0, INVALID_PARAM)
  SBI_EXPECT(103, EID_SRST, 0, 1, -1, 0, 0, 0, INVALID_PARAM)
  SBI_EXPECT(104, EID_SRST, 1, 0, 0, 0, 0, 0, NOT_SUPPORTED)
  PRINT(msg_hsm)

  # ── DBCN ──
  SBI_EXPECT(110, EID_DBCN, 0, 4, 0, 0, 0, 0, INVALID_PARAM)          # at 0 (kernel state?)
  SBI_EXPECT(111, EID_DBCN, 0, 0, 0, 0, 0, 0, INVALID_PARAM)          # zero length, still at 0
  SBI_EXPECT(112, EID_DBCN, 0, 1, 0x10000000, 0, 0, 0, INVALID_PARAM) # the UART
  SBI_EXPECT(113, EID_DBCN, 0, 4, 0x80000000, 1, 0, 0, INVALID_PARAM) # above 4 GiB
  SBI_EXPECT(114, EID_DBCN, 0, 0x20, 0xfffffff0, 0, 0, 0, INVALID_PARAM)  # wraps
  SBI_EXPECT(115, EID_DBCN, 0, 8, RAM_END - 4, 0, 0, 0, INVALID_PARAM)    # straddles the end
  SBI_EXPECT(116, EID_DBCN, 0, 0, RAM_END, 0, 0, 0, INVALID_PARAM)        # zero length at the end
  SBI_EXPECT(117, EID_DBCN, 0, -1, 0x80000000, 0, 0, 0, INVALID_PARAM)
  SBI_EXPECT(118, EID_DBCN, 0, 0x100000, 0x80000001, 0, 0, 0, INVALID_PARAM)
  SBI_EXPECT(119, EID_DBCN, 1, 4, 0x7ffffffc, 0, 0, 0, INVALID_PARAM)     # read into no RAM
  SBI_EXPECT(120, EID_DBCN, 1, 0, 0x20000000, 0, 0, 0, INVALID_PARAM)
  la t0, dots                                                  # 128 KiB of '.': 64 KiB move
  li t1, 0x20000
  add t1, t1, t0
  li t2, 0x2e2e2e2e
5:
  sw t2, 0(t0)
  addi t0, t0, 4
  bltu t0, t1, 5b
  la a1, dots
  li a0, 0x20000
  li a2, 0
  CALL(EID_DBCN, 0)
  CHECK(121, a0, OK)
  CHECK(122, a1, 0x10000)
  li a0, '\n'
  CALL(EID_DBCN, 2)
  CHECK(123, a0, OK)
  la a1, dots                                                  # zero length in RAM: nothing
  li a0, 0
  li a2, 0
  CALL(EID_DBCN, 0)
  CHECK(124, a0, OK)
  CHECK(125, a1, 0)
  la a1, inbuf                                                 # read the input: "xyz"
  li a0, 16
  li a2, 0
  CALL(EID_DBCN, 1)
  CHECK(126, a0, OK)
  CHECK(127, a1, 3)
  lw a0, inbuf
  CHECK(128, a0, 0x007a7978)
  la a1, inbuf                                                 # nothing more
  li a0, 16
  li a2, 0
  CALL(EID_DBCN, 1)
  CHECK(129, a0, OK)
  CHECK(130, a1, 0)
  SBI_EXPECT(131, EID_DBCN, 3, 0, 0, 0, 0, 0, NOT_SUPPORTED)
  SBI_EXPECT(132, EID_DBCN, 1, 16, RO, 0, 0, 0, INVALID_PARAM)        # a read into the read-only region
  SBI_EXPECT(133, EID_DBCN, 0, 0, RO, 0, 0, 0, OK)                    # a write from it: fine (0 bytes)
  CHECK(134, a1, 0)
  PRINT(msg_dbcn)

  # ── Legacy extensions: garbage pointers are never followed; only a0 changes ──
  li a1, 0x5a5a5a5a
  li a0, -1                          # set_timer: disarmed
  li t0, -1
  mv a1, t0
  CALL(0x00, 0)
  CHECK(140, a0, 0)
  CHECK(141, a1, -1)
  li a0, 0xdeadbeef                  # send_ipi(hart mask pointer)
  li a1, 0x5a5a5a5a
  CALL(0x04, 0)
  CHECK(142, a0, 0)
  CHECK(143, a1, 0x5a5a5a5a)
  csrr a0, sip
  CHECK(144, a0, SIP_SSIP)
  CALL(0x03, 0)                      # clear_ipi
  CHECK(145, a0, 0)
  csrr a0, sip
  CHECK(146, a0, 0)
  li a0, 0xfffffffc                  # remote_fence_i(garbage)
  CALL(0x05, 0)
  CHECK(147, a0, 0)
  li a0, 0x10000000                  # remote_sfence_vma(the UART as a mask pointer)
  li a1, 0
  li a2, -1
  CALL(0x06, 0)
  CHECK(148, a0, 0)
  li a0, 0
  li a3, 0x1ff
  CALL(0x07, 0)
  CHECK(149, a0, 0)
  CALL(0x02, 0)                      # getchar: nothing left
  CHECK(150, a0, -1)
  li a0, '!'
  li a1, 0x5a5a5a5a
  CALL(0x01, 0)                      # putchar
  CHECK(151, a0, 0)
  CHECK(152, a1, 0x5a5a5a5a)
  li a0, '\n'
  CALL(0x01, 0)
  PRINT(msg_legacy)

  # ── Unknown extensions and functions ──
  SBI_EXPECT(160, 0x09, 0, 0, 0, 0, 0, 0, NOT_SUPPORTED)
  SBI_EXPECT(161, 0x0f, 0, 0, 0, 0, 0, 0, NOT_SUPPORTED)
  SBI_EXPECT(162, 0x08000000, 0, 0, 0, 0, 0, 0, NOT_SUPPORTED)
  SBI_EXPECT(163, 0x08574d57, 0, 0, 0, 0, 0, 0, NOT_SUPPORTED)
  SBI_EXPECT(164, 0x08ffffff, 0, 0, 0, 0, 0, 0, NOT_SUPPORTED)
  SBI_EXPECT(165, 0x09000000, 0, 0, 0, 0, 0, 0, NOT_SUPPORTED)
  SBI_EXPECT(166, 0x0a000000, 0, 0, 0, 0, 0, 0, NOT_SUPPORTED)
  SBI_EXPECT(167, 0x4442434f, 0, 0, 0, 0, 0, 0, NOT_SUPPORTED)
  SBI_EXPECT(168, 0x504d55, 0, 0, 0, 0, 0, 0, NOT_SUPPORTED)      # PMU
  SBI_EXPECT(169, 0x535553, 0, 0, 0, 0, 0, 0, NOT_SUPPORTED)      # SUSP
  SBI_EXPECT(170, 0x43505043, 0, 0, 0, 0, 0, 0, NOT_SUPPORTED)    # CPPC
  SBI_EXPECT(171, -1, -1, 0, 0, 0, 0, 0, NOT_SUPPORTED)
  SBI_EXPECT(172, 0x7fffffff, 0, 0, 0, 0, 0, 0, NOT_SUPPORTED)
  PRINT(msg_unknown)

  # ── Hypercalls from S ──
  HC(180, 0, 0, 0, OK)
  CHECK(181, a1, 1)
  HCE(182, 1, 0, 0, OK)
  CHECK(183, a1, 0)                  # its partition index
  HC(184, 3, 0, 0, INVALID_PARAM)    # notify: no channels at all
  HC(185, 3, 62, 0, INVALID_PARAM)
  HC(186, 3, 63, 0, INVALID_PARAM)
  HC(187, 3, -1, 0, INVALID_PARAM)
  HCE(188, 3, 0x80000000, 0, INVALID_PARAM)
  HC(189, 4, 0, 0x14, INVALID_PARAM) # ppcall
  HC(190, 4, -1, 0xffffffff, INVALID_PARAM)
  HC(191, 5, 0, 0x10, DENIED)        # reply: no call to answer
  HCE(192, 5, 0, 0xf, DENIED)
  HC(193, 8, 0, 0, NOT_SUPPORTED)
  HC(194, -1, 0, 0, NOT_SUPPORTED)
  li a7, EID_BASE                    # WVCALL naming another extension
  li a6, 0
  WVCALL
  CHECK(195, a0, NOT_SUPPORTED)
  li a7, 0
  WVCALL
  CHECK(196, a0, NOT_SUPPORTED)
  HC(197, 2, 0, 0, OK)               # yield
  # recv and reply_recv with no caller and a software interrupt pending: they return at once
  # (EV_NONE), 1000 times each; the interrupt is not taken (sstatus.SIE is off).
  li t0, SIP_SSIP
  csrw sie, t0
  csrsi sip, SIP_SSIP
  li s1, 1000
1:
  HC(198, 6, 0, 0, 0)
  HC(199, 7, 0, 0x10, 0)
  addi s1, s1, -1
  bnez s1, 1b
  csrci sip, SIP_SSIP
  csrw sie, zero
  PRINT(msg_hcall_s)

  # From U: WVCALL is illegal (stval = its bits); ECALL naming the extension is cause 8.
  la a0, user_wvcall
  call run_user
  CHECK(200, a0, 2)
  lw a0, trap_mtval
  CHECK(201, a0, 0x5760000b)
  la a0, user_ecall
  call run_user
  CHECK(202, a0, 8)
  PRINT(msg_hcall_u)

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

# Run the code at a0 in U-mode; return (in S) the scause of the trap that ends it.
run_user:
  li t0, 0x100
  csrc sstatus, t0
  csrw sepc, a0
  la t6, 1f
  sw t6, trap_resume, t5
  sret
1:
  lw a0, trap_mcause
  ret
user_wvcall:
  li a7, EID_WV
  li a6, 1
  WVCALL
2: j 2b
user_ecall:
  li a7, EID_WV
  li a6, 0
  ecall
3: j 3b

# About 5000 instructions.
spin:
  li t0, 2500
4:
  addi t0, t0, -1
  bnez t0, 4b
  ret

  .section .rodata
msg_base:    .asciz "adv-sbi: Base: every FID and probe answered\n"
msg_time:    .asciz "adv-sbi: TIME: past, disarmed and overflowing deadlines\n"
msg_ipi:     .asciz "adv-sbi: IPI: masks naming no hart refused\n"
msg_rfence:  .asciz "adv-sbi: RFENCE: huge, negative and wrapping ranges bounded, bad masks refused\n"
msg_hsm:     .asciz "adv-sbi: HSM/SRST: bad harts, types and reasons refused, still running\n"
msg_dbcn:    .asciz "adv-sbi: DBCN: buffers outside RAM refused (any length), 64 KiB per call\n"
msg_legacy:  .asciz "adv-sbi: legacy calls: garbage pointers never followed\n"
msg_unknown: .asciz "adv-sbi: unknown extensions and functions: NOT_SUPPORTED\n"
msg_hcall_s: .asciz "adv-sbi: hypercalls from S: no channel, no call to answer, 2000 receives with an interrupt pending\n"
msg_hcall_u: .asciz "adv-sbi: hypercalls from U: WVCALL illegal, ECALL its own\n"

  .data
  .align 2
inbuf: .space 16
  .bss
  .align 4
dots: .space 0x20000
