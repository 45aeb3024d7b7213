// An ordered floating-point sum of expensive terms, for the tests of a
// loop with a chain (the additions applied in iteration order) whose
// worker fails: `passes` such loops over `rows` terms, each printing its
// sum in hex, so that a term lost, added twice or added out of order
// changes the output.
//   chain_long ROWS WORK PASSES
#include <math.h>
#include <pydron.h>
#include <stdio.h>
#include <stdlib.h>

PYDRON_FUNCTIONAL static double term(long i, long work, int pass) {
  double x = 0.5 + (double)(i % 1000) / 4000.0 + pass * 1e-3;
  for (long k = 0; k < work; k++)
    x = 3.9 * x * (1.0 - x) + 1e-9 * sin((double)k);
  return x;
}

PYDRON_SCHEDULE double ordered_sum(const long *idx, long rows, long work,
                                   int pass) {
  double s = 0.0;
  for (long i = 0; i < rows; i++)
    s += term(idx[i], work, pass);
  return s;
}

int main(int argc, char **argv) {
  long rows = argc > 1 ? atol(argv[1]) : 2000;
  long work = argc > 2 ? atol(argv[2]) : 20000;
  int passes = argc > 3 ? atoi(argv[3]) : 4;
  long *idx = malloc((size_t)rows * sizeof *idx);
  if (!idx)
    return 1;
  for (long i = 0; i < rows; i++)
    idx[i] = i;
  for (int p = 0; p < passes; p++)
    printf("pass %d: %a\n", p, ordered_sum(idx, rows, work, p));
  free(idx);
  return 0;
}
