// Column writes: the outer (parallel) loop runs over columns j and writes
// out[i*w+j] for every row i, so the byte hulls of different iterations
// overlap although no element is written twice. A running sum down each
// column, and a transpose whose outer loop over input rows writes output
// columns.
// RUN: %e2e %s | FileCheck %s
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

PYDRON_SCHEDULE void column_cumsum(const double *in, double *out, long h,
                                   long w) {
  // CHECK: column_writes.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long j = 0; j < w; j++) {
    double acc = 0.0;
    for (long i = 0; i < h; i++) {
      acc += in[i * w + j];
      out[i * w + j] = acc;
    }
  }
}

PYDRON_SCHEDULE void transpose(const double *in, double *out, int h, int w) {
  // CHECK: column_writes.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < h; i++)
    for (int j = 0; j < w; j++)
      out[(long)j * h + i] = in[(long)i * w + j] * 0.5 + (double)j;
}

int main(void) {
  const long h = 500, w = 640;
  double *in = malloc(h * w * sizeof *in), *out = malloc(h * w * sizeof *out);
  double *t = malloc(h * w * sizeof *t);
  for (long k = 0; k < h * w; k++)
    in[k] = (double)((k * 2654435761u) % 1000) / 3.0;
  column_cumsum(in, out, h, w);
  printf("cumsum:    %016llx out[last]=%a out[w]=%a\n",
         (unsigned long long)fnv(out, h * w * sizeof *out), out[h * w - 1],
         out[w]);
  transpose(out, t, (int)h, (int)w);
  printf("transpose: %016llx t[1]=%a t[last]=%a\n",
         (unsigned long long)fnv(t, h * w * sizeof *t), t[1], t[h * w - 1]);
  free(in);
  free(out);
  free(t);
  return 0;
}
