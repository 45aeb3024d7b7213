/* calibration.c - a detector calibration pipeline, written as ordinary
 * sequential C and parallelized by Pydron.
 *
 * A synthetic raw exposure of ROWS x WIDTH float pixels is made (step 0)
 * and corrected row by row (step 1): the dark frame is subtracted, the flat
 * field divided out, and the detector's non-linear response undone (log1p,
 * a small polynomial, sqrt, cbrt). Step 2 folds every row into two
 * statistics: how many pixels are saturated, and the brightest pixel. main
 * prints a checksum of the exact bits of the output, so a sequential and a
 * parallel build can be compared with cmp.
 *
 *   clang-19 -O2 -I runtime/include calibration.c -o calibration-seq -lm
 *   build/bin/pydron-cc -O2 calibration.c -o calibration -lm \
 *       -Rpass=pydron -Rpass-missed=pydron
 *
 * Usage: calibration [rows [width]]   (default 2000 x 4000)
 */
#include <pydron.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SATURATED 0.95f

/* A pseudo-random number from a pixel's position: the same for a given
 * seed and position, whichever thread computes it. */
static uint32_t hash32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

/* Simulates row y of a raw exposure: bias, a bright source in the middle of
 * the field and photon noise. Writes row[0..w). */
PYDRON_FUNCTIONAL void expose_row(float *row, int y, int rows, int w,
                                  uint32_t seed) {
  float fy = (float)y / rows - 0.5f;
  for (int j = 0; j < w; j++) {
    float x = (float)j / w - 0.5f;
    float source = 60000.0f / (1.0f + 400.0f * (x * x + fy * fy));
    uint32_t noise = hash32(seed ^ (uint32_t)((long)y * w + j)) >> 22;
    row[j] = 100.0f + source + (float)noise;
  }
}

/* Step 0: the synthetic input, one row per call. */
PYDRON_SCHEDULE void expose(float *raw, int rows, int w, uint32_t seed) {
  for (int i = 0; i < rows; i++)
    expose_row(raw + (long)i * w, i, rows, w, seed);
}

/* Corrects one row: dark subtraction, flat-field division and the
 * detector's response curve. Reads raw[0..w), dark[0..w), flat[0..w) and
 * writes out[0..w) - Pydron infers this footprint from the code. */
PYDRON_FUNCTIONAL void calibrate_row(const float *raw, const float *dark,
                                     const float *flat, float *out, int w) {
  for (int j = 0; j < w; j++) {
    double v = ((double)raw[j] - dark[j]) / flat[j];
    if (v < 0.0)
      v = 0.0;
    double l = log1p(v / 64.0);                          /* compress */
    double p = l * (1.0 + l * (-0.118 + l * 0.0213));    /* linearize */
    out[j] = (float)(sqrt(p / (1.0 + p)) * cbrt(1.0 + 0.01 * l));
  }
}

/* Step 1: every row is independent, so every call runs in parallel. */
PYDRON_SCHEDULE void calibrate_image(const float *raw, const float *dark,
                                     const float *flat, float *out, int rows,
                                     int w) {
  for (int i = 0; i < rows; i++)
    calibrate_row(raw + (long)i * w, dark, flat, out + (long)i * w, w);
}

/* How many pixels of a row are saturated. */
PYDRON_FUNCTIONAL int count_saturated(const float *row, int w) {
  int n = 0;
  for (int j = 0; j < w; j++)
    n += row[j] >= SATURATED;
  return n;
}

/* The brightest pixel of a row. */
PYDRON_FUNCTIONAL float row_peak(const float *row, int w) {
  float m = row[0];
  for (int j = 1; j < w; j++)
    if (row[j] > m)
      m = row[j];
  return m;
}

/* Step 2: two values carried from row to row. An integer sum and a
 * "keep the larger" select are exact, so each chunk of rows folds its own
 * partial and the runtime combines the partials in row order. */
PYDRON_SCHEDULE long image_statistics(const float *img, int rows, int w,
                                      float *peak) {
  long saturated = 0;
  float m = -INFINITY;
  for (int i = 0; i < rows; i++) {
    saturated += count_saturated(img + (long)i * w, w);
    float p = row_peak(img + (long)i * w, w);
    if (p > m)
      m = p;
  }
  *peak = m;
  return saturated;
}

/* FNV-1a over the 32-bit words of the output: one changed bit anywhere
 * changes the checksum. */
static uint64_t checksum(const float *data, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) {
    uint32_t bits;
    memcpy(&bits, &data[i], sizeof bits);
    h = (h ^ bits) * 1099511628211ULL;
  }
  return h;
}

int main(int argc, char **argv) {
  int rows = argc > 1 ? atoi(argv[1]) : 2000;
  int w = argc > 2 ? atoi(argv[2]) : 4000;
  if (rows < 1 || w < 1) {
    fprintf(stderr, "usage: %s [rows [width]]\n", argv[0]);
    return 2;
  }
  size_t n = (size_t)rows * w;
  float *raw = malloc(n * sizeof *raw), *out = malloc(n * sizeof *out);
  float *dark = malloc(w * sizeof *dark), *flat = malloc(w * sizeof *flat);
  if (!raw || !out || !dark || !flat) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }

  for (int j = 0; j < w; j++) {
    float x = (float)j / w - 0.5f;
    dark[j] = 95.0f + 10.0f * (float)(j % 7); /* fixed-pattern dark current */
    flat[j] = 1.0f - 0.4f * x * x;            /* vignetting */
  }

  expose(raw, rows, w, 12345u);
  calibrate_image(raw, dark, flat, out, rows, w);
  float peak;
  long saturated = image_statistics(out, rows, w, &peak);

  printf("image      %d x %d\n", rows, w);
  printf("checksum   %016llx\n",
         (unsigned long long)checksum(out, n));
  printf("saturated  %ld pixels\n", saturated);
  printf("peak       %a (%.6f)\n", (double)peak, (double)peak);
  free(raw);
  free(out);
  free(dark);
  free(flat);
  return 0;
}
