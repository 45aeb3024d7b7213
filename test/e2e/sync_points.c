// Sync points keep a loop sequential: printf in the loop body, a call to a
// function that is not functional (it updates a global counter), and a
// volatile store; the output must keep its order. A pure loop next to them
// is parallel.
// RUN: %e2e %s | FileCheck %s
#include <math.h>
#include <pydron.h>
#include <stdio.h>
#include <stdlib.h>

long calls;
volatile double sink;

static __attribute__((noinline)) double counted(double x) {
  calls++;
  return x * 2.0;
}

PYDRON_FUNCTIONAL static double f(double x) { return sqrt(x) + sin(x); }

PYDRON_SCHEDULE void report(const double *a, long n, long every) {
  // CHECK: sync_points.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop not parallelized
  for (long i = 0; i < n; i++)
    if (i % every == 0)
      printf("a[%ld] = %a\n", i, f(a[i]));
}

PYDRON_SCHEDULE void count_calls(double *a, long n) {
  // CHECK: sync_points.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop not parallelized
  for (long i = 0; i < n; i++)
    a[i] = counted(a[i]);
}

PYDRON_SCHEDULE void to_volatile(const double *a, long n) {
  // CHECK: sync_points.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop not parallelized
  for (long i = 0; i < n; i++)
    sink = f(a[i]);
}

PYDRON_SCHEDULE void pure(const double *a, double *b, long n) {
  // CHECK: sync_points.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    b[i] = f(a[i]);
}

int main(void) {
  const long n = 200000;
  double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
  for (long i = 0; i < n; i++)
    a[i] = (double)(i % 991);
  report(a, n, 9973);
  count_calls(a, n);
  printf("calls = %ld, a[n-1] = %a\n", calls, a[n - 1]);
  to_volatile(a, n);
  printf("sink = %a\n", sink);
  pure(a, b, n);
  double s = 0;
  for (long i = 0; i < n; i++)
    s += b[i];
  printf("pure: %a\n", s);
  free(a);
  free(b);
  return 0;
}
