// Select-based float min/max folds (SEL_GT/GE/LT/LE, f32 and f64): NaN never
// wins, GT/LT keep the first of equal values and GE/LE the last, also for
// values that compare equal with different bits (+0.0 / -0.0). The parallel
// result must be bit for bit the sequential select loop's.
// RUN: %clang_plain -O2 -I%S/Inputs %s %rt_link -o %t
// RUN: %t
// RUN: env PYDRON_WORKERS=2 %t
// RUN: env PYDRON_WORKERS=4 %t
// RUN: env PYDRON_WORKERS=1 %t
#include <math.h>
#include <stdatomic.h>

#include "rt_test.h"

enum { N = 250001, NSEL = 4 };
static const uint16_t sel[NSEL] = {PYDRON_FOLD_SEL_GT, PYDRON_FOLD_SEL_GE,
                                   PYDRON_FOLD_SEL_LT, PYDRON_FOLD_SEL_LE};

struct acc {
  float f[NSEL];
  double d[NSEL];
};

/* Data set `set`: 0: maxima are zeros of both signs, spread over the whole
 * range, with NaNs and infinities around; 1: only NaNs; 2: all -inf/+inf
 * (equal to the identities). For the min folds the values are mirrored. */
static double val(int set, int k, int64_t i) {
  uint64_t h = rt_hash((uint64_t)i);
  double v;
  if (set == 1)
    return NAN;
  if (set == 2)
    return k < 2 ? -INFINITY : INFINITY;
  if (h % 13 == 0)
    v = NAN;
  else if (h % 7 == 0)
    v = (h >> 20) & 1 ? 0.0 : -0.0;
  else if (h % 101 == 0)
    v = -INFINITY;
  else
    v = -(double)(1 + h % 1000) / 8;
  return k < 2 ? v : -v; /* GT/GE look for the max, LT/LE for the min */
}

#define STEP(op, m, t)                                                         \
  ((op) == PYDRON_FOLD_SEL_GT   ? ((t) > (m) ? (t) : (m))                      \
   : (op) == PYDRON_FOLD_SEL_GE ? ((t) >= (m) ? (t) : (m))                     \
   : (op) == PYDRON_FOLD_SEL_LT ? ((t) < (m) ? (t) : (m))                      \
                                : ((t) <= (m) ? (t) : (m)))

static void fold_range(int set, struct acc *a, int64_t lo, int64_t hi) {
  for (int64_t i = lo; i < hi; i++)
    for (int k = 0; k < NSEL; k++) {
      double t = val(set, k, i);
      a->f[k] = STEP(sel[k], a->f[k], (float)t);
      a->d[k] = STEP(sel[k], a->d[k], t);
    }
}

static atomic_int bad_identity;

static void chunk(int64_t lo, int64_t hi, const void *env, void *partial) {
  int set = *(const int *)env;
  struct acc a;
  memcpy(&a, partial, sizeof a);
  for (int k = 0; k < NSEL; k++) {
    double id = k < 2 ? -INFINITY : INFINITY;
    if (a.f[k] != (float)id || a.d[k] != id)
      atomic_fetch_add(&bad_identity, 1);
  }
  fold_range(set, &a, lo, hi);
  memcpy(partial, &a, sizeof a);
}

static int runs, parallel_runs;

static void run(const struct pydron_loop *loop, int set, double init_max,
                double init_min) {
  struct acc init;
  for (int k = 0; k < NSEL; k++) {
    double v = k < 2 ? init_max : init_min;
    init.f[k] = (float)v;
    init.d[k] = v;
  }
  struct acc want = init, got = init;
  fold_range(set, &want, 0, N);
  int ran = pydron_parallel_for(loop, N, &set, &got);
  runs++;
  parallel_runs += ran;
  if (!ran)
    fold_range(set, &got, 0, N);
  CHECK(atomic_load(&bad_identity) == 0, "partial did not start at identity");
  for (int k = 0; k < NSEL; k++) {
    CHECK(memcmp(&want.f[k], &got.f[k], sizeof(float)) == 0,
          "set %d op %d f32: got %a want %a", set, sel[k], got.f[k],
          want.f[k]);
    CHECK(memcmp(&want.d[k], &got.d[k], sizeof(double)) == 0,
          "set %d op %d f64: got %a want %a", set, sel[k], got.d[k],
          want.d[k]);
  }
}

int main(void) {
  static struct pydron_fold folds[2 * NSEL];
  for (int k = 0; k < NSEL; k++) {
    folds[k] = (struct pydron_fold){sel[k], PYDRON_TYPE_F32,
                                    (uint32_t)(offsetof(struct acc, f) + 4 * k)};
    folds[NSEL + k] = (struct pydron_fold){
        sel[k], PYDRON_TYPE_F64, (uint32_t)(offsetof(struct acc, d) + 8 * k)};
  }
  static struct pydron_loop loop[1];
  loop[0] = rt_loop("fold_select:0", chunk, sizeof(struct acc), folds,
                    2 * NSEL, 0, 0);
  rt_register("fold_select", loop, 1);

  for (int set = 0; set < 3; set++) {
    run(&loop[0], set, -INFINITY, INFINITY);
    run(&loop[0], set, NAN, NAN);        /* nothing beats a NaN start */
    run(&loop[0], set, 0.0, -0.0);       /* equal to the data's zeros */
    run(&loop[0], set, -0.0, 0.0);
    run(&loop[0], set, 1.0, -1.0);       /* beats all data */
  }
  /* The zeros really are the extremes, with both signs present: */
  struct acc probe;
  for (int k = 0; k < NSEL; k++) {
    probe.f[k] = k < 2 ? -INFINITY : INFINITY;
    probe.d[k] = probe.f[k];
  }
  fold_range(0, &probe, 0, N);
  CHECK(probe.d[0] == 0 && probe.d[2] == 0, "the extremes are not zeros");
  CHECK(signbit(probe.d[0]) != signbit(probe.d[1]) ||
            signbit(probe.d[2]) != signbit(probe.d[3]),
        "data set 0 does not tell first from last of equal values");
  CHECK(parallel_runs == (rt_parallel_expected() ? runs : 0),
        "%d of %d runs in parallel", parallel_runs, runs);
  puts("ok");
  return 0;
}
