/* float and double through picolibc's libm and printf, built -march=rv32imafdc -mabi=ilp32d:
   the digits must be the same on both cores and on QEMU (-cpu rv32,f=true,d=true). Then a small
   floating-point workload (a double matrix product, a single-precision one, and a loop of
   whetstone-like modules: polynomials, transcendental functions, square roots, divisions),
   its checksums printed in full: it is also bench/run.mjs's FP MIPS workload. */
#include <math.h>
#include <stdio.h>
#include <stdint.h>

#define N 24

static double A[N][N], B[N][N], C[N][N];
static float As[N][N], Bs[N][N], Cs[N][N];

static void libm(void) {
  const double xs[] = {0.5, 1.0, 2.0, 3.14159265358979, 10.0, 1e-5, 123.456, -7.25};
  for (unsigned i = 0; i < sizeof xs / sizeof xs[0]; i++) {
    double x = xs[i];
    printf("x=%.17g sin %.17g cos %.17g exp %.17g\n", x, sin(x), cos(x), exp(x / 8));
    printf("  log|x| %.17g sqrt|x| %.17g atan2 %.17g pow %.17g cbrt %.17g\n",
           log(fabs(x)), sqrt(fabs(x)), atan2(x, 3.0), pow(fabs(x), 1.0 / 3), cbrt(x));
    float f = (float)x;
    printf("  float: sinf %.9g expf %.9g logf %.9g sqrtf %.9g hypotf %.9g fmodf %.9g\n",
           (double)sinf(f), (double)expf(f / 8), (double)logf(fabsf(f)), (double)sqrtf(fabsf(f)),
           (double)hypotf(f, 3.0f), (double)fmodf(f, 0.7f));
  }
  printf("DBL_MIN/3 %.17g  FLT_MAX*2 %g  0/0 %f  -0.0 %g  1e308*10 %g\n",
         2.2250738585072014e-308 / 3, (double)(3.4028235e38f * 2.0f), 0.0 / 0.0 * 0, -0.0, 1e308 * 10);
  printf("%.30f\n%.20e\n%a\n", 0.1, 1.0 / 3, 1.0 / 3);
}

static void matrices(void) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      A[i][j] = sin(i + 0.5 * j) + 1.0 / (1 + i + j);
      B[i][j] = cos(i * 0.25 - j) * (j % 3 - 1);
      As[i][j] = (float)A[i][j];
      Bs[i][j] = (float)B[i][j];
    }
  double sum = 0;
  float sums = 0;
  for (int r = 0; r < 8; r++) {
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) {
        double s = 0;
        float ss = 0;
        for (int k = 0; k < N; k++) {
          s += A[i][k] * B[k][j];
          ss = fmaf(As[i][k], Bs[k][j], ss);
        }
        C[i][j] = s;
        Cs[i][j] = ss;
      }
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) {
        A[i][j] = C[i][j] / (1 + fabs(C[i][j]));
        As[i][j] = Cs[i][j] / (1 + fabsf(Cs[i][j]));
        sum += C[i][j];
        sums += Cs[i][j];
      }
  }
  printf("matrix double %.17g float %.9g\n", sum, (double)sums);
}

static void whetstone(int loops) {
  double x1 = 1.0, x2 = -1.0, x3 = -1.0, x4 = -1.0, t = 0.499975, t2 = 2.0;
  double x = 0.5, y = 0.5, z;
  float fx = 0.75f;
  for (int l = 0; l < loops; l++) {
    for (int i = 0; i < 10; i++) { /* module 1: array-like arithmetic */
      x1 = (x1 + x2 + x3 - x4) * t;
      x2 = (x1 + x2 - x3 + x4) * t;
      x3 = (x1 - x2 + x3 + x4) * t;
      x4 = (-x1 + x2 + x3 + x4) * t;
    }
    for (int i = 0; i < 4; i++) { /* module 7: trigonometry */
      x = t * atan(t2 * sin(x) * cos(x) / (cos(x + y) + cos(x - y) - 1.0));
      y = t * atan(t2 * sin(y) * cos(y) / (cos(x + y) + cos(x - y) - 1.0));
    }
    z = sqrt(exp(log(x1 * x1 + 1.0) / t2)); /* module 11 */
    x1 += z * 1e-9;
    for (int i = 0; i < 8; i++) fx = fx * 0.999f + sqrtf(fx) / (1.0f + fx); /* single precision */
  }
  printf("whetstone x1 %.17g x4 %.17g x %.17g y %.17g f %.9g\n", x1, x4, x, y, (double)fx);
}

int main(void) {
  libm();
  matrices();
  whetstone(300);
  printf("fpmath: done\n");
  return 0;
}
