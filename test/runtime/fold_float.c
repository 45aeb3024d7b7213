// Float ADD and MUL folds (reassociated, so fixed chunks): with values whose
// sums and products are exact in any order the parallel result is bit for
// bit the sequential one; a sum of -0.0 stays -0.0 (identity -0.0, not +0.0).
// RUN: %clang_plain -O2 -I%S/Inputs %s %rt_link -o %t
// RUN: %t
// RUN: env PYDRON_WORKERS=1 %t
// RUN: env PYDRON_WORKERS=2 %t
// RUN: env PYDRON_WORKERS=4 %t
#include <math.h>
#include <stdatomic.h>

#include "rt_test.h"

enum { N = 300007 };

struct acc {
  float fadd, fmul;
  double dadd, dmul;
};

/* env: which data set. 0: small integers and powers of two (exact);
 * 1: every value -0.0. */
static float fval(int set, int64_t i) {
  if (set == 1)
    return -0.0f;
  return (float)((int)(rt_hash((uint64_t)i) % 17) - 8);
}
/* Products stay within one binade of +-1: 2 and 0.5 alternate. */
static double mval(int set, int64_t i) {
  if (set == 1)
    return -0.0;
  if (i % 7 == 0) return -1.0;
  if (i % 4 == 1) return 2.0;
  if (i % 4 == 3) return 0.5;
  return 1.0;
}

static atomic_int bad_identity;

static void chunk(int64_t lo, int64_t hi, const void *env, void *partial) {
  int set = *(const int *)env;
  struct acc a;
  memcpy(&a, partial, sizeof a);
  /* ADD starts at -0.0, MUL at 1 */
  if (!(a.fadd == 0 && signbit(a.fadd) && a.dadd == 0 && signbit(a.dadd) &&
        a.fmul == 1.0f && a.dmul == 1.0))
    atomic_fetch_add(&bad_identity, 1);
  for (int64_t i = lo; i < hi; i++) {
    a.fadd += fval(set, i);
    a.dadd += fval(set, i);
    a.fmul *= (float)mval(set, i);
    a.dmul *= mval(set, i);
  }
  memcpy(partial, &a, sizeof a);
}

static void sequential(int set, struct acc *a, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    a->fadd += fval(set, i);
    a->dadd += fval(set, i);
    a->fmul *= (float)mval(set, i);
    a->dmul *= mval(set, i);
  }
}

static const struct pydron_fold folds[] = {
    {PYDRON_FOLD_ADD, PYDRON_TYPE_F32, offsetof(struct acc, fadd)},
    {PYDRON_FOLD_MUL, PYDRON_TYPE_F32, offsetof(struct acc, fmul)},
    {PYDRON_FOLD_ADD, PYDRON_TYPE_F64, offsetof(struct acc, dadd)},
    {PYDRON_FOLD_MUL, PYDRON_TYPE_F64, offsetof(struct acc, dmul)},
};

static void run(const struct pydron_loop *loop, int set, struct acc init,
                int64_t n) {
  struct acc want = init, got = init;
  sequential(set, &want, n);
  int ran = pydron_parallel_for(loop, n, &set, &got);
  /* Fixed-chunk loops run chunked even on one thread. */
  CHECK(ran == 1, "set %d n %lld: returned %d", set, (long long)n, ran);
  CHECK(atomic_load(&bad_identity) == 0, "partial did not start at identity");
  CHECK(memcmp(&want, &got, sizeof got) == 0,
        "set %d: got %a %a %a %a, want %a %a %a %a", set, got.fadd, got.fmul,
        got.dadd, got.dmul, want.fadd, want.fmul, want.dadd, want.dmul);
}

int main(void) {
  static struct pydron_loop loop[1];
  loop[0] = rt_loop("fold_float:0", chunk, sizeof(struct acc), folds, 4, 0,
                    PYDRON_LOOP_FIXED_CHUNKS);
  rt_register("fold_float", loop, 1);

  run(&loop[0], 0, (struct acc){3.0f, -0.5f, 1.0e6, 4.0}, N);
  /* -0.0 + -0.0 + ... stays -0.0 in every chunk and in the fold. */
  struct acc negzero = {-0.0f, 1.0f, -0.0, 1.0};
  run(&loop[0], 1, negzero, N);
  struct acc got = negzero;
  int set = 1;
  pydron_parallel_for(&loop[0], N, &set, &got);
  CHECK(signbit(got.fadd) && signbit(got.dadd), "-0.0 sum lost its sign");
  /* ... while +0.0 incoming plus -0.0 values is +0.0. */
  run(&loop[0], 1, (struct acc){0.0f, 1.0f, 0.0, 1.0}, N);
  /* Products of -0.0: sign from the count of factors. */
  run(&loop[0], 1, (struct acc){0.0f, -2.0f, 0.0, -2.0}, 1001);
  puts("ok");
  return 0;
}
