// Floating-point max/min folds written as selects: m = t > m ? t : m keeps
// the first of equal values, m = t >= m ? t : m the last. The data has NaN
// entries (never selected: the comparison is false), ties of +0.0 and -0.0
// (the sign shows which one won), and one run starts from a NaN (stays NaN).
// Printed with %a, so the sign of zero and NaN are visible.
// RUN: %e2e %s | FileCheck %s
#include <math.h>
#include <pydron.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

PYDRON_FUNCTIONAL static double shape(double x) {
  /* Keeps the sign of zero and NaN; small changes otherwise. */
  return x * (1.0 + 1e-9 * sin(x));
}

PYDRON_SCHEDULE double max_first(const double *a, long n, double start) {
  double m = start;
  // CHECK: reduce_fmax.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++) {
    double t = shape(a[i]);
    m = t > m ? t : m;
  }
  return m;
}

PYDRON_SCHEDULE double max_last(const double *a, long n, double start) {
  double m = start;
  // CHECK: reduce_fmax.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++) {
    double t = shape(a[i]);
    m = t >= m ? t : m;
  }
  return m;
}

PYDRON_SCHEDULE float min_first_float(const float *a, int n) {
  float m = INFINITY;
  // CHECK: reduce_fmax.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < n; i++)
    m = a[i] < m ? a[i] : m;
  return m;
}

PYDRON_SCHEDULE float max_first_float(const float *a, int n) {
  float m = -INFINITY;
  // CHECK: reduce_fmax.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (int i = 0; i < n; i++) {
    float t = a[i] * 2.0f;
    m = t > m ? t : m;
  }
  return m;
}

static void show(const char *what, double v) {
  printf("%-28s %a (signbit %d, nan %d)\n", what, v, signbit(v) != 0,
         isnan(v) != 0);
}

int main(void) {
  const long n = 500000;
  double *a = malloc(n * sizeof *a);
  float *f = malloc(n * sizeof *f);
  /* All negative except zeros of both signs; NaN every 1000th entry. */
  for (long i = 0; i < n; i++) {
    a[i] = -1.0 - (double)((i * 7919) % 10007) / 64.0;
    if (i % 1000 == 999)
      a[i] = NAN;
  }
  a[n / 5] = -0.0;
  a[n / 2] = 0.0;
  a[n / 2 + 1] = NAN;
  a[4 * n / 5] = -0.0;
  show("max first (-0,+0,-0):", max_first(a, n, -INFINITY));
  show("max last (-0,+0,-0):", max_last(a, n, -INFINITY));
  a[4 * n / 5] = 0.0;
  a[n / 5] = 0.0;
  a[n / 2] = -0.0;
  show("max first (+0,-0,+0):", max_first(a, n, -INFINITY));
  a[4 * n / 5] = -0.0;
  show("max last (+0,-0,-0):", max_last(a, n, -INFINITY));
  show("max from NaN:", max_first(a, n, NAN));
  show("max from +0:", max_first(a, n, 0.0));
  show("max last from +0:", max_last(a, n, 0.0));
  a[0] = NAN;
  a[n - 1] = 5.5;
  show("max, NaN first, 5.5 last:", max_first(a, n, -INFINITY));
  for (long i = 0; i < n; i++)
    a[i] = NAN;
  show("max all NaN:", max_first(a, n, -INFINITY));

  for (int i = 0; i < n; i++) {
    f[i] = 1.0f + (float)((i * 31) % 977) / 8.0f;
    if (i % 777 == 5)
      f[i] = NAN;
  }
  f[n / 3] = 0.0f;
  f[2 * n / 3] = -0.0f;
  show("float min (+0,-0):", min_first_float(f, (int)n));
  f[n / 3] = -0.0f;
  f[2 * n / 3] = 0.0f;
  show("float min (-0,+0):", min_first_float(f, (int)n));
  show("float max:", max_first_float(f, (int)n));
  free(a);
  free(f);
  return 0;
}
