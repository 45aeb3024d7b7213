// In-order chains: carried values that cannot be folded run in parallel
// with their updates replayed in iteration order, so the result is the
// sequential program's to the last bit, also where the order visibly
// matters (1e16 + 1.0 + 1.0 ... differs from any regrouping).
// RUN: %e2e %s | FileCheck %s
#include <math.h>
#include <pydron.h>
#include <stdio.h>
#include <stdlib.h>

PYDRON_FUNCTIONAL static double term(long i) {
  double s = 0.0;
  for (int k = 0; k < 40; k++)
    s += sin(0.001 * (double)i + k);
  return s;
}

// 1e16 every 1000th iteration, 1.0 otherwise: adding 1.0 to 1e16 is lost
// in double, so any other grouping of the sum gives other bits.
PYDRON_FUNCTIONAL static double big_or_one(long i) {
  return i % 1000 == 0 ? 1e16 : 1.0 + term(i) * 1e-20;
}

PYDRON_SCHEDULE double ordered_sum(long n) {
  double s = 0.0;
  // CHECK: order.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'big_or_one'), 1 value applied in iteration order
  for (long i = 0; i < n; i++)
    s += big_or_one(i);
  return s;
}

PYDRON_SCHEDULE float float_product(long n) {
  float p = 1.0f;
  // CHECK: order.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'term'), 1 value applied in iteration order
  for (long i = 0; i < n; i++)
    p *= 1.0f + (float)term(i) * 1e-7f;
  return p;
}

PYDRON_SCHEDULE double smoothing(long n) {
  double acc = 1.0;
  // CHECK: order.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'term'), 1 value applied in iteration order
  for (long i = 0; i < n; i++)
    acc = acc * 0.9 + term(i);
  return acc;
}

PYDRON_SCHEDULE double two_values(long n, double *second) {
  double a = 0.0, b = 1.0;
  // CHECK: order.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'term'), 2 values applied in iteration order
  for (long i = 0; i < n; i++) {
    double t = term(i);
    a += t;
    b = b * 0.5 + t * a;
  }
  *second = b;
  return a;
}

PYDRON_SCHEDULE double count_and_sum(long n, long *positive) {
  double s = 0.0;
  long c = 0;
  // CHECK: order.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'term'), 1 folded value, 1 value applied in iteration order
  for (long i = 0; i < n; i++) {
    double t = term(i);
    s += t;
    c += t > 0.0;
  }
  *positive = c;
  return s;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 200000;
  double second;
  long positive;
  printf("ordered %a\n", ordered_sum(n));
  printf("product %a\n", (double)float_product(n / 4));
  printf("smoothing %a\n", smoothing(n / 4));
  double a = two_values(n / 4, &second);
  printf("two %a %a\n", a, second);
  double s = count_and_sum(n / 4, &positive);
  printf("count %a %ld\n", s, positive);
  return 0;
}
