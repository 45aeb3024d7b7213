// Loop bounds and indices of every integer type: char, signed char, unsigned
// char, short, int, long, unsigned, size_t, int64_t and uint16_t. The short
// loops (char) do expensive work per iteration; the bounds come from run-time
// arguments so the compiler cannot fold them. (Bounds are exclusive: with
// `c <= hi` a signed char loop never ends for hi == 127, so its trip count is
// not computable.)
// RUN: %e2e %s | FileCheck %s
// E2E-ARGS: 100 30000 200000
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

/* A few thousand operations: a truncated series. */
PYDRON_FUNCTIONAL static double series(int seed, int terms) {
  double s = 0.0, x = 1.0 / (1.0 + (seed & 1023));
  for (int k = 1; k <= terms; k++)
    s += sin(k * x) / k;
  return s;
}

PYDRON_SCHEDULE void by_char(double *out, char lo, char hi) {
  // CHECK: bound_types.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (char c = lo; c < hi; c++)
    out[c - lo] = series(c, 4000);
}

PYDRON_SCHEDULE void by_schar(double *out, signed char lo, signed char hi) {
  // CHECK: bound_types.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (signed char c = lo; c < hi; c++)
    out[c + 128] = series(c * 3, 3000);
}

PYDRON_SCHEDULE void by_uchar(float *out, unsigned char n) {
  // CHECK: bound_types.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (unsigned char c = 0; c < n; c++)
    out[c] = (float)series(c + 7, 3000);
}

PYDRON_SCHEDULE void by_short(double *out, short n) {
  // CHECK: bound_types.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (short s = 0; s < n; s++)
    out[s] = series(s, 20);
}

PYDRON_SCHEDULE void by_uint16(double *out, uint16_t n) {
  // CHECK: bound_types.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (uint16_t s = 1; s < n; s++)
    out[s] = series(s ^ 0x55, 10) - out[s];
}

PYDRON_SCHEDULE void by_int(double *out, const double *in, int n) {
  // CHECK: bound_types.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < n; i++)
    out[i] = in[i] * in[i] - 1.0 / (in[i] + 1.0);
}

PYDRON_SCHEDULE void by_long(double *out, const double *in, long lo, long hi) {
  // CHECK: bound_types.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = lo; i < hi; i++)
    out[i] = exp(-in[i] * 1e-5) + out[i];
}

PYDRON_SCHEDULE void by_unsigned(double *out, const double *in, unsigned n) {
  // CHECK: bound_types.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (unsigned u = 0; u < n; u++)
    out[u] = cbrt(in[u]) + (double)u;
}

PYDRON_SCHEDULE void by_size_t(double *out, const double *in, size_t n) {
  // CHECK: bound_types.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (size_t z = 0; z < n; z++)
    out[z] = hypot(in[z], (double)z);
}

PYDRON_SCHEDULE void by_int64(double *out, const double *in, int64_t lo,
                              int64_t hi) {
  // CHECK: bound_types.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int64_t k = lo; k < hi; k++)
    out[k - lo] = in[k - lo] / (double)(k * k + 1);
}

#define SHOW(what, p, bytes)                                                   \
  printf("%-9s %016llx\n", what, (unsigned long long)fnv(p, bytes))

int main(int argc, char **argv) {
  if (argc != 4)
    return 2;
  int small = atoi(argv[1]), mid = atoi(argv[2]);
  long big = atol(argv[3]);
  double *in = malloc(big * sizeof *in), *out = calloc(big, sizeof *out);
  float fo[256] = {0};
  for (long i = 0; i < big; i++)
    in[i] = (double)((i * 131) % 997) * 0.75 + 0.5;

  by_char(out, (char)(small - 90), (char)small);
  SHOW("char", out, 256 * sizeof *out);
  by_schar(out, (signed char)-small, (signed char)(small / 4));
  SHOW("schar", out, 256 * sizeof *out);
  by_uchar(fo, (unsigned char)(small + 150));
  SHOW("uchar", fo, sizeof fo);
  by_short(out, (short)mid);
  SHOW("short", out, mid * sizeof *out);
  by_uint16(out, (uint16_t)(mid + 1));
  SHOW("uint16", out, (mid + 2) * sizeof *out);
  by_int(out, in, (int)big);
  SHOW("int", out, big * sizeof *out);
  by_long(out, in, 3, big - 5);
  SHOW("long", out, big * sizeof *out);
  by_unsigned(out, in, (unsigned)big);
  SHOW("unsigned", out, big * sizeof *out);
  by_size_t(out, in, (size_t)big - 1);
  SHOW("size_t", out, big * sizeof *out);
  by_int64(out, in, -(int64_t)big / 2, (int64_t)big / 2);
  SHOW("int64_t", out, big * sizeof *out);
  free(in);
  free(out);
  return 0;
}
