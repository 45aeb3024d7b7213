// Parameter sweep: a damped, driven pendulum simulated for each of 32
// damping values, one long time integration per value (about 30 ms each
// at full size). Few iterations, each very expensive: the loop any
// parameter study has. The loop is parallel, but it has only 32
// iterations of ~30 instructions in its own body, so a runtime that judges
// the loop by its body alone (the callee's own loop is not counted) finds
// it too small to gain.
// BENCH-KIND: coarse-few
// BENCH-EXPECT: parallel
// BENCH-LIBS: -lm
#include "bench.h"
#include <math.h>
#include <pydron.h>

/* Semi-implicit Euler over `steps` steps of dt; the final angle and
 * angular velocity, and the largest angle reached. */
PYDRON_FUNCTIONAL static double simulate(double damping, long steps,
                                         double *theta_out, double *omega_out) {
  const double dt = 1e-3, drive = 1.15, freq = 2.0 / 3.0;
  double theta = 0.2, omega = 0.0, peak = 0.0;
  for (long k = 0; k < steps; k++) {
    double t = (double)k * dt;
    omega += dt * (-damping * omega - sin(theta) + drive * cos(freq * t));
    theta += dt * omega;
    if (fabs(theta) > peak)
      peak = fabs(theta);
  }
  *theta_out = theta;
  *omega_out = omega;
  return peak;
}

PYDRON_SCHEDULE void sweep(const double *damping, double *theta, double *omega,
                           double *peak, int n, long steps) {
#pragma omp parallel for schedule(dynamic)
  for (int i = 0; i < n; i++)
    peak[i] = simulate(damping[i], steps, &theta[i], &omega[i]);
}

int main(int argc, char **argv) {
  int quick = bench_quick(argc, argv);
  const int n = 32;
  const long steps = quick ? 20000 : 1000000;
  double damping[32], theta[32], omega[32], peak[32];
  for (int i = 0; i < n; i++)
    damping[i] = 0.05 + 0.01 * i;
  double t0 = bench_now();
  sweep(damping, theta, omega, peak, n, steps);
  bench_report(bench_now() - t0);
  for (int i = 0; i < n; i += 4)
    printf("damping %.2f: theta %a omega %a peak %a\n", damping[i], theta[i],
           omega[i], peak[i]);
  printf("sweep %d x %ld steps: %016llx\n", n, steps,
         (unsigned long long)bench_hash(bench_hash(bench_hash(BENCH_HASH_INIT, theta, sizeof theta),
                                                   omega, sizeof omega), peak, sizeof peak));
  return 0;
}
