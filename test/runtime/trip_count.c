// Trip counts 0, 1 and negative are declined (the sequential loop does
// nothing or one iteration): result untouched, no chunk runs.
// RUN: %clang_plain -O2 -I%S/Inputs %s %rt_link -o %t
// RUN: %t
// RUN: env PYDRON_WORKERS=4 %t
#include <stdatomic.h>

#include "rt_test.h"

static atomic_int calls;

static void chunk(int64_t lo, int64_t hi, const void *env, void *partial) {
  (void)lo; (void)hi; (void)env; (void)partial;
  atomic_fetch_add(&calls, 1);
}

static const struct pydron_fold fold = {PYDRON_FOLD_MUL, PYDRON_TYPE_I32, 0};

int main(void) {
  static struct pydron_loop loops[2];
  loops[0] = rt_loop("trip:0", chunk, 4, &fold, 1, 0, 0);
  loops[1] = rt_loop("trip:1", chunk, 4, &fold, 1, 0,
                     PYDRON_LOOP_FIXED_CHUNKS);
  rt_register("trip", loops, 2);
  static const int64_t counts[] = {0, 1, -1, -1000, INT64_MIN};
  for (int l = 0; l < 2; l++)
    for (int c = 0; c < 5; c++) {
      int32_t r = 77;
      int ran = pydron_parallel_for(&loops[l], counts[c], NULL, &r);
      CHECK(ran == 0 && r == 77, "loop %d, trip count %lld: ran %d, r %d", l,
            (long long)counts[c], ran, r);
    }
  /* No descriptor at all: declined, not a crash. */
  CHECK(pydron_parallel_for(NULL, 100, NULL, NULL) == 0, "NULL loop");
  CHECK(atomic_load(&calls) == 0, "a chunk ran");
  puts("ok");
  return 0;
}
