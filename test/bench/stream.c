// Streaming triad a[i] = b[i]*s + c[i] over 10^7 doubles, repeated: the
// finest grain there is (a few cycles per iteration), limited by memory
// bandwidth. Plain pointers without restrict, as such code is usually
// written: Pydron checks at run time that a does not overlap b or c.
// BENCH-KIND: fine
// BENCH-EXPECT: parallel
#include "bench.h"
#include <pydron.h>

PYDRON_SCHEDULE void triad(double *a, const double *b, const double *c,
                           double s, long n) {
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; i++)
    a[i] = b[i] * s + c[i];
}

int main(int argc, char **argv) {
  int quick = bench_quick(argc, argv);
  const long n = quick ? 100000 : 10000000;
  const int passes = quick ? 3 : 30;
  double *a = bench_alloc(n * sizeof *a);
  double *b = bench_alloc(n * sizeof *b);
  double *c = bench_alloc(n * sizeof *c);
  for (long i = 0; i < n; i++) {
    a[i] = 0.0;
    b[i] = (double)(i % 1000) * 0.001;
    c[i] = (double)(i % 777) * 0.5;
  }
  double probe = 0.0;
  double t0 = bench_now();
  for (int p = 0; p < passes; p++) {
    /* Alternate the roles so every pass reads what the last one wrote. */
    if (p % 2 == 0)
      triad(a, b, c, 1.0 + 0.01 * p, n);
    else
      triad(b, a, c, 0.5 - 0.01 * p, n);
    probe += a[(p * 7919L) % n];
  }
  bench_report(bench_now() - t0);
  printf("stream %ld x %d: a %016llx b %016llx probe %a\n", n, passes,
         (unsigned long long)bench_hash(BENCH_HASH_INIT, a, n * sizeof *a),
         (unsigned long long)bench_hash(BENCH_HASH_INIT, b, n * sizeof *b), probe);
  free(a);
  free(b);
  free(c);
  return 0;
}
