// N-body forces: the acceleration of every body from all others (O(n^2),
// one functional call per body that writes three outputs), then a
// leapfrog step; several time steps. Coarse, even iterations.
// BENCH-KIND: coarse
// BENCH-EXPECT: parallel
// BENCH-LIBS: -lm
#include "bench.h"
#include <math.h>
#include <pydron.h>

/* The acceleration on the body at (px, py, pz) from the n bodies, with
 * Plummer softening. */
PYDRON_FUNCTIONAL static void accel_on(const double *x, const double *y,
                                       const double *z, const double *m, int n,
                                       double px, double py, double pz,
                                       double *ax, double *ay, double *az) {
  double sx = 0.0, sy = 0.0, sz = 0.0;
  for (int j = 0; j < n; j++) {
    double dx = x[j] - px, dy = y[j] - py, dz = z[j] - pz;
    double r2 = dx * dx + dy * dy + dz * dz + 1e-4;
    double inv = 1.0 / sqrt(r2);
    double f = m[j] * inv * inv * inv;
    sx += f * dx;
    sy += f * dy;
    sz += f * dz;
  }
  *ax = sx;
  *ay = sy;
  *az = sz;
}

PYDRON_SCHEDULE void forces(const double *x, const double *y, const double *z,
                            const double *m, double *ax, double *ay, double *az,
                            int n) {
#pragma omp parallel for schedule(dynamic)
  for (int i = 0; i < n; i++)
    accel_on(x, y, z, m, n, x[i], y[i], z[i], &ax[i], &ay[i], &az[i]);
}

/* Kick and drift: cheap, fine-grained. */
PYDRON_SCHEDULE void step(double *x, double *y, double *z, double *vx,
                          double *vy, double *vz, const double *ax,
                          const double *ay, const double *az, double dt, int n) {
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; i++) {
    vx[i] += dt * ax[i];
    vy[i] += dt * ay[i];
    vz[i] += dt * az[i];
    x[i] += dt * vx[i];
    y[i] += dt * vy[i];
    z[i] += dt * vz[i];
  }
}

int main(int argc, char **argv) {
  int quick = bench_quick(argc, argv);
  const int n = quick ? 1000 : 4000, steps = quick ? 2 : 8;
  double *v[10];
  for (int k = 0; k < 10; k++)
    v[k] = bench_alloc(n * sizeof(double));
  double *x = v[0], *y = v[1], *z = v[2], *vx = v[3], *vy = v[4], *vz = v[5];
  double *ax = v[6], *ay = v[7], *az = v[8], *m = v[9];
  uint64_t s = 12345;
  for (int i = 0; i < n; i++) {
    double r[4];
    for (int k = 0; k < 4; k++) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      r[k] = (double)(s >> 11) * 0x1.0p-53;
    }
    x[i] = r[0] * 2.0 - 1.0;
    y[i] = r[1] * 2.0 - 1.0;
    z[i] = r[2] * 0.2 - 0.1;
    m[i] = (0.5 + r[3]) / n;
    vx[i] = -y[i] * 0.3;
    vy[i] = x[i] * 0.3;
    vz[i] = 0.0;
  }
  double t0 = bench_now();
  for (int t = 0; t < steps; t++) {
    forces(x, y, z, m, ax, ay, az, n);
    step(x, y, z, vx, vy, vz, ax, ay, az, 1e-3, n);
  }
  bench_report(bench_now() - t0);
  uint64_t h = BENCH_HASH_INIT;
  for (int k = 0; k < 9; k++)
    h = bench_hash(h, v[k], n * sizeof(double));
  printf("nbody %d bodies x %d steps: %016llx x[0]=%a vz[last]=%a\n", n, steps,
         (unsigned long long)h, x[0], vz[n - 1]);
  for (int k = 0; k < 10; k++)
    free(v[k]);
  return 0;
}
