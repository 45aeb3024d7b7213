/* stress_main.h - a small workload touching every part of local execution
 * (pool start, guided and fixed chunks, folds, nesting, two user threads,
 * declined loops), run under valgrind and ThreadSanitizer. */
#include <pthread.h>
#include <stdatomic.h>

#include "rt_test.h"

static struct pydron_loop stress_loops[3];

static int64_t stress_val(int64_t i) {
  return (int64_t)(rt_hash((uint64_t)i) % 1000);
}

static void stress_chunk(int64_t lo, int64_t hi, const void *env,
                         void *partial) {
  (void)env;
  struct { int64_t sum; double max; } a;
  memcpy(&a, partial, sizeof a);
  for (int64_t i = lo; i < hi; i++) {
    double v = (double)stress_val(i);
    a.sum += stress_val(i);
    a.max = v > a.max ? v : a.max;
  }
  memcpy(partial, &a, sizeof a);
}

/* The outer loop's iterations run the inner loop, which is declined. */
static void stress_outer(int64_t lo, int64_t hi, const void *env,
                         void *partial) {
  (void)env;
  int64_t s;
  memcpy(&s, partial, sizeof s);
  for (int64_t i = lo; i < hi; i++) {
    struct { int64_t sum; double max; } a = {0, -1};
    CHECK(!pydron_parallel_for(&stress_loops[0], 1000, NULL, &a),
          "nested loop ran");
    s += i;
  }
  memcpy(partial, &s, sizeof s);
}

static const struct pydron_fold stress_folds[] = {
    {PYDRON_FOLD_ADD, PYDRON_TYPE_I64, 0},
    {PYDRON_FOLD_SEL_GT, PYDRON_TYPE_F64, 8},
};

static void *stress_user(void *arg) {
  int calls = *(int *)arg;
  for (int c = 0; c < calls; c++) {
    int64_t n = 20000 + c * 1000, want = 0;
    for (int64_t i = 0; i < n; i++)
      want += stress_val(i);
    for (int l = 0; l < 2; l++) {
      struct { int64_t sum; double max; } a = {0, -1};
      if (!pydron_parallel_for(&stress_loops[l], n, NULL, &a))
        stress_chunk(0, n, NULL, &a);
      CHECK(a.sum == want && a.max == 999, "loop %d: %lld %g", l,
            (long long)a.sum, a.max);
    }
  }
  int64_t s = 0;
  if (!pydron_parallel_for(&stress_loops[2], 50, NULL, &s))
    stress_outer(0, 50, NULL, &s);
  CHECK(s == 50 * 49 / 2, "outer %lld", (long long)s);
  return NULL;
}

static int stress_main(int calls) {
  stress_loops[0] = rt_loop("stress:0", stress_chunk, 16, stress_folds, 2, 0,
                            0);
  stress_loops[1] = rt_loop("stress:1", stress_chunk, 16, stress_folds, 2, 0,
                            PYDRON_LOOP_FIXED_CHUNKS);
  stress_loops[2] = rt_loop("stress:2", stress_outer, 8, stress_folds, 1, 0,
                            0);
  rt_register("stress", stress_loops, 3);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, stress_user, &calls) == 0, "pthread_create");
  stress_user(&calls);
  pthread_join(t, NULL);
  puts("ok");
  return 0;
}
