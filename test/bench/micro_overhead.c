// Microbenchmarks of the cost of entering and leaving a parallel loop,
// built like the kernels (sequential, Pydron, OpenMP) and run by
// tools/pydron-bench --micro. Every case calls one schedule function many
// times and reports nanoseconds per call on stderr as
//   micro-ns: <case> <ns per call>
// stdout holds only checksums of the results, which every build must
// reproduce exactly.
//
//   declined  a loop of 2 cheap iterations: far too small to gain, so
//             Pydron's runtime declines it and the original loop runs
//             (the cost is the call into the runtime and its decision,
//             plus the occasional probe); OpenMP's `parallel for` always
//             forks and joins, so its figure is the cost of an empty
//             parallel loop
//   minimal   a loop of 2 iterations of about 20 us each: the smallest
//             loop the runtime accepts (it declines loops under about
//             20 us of work); ideal on 2 threads is one iteration's time,
//             and the rest is the cost of one parallel loop
//   chunks    2000 iterations of about 1 us: guided chunks in Pydron,
//             one iteration per dispatch with OpenMP schedule(dynamic,1),
//             and schedule(static) for comparison
//   work      one call of the spin routine of `minimal` (to subtract)
// BENCH-KIND: micro
// BENCH-EXPECT: parallel
#include "bench.h"
#include <pydron.h>

/* A dependent chain of multiply-adds: k steps of a few cycles each. */
PYDRON_FUNCTIONAL static double spin(double x, long k) {
  for (long j = 0; j < k; j++)
    x = x * 0.9999999 + 1e-7;
  return x;
}

PYDRON_SCHEDULE void tiny(double *a, long n, long k) {
#pragma omp parallel for
  for (long i = 0; i < n; i++)
    a[i] = spin((double)i, k);
}

PYDRON_SCHEDULE void minimal(double *a, long n, long k) {
#pragma omp parallel for schedule(dynamic)
  for (long i = 0; i < n; i++)
    a[i] = spin((double)i, k);
}

PYDRON_SCHEDULE void chunks_dynamic(double *a, long n, long k) {
#pragma omp parallel for schedule(dynamic, 1)
  for (long i = 0; i < n; i++)
    a[i] = spin((double)i, k);
}

PYDRON_SCHEDULE void chunks_static(double *a, long n, long k) {
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; i++)
    a[i] = spin((double)i, k);
}

typedef void (*loop_fn)(double *, long, long);

/* Calls f(a, n, k) `calls` times after `warm` untimed calls; returns ns per
 * call and folds the results into *h. */
static double per_call(loop_fn f, double *a, long n, long k, long warm,
                       long calls, uint64_t *h) {
  for (long c = 0; c < warm; c++)
    f(a, n, k);
  double t0 = bench_now();
  for (long c = 0; c < calls; c++)
    f(a, n, k);
  double ns = (bench_now() - t0) * 1e9 / (double)calls;
  *h = bench_hash(*h, a, n * sizeof *a);
  return ns;
}

int main(int argc, char **argv) {
  int quick = bench_quick(argc, argv);
  long scale = quick ? 20 : 1;
  static double a[2000];
  /* About 20 us and 1 us of spinning at a few ns per step. */
  const long k_minimal = 12000, k_chunk = 600;
  uint64_t h = BENCH_HASH_INIT;

  double t0 = bench_now();
  double w = 0.0;
  long wcalls = 2000 / scale;
  for (long c = 0; c < wcalls; c++)
    w += spin((double)c, k_minimal);
  fprintf(stderr, "micro-ns: work %.1f\n", (bench_now() - t0) * 1e9 / (double)wcalls);
  printf("work checksum %a\n", w);

  fprintf(stderr, "micro-ns: declined %.1f\n",
          per_call(tiny, a, 2, 1, 1000, 100000 / scale, &h));
  printf("declined %016llx\n", (unsigned long long)h);
  fprintf(stderr, "micro-ns: minimal %.1f\n",
          per_call(minimal, a, 2, k_minimal, 200, 4000 / scale, &h));
  printf("minimal %016llx\n", (unsigned long long)h);
  fprintf(stderr, "micro-ns: chunks-dynamic %.1f\n",
          per_call(chunks_dynamic, a, 2000, k_chunk, 5, 100 / scale, &h));
  printf("chunks-dynamic %016llx\n", (unsigned long long)h);
  fprintf(stderr, "micro-ns: chunks-static %.1f\n",
          per_call(chunks_static, a, 2000, k_chunk, 5, 100 / scale, &h));
  printf("chunks-static %016llx\n", (unsigned long long)h);
  return 0;
}
