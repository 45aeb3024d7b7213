// Loops that run 0 and 1 times (and a few times), with trip counts from the
// command line so that the compiler cannot fold them: maps, a fold (returns
// its start value after 0 iterations), a live-out index, and an empty range
// with lo > hi. The same functions then run on a large array.
// RUN: %e2e %s | FileCheck %s
// E2E-ARGS: 0 1 3
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

PYDRON_FUNCTIONAL static double q(double x) { return x * x + cos(x); }

PYDRON_SCHEDULE void map(const double *in, double *out, long n) {
  // CHECK: trip_0_1.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    out[i] = q(in[i]);
}

PYDRON_SCHEDULE long sum(const long *a, int n, long start) {
  long s = start;
  // CHECK: trip_0_1.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < n; i++)
    s += a[i] * 3;
  return s;
}

PYDRON_SCHEDULE int range(const double *in, double *out, int lo, int hi) {
  int i;
  // CHECK: trip_0_1.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (i = lo; i < hi; i++)
    out[i] = q(in[i]) + 1.0;
  return i;
}

int main(int argc, char **argv) {
  if (argc != 4)
    return 2;
  int zero = atoi(argv[1]), one = atoi(argv[2]), three = atoi(argv[3]);
  const long n = 400000;
  double *in = malloc(n * sizeof *in), *out = malloc(n * sizeof *out);
  long *a = malloc(n * sizeof *a);
  for (long i = 0; i < n; i++) {
    in[i] = (double)(i % 4099) / 64.0;
    out[i] = -1.0;
    a[i] = i % 77;
  }
#define SHOW(what)                                                             \
  printf("%-14s %016llx out[0..3]=%a %a %a %a\n", what,                        \
         (unsigned long long)fnv(out, n * sizeof *out), out[0], out[1],        \
         out[2], out[3])
  map(in, out, zero);
  SHOW("map 0");
  map(in, out, one);
  SHOW("map 1");
  map(in + 1, out + 1, three);
  SHOW("map 3");
  map(in, out, argc - 4); /* 0 again, from argc */
  SHOW("map argc-4");
  map(in, out, n);
  SHOW("map n");
  printf("sum 0: %ld\n", sum(a, zero, 42));
  printf("sum 1: %ld\n", sum(a + 5, one, 42));
  printf("sum 3: %ld\n", sum(a + 5, three, 42));
  printf("sum n: %ld\n", sum(a, (int)n, 42));
  printf("range 0:      %d\n", range(in, out, 10, 10 + zero));
  printf("range lo>hi:  %d\n", range(in, out, 10, 10 - three));
  printf("range 1:      %d\n", range(in, out, 20, 20 + one));
  printf("range n:      %d\n", range(in, out, 0, (int)n));
  SHOW("after ranges");
  free(in);
  free(out);
  free(a);
  return 0;
}
