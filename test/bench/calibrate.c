// Calibration pipeline: every row of a stack of camera frames goes through
// a functional per-row routine with output parameters (dark-frame
// subtraction, flat-field gain, clamping, a gamma curve) - the design's own
// example. Coarse, even rows.
// BENCH-KIND: coarse
// BENCH-EXPECT: parallel
// BENCH-LIBS: -lm
#include "bench.h"
#include <math.h>
#include <pydron.h>

PYDRON_FUNCTIONAL void calibrate_row(const float *raw, const float *dark,
                                     const float *flat, float *out, int w) {
  for (int j = 0; j < w; j++) {
    float v = (raw[j] - dark[j]) * flat[j];
    if (v < 0.0f)
      v = 0.0f;
    out[j] = powf(v / 4096.0f, 0.45f);
  }
}

PYDRON_SCHEDULE void calibration_pipeline(const float *raw, const float *dark,
                                          const float *flat, float *out,
                                          int rows, int w) {
#pragma omp parallel for schedule(dynamic)
  for (int i = 0; i < rows; i++)
    calibrate_row(raw + (long)i * w, dark, flat, out + (long)i * w, w);
}

int main(int argc, char **argv) {
  int quick = bench_quick(argc, argv);
  const int w = quick ? 64 : 2048;
  const int rows = quick ? 1024 : 16384; /* 8 frames of 2048 rows */
  size_t npix = (size_t)rows * w;
  float *raw = bench_alloc(npix * sizeof *raw);
  float *out = bench_alloc(npix * sizeof *out);
  float *dark = bench_alloc(w * sizeof *dark);
  float *flat = bench_alloc(w * sizeof *flat);
  for (int j = 0; j < w; j++) {
    dark[j] = 100.0f + (float)(j % 17);
    flat[j] = 0.9f + 0.0002f * (float)(j % 997);
  }
  uint32_t s = 99;
  for (size_t k = 0; k < npix; k++) {
    s = s * 1664525u + 1013904223u;
    raw[k] = (float)(s >> 20);
  }
  double t0 = bench_now();
  calibration_pipeline(raw, dark, flat, out, rows, w);
  bench_report(bench_now() - t0);
  printf("calibrate %dx%d: %016llx out[0]=%a out[last]=%a\n", rows, w,
         (unsigned long long)bench_hash(BENCH_HASH_INIT, out, npix * sizeof *out),
         (double)out[0], (double)out[npix - 1]);
  free(raw);
  free(out);
  free(dark);
  free(flat);
  return 0;
}
