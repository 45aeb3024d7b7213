// Partials are folded strictly in iteration order, left to right:
// result = ((init + p0) + p1) + ... for a float sum that is not
// associative, with guided and with fixed chunks. Each chunk records its
// bounds and its partial; the test folds them itself and compares bits.
// With fixed chunks the boundaries, and so the result, are the same with
// every thread count and in every run.
// RUN: %clang_plain -O2 -I%S/Inputs %s %rt_link -o %t
// RUN: env PYDRON_WORKERS=1 %t > %t.w1
// RUN: env PYDRON_WORKERS=2 %t > %t.w2
// RUN: env PYDRON_WORKERS=4 %t > %t.w4
// RUN: env PYDRON_WORKERS=4 %t > %t.w4b
// RUN: env PYDRON_WORKERS=3 %t > %t.w3
// RUN: diff %t.w1 %t.w2
// RUN: diff %t.w1 %t.w4
// RUN: diff %t.w4 %t.w4b
// RUN: diff %t.w1 %t.w3
// RUN: FileCheck %s < %t.w1
// CHECK: n=2 chunks=2 [0,1) [1,2)
// CHECK: n=1000000 chunks=256 [0,3907)
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "rt_test.h"

/* Values of very different magnitudes: the sum depends on the order. */
static double val(int64_t i) {
  uint64_t h = rt_hash((uint64_t)i);
  return ldexp((double)(h >> 11), (int)(h % 40) - 60) * (h & 1 ? 1 : -1);
}

struct rec {
  int64_t lo, hi;
  double partial;
};
static struct rec recs[100000];
static atomic_int nrecs;

static void chunk(int64_t lo, int64_t hi, const void *env, void *partial) {
  (void)env;
  double s;
  memcpy(&s, partial, sizeof s);
  for (int64_t i = lo; i < hi; i++)
    s += val(i);
  memcpy(partial, &s, sizeof s);
  int k = atomic_fetch_add(&nrecs, 1);
  if (k < 100000)
    recs[k] = (struct rec){lo, hi, s};
}

static int by_lo(const void *a, const void *b) {
  const struct rec *x = a, *y = b;
  return (x->lo > y->lo) - (x->lo < y->lo);
}

/* Runs the loop, checks coverage and the fold order, returns the result. */
static double run(const struct pydron_loop *loop, int64_t n, int print) {
  double init = 0.1, got = init;
  atomic_store(&nrecs, 0);
  int ran = pydron_parallel_for(loop, n, NULL, &got);
  if (!ran)
    return NAN;
  int k = atomic_load(&nrecs);
  CHECK(k <= 100000, "too many chunks");
  qsort(recs, (size_t)k, sizeof recs[0], by_lo);
  double want = init;
  int64_t at = 0;
  for (int i = 0; i < k; i++) {
    CHECK(recs[i].lo == at, "chunk %d starts at %lld, not %lld", i,
          (long long)recs[i].lo, (long long)at);
    at = recs[i].hi;
    want += recs[i].partial;
  }
  CHECK(at == n, "chunks end at %lld", (long long)at);
  CHECK(memcmp(&got, &want, sizeof got) == 0, "n=%lld: folded %a, in order %a",
        (long long)n, got, want);
  if (print) {
    printf("n=%lld chunks=%d", (long long)n, k);
    for (int i = 0; i < k && i < 4; i++)
      printf(" [%lld,%lld)", (long long)recs[i].lo, (long long)recs[i].hi);
    printf(" result=%a\n", got);
  }
  return got;
}

static const struct pydron_fold fold = {PYDRON_FOLD_ADD, PYDRON_TYPE_F64, 0};

int main(void) {
  static struct pydron_loop loops[2];
  loops[0] = rt_loop("order:fixed", chunk, 8, &fold, 1, 0,
                     PYDRON_LOOP_FIXED_CHUNKS);
  loops[1] = rt_loop("order:guided", chunk, 8, &fold, 1, 0, 0);
  rt_register("order", loops, 2);

  static const int64_t sizes[] = {2, 3, 255, 256, 257, 1000, 65537, 1000000};
  for (int s = 0; s < 8; s++) {
    double first = run(&loops[0], sizes[s], 1);
    for (int rep = 0; rep < 3; rep++) {
      double again = run(&loops[0], sizes[s], 0);
      CHECK(memcmp(&first, &again, sizeof first) == 0,
            "fixed chunks: result changed between runs");
    }
  }
  /* Guided chunks: order checked inside run(); the boundaries depend on
   * timing, so nothing is printed. */
  for (int rep = 0; rep < 5; rep++)
    run(&loops[1], 1000000, 0);
  return 0;
}
