// Floating-point sums without -ffast-math: the additions must happen in
// iteration order (the plugin may run the expensive independent part in
// parallel and apply the chain in order, or leave the loop alone: either
// verdict is fine, so none is checked). The terms are inexact, so any
// re-association changes the printed bits. Also a damped recurrence
// acc = acc * 0.9 + f(i), a float sum, and a Kahan-compensated sum.
// RUN: %e2e %s
#include <math.h>
#include <pydron.h>
#include <stdio.h>
#include <stdlib.h>

PYDRON_FUNCTIONAL static double term(double x) {
  return sin(x) / (x + 1.0) + sqrt(x) * 1e-3;
}

PYDRON_SCHEDULE double ordered_sum(const double *a, long n) {
  double s = 0.0;
  for (long i = 0; i < n; i++)
    s += term(a[i]);
  return s;
}

PYDRON_SCHEDULE double damped(long n) {
  double acc = 1.0;
  for (long i = 0; i < n; i++)
    acc = acc * 0.9 + term((double)i * 0.5);
  return acc;
}

PYDRON_SCHEDULE float float_sum(const float *a, int n) {
  float s = 0.0f;
  for (int i = 0; i < n; i++)
    s += a[i] * 1.1f;
  return s;
}

PYDRON_SCHEDULE double kahan(const double *a, long n) {
  double s = 0.0, c = 0.0;
  for (long i = 0; i < n; i++) {
    double y = term(a[i]) - c;
    double t = s + y;
    c = (t - s) - y;
    s = t;
  }
  return s;
}

int main(void) {
  const long n = 400000;
  double *a = malloc(n * sizeof *a);
  float *f = malloc(n * sizeof *f);
  for (long i = 0; i < n; i++) {
    a[i] = (double)i * 0.013;
    f[i] = 1.0f / (float)(i + 1) + (float)(i % 3);
  }
  printf("ordered sum: %a\n", ordered_sum(a, n));
  printf("damped:      %a\n", damped(n));
  printf("float sum:   %a\n", (double)float_sum(f, (int)n));
  printf("kahan:       %a\n", kahan(a, n));
  free(a);
  free(f);
  return 0;
}
