// Monte Carlo pricing of a barrier option: every path has its own seed (a
// functional counter-based RNG seeded by the path number), so paths are
// independent and the result does not depend on how they are split. The
// payoffs are summed in integer micro-units (an exact, associative
// reduction).
// BENCH-KIND: coarse
// BENCH-EXPECT: parallel
// BENCH-LIBS: -lm
#include "bench.h"
#include <math.h>
#include <pydron.h>

PYDRON_FUNCTIONAL static uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/* One path of a geometric Brownian motion with `steps` steps (Box-Muller
 * normals from a counter-based generator); the payoff of an up-and-out
 * call in micro-units. */
PYDRON_FUNCTIONAL static long long path_payoff(long path, int steps) {
  const double s0 = 100.0, strike = 100.0, barrier = 150.0;
  const double dt = 1.0 / 64, drift = (0.03 - 0.5 * 0.2 * 0.2) * dt;
  const double vol = 0.2 * 0.125; /* sigma * sqrt(dt) */
  uint64_t key = splitmix((uint64_t)path * 0x2545f4914f6cdd1dULL + 7);
  double s = s0;
  for (int k = 0; k < steps; k += 2) {
    uint64_t a = splitmix(key + (uint64_t)k), b = splitmix(key + (uint64_t)k + 1);
    double u1 = ((double)(a >> 11) + 0.5) * 0x1.0p-53;
    double u2 = (double)(b >> 11) * 0x1.0p-53;
    double r = sqrt(-2.0 * log(u1)), t = 6.283185307179586 * u2;
    s *= exp(drift + vol * r * cos(t));
    if (s >= barrier)
      return 0;
    s *= exp(drift + vol * r * sin(t));
    if (s >= barrier)
      return 0;
  }
  return s > strike ? llround((s - strike) * 1e6) : 0;
}

PYDRON_SCHEDULE long long total_payoff(long paths, int steps) {
  long long total = 0;
#pragma omp parallel for schedule(dynamic, 64) reduction(+ : total)
  for (long i = 0; i < paths; i++)
    total += path_payoff(i, steps);
  return total;
}

int main(int argc, char **argv) {
  int quick = bench_quick(argc, argv);
  const long paths = quick ? 4000 : 350000;
  const int steps = 64;
  double t0 = bench_now();
  long long total = total_payoff(paths, steps);
  bench_report(bench_now() - t0);
  printf("montecarlo %ld paths x %d steps: total %lld, price %a\n", paths,
         steps, total, (double)total * 1e-6 / (double)paths * exp(-0.03));
  return 0;
}
