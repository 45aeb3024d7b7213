// Functional callees whose footprints are declared with PYDRON_READS /
// PYDRON_WRITES on a prototype; the definitions come later in the file. One
// names the parameters, one uses positions (#1, #2) and a product count
// (w * 3).
// RUN: %e2e %s | FileCheck %s
#include <pydron.h>
#include <math.h>
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

PYDRON_FUNCTIONAL void normalize_row(const float *in, float *out, int n)
    PYDRON_READS(in, float, n) PYDRON_WRITES(out, float, n);

PYDRON_FUNCTIONAL void rgb_to_gray(const unsigned char *rgb, float *gray, int w)
    PYDRON_READS(#1, unsigned char, w * 3) PYDRON_WRITES(#2, float, w);

PYDRON_SCHEDULE void normalize_rows(const float *in, float *out, int rows,
                                    int n) {
  // CHECK: declared_footprint.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < rows; i++)
    normalize_row(in + (long)i * n, out + (long)i * n, n);
}

PYDRON_SCHEDULE void image_to_gray(const unsigned char *rgb, float *gray,
                                   long h, int w) {
  // CHECK: declared_footprint.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < h; i++)
    rgb_to_gray(rgb + i * w * 3, gray + i * w, w);
}

int main(void) {
  const int rows = 400, n = 1000;
  float *in = malloc((size_t)rows * n * sizeof *in);
  float *out = malloc((size_t)rows * n * sizeof *out);
  unsigned char *rgb = malloc((size_t)rows * n * 3);
  uint32_t s = 2024;
  for (long k = 0; k < (long)rows * n; k++) {
    s = s * 1103515245u + 12345u;
    in[k] = (float)((s >> 9) % 10000) / 7.0f;
  }
  for (long k = 0; k < (long)rows * n * 3; k++) {
    s = s * 1103515245u + 12345u;
    rgb[k] = (unsigned char)(s >> 23);
  }
  normalize_rows(in, out, rows, n);
  printf("normalized: %016llx out[0]=%a out[last]=%a\n",
         (unsigned long long)fnv(out, (size_t)rows * n * sizeof *out),
         (double)out[0], (double)out[rows * n - 1]);
  image_to_gray(rgb, out, rows, n);
  printf("gray:       %016llx out[0]=%a out[last]=%a\n",
         (unsigned long long)fnv(out, (size_t)rows * n * sizeof *out),
         (double)out[0], (double)out[rows * n - 1]);
  free(in);
  free(out);
  free(rgb);
  return 0;
}

/* Scales a row to zero mean and unit variance. */
void normalize_row(const float *in, float *out, int n) {
  double s = 0.0, q = 0.0;
  for (int j = 0; j < n; j++) {
    s += in[j];
    q += (double)in[j] * in[j];
  }
  double mean = s / n, sd = sqrt(q / n - mean * mean);
  for (int j = 0; j < n; j++)
    out[j] = (float)((in[j] - mean) / (sd > 0.0 ? sd : 1.0));
}

void rgb_to_gray(const unsigned char *rgb, float *gray, int w) {
  for (int j = 0; j < w; j++)
    gray[j] = 0.299f * rgb[3 * j] + 0.587f * rgb[3 * j + 1] +
              0.114f * rgb[3 * j + 2];
}
