// Strided writes: a[2*i] (the odd elements keep their values), a[3*i+1] with
// a strided read b[2*i], and interleaved complex numbers (re at 2*i, im at
// 2*i+1) written by one iteration.
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

PYDRON_FUNCTIONAL static double warp(double x) {
  return x * x * 0.25 - sqrt(fabs(x)) + 1.0 / (1.0 + x * x);
}

PYDRON_SCHEDULE void even_slots(double *a, const double *b, long n) {
  // CHECK: strided_writes.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    a[2 * i] = warp(b[i]);
}

PYDRON_SCHEDULE void every_third(double *a, const double *b, long n) {
  // CHECK: strided_writes.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    a[3 * i + 1] = warp(b[2 * i]) - b[2 * i + 1];
}

/* z[i] *= w[i] for interleaved complex arrays. */
PYDRON_SCHEDULE void cmul(double *z, const double *w, int n) {
  // CHECK: strided_writes.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < n; i++) {
    double re = z[2 * i] * w[2 * i] - z[2 * i + 1] * w[2 * i + 1];
    double im = z[2 * i] * w[2 * i + 1] + z[2 * i + 1] * w[2 * i];
    z[2 * i] = re;
    z[2 * i + 1] = im;
  }
}

int main(void) {
  const long n = 200000;
  double *a = malloc(3 * n * sizeof *a), *b = malloc(2 * n * sizeof *b);
  for (long i = 0; i < 3 * n; i++)
    a[i] = -(double)i;
  for (long i = 0; i < 2 * n; i++)
    b[i] = sin((double)i * 0.001) * 100.0;
  even_slots(a, b, n);
  printf("even:  %016llx a[0]=%a a[1]=%a a[2*n-2]=%a a[2*n-1]=%a\n",
         (unsigned long long)fnv(a, 3 * n * sizeof *a), a[0], a[1],
         a[2 * n - 2], a[2 * n - 1]);
  every_third(a, b, n);
  printf("third: %016llx a[1]=%a a[3*n-2]=%a a[3*n-1]=%a\n",
         (unsigned long long)fnv(a, 3 * n * sizeof *a), a[1], a[3 * n - 2],
         a[3 * n - 1]);
  cmul(a, b, (int)n);
  printf("cmul:  %016llx a[0]=%a a[1]=%a a[2*n]=%a\n",
         (unsigned long long)fnv(a, 3 * n * sizeof *a), a[0], a[1], a[2 * n]);
  free(a);
  free(b);
  return 0;
}
