// A double sum compiled with -ffast-math: the plugin may re-associate it
// (a fixed fold tree), so the data is chosen to make every partial sum exact
// (multiples of 1/8 far below 2^53): any order gives the same bits, and a
// lost or doubled chunk shows. An inexact sum (harmonic numbers) is checked
// against its known value with a tolerance, and a product of exact powers of
// two is folded too.
// RUN: %e2e %s | FileCheck %s
// E2E-FLAGS: -ffast-math
#include <math.h>
#include <pydron.h>
#include <stdio.h>
#include <stdlib.h>

PYDRON_FUNCTIONAL static double eighths(long i) {
  return (double)((i * 7919) % 4001 - 2000) * 0.125;
}

PYDRON_SCHEDULE double exact_sum(long n) {
  double s = 0.0;
  // CHECK: fastmath_sum.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    s += eighths(i);
  return s;
}

PYDRON_SCHEDULE double harmonic(const double *a, long n) {
  double s = 0.0;
  // CHECK: fastmath_sum.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    s += 1.0 / a[i];
  return s;
}

PYDRON_SCHEDULE double power_product(const int *e, int n) {
  double p = 1.0;
  // CHECK: fastmath_sum.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < n; i++)
    p *= ldexp(1.0, e[i]);
  return p;
}

int main(void) {
  const long n = 1000000;
  double *a = malloc(n * sizeof *a);
  int *e = malloc(n * sizeof *e);
  for (long i = 0; i < n; i++) {
    a[i] = (double)(i + 1);
    e[i] = (int)(i % 7) - 3; /* sums to a small exponent */
  }
  printf("exact sum: %a\n", exact_sum(n));
  double h = harmonic(a, n);
  /* H(10^6) = 14.392726722865723631... */
  printf("harmonic:  %s\n", fabs(h - 14.392726722865723) < 1e-9 ? "ok" : "WRONG");
  printf("product:   %a\n", power_product(e, (int)n));
  free(a);
  free(e);
  return 0;
}
