// A program that keeps process workers busy for a few seconds, for the
// fault tests (faults.test): `passes` parallel loops over `rows` rows of
// pure floating-point work, each pass printing a hash of its results, so
// that a chunk lost, rerun or applied twice changes the output.
//   faults_long ROWS WORK PASSES
#include <math.h>
#include <pydron.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

PYDRON_FUNCTIONAL static double row_value(long i, long work, int pass) {
  double x = 0.5 + (double)(i % 1000) / 4000.0 + pass * 1e-3;
  for (long k = 0; k < work; k++)
    x = 3.9 * x * (1.0 - x) + 1e-9 * sin((double)k);
  return x;
}

PYDRON_SCHEDULE void one_pass(double *out, long rows, long work, int pass) {
  for (long i = 0; i < rows; i++)
    out[i] = row_value(i, work, pass);
}

static uint64_t fnv(const void *p, size_t n) {
  const unsigned char *c = p;
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++)
    h = (h ^ c[i]) * 1099511628211ULL;
  return h;
}

int main(int argc, char **argv) {
  long rows = argc > 1 ? atol(argv[1]) : 2000;
  long work = argc > 2 ? atol(argv[2]) : 20000;
  int passes = argc > 3 ? atoi(argv[3]) : 4;
  double *out = calloc((size_t)rows, sizeof *out);
  if (!out)
    return 1;
  for (int p = 0; p < passes; p++) {
    one_pass(out, rows, work, p);
    printf("pass %d: %016llx\n", p,
           (unsigned long long)fnv(out, (size_t)rows * sizeof *out));
  }
  free(out);
  return 0;
}
