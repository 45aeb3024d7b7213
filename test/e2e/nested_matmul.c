// Nested loops with the outer loop parallel: a matrix product C = A * B
// (i-k-j order, the inner loops accumulate into row i of C), and an n-body
// style force sum whose inner loop is a double sum over all other bodies.
// RUN: %e2e %s | FileCheck %s
#include <math.h>
#include <pydron.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fnv(const void *p, size_t n) {
  const unsigned char *c = p;
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++)
    h = (h ^ c[i]) * 1099511628211ULL;
  return h;
}

PYDRON_SCHEDULE void matmul(const double *A, const double *B, double *C,
                            int n) {
  // CHECK: nested_matmul.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < n; j++)
      C[i * n + j] = 0.0;
    for (int k = 0; k < n; k++) {
      double a = A[i * n + k];
      for (int j = 0; j < n; j++)
        C[i * n + j] += a * B[k * n + j];
    }
  }
}

PYDRON_SCHEDULE void forces(const double *x, const double *y, const double *m,
                            double *fx, double *fy, long n) {
  // CHECK: nested_matmul.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++) {
    double sx = 0.0, sy = 0.0;
    for (long j = 0; j < n; j++) {
      if (j == i)
        continue;
      double dx = x[j] - x[i], dy = y[j] - y[i];
      double r2 = dx * dx + dy * dy + 1e-3;
      double inv = m[j] / (r2 * sqrt(r2));
      sx += dx * inv;
      sy += dy * inv;
    }
    fx[i] = sx * m[i];
    fy[i] = sy * m[i];
  }
}

int main(void) {
  const int n = 220;
  double *A = malloc(n * n * sizeof *A), *B = malloc(n * n * sizeof *B);
  double *C = malloc(n * n * sizeof *C);
  for (int k = 0; k < n * n; k++) {
    A[k] = (double)((k * 13) % 101) / 101.0 - 0.5;
    B[k] = (double)((k * 29) % 103) / 103.0 + 0.25;
  }
  matmul(A, B, C, n);
  printf("matmul: %016llx C[0]=%a C[last]=%a\n",
         (unsigned long long)fnv(C, n * n * sizeof *C), C[0], C[n * n - 1]);

  const long nb = 1500;
  double *x = malloc(nb * sizeof *x), *y = malloc(nb * sizeof *y);
  double *m = malloc(nb * sizeof *m), *fx = malloc(nb * sizeof *fx);
  double *fy = malloc(nb * sizeof *fy);
  for (long i = 0; i < nb; i++) {
    x[i] = cos((double)i * 0.7) * (double)(i % 37);
    y[i] = sin((double)i * 1.3) * (double)(i % 41);
    m[i] = 1.0 + (double)(i % 5);
  }
  forces(x, y, m, fx, fy, nb);
  printf("forces: %016llx %016llx fx[0]=%a\n",
         (unsigned long long)fnv(fx, nb * sizeof *fx),
         (unsigned long long)fnv(fy, nb * sizeof *fy), fx[0]);
  free(A);
  free(B);
  free(C);
  free(x);
  free(y);
  free(m);
  free(fx);
  free(fy);
  return 0;
}
