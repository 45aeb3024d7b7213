// Mandelbrot set by rows: the cost of a row depends on how much of it lies
// in the set (irregular; rows through the middle cost most). Escape counts
// and a smooth-colouring double per pixel.
// BENCH-KIND: irregular
// BENCH-EXPECT: parallel
// BENCH-LIBS: -lm
#include "bench.h"
#include <math.h>
#include <pydron.h>

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
#pragma omp parallel for schedule(dynamic)
  for (int y = 0; y < h; y++) {
    double ci = -1.2 + 2.4 * y / (h - 1);
    for (int x = 0; x < w; x++) {
      double cr = -2.1 + 3.0 * x / (w - 1);
      iters[y * w + x] = escape(cr, ci, max_iter, &smooth[y * w + x]);
    }
  }
}

int main(int argc, char **argv) {
  int quick = bench_quick(argc, argv);
  const int h = quick ? 800 : 900, w = quick ? 24 : 1200;
  const int max_iter = quick ? 100 : 1000;
  int *iters = bench_alloc((size_t)h * w * sizeof *iters);
  double *smooth = bench_alloc((size_t)h * w * sizeof *smooth);
  double t0 = bench_now();
  render(iters, smooth, h, w, max_iter);
  bench_report(bench_now() - t0);
  printf("mandelbrot %dx%d: iters %016llx smooth %016llx\n", h, w,
         (unsigned long long)bench_hash(BENCH_HASH_INIT, iters, (size_t)h * w * sizeof *iters),
         (unsigned long long)bench_hash(BENCH_HASH_INIT, smooth, (size_t)h * w * sizeof *smooth));
  int dy = h / 12 > 0 ? h / 12 : 1, dx = w / 60 > 0 ? w / 60 : 1;
  for (int y = 0; y < h; y += dy) {
    for (int x = 0; x < w; x += dx)
      putchar(" .:-=+*#%@"[iters[y * w + x] * 9 / max_iter]);
    putchar('\n');
  }
  free(iters);
  free(smooth);
  return 0;
}
