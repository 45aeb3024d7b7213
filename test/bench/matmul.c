// Dense matrix product C = A * B by rows (i-k-j order, the inner loop
// vectorizes); every row of C is an independent, equal piece of work.
// BENCH-KIND: coarse
// BENCH-EXPECT: parallel
#include "bench.h"
#include <pydron.h>

PYDRON_SCHEDULE void matmul(const double *A, const double *B, double *C, int n) {
#pragma omp parallel for schedule(dynamic)
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < n; j++)
      C[(long)i * n + j] = 0.0;
    for (int k = 0; k < n; k++) {
      double a = A[(long)i * n + k];
      for (int j = 0; j < n; j++)
        C[(long)i * n + j] += a * B[(long)k * n + j];
    }
  }
}

int main(int argc, char **argv) {
  int quick = bench_quick(argc, argv);
  const int n = quick ? 400 : 1000;
  size_t cells = (size_t)n * n;
  double *A = bench_alloc(cells * sizeof *A), *B = bench_alloc(cells * sizeof *B);
  double *C = bench_alloc(cells * sizeof *C);
  for (size_t k = 0; k < cells; k++) {
    A[k] = (double)((k * 7) % 19) * 0.125 - 1.0;
    B[k] = (double)((k * 13) % 23) * 0.0625 - 0.5;
  }
  double t0 = bench_now();
  matmul(A, B, C, n);
  bench_report(bench_now() - t0);
  printf("matmul %dx%d: %016llx C[0]=%a C[last]=%a\n", n, n,
         (unsigned long long)bench_hash(BENCH_HASH_INIT, C, cells * sizeof *C),
         C[0], C[cells - 1]);
  free(A);
  free(B);
  free(C);
  return 0;
}
