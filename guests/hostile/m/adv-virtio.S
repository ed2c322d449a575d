# Adversarial suite, virtio (test/adversarial.test.ts): a machine-mode guest drives its own
# virtio-blk (slot 0x1000_1000, a 32 MiB disk) and virtio-console (0x1000_2000, console input
# "ping") through the MMIO registers and split virtqueues it lays out itself, and attacks them.
# Its partition has 1 MiB of RAM and a read-only shared region at 0x2000_0000. The contract
# (src/devices/virtio-mmio.ts, virtio-blk.ts, virtio-console.ts): a ring or buffer outside the
# partition's memory — any length, zero included — a loop, an indirect descriptor, an avail
# index jump, a malformed request put the device in DEVICE_NEEDS_RESET (status bit 64) with a
# configuration-change interrupt (InterruptStatus bit 1, the PLIC line, mip.MEIP); requests past
# the disk or larger than 16 MiB fail with VIRTIO_BLK_S_IOERR; the host never throws. Checked:
#
#   slots      the six empty virtio slots answer as empty (magic, version 2, device 0) and
#              ignore writes
#   registers  identity; byte and halfword accesses read 0 and are ignored; misaligned words
#              fault; read-only registers ignore stores; unknown offsets read 0; queues that do
#              not exist; queue sizes that are not powers of two or too large; features the
#              device does not offer, or without VERSION_1 (FEATURES_OK refused)
#   config     the disk's capacity in every width; stores to it ignored; the writeback byte
#              (byte stores only); the console's empty configuration space
#   rings      descriptor table, avail and used rings at 0, in device space, straddling either
#              end of RAM, wrapping, above 4 GiB (the HIGH registers), in the read-only region
#   buffers    at 0 and at the end of RAM with length 0, in device space, 0xffffffff long,
#              wrapping, above 4 GiB, in the read-only region (device-writable); headers too
#              short or writable, no status byte, a read-only status byte, data the wrong way
#   chains     loops (two descriptors, one to itself), next beyond the table, heads beyond the
#              table, indirect descriptors, avail index jumps (ahead, and backwards past 0)
#   requests   past the disk, straddling its end, sector 2^64 - 1, not whole sectors, 16 MiB
#              plus 256 KiB (IOERR) and exactly 16 MiB (served), unknown types (UNSUPP),
#              flush, GET_ID, a write read back
#   notify     before DRIVER_OK, queues that do not exist (nothing happens)
#   console    receive buffers of length 0 outside RAM (found when input arrives), transmit
#              buffers outside RAM and of length 0 in the read-only region, and a 4 MiB + 1 byte
#              transmit in one chain, which must come out whole, bounded per exit (the host
#              output checks its length)
#
# After each broken case the device is reset and must come back clean. Prints one line per
# group, then PASS (test finisher).
#include "test.h"
TEST_NAME("adv-virtio")

#define BLK 0x10001000
#define CON 0x10002000
#define RAM_END 0x80100000
#define RO 0x20000000            /* a read-only shared region (4 KiB) */
#define OUT 0x40000000           /* nothing there (the control run maps memory here) */
#define PLIC_PRIO 0x0c000000
#define PLIC_PENDING 0x0c001000
#define PLIC_ENABLE0 0x0c002000
#define MIP_MEIP 0x800

#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_VENDOR 0x00c
#define R_DEV_FEAT 0x010
#define R_DEV_FEAT_SEL 0x014
#define R_DRV_FEAT 0x020
#define R_DRV_FEAT_SEL 0x024
#define R_QSEL 0x030
#define R_QNUM_MAX 0x034
#define R_QNUM 0x038
#define R_QREADY 0x044
#define R_QNOTIFY 0x050
#define R_ISR 0x060
#define R_IACK 0x064
#define R_STATUS 0x070
#define R_QDESC 0x080
#define R_QDESC_HI 0x084
#define R_QDRV 0x090
#define R_QDRV_HI 0x094
#define R_QDEV 0x0a0
#define R_QDEV_HI 0x0a4
#define R_GEN 0x0fc
#define R_CONFIG 0x100

#define F_NEXT 1
#define F_WRITE 2
#define F_INDIRECT 4
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define BROKEN -1
#define HIGH 0x10000
#define END -1

/* Fixed addresses in RAM: rings (blk: 128 entries; console: 32 per queue) and buffers. */
#define DESC 0x80040000
#define AVAIL 0x80040800
#define USED 0x80041000
#define RXDESC 0x80042000
#define RXAVAIL 0x80042400
#define RXUSED 0x80042800
#define TXDESC 0x80043000
#define TXAVAIL 0x80043400
#define TXUSED 0x80043800
#define HDR 0x80044000
#define STATUSB 0x80044100
#define IDBUF 0x80044200
#define RXBUF 0x80044300
#define NL 0x80044400
#define DATA 0x80045000
#define BIG 0x80080000
#define BIGLEN 0x40000

/* A case: the rings' addresses, the avail index and head the driver publishes, what must
 * happen (BROKEN, or the status byte), the descriptors, and (blk) the request header. */
#define CASE(desc, avail, used, aidx, head, expect, n, type, slo, shi) \
  .word desc, avail, used, aidx, head, expect, n, type, slo, shi
#define D(addr, len, flags, next) .word addr, len, flags, next
/* A request of one data buffer: header, data, status. */
#define REQ1(expect, type, slo, shi, addr, len, dflags) \
  CASE(DESC, AVAIL, USED, 1, 0, expect, 3, type, slo, shi); \
  D(HDR, 16, F_NEXT, 1); D(addr, len, (dflags) | F_NEXT, 2); D(STATUSB, 1, F_WRITE, 0)
/* The same with the rings elsewhere. */
#define RINGS(expect, desc, avail, used) \
  CASE(desc, avail, used, 1, 0, expect, 3, T_GET_ID, 0, 0); \
  D(HDR, 16, F_NEXT, 1); D(IDBUF, 20, F_WRITE | F_NEXT, 2); D(STATUSB, 1, F_WRITE, 0)

/* Registers: offset of base register s0. */
#define RD(reg, off) lw reg, off(s0)
#define WR(off, value) li t0, value; sw t0, off(s0)

  .text
  .globl test_main
test_main:
  addi sp, sp, -16
  sw ra, 12(sp)

  # The devices' PLIC sources reach context 0 (M): the broken devices' interrupt shows in mip.
  li t0, PLIC_PRIO
  li t1, 1
  sw t1, 4(t0)
  sw t1, 8(t0)
  li t0, PLIC_ENABLE0
  li t1, 6
  sw t1, 0(t0)

  # ── Empty slots: they answer as QEMU's do (magic, version 2, device 0) and ignore writes ──
  li s1, 0x10003000
1:
  lw a0, 0(s1)
  CHECK(1, a0, 0x74726976)
  lw a0, 4(s1)
  CHECK(2, a0, 2)
  lw a0, 8(s1)
  CHECK(3, a0, 0)
  li t0, 7
  sw t0, 0x70(s1)                    # a status write: ignored
  lw a0, 0x70(s1)
  CHECK(4, a0, 0)
  li t0, 0x1000
  add s1, s1, t0
  li t0, 0x10009000
  bltu s1, t0, 1b
  PRINT(msg_slots)

  # ── Registers ──
  li s0, BLK
  RD(a0, R_MAGIC)
  CHECK(10, a0, 0x74726976)
  RD(a0, R_VERSION)
  CHECK(11, a0, 2)
  RD(a0, R_DEVICE_ID)
  CHECK(12, a0, 2)
  RD(a0, R_VENDOR)
  CHECK(13, a0, 0x00574d56)
  li s0, CON
  RD(a0, R_DEVICE_ID)
  CHECK(14, a0, 3)
  li s0, BLK
  lbu a0, R_MAGIC(s0)                # 32-bit registers: narrower reads give 0
  CHECK(15, a0, 0)
  lhu a0, R_MAGIC(s0)
  CHECK(16, a0, 0)
  addi a1, s0, 2                     # misaligned: access faults
  EXPECT_TRAP(17, 5, lw a0, 0(a1))
  addi a1, s0, R_STATUS + 2
  EXPECT_TRAP(18, 7, sw a0, 0(a1))
  li t0, 0xf                         # a byte store to Status is ignored
  sb t0, R_STATUS(s0)
  RD(a0, R_STATUS)
  CHECK(19, a0, 0)
  WR(R_MAGIC, 0)                     # read-only registers
  WR(R_DEVICE_ID, 3)
  RD(a0, R_MAGIC)
  CHECK(20, a0, 0x74726976)
  RD(a0, R_DEVICE_ID)
  CHECK(21, a0, 2)
  RD(a0, 0x0a8)
  CHECK(22, a0, 0)
  RD(a0, 0x0f8)
  CHECK(23, a0, 0)
  RD(a0, R_GEN)
  CHECK(24, a0, 0)
  WR(R_DEV_FEAT_SEL, 2)              # feature words beyond 64 bits read 0
  RD(a0, R_DEV_FEAT)
  CHECK(25, a0, 0)
  WR(R_DEV_FEAT_SEL, -1)
  RD(a0, R_DEV_FEAT)
  CHECK(26, a0, 0)
  WR(R_QSEL, 1)                      # queues that do not exist
  RD(a0, R_QNUM_MAX)
  CHECK(27, a0, 0)
  WR(R_QNUM, 8)
  WR(R_QREADY, 1)
  RD(a0, R_QREADY)
  CHECK(28, a0, 0)
  WR(R_QDESC, DESC)
  RD(a0, R_QDESC)
  CHECK(29, a0, 0)
  WR(R_QSEL, -1)
  RD(a0, R_QNUM_MAX)
  CHECK(30, a0, 0)
  WR(R_QSEL, 0)
  RD(a0, R_QNUM_MAX)
  CHECK(31, a0, 128)
  WR(R_QNUM, 3)                      # not a power of two, too large, zero: no queue
  WR(R_QNUM, 256)
  WR(R_QNUM, 0)
  WR(R_QREADY, 1)
  RD(a0, R_QREADY)
  CHECK(32, a0, 0)
  # Features the device does not offer, or without VERSION_1: FEATURES_OK is refused.
  WR(R_STATUS, 3)
  WR(R_DRV_FEAT_SEL, 1)
  WR(R_DRV_FEAT, 1)                  # VERSION_1
  WR(R_DRV_FEAT_SEL, 0)
  WR(R_DRV_FEAT, 2)                  # SIZE_MAX: not offered
  WR(R_STATUS, 0xb)
  RD(a0, R_STATUS)
  CHECK(33, a0, 3)
  WR(R_STATUS, 0)
  WR(R_STATUS, 3)
  WR(R_DRV_FEAT_SEL, 1)
  WR(R_DRV_FEAT, 0)                  # no VERSION_1
  WR(R_DRV_FEAT_SEL, 5)
  WR(R_DRV_FEAT, -1)                 # (a word that does not exist)
  WR(R_STATUS, 0xb)
  RD(a0, R_STATUS)
  CHECK(34, a0, 3)
  WR(R_STATUS, 0)
  PRINT(msg_regs)

  # ── Configuration space ──
  RD(a0, R_CONFIG)                   # 32 MiB: 65536 sectors
  CHECK(40, a0, 0x10000)
  RD(a0, R_CONFIG + 4)
  CHECK(41, a0, 0)
  lbu a0, R_CONFIG + 2(s0)
  CHECK(42, a0, 1)
  lhu a0, R_CONFIG + 2(s0)
  CHECK(43, a0, 1)
  WR(R_CONFIG, -1)                   # capacity is read-only
  sb t0, R_CONFIG + 1(s0)
  RD(a0, R_CONFIG)
  CHECK(44, a0, 0x10000)
  lbu a0, R_CONFIG + 32(s0)          # writeback: writethrough (memory is stable)
  CHECK(45, a0, 0)
  li t0, 0xff
  sb t0, R_CONFIG + 32(s0)
  lbu a0, R_CONFIG + 32(s0)
  CHECK(46, a0, 1)
  WR(R_CONFIG + 32, 0)               # only byte stores count
  lbu a0, R_CONFIG + 32(s0)
  CHECK(47, a0, 1)
  sb zero, R_CONFIG + 32(s0)
  lbu a0, R_CONFIG + 32(s0)
  CHECK(48, a0, 0)
  li t0, 0xefc
  add t0, t0, s0
  lw a0, R_CONFIG(t0)                # the far end of the configuration space
  CHECK(49, a0, 0)
  li s0, CON
  RD(a0, R_CONFIG)
  CHECK(50, a0, 0)
  WR(R_CONFIG, -1)
  RD(a0, R_CONFIG)
  CHECK(51, a0, 0)
  PRINT(msg_config)

  # ── Notify before DRIVER_OK and of queues that do not exist ──
  li s0, BLK
  call ring_clear
  call dev_init
  li a0, DESC
  li a1, AVAIL
  li a2, USED
  li a3, 128
  li a4, 0
  call queue_setup
  li t0, HDR
  li t1, T_GET_ID
  sw t1, 0(t0)
  la a0, case_getid
  li a5, DESC
  li a6, AVAIL
  call case_publish
  WR(R_QNOTIFY, 0)                   # not DRIVER_OK yet
  li t0, USED
  lhu a0, 2(t0)
  CHECK(60, a0, 0)
  call go
  WR(R_QNOTIFY, 1)
  WR(R_QNOTIFY, 7)
  WR(R_QNOTIFY, -1)
  li t0, USED
  lhu a0, 2(t0)
  CHECK(61, a0, 0)
  RD(a0, R_STATUS)
  CHECK(62, a0, 0xf)
  WR(R_QNOTIFY, 0)                   # the real one: served
  li t0, USED
  lhu a0, 2(t0)
  CHECK(63, a0, 1)
  WR(R_STATUS, 0)
  PRINT(msg_notify)

  # ── The console: receive and transmit (BIG: 256 KiB of 'Z'; NL: a newline) ──
  li t0, BIG
  li t1, BIG + BIGLEN
  li t2, 0x5a5a5a5a
4:
  sw t2, 0(t0)
  addi t0, t0, 4
  bltu t0, t1, 4b
  li t0, NL
  li t1, '\n'
  sw t1, 0(t0)
  la s1, con_cases
  li s2, 80
2:
  mv TESTNUM, s2
  mv a0, s1
  call con_case
  mv s1, a0
  addi s2, s2, 1
  lw t0, 0(s1)
  li t1, END
  bne t0, t1, 2b
  li t0, RXBUF                       # the input arrived: "ping"
  lw a0, 0(t0)
  CHECK(99, a0, 0x676e6970)
  PRINT(msg_console)

  # ── The block device: rings, buffers, chains, requests ──
  la s1, blk_cases
  li s2, 100
3:
  mv TESTNUM, s2
  mv a0, s1
  call blk_case
  mv s1, a0
  addi s2, s2, 1
  lw t0, 0(s1)
  li t1, END
  bne t0, t1, 3b
  li t0, IDBUF                       # GET_ID: "other-vda"
  lw a0, 0(t0)
  CHECK(200, a0, 0x6568746f)
  li t0, DATA                        # the sector written with 'A's was read back
  lw a0, 0(t0)
  CHECK(201, a0, 0x41414141)
  li t0, DATA + 508
  lw a0, 0(t0)
  CHECK(202, a0, 0x41414141)
  # A ring above 4 GiB through the HIGH registers.
  li s0, BLK
  call dev_init
  WR(R_QSEL, 0)
  WR(R_QDESC_HI, 1)
  call check_broken
  li s0, CON
  call dev_init
  WR(R_QSEL, 1)
  WR(R_QDEV_HI, -1)
  call check_broken
  PRINT(msg_blk)

  lw ra, 12(sp)
  addi sp, sp, 16
  ret

# ── Device helpers (s0 = the device's base) ─────────────────────────────────────────────────

# Reset, ACKNOWLEDGE | DRIVER, accept VERSION_1 only, FEATURES_OK (must stick).
dev_init:
  sw zero, R_STATUS(s0)
  li t0, 3
  sw t0, R_STATUS(s0)
  li t0, 1
  sw t0, R_DRV_FEAT_SEL(s0)
  sw t0, R_DRV_FEAT(s0)
  sw zero, R_DRV_FEAT_SEL(s0)
  sw zero, R_DRV_FEAT(s0)
  li t0, 0xb
  sw t0, R_STATUS(s0)
  lw t1, R_STATUS(s0)
  li t6, 0xb
  mv t5, t1
  bne t5, t6, test_fail_values
  ret

# Queue a4 of a3 entries with rings at a0 (descriptors), a1 (avail), a2 (used).
queue_setup:
  sw a4, R_QSEL(s0)
  sw a3, R_QNUM(s0)
  sw a0, R_QDESC(s0)
  sw zero, R_QDESC_HI(s0)
  sw a1, R_QDRV(s0)
  sw zero, R_QDRV_HI(s0)
  sw a2, R_QDEV(s0)
  sw zero, R_QDEV_HI(s0)
  li t0, 1
  sw t0, R_QREADY(s0)
  lw t1, R_QREADY(s0)
  li t6, 1
  mv t5, t1
  bne t5, t6, test_fail_values
  ret

go:
  li t0, 0xf
  sw t0, R_STATUS(s0)
  ret

# The device must be in DEVICE_NEEDS_RESET with a configuration-change interrupt raised (its
# InterruptStatus, the PLIC's pending bit, mip.MEIP); after a reset all of that is gone.
check_broken:
  lw t5, R_STATUS(s0)
  andi t5, t5, 64
  li t6, 64
  bne t5, t6, test_fail_values
  lw t5, R_ISR(s0)
  andi t5, t5, 2
  li t6, 2
  bne t5, t6, test_fail_values
  csrr t5, mip
  li t6, MIP_MEIP
  and t5, t5, t6
  bne t5, t6, test_fail_values
  li t0, PLIC_PENDING
  lw t5, 0(t0)
  bnez t5, 1f
  li t6, 1
  j test_fail_values
1:
  sw zero, R_STATUS(s0)
  lw t5, R_STATUS(s0)
  li t6, 0
  bne t5, t6, test_fail_values
  lw t5, R_ISR(s0)
  bne t5, t6, test_fail_values
  li t0, PLIC_PENDING
  lw t5, 0(t0)
  bne t5, t6, test_fail_values
  csrr t5, mip
  bne t5, t6, test_fail_values
  ret

# The device must not be broken.
check_fine:
  lw t5, R_STATUS(s0)
  li t6, 0xf
  bne t5, t6, test_fail_values
  ret

# Zero every ring (16 KiB from DESC) and the status byte's neighbourhood.
ring_clear:
  li t0, DESC
  li t1, DESC + 0x4000
1:
  sw zero, 0(t0)
  addi t0, t0, 4
  bltu t0, t1, 1b
  li t0, STATUSB
  li t1, 0x5a
  sb t1, 0(t0)
  ret

# Publish case a0 (see CASE): its descriptors at DESC (or TXDESC/RXDESC: a5), its head in the
# avail ring at a6 with its avail index. Returns a0 = the next case.
case_publish:
  lw t0, 24(a0)                      # descriptors
  addi t1, a0, 40
  li t2, 0
1:
  beq t2, t0, 2f
  lw t3, 0(t1)
  sw t3, 0(a5)
  lw t3, 4(t1)
  sw t3, 8(a5)
  lw t3, 8(t1)                       # flags; bit 16 (HIGH) puts the buffer above 4 GiB
  sh t3, 12(a5)
  srli t3, t3, 16
  sw t3, 4(a5)
  lw t3, 12(t1)
  sh t3, 14(a5)
  addi t1, t1, 16
  addi a5, a5, 16
  addi t2, t2, 1
  j 1b
2:
  lw t3, 16(a0)                      # head
  sh t3, 4(a6)
  lw t3, 12(a0)                      # avail index
  sh t3, 2(a6)
  mv a0, t1
  ret

# ── The block device's cases ────────────────────────────────────────────────────────────────
# a0 = the case; returns a0 = the next one. TESTNUM names it in a failure.
blk_case:
  addi sp, sp, -16
  sw ra, 12(sp)
  sw s1, 8(sp)
  mv s1, a0
  li s0, BLK
  call ring_clear
  lw t0, 28(s1)                      # the request header
  li t1, HDR
  sw t0, 0(t1)
  sw zero, 4(t1)
  lw t0, 32(s1)
  sw t0, 8(t1)
  lw t0, 36(s1)
  sw t0, 12(t1)
  mv a0, s1
  li a5, DESC
  li a6, AVAIL
  call case_publish
  sw a0, 4(sp)
  call dev_init
  lw a0, 0(s1)
  lw a1, 4(s1)
  lw a2, 8(s1)
  li a3, 128
  li a4, 0
  call queue_setup
  call go
  sw zero, R_QNOTIFY(s0)
  lw t0, 20(s1)
  li t1, BROKEN
  bne t0, t1, 1f
  call check_broken
  j 2f
1:
  call check_fine                    # served: the status byte, one used entry with its head
  li t0, STATUSB
  lbu t5, 0(t0)
  lw t6, 20(s1)
  bne t5, t6, test_fail_values
  li t0, USED
  lhu t5, 2(t0)
  li t6, 1
  bne t5, t6, test_fail_values
  lw t5, 4(t0)
  lw t6, 16(s1)
  bne t5, t6, test_fail_values
  sw zero, R_STATUS(s0)
2:
  lw a0, 4(sp)
  lw s1, 8(sp)
  lw ra, 12(sp)
  addi sp, sp, 16
  ret

# ── The console's cases (case.type: 0 receive queue, 1 transmit queue) ──────────────────────
con_case:
  addi sp, sp, -16
  sw ra, 12(sp)
  sw s1, 8(sp)
  mv s1, a0
  li s0, CON
  call ring_clear
  lw t0, 28(s1)
  mv a0, s1
  li a5, RXDESC
  li a6, RXAVAIL
  beqz t0, 1f
  li a5, TXDESC
  li a6, TXAVAIL
1:
  call case_publish
  sw a0, 4(sp)
  call dev_init
  lw t0, 28(s1)                      # the attacked queue gets the case's rings
  li a0, RXDESC
  li a1, RXAVAIL
  li a2, RXUSED
  bnez t0, 2f
  lw a0, 0(s1)
  lw a1, 4(s1)
  lw a2, 8(s1)
2:
  li a3, 32
  li a4, 0
  call queue_setup
  lw t0, 28(s1)
  li a0, TXDESC
  li a1, TXAVAIL
  li a2, TXUSED
  beqz t0, 3f
  lw a0, 0(s1)
  lw a1, 4(s1)
  lw a2, 8(s1)
3:
  li a3, 32
  li a4, 1
  call queue_setup
  call go                            # receive buffers are filled now (input is waiting)
  lw t0, 28(s1)
  beqz t0, 4f
  li t0, 1
  sw t0, R_QNOTIFY(s0)               # transmit
4:
  lw t0, 20(s1)
  li t1, BROKEN
  bne t0, t1, 5f
  call check_broken
  j 7f
5:
  call check_fine
  li t0, RXUSED                      # one chain came back on the attacked queue
  lw t1, 28(s1)
  beqz t1, 6f
  li t0, TXUSED
6:
  lhu t5, 2(t0)
  li t6, 1
  bne t5, t6, test_fail_values
  lw t5, 8(t0)                       # its length: what the device wrote
  lw t6, 20(s1)
  bne t5, t6, test_fail_values
  sw zero, R_STATUS(s0)
7:
  lw a0, 4(sp)
  lw s1, 8(sp)
  lw ra, 12(sp)
  addi sp, sp, 16
  ret

  .section .rodata
  .align 2
case_getid:
  RINGS(0, DESC, AVAIL, USED)

/* Console cases: CASE(desc, avail, used, aidx, head, expect, n, queue, 0, 0); expect is BROKEN
 * or the length the device wrote into the chain. */
con_cases:
  CASE(RXDESC, RXAVAIL, RXUSED, 1, 0, BROKEN, 1, 0, 0, 0); D(0, 0, F_WRITE, 0)           # 80 receive: length 0 at 0
  CASE(RXDESC, RXAVAIL, RXUSED, 1, 0, BROKEN, 1, 0, 0, 0); D(RAM_END, 0, F_WRITE, 0)     # 81 length 0 at the end of RAM
  CASE(RXDESC, RXAVAIL, RXUSED, 1, 0, BROKEN, 1, 0, 0, 0); D(RO, 16, F_WRITE, 0)         # 82 into the read-only region
  CASE(RXDESC, RXAVAIL, RXUSED, 1, 0, 4, 1, 0, 0, 0); D(RXBUF, 16, F_WRITE, 0)           # 83 a good one: "ping"
  CASE(TXDESC, TXAVAIL, TXUSED, 1, 0, BROKEN, 1, 1, 0, 0); D(0, 0, 0, 0)                 # 84 transmit: length 0 at 0
  CASE(TXDESC, TXAVAIL, TXUSED, 1, 0, BROKEN, 1, 1, 0, 0); D(OUT, 0, 0, 0)               # 85 length 0 where nothing is
  CASE(TXDESC, TXAVAIL, TXUSED, 1, 0, BROKEN, 1, 1, 0, 0); D(CON, 4, 0, 0)               # 86 its own registers
  CASE(TXDESC, TXAVAIL, TXUSED, 1, 0, BROKEN, 1, 1, 0, 0); D(RAM_END - 2, 4, 0, 0)       # 87 straddling the end
  CASE(TXDESC, TXAVAIL, TXUSED, 1, 0, BROKEN, 2, 1, 0, 0); D(NL, 1, F_NEXT, 1); D(NL, 1, F_NEXT, 0)  # 88 a loop
  CASE(TXDESC, TXAVAIL, TXUSED, 1, 0, BROKEN, 1, 1, 0, 0); D(NL, 1, F_INDIRECT, 0)       # 89 indirect
  CASE(TXDESC, TXAVAIL, TXUSED, 40, 0, BROKEN, 1, 1, 0, 0); D(NL, 1, 0, 0)               # 90 avail index 40 > 32 ahead
  CASE(TXDESC, TXAVAIL, TXUSED, 1, 32, BROKEN, 1, 1, 0, 0); D(NL, 1, 0, 0)               # 91 head beyond the table
  CASE(OUT, TXAVAIL, TXUSED, 1, 0, BROKEN, 1, 1, 0, 0); D(NL, 1, 0, 0)                   # 92 descriptors where nothing is
  CASE(TXDESC, 0x7ffffffe, TXUSED, 1, 0, BROKEN, 1, 1, 0, 0); D(NL, 1, 0, 0)             # 93 avail straddling the start of RAM
  CASE(TXDESC, TXAVAIL, RO, 1, 0, BROKEN, 1, 1, 0, 0); D(NL, 1, 0, 0)                    # 94 used ring read-only
  CASE(TXDESC, TXAVAIL, TXUSED, 1, 0, 0, 1, 1, 0, 0); D(RO + 16, 0, 0, 0)                # 95 length 0 in the read-only region: fine
  /* 96: 16 × 256 KiB of 'Z' and a newline in one chain: 4 MiB + 1 byte of output. */
  CASE(TXDESC, TXAVAIL, TXUSED, 1, 0, 0, 17, 1, 0, 0)
  .set i, 1
  .rept 16
  D(BIG, BIGLEN, F_NEXT, i)
  .set i, i + 1
  .endr
  D(NL, 1, 0, 0)
  .word END

/* Block cases: CASE(desc, avail, used, aidx, head, expect, n, type, sector low, high); expect is
 * BROKEN or the status byte. */
blk_cases:
  RINGS(BROKEN, 0, AVAIL, USED)                                  # 100 descriptor table at 0
  RINGS(BROKEN, OUT, AVAIL, USED)                                # 101 where nothing is
  RINGS(BROKEN, BLK, AVAIL, USED)                                # 102 in its own registers
  RINGS(BROKEN, RAM_END - 8, AVAIL, USED)                        # 103 straddling the end of RAM
  RINGS(BROKEN, 0xfffffff0, AVAIL, USED)                         # 104 wrapping
  RINGS(BROKEN, DESC, 0, USED)                                   # 105 avail ring at 0
  RINGS(BROKEN, DESC, 0x10000000, USED)                          # 106 in the UART
  RINGS(BROKEN, DESC, RAM_END - 4, USED)                         # 107 straddling the end
  RINGS(BROKEN, DESC, 0xfffffffe, USED)                          # 108 wrapping
  RINGS(BROKEN, DESC, AVAIL, 0)                                  # 109 used ring at 0
  RINGS(BROKEN, DESC, AVAIL, RAM_END - 0x400)                    # 110 straddling the end
  RINGS(BROKEN, DESC, AVAIL, 0x0c000000)                         # 111 in the PLIC
  RINGS(BROKEN, DESC, AVAIL, RO)                                 # 112 read-only
  RINGS(BROKEN, DESC, AVAIL, OUT)                                # 113 where nothing is
  REQ1(BROKEN, T_GET_ID, 0, 0, 0, 0, F_WRITE)                    # 114 GET_ID: length 0 at 0
  REQ1(BROKEN, T_GET_ID, 0, 0, RAM_END, 0, F_WRITE)              # 115 length 0 at the end of RAM
  REQ1(BROKEN, T_GET_ID, 0, 0, OUT, 0, F_WRITE)                  # 116 length 0 where nothing is
  REQ1(BROKEN, T_IN, 0, 0, BLK, 512, F_WRITE)                    # 117 data into its registers
  REQ1(BROKEN, T_IN, 0, 0, 0x80000000, 0xffffffff, F_WRITE)      # 118 0xffffffff long
  REQ1(BROKEN, T_IN, 0, 0, 0xfffff000, 0x2000, F_WRITE)          # 119 wrapping
  REQ1(BROKEN, T_IN, 0, 0, RO, 512, F_WRITE)                     # 120 into the read-only region
  REQ1(BROKEN, T_IN, 0, 0, DATA, 512, 0)                         # 121 data the wrong way
  REQ1(0, T_OUT, 2, 0, RO, 512, 0)                               # 122 from the read-only region: fine
  CASE(DESC, AVAIL, USED, 1, 0, BROKEN, 3, T_IN, 0, 0)           # 123 header at 0
  D(0, 16, F_NEXT, 1); D(DATA, 512, F_WRITE | F_NEXT, 2); D(STATUSB, 1, F_WRITE, 0)
  CASE(DESC, AVAIL, USED, 1, 0, BROKEN, 3, T_IN, 0, 0)           # 124 header too short
  D(HDR, 8, F_NEXT, 1); D(DATA, 512, F_WRITE | F_NEXT, 2); D(STATUSB, 1, F_WRITE, 0)
  CASE(DESC, AVAIL, USED, 1, 0, BROKEN, 3, T_IN, 0, 0)           # 125 header device-writable
  D(HDR, 16, F_NEXT | F_WRITE, 1); D(DATA, 512, F_WRITE | F_NEXT, 2); D(STATUSB, 1, F_WRITE, 0)
  CASE(DESC, AVAIL, USED, 1, 0, BROKEN, 1, T_FLUSH, 0, 0)        # 126 no status byte
  D(HDR, 16, 0, 0)
  CASE(DESC, AVAIL, USED, 1, 0, BROKEN, 2, T_FLUSH, 0, 0)        # 127 status byte read-only
  D(HDR, 16, F_NEXT, 1); D(STATUSB, 1, 0, 0)
  CASE(DESC, AVAIL, USED, 1, 0, BROKEN, 2, T_FLUSH, 0, 0)        # 128 status byte outside RAM
  D(HDR, 16, F_NEXT, 1); D(0x7fffffff, 1, F_WRITE, 0)
  CASE(DESC, AVAIL, USED, 1, 0, BROKEN, 2, T_FLUSH, 0, 0)        # 129 status byte of length 0
  D(HDR, 16, F_NEXT, 1); D(STATUSB, 0, F_WRITE, 0)
  CASE(DESC, AVAIL, USED, 1, 0, BROKEN, 2, T_FLUSH, 0, 0)        # 130 a loop of two
  D(HDR, 16, F_NEXT, 1); D(HDR, 16, F_NEXT, 0)
  CASE(DESC, AVAIL, USED, 1, 0, BROKEN, 1, T_FLUSH, 0, 0)        # 131 a descriptor that is its own next
  D(HDR, 16, F_NEXT, 0)
  CASE(DESC, AVAIL, USED, 1, 0, BROKEN, 1, T_FLUSH, 0, 0)        # 132 next beyond the table
  D(HDR, 16, F_NEXT, 200)
  CASE(DESC, AVAIL, USED, 1, 500, BROKEN, 2, T_FLUSH, 0, 0)      # 133 head beyond the table
  D(HDR, 16, F_NEXT, 1); D(STATUSB, 1, F_WRITE, 0)
  CASE(DESC, AVAIL, USED, 1, 0, BROKEN, 2, T_FLUSH, 0, 0)        # 134 indirect
  D(HDR, 16, F_NEXT | F_INDIRECT, 1); D(STATUSB, 1, F_WRITE, 0)
  CASE(DESC, AVAIL, USED, 129, 0, BROKEN, 2, T_FLUSH, 0, 0)      # 135 avail index 129 > 128 ahead
  D(HDR, 16, F_NEXT, 1); D(STATUSB, 1, F_WRITE, 0)
  CASE(DESC, AVAIL, USED, 0xffff, 0, BROKEN, 2, T_FLUSH, 0, 0)   # 136 avail index "-1"
  D(HDR, 16, F_NEXT, 1); D(STATUSB, 1, F_WRITE, 0)
  CASE(DESC, AVAIL, USED, 1, 0, BROKEN, 2, T_FLUSH, 0, 0)        # 137 a buffer above 4 GiB
  D(HDR, 16, F_NEXT, 1); D(STATUSB, 1, F_WRITE | HIGH, 0)
  REQ1(1, T_IN, 0x10000, 0, DATA, 512, F_WRITE)                  # 138 the sector past the disk: IOERR
  REQ1(1, T_IN, 0xffff, 0, DATA, 1024, F_WRITE)                  # 139 straddling its end
  REQ1(1, T_IN, -1, -1, DATA, 512, F_WRITE)                      # 140 sector 2^64 - 1
  REQ1(1, T_OUT, 0, 0, DATA, 100, 0)                             # 141 not whole sectors
  REQ1(2, 0x1234, 0, 0, DATA, 512, F_WRITE)                      # 142 unknown type: UNSUPP
  REQ1(0, T_GET_ID, 0, 0, IDBUF, 20, F_WRITE)                    # 143 GET_ID
  CASE(DESC, AVAIL, USED, 1, 0, 0, 2, T_FLUSH, 0, 0)             # 144 flush
  D(HDR, 16, F_NEXT, 1); D(STATUSB, 1, F_WRITE, 0)
  /* 145: 65 × 256 KiB = 16 MiB + 256 KiB: too large, IOERR (nothing moves). */
  CASE(DESC, AVAIL, USED, 1, 0, 1, 67, T_IN, 0, 0)
  D(HDR, 16, F_NEXT, 1)
  .set i, 2
  .rept 65
  D(BIG, BIGLEN, F_WRITE | F_NEXT, i)
  .set i, i + 1
  .endr
  D(STATUSB, 1, F_WRITE, 0)
  /* 146: exactly 16 MiB: served in one request. */
  CASE(DESC, AVAIL, USED, 1, 0, 0, 66, T_IN, 0, 0)
  D(HDR, 16, F_NEXT, 1)
  .set i, 2
  .rept 64
  D(BIG, BIGLEN, F_WRITE | F_NEXT, i)
  .set i, i + 1
  .endr
  D(STATUSB, 1, F_WRITE, 0)
  REQ1(0, T_OUT, 1, 0, AS, 512, 0)                               # 147 write 'A's to sector 1
  REQ1(0, T_IN, 1, 0, DATA, 512, F_WRITE)                        # 148 and read them back
  .word END

msg_slots:   .asciz "adv-virtio: the six empty slots answer empty and ignore writes\n"
msg_regs:    .asciz "adv-virtio: odd widths, misaligned, read-only and unknown registers; bad queues and features\n"
msg_config:  .asciz "adv-virtio: configuration space: capacity read-only, writeback byte only, console empty\n"
msg_notify:  .asciz "adv-virtio: notify before DRIVER_OK and of queues that do not exist: nothing\n"
msg_console: .asciz "adv-virtio: console: buffers outside RAM (length 0 too) reset it; 4 MiB transmit whole\n"
msg_blk:     .asciz "adv-virtio: blk: rings, buffers, loops, indirect, index jumps reset it; bad requests IOERR\n"

  .data
  .align 2
AS: .fill 512, 1, 'A'
