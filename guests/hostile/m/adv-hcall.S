# Adversarial suite, hypercalls from a machine-mode partition (test/adversarial.test.ts). The
# partition holds channel 1 to a passive echo server (guests/ipc/ipc-server.c, which accepts
# protected calls) and channel 5 to the victim (notifications only; the victim never enables
# their interrupt). It checks every hypercall (WVCALL) against guests/sdk/wasmvisor.h:
#
#   FIDs      version, partition, unknown FIDs, WVCALL naming another extension
#   channels  notify and ppcall on every channel id 0..70, -1 and 0x80000000: only 1 and 5 exist
#   notify    a storm of 20,000 notifications to the victim, by hypercall and by doorbell store;
#             doorbells of channels it does not hold read zero and ignore stores
#   ppcall    five or fifteen message registers, a channel without a pp end, 2,000 echo calls
#             with all four registers and the label intact
#   reply     with no call to answer; reply_recv and recv storms with an interrupt pending
#   ECALL     from M, with a7 = the extension and a6 = a FID: the guest's own exception (cause
#             11), nothing served; from S and U: causes 9 and 8
#   WVCALL    from S and U of this machine-mode guest: illegal instruction, mtval = its bits
#
# Prints one line per group, then PASS (test finisher).
#include "test.h"
TEST_NAME("adv-hcall")

#define EID_WV 0x08574d56
#define WVCALL .insn i 0x0b, 0, x0, x0, 0x576
#define OK 0
#define NOT_SUPPORTED -2
#define INVALID_PARAM -3
#define DENIED -4
#define CH_SRV 1
#define CH_VICTIM 5
#define DOORBELL 0x11000000
#define MSIE 0x8

/* A hypercall with a0, a1 as given; a0 must come back as `err`. */
#define HC(n, fid, x0, x1, err) li a0, x0; li a1, x1; li a7, EID_WV; li a6, fid; WVCALL; CHECK(n, a0, err)

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  # ── FIDs ──
  HC(1, 0, 0, 0, OK)
  CHECK(2, a1, 1)
  HC(3, 1, 0, 0, OK)
  CHECK(4, a1, 0)                    # the first partition
  HC(5, 8, 0, 0, NOT_SUPPORTED)
  HC(6, 0x100, 0, 0, NOT_SUPPORTED)
  HC(7, -1, 0, 0, NOT_SUPPORTED)
  li a7, 0x10                        # WVCALL naming the SBI Base extension
  li a6, 0
  WVCALL
  CHECK(8, a0, NOT_SUPPORTED)
  li a7, 0x08574d57
  WVCALL
  CHECK(9, a0, NOT_SUPPORTED)
  PRINT(msg_fids)

  # ── Channel ids: notify on 0..70 succeeds exactly for 1 and 5 ──
  li s0, 0
  li s1, 0                           # bit mask of ids that worked
1:
  mv a0, s0
  li a7, EID_WV
  li a6, 3
  WVCALL
  bnez a0, 2f
  li t0, 1
  sll t0, t0, s0
  or s1, s1, t0
2:
  addi s0, s0, 1
  li t0, 71
  bltu s0, t0, 1b
  CHECK(10, s1, (1 << CH_SRV) | (1 << CH_VICTIM))
  HC(11, 3, -1, 0, INVALID_PARAM)
  HC(12, 3, 0x80000000, 0, INVALID_PARAM)
  HC(13, 3, 63, 0, INVALID_PARAM)
  HC(14, 4, 0, 0x10, INVALID_PARAM)  # ppcall on channels it does not hold
  HC(15, 4, 62, 0x10, INVALID_PARAM)
  HC(16, 4, 0x7fffffff, 0x10, INVALID_PARAM)
  HC(17, 4, CH_VICTIM, 0x10, DENIED) # no pp end
  # Doorbells: its own pages answer, the others read 0 and ignore stores.
  li a1, DOORBELL + CH_VICTIM * 0x1000
  lw a0, 4(a1)
  CHECK(18, a0, CH_VICTIM)
  lw a0, 8(a1)
  CHECK(19, a0, 0x48435657)
  li a1, DOORBELL + 3 * 0x1000
  lw a0, 4(a1)
  CHECK(20, a0, 0)
  sw a1, 0(a1)
  li a1, DOORBELL + 62 * 0x1000
  lw a0, 8(a1)
  CHECK(21, a0, 0)
  li a1, DOORBELL + 63 * 0x1000      # past the window: nothing there
  EXPECT_TRAP(22, 5, lw a0, 0(a1))
  PRINT(msg_channels)

  # ── Notification storms to the victim: 10,000 hypercalls, 10,000 doorbell stores ──
  li s0, 10000
3:
  li a0, CH_VICTIM
  li a7, EID_WV
  li a6, 3
  WVCALL
  CHECK(30, a0, OK)
  addi s0, s0, -1
  bnez s0, 3b
  li s0, 10000
  li a1, DOORBELL + CH_VICTIM * 0x1000
4:
  sw s0, 0(a1)
  addi s0, s0, -1
  bnez s0, 4b
  PRINT(msg_notify)

  # ── Protected calls to the passive echo server ──
  HC(40, 4, CH_SRV, 0x15, INVALID_PARAM)   # five message registers
  HC(41, 4, CH_SRV, 0x1f, INVALID_PARAM)   # fifteen
  HC(42, 4, CH_SRV, -1, INVALID_PARAM)
  li s0, 2000
5:
  li a0, CH_SRV
  li a1, 0x14                        # label 1 (echo), four registers
  mv a2, s0
  not a3, s0
  li a4, 0x12345678
  li a5, -1
  li a7, EID_WV
  li a6, 4
  WVCALL
  CHECK(43, a0, OK)
  CHECK(44, a1, 0x14)
  CHECK_REG(45, a2, s0)
  not t0, s0
  CHECK_REG(46, a3, t0)
  CHECK(47, a4, 0x12345678)
  CHECK(48, a5, -1)
  addi s0, s0, -1
  bnez s0, 5b
  li a0, CH_SRV                      # an unknown operation: label 0xfff, no registers
  li a1, 0x7ffffff0
  li a7, EID_WV
  li a6, 4
  WVCALL
  CHECK(49, a0, OK)
  CHECK(50, a1, 0xfff0)
  PRINT(msg_ppcall)

  # ── Replies with no call; receive storms with a software interrupt pending (MIE off) ──
  HC(60, 5, 0, 0x10, DENIED)
  HC(61, 5, CH_SRV, 0x14, DENIED)
  li t0, MSIE
  csrw mie, t0
  li a1, CLINT_MSIP
  li t0, 1
  sw t0, 0(a1)
  li s0, 1000
6:
  HC(62, 6, 0, 0, 0)                 # recv: EV_NONE, an interrupt is pending
  HC(63, 7, 0, 0x10, 0)              # reply_recv with nothing to answer: the same
  addi s0, s0, -1
  bnez s0, 6b
  li a1, CLINT_MSIP
  sw zero, 0(a1)
  csrw mie, zero
  li s0, 1000                        # yields
7:
  HC(64, 2, 0, 0, OK)
  addi s0, s0, -1
  bnez s0, 7b
  PRINT(msg_reply)

  # ── ECALL is the guest's own, whatever a7 holds ──
  li a0, 0x5a5a
  li a7, EID_WV
  li a6, 1
  EXPECT_TRAP(70, 11, ecall)
  CHECK(71, a0, 0x5a5a)              # nothing was served
  li a7, EID_WV
  li a6, 3
  li a0, CH_VICTIM
  EXPECT_TRAP(72, 11, ecall)
  li a0, 0x10                        # the old SBI convention too
  li a7, 0x10
  li a6, 0
  EXPECT_TRAP(73, 11, ecall)
  CHECK(74, a0, 0x10)
  la a0, lower_ecall
  li a1, 0x0800                      # from S: cause 9
  call run_at
  CHECK(75, a0, 9)
  la a0, lower_ecall
  li a1, 0                           # from U: cause 8
  call run_at
  CHECK(76, a0, 8)
  la a0, lower_wvcall                # WVCALL from S and U: illegal
  li a1, 0x0800
  call run_at
  CHECK(77, a0, 2)
  CHECK_TVAL(78, 0x5760000b)
  la a0, lower_wvcall
  li a1, 0
  call run_at
  CHECK(79, a0, 2)
  CHECK_TVAL(80, 0x5760000b)
  PRINT(msg_ecall)

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

# Enter privilege a1 (MPP bits) at a0; returns a0 = mcause of the trap that comes back to M.
run_at:
  csrw mepc, a0
  li t0, 0x1800
  csrc mstatus, t0
  csrs mstatus, a1
  la t0, 1f
  sw t0, trap_resume, t1
  mret
1:
  lw a0, trap_mcause
  ret
lower_ecall:
  li a7, EID_WV
  li a6, 1
  ecall
2: j 2b
lower_wvcall:
  li a7, EID_WV
  li a6, 1
  WVCALL
3: j 3b

  .section .rodata
msg_fids:     .asciz "adv-hcall: FIDs: unknown ones and other extensions NOT_SUPPORTED\n"
msg_channels: .asciz "adv-hcall: channel ids 0..70, -1, 0x80000000: only its own two answer; doorbells too\n"
msg_notify:   .asciz "adv-hcall: 20,000 notifications to the victim\n"
msg_ppcall:   .asciz "adv-hcall: bad message lengths refused, 2,000 echo calls intact\n"
msg_reply:    .asciz "adv-hcall: replies with no call DENIED, 2,000 receives and 1,000 yields\n"
msg_ecall:    .asciz "adv-hcall: ECALL stays the guest's own from M, S and U; WVCALL illegal from S and U\n"
