// Private scratch memory: an array declared inside the loop body (a median
// of 9 filter sorts a window copied into it), a struct temporary, and a
// malloc/free pair inside one iteration. Each iteration's scratch is its own.
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

PYDRON_SCHEDULE void median9(const float *in, float *out, long n) {
  // CHECK: scratch_private.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 4; i < n - 4; i++) {
    float win[9];
    for (int k = 0; k < 9; k++)
      win[k] = in[i - 4 + k];
    for (int a = 1; a < 9; a++) { /* insertion sort */
      float v = win[a];
      int b = a - 1;
      while (b >= 0 && win[b] > v) {
        win[b + 1] = win[b];
        b--;
      }
      win[b + 1] = v;
    }
    out[i] = win[4];
  }
}

struct moments {
  double s1, s2, s3;
};

PYDRON_SCHEDULE void local_moments(const double *in, double *out, long n,
                                   int radius) {
  // CHECK: scratch_private.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = radius; i < n - radius; i++) {
    struct moments m;
    memset(&m, 0, sizeof m);
    for (int k = -radius; k <= radius; k++) {
      double v = in[i + k];
      m.s1 += v;
      m.s2 += v * v;
      m.s3 += v * v * v;
    }
    out[i] = m.s3 / (m.s2 + 1.0) - m.s1;
  }
}

PYDRON_SCHEDULE void heap_scratch(const double *in, double *out, long rows,
                                  int w) {
  // CHECK: scratch_private.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long r = 0; r < rows; r++) {
    double *tmp = malloc(w * sizeof *tmp);
    for (int j = 0; j < w; j++)
      tmp[j] = in[r * w + j] * (j + 1);
    double s = 0.0;
    for (int j = w - 1; j >= 0; j--)
      s = s * 0.5 + tmp[j];
    out[r] = s;
    free(tmp);
  }
}

int main(void) {
  const long n = 200000;
  float *f = malloc(n * sizeof *f), *fo = calloc(n, sizeof *fo);
  double *d = malloc(n * sizeof *d), *dout = calloc(n, sizeof *dout);
  uint32_t s = 5;
  for (long i = 0; i < n; i++) {
    s = s * 1103515245u + 12345u;
    f[i] = (float)(s >> 16) / 64.0f;
    d[i] = sin((double)i * 0.01) + (double)(s >> 28);
  }
  median9(f, fo, n);
  printf("median9: %016llx fo[4]=%a\n",
         (unsigned long long)fnv(fo, n * sizeof *fo), (double)fo[4]);
  local_moments(d, dout, n, 6);
  printf("moments: %016llx dout[6]=%a\n",
         (unsigned long long)fnv(dout, n * sizeof *dout), dout[6]);
  heap_scratch(d, dout, n / 200, 200);
  printf("heap:    %016llx dout[0]=%a\n",
         (unsigned long long)fnv(dout, n * sizeof *dout), dout[0]);
  free(f);
  free(fo);
  free(d);
  free(dout);
  return 0;
}
