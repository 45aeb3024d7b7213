// A histogram: the bin index of every sample is computed in a parallel loop;
// the counting loop hist[idx[i]]++ writes data-dependent addresses and must
// stay sequential, as must a scatter through an index array.
// RUN: %e2e %s | FileCheck %s
#include <math.h>
#include <pydron.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

PYDRON_FUNCTIONAL static int bin_of(double x, int bins) {
  double t = 0.5 * (1.0 + tanh(x));
  int b = (int)(t * bins);
  return b < 0 ? 0 : (b >= bins ? bins - 1 : b);
}

PYDRON_SCHEDULE void histogram(const double *x, int *idx, long n, int *hist,
                               int bins) {
  // CHECK: histogram.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    idx[i] = bin_of(x[i], bins);
  // CHECK: histogram.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop not parallelized
  for (long i = 0; i < n; i++)
    hist[idx[i]]++;
}

PYDRON_SCHEDULE void scatter_add(double *dst, const int *idx, const double *v,
                                 long n) {
  // CHECK: histogram.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop not parallelized
  for (long i = 0; i < n; i++)
    dst[idx[i]] += v[i];
}

int main(void) {
  const long n = 400000;
  const int bins = 64;
  double *x = malloc(n * sizeof *x);
  int *idx = malloc(n * sizeof *idx);
  int hist[64] = {0};
  double acc[64] = {0};
  for (long i = 0; i < n; i++)
    x[i] = sin((double)i * 0.37) * 2.0 + cos((double)i * 0.011);
  histogram(x, idx, n, hist, bins);
  for (int b = 0; b < bins; b++)
    printf("%d%c", hist[b], b % 16 == 15 ? '\n' : ' ');
  scatter_add(acc, idx, x, n);
  for (int b = 0; b < bins; b += 8)
    printf("acc[%d]=%a\n", b, acc[b]);
  free(x);
  free(idx);
  return 0;
}
