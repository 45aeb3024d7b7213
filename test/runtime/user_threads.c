// Several user threads call pydron_parallel_for at once: one owns the pool,
// the others are declined (and run sequentially), or, for fixed-chunk
// loops, run their chunks on their own thread. Every result is right.
// RUN: %clang_plain -O2 -I%S/Inputs %s %rt_link -o %t
// RUN: env PYDRON_WORKERS=2 %t
// RUN: env PYDRON_WORKERS=4 %t
// RUN: env PYDRON_WORKERS=1 %t
#include <pthread.h>
#include <stdatomic.h>

#include "rt_test.h"

enum { THREADS = 4, CALLS = 150, N = 100000 };

static struct pydron_loop loops[2];
static atomic_int parallel_calls;

static int64_t value(int64_t i, int64_t seed) {
  return (int64_t)(rt_hash((uint64_t)(i + seed)) % 1000);
}

static void chunk(int64_t lo, int64_t hi, const void *env, void *partial) {
  int64_t seed = *(const int64_t *)env, s;
  memcpy(&s, partial, sizeof s);
  for (int64_t i = lo; i < hi; i++)
    s += value(i, seed);
  memcpy(partial, &s, sizeof s);
}

static void *user(void *arg) {
  int64_t t = (int64_t)(intptr_t)arg;
  for (int c = 0; c < CALLS; c++) {
    int64_t seed = t * 1000003 + c, s = 0, want = 0;
    for (int64_t i = 0; i < N; i++)
      want += value(i, seed);
    const struct pydron_loop *loop = &loops[c & 1];
    if (pydron_parallel_for(loop, N, &seed, &s))
      atomic_fetch_add(&parallel_calls, 1);
    else
      for (int64_t i = 0; i < N; i++)
        s += value(i, seed);
    CHECK(s == want, "thread %lld call %d: %lld, want %lld", (long long)t, c,
          (long long)s, (long long)want);
  }
  return NULL;
}

static const struct pydron_fold sum = {PYDRON_FOLD_ADD, PYDRON_TYPE_I64, 0};

int main(void) {
  loops[0] = rt_loop("threads:0", chunk, 8, &sum, 1, 0, 0);
  loops[1] = rt_loop("threads:1", chunk, 8, &sum, 1, 0,
                     PYDRON_LOOP_FIXED_CHUNKS);
  rt_register("threads", loops, 2);
  pthread_t tids[THREADS];
  for (int t = 0; t < THREADS; t++)
    CHECK(pthread_create(&tids[t], NULL, user, (void *)(intptr_t)t) == 0,
          "pthread_create");
  for (int t = 0; t < THREADS; t++)
    pthread_join(tids[t], NULL);
  /* At least the fixed-chunk half always runs (chunked on the caller when
   * the pool is busy). */
  CHECK(atomic_load(&parallel_calls) >= THREADS * CALLS / 2,
        "only %d calls ran", atomic_load(&parallel_calls));
  printf("ok: %d of %d calls ran chunked\n", atomic_load(&parallel_calls),
         THREADS * CALLS);
  return 0;
}
