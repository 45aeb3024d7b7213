// Map loops a[i] = f(b[i]): a functional callee defined in this file (with a
// loop of its own and libm calls), a direct libm call, and a float map.
// RUN: %e2e %s | FileCheck %s
#include <pydron.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t fnv(const void *p, size_t n) {
  const unsigned char *c = p;
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++)
    h = (h ^ c[i]) * 1099511628211ULL;
  return h;
}

/* Cube root by Newton's method, then a damped oscillation. */
PYDRON_FUNCTIONAL static double smooth(double x) {
  double y = x > 1.0 ? x : 1.0;
  for (int k = 0; k < 24; k++)
    y = y - (y * y * y - x) / (3.0 * y * y);
  return y + sin(x) * exp(-x * 1e-3);
}

PYDRON_SCHEDULE void map_smooth(const double *in, double *out, long n) {
  // CHECK: map_functional.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    out[i] = smooth(in[i]);
}

PYDRON_SCHEDULE void map_libm(const double *in, double *out, long n) {
  // CHECK: map_functional.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    out[i] = log1p(in[i]) * cos(in[i] * 0.01) + atan(in[i]);
}

PYDRON_SCHEDULE void map_float(const float *in, float *out, int n) {
  // CHECK: map_functional.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < n; i++)
    out[i] = sqrtf(in[i]) * 0.5f + expf(-in[i] * 0.001f);
}

int main(void) {
  const long n = 300000;
  double *in = malloc(n * sizeof *in), *out = malloc(n * sizeof *out);
  float *fin = malloc(n * sizeof *fin), *fout = malloc(n * sizeof *fout);
  uint32_t s = 12345;
  for (long i = 0; i < n; i++) {
    s = s * 1103515245u + 12345u;
    in[i] = (double)(s >> 8) / 16777216.0 * 5000.0;
    fin[i] = (float)in[i];
  }
  map_smooth(in, out, n);
  printf("smooth: %016llx out[0]=%a out[n-1]=%a\n",
         (unsigned long long)fnv(out, n * sizeof *out), out[0], out[n - 1]);
  map_libm(in, out, n);
  printf("libm:   %016llx out[7]=%a\n",
         (unsigned long long)fnv(out, n * sizeof *out), out[7]);
  map_float(fin, fout, (int)n);
  printf("float:  %016llx fout[3]=%a\n",
         (unsigned long long)fnv(fout, n * sizeof *fout), (double)fout[3]);
  free(in);
  free(out);
  free(fin);
  free(fout);
  return 0;
}
