// Every iteration runs exactly once, for many trip counts, including huge
// ones (counted, not stored) and INT64_MAX, with 1, 2, 3 and 4 threads.
// RUN: %clang_plain -O2 -I%S/Inputs %s %rt_link -o %t
// RUN: %t
// RUN: env PYDRON_WORKERS=1 %t
// RUN: env PYDRON_WORKERS=2 %t
// RUN: env PYDRON_WORKERS=3 %t
// RUN: env PYDRON_WORKERS=4 %t
#include <stdatomic.h>

#include "rt_test.h"

struct env {
  atomic_uchar *count;
  int64_t n;
};
static atomic_int bad_chunk;

static void count_chunk(int64_t lo, int64_t hi, const void *envp,
                        void *partial) {
  const struct env *e = envp;
  (void)partial;
  if (!(0 <= lo && lo < hi && hi <= e->n))
    atomic_fetch_add(&bad_chunk, 1);
  for (int64_t i = lo; i < hi; i++)
    atomic_fetch_add_explicit(&e->count[i], 1, memory_order_relaxed);
}

/* For trip counts too big to store: add up the chunk lengths. */
static void length_chunk(int64_t lo, int64_t hi, const void *envp,
                         void *partial) {
  const int64_t *n = envp;
  if (!(0 <= lo && lo < hi && hi <= *n))
    atomic_fetch_add(&bad_chunk, 1);
  uint64_t len;
  memcpy(&len, partial, sizeof len);
  len += (uint64_t)(hi - lo);
  memcpy(partial, &len, sizeof len);
}

static const struct pydron_fold sum64 = {PYDRON_FOLD_ADD, PYDRON_TYPE_I64, 0};

int main(void) {
  static const int64_t sizes[] = {2, 3, 4, 5, 7, 16, 17, 1000, 4099,
                                  100003, 1 << 20, 3000017};
  enum { NS = sizeof sizes / sizeof sizes[0] };
  static struct pydron_loop loops[2 * NS + 2];
  /* One descriptor per trip count and flavor: each starts unlearned, so
   * even the tiny ones run in parallel. */
  for (int s = 0; s < NS; s++) {
    loops[2 * s] = rt_loop("coverage:g", count_chunk, 0, NULL, 0, 0, 0);
    loops[2 * s + 1] = rt_loop("coverage:f", count_chunk, 0, NULL, 0, 0,
                               PYDRON_LOOP_FIXED_CHUNKS);
  }
  loops[2 * NS] = rt_loop("coverage:len", length_chunk, 8, &sum64, 1, 0, 0);
  loops[2 * NS + 1] = rt_loop("coverage:lenf", length_chunk, 8, &sum64, 1, 0,
                              PYDRON_LOOP_FIXED_CHUNKS);
  rt_register("coverage", loops, 2 * NS + 2);

  for (int s = 0; s < NS; s++) {
    int64_t n = sizes[s];
    for (int flavor = 0; flavor < 2; flavor++) {
      struct env e = {calloc((size_t)n, 1), n};
      CHECK(e.count, "out of memory");
      int ran = pydron_parallel_for(&loops[2 * s + flavor], n, &e, NULL);
      int expect = flavor ? 1 : rt_parallel_expected();
      CHECK(ran == expect, "n=%lld flavor %d: returned %d", (long long)n,
            flavor, ran);
      if (ran)
        for (int64_t i = 0; i < n; i++)
          CHECK(e.count[i] == 1, "n=%lld flavor %d: iteration %lld ran %d "
                "times", (long long)n, flavor, (long long)i, e.count[i]);
      free(e.count);
    }
  }

  static const int64_t huge[] = {1000000007, (int64_t)1 << 40,
                                 INT64_MAX - 1, INT64_MAX};
  for (int h = 0; h < 4; h++)
    for (int flavor = 0; flavor < 2; flavor++) {
      int64_t n = huge[h];
      uint64_t len = 0;
      int ran = pydron_parallel_for(&loops[2 * NS + flavor], n, &n, &len);
      if (!flavor && !rt_parallel_expected())
        continue;
      CHECK(ran == 1 && len == (uint64_t)n, "n=%lld: ran %d, %llu iterations",
            (long long)n, ran, (unsigned long long)len);
    }
  CHECK(atomic_load(&bad_chunk) == 0, "a chunk was empty or out of range");
  puts("ok");
  return 0;
}
