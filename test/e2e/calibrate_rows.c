// Rows passed to a functional callee with an output parameter, the design's
// own example: calibrate_row(raw + i*w, dark, out + i*w, w). The callee is
// defined in this file, so the plugin infers its footprint (reads raw[0..w),
// dark[0..w), writes out[0..w)).
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

/* Dark-frame subtraction, clamping and a gamma curve. */
PYDRON_FUNCTIONAL void calibrate_row(const float *raw, const float *dark,
                                     float *out, int w) {
  for (int j = 0; j < w; j++) {
    float v = raw[j] - dark[j];
    if (v < 0.0f)
      v = 0.0f;
    out[j] = powf(v / 4096.0f, 0.45f);
  }
}

PYDRON_SCHEDULE void calibration_pipeline(const float *raw, const float *dark,
                                          float *out, int rows, int w) {
  // CHECK: calibrate_rows.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < rows; i++)
    calibrate_row(raw + (long)i * w, dark, out + (long)i * w, w);
}

/* A second functional callee returning a value and writing two outputs:
 * per-row mean and maximum. */
PYDRON_FUNCTIONAL static int row_stats(const float *row, int w, float *mean,
                                       float *max) {
  float s = 0.0f, m = row[0];
  int above = 0;
  for (int j = 0; j < w; j++) {
    s += row[j];
    if (row[j] > m)
      m = row[j];
    above += row[j] > 0.5f;
  }
  *mean = s / (float)w;
  *max = m;
  return above;
}

PYDRON_SCHEDULE void all_row_stats(const float *img, int rows, int w,
                                   float *means, float *maxs, int *above) {
  // CHECK: calibrate_rows.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < rows; i++)
    above[i] = row_stats(img + (long)i * w, w, &means[i], &maxs[i]);
}

int main(void) {
  const int rows = 480, w = 640;
  float *raw = malloc((size_t)rows * w * sizeof *raw);
  float *out = malloc((size_t)rows * w * sizeof *out);
  float *dark = malloc(w * sizeof *dark);
  float *means = malloc(rows * sizeof *means), *maxs = malloc(rows * sizeof *maxs);
  int *above = malloc(rows * sizeof *above);
  for (int j = 0; j < w; j++)
    dark[j] = 100.0f + (float)(j % 17);
  uint32_t s = 99;
  for (long k = 0; k < (long)rows * w; k++) {
    s = s * 1664525u + 1013904223u;
    raw[k] = (float)(s >> 20);
  }
  calibration_pipeline(raw, dark, out, rows, w);
  printf("calibrated: %016llx out[0]=%a out[last]=%a\n",
         (unsigned long long)fnv(out, (size_t)rows * w * sizeof *out),
         (double)out[0], (double)out[rows * w - 1]);
  all_row_stats(out, rows, w, means, maxs, above);
  printf("means: %016llx maxs: %016llx above: %016llx above[0]=%d\n",
         (unsigned long long)fnv(means, rows * sizeof *means),
         (unsigned long long)fnv(maxs, rows * sizeof *maxs),
         (unsigned long long)fnv(above, rows * sizeof *above), above[0]);
  free(raw);
  free(out);
  free(dark);
  free(means);
  free(maxs);
  free(above);
  return 0;
}
