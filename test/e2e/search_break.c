// Loops with a data-dependent early exit stay sequential: a linear search
// that breaks at the first match, a loop that returns from inside, and a
// validation loop that stops at the first bad element after writing the
// ones before it.
// RUN: %e2e %s | FileCheck %s
#include <math.h>
#include <pydron.h>
#include <stdio.h>
#include <stdlib.h>

PYDRON_FUNCTIONAL static double key(double x) { return floor(sqrt(x) * 8.0); }

PYDRON_SCHEDULE long find_first(const double *a, long n, double k) {
  long i;
  // CHECK: search_break.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop not parallelized
  for (i = 0; i < n; i++)
    if (key(a[i]) == k)
      break;
  return i;
}

PYDRON_SCHEDULE int contains(const int *a, int n, int v) {
  // CHECK: search_break.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop not parallelized
  for (int i = 0; i < n; i++)
    if (a[i] == v)
      return 1;
  return 0;
}

PYDRON_SCHEDULE long convert_until_bad(const double *in, double *out, long n) {
  long i;
  // CHECK: search_break.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop not parallelized
  for (i = 0; i < n; i++) {
    if (in[i] < 0.0)
      break;
    out[i] = sqrt(in[i]);
  }
  return i;
}

int main(void) {
  const long n = 300000;
  double *a = malloc(n * sizeof *a), *out = calloc(n, sizeof *out);
  int *v = malloc(n * sizeof *v);
  for (long i = 0; i < n; i++) {
    a[i] = (double)i;
    v[i] = (int)((i * 7919) % 1000003);
  }
  printf("first key 3000: %ld\n", find_first(a, n, 3000.0));
  printf("first key 1e9:  %ld\n", find_first(a, n, 1e9));
  printf("contains: %d %d\n", contains(v, (int)n, v[n - 2]), contains(v, (int)n, -5));
  a[n / 3 * 2] = -1.0;
  long stop = convert_until_bad(a, out, n);
  double s = 0;
  for (long i = 0; i < n; i++)
    s += out[i];
  printf("stopped at %ld, sum %a\n", stop, s);
  free(a);
  free(out);
  free(v);
  return 0;
}
