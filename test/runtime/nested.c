// A parallel loop reached from inside a chunk (on the calling thread or on
// a worker) is declined, so the caller runs it sequentially; the same loop
// runs in parallel again once the outer loop is done.
// RUN: %clang_plain -O2 -I%S/Inputs %s %rt_link -o %t
// RUN: env PYDRON_WORKERS=4 %t
// RUN: env PYDRON_WORKERS=2 %t
#include <stdatomic.h>

#include "rt_test.h"

static struct pydron_loop loops[3];
static atomic_int nested_ran, nested_declined, inner_chunks;

static void inner(int64_t lo, int64_t hi, const void *env, void *partial) {
  (void)env;
  int64_t s;
  memcpy(&s, partial, sizeof s);
  for (int64_t i = lo; i < hi; i++)
    s += i;
  memcpy(partial, &s, sizeof s);
  atomic_fetch_add(&inner_chunks, 1);
}

/* Each outer iteration runs the inner loop as generated code would. */
static void outer(int64_t lo, int64_t hi, const void *env, void *partial) {
  (void)env;
  int64_t total;
  memcpy(&total, partial, sizeof total);
  for (int64_t i = lo; i < hi; i++) {
    int64_t s = 0, n = 1000 + i;
    int loop = i & 1; /* the guided and the fixed-chunk inner loop */
    if (pydron_parallel_for(&loops[loop], n, NULL, &s)) {
      atomic_fetch_add(&nested_ran, 1);
    } else {
      atomic_fetch_add(&nested_declined, 1);
      for (int64_t j = 0; j < n; j++)
        s += j;
    }
    total += s;
  }
  memcpy(partial, &total, sizeof total);
}

static const struct pydron_fold sum = {PYDRON_FOLD_ADD, PYDRON_TYPE_I64, 0};

int main(void) {
  loops[0] = rt_loop("nested:inner", inner, 8, &sum, 1, 0, 0);
  loops[1] = rt_loop("nested:innerf", inner, 8, &sum, 1, 0,
                     PYDRON_LOOP_FIXED_CHUNKS);
  loops[2] = rt_loop("nested:outer", outer, 8, &sum, 1, 0, 0);
  rt_register("nested", loops, 3);

  int64_t n = 400, total = 0, want = 0;
  for (int64_t i = 0; i < n; i++)
    want += (1000 + i) * (999 + i) / 2;
  CHECK(pydron_parallel_for(&loops[2], n, NULL, &total) == 1,
        "outer loop declined");
  CHECK(total == want, "total %lld, want %lld", (long long)total,
        (long long)want);
  CHECK(atomic_load(&nested_ran) == 0 && atomic_load(&nested_declined) == n,
        "%d nested loops ran in parallel", atomic_load(&nested_ran));
  CHECK(atomic_load(&inner_chunks) == 0, "inner chunks ran");

  /* Outside the outer loop, the inner loop is an ordinary parallel loop. */
  int64_t s = 0;
  CHECK(pydron_parallel_for(&loops[1], 1000000, NULL, &s) == 1 &&
            s == (int64_t)1000000 * 999999 / 2,
        "inner loop afterwards: %lld", (long long)s);
  puts("ok");
  return 0;
}
