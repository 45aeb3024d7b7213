// A 1-D heat equation: the time loop carries the grids from one step to the
// next (the two pointers are swapped) and must stay sequential; the space
// loop inside it reads the old grid around i and writes the new one at i and
// is parallel.
// RUN: %e2e %s | FileCheck %s
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

PYDRON_SCHEDULE double *diffuse(double *cur, double *next, long n, int steps,
                                double k) {
  // CHECK: heat_stencil.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop not parallelized
  for (int t = 0; t < steps; t++) {
    // CHECK: heat_stencil.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
    for (long i = 1; i < n - 1; i++)
      next[i] = cur[i] + k * (cur[i - 1] - 2.0 * cur[i] + cur[i + 1]);
    next[0] = cur[0];
    next[n - 1] = cur[n - 1];
    double *tmp = cur;
    cur = next;
    next = tmp;
  }
  return cur;
}

int main(void) {
  const long n = 200000;
  double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
  for (long i = 0; i < n; i++)
    a[i] = (i / 1000) % 2 ? 100.0 : (double)(i % 7);
  double *r = diffuse(a, b, n, 60, 0.25);
  printf("after 60 steps: %016llx r[1]=%a r[n/2]=%a (%s)\n",
         (unsigned long long)fnv(r, n * sizeof *r), r[1], r[n / 2],
         r == a ? "a" : "b");
  free(a);
  free(b);
  return 0;
}
