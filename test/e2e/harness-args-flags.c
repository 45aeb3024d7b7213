// The harness passes the `// E2E-ARGS:` words to the program, the
// `// E2E-FLAGS:` flags and the extra command-line flags to both builds. The
// program aborts (a reference that dies fails the harness) when it does not
// get them, and both builds stop with #error without the flags.
// RUN: %e2e %s -DE2E_EXTRA=5
// E2E-ARGS: alpha  42
// E2E-ARGS: -x
// E2E-FLAGS: -DE2E_MARK=7
// E2E-FLAGS: -Wno-unused-variable
#include <pydron.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !defined(E2E_MARK) || E2E_MARK != 7
#error "E2E-FLAGS not applied"
#endif
#if !defined(E2E_EXTRA) || E2E_EXTRA != 5
#error "extra command-line flags not applied"
#endif

PYDRON_FUNCTIONAL static double scale(double x, int k) { return x * k + 0.5; }

PYDRON_SCHEDULE void scale_all(const double *in, double *out, long n, int k) {
  for (long i = 0; i < n; i++)
    out[i] = scale(in[i], k);
}

int main(int argc, char **argv) {
  if (argc != 4 || strcmp(argv[1], "alpha") || strcmp(argv[2], "42") ||
      strcmp(argv[3], "-x"))
    abort();
  int k = atoi(argv[2]);
  long n = 200000;
  double *in = malloc(n * sizeof *in), *out = malloc(n * sizeof *out);
  for (long i = 0; i < n; i++)
    in[i] = (double)(i % 1000) / 8.0;
  scale_all(in, out, n, k);
  double s = 0;
  for (long i = 0; i < n; i++)
    s += out[i];
  printf("k=%d sum=%a last=%a\n", k, s, out[n - 1]);
  free(in);
  free(out);
  return 0;
}
