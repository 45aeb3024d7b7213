// Globals in parallel loops: a constant table read with a narrow index
// (coeff[i % 16]), a global array filled by main before the loop and read in
// it, a global scalar, and a global array written at index i (and read back
// by main).
// RUN: %e2e %s | FileCheck %s
#include <math.h>
#include <pydron.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N 250000

static uint64_t fnv(const void *p, size_t n) {
  const unsigned char *c = p;
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++)
    h = (h ^ c[i]) * 1099511628211ULL;
  return h;
}

static const double coeff[16] = {0.5,  -1.25, 2.0,  0.125, 3.5,  -0.75,
                                 1.0,  0.0625, -2.5, 4.0,  0.25, -0.5,
                                 1.75, -3.0,  0.375, 2.25};
double scale[1024];    /* filled by main, read by the loops */
double gain = 1.0;     /* set by main */
double result[N];      /* written by the loops at index i */
unsigned char lut[256]; /* filled by main */

PYDRON_FUNCTIONAL static double poly(double x, unsigned i) {
  return coeff[i % 16] * x * x + coeff[(i + 5) % 16] * x + scale[i % 1024];
}

PYDRON_SCHEDULE void fill_result(const double *in, unsigned n) {
  // CHECK: globals.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (unsigned i = 0; i < n; i++)
    result[i] = gain * poly(in[i], i);
}

PYDRON_SCHEDULE void update_result(long n) {
  // CHECK: globals.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    result[i] = sqrt(fabs(result[i])) + coeff[i & 15] * scale[(i * 7) & 1023];
}

PYDRON_SCHEDULE long lut_sum(const unsigned char *bytes, long n) {
  long s = 0;
  // CHECK: globals.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    s += lut[bytes[i]];
  return s;
}

int main(void) {
  double *in = malloc(N * sizeof *in);
  unsigned char *bytes = malloc(N);
  for (int i = 0; i < 1024; i++)
    scale[i] = (double)i / 1024.0;
  for (int i = 0; i < 256; i++)
    lut[i] = (unsigned char)((i * 167) ^ 0x5a);
  gain = 0.75;
  for (long i = 0; i < N; i++) {
    in[i] = (double)((i * 97) % 2003) / 100.0 - 10.0;
    bytes[i] = (unsigned char)(i * 31 + (i >> 8));
  }
  fill_result(in, N);
  printf("fill:   %016llx result[5]=%a\n",
         (unsigned long long)fnv(result, sizeof result), result[5]);
  update_result(N - 1);
  printf("update: %016llx result[N-1]=%a\n",
         (unsigned long long)fnv(result, sizeof result), result[N - 1]);
  printf("lut:    %ld\n", lut_sum(bytes, N));
  free(in);
  free(bytes);
  return 0;
}
