/* bench.h - what every benchmark kernel in test/bench shares: the size
 * switch (quick or full), a wall-clock timer and a checksum.
 *
 * A kernel prints its result on stdout (checksums and exact float bits
 * with %a), which every variant must reproduce byte for byte, and the
 * seconds spent in its parallel part on stderr as one line
 *   bench-seconds: 0.123456
 * which tools/pydron-bench reads. Set-up and checksums are not timed.
 *
 * Quick mode (tiny sizes, for correctness only): the first argument is
 * "quick", or PYDRON_BENCH_QUICK is set to anything but "" or "0". */
#ifndef PYDRON_BENCH_H
#define PYDRON_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_UNUSED __attribute__((unused))

BENCH_UNUSED static int bench_quick(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "quick") == 0)
    return 1;
  if (argc > 1 && strcmp(argv[1], "full") == 0)
    return 0;
  const char *e = getenv("PYDRON_BENCH_QUICK");
  return e && *e && strcmp(e, "0") != 0;
}

BENCH_UNUSED static double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

BENCH_UNUSED static void bench_report(double seconds) {
  fprintf(stderr, "bench-seconds: %.6f\n", seconds);
}

/* FNV-1a over 8-byte words (the tail byte by byte): a checksum of the
 * exact bits of a result array. */
BENCH_UNUSED static uint64_t bench_hash(uint64_t h, const void *p, size_t n) {
  const unsigned char *c = p;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, c + i, 8);
    h = (h ^ w) * 1099511628211ULL;
  }
  for (; i < n; i++)
    h = (h ^ c[i]) * 1099511628211ULL;
  return h;
}
#define BENCH_HASH_INIT 1469598103934665603ULL

/* Allocation that cannot fail quietly. */
BENCH_UNUSED static void *bench_alloc(size_t bytes) {
  void *p = malloc(bytes ? bytes : 1);
  if (!p) {
    fprintf(stderr, "out of memory (%zu bytes)\n", bytes);
    exit(2);
  }
  return p;
}

#endif /* PYDRON_BENCH_H */
