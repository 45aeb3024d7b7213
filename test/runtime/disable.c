// PYDRON_DISABLE=1: every loop is declined (0, result untouched, no chunk
// runs); PYDRON_DISABLE=0 or empty changes nothing.
// RUN: %clang_plain -O2 -I%S/Inputs %s %rt_link -o %t
// RUN: env PYDRON_DISABLE=1 %t 0
// RUN: env PYDRON_DISABLE=1 PYDRON_WORKERS=4 %t 0
// RUN: env PYDRON_DISABLE=0 PYDRON_WORKERS=4 %t 1
// RUN: env PYDRON_DISABLE= PYDRON_WORKERS=2 %t 1
#include <stdatomic.h>

#include "rt_test.h"

static atomic_int calls;

static void chunk(int64_t lo, int64_t hi, const void *env, void *partial) {
  (void)env;
  int64_t s;
  memcpy(&s, partial, sizeof s);
  for (int64_t i = lo; i < hi; i++)
    s += i;
  memcpy(partial, &s, sizeof s);
  atomic_fetch_add(&calls, 1);
}

static const struct pydron_fold sum = {PYDRON_FOLD_ADD, PYDRON_TYPE_I64, 0};

int main(int argc, char **argv) {
  CHECK(argc == 2, "usage: disable EXPECTED");
  int expect = atoi(argv[1]);
  static struct pydron_loop loops[2];
  loops[0] = rt_loop("disable:0", chunk, 8, &sum, 1, 0, 0);
  loops[1] = rt_loop("disable:1", chunk, 8, &sum, 1, 0,
                     PYDRON_LOOP_FIXED_CHUNKS);
  rt_register("disable", loops, 2);
  for (int l = 0; l < 2; l++) {
    int64_t n = 1000000, s = 42;
    int ran = pydron_parallel_for(&loops[l], n, NULL, &s);
    CHECK(ran == expect, "loop %d returned %d", l, ran);
    CHECK(s == (ran ? 42 + n * (n - 1) / 2 : 42), "loop %d: result %lld", l,
          (long long)s);
  }
  CHECK((atomic_load(&calls) > 0) == expect, "%d chunks ran",
        atomic_load(&calls));
  puts("ok");
  return 0;
}
