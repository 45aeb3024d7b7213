// Black-Scholes: call and put prices of an array of option structs through
// a functional pricing routine with two output parameters, for several
// volatility scenarios. About 100 ns per option: fine-grained but not
// trivial.
// BENCH-KIND: fine
// BENCH-EXPECT: parallel
// BENCH-LIBS: -lm
#include "bench.h"
#include <math.h>
#include <pydron.h>

typedef struct {
  double spot, strike, rate, vol, years;
} option;

PYDRON_FUNCTIONAL static double cnd(double x) { return 0.5 * erfc(-x * M_SQRT1_2); }

PYDRON_FUNCTIONAL static void price(const option *o, double shock, double *call,
                                    double *put) {
  double vol = o->vol * shock;
  double sq = vol * sqrt(o->years);
  double d1 = (log(o->spot / o->strike) + (o->rate + 0.5 * vol * vol) * o->years) / sq;
  double d2 = d1 - sq;
  double disc = o->strike * exp(-o->rate * o->years);
  *call = o->spot * cnd(d1) - disc * cnd(d2);
  *put = disc * cnd(-d2) - o->spot * cnd(-d1);
}

PYDRON_SCHEDULE void price_all(const option *opts, double shock, double *calls,
                               double *puts, long n) {
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; i++)
    price(&opts[i], shock, &calls[i], &puts[i]);
}

int main(int argc, char **argv) {
  int quick = bench_quick(argc, argv);
  const long n = quick ? 5000 : 1000000;
  const int scenarios = quick ? 2 : 5;
  option *o = bench_alloc(n * sizeof *o);
  double *calls = bench_alloc(n * sizeof *calls);
  double *puts = bench_alloc(n * sizeof *puts);
  for (long i = 0; i < n; i++) {
    o[i].spot = 50.0 + (double)(i % 101);
    o[i].strike = 60.0 + (double)((i * 7) % 83);
    o[i].rate = 0.01 + (double)(i % 5) * 0.005;
    o[i].vol = 0.1 + (double)(i % 9) * 0.05;
    o[i].years = 0.25 + (double)(i % 12) * 0.25;
  }
  uint64_t h = BENCH_HASH_INIT;
  double seconds = 0.0;
  for (int k = 0; k < scenarios; k++) {
    double shock = 0.8 + 0.1 * k;
    double t0 = bench_now();
    price_all(o, shock, calls, puts, n);
    seconds += bench_now() - t0;
    h = bench_hash(h, calls, n * sizeof *calls);
    h = bench_hash(h, puts, n * sizeof *puts);
    printf("scenario %d: call[1]=%a put[%ld]=%a\n", k, calls[1], n - 1, puts[n - 1]);
  }
  bench_report(seconds);
  printf("blackscholes %ld options x %d: %016llx\n", n, scenarios, (unsigned long long)h);
  free(o);
  free(calls);
  free(puts);
  return 0;
}
