// A program that also uses OpenMP: omp parallel for loops in ordinary
// functions (no Pydron verdicts there) before and after a Pydron loop; the
// OpenMP loops write one element per iteration or use an integer reduction,
// so their results do not depend on the schedule.
// RUN: %e2e %s | FileCheck %s
// E2E-FLAGS: -fopenmp
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

static void omp_fill(double *a, long n) {
  // CHECK-NOT: openmp_mix.c:[[@LINE+2]]:{{[0-9]+}}: remark: loop
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; i++)
    a[i] = sin((double)i * 0.001) * 100.0;
}

static long omp_count(const double *a, long n, double thr) {
  long c = 0;
  // CHECK-NOT: openmp_mix.c:[[@LINE+2]]:{{[0-9]+}}: remark: loop
#pragma omp parallel for reduction(+ : c)
  for (long i = 0; i < n; i++)
    c += a[i] > thr;
  return c;
}

PYDRON_FUNCTIONAL static double squash(double x) { return x / (1.0 + fabs(x)); }

PYDRON_SCHEDULE void squash_all(const double *in, double *out, long n) {
  // CHECK: openmp_mix.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    out[i] = squash(in[i]) * 2.0;
}

int main(void) {
  const long n = 400000;
  double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
  omp_fill(a, n);
  printf("omp fill:  %016llx\n", (unsigned long long)fnv(a, n * sizeof *a));
  squash_all(a, b, n);
  printf("squashed:  %016llx\n", (unsigned long long)fnv(b, n * sizeof *b));
  printf("omp count: %ld\n", omp_count(b, n, 0.5));
  omp_fill(a, n / 2);
  squash_all(a, b, n);
  printf("again:     %016llx %ld\n", (unsigned long long)fnv(b, n * sizeof *b),
         omp_count(b, n, -0.25));
  free(a);
  free(b);
  return 0;
}
