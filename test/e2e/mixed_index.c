// Mixed integer types in index expressions: an int index with a long bound,
// an unsigned index plus a long offset, a short stride times an int index,
// and an int64_t bound with a size_t-scaled access.
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

PYDRON_FUNCTIONAL static double v(double x) { return x * 0.5 + cos(x); }

PYDRON_SCHEDULE void int_index_long_bound(const double *in, double *out,
                                          long n) {
  // CHECK: mixed_index.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < n; i++)
    out[i] = v(in[i]);
}

PYDRON_SCHEDULE void unsigned_plus_offset(const double *in, double *out,
                                          unsigned n, long off) {
  // CHECK: mixed_index.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (unsigned i = 0; i < n; i++)
    out[i + off] = v(in[i + off - 1]);
}

PYDRON_SCHEDULE void short_stride(const float *in, float *out, int n,
                                  short stride) {
  // CHECK: mixed_index.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < n; i++)
    out[(long)i * stride] = in[i] * 2.0f + 1.0f;
}

PYDRON_SCHEDULE void int64_bound(const double *in, double *out, int64_t n,
                                 size_t w) {
  // CHECK: mixed_index.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    out[(size_t)i * w] = v(in[(size_t)i * w + 1]);
}

int main(void) {
  const long n = 250000;
  double *in = malloc(4 * n * sizeof *in), *out = calloc(4 * n, sizeof *out);
  float *fi = malloc(n * sizeof *fi), *fo = calloc(3 * n, sizeof *fo);
  for (long i = 0; i < 4 * n; i++)
    in[i] = (double)((i * 11) % 4001) * 0.01;
  for (long i = 0; i < n; i++)
    fi[i] = (float)(i % 333);
#define SHOW(what, p, bytes)                                                   \
  printf("%-22s %016llx\n", what, (unsigned long long)fnv(p, bytes))
  int_index_long_bound(in, out, n);
  SHOW("int index, long bound", out, 4 * n * sizeof *out);
  unsigned_plus_offset(in, out, (unsigned)n, 1000);
  SHOW("unsigned + long off", out, 4 * n * sizeof *out);
  short_stride(fi, fo, (int)n, 3);
  SHOW("short stride", fo, 3 * n * sizeof *fo);
  int64_bound(in, out, n, 3);
  SHOW("int64 bound", out, 4 * n * sizeof *out);
  free(in);
  free(out);
  free(fi);
  free(fo);
  return 0;
}
