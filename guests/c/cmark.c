/* cmark: a CoreMark-like workload of wasmvisor's own (docs/jit.md, Figures; bench/jit.mjs).

   Like the EEMBC benchmark it is modelled on — not derived from: no code of it is here — each
   iteration works on one small data area (2,000 bytes, split in three) with three kernels whose
   results are chained through a CRC-16, and nothing can be computed at compile time (the seeds
   are volatile, each iteration's input depends on the last one's result):
     list    a linked list of (value, index) items in the area: find items by value and by
             index, reverse the list, merge-sort it by value, then by index again
     matrix  N x N 16-bit matrices: add a constant, multiply by a constant, matrix-vector,
             matrix-matrix, matrix-matrix with bit-field extraction, take the constant away
     state   a text of numbers (integers, decimals, exponents, hexadecimal, invalid) scanned by a
             state machine that counts the states it ends in and the transitions; some bytes
             are changed in each iteration, then put back
   It prints each kernel's CRC and the final one (which any divergence changes) and exits 0.
   Compared with bench.c: small data that stays in a cache, short loops, many calls through
   function pointers of the list's comparisons, 16-bit arithmetic — CoreMark's kind of code. */
#include <stdint.h>
#include <stdio.h>

#ifndef ITERATIONS
#define ITERATIONS 1200
#endif

#define AREA_BYTES 2000
static uint8_t area[AREA_BYTES] __attribute__((aligned(8)));
static volatile int16_t seed1 = 0x3415, seed2 = 0x3415, seed3 = 0x66;

/* ── CRC-16 (the CCITT polynomial, reflected: 0x8408) ───────────────────────────────────── */
static uint16_t crc8(uint8_t data, uint16_t crc) {
  for (int i = 0; i < 8; i++) {
    uint16_t mix = (uint16_t)((data ^ crc) & 1);
    crc >>= 1;
    data >>= 1;
    if (mix) crc ^= 0x8408;
  }
  return crc;
}
static uint16_t crc16(uint16_t v, uint16_t crc) { return crc8((uint8_t)(v >> 8), crc8((uint8_t)v, crc)); }
static uint16_t crc32w(uint32_t v, uint16_t crc) { return crc16((uint16_t)(v >> 16), crc16((uint16_t)v, crc)); }

/* ── list ────────────────────────────────────────────────────────────────────────────────── */
typedef struct item { int16_t value, index; } item;
typedef struct node { struct node *next; item *data; } node;
typedef int (*compare)(const item *, const item *, void *);

static node *list_head;
static int list_length;

/* A value's low byte drives a small computation that ends in its high byte (a cache of the
   result: recomputed when the low byte changes), like a "lazy" field in the list's data. */
static int16_t item_cost(item *it, int16_t salt) {
  int16_t v = it->value;
  if (v & 0x80) return (int16_t)(v & 0x7f); // cached
  int16_t op = (int16_t)((v >> 3) & 3), x = (int16_t)(v & 7), r;
  switch (op) {
  case 0: r = (int16_t)(x * salt + 3); break;
  case 1: r = (int16_t)((salt >> x) ^ x); break;
  case 2: r = (int16_t)(x + salt * salt); break;
  default: r = (int16_t)(salt - x * 7); break;
  }
  r &= 0x7f;
  it->value = (int16_t)((v & 0x7f00) | 0x80 | r);
  return r;
}

static int by_value(const item *a, const item *b, void *salt) {
  int16_t s = *(int16_t *)salt;
  return item_cost((item *)a, s) - item_cost((item *)b, s);
}
static int by_index(const item *a, const item *b, void *unused) {
  (void)unused;
  return a->index - b->index;
}

static void list_build(uint8_t *mem, int bytes, int16_t seed) {
  int n = bytes / (int)(sizeof(node) + sizeof(item));
  node *nodes = (node *)mem;
  item *items = (item *)(nodes + n);
  for (int i = 0; i < n; i++) {
    nodes[i].next = i + 1 < n ? &nodes[i + 1] : 0;
    nodes[i].data = &items[i];
    // Mostly ascending indexes with some out of place; values from the seed.
    int16_t idx = (int16_t)((i & 7) == 3 ? (i ^ 0x55) & 0x3fff : i);
    items[i].index = idx;
    items[i].value = (int16_t)(((seed ^ (i * 0x2f1)) & 0x3f7f) & ~0x80);
  }
  list_head = nodes;
  list_length = n;
}

static node *list_find(node *l, int16_t value, int16_t index) {
  for (; l; l = l->next) {
    if (index >= 0 ? l->data->index == index : (l->data->value & 0xff) == value) return l;
  }
  return 0;
}

static node *list_reverse(node *l) {
  node *prev = 0;
  while (l) {
    node *next = l->next;
    l->next = prev;
    prev = l;
    l = next;
  }
  return prev;
}

/* Bottom-up merge sort of a singly linked list (runs of 1, 2, 4, … merged in place). */
static node *list_sort(node *l, compare cmp, void *arg) {
  for (int width = 1;; width *= 2) {
    node *p = l, *tail = 0;
    int merges = 0;
    l = 0;
    while (p) {
      merges++;
      node *q = p;
      int psize = 0;
      for (int i = 0; i < width && q; i++) { q = q->next; psize++; }
      int qsize = width;
      while (psize > 0 || (qsize > 0 && q)) {
        node *e;
        if (psize == 0) { e = q; q = q->next; qsize--; }
        else if (qsize == 0 || !q) { e = p; p = p->next; psize--; }
        else if (cmp(p->data, q->data, arg) <= 0) { e = p; p = p->next; psize--; }
        else { e = q; q = q->next; qsize--; }
        if (tail) tail->next = e; else l = e;
        tail = e;
      }
      p = q;
    }
    tail->next = 0;
    if (merges <= 1) return l;
  }
}

static uint16_t list_bench(int16_t salt, uint16_t crc) {
  int16_t found = 0, missed = 0;
  for (int16_t i = 0; i < 5; i++) {
    int16_t want = (int16_t)((salt + i * 37) & 0xff);
    node *hit = list_find(list_head, want, (int16_t)(i & 1 ? -1 : (salt + i) & 0x3f));
    if (hit) found = (int16_t)(found + (hit->data->value & 1) + 1);
    else missed++;
    list_head = list_reverse(list_head);
  }
  list_head = list_sort(list_head, by_value, &salt);
  for (node *n = list_head; n; n = n->next) crc = crc16((uint16_t)n->data->value, crc);
  // Change the data (the cached costs go stale), then back to index order.
  int k = 0;
  for (node *n = list_head; n; n = n->next, k++) if ((k & 3) == 0) n->data->value = (int16_t)(n->data->value ^ (salt & 0x7f00) ^ 0x8) & ~0x80;
  list_head = list_sort(list_head, by_index, 0);
  for (node *n = list_head; n; n = n->next) crc = crc16((uint16_t)n->data->index, crc);
  return crc16((uint16_t)(found * 4 + missed), crc);
}

/* ── matrix ──────────────────────────────────────────────────────────────────────────────── */
#define MAXN 16
static int matrix_n;
static int16_t *mat_a, *mat_b;
static int32_t *mat_c;

static void matrix_build(uint8_t *mem, int bytes, int16_t seed) {
  int n = 1;
  while ((n + 1) * (n + 1) * (2 + 2 + 4) <= bytes && n + 1 <= MAXN) n++;
  matrix_n = n;
  mat_a = (int16_t *)mem;
  mat_b = mat_a + n * n;
  mat_c = (int32_t *)(mat_b + n * n);
  int32_t s = seed | 1;
  for (int i = 0; i < n * n; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    mat_a[i] = (int16_t)((s >> 8) & 0x7ff);
    mat_b[i] = (int16_t)((s >> 19) & 0x7ff) + (int16_t)(i % 5);
  }
}

static int16_t matrix_sum(int n, const int32_t *c, int16_t clip) {
  int32_t tmp = 0, prev = 0;
  int16_t ret = 0;
  for (int i = 0; i < n * n; i++) {
    tmp += c[i];
    if (tmp > clip) { ret = (int16_t)(ret + 10); tmp = 0; }
    else ret = (int16_t)(ret + (c[i] > prev ? 1 : 0));
    prev = c[i];
  }
  return ret;
}

static uint16_t matrix_bench(int16_t val, uint16_t crc) {
  int n = matrix_n;
  int16_t *a = mat_a, *b = mat_b;
  int32_t *c = mat_c;
  int16_t clip = (int16_t)(0xf000 | val);
  for (int i = 0; i < n * n; i++) a[i] = (int16_t)(a[i] + val);               // add a constant
  for (int i = 0; i < n * n; i++) c[i] = (int32_t)a[i] * (int32_t)val;          // times a constant
  crc = crc16((uint16_t)matrix_sum(n, c, clip), crc);
  for (int i = 0; i < n; i++) {                                                 // matrix x vector
    int32_t acc = 0;
    for (int j = 0; j < n; j++) acc += (int32_t)a[i * n + j] * b[j];
    c[i] = acc;
  }
  crc = crc16((uint16_t)matrix_sum(1, c, clip), crc);
  for (int i = 0; i < n; i++)                                                   // matrix x matrix
    for (int j = 0; j < n; j++) {
      int32_t acc = 0;
      for (int k = 0; k < n; k++) acc += (int32_t)a[i * n + k] * b[k * n + j];
      c[i * n + j] = acc;
    }
  crc = crc16((uint16_t)matrix_sum(n, c, clip), crc);
  for (int i = 0; i < n; i++)                                                   // with bit fields
    for (int j = 0; j < n; j++) {
      int32_t acc = 0;
      for (int k = 0; k < n; k++) {
        int32_t prod = (int32_t)a[i * n + k] * b[k * n + j];
        acc += ((prod >> 2) & 0xf) * ((prod >> 5) & 0x7f);
      }
      c[i * n + j] = acc;
    }
  crc = crc16((uint16_t)matrix_sum(n, c, clip), crc);
  for (int i = 0; i < n * n; i++) a[i] = (int16_t)(a[i] - val);               // and back
  return crc;
}

/* ── state machine ───────────────────────────────────────────────────────────────────────── */
enum { S_START, S_INVALID, S_SIGN, S_INT, S_HEX0, S_HEX, S_POINT, S_FRAC, S_EXP, S_EXPSIGN, S_EXPDIGITS, S_COUNT };
static uint8_t *text;
static int text_len;

static void state_build(uint8_t *mem, int bytes, int16_t seed) {
  static const char *const forms[] = { "5012", "1234", "-874", "+122", "35.54", "-.123", "0.02", "7.7e-4",
    "-1.1E+9", "9.0e3", "0x1f", "0XaB", "T0.3e-1F", "-T.T++Tq", "1T3.4e4z", "34.0e-T^" };
  int at = 0;
  uint32_t s = (uint16_t)seed;
  while (at < bytes - 12) {
    s = s * 69069u + 1;
    const char *f = forms[(s >> 13) & 15];
    while (*f && at < bytes - 2) mem[at++] = (uint8_t)*f++;
    mem[at++] = ',';
  }
  mem[at] = 0;
  text = mem;
  text_len = at;
}

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static int is_hex(uint8_t c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* Scan one token from *p (up to a comma or the end): the state it ends in; transitions counted. */
static int state_next(uint8_t **p, uint32_t *transitions) {
  uint8_t *s = *p;
  int state = S_START;
  for (uint8_t c; (c = *s) != 0 && c != ','; s++) {
    int next = state;
    switch (state) {
    case S_START:
      if (c == '0' && (s[1] == 'x' || s[1] == 'X')) { next = S_HEX0; s++; }
      else if (is_digit(c)) next = S_INT;
      else if (c == '+' || c == '-') next = S_SIGN;
      else if (c == '.') next = S_POINT;
      else next = S_INVALID;
      break;
    case S_SIGN: next = is_digit(c) ? S_INT : c == '.' ? S_POINT : S_INVALID; break;
    case S_INT: next = is_digit(c) ? S_INT : c == '.' ? S_POINT : (c == 'e' || c == 'E') ? S_EXP : S_INVALID; break;
    case S_HEX0: case S_HEX: next = is_hex(c) ? S_HEX : S_INVALID; break;
    case S_POINT: next = is_digit(c) ? S_FRAC : S_INVALID; break;
    case S_FRAC: next = is_digit(c) ? S_FRAC : (c == 'e' || c == 'E') ? S_EXP : S_INVALID; break;
    case S_EXP: next = (c == '+' || c == '-') ? S_EXPSIGN : is_digit(c) ? S_EXPDIGITS : S_INVALID; break;
    case S_EXPSIGN: case S_EXPDIGITS: next = is_digit(c) ? S_EXPDIGITS : S_INVALID; break;
    default: break; // S_INVALID stays
    }
    if (next != state) transitions[next]++;
    state = next;
  }
  *p = *s ? s + 1 : s;
  return state;
}

static uint16_t state_bench(int16_t seed, int16_t step, uint16_t crc) {
  uint32_t finals[S_COUNT] = { 0 }, transitions[S_COUNT] = { 0 };
  for (uint8_t *p = text; *p;) finals[state_next(&p, transitions)]++;
  // Change every step-th byte, scan again, put them back. A byte changes unless it or what it
  // would become is a comma or a zero: a test that gives the same answer after the change, so
  // the second pass puts back exactly the bytes the first changed.
  uint8_t m = (uint8_t)seed;
  if (step < 1) step = 1;
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < text_len; i += step) {
      uint8_t c = text[i], d = (uint8_t)(c ^ m);
      if (c != ',' && d != ',' && c != 0 && d != 0) text[i] = d;
    }
    if (pass == 0) for (uint8_t *p = text; *p;) finals[state_next(&p, transitions)]++;
  }
  for (int i = 0; i < S_COUNT; i++) crc = crc32w(finals[i] * 31 + transitions[i], crc);
  return crc;
}

int main(void) {
  int16_t s1 = seed1, s2 = seed2, s3 = seed3;
  int third = AREA_BYTES / 3 & ~7;
  list_build(area, third, s1);
  matrix_build(area + third, third, s2);
  state_build(area + 2 * third, AREA_BYTES - 2 * third, s1);
  printf("cmark: a CoreMark-like workload of wasmvisor's own, %d iterations\n", ITERATIONS);
  uint16_t crc = 0, crc_list = 0, crc_matrix = 0, crc_state = 0;
  for (int i = 0; i < ITERATIONS; i++) {
    crc_list = list_bench((int16_t)(s1 ^ crc), crc_list);
    crc_matrix = matrix_bench((int16_t)((s2 ^ crc) & 0xff), crc_matrix);
    crc_state = state_bench((int16_t)(s3 ^ (crc & 0x5f)), (int16_t)(1 + (crc & 7)), crc_state);
    crc = crc16(crc_list, crc);
    crc = crc16(crc_matrix, crc);
    crc = crc16(crc_state, crc);
  }
  printf("list    %04x\nmatrix  %04x\nstate   %04x\ncrc     %04x\n", crc_list, crc_matrix, crc_state, crc);
  return 0;
}
