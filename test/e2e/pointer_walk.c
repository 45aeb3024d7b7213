// Loops driven by pointer increments: for (p = a; p < a + n; p++), two
// pointers advanced together up to an end pointer, a while loop, and a
// pointer stepping by 2 elements.
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

PYDRON_FUNCTIONAL static double soft(double x) { return log1p(exp(x * 0.01)); }

PYDRON_SCHEDULE void in_place(double *a, long n) {
  double *p;
  // CHECK: pointer_walk.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (p = a; p < a + n; p++)
    *p = soft(*p);
}

PYDRON_SCHEDULE void two_pointers(const double *src, double *dst,
                                  const double *end) {
  // CHECK: pointer_walk.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (const double *q = src; q != end; ++q, ++dst)
    *dst = soft(*q) - *q;
}

PYDRON_SCHEDULE void while_loop(float *a, float *end) {
  // CHECK: pointer_walk.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  while (a < end) {
    *a = sqrtf(*a) + 0.5f;
    a++;
  }
}

PYDRON_SCHEDULE long pairs(const int *a, const int *end) {
  long s = 0;
  // CHECK: pointer_walk.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (const int *p = a; p + 1 < end; p += 2)
    s += (long)p[0] * p[1];
  return s;
}

int main(void) {
  const long n = 300000;
  double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
  float *f = malloc(n * sizeof *f);
  int *k = malloc(n * sizeof *k);
  for (long i = 0; i < n; i++) {
    a[i] = (double)((i * 3) % 2000) - 1000.0;
    f[i] = (float)(i % 4096);
    k[i] = (int)(i % 1999) - 999;
  }
  in_place(a, n);
  printf("in place:     %016llx\n", (unsigned long long)fnv(a, n * sizeof *a));
  two_pointers(a, b, a + n - 7);
  printf("two pointers: %016llx\n", (unsigned long long)fnv(b, (n - 7) * sizeof *b));
  while_loop(f + 1, f + n);
  printf("while:        %016llx\n", (unsigned long long)fnv(f, n * sizeof *f));
  printf("pairs:        %ld %ld\n", pairs(k, k + n), pairs(k + 1, k + n));
  free(a);
  free(b);
  free(f);
  free(k);
  return 0;
}
