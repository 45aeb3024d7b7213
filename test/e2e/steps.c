// Non-unit steps: i += 3, i -= 2, i += 5 from an odd start, i += 4 with <=,
// and a large step with expensive iterations; the trip counts are not
// divisible by the steps. Untouched elements keep their values, so an
// iteration too many or too few shows in the checksum.
// RUN: %e2e %s | FileCheck %s
// E2E-ARGS: 300001
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

PYDRON_FUNCTIONAL static double h(double x, long i) {
  return sin(x) * (double)(i % 11) + sqrt(x + 1.0);
}

PYDRON_SCHEDULE void step3(const double *in, double *out, long n) {
  // CHECK: steps.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i += 3)
    out[i] = h(in[i], i);
}

PYDRON_SCHEDULE void step_minus2(const double *in, double *out, int n) {
  // CHECK: steps.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = n - 1; i >= 0; i -= 2)
    out[i] = h(in[i], i) + 1.0;
}

PYDRON_SCHEDULE void step5_odd_start(const double *in, double *out, long n) {
  // CHECK: steps.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 7; i < n; i += 5)
    out[i - 1] = h(in[i], i) * 0.5;
}

PYDRON_SCHEDULE void step4_inclusive(const double *in, double *out, long last) {
  // CHECK: steps.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 1; i <= last; i += 4)
    out[i] = -h(in[i], i);
}

PYDRON_FUNCTIONAL static double heavy(const double *row, int len) {
  double s = 0.0;
  for (int k = 0; k < len; k++)
    s += cos(row[k] * (k + 1));
  return s;
}

PYDRON_SCHEDULE void big_step(const double *in, double *out, long n) {
  // CHECK: steps.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i + 1000 <= n; i += 1000)
    out[i + 1] = heavy(in + i, 1000);
}

PYDRON_SCHEDULE long step_sum(const int *a, long n) {
  long s = 0;
  // CHECK: steps.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 2; i < n; i += 7)
    s += a[i];
  return s;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 300001;
  double *in = malloc(n * sizeof *in), *out = malloc(n * sizeof *out);
  int *a = malloc(n * sizeof *a);
  for (long i = 0; i < n; i++) {
    in[i] = (double)((i * 17) % 1013) * 0.125;
    out[i] = (double)-i;
    a[i] = (int)(i % 1000) - 500;
  }
#define SHOW(what) \
  printf("%-16s %016llx\n", what, (unsigned long long)fnv(out, n * sizeof *out))
  step3(in, out, n);
  SHOW("+3");
  step_minus2(in, out, (int)n);
  SHOW("-2");
  step5_odd_start(in, out, n);
  SHOW("+5 from 7");
  step4_inclusive(in, out, n - 3);
  SHOW("+4 to n-3");
  big_step(in, out, n);
  SHOW("+1000");
  printf("%-16s %ld\n", "sum +7", step_sum(a, n));
  free(in);
  free(out);
  free(a);
  return 0;
}
