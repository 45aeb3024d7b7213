// The Mandelbrot set: an expensive, uneven amount of work per pixel (the
// runtime's chunking must cope), rows in parallel; the escape counts, a
// smooth-colouring double per pixel, and a small ASCII picture are printed.
// RUN: %e2e %s | FileCheck %s
#include <math.h>
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

PYDRON_FUNCTIONAL static int escape(double cr, double ci, int max_iter,
                                    double *smooth) {
  double zr = 0.0, zi = 0.0;
  int k = 0;
  while (k < max_iter && zr * zr + zi * zi <= 4.0) {
    double t = zr * zr - zi * zi + cr;
    zi = 2.0 * zr * zi + ci;
    zr = t;
    k++;
  }
  *smooth = k < max_iter ? k + 1 - log2(log(sqrt(zr * zr + zi * zi))) : 0.0;
  return k;
}

PYDRON_SCHEDULE void render(int *iters, double *smooth, int h, int w,
                            int max_iter) {
  // CHECK: mandelbrot.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int y = 0; y < h; y++) {
    double ci = -1.2 + 2.4 * y / (h - 1);
    for (int x = 0; x < w; x++) {
      double cr = -2.1 + 3.0 * x / (w - 1);
      iters[y * w + x] = escape(cr, ci, max_iter, &smooth[y * w + x]);
    }
  }
}

int main(void) {
  const int h = 240, w = 320, max_iter = 256;
  int *iters = malloc(h * w * sizeof *iters);
  double *smooth = malloc(h * w * sizeof *smooth);
  render(iters, smooth, h, w, max_iter);
  printf("iters:  %016llx\n", (unsigned long long)fnv(iters, h * w * sizeof *iters));
  printf("smooth: %016llx\n", (unsigned long long)fnv(smooth, h * w * sizeof *smooth));
  for (int y = 0; y < h; y += 20) {
    for (int x = 0; x < w; x += 5)
      putchar(" .:-=+*#%@"[iters[y * w + x] * 9 / max_iter]);
    putchar('\n');
  }
  free(iters);
  free(smooth);
  return 0;
}
