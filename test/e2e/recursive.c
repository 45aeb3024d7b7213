// A schedule function that calls itself on the two halves of its array
// (outside its loop), then runs its own parallel loop over the whole range,
// and a recursive reduction. Every level's loop is the same source loop.
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

PYDRON_FUNCTIONAL static double level(double v, long n, int depth) {
  return v * 0.75 + log((double)n) * 0.01 + (double)depth * 1e-3 + sin(v);
}

/* Multi-scale smoothing: the halves first, then the whole range. */
PYDRON_SCHEDULE void multiscale(double *a, long n, int depth) {
  if (n >= 4096 && depth < 6) {
    multiscale(a, n / 2, depth + 1);
    multiscale(a + n / 2, n - n / 2, depth + 1);
  }
  // CHECK: recursive.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    a[i] = level(a[i], n, depth);
}

/* Sum of squares by recursive halving with a parallel leaf loop. */
PYDRON_SCHEDULE long rsum(const int *a, long n) {
  if (n > 50000)
    return rsum(a, n / 3) + rsum(a + n / 3, n - n / 3);
  long s = 0;
  // CHECK: recursive.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    s += (long)a[i] * a[i];
  return s;
}

int main(void) {
  const long n = 300001;
  double *a = malloc(n * sizeof *a);
  int *b = malloc(n * sizeof *b);
  for (long i = 0; i < n; i++) {
    a[i] = (double)(i % 517) / 100.0;
    b[i] = (int)(i % 2001) - 1000;
  }
  multiscale(a, n, 0);
  printf("multiscale: %016llx a[0]=%a a[n-1]=%a\n",
         (unsigned long long)fnv(a, n * sizeof *a), a[0], a[n - 1]);
  printf("rsum:       %ld\n", rsum(b, n));
  free(a);
  free(b);
  return 0;
}
