// In-order chains (loop->chain): chunks store per-iteration values, the
// runtime applies the chain strictly in iteration order, once per chunk, on
// one thread at a time. Every result is bit for bit the sequential loop's
// (chunk then chain over [0, n)), with data that exposes any reordering:
// 1e16 and 1.0 terms, acc = acc * 0.9 + f(i), two carried doubles, a fold
// next to a chain, values bigger than the 1 MiB chunk cap. Fixed-chunk
// loops with a chain cut the same chunks for every thread count.
// RUN: %clang_plain -O2 -I%S/Inputs %s %rt_link -o %t
// RUN: %t
// RUN: env PYDRON_WORKERS=1 %t
// RUN: env PYDRON_WORKERS=2 %t
// RUN: env PYDRON_WORKERS=4 %t
// RUN: env PYDRON_WORKERS=1 %t fixed > %t.fixed1
// RUN: env PYDRON_WORKERS=2 %t fixed > %t.fixed2
// RUN: env PYDRON_WORKERS=4 %t fixed > %t.fixed4
// RUN: diff %t.fixed1 %t.fixed2
// RUN: diff %t.fixed1 %t.fixed4
// RUN: FileCheck %s --check-prefix=FIXED < %t.fixed4
// FIXED: chunks {{[0-9]+}} boundaries {{[0-9a-f]+}} result {{.*}}
// ThreadSanitizer, with the runtime's sources built in:
// RUN: %clang -fsanitize=thread -O1 -g -std=c11 -D_GNU_SOURCE -I%rt_include -I%src_root/runtime/src -I%S/Inputs %s %rt_sources -lpthread -lm -o %t.tsan
// RUN: env TSAN_OPTIONS=halt_on_error=1:exitcode=66 PYDRON_WORKERS=4 %t.tsan small
// RUN: env TSAN_OPTIONS=halt_on_error=1:exitcode=66 PYDRON_WORKERS=3 %t.tsan small
// Memcheck (DWARF 4 for valgrind 3.19), with the report and the trace on:
// RUN: %clang -O1 -gdwarf-4 -std=c11 -D_GNU_SOURCE -I%rt_include -I%src_root/runtime/src -I%S/Inputs %s %rt_sources -lpthread -lm -o %t.vg
// RUN: if command -v valgrind > /dev/null; then env PYDRON_WORKERS=3 PYDRON_REPORT=1 PYDRON_TRACE=%t.json valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,possible -q %t.vg small; else echo "valgrind is not installed: running without it" >&2; env PYDRON_WORKERS=3 %t.vg small; fi
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "rt_test.h"

static int small; /* under TSan: smaller loops */

/* Order-exposing terms: mostly small values, now and then +-1e16, whose
 * sum with the small ones rounds differently in every order. */
static double fval(int64_t i) {
  uint64_t h = rt_hash((uint64_t)i);
  if (h % 997 == 0)
    return (h >> 20) % 2 ? 1e16 : -1e16;
  return 1.0 + (double)(h % 1000) * 1e-3;
}

/* ---- a double sum: acc += f(i) -------------------------------------- */

static void sum_chunk(int64_t lo, int64_t hi, const void *env, void *buf) {
  const struct pydron_loop *loop = *(const struct pydron_loop *const *)env;
  double *v = (double *)((char *)buf + PYDRON_VALUES_OFFSET(loop));
  for (int64_t i = lo; i < hi; i++)
    v[i - lo] = fval(i);
}

static void sum_chain(int64_t lo, int64_t hi, const void *env,
                      const void *values, void *state) {
  (void)env;
  const double *v = values;
  double acc;
  memcpy(&acc, state, sizeof acc);
  for (int64_t i = lo; i < hi; i++)
    acc += v[i - lo];
  memcpy(state, &acc, sizeof acc);
}

/* ---- acc = acc * 0.9 + f(i) ----------------------------------------- */

static void decay_chain(int64_t lo, int64_t hi, const void *env,
                        const void *values, void *state) {
  (void)env;
  const double *v = values;
  double acc;
  memcpy(&acc, state, sizeof acc);
  for (int64_t i = lo; i < hi; i++)
    acc = acc * 0.9 + v[i - lo];
  memcpy(state, &acc, sizeof acc);
}

/* ---- two carried doubles: a = a * 0.5 + x(i); b += a * y(i) ---------- */

struct xy {
  double x, y;
};

static void two_chunk(int64_t lo, int64_t hi, const void *env, void *buf) {
  const struct pydron_loop *loop = *(const struct pydron_loop *const *)env;
  struct xy *v = (struct xy *)((char *)buf + PYDRON_VALUES_OFFSET(loop));
  for (int64_t i = lo; i < hi; i++)
    v[i - lo] = (struct xy){fval(i), sqrt((double)i)};
}

static void two_chain(int64_t lo, int64_t hi, const void *env,
                      const void *values, void *state) {
  (void)env;
  const struct xy *v = values;
  double ab[2];
  memcpy(ab, state, sizeof ab);
  for (int64_t i = lo; i < hi; i++) {
    ab[0] = ab[0] * 0.5 + v[i - lo].x;
    ab[1] += ab[0] * v[i - lo].y;
  }
  memcpy(state, ab, sizeof ab);
}

/* ---- a fold (int32 count, 4-byte partial: values at offset 16, state at
 * offset 4) next to a chain (double sum) ------------------------------- */

static void fold_chunk(int64_t lo, int64_t hi, const void *env, void *buf) {
  const struct pydron_loop *loop = *(const struct pydron_loop *const *)env;
  int32_t count;
  memcpy(&count, buf, sizeof count);
  double *v = (double *)((char *)buf + PYDRON_VALUES_OFFSET(loop));
  for (int64_t i = lo; i < hi; i++) {
    double f = fval(i);
    count += f > 1.5;
    v[i - lo] = f;
  }
  memcpy(buf, &count, sizeof count);
}

static const struct pydron_fold count32 = {PYDRON_FOLD_ADD, PYDRON_TYPE_I32,
                                           0};

/* ---- calls recorded: in order, once each, never two at once ---------- */

static struct {
  int64_t lo, hi;
} calls[1 << 16];
static int ncalls;
static atomic_int in_chain, overlap;

static void order_chunk(int64_t lo, int64_t hi, const void *env, void *buf) {
  const struct pydron_loop *loop = *(const struct pydron_loop *const *)env;
  int64_t *v = (int64_t *)((char *)buf + PYDRON_VALUES_OFFSET(loop));
  for (int64_t i = lo; i < hi; i++)
    v[i - lo] = i * 3 + 1;
}

static void order_chain(int64_t lo, int64_t hi, const void *env,
                        const void *values, void *state) {
  (void)env;
  if (atomic_fetch_add(&in_chain, 1) != 0)
    atomic_fetch_add(&overlap, 1);
  const int64_t *v = values;
  int64_t s;
  memcpy(&s, state, sizeof s);
  for (int64_t i = lo; i < hi; i++) {
    CHECK(v[i - lo] == i * 3 + 1, "value of iteration %lld is %lld",
          (long long)i, (long long)v[i - lo]);
    s += v[i - lo];
  }
  memcpy(state, &s, sizeof s);
  CHECK(ncalls < (int)(sizeof calls / sizeof calls[0]), "too many calls");
  calls[ncalls].lo = lo;
  calls[ncalls].hi = hi;
  ncalls++;
  atomic_fetch_sub(&in_chain, 1);
}

/* ---- values bigger than the chunk cap: one iteration per chunk -------- */

enum { BIG = 3 << 19 }; /* 1.5 MiB per iteration */

static void big_chunk(int64_t lo, int64_t hi, const void *env, void *buf) {
  const struct pydron_loop *loop = *(const struct pydron_loop *const *)env;
  CHECK(hi - lo == 1, "chunk of %lld iterations with 1.5 MiB values",
        (long long)(hi - lo));
  unsigned char *v = (unsigned char *)buf + PYDRON_VALUES_OFFSET(loop);
  memset(v, (int)(lo & 0xff), BIG);
}

static void big_chain(int64_t lo, int64_t hi, const void *env,
                      const void *values, void *state) {
  (void)env;
  const unsigned char *v = values;
  uint64_t s;
  memcpy(&s, state, sizeof s);
  for (int64_t i = lo; i < hi; i++, v += BIG) {
    CHECK(v[0] == (i & 0xff) && v[BIG - 1] == (i & 0xff), "big value %lld",
          (long long)i);
    s = s * 31 + v[BIG / 2];
  }
  memcpy(state, &s, sizeof s);
}

/* ---- the chain reaching a parallel loop runs it sequentially ---------- */

static struct pydron_loop loops[8];
static atomic_int in_parallel; /* set around pydron_parallel_for by check() */

static void nested_chain(int64_t lo, int64_t hi, const void *env,
                         const void *values, void *state) {
  double inner = 0;
  const struct pydron_loop *self = *(const struct pydron_loop *const *)env;
  int ran = pydron_parallel_for(self, 1000, env, &inner);
  CHECK(!(ran && in_parallel), "a loop in a chain ran in parallel");
  sum_chain(lo, hi, env, values, state);
}

/* ---- the sequential loop: chunk then chain over [0, n) ---------------- */

/* What generated code does when the runtime declines, and the reference:
 * the whole range as one chunk, in pieces small enough for a buffer. */
static void sequential(const struct pydron_loop *loop, int64_t n,
                       const void *env, void *result) {
  size_t voff = PYDRON_VALUES_OFFSET(loop);
  int64_t step = loop->value_size > (1u << 20)
                     ? 1
                     : (loop->value_size ? (1 << 20) / loop->value_size : n);
  unsigned char *buf = aligned_alloc(16, voff + (size_t)step * loop->value_size
                                             + 16);
  CHECK(buf, "out of memory");
  for (int64_t lo = 0; lo < n; lo += step) {
    int64_t hi = n - lo < step ? n : lo + step;
    memset(buf, 0, voff);
    loop->chunk(lo, hi, env, buf);
    /* Integer count folds are exact in any grouping. */
    if (loop->partial_size) {
      int32_t a, p;
      memcpy(&a, result, 4);
      memcpy(&p, buf, 4);
      a += p;
      memcpy(result, &a, 4);
    }
    loop->chain(lo, hi, env, buf + voff,
                (char *)result + PYDRON_STATE_OFFSET(loop));
  }
  free(buf);
}

/* Runs `loop` over n in parallel and sequentially, compares bit for bit. */
static void check(int which, int64_t n, const void *init, size_t size,
                  int must_run) {
  const struct pydron_loop *loop = &loops[which];
  const void *env = &loop;
  unsigned char want[64], got[64];
  memcpy(want, init, size);
  memcpy(got, init, size);
  sequential(loop, n, env, want);
  in_parallel = 1;
  int ran = pydron_parallel_for(loop, n, env, got);
  in_parallel = 0;
  if (!ran)
    sequential(loop, n, env, got);
  if (must_run && rt_parallel_expected())
    CHECK(ran, "loop %d, n %lld: declined", which, (long long)n);
  if (rt_workers() == 1 && !(loop->flags & PYDRON_LOOP_FIXED_CHUNKS))
    CHECK(!ran, "loop %d ran on one thread", which);
  CHECK(memcmp(want, got, size) == 0,
        "loop %d, n %lld: result differs (%a vs %a)", which, (long long)n,
        *(double *)(void *)(got + size - 8),
        *(double *)(void *)(want + size - 8));
}

enum { L_SUM, L_DECAY, L_TWO, L_FOLD, L_ORDER, L_BIG, L_NESTED, L_FIXED };

static void *other_user(void *arg) {
  int64_t n = *(int64_t *)arg;
  double init = 0.25;
  for (int r = 0; r < 5; r++)
    check(L_DECAY, n, &init, sizeof init, 0);
  return NULL;
}

/* Boundaries and result of a fixed-chunk loop with a chain and a
 * reassociated float fold: the same output for every thread count. */
static double fixed_fold_val(int64_t i) { return fval(i) * 0.5; }

static void fixed_chunk(int64_t lo, int64_t hi, const void *env, void *buf) {
  const struct pydron_loop *loop = *(const struct pydron_loop *const *)env;
  double s;
  memcpy(&s, buf, sizeof s);
  double *v = (double *)((char *)buf + PYDRON_VALUES_OFFSET(loop));
  for (int64_t i = lo; i < hi; i++) {
    s += fixed_fold_val(i);
    v[i - lo] = fval(i);
  }
  memcpy(buf, &s, sizeof s);
}

static void fixed_chain(int64_t lo, int64_t hi, const void *env,
                        const void *values, void *state) {
  if (atomic_fetch_add(&in_chain, 1) != 0)
    atomic_fetch_add(&overlap, 1);
  CHECK(ncalls < (int)(sizeof calls / sizeof calls[0]), "too many calls");
  calls[ncalls].lo = lo;
  calls[ncalls].hi = hi;
  ncalls++;
  atomic_fetch_sub(&in_chain, 1);
  sum_chain(lo, hi, env, values, state);
}

static const struct pydron_fold fadd64 = {PYDRON_FOLD_ADD, PYDRON_TYPE_F64,
                                          0};

static int run_fixed(void) {
  const struct pydron_loop *loop = &loops[L_FIXED];
  const void *env = &loop;
  double result[2] = {0.0, 0.0}; /* fold, chain state */
  int64_t n = 3000017;
  ncalls = 0;
  CHECK(pydron_parallel_for(loop, n, env, result) == 1, "fixed declined");
  CHECK(atomic_load(&overlap) == 0, "chain calls overlapped");
  uint64_t h = 1469598103934665603u;
  int64_t at = 0;
  for (int c = 0; c < ncalls; c++) {
    CHECK(calls[c].lo == at, "call %d starts at %lld, not %lld", c,
          (long long)calls[c].lo, (long long)at);
    at = calls[c].hi;
    h = (h ^ (uint64_t)at) * 1099511628211u;
  }
  CHECK(at == n, "chain stopped at %lld", (long long)at);
  /* The chain is exact (in order); the fold is reassociated over the
   * fixed chunks, so it only has to repeat. */
  double want = 0;
  for (int64_t i = 0; i < n; i++)
    want += fval(i);
  CHECK(memcmp(&want, &result[1], 8) == 0, "fixed chain %a vs %a",
        result[1], want);
  printf("chunks %d boundaries %016llx result %a %a\n", ncalls,
         (unsigned long long)h, result[0], result[1]);
  return 0;
}

int main(int argc, char **argv) {
  small = argc > 1 && !strcmp(argv[1], "small");
  loops[L_SUM] = rt_chain(rt_loop("chain:sum", sum_chunk, 0, NULL, 0, 0, 0),
                          sum_chain, 8, 8);
  loops[L_DECAY] = rt_chain(
      rt_loop("chain:decay", sum_chunk, 0, NULL, 0, 0, 0), decay_chain, 8, 8);
  loops[L_TWO] = rt_chain(rt_loop("chain:two", two_chunk, 0, NULL, 0, 0, 0),
                          two_chain, sizeof(struct xy), 16);
  loops[L_FOLD] = rt_chain(
      rt_loop("chain:fold", fold_chunk, 4, &count32, 1, 0, 0), sum_chain, 8,
      8);
  loops[L_ORDER] = rt_chain(
      rt_loop("chain:order", order_chunk, 0, NULL, 0, 0, 0), order_chain, 8,
      8);
  loops[L_BIG] = rt_chain(rt_loop("chain:big", big_chunk, 0, NULL, 0, 0, 0),
                          big_chain, BIG, 8);
  loops[L_NESTED] = rt_chain(
      rt_loop("chain:nested", sum_chunk, 0, NULL, 0, 0, 0), nested_chain, 8,
      8);
  loops[L_FIXED] = rt_chain(rt_loop("chain:fixed", fixed_chunk, 8, &fadd64,
                                    1, 0, PYDRON_LOOP_FIXED_CHUNKS),
                            fixed_chain, 8, 8);
  rt_register("chain", loops, 8);

  if (argc > 1 && !strcmp(argv[1], "fixed"))
    return run_fixed();

  /* The data must expose order: adding in two halves differs. */
  {
    int64_t n = 200000;
    double seq = 0, a = 0, b = 0;
    for (int64_t i = 0; i < n; i++)
      seq += fval(i);
    for (int64_t i = 0; i < n / 2; i++)
      a += fval(i);
    for (int64_t i = n / 2; i < n; i++)
      b += fval(i);
    CHECK(seq != a + b, "test data does not expose reordering");
  }

  int64_t big_n = small ? 300007 : 3000017;
  double zero = 0.0, init = 2.5;
  check(L_SUM, big_n, &zero, 8, 1);
  check(L_SUM, big_n, &init, 8, 1);
  check(L_DECAY, big_n, &init, 8, 1);
  double ab[2] = {1.0, -3.0};
  check(L_TWO, big_n, ab, 16, 1);
  /* int32 count at 0, chain state (a double) at offset 4 */
  unsigned char fr[12];
  int32_t c0 = 7;
  double s0 = 0.5;
  memcpy(fr, &c0, 4);
  memcpy(fr + 4, &s0, 8);
  check(L_FOLD, big_n, fr, sizeof fr, 1);
  check(L_NESTED, big_n / 10, &zero, 8, 1);
  check(L_BIG, small ? 5 : 9, &zero, 8, 1);

  /* Many sizes, many calls (buffers are reused across runs). */
  static const int64_t sizes[] = {2, 3, 5, 17, 1000, 4099, 100003, 131073,
                                  262145, 1 << 20};
  for (unsigned s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    check(L_SUM, sizes[s], &init, 8, 0);
    check(L_DECAY, sizes[s], &init, 8, 0);
  }

  /* Calls: in order, contiguous, each once, one at a time. */
  for (int r = 0; r < 3; r++) {
    int64_t n = (small ? 400000 : 4000000) + r * 12345, s = 0;
    ncalls = 0;
    const struct pydron_loop *loop = &loops[L_ORDER];
    int ran = pydron_parallel_for(loop, n, &loop, &s);
    if (!ran)
      continue;
    CHECK(atomic_load(&overlap) == 0, "chain calls overlapped");
    int64_t at = 0;
    for (int c = 0; c < ncalls; c++) {
      CHECK(calls[c].lo == at && calls[c].hi > at,
            "call %d is [%lld, %lld), expected to start at %lld", c,
            (long long)calls[c].lo, (long long)calls[c].hi, (long long)at);
      /* 8-byte values: at most 1 MiB of them per chunk */
      CHECK(calls[c].hi - calls[c].lo <= (1 << 17), "chunk of %lld",
            (long long)(calls[c].hi - calls[c].lo));
      at = calls[c].hi;
    }
    CHECK(at == n, "chain ended at %lld of %lld", (long long)at,
          (long long)n);
    CHECK(s == 3 * (n * (n - 1) / 2) + n, "sum %lld", (long long)s);
  }

  /* Two user threads: one finds the pool busy and runs sequentially. */
  int64_t n2 = small ? 200000 : 1000000;
  pthread_t t;
  CHECK(pthread_create(&t, NULL, other_user, &n2) == 0, "pthread_create");
  other_user(&n2);
  pthread_join(t, NULL);

  puts("ok");
  return 0;
}
