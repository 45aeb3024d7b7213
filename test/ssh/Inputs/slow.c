// A long-running parallel loop for the SSH fault tests (kill a worker, cut
// a link, kill the master, many runs in a row).
//
// Usage: slow N DELAY_US ROUNDS
//   ROUNDS calls of one parallel loop over N iterations; iteration i
//   computes work(i, r), a pure function of (i, r) that first sleeps
//   DELAY_US microseconds. The sleep makes the run long in wall time while
//   using little CPU (the suite runs on 2 cores), and it does not change
//   the results: the sequential reference runs with DELAY_US 0 and must
//   print exactly the same. N should be 500 or more: with fewer iterations
//   the runtime's static cost estimate (which cannot see the sleep) calls
//   the loop too small and runs it here, sequentially.
// work() is defined in slow_work.c, a file of its own, so the plugin takes
// the PYDRON_FUNCTIONAL declaration below at its word (plain values in and
// out) instead of seeing the nanosleep call.
#include <pydron.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

PYDRON_FUNCTIONAL double work(long i, long round, long delay_us);

static uint64_t fnv(const void *p, size_t n) {
  const unsigned char *c = p;
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++)
    h = (h ^ c[i]) * 1099511628211ULL;
  return h;
}

PYDRON_SCHEDULE void step(double *out, long n, long round, long delay_us) {
  for (long i = 0; i < n; i++)
    out[i] = work(i, round, delay_us);
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100;
  long delay_us = argc > 2 ? atol(argv[2]) : 0;
  long rounds = argc > 3 ? atol(argv[3]) : 1;
  if (n < 1 || delay_us < 0 || rounds < 1) {
    fprintf(stderr, "usage: slow N DELAY_US ROUNDS\n");
    return 2;
  }
  double *out = calloc(n, sizeof *out);
  uint64_t all = 0;
  for (long r = 0; r < rounds; r++) {
    step(out, n, r, delay_us);
    uint64_t h = fnv(out, n * sizeof *out);
    all = all * 31 + h;
    printf("round %ld: %016llx out[0]=%a out[n-1]=%a\n", r,
           (unsigned long long)h, out[0], out[n - 1]);
    fflush(stdout);
  }
  printf("all: %016llx\n", (unsigned long long)all);
  free(out);
  return 0;
}
