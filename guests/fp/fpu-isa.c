/* The F and D instructions on tables of operands from the hard classes (zeros, subnormals, the
   smallest normal, values near 1, the largest finite, infinities, quiet and signalling NaNs,
   the integer limits), every instruction in all five rounding modes (the dynamic mode through
   frm, and static rm fields), then a seeded random stream of FP instructions with random
   operands and rounding modes. Each line prints a hash of the results and the accrued flags of
   one instruction (and mode), so the output is compared with QEMU (-cpu rv32,f=true,d=true) and
   between wasmvisor's two cores (test/qemu.test.ts, test/guests.test.ts). A few lines print the
   raw bits of NaN-boxing, the canonical NaN and fcsr behaviour.
   Built with -march=rv32imafdc -mabi=ilp32d (guests/build.sh, guests/fp/). */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include "platform.h"

typedef uint32_t u32;
typedef uint64_t u64;

/* ── Moving bits in and out of f registers without any arithmetic ─────────────────────────── */
static inline float fs(u32 x) { float f; __asm__ volatile("fmv.w.x %0, %1" : "=f"(f) : "r"(x)); return f; }
static inline u32 bs(float f) { u32 x; __asm__ volatile("fmv.x.w %0, %1" : "=r"(x) : "f"(f)); return x; }
static inline double fd(u64 x) { double d; __asm__ volatile("fld %0, %1" : "=f"(d) : "m"(x)); return d; }
static inline u64 bd(double d) { u64 x; __asm__ volatile("fsd %1, %0" : "=m"(x) : "f"(d)); return x; }
static inline void flags_clear(void) { __asm__ volatile("csrw fflags, zero"); }
static inline u32 flags(void) { u32 v; __asm__ volatile("csrr %0, fflags" : "=r"(v)); return v; }
static inline void set_frm(u32 rm) { __asm__ volatile("fsrm %0" ::"r"(rm)); }

/* ── Operands ───────────────────────────────────────────────────────────────────────────────── */
static const u32 S[] = {
  0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40400000, 0x3dcccccd, 0x00000001,
  0x807fffff, 0x00800000, 0x80800001, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000,
  0xffc12345, 0x7f800001, 0xff812345, 0x4f000000, 0xcf000000, 0x4f800000, 0x4effffff, 0x3f000000,
  0x40200000, 0xc0200000, 0x3f800001, 0x3f7fffff, 0x34000000, 0x0ca00000, 0x72800000, 0xcf7fffff,
};
static const u64 D[] = {
  0x0000000000000000ull, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
  0x3ff8000000000000ull, 0x4008000000000000ull, 0x3fb999999999999aull, 0x0000000000000001ull,
  0x800fffffffffffffull, 0x0010000000000000ull, 0x8010000000000001ull, 0x7fefffffffffffffull,
  0xffefffffffffffffull, 0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull,
  0xfff8000012345678ull, 0x7ff0000000000001ull, 0xfff0000012345678ull, 0x41e0000000000000ull,
  0xc1e0000000000000ull, 0x41f0000000000000ull, 0x41dfffffffc00000ull, 0x3fe0000000000000ull,
  0x4004000000000000ull, 0xc004000000000000ull, 0x3ff0000000000001ull, 0x3fefffffffffffffull,
  0x3ca0000000000000ull, 0x36a0000010000000ull, 0x47efffffe0000000ull, 0xc1efffffffe00000ull,
};
static const u32 INTS[] = {
  0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0x01000001, 0x00ffffff, 0x20000001, 0xfefffffb,
  0x80000001, 12345, 0xfffffff0, 0x7fffffc0, 0x00000003, 0x40000041, 0xc0000001,
};
#define NS (sizeof S / sizeof S[0])
#define ND (sizeof D / sizeof D[0])
#define NI (sizeof INTS / sizeof INTS[0])
/* FMA operands: a subset (the cube of all would be long). */
static const unsigned FMA_PICK[] = {0, 1, 2, 3, 5, 6, 7, 8, 9, 11, 13, 15, 17, 26, 27, 28};
#define NF (sizeof FMA_PICK / sizeof FMA_PICK[0])

/* ── A hash per line (FNV-1a over words) and the flags accrued ─────────────────────────────── */
static u32 h;
static u32 acc;
static unsigned count;
static void begin(void) { h = 0x811c9dc5u; acc = 0; count = 0; }
static void mix(u32 w) { for (int i = 0; i < 4; i++) { h ^= (w >> (8 * i)) & 0xff; h *= 0x01000193u; } }
static void note32(u32 r) { u32 f = flags(); mix(r); mix(f); acc |= f; count++; }
static void note64(u64 r) { u32 f = flags(); mix((u32)r); mix((u32)(r >> 32)); mix(f); acc |= f; count++; }
static void line(const char *name, int rm) {
  if (rm < 0) printf("%-10s     %08lx flags %02lx n=%u\n", name, (unsigned long)h, (unsigned long)acc, count);
  else printf("%-10s rm%d %08lx flags %02lx n=%u\n", name, rm, (unsigned long)h, (unsigned long)acc, count);
}

/* ── Instructions with the dynamic rounding mode ────────────────────────────────────────────── */
#define BIN(T, name, mn) static T name(T a, T b) { T r; __asm__ volatile(mn " %0, %1, %2" : "=f"(r) : "f"(a), "f"(b)); return r; }
#define UN(T, name, mn) static T name(T a) { T r; __asm__ volatile(mn " %0, %1" : "=f"(r) : "f"(a)); return r; }
#define TRI(T, name, mn) static T name(T a, T b, T c) { T r; __asm__ volatile(mn " %0, %1, %2, %3" : "=f"(r) : "f"(a), "f"(b), "f"(c)); return r; }
#define TOI(T, name, mn) static u32 name(T a) { u32 r; __asm__ volatile(mn " %0, %1" : "=r"(r) : "f"(a)); return r; }
#define FROMI(T, name, mn) static T name(u32 a) { T r; __asm__ volatile(mn " %0, %1" : "=f"(r) : "r"(a)); return r; }
#define CMP(T, name, mn) static u32 name(T a, T b) { u32 r; __asm__ volatile(mn " %0, %1, %2" : "=r"(r) : "f"(a), "f"(b)); return r; }

BIN(float, fadd_s, "fadd.s") BIN(float, fsub_s, "fsub.s") BIN(float, fmul_s, "fmul.s") BIN(float, fdiv_s, "fdiv.s")
BIN(float, fmin_s, "fmin.s") BIN(float, fmax_s, "fmax.s")
BIN(float, fsgnj_s, "fsgnj.s") BIN(float, fsgnjn_s, "fsgnjn.s") BIN(float, fsgnjx_s, "fsgnjx.s")
UN(float, fsqrt_s, "fsqrt.s")
TRI(float, fmadd_s, "fmadd.s") TRI(float, fmsub_s, "fmsub.s") TRI(float, fnmsub_s, "fnmsub.s") TRI(float, fnmadd_s, "fnmadd.s")
TOI(float, fcvt_w_s, "fcvt.w.s") TOI(float, fcvt_wu_s, "fcvt.wu.s") TOI(float, fclass_s, "fclass.s")
FROMI(float, fcvt_s_w, "fcvt.s.w") FROMI(float, fcvt_s_wu, "fcvt.s.wu")
CMP(float, feq_s, "feq.s") CMP(float, flt_s, "flt.s") CMP(float, fle_s, "fle.s")
BIN(double, fadd_d, "fadd.d") BIN(double, fsub_d, "fsub.d") BIN(double, fmul_d, "fmul.d") BIN(double, fdiv_d, "fdiv.d")
BIN(double, fmin_d, "fmin.d") BIN(double, fmax_d, "fmax.d")
BIN(double, fsgnj_d, "fsgnj.d") BIN(double, fsgnjn_d, "fsgnjn.d") BIN(double, fsgnjx_d, "fsgnjx.d")
UN(double, fsqrt_d, "fsqrt.d")
TRI(double, fmadd_d, "fmadd.d") TRI(double, fmsub_d, "fmsub.d") TRI(double, fnmsub_d, "fnmsub.d") TRI(double, fnmadd_d, "fnmadd.d")
TOI(double, fcvt_w_d, "fcvt.w.d") TOI(double, fcvt_wu_d, "fcvt.wu.d") TOI(double, fclass_d, "fclass.d")
FROMI(double, fcvt_d_w, "fcvt.d.w") FROMI(double, fcvt_d_wu, "fcvt.d.wu")
CMP(double, feq_d, "feq.d") CMP(double, flt_d, "flt.d") CMP(double, fle_d, "fle.d")
static float fcvt_s_d(double a) { float r; __asm__ volatile("fcvt.s.d %0, %1" : "=f"(r) : "f"(a)); return r; }
static double fcvt_d_s(float a) { double r; __asm__ volatile("fcvt.d.s %0, %1" : "=f"(r) : "f"(a)); return r; }

/* ── Static rounding modes (the rm field) ───────────────────────────────────────────────────── */
#define STATIC5(T, name, mn) \
  static T name(int rm, T a, T b) { T r; switch (rm) { \
    case 0: __asm__ volatile(mn " %0, %1, %2, rne" : "=f"(r) : "f"(a), "f"(b)); break; \
    case 1: __asm__ volatile(mn " %0, %1, %2, rtz" : "=f"(r) : "f"(a), "f"(b)); break; \
    case 2: __asm__ volatile(mn " %0, %1, %2, rdn" : "=f"(r) : "f"(a), "f"(b)); break; \
    case 3: __asm__ volatile(mn " %0, %1, %2, rup" : "=f"(r) : "f"(a), "f"(b)); break; \
    default: __asm__ volatile(mn " %0, %1, %2, rmm" : "=f"(r) : "f"(a), "f"(b)); break; } return r; }
#define STATIC5_TOI(T, name, mn) \
  static u32 name(int rm, T a) { u32 r; switch (rm) { \
    case 0: __asm__ volatile(mn " %0, %1, rne" : "=r"(r) : "f"(a)); break; \
    case 1: __asm__ volatile(mn " %0, %1, rtz" : "=r"(r) : "f"(a)); break; \
    case 2: __asm__ volatile(mn " %0, %1, rdn" : "=r"(r) : "f"(a)); break; \
    case 3: __asm__ volatile(mn " %0, %1, rup" : "=r"(r) : "f"(a)); break; \
    default: __asm__ volatile(mn " %0, %1, rmm" : "=r"(r) : "f"(a)); break; } return r; }
STATIC5(float, fmul_s_rm, "fmul.s") STATIC5(double, fadd_d_rm, "fadd.d") STATIC5(double, fdiv_d_rm, "fdiv.d")
STATIC5_TOI(float, fcvt_w_s_rm, "fcvt.w.s") STATIC5_TOI(double, fcvt_wu_d_rm, "fcvt.wu.d")

/* ── The tables ─────────────────────────────────────────────────────────────────────────────── */
#define PAIRS_S(fn) for (unsigned i = 0; i < NS; i++) for (unsigned j = 0; j < NS; j++) { flags_clear(); note32(bs(fn(fs(S[i]), fs(S[j])))); }
#define PAIRS_D(fn) for (unsigned i = 0; i < ND; i++) for (unsigned j = 0; j < ND; j++) { flags_clear(); note64(bd(fn(fd(D[i]), fd(D[j])))); }
#define CMPS_S(fn) for (unsigned i = 0; i < NS; i++) for (unsigned j = 0; j < NS; j++) { flags_clear(); note32(fn(fs(S[i]), fs(S[j]))); }
#define CMPS_D(fn) for (unsigned i = 0; i < ND; i++) for (unsigned j = 0; j < ND; j++) { flags_clear(); note32(fn(fd(D[i]), fd(D[j]))); }
#define FMA_S(fn) for (unsigned i = 0; i < NF; i++) for (unsigned j = 0; j < NF; j++) for (unsigned k = 0; k < NF; k++) { \
  flags_clear(); note32(bs(fn(fs(S[FMA_PICK[i]]), fs(S[FMA_PICK[j]]), fs(S[FMA_PICK[k]])))); }
#define FMA_D(fn) for (unsigned i = 0; i < NF; i++) for (unsigned j = 0; j < NF; j++) for (unsigned k = 0; k < NF; k++) { \
  flags_clear(); note64(bd(fn(fd(D[FMA_PICK[i]]), fd(D[FMA_PICK[j]]), fd(D[FMA_PICK[k]])))); }

static void tables(void) {
  for (int rm = 0; rm < 5; rm++) {
    set_frm(rm);
    begin(); PAIRS_S(fadd_s) line("fadd.s", rm);
    begin(); PAIRS_S(fsub_s) line("fsub.s", rm);
    begin(); PAIRS_S(fmul_s) line("fmul.s", rm);
    begin(); PAIRS_S(fdiv_s) line("fdiv.s", rm);
    begin(); for (unsigned i = 0; i < NS; i++) { flags_clear(); note32(bs(fsqrt_s(fs(S[i])))); } line("fsqrt.s", rm);
    begin(); FMA_S(fmadd_s) line("fmadd.s", rm);
    begin(); FMA_S(fmsub_s) line("fmsub.s", rm);
    begin(); FMA_S(fnmsub_s) line("fnmsub.s", rm);
    begin(); FMA_S(fnmadd_s) line("fnmadd.s", rm);
    begin(); for (unsigned i = 0; i < NS; i++) { flags_clear(); note32(fcvt_w_s(fs(S[i]))); flags_clear(); note32(fcvt_wu_s(fs(S[i]))); } line("fcvt.w[u].s", rm);
    begin(); for (unsigned i = 0; i < NI; i++) { flags_clear(); note32(bs(fcvt_s_w(INTS[i]))); flags_clear(); note32(bs(fcvt_s_wu(INTS[i]))); } line("fcvt.s.w[u]", rm);
    begin(); PAIRS_D(fadd_d) line("fadd.d", rm);
    begin(); PAIRS_D(fsub_d) line("fsub.d", rm);
    begin(); PAIRS_D(fmul_d) line("fmul.d", rm);
    begin(); PAIRS_D(fdiv_d) line("fdiv.d", rm);
    begin(); for (unsigned i = 0; i < ND; i++) { flags_clear(); note64(bd(fsqrt_d(fd(D[i])))); } line("fsqrt.d", rm);
    begin(); FMA_D(fmadd_d) line("fmadd.d", rm);
    begin(); FMA_D(fmsub_d) line("fmsub.d", rm);
    begin(); FMA_D(fnmsub_d) line("fnmsub.d", rm);
    begin(); FMA_D(fnmadd_d) line("fnmadd.d", rm);
    begin(); for (unsigned i = 0; i < ND; i++) { flags_clear(); note32(fcvt_w_d(fd(D[i]))); flags_clear(); note32(fcvt_wu_d(fd(D[i]))); } line("fcvt.w[u].d", rm);
    begin(); for (unsigned i = 0; i < NI; i++) { flags_clear(); note64(bd(fcvt_d_w(INTS[i]))); flags_clear(); note64(bd(fcvt_d_wu(INTS[i]))); } line("fcvt.d.w[u]", rm);
    begin(); for (unsigned i = 0; i < ND; i++) { flags_clear(); note32(bs(fcvt_s_d(fd(D[i])))); } line("fcvt.s.d", rm);
  }
  set_frm(0);
  /* Operations that do not round. */
  begin(); for (unsigned i = 0; i < NS; i++) { flags_clear(); note64(bd(fcvt_d_s(fs(S[i])))); } line("fcvt.d.s", -1);
  begin(); PAIRS_S(fmin_s) line("fmin.s", -1);
  begin(); PAIRS_S(fmax_s) line("fmax.s", -1);
  begin(); PAIRS_S(fsgnj_s) PAIRS_S(fsgnjn_s) PAIRS_S(fsgnjx_s) line("fsgnj*.s", -1);
  begin(); CMPS_S(feq_s) line("feq.s", -1);
  begin(); CMPS_S(flt_s) line("flt.s", -1);
  begin(); CMPS_S(fle_s) line("fle.s", -1);
  begin(); for (unsigned i = 0; i < NS; i++) { flags_clear(); note32(fclass_s(fs(S[i]))); } line("fclass.s", -1);
  begin(); PAIRS_D(fmin_d) line("fmin.d", -1);
  begin(); PAIRS_D(fmax_d) line("fmax.d", -1);
  begin(); PAIRS_D(fsgnj_d) PAIRS_D(fsgnjn_d) PAIRS_D(fsgnjx_d) line("fsgnj*.d", -1);
  begin(); CMPS_D(feq_d) line("feq.d", -1);
  begin(); CMPS_D(flt_d) line("flt.d", -1);
  begin(); CMPS_D(fle_d) line("fle.d", -1);
  begin(); for (unsigned i = 0; i < ND; i++) { flags_clear(); note32(fclass_d(fd(D[i]))); } line("fclass.d", -1);
  /* Static rounding modes (frm is RNE; the rm field wins). */
  for (int rm = 0; rm < 5; rm++) {
    begin();
    for (unsigned i = 0; i < NS; i++) for (unsigned j = 0; j < NS; j++) { flags_clear(); note32(bs(fmul_s_rm(rm, fs(S[i]), fs(S[j])))); }
    for (unsigned i = 0; i < ND; i++) for (unsigned j = 0; j < ND; j++) { flags_clear(); note64(bd(fadd_d_rm(rm, fd(D[i]), fd(D[j])))); }
    for (unsigned i = 0; i < ND; i++) for (unsigned j = 0; j < ND; j++) { flags_clear(); note64(bd(fdiv_d_rm(rm, fd(D[i]), fd(D[j])))); }
    for (unsigned i = 0; i < NS; i++) { flags_clear(); note32(fcvt_w_s_rm(rm, fs(S[i]))); }
    for (unsigned i = 0; i < ND; i++) { flags_clear(); note32(fcvt_wu_d_rm(rm, fd(D[i]))); }
    line("static", rm);
  }
}

/* ── NaN-boxing, moves, fcsr ────────────────────────────────────────────────────────────────── */
static void boxing(void) {
  u64 raw = 0x123456783f800000ull; /* a "single" 1.0 whose upper word is not all ones */
  u64 out;
  u32 x;
  /* FLW boxes; FSD of the register shows the upper word all ones. */
  __asm__ volatile("flw ft0, %1\n fsd ft0, %0" : "=m"(out) : "m"(*(u32 *)&raw) : "ft0");
  printf("flw boxes:           %08lx%08lx\n", (unsigned long)(out >> 32), (unsigned long)out);
  /* An unboxed single reads as the canonical NaN: fadd.s, fsgnj.s, fclass.s, fcvt.d.s. */
  __asm__ volatile("fld ft0, %1\n fmv.w.x ft1, zero\n fadd.s ft2, ft0, ft1\n fsd ft2, %0" : "=m"(out) : "m"(raw) : "ft0", "ft1", "ft2");
  printf("fadd.s unboxed:      %08lx%08lx\n", (unsigned long)(out >> 32), (unsigned long)out);
  __asm__ volatile("fld ft0, %1\n fsgnjn.s ft2, ft0, ft0\n fsd ft2, %0" : "=m"(out) : "m"(raw) : "ft0", "ft2");
  printf("fsgnjn.s unboxed:    %08lx%08lx\n", (unsigned long)(out >> 32), (unsigned long)out);
  __asm__ volatile("fld ft0, %1\n fclass.s %0, ft0" : "=r"(x) : "m"(raw) : "ft0");
  printf("fclass.s unboxed:    %03lx\n", (unsigned long)x);
  __asm__ volatile("fld ft0, %1\n fcvt.d.s ft2, ft0\n fsd ft2, %0" : "=m"(out) : "m"(raw) : "ft0", "ft2");
  printf("fcvt.d.s unboxed:    %08lx%08lx\n", (unsigned long)(out >> 32), (unsigned long)out);
  /* FMV.X.W and FSW move the low word as it is. */
  __asm__ volatile("fld ft0, %1\n fmv.x.w %0, ft0" : "=r"(x) : "m"(raw) : "ft0");
  printf("fmv.x.w unboxed:     %08lx\n", (unsigned long)x);
  __asm__ volatile("fld ft0, %1\n fsw ft0, %0" : "=m"(x) : "m"(raw) : "ft0");
  printf("fsw unboxed:         %08lx\n", (unsigned long)x);
  /* Single results are boxed: fcvt.s.d, fmv.w.x, fmin.s with both NaN (the canonical NaN). */
  __asm__ volatile("fld ft0, %1\n fcvt.s.d ft2, ft0\n fsd ft2, %0" : "=m"(out) : "m"(raw) : "ft0", "ft2");
  printf("fcvt.s.d boxes:      %08lx%08lx\n", (unsigned long)(out >> 32), (unsigned long)out);
  __asm__ volatile("fmv.w.x ft0, %1\n fsd ft0, %0" : "=m"(out) : "r"(0x7f800001u) : "ft0");
  printf("fmv.w.x sNaN:        %08lx%08lx\n", (unsigned long)(out >> 32), (unsigned long)out);
  flags_clear();
  __asm__ volatile("fmv.w.x ft0, %1\n fmin.s ft1, ft0, ft0\n fsd ft1, %0" : "=m"(out) : "r"(0xff812345u) : "ft0", "ft1");
  printf("fmin.s sNaN sNaN:    %08lx%08lx flags %02lx\n", (unsigned long)(out >> 32), (unsigned long)out, (unsigned long)flags());
  /* fcsr: frm and fflags are its fields; reserved bits read 0. */
  u32 a, b, c;
  __asm__ volatile("csrw fcsr, %3\n csrr %0, fcsr\n csrr %1, frm\n csrr %2, fflags" : "=r"(a), "=r"(b), "=r"(c) : "r"(0xffffffffu));
  printf("fcsr <- ~0:          fcsr %02lx frm %lx fflags %02lx\n", (unsigned long)a, (unsigned long)b, (unsigned long)c);
  __asm__ volatile("csrwi frm, 3\n csrwi fflags, 0x15\n csrr %0, fcsr\n csrrci %1, fflags, 1\n csrr %2, fcsr" : "=r"(a), "=r"(b), "=r"(c));
  printf("frm 3, fflags 0x15:  fcsr %02lx, then %02lx -> %02lx\n", (unsigned long)a, (unsigned long)b, (unsigned long)c);
  csr_write(fcsr, 0);
}

/* ── mstatus.FS: Off traps; an FP write makes it Dirty (and SD) ─────────────────────────────── */
static volatile u32 trapped;
static void fs_state(void) {
  u32 before, after;
  csr_clear(mstatus, 3u << 13);
  csr_set(mstatus, 1u << 13); /* Initial */
  before = csr_read(mstatus);
  __asm__ volatile("fmv.w.x ft0, zero" ::: "ft0");
  after = csr_read(mstatus);
  printf("FS Initial: %08lx, after fmv.w.x: %08lx\n", (unsigned long)(before & 0x80006000u), (unsigned long)(after & 0x80006000u));
  csr_clear(mstatus, 3u << 13);
  csr_set(mstatus, 2u << 13); /* Clean: a CSR read or FMV.X.W leaves it, a flag write does not */
  __asm__ volatile("csrr %0, fflags\n fmv.x.w %1, ft0" : "=r"(before), "=r"(after));
  printf("FS Clean after reads: %08lx\n", (unsigned long)(csr_read(mstatus) & 0x80006000u));
  __asm__ volatile("csrwi fflags, 0");
  printf("FS after csrw fflags: %08lx\n", (unsigned long)(csr_read(mstatus) & 0x80006000u));
  csr_set(mstatus, 3u << 13);
}

/* ── A seeded random stream ─────────────────────────────────────────────────────────────────── */
static u32 seed = 0x2545f491u;
static u32 rnd(void) { seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5; return seed; }
/* An operand of an interesting class (or random bits). */
static u32 rs32(void) {
  u32 r = rnd(), s = r & 0x80000000u;
  switch (rnd() % 12) {
    case 0: return S[rnd() % NS];
    case 1: return s | (rnd() & 0x7fffff); /* subnormal */
    case 2: return s | ((1 + rnd() % 3) << 23) | (rnd() & 0x7fffff); /* smallest normals */
    case 3: return s | ((125 + rnd() % 4) << 23) | (rnd() & 0x7fffff); /* near 1 */
    case 4: return s | ((252 + rnd() % 3) << 23) | (rnd() & 0x7fffff); /* near the largest */
    case 5: return s | ((150 + rnd() % 10) << 23) | (rnd() & 0x7fffff); /* around 2^31 */
    case 6: return s | 0x7f800000u | (rnd() & 0x7fffff); /* NaN or ∞ */
    case 7: return s | ((100 + rnd() % 60) << 23) | (rnd() & 0x7f0000); /* short significands */
    default: return r;
  }
}
static u64 rs64(void) {
  u32 hi = rnd(), lo = rnd(), s = hi & 0x80000000u;
  switch (rnd() % 12) {
    case 0: return D[rnd() % ND];
    case 1: hi = s | (hi & 0xfffff); break;
    case 2: hi = s | ((1 + rnd() % 3) << 20) | (hi & 0xfffff); break;
    case 3: hi = s | ((1021 + rnd() % 4) << 20) | (hi & 0xfffff); break;
    case 4: hi = s | ((2044 + rnd() % 3) << 20) | (hi & 0xfffff); break;
    case 5: hi = s | ((1050 + rnd() % 10) << 20) | (hi & 0xfffff); break;
    case 6: hi = s | 0x7ff00000u | (hi & 0xfffff); if (rnd() & 1) lo = 0; break;
    case 7: hi = s | ((900 + rnd() % 250) << 20) | (hi & 0xff000); lo = 0; break;
    default: break;
  }
  return ((u64)hi << 32) | lo;
}

#define NOPS 34
static const char *const OPS[NOPS] = {
  "fadd.s", "fsub.s", "fmul.s", "fdiv.s", "fsqrt.s", "fmadd.s", "fmsub.s", "fnmsub.s", "fnmadd.s", "fmin.s", "fmax.s",
  "fcvt.w.s", "fcvt.wu.s", "fcvt.s.w", "fcvt.s.wu", "fcmp.s", "fadd.d", "fsub.d", "fmul.d", "fdiv.d", "fsqrt.d",
  "fmadd.d", "fmsub.d", "fnmsub.d", "fnmadd.d", "fmin.d", "fmax.d", "fcvt.w.d", "fcvt.wu.d", "fcvt.d.w",
  "fcvt.d.wu", "fcmp.d", "fcvt.s.d", "fcvt.d.s",
};
static u32 oph[NOPS], opf[NOPS], opn[NOPS];

static void one(unsigned op) {
  u32 a = rs32(), b = rs32(), c = rs32(), i = rnd();
  u64 A = rs64(), B = rs64(), C = rs64();
  /* Close pairs for cancellation, half the time. */
  if (rnd() & 1) { b = (a ^ (rnd() & 1 ? 0x80000000u : 0)) + (rnd() % 5) - 2; B = (A ^ (rnd() & 1 ? 1ull << 63 : 0)) + (rnd() % 5) - 2; }
  /* The addend near the negated product a quarter of the time. */
  if ((rnd() & 3) == 0) { set_frm(0); c = bs(fmul_s(fs(a), fs(b))) ^ 0x80000000u; C = bd(fmul_d(fd(A), fd(B))) ^ (1ull << 63); }
  set_frm(rnd() % 5);
  flags_clear();
  u32 r = 0;
  u64 R = 0;
  switch (op) {
    case 0: r = bs(fadd_s(fs(a), fs(b))); break;
    case 1: r = bs(fsub_s(fs(a), fs(b))); break;
    case 2: r = bs(fmul_s(fs(a), fs(b))); break;
    case 3: r = bs(fdiv_s(fs(a), fs(b))); break;
    case 4: r = bs(fsqrt_s(fs(a))); break;
    case 5: r = bs(fmadd_s(fs(a), fs(b), fs(c))); break;
    case 6: r = bs(fmsub_s(fs(a), fs(b), fs(c))); break;
    case 7: r = bs(fnmsub_s(fs(a), fs(b), fs(c))); break;
    case 8: r = bs(fnmadd_s(fs(a), fs(b), fs(c))); break;
    case 9: r = bs(fmin_s(fs(a), fs(b))); break;
    case 10: r = bs(fmax_s(fs(a), fs(b))); break;
    case 11: r = fcvt_w_s(fs(a)); break;
    case 12: r = fcvt_wu_s(fs(a)); break;
    case 13: r = bs(fcvt_s_w(i >> (rnd() % 32))); break;
    case 14: r = bs(fcvt_s_wu(i >> (rnd() % 32))); break;
    case 15: r = feq_s(fs(a), fs(b)) | flt_s(fs(a), fs(b)) << 1 | fle_s(fs(a), fs(b)) << 2 | fclass_s(fs(a)) << 3; break;
    case 16: R = bd(fadd_d(fd(A), fd(B))); break;
    case 17: R = bd(fsub_d(fd(A), fd(B))); break;
    case 18: R = bd(fmul_d(fd(A), fd(B))); break;
    case 19: R = bd(fdiv_d(fd(A), fd(B))); break;
    case 20: R = bd(fsqrt_d(fd(A))); break;
    case 21: R = bd(fmadd_d(fd(A), fd(B), fd(C))); break;
    case 22: R = bd(fmsub_d(fd(A), fd(B), fd(C))); break;
    case 23: R = bd(fnmsub_d(fd(A), fd(B), fd(C))); break;
    case 24: R = bd(fnmadd_d(fd(A), fd(B), fd(C))); break;
    case 25: R = bd(fmin_d(fd(A), fd(B))); break;
    case 26: R = bd(fmax_d(fd(A), fd(B))); break;
    case 27: r = fcvt_w_d(fd(A)); break;
    case 28: r = fcvt_wu_d(fd(A)); break;
    case 29: R = bd(fcvt_d_w(i >> (rnd() % 32))); break;
    case 30: R = bd(fcvt_d_wu(i >> (rnd() % 32))); break;
    case 31: r = feq_d(fd(A), fd(B)) | flt_d(fd(A), fd(B)) << 1 | fle_d(fd(A), fd(B)) << 2 | fclass_d(fd(A)) << 3; break;
    case 32: r = bs(fcvt_s_d(fd(A))); break;
    default: R = bd(fcvt_d_s(fs(a))); break;
  }
  u32 f = flags();
  h = oph[op];
  mix(r); mix((u32)R); mix((u32)(R >> 32)); mix(f);
  oph[op] = h;
  opf[op] |= f;
  opn[op]++;
}

static void random_stream(unsigned n) {
  for (unsigned k = 0; k < NOPS; k++) oph[k] = 0x811c9dc5u;
  for (unsigned k = 0; k < n; k++) one(rnd() % NOPS);
  for (unsigned k = 0; k < NOPS; k++) printf("random %-10s %08lx flags %02lx n=%lu\n", OPS[k], (unsigned long)oph[k], (unsigned long)opf[k], (unsigned long)opn[k]);
  set_frm(0);
}

int main(void) {
  printf("fpu-isa: misa %08lx\n", (unsigned long)csr_read(misa));
  boxing();
  fs_state();
  tables();
  random_stream(20000);
  printf("fpu-isa: done\n");
  return 0;
}
