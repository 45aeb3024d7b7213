// 2-D row loops: the outer loop over rows is the parallel one, the inner loop
// over columns writes out[i*w+j]. A gain/offset correction and a 3x3 box blur
// (reads the rows above and below, writes only its own row).
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

PYDRON_SCHEDULE void correct(const float *in, const float *gain,
                             const float *offset, float *out, int h, int w) {
  // CHECK: rows_2d.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < h; i++)
    for (int j = 0; j < w; j++)
      out[i * w + j] = in[i * w + j] * gain[j] - offset[j] * (float)(i & 7);
}

/* Interior pixels only; the border keeps whatever out held. */
PYDRON_SCHEDULE void blur3(const float *in, float *out, long h, long w) {
  // CHECK: rows_2d.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 1; i < h - 1; i++) {
    for (long j = 1; j < w - 1; j++) {
      float s = 0.0f;
      for (long di = -1; di <= 1; di++)
        for (long dj = -1; dj <= 1; dj++)
          s += in[(i + di) * w + (j + dj)];
      out[i * w + j] = s / 9.0f;
    }
  }
}

int main(void) {
  const int h = 600, w = 700;
  float *in = malloc((size_t)h * w * sizeof *in);
  float *out = malloc((size_t)h * w * sizeof *out);
  float *out2 = malloc((size_t)h * w * sizeof *out2);
  float gain[700], offset[700];
  for (int j = 0; j < w; j++) {
    gain[j] = 1.0f + (float)(j % 13) / 64.0f;
    offset[j] = (float)(j % 5) * 0.375f;
  }
  uint32_t s = 7;
  for (long k = 0; k < (long)h * w; k++) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    in[k] = (float)(s % 4096) / 16.0f;
    out2[k] = -1.0f;
  }
  correct(in, gain, offset, out, h, w);
  printf("correct: %016llx out[0]=%a out[last]=%a\n",
         (unsigned long long)fnv(out, (size_t)h * w * sizeof *out),
         (double)out[0], (double)out[h * w - 1]);
  blur3(out, out2, h, w);
  printf("blur3:   %016llx out2[w+1]=%a out2[0]=%a\n",
         (unsigned long long)fnv(out2, (size_t)h * w * sizeof *out2),
         (double)out2[w + 1], (double)out2[0]);
  free(in);
  free(out);
  free(out2);
  return 0;
}
