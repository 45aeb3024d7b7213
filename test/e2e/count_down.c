// Loops counting down: i-- to zero (signed), the unsigned `i-- > 0` idiom,
// a reversed index out[n - i], and a downward loop with a fold.
// RUN: %e2e %s | FileCheck %s
#include <math.h>
#include <pydron.h>
#include <stddef.h>
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

PYDRON_FUNCTIONAL static double g(double x) {
  return tanh(x * 0.001) + x * 1e-3;
}

PYDRON_SCHEDULE void down_signed(const double *in, double *out, long n) {
  // CHECK: count_down.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = n - 1; i >= 0; i--)
    out[i] = g(in[i]);
}

PYDRON_SCHEDULE void down_unsigned(const double *in, double *out, size_t n) {
  // CHECK: count_down.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (size_t i = n; i-- > 0;)
    out[i] = g(in[i]) * 2.0;
}

PYDRON_SCHEDULE void reverse(const double *in, double *out, int n) {
  // CHECK: count_down.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = n; i > 0; i--)
    out[n - i] = g(in[i - 1]);
}

PYDRON_SCHEDULE long down_sum(const int *a, int hi, int lo) {
  long s = 0;
  // CHECK: count_down.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = hi; i > lo; --i)
    s += (long)a[i] * (i & 15);
  return s;
}

int main(void) {
  const long n = 300000;
  double *in = malloc(n * sizeof *in), *out = calloc(n, sizeof *out);
  int *a = malloc(n * sizeof *a);
  for (long i = 0; i < n; i++) {
    in[i] = (double)((i * 7) % 5003) - 2500.0;
    a[i] = (int)((i * 2654435761u) % 100000);
  }
  down_signed(in, out, n);
  printf("down signed:   %016llx\n", (unsigned long long)fnv(out, n * sizeof *out));
  down_unsigned(in, out, n - 1);
  printf("down unsigned: %016llx\n", (unsigned long long)fnv(out, n * sizeof *out));
  reverse(in, out, (int)n);
  printf("reverse:       %016llx out[0]=%a\n",
         (unsigned long long)fnv(out, n * sizeof *out), out[0]);
  printf("down sum:      %ld\n", down_sum(a, (int)n - 1, 10));
  free(in);
  free(out);
  free(a);
  return 0;
}
