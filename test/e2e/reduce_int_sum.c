// Folded integer sums: int, long, unsigned char (wraps around modulo 256),
// unsigned (wraps modulo 2^32) and a sum and a count folded in one loop. The
// per-element work is a functional call, the fold adds its results.
// RUN: %e2e %s | FileCheck %s
#include <pydron.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A cheap-but-not-free integer hash, in the spirit of a scoring function. */
PYDRON_FUNCTIONAL static int score(int x) {
  unsigned h = (unsigned)x;
  for (int k = 0; k < 8; k++)
    h = (h ^ (h >> 15)) * 0x2c1b3c6du;
  return (int)(h % 2001u) - 1000;
}

PYDRON_SCHEDULE int sum_int(const int *a, int n) {
  int s = 0;
  // CHECK: reduce_int_sum.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < n; i++)
    s += score(a[i]);
  return s;
}

PYDRON_SCHEDULE long sum_long(const long *a, long n) {
  long s = 1L << 40;
  // CHECK: reduce_int_sum.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    s += a[i] * (long)score((int)i);
  return s;
}

PYDRON_SCHEDULE unsigned char sum_bytes(const unsigned char *b, long n) {
  unsigned char s = 17;
  // CHECK: reduce_int_sum.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    s += b[i];
  return s;
}

PYDRON_SCHEDULE unsigned sum_wrap(const unsigned *a, long n) {
  unsigned s = 0xfffffff0u;
  // CHECK: reduce_int_sum.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    s += a[i] * 2654435761u;
  return s;
}

/* Two folds in one loop: a sum of scores and a count of positive ones. */
PYDRON_SCHEDULE long sum_and_count(const int *a, int n, int *positives) {
  long s = 0;
  int count = 0;
  // CHECK: reduce_int_sum.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < n; i++) {
    int v = score(a[i] ^ 0x5a5a);
    s += v;
    count += v > 0;
  }
  *positives = count;
  return s;
}

int main(void) {
  const int n = 400000;
  int *a = malloc(n * sizeof *a);
  long *l = malloc(n * sizeof *l);
  unsigned *u = malloc(n * sizeof *u);
  unsigned char *b = malloc(n);
  uint32_t s = 1;
  for (int i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    a[i] = (int)(s >> 1);
    l[i] = (long)(s >> 12) * 4097L;
    u[i] = s ^ (s >> 7);
    b[i] = (unsigned char)(s >> 24);
  }
  printf("int:   %d\n", sum_int(a, n));
  printf("long:  %ld\n", sum_long(l, n));
  printf("uchar: %u\n", (unsigned)sum_bytes(b, n));
  printf("uint:  %u\n", sum_wrap(u, n));
  int pos = -1;
  long t = sum_and_count(a, n, &pos);
  printf("sum+count: %ld %d\n", t, pos);
  free(a);
  free(l);
  free(u);
  free(b);
  return 0;
}
