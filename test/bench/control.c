// Control: a loop-carried dependence. Each element is computed from the
// one before it (a chaotic map through a functional routine), so no
// iteration can start before the previous one ends. Every variant must
// stay at 1.0x; nobody would write an OpenMP pragma here, so there is
// none, and the OpenMP build is the sequential program.
// BENCH-KIND: control
// BENCH-EXPECT: sequential
// BENCH-LIBS: -lm
#include "bench.h"
#include <math.h>
#include <pydron.h>

PYDRON_FUNCTIONAL static double next(double prev, long i) {
  double v = 3.9 * prev * (1.0 - prev);
  return 0.999 * v + 0.0005 * (1.0 + sin((double)i * 1e-3));
}

PYDRON_SCHEDULE void trajectory(double *x, long n) {
  for (long i = 1; i < n; i++)
    x[i] = next(x[i - 1], i);
}

int main(int argc, char **argv) {
  int quick = bench_quick(argc, argv);
  const long n = quick ? 100000 : 25000000;
  double *x = bench_alloc(n * sizeof *x);
  x[0] = 0.3;
  double t0 = bench_now();
  trajectory(x, n);
  bench_report(bench_now() - t0);
  printf("control %ld steps: %016llx x[last]=%a\n", n,
         (unsigned long long)bench_hash(BENCH_HASH_INIT, x, n * sizeof *x), x[n - 1]);
  free(x);
  return 0;
}
