/* CPU-bound benchmark workload: a few hundred million instructions of integer arithmetic,
   memory traffic, branches and calls, in five kernels. Each prints a checksum and the run
   ends with an overall checksum, so any divergence between cores (or QEMU) shows.

   Kernels: CRC-32 (bitwise and table-driven), integer matrix multiply, linked-list building
   and merge sort, a tokenizer state machine over generated text, and recursive quicksort. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifndef SCALE
#define SCALE 30
#endif

static uint32_t rng_state = 0x12345678u;
static uint32_t rng(void) {
  /* xorshift32 */
  uint32_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return rng_state = x;
}

/* ── CRC-32 ──────────────────────────────────────────────────────────────────────────────── */
static uint32_t crc_table[256];
static uint8_t crc_buf[4096];

static uint32_t crc32_bitwise(const uint8_t *p, int n) {
  uint32_t crc = 0xffffffffu;
  for (int i = 0; i < n; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
  }
  return ~crc;
}

static uint32_t crc32_table(const uint8_t *p, int n) {
  uint32_t crc = 0xffffffffu;
  for (int i = 0; i < n; i++) crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

static uint32_t kernel_crc(int rounds) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & -(c & 1));
    crc_table[i] = c;
  }
  uint32_t sum = 0;
  for (int r = 0; r < rounds; r++) {
    for (int i = 0; i < (int)sizeof crc_buf; i++) crc_buf[i] = (uint8_t)rng();
    uint32_t a = crc32_bitwise(crc_buf, 512);
    uint32_t b = crc32_table(crc_buf, sizeof crc_buf);
    sum = (sum * 31u) ^ a ^ (b << 1);
  }
  return sum;
}

/* ── Matrix multiply ─────────────────────────────────────────────────────────────────────── */
#define N 24
static int32_t ma[N][N], mb[N][N], mc[N][N];

static uint32_t kernel_matrix(int rounds) {
  uint32_t sum = 0;
  for (int r = 0; r < rounds; r++) {
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) {
        ma[i][j] = (int32_t)(rng() % 201) - 100;
        mb[i][j] = (int32_t)(rng() % 201) - 100;
      }
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) {
        int32_t acc = 0;
        for (int k = 0; k < N; k++) acc += ma[i][k] * mb[k][j];
        mc[i][j] = acc;
      }
    for (int i = 0; i < N; i++) sum = sum * 7u + (uint32_t)mc[i][(i * 5) % N] + (uint32_t)(mc[i][i] / 3);
  }
  return sum;
}

/* ── Linked lists ────────────────────────────────────────────────────────────────────────── */
struct node {
  struct node *next;
  uint32_t key;
  uint32_t payload;
};
#define NODES 2048
static struct node pool[NODES];

static struct node *merge(struct node *a, struct node *b) {
  struct node head, *t = &head;
  while (a && b) {
    if (a->key <= b->key) { t->next = a; a = a->next; }
    else { t->next = b; b = b->next; }
    t = t->next;
  }
  t->next = a ? a : b;
  return head.next;
}

static struct node *merge_sort(struct node *list) {
  if (!list || !list->next) return list;
  struct node *slow = list, *fast = list->next;
  while (fast && fast->next) { slow = slow->next; fast = fast->next->next; }
  struct node *second = slow->next;
  slow->next = 0;
  return merge(merge_sort(list), merge_sort(second));
}

static uint32_t kernel_list(int rounds) {
  uint32_t sum = 0;
  for (int r = 0; r < rounds; r++) {
    struct node *list = 0;
    for (int i = 0; i < NODES; i++) {
      pool[i].key = rng() & 0xffff;
      pool[i].payload = (uint32_t)i;
      pool[i].next = list;
      list = &pool[i];
    }
    list = merge_sort(list);
    uint32_t prev = 0, pos = 0;
    for (struct node *n = list; n; n = n->next, pos++) {
      if (n->key < prev) return 0xdeadu; /* not sorted: the checksum shows it */
      prev = n->key;
      sum += n->payload * (pos & 7u) + n->key;
    }
  }
  return sum;
}

/* ── Tokenizer state machine ─────────────────────────────────────────────────────────────── */
static char text[8192];

enum state { S_SPACE, S_WORD, S_NUMBER, S_STRING, S_ESCAPE, S_COMMENT };

static uint32_t tokenize(const char *s, int n) {
  enum state st = S_SPACE;
  uint32_t words = 0, numbers = 0, strings = 0, comments = 0, value = 0, hash = 5381;
  for (int i = 0; i < n; i++) {
    char c = s[i];
    switch (st) {
    case S_SPACE:
      if (c >= 'a' && c <= 'z') { st = S_WORD; hash = hash * 33u + (uint32_t)c; }
      else if (c >= '0' && c <= '9') { st = S_NUMBER; value = (uint32_t)(c - '0'); }
      else if (c == '"') st = S_STRING;
      else if (c == '#') st = S_COMMENT;
      break;
    case S_WORD:
      if (c >= 'a' && c <= 'z') hash = hash * 33u + (uint32_t)c;
      else { words++; st = S_SPACE; }
      break;
    case S_NUMBER:
      if (c >= '0' && c <= '9') value = value * 10u + (uint32_t)(c - '0');
      else { numbers += value & 0xff; st = S_SPACE; }
      break;
    case S_STRING:
      if (c == '\\') st = S_ESCAPE;
      else if (c == '"') { strings++; st = S_SPACE; }
      break;
    case S_ESCAPE:
      st = S_STRING;
      break;
    case S_COMMENT:
      if (c == '\n') { comments++; st = S_SPACE; }
      break;
    }
  }
  return hash ^ (words << 20) ^ (numbers << 10) ^ (strings << 5) ^ comments;
}

static uint32_t kernel_tokens(int rounds) {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789  \n\"\\#";
  uint32_t sum = 0;
  for (int r = 0; r < rounds; r++) {
    for (int i = 0; i < (int)sizeof text; i++) text[i] = alphabet[rng() % (sizeof alphabet - 1)];
    sum = sum * 3u + tokenize(text, sizeof text);
  }
  return sum;
}

/* ── Quicksort ───────────────────────────────────────────────────────────────────────────── */
#define QN 4096
static int32_t qa[QN];

static void quicksort(int32_t *a, int lo, int hi) {
  while (lo < hi) {
    int32_t pivot = a[lo + (hi - lo) / 2];
    int i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) { int32_t t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; }
    else { quicksort(a, i, hi); hi = j; }
  }
}

static uint32_t kernel_sort(int rounds) {
  uint32_t sum = 0;
  for (int r = 0; r < rounds; r++) {
    for (int i = 0; i < QN; i++) qa[i] = (int32_t)rng();
    quicksort(qa, 0, QN - 1);
    for (int i = 1; i < QN; i++)
      if (qa[i - 1] > qa[i]) return 0xbadu;
    sum = sum * 5u + (uint32_t)qa[QN / 2] + (uint32_t)qa[17];
  }
  return sum;
}

int main(void) {
  printf("wasmvisor benchmark workload (scale %d)\n", SCALE);
  uint32_t c1 = kernel_crc(6 * SCALE);
  printf("crc     %08lx\n", (unsigned long)c1);
  uint32_t c2 = kernel_matrix(12 * SCALE);
  printf("matrix  %08lx\n", (unsigned long)c2);
  uint32_t c3 = kernel_list(6 * SCALE);
  printf("list    %08lx\n", (unsigned long)c3);
  uint32_t c4 = kernel_tokens(10 * SCALE);
  printf("tokens  %08lx\n", (unsigned long)c4);
  uint32_t c5 = kernel_sort(6 * SCALE);
  printf("sort    %08lx\n", (unsigned long)c5);
  uint32_t total = c1 ^ (c2 * 3u) ^ (c3 * 5u) ^ (c4 * 7u) ^ (c5 * 11u);
  printf("checksum %08lx\n", (unsigned long)total);
  return 0;
}
