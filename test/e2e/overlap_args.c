// Arguments that overlap at run time: the same schedule function is called
// with disjoint arrays, with out == in + 1 (each iteration reads what the
// previous one wrote: the result cascades, so only the sequential order gives
// it), with out == in - 1 (each iteration reads what the next one
// overwrites), with out == in (in place) and with a partial overlap far
// away. The plugin guards the parallel path with a run-time check on the
// footprints and must fall back to the sequential loop when they overlap.
// RUN: %e2e %s | FileCheck %s
#include <math.h>
#include <pydron.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fnv(const void *p, size_t n) {
  const unsigned char *c = p;
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++)
    h = (h ^ c[i]) * 1099511628211ULL;
  return h;
}

PYDRON_FUNCTIONAL static double damp(double x, double a, double b) {
  return a * x + b + 1e-3 * sin(x);
}

PYDRON_SCHEDULE void affine(const double *in, double *out, long n, double a,
                            double b) {
  // CHECK: overlap_args.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    out[i] = damp(in[i], a, b);
}

/* The same with a float array and an int count, called with overlapping
 * rows of one image. */
PYDRON_SCHEDULE void shift_rows(const float *src, float *dst, int n) {
  // CHECK: overlap_args.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < n; i++)
    dst[i] = src[i] * 0.75f + 1.0f;
}

int main(void) {
  const long n = 300000;
  double *buf = malloc((n + 2) * sizeof *buf), *other = malloc(n * sizeof *other);
  float *img = malloc((n + 100) * sizeof *img);
#define RESET()                                                                \
  for (long i = 0; i < n + 2; i++)                                             \
  buf[i] = (double)(i % 1000) / 10.0
#define SHOW(what, p, bytes)                                                   \
  printf("%-22s %016llx\n", what, (unsigned long long)fnv(p, bytes))

  RESET();
  affine(buf, other, n, 0.5, 1.0);
  SHOW("disjoint", other, n * sizeof *other);
  affine(buf, buf + 1, n, 0.5, 1.0); /* out == in + 1 */
  SHOW("out == in + 1", buf, (n + 2) * sizeof *buf);
  printf("  buf[n]=%a\n", buf[n]);
  RESET();
  affine(buf + 1, buf, n, 0.5, 1.0); /* out == in - 1 */
  SHOW("out == in - 1", buf, (n + 2) * sizeof *buf);
  RESET();
  affine(buf, buf, n, 0.5, 1.0); /* in place */
  SHOW("in place", buf, (n + 2) * sizeof *buf);
  RESET();
  affine(buf, buf + n / 2, n / 2 + 2, 0.5, 1.0); /* overlap at the end */
  SHOW("out == in + n/2", buf, (n + 2) * sizeof *buf);
  RESET();
  affine(buf + 2, other, n, 0.25, -1.0); /* disjoint again */
  SHOW("disjoint again", other, n * sizeof *other);

  for (long i = 0; i < n + 100; i++)
    img[i] = (float)(i % 321);
  shift_rows(img, img + 3, (int)n);
  SHOW("float out == in + 3", img, (n + 100) * sizeof *img);
  shift_rows(img + 50, img, (int)n);
  SHOW("float out == in - 50", img, (n + 100) * sizeof *img);
  free(buf);
  free(other);
  free(img);
  return 0;
}
