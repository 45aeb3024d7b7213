// Loops that must stay sequential because an iteration reads memory the
// previous one wrote: a first-order filter a[i] = a[i-1] * k + b[i], a
// running maximum stored per element, and a 2-D recurrence along rows; next
// to them a map that is parallel. Results are identical in every build.
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

PYDRON_FUNCTIONAL static double excite(double x) { return sin(x) * exp(-x * 1e-4); }

PYDRON_SCHEDULE void filter(double *a, const double *b, long n, double k) {
  // CHECK: seq_recurrence.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    a[i] = excite(b[i]);
  // CHECK: seq_recurrence.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop not parallelized
  for (long i = 1; i < n; i++)
    a[i] = a[i - 1] * k + a[i];
}

PYDRON_SCHEDULE void prefix_sum(long *a, const long *b, int n) {
  a[0] = b[0];
  // CHECK: seq_recurrence.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop not parallelized
  for (int i = 1; i < n; i++)
    a[i] = a[i - 1] + b[i];
}

PYDRON_SCHEDULE void running_max(double *m, long n) {
  // CHECK: seq_recurrence.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop not parallelized
  for (long i = 1; i < n; i++)
    m[i] = m[i] > m[i - 1] ? m[i] : m[i - 1];
}

int main(void) {
  const long n = 300000;
  double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
  long *p = malloc(n * sizeof *p), *q = malloc(n * sizeof *q);
  for (long i = 0; i < n; i++) {
    b[i] = (double)(i % 1777) * 0.01;
    q[i] = (i * 7) % 1000 - 400;
  }
  filter(a, b, n, 0.9);
  printf("filter:      %016llx a[n-1]=%a\n",
         (unsigned long long)fnv(a, n * sizeof *a), a[n - 1]);
  prefix_sum(p, q, (int)n);
  printf("prefix sum:  %ld %016llx\n", p[n - 1],
         (unsigned long long)fnv(p, n * sizeof *p));
  running_max(b, n);
  printf("running max: %016llx\n", (unsigned long long)fnv(b, n * sizeof *b));
  free(a);
  free(b);
  free(p);
  free(q);
  return 0;
}
