// One schedule function called many times: 1000 calls on small arrays (the
// runtime may run them sequentially: too small to gain), then 10 calls on
// large arrays, then small again; and a reduction called 2000 times.
// RUN: %e2e %s | FileCheck %s
#include <math.h>
#include <pydron.h>
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

PYDRON_FUNCTIONAL static double relax(double x, double y) {
  return 0.5 * (x + y / (x + 1.0)) + 1e-3 * sin(y);
}

PYDRON_SCHEDULE void sweep(double *x, const double *y, long n) {
  // CHECK: many_calls.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    x[i] = relax(x[i], y[i]);
}

PYDRON_SCHEDULE long dotl(const int *a, const int *b, int n) {
  long s = 0;
  // CHECK: many_calls.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < n; i++)
    s += (long)a[i] * b[i];
  return s;
}

int main(void) {
  const long big = 200000, small = 256;
  double *x = malloc(big * sizeof *x), *y = malloc(big * sizeof *y);
  int *a = malloc(small * sizeof *a), *b = malloc(small * sizeof *b);
  for (long i = 0; i < big; i++) {
    x[i] = 1.0;
    y[i] = (double)(i % 1001) / 10.0;
  }
  for (int k = 0; k < 1000; k++)
    sweep(x + (k % 64) * small, y + k, small);
  printf("1000 small: %016llx\n", (unsigned long long)fnv(x, big * sizeof *x));
  for (int k = 0; k < 10; k++)
    sweep(x, y + k, big - 10);
  printf("10 large:   %016llx\n", (unsigned long long)fnv(x, big * sizeof *x));
  for (int k = 0; k < 1000; k++)
    sweep(x + big - small - k, y, small);
  printf("1000 small: %016llx\n", (unsigned long long)fnv(x, big * sizeof *x));

  unsigned long total = 0;
  for (int k = 0; k < 2000; k++) {
    for (int i = 0; i < small; i++) {
      a[i] = (i * k) % 97 - 48;
      b[i] = (i + k) % 89;
    }
    total = total * 31u + (unsigned long)dotl(a, b, (int)small - (k % 3));
  }
  printf("2000 dots:  %lu\n", total);
  free(x);
  free(y);
  free(a);
  free(b);
  return 0;
}
