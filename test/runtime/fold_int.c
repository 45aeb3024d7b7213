// Every integer fold op at every integer width: the parallel result must be
// bit for bit the sequential one, and every chunk must start at identities.
// RUN: %clang_plain -O2 -I%S/Inputs %s %rt_link -o %t
// RUN: %t
// RUN: env PYDRON_WORKERS=1 %t
// RUN: env PYDRON_WORKERS=2 %t
// RUN: env PYDRON_WORKERS=4 %t
#include <stdatomic.h>

#include "rt_test.h"

enum { NOPS = 9, NTYPES = 4, N = 200003 };
static const uint16_t ops[NOPS] = {
    PYDRON_FOLD_ADD,  PYDRON_FOLD_MUL,  PYDRON_FOLD_AND,
    PYDRON_FOLD_OR,   PYDRON_FOLD_XOR,  PYDRON_FOLD_SMIN,
    PYDRON_FOLD_SMAX, PYDRON_FOLD_UMIN, PYDRON_FOLD_UMAX};
static const uint16_t types[NTYPES] = {PYDRON_TYPE_I8, PYDRON_TYPE_I16,
                                       PYDRON_TYPE_I32, PYDRON_TYPE_I64};

/* The partial/result layout: one slot per (type, op), deliberately packed
 * so that wider slots sit at unaligned offsets. */
struct acc {
  int8_t i8[NOPS];
  int16_t i16[NOPS];
  int32_t i32[NOPS];
  int64_t i64[NOPS];
} __attribute__((packed));

/* The test's own reading of each op, written with native C types. */
#define APPLY(T, UT)                                                           \
  static T apply_##T(int op, T a, T x) {                                       \
    UT ua = (UT)a, ux = (UT)x;                                                 \
    switch (op) {                                                              \
    case PYDRON_FOLD_ADD: return (T)(UT)(ua + ux);                             \
    case PYDRON_FOLD_MUL: return (T)(UT)((uint64_t)ua * ux);                   \
    case PYDRON_FOLD_AND: return (T)(ua & ux);                                 \
    case PYDRON_FOLD_OR: return (T)(ua | ux);                                  \
    case PYDRON_FOLD_XOR: return (T)(ua ^ ux);                                 \
    case PYDRON_FOLD_SMIN: return x < a ? x : a;                               \
    case PYDRON_FOLD_SMAX: return x > a ? x : a;                               \
    case PYDRON_FOLD_UMIN: return ux < ua ? x : a;                             \
    case PYDRON_FOLD_UMAX: return ux > ua ? x : a;                             \
    }                                                                          \
    abort();                                                                   \
  }
APPLY(int8_t, uint8_t)
APPLY(int16_t, uint16_t)
APPLY(int32_t, uint32_t)
APPLY(int64_t, uint64_t)

/* Iteration i's value for op k: odd for MUL (so products stay non-zero),
 * nearly all ones for AND (so it does not collapse to 0 at once). */
static uint64_t value(int k, int64_t i) {
  uint64_t h = rt_hash((uint64_t)i * 16 + (uint64_t)k);
  if (ops[k] == PYDRON_FOLD_MUL)
    return h | 1;
  if (ops[k] == PYDRON_FOLD_AND)
    return i % 20011 == 7 ? ~((uint64_t)1 << (h % 64)) : ~(uint64_t)0;
  return h;
}

static void identity(struct acc *a) {
  for (int k = 0; k < NOPS; k++) {
    switch (ops[k]) {
    case PYDRON_FOLD_MUL:
      a->i8[k] = 1; a->i16[k] = 1; a->i32[k] = 1; a->i64[k] = 1; break;
    case PYDRON_FOLD_AND: case PYDRON_FOLD_UMIN:
      a->i8[k] = -1; a->i16[k] = -1; a->i32[k] = -1; a->i64[k] = -1; break;
    case PYDRON_FOLD_SMIN:
      a->i8[k] = INT8_MAX; a->i16[k] = INT16_MAX; a->i32[k] = INT32_MAX;
      a->i64[k] = INT64_MAX; break;
    case PYDRON_FOLD_SMAX:
      a->i8[k] = INT8_MIN; a->i16[k] = INT16_MIN; a->i32[k] = INT32_MIN;
      a->i64[k] = INT64_MIN; break;
    default:
      a->i8[k] = 0; a->i16[k] = 0; a->i32[k] = 0; a->i64[k] = 0; break;
    }
  }
}

static void fold_range(struct acc *a, int64_t lo, int64_t hi) {
  for (int64_t i = lo; i < hi; i++) {
    for (int k = 0; k < NOPS; k++) {
      uint64_t v = value(k, i);
      int8_t x8 = apply_int8_t(ops[k], a->i8[k], (int8_t)v);
      int16_t x16 = apply_int16_t(ops[k], a->i16[k], (int16_t)v);
      int32_t x32 = apply_int32_t(ops[k], a->i32[k], (int32_t)v);
      int64_t x64 = apply_int64_t(ops[k], a->i64[k], (int64_t)v);
      a->i8[k] = x8; a->i16[k] = x16; a->i32[k] = x32; a->i64[k] = x64;
    }
  }
}

static atomic_int bad_identity, chunks;

static void chunk(int64_t lo, int64_t hi, const void *env, void *partial) {
  (void)env;
  struct acc want, got;
  identity(&want);
  memcpy(&got, partial, sizeof got);
  if (memcmp(&want, &got, sizeof got) != 0)
    atomic_fetch_add(&bad_identity, 1);
  fold_range(&got, lo, hi);
  memcpy(partial, &got, sizeof got);
  atomic_fetch_add(&chunks, 1);
}

int main(void) {
  static struct pydron_fold folds[NOPS * NTYPES];
  int nf = 0;
  for (int t = 0; t < NTYPES; t++)
    for (int k = 0; k < NOPS; k++) {
      static const uint32_t base[NTYPES] = {
          offsetof(struct acc, i8), offsetof(struct acc, i16),
          offsetof(struct acc, i32), offsetof(struct acc, i64)};
      static const uint32_t size[NTYPES] = {1, 2, 4, 8};
      folds[nf++] = (struct pydron_fold){ops[k], types[t],
                                         base[t] + (uint32_t)k * size[t]};
    }
  static struct pydron_loop loop[1];
  loop[0] = rt_loop("fold_int:0", chunk, sizeof(struct acc), folds,
                    (uint32_t)nf, 0, 0);
  rt_register("fold_int", loop, 1);

  /* Incoming values that are not identities. */
  struct acc init;
  for (int k = 0; k < NOPS; k++) {
    uint64_t h = rt_hash(1000 + (uint64_t)k);
    if (ops[k] == PYDRON_FOLD_MUL)
      h |= 1;
    if (ops[k] == PYDRON_FOLD_AND)
      h = ~(uint64_t)0x10;
    init.i8[k] = (int8_t)h; init.i16[k] = (int16_t)h;
    init.i32[k] = (int32_t)h; init.i64[k] = (int64_t)h;
  }
  struct acc want = init;
  fold_range(&want, 0, N);

  for (int rep = 0; rep < 3; rep++) {
    struct acc got = init;
    atomic_store(&chunks, 0);
    int ran = pydron_parallel_for(&loop[0], N, NULL, &got);
    CHECK(ran == rt_parallel_expected(), "pydron_parallel_for returned %d",
          ran);
    if (!ran) {
      CHECK(memcmp(&got, &init, sizeof got) == 0, "result touched");
      fold_range(&got, 0, N); /* what the caller's sequential loop does */
    }
    CHECK(atomic_load(&bad_identity) == 0, "a chunk's partial did not start "
                                           "at the identities");
    for (int t = 0; t < NTYPES; t++)
      for (int k = 0; k < NOPS; k++) {
        int64_t w, g;
        switch (t) {
        case 0: w = want.i8[k]; g = got.i8[k]; break;
        case 1: w = want.i16[k]; g = got.i16[k]; break;
        case 2: w = want.i32[k]; g = got.i32[k]; break;
        default: w = want.i64[k]; g = got.i64[k]; break;
        }
        CHECK(w == g, "type %d op %d: got %lld, want %lld", types[t], ops[k],
              (long long)g, (long long)w);
      }
  }
  printf("ok, %d chunks in the last run\n", atomic_load(&chunks));
  return 0;
}
