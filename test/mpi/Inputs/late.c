// A program that works sequentially for a while (sleeps) before its first
// parallel loop: the worker ranks must wait for it, however long, instead
// of giving up on a master that has sent nothing yet.
//   late SECONDS
#include <math.h>
#include <pydron.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

PYDRON_FUNCTIONAL static double f(long i) { return sqrt((double)i) * 0.5; }

PYDRON_SCHEDULE void fill(double *out, long n) {
  for (long i = 0; i < n; i++)
    out[i] = f(i);
}

int main(int argc, char **argv) {
  unsigned secs = argc > 1 ? (unsigned)atoi(argv[1]) : 0;
  sleep(secs);
  long n = 200000;
  double *out = malloc(n * sizeof *out), sum = 0;
  fill(out, n);
  for (long i = 0; i < n; i++)
    sum += out[i];
  printf("sum %a\n", sum);
  free(out);
  return 0;
}
