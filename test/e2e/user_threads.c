// Two user threads call schedule functions at the same time (several times
// each, on their own arrays, reading one shared input); main joins them and
// prints in a fixed order, then runs a parallel loop itself.
// RUN: %e2e %s | FileCheck %s
// E2E-FLAGS: -pthread
#include <math.h>
#include <pthread.h>
#include <pydron.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t fnv(const void *p, size_t n) {
  const unsigned char *c = p;
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++)
    h = (h ^ c[i]) * 1099511628211ULL;
  return h;
}

PYDRON_FUNCTIONAL static double fa(double x, int round) {
  return sqrt(x + round) * cos(x * 0.01);
}

PYDRON_FUNCTIONAL static double fb(double x, int round) {
  return log(x + 1.0 + round) - sin(x * 0.02);
}

PYDRON_SCHEDULE void stage_a(const double *in, double *out, long n, int round) {
  // CHECK: user_threads.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++)
    out[i] += fa(in[i], round);
}

PYDRON_SCHEDULE double stage_b(const double *in, double *out, long n,
                               int round) {
  double m = -INFINITY;
  // CHECK: user_threads.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop parallelized
  for (long i = 0; i < n; i++) {
    double v = fb(in[i], round);
    out[i] = v;
    m = v > m ? v : m;
  }
  return m;
}

#define N 200000
static double input[N];

struct job {
  int which;
  double *out;
  double maxes[8];
};

static void *worker(void *arg) {
  struct job *j = arg;
  for (int r = 0; r < 8; r++) {
    if (j->which == 0)
      stage_a(input, j->out, N, r);
    else
      j->maxes[r] = stage_b(input, j->out, N - r, r);
  }
  return NULL;
}

int main(void) {
  for (long i = 0; i < N; i++)
    input[i] = (double)((i * 53) % 3001) / 3.0;
  struct job ja = {0, calloc(N, sizeof(double)), {0}};
  struct job jb = {1, calloc(N, sizeof(double)), {0}};
  pthread_t ta, tb;
  if (pthread_create(&ta, NULL, worker, &ja) ||
      pthread_create(&tb, NULL, worker, &jb)) {
    printf("pthread_create failed\n");
    return 1;
  }
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  printf("thread a: %016llx\n", (unsigned long long)fnv(ja.out, N * sizeof(double)));
  printf("thread b: %016llx\n", (unsigned long long)fnv(jb.out, N * sizeof(double)));
  for (int r = 0; r < 8; r++)
    printf("  max %d: %a\n", r, jb.maxes[r]);
  stage_a(input, ja.out, N, 9);
  printf("main:     %016llx\n", (unsigned long long)fnv(ja.out, N * sizeof(double)));
  free(ja.out);
  free(jb.out);
  return 0;
}
