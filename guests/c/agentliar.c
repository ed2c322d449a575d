/* A hostile file agent: a bare guest that drives the "file-agent" device (the virtio console in
   virtio-mmio slot 2) itself and answers the host's FileAgent (src/api/files.ts) with lies.
   test/files-hostile.test.ts runs it on both cores.

   The host chooses the lie: each request's path names it ("R /lie/oversize\n" → the oversize
   lie), so one guest serves every scenario in the order the test asks. Paths under /ok/ are
   answered truthfully (a read gives back the rest of the path), so the test can show the
   channel works again after a lie. The guest polls the rings (no interrupts) and prints what it
   does on the UART. In a partition without the device, slot 2 answers as an empty slot
   (device ID 0): the guest says so and stops with status 3. */
#include <stdio.h>
#include <string.h>
#include "platform.h"

#define AGENT         0x10003000u /* virtio-mmio slot 2 */
#define R_MAGIC       0x000
#define R_DEVICE_ID   0x008
#define R_DEV_FEAT    0x010
#define R_DEV_FEAT_SEL 0x014
#define R_DRV_FEAT    0x020
#define R_DRV_FEAT_SEL 0x024
#define R_QUEUE_SEL   0x030
#define R_QUEUE_NUM   0x038
#define R_QUEUE_READY 0x044
#define R_NOTIFY      0x050
#define R_INT_ACK     0x064
#define R_STATUS      0x070
#define R_DESC        0x080
#define R_DRIVER      0x090
#define R_DEVICE      0x0a0

#define QN 8         /* descriptors per queue */
#define RXBUF 64

struct desc { uint32_t addr, addr_hi, len; uint16_t flags, next; };
struct avail { uint16_t flags, idx, ring[QN]; };
struct used { uint16_t flags, idx; struct { uint32_t id, len; } ring[QN]; };

static struct queue {
  struct desc d[QN] __attribute__((aligned(16)));
  struct avail a __attribute__((aligned(2)));
  struct used u __attribute__((aligned(4)));
  uint16_t seen; /* used entries consumed */
} rxq, txq;

static uint8_t rxbuf[QN][RXBUF];
static uint8_t txbuf[4096];
static uint8_t pending[RXBUF]; /* the received buffer being read */
static uint32_t pend_len, pend_at;

#define BARRIER() __asm__ volatile("fence rw, rw" ::: "memory")
/* The device writes the used rings behind the compiler's back. */
#define USED_IDX(q) (*(volatile uint16_t *)&(q).u.idx)

static void setup_queue(int n, struct queue *q) {
  memset(q, 0, sizeof *q);
  REG32(AGENT + R_QUEUE_SEL) = n;
  REG32(AGENT + R_QUEUE_NUM) = QN;
  REG32(AGENT + R_DESC) = (uint32_t)(uintptr_t)q->d;
  REG32(AGENT + R_DRIVER) = (uint32_t)(uintptr_t)&q->a;
  REG32(AGENT + R_DEVICE) = (uint32_t)(uintptr_t)&q->u;
  REG32(AGENT + R_QUEUE_READY) = 1;
}

static void post_rx(int i) {
  rxq.d[i] = (struct desc){ (uint32_t)(uintptr_t)rxbuf[i], 0, RXBUF, 2 /* WRITE */, 0 };
  rxq.a.ring[rxq.a.idx % QN] = i;
  BARRIER();
  rxq.a.idx++;
  BARRIER();
  REG32(AGENT + R_NOTIFY) = 0;
}

/* Reset the device and bring it up again (also after a lie that broke it). */
static void agent_init(void) {
  REG32(AGENT + R_STATUS) = 0;
  REG32(AGENT + R_STATUS) = 1 | 2;
  REG32(AGENT + R_DRV_FEAT_SEL) = 0;
  REG32(AGENT + R_DRV_FEAT) = 0;
  REG32(AGENT + R_DRV_FEAT_SEL) = 1;
  REG32(AGENT + R_DRV_FEAT) = 1; /* VIRTIO_F_VERSION_1 */
  REG32(AGENT + R_STATUS) = 1 | 2 | 8;
  setup_queue(0, &rxq);
  setup_queue(1, &txq);
  REG32(AGENT + R_STATUS) = 1 | 2 | 8 | 4;
  pend_len = pend_at = 0;
  for (int i = 0; i < QN; i++) post_rx(i);
}

/* Transmit one chain of the given descriptors (already filled in txq.d[0..n-1]) and wait for it. */
static void tx_chain(int n) {
  for (int i = 0; i + 1 < n; i++) { txq.d[i].flags |= 1; txq.d[i].next = i + 1; }
  txq.a.ring[txq.a.idx % QN] = 0;
  BARRIER();
  txq.a.idx++;
  BARRIER();
  REG32(AGENT + R_NOTIFY) = 1;
  while (USED_IDX(txq) == txq.seen && !(REG32(AGENT + R_STATUS) & 64)) {}
  txq.seen = USED_IDX(txq);
}

static void send(const void *bytes, uint32_t len) {
  while (len > 0) {
    uint32_t n = len < sizeof txbuf ? len : sizeof txbuf;
    memcpy(txbuf, bytes, n);
    txq.d[0] = (struct desc){ (uint32_t)(uintptr_t)txbuf, 0, n, 0, 0 };
    tx_chain(1);
    bytes = (const uint8_t *)bytes + n;
    len -= n;
  }
}

static void says(const char *s) { send(s, strlen(s)); }

static int getbyte(void) {
  while (pend_at == pend_len) {
    while (USED_IDX(rxq) == rxq.seen) {}
    BARRIER();
    uint32_t id = rxq.u.ring[rxq.seen % QN].id, len = rxq.u.ring[rxq.seen % QN].len;
    rxq.seen++;
    memcpy(pending, rxbuf[id], len);
    pend_len = len;
    pend_at = 0;
    post_rx(id);
  }
  return pending[pend_at++];
}

static char line[600];

static void getline_(void) {
  uint32_t n = 0;
  for (int c; (c = getbyte()) != '\n';) if (n + 1 < sizeof line) line[n++] = (char)c;
  line[n] = 0;
}

static void fill(char c, uint32_t total) {
  memset(txbuf, c, sizeof txbuf);
  while (total > 0) {
    uint32_t n = total < sizeof txbuf ? total : sizeof txbuf;
    txq.d[0] = (struct desc){ (uint32_t)(uintptr_t)txbuf, 0, n, 0, 0 };
    tx_chain(1);
    total -= n;
  }
}

int main(void) {
  if (REG32(AGENT + R_MAGIC) != 0x74726976u || REG32(AGENT + R_DEVICE_ID) != 3) {
    printf("agentliar: slot 2 holds device %lu: no file agent here\n", (unsigned long)REG32(AGENT + R_DEVICE_ID));
    finish(3);
  }
  agent_init();
  /* An answer nobody asked for, before the hello: dropped. */
  says("OK 3\nabc\nWVAGENT 1\n");
  printf("agentliar: up\n");
  for (;;) {
    getline_();
    const char *path = strchr(line, ' ');
    path = path ? path + 1 : "";
    printf("agentliar: request %s\n", line);
    char out[128];
    if (!strncmp(path, "/ok/", 4)) {
      snprintf(out, sizeof out, "OK %u\n%s", (unsigned)strlen(path + 4), path + 4);
      says(out);
    } else if (!strcmp(path, "/lie/oversize")) {
      says("OK 1048577\n"); /* one byte beyond MAX_AGENT_FILE */
    } else if (!strcmp(path, "/lie/huge")) {
      says("OK 99999999999999999999999999999999\n");
    } else if (!strcmp(path, "/lie/junk")) {
      says("HELLO THERE\n");
    } else if (!strcmp(path, "/lie/longline")) {
      fill('O', 100000); says("\n"); /* a 100000-byte "line" */
    } else if (!strcmp(path, "/lie/more")) {
      says("OK 3\nabcdefgh\nOK 2\nzz"); /* more than announced, then an answer to nothing */
    } else if (!strcmp(path, "/lie/hello")) {
      says("WVAGENT 1\n"); /* "restarted" instead of answering */
    } else if (!strcmp(path, "/lie/escape")) {
      says("ERR EIO \x1b]0;owned\x07\x1b[2J\r gone\n");
    } else if (!strcmp(path, "/lie/escape2")) {
      says("ERR EIO \x1b]0;owned\x07 gone\n");
    } else if (!strcmp(path, "/lie/ecode")) {
      says("ERR EZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ x\n");
    } else if (!strcmp(path, "/lie/names")) {
      static const char names[] = "f 1 ../../etc/passwd\nd 0 a/b\nf 99999999999999999999 big\n";
      snprintf(out, sizeof out, "OK %u\n", (unsigned)strlen(names));
      says(out);
      says(names);
    } else if (!strcmp(path, "/lie/dots")) {
      static const char names[] = "d 0 ..\n";
      snprintf(out, sizeof out, "OK %u\n", (unsigned)strlen(names));
      says(out);
      says(names);
    } else if (strstr(line, "/lie/deaf")) {
      /* Stops reading for 50 ms of its time (a write's data waits in the host), then starts
         again as a new agent would: what its buffers hold now is dropped, it says hello. */
      uint64_t until = mtime_read() + MTIME_HZ / 20;
      while (mtime_read() < until) {}
      for (uint16_t idx = USED_IDX(rxq); rxq.seen != idx; rxq.seen++) post_rx(rxq.u.ring[rxq.seen % QN].id);
      pend_len = pend_at = 0;
      says("WVAGENT 1\n");
    } else if (!strcmp(path, "/lie/silent")) {
      /* never answers */
    } else if (!strcmp(path, "/lie/endless")) {
      printf("agentliar: an endless stream\n");
      for (;;) fill('x', 1 << 20); /* bytes without end, never a newline */
    } else if (!strcmp(path, "/dev/outside")) {
      /* A transmit buffer outside the partition's RAM: the device must stop (NEEDS_RESET), the
         host never touch it. Then reset the device and start again. */
      txq.d[0] = (struct desc){ 0x40000000u, 0, 16, 0, 0 };
      tx_chain(1);
      printf("agentliar: outside: status %lx\n", (unsigned long)REG32(AGENT + R_STATUS));
      agent_init();
      says("WVAGENT 1\n");
    } else if (!strcmp(path, "/dev/wrap") || !strcmp(path, "/dev/zero-outside")) {
      /* A transmit buffer across 2^32 (16 bytes from 0xfffffff8), or one of length zero outside
         RAM: refused whole, the device stops (NEEDS_RESET) as for /dev/outside — a zero length
         is checked like any other (src/devices/virtio-mmio.ts). */
      int wrap = !strcmp(path, "/dev/wrap");
      txq.d[0] = (struct desc){ wrap ? 0xfffffff8u : 0x40000000u, 0, wrap ? 16 : 0, 0, 0 };
      tx_chain(1);
      printf("agentliar: %s: status %lx\n", wrap ? "wrap" : "zero-outside", (unsigned long)REG32(AGENT + R_STATUS));
      agent_init();
      says("WVAGENT 1\n");
    } else if (!strcmp(path, "/dev/loop")) {
      /* A chain that loops (0 → 1 → 0): NEEDS_RESET too. */
      txq.d[0] = (struct desc){ (uint32_t)(uintptr_t)txbuf, 0, 1, 1, 1 };
      txq.d[1] = (struct desc){ (uint32_t)(uintptr_t)txbuf, 0, 1, 1, 0 };
      txq.a.ring[txq.a.idx % QN] = 0;
      BARRIER();
      txq.a.idx++;
      BARRIER();
      REG32(AGENT + R_NOTIFY) = 1;
      printf("agentliar: loop: status %lx\n", (unsigned long)REG32(AGENT + R_STATUS));
      agent_init();
      says("WVAGENT 1\n");
    } else if (!strcmp(path, "/dev/zero")) {
      /* Zero-length buffers inside RAM in the answer's chain: fine, they carry nothing. */
      static const char ok[] = "OK 4\nzero";
      memcpy(txbuf, ok, sizeof ok - 1);
      txq.d[0] = (struct desc){ (uint32_t)(uintptr_t)txbuf, 0, 0, 0, 0 };
      txq.d[1] = (struct desc){ (uint32_t)(uintptr_t)txbuf, 0, sizeof ok - 1, 0, 0 };
      txq.d[2] = (struct desc){ (uint32_t)(uintptr_t)txbuf + 100, 0, 0, 0, 0 };
      tx_chain(3);
    } else if (!strcmp(path, "/dev/storm")) {
      /* 100000 notifies with nothing to send, then a truthful answer. */
      for (int i = 0; i < 100000; i++) REG32(AGENT + R_NOTIFY) = i & 1;
      says("OK 5\nstorm");
    } else {
      says("ERR ENOENT no such lie\n");
    }
  }
}
