// Integer min and max folds, written with a ternary and with an if, signed
// and unsigned, several in one loop. The values come from a functional
// callee and have many ties.
// RUN: %e2e %s | FileCheck %s
#include <limits.h>
#include <pydron.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

PYDRON_FUNCTIONAL static int value(int x) {
  unsigned h = (unsigned)x * 0x9e3779b1u;
  for (int k = 0; k < 6; k++)
    h = (h ^ (h >> 13)) * 0x5bd1e995u;
  return (int)(h % 200001u) - 100000;
}

PYDRON_SCHEDULE int min_ternary(const int *a, int n) {
  int m = INT_MAX;
  // CHECK: reduce_minmax.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < n; i++) {
    int v = value(a[i]);
    m = v < m ? v : m;
  }
  return m;
}

PYDRON_SCHEDULE int max_if(const int *a, int n) {
  int m = INT_MIN;
  // CHECK: reduce_minmax.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < n; i++) {
    int v = value(a[i] + 7);
    if (v > m)
      m = v;
  }
  return m;
}

PYDRON_SCHEDULE unsigned umax_ternary(const unsigned *a, long n) {
  unsigned m = 0;
  // CHECK: reduce_minmax.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    m = a[i] > m ? a[i] : m;
  return m;
}

PYDRON_SCHEDULE long min_long_if(const long *a, long n, long start) {
  long m = start;
  // CHECK: reduce_minmax.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++) {
    long v = a[i] * 3 - (long)value((int)i);
    if (v < m)
      m = v;
  }
  return m;
}

/* min, max and their sum in one loop. */
PYDRON_SCHEDULE void range_of(const int *a, int n, int *lo, int *hi,
                              long *sum) {
  int mn = INT_MAX, mx = INT_MIN;
  long s = 0;
  // CHECK: reduce_minmax.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < n; i++) {
    int v = value(a[i] ^ i);
    mn = mn < v ? mn : v;
    if (mx < v)
      mx = v;
    s += v;
  }
  *lo = mn;
  *hi = mx;
  *sum = s;
}

int main(void) {
  const int n = 300000;
  int *a = malloc(n * sizeof *a);
  unsigned *u = malloc(n * sizeof *u);
  long *l = malloc(n * sizeof *l);
  for (int i = 0; i < n; i++) {
    a[i] = i * 7 + 3;
    u[i] = ((unsigned)i * 2654435761u) >> 3;
    l[i] = (long)(i % 1000) * 1000 - 500000;
  }
  printf("min:  %d\n", min_ternary(a, n));
  printf("max:  %d\n", max_if(a, n));
  printf("umax: %u\n", umax_ternary(u, n));
  printf("lmin: %ld %ld\n", min_long_if(l, n, 0), min_long_if(l, n, -(1L << 40)));
  int lo, hi;
  long s;
  range_of(a, n, &lo, &hi, &s);
  printf("range: %d %d %ld\n", lo, hi, s);
  free(a);
  free(u);
  free(l);
  return 0;
}
