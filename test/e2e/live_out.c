// Values live after the loop: the final value of the index (unit and non-unit
// steps, bounds not divisible by the step), the value computed by the last
// iteration, and a pointer advanced by the loop.
// RUN: %e2e %s | FileCheck %s
// E2E-ARGS: 250001
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

PYDRON_FUNCTIONAL static double f(double x) { return sqrt(x) * log(x + 2.0); }

PYDRON_SCHEDULE long final_index(const double *in, double *out, long n) {
  long i;
  // CHECK: live_out.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (i = 0; i < n; i++)
    out[i] = f(in[i]);
  return i;
}

PYDRON_SCHEDULE int final_index_step3(const double *in, double *out, int n) {
  int k;
  // CHECK: live_out.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (k = 5; k < n; k += 3)
    out[k] = f(in[k]) + 1.0;
  return k;
}

PYDRON_SCHEDULE double last_value(const double *in, double *out, long n) {
  double last = -1.0;
  // CHECK: live_out.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++) {
    last = f(in[i] * 0.5);
    out[i] = last;
  }
  return last;
}

/* The last value and the final index, both used after the loop. */
PYDRON_SCHEDULE double both(const double *in, double *out, long n, long *end) {
  double v = 0.0;
  long i = 3;
  // CHECK: live_out.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (; i < n; i += 2) {
    v = f(in[i]) - in[i - 1];
    out[i] = v * 2.0;
  }
  *end = i;
  return v + (double)i;
}

PYDRON_SCHEDULE double *advance(double *p, const double *in, long n) {
  // CHECK: live_out.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++, p++)
    *p = f(in[i]) * 3.0;
  return p;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 250001;
  double *in = malloc(n * sizeof *in), *out = calloc(n, sizeof *out);
  for (long i = 0; i < n; i++)
    in[i] = (double)((i * 37) % 1009) + 0.25;
  printf("final index: %ld\n", final_index(in, out, n));
  printf("  %016llx\n", (unsigned long long)fnv(out, n * sizeof *out));
  printf("final index step 3: %d\n", final_index_step3(in, out, (int)n));
  printf("  %016llx\n", (unsigned long long)fnv(out, n * sizeof *out));
  printf("last value: %a\n", last_value(in, out, n));
  printf("  %016llx\n", (unsigned long long)fnv(out, n * sizeof *out));
  long end = 0;
  double r = both(in, out, n, &end);
  printf("both: %a end %ld\n", r, end);
  printf("  %016llx\n", (unsigned long long)fnv(out, n * sizeof *out));
  double *p = advance(out + 10, in, n - 20);
  printf("advance: p - out = %ld\n", (long)(p - out));
  printf("  %016llx\n", (unsigned long long)fnv(out, n * sizeof *out));
  free(in);
  free(out);
  return 0;
}
