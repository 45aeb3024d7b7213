// Jacobi relaxation of the 2-D heat equation on an n x n grid: each sweep
// computes every interior point from its four neighbours in the previous
// grid; the rows of a sweep are independent (about 1 us each).
// BENCH-KIND: fine
// BENCH-EXPECT: parallel
#include "bench.h"
#include <pydron.h>

PYDRON_SCHEDULE void sweep(const double *in, double *out, int n) {
#pragma omp parallel for schedule(static)
  for (int i = 1; i < n - 1; i++)
    for (int j = 1; j < n - 1; j++)
      out[(long)i * n + j] =
          0.25 * (in[(long)(i - 1) * n + j] + in[(long)(i + 1) * n + j] +
                  in[(long)i * n + j - 1] + in[(long)i * n + j + 1]);
}

int main(int argc, char **argv) {
  int quick = bench_quick(argc, argv);
  const int n = quick ? 1024 : 2048, sweeps = quick ? 2 : 80;
  size_t cells = (size_t)n * n;
  double *a = bench_alloc(cells * sizeof *a), *b = bench_alloc(cells * sizeof *b);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double v = (i == 0 || j == 0) ? 100.0 : (i == n - 1 || j == n - 1) ? -20.0
                                                                        : (double)((i * 31 + j * 17) % 13);
      a[(size_t)i * n + j] = v;
      b[(size_t)i * n + j] = v;
    }
  double t0 = bench_now();
  for (int s = 0; s < sweeps; s++) {
    sweep(a, b, n);
    double *t = a;
    a = b;
    b = t;
  }
  bench_report(bench_now() - t0);
  printf("stencil %dx%d x %d: %016llx centre=%a\n", n, n, sweeps,
         (unsigned long long)bench_hash(BENCH_HASH_INIT, a, cells * sizeof *a),
         a[(size_t)(n / 2) * n + n / 2]);
  free(a);
  free(b);
  return 0;
}
