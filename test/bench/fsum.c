// A floating-point sum of pure calls, s += term(i) on doubles, without
// -ffast-math: the additions must stay in iteration order to keep the
// sequential result's bits. Pydron may run the calls in parallel and add
// in order (the in-order chain); OpenMP's reduction(+:s) re-associates the
// sum, so its last bits differ from the sequential result.
// BENCH-KIND: chain
// BENCH-EXPECT: parallel
// BENCH-REASSOC: openmp
// BENCH-LIBS: -lm
#include "bench.h"
#include <math.h>
#include <pydron.h>

PYDRON_FUNCTIONAL static double term(long i) {
  double x = (double)i * 1e-4;
  return exp(-x * 1e-3) * sin(x) / (1.0 + sqrt(x));
}

PYDRON_SCHEDULE double series(long n) {
  double s = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : s)
  for (long i = 0; i < n; i++)
    s += term(i);
  return s;
}

int main(int argc, char **argv) {
  int quick = bench_quick(argc, argv);
  const long n = quick ? 100000 : 30000000;
  double t0 = bench_now();
  double s = series(n);
  bench_report(bench_now() - t0);
  printf("fsum %ld terms: %a (%.17g)\n", n, s, s);
  return 0;
}
