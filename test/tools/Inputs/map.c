#include <pydron.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

PYDRON_FUNCTIONAL static double f(double x) { return sin(x) * sqrt(x + 1.0); }

PYDRON_SCHEDULE static void map(double *restrict out, const double *restrict in,
                                long n) {
  for (long i = 0; i < n; i++)
    out[i] = f(in[i]);
}

int main(void) {
  long n = 1 << 20;
  double *in = malloc(n * sizeof *in), *out = malloc(n * sizeof *out);
  for (long i = 0; i < n; i++)
    in[i] = i * 1e-3;
  map(out, in, n);
  double s = 0;
  for (long i = 0; i < n; i++)
    s += out[i];
  printf("sum %a\n", s);
  return 0;
}
