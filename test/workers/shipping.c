// Shipping rules on process workers, each checked against the sequential
// result:
//  - columns:  chunks of columns write interleaved elements of the same
//              rows; their footprint hulls overlap, so write-back must
//              carry exactly the changed bytes (a diff), never whole hulls;
//  - strided:  every chunk writes the even elements, its footprint is the
//              whole array (as the plugin emits for such patterns);
//  - alias:    two env pointers into one array (adjacent halves), the same
//              pointer twice, and a pointer one element after another stay
//              related on the worker as on the master;
//  - table:    a read-only table, big enough to be kept by the worker, is
//              changed between two calls of the same loop: the changed
//              contents must be used (never a stale copy); unchanged, it
//              is reused from the worker's cache.
// RUN: %clang_plain -O2 -I%S/../runtime/Inputs -I%S/Inputs %s %rt_link -o %t
// RUN: echo '{"workers": [{"type": "multicore", "cores": 2, "isolation": "process"}]}' > %t.conf
// RUN: env PYDRON_WORKERS=2 %t | FileCheck %s
// RUN: env PYDRON_CONF=%t.conf %t | FileCheck %s
// RUN: env PYDRON_CONF=%t.conf PYDRON_WORKERS=4 %t | FileCheck %s
// RUN: env PYDRON_CONF=%t.conf PYDRON_WORKERS=3 PYDRON_PROCESS_LOCAL=2 %t | FileCheck %s
// RUN: env PYDRON_CONF=%t.conf PYDRON_REPORT=1 %t 2>&1 >/dev/null | FileCheck %s --check-prefix=REPORT
// Master and worker under ThreadSanitizer (dispatcher, receiver, worker
// reader and task threads, static-storage locking):
// RUN: %clang -fsanitize=thread -O1 -g -std=c11 -D_GNU_SOURCE -I%rt_include -I%src_root/runtime/src -I%S/../runtime/Inputs -I%S/Inputs %s %rt_sources -lpthread -lm -o %t.tsan
// RUN: env PYDRON_CONF=%t.conf TSAN_OPTIONS=halt_on_error=1:exitcode=66 %t.tsan 2>&1 | FileCheck %s --check-prefix=TSAN
// TSAN-NOT: WARNING: ThreadSanitizer
// TSAN-NOT: pydron:
// TSAN: table ok
// CHECK: columns ok
// CHECK: strided ok
// CHECK: alias ok
// CHECK: table ok
// REPORT: shipping.c:{{[0-9]+}}  table  calls 5  chunks on workers {{[1-9][0-9]*}}, here 0, shipped {{.*}} MB out, {{.*}} MB back, {{[1-9][0-9.]*}} MB reused from workers' caches
#include "workers_test.h"

static int64_t H = 300, W = 1000;

static int call(const struct pydron_loop *l, int64_t n, const void *env) {
  if (pydron_parallel_for(l, n, env, NULL))
    return 1;
  l->chunk(0, n, env, NULL); /* the generated code's sequential loop */
  return 0;
}

/* ---- columns: out[i*w + j] = running sum of in[.. + j] down column j --- */
struct col_env {
  const double *in;
  double *out;
  int64_t h, w;
};
static const struct pydron_env_slot col_slots[] = {
    SLOT(struct col_env, in, PYDRON_SLOT_POINTER),
    SLOT(struct col_env, out, PYDRON_SLOT_POINTER),
    SLOT(struct col_env, h, PYDRON_SLOT_VALUE),
    SLOT(struct col_env, w, PYDRON_SLOT_VALUE),
};
static const uint8_t rw[] = {PYDRON_RANGE_READ, PYDRON_RANGE_WRITE};
static void col_chunk(int64_t lo, int64_t hi, const void *envp, void *p) {
  const struct col_env *e = envp;
  (void)p;
  for (int64_t j = lo; j < hi; j++) {
    double acc = 0;
    for (int64_t i = 0; i < e->h; i++) {
      acc += e->in[i * e->w + j];
      e->out[i * e->w + j] = acc;
    }
  }
}
static void col_fp(int64_t lo, int64_t hi, const void *envp,
                   struct pydron_range *r) {
  const struct col_env *e = envp;
  size_t bytes = (size_t)((e->h - 1) * e->w + hi - lo) * 8;
  r[0] = wt_range(e->in + lo, bytes);
  r[1] = wt_range(e->out + lo, bytes);
}

/* ---- strided: a[2i] = f(i), footprint: all of a ---- */
struct str_env {
  double *a;
  int64_t n;
};
static const struct pydron_env_slot str_slots[] = {
    SLOT(struct str_env, a, PYDRON_SLOT_POINTER),
    SLOT(struct str_env, n, PYDRON_SLOT_VALUE),
};
static const uint8_t w1[] = {PYDRON_RANGE_WRITE};
static void str_chunk(int64_t lo, int64_t hi, const void *envp, void *p) {
  const struct str_env *e = envp;
  (void)p;
  for (int64_t i = lo; i < hi; i++)
    e->a[2 * i] = (double)i * 1.5 + e->a[2 * i];
}
static void str_fp(int64_t lo, int64_t hi, const void *envp,
                   struct pydron_range *r) {
  const struct str_env *e = envp;
  (void)lo, (void)hi;
  r[0] = wt_range(e->a, (size_t)(2 * e->n) * 8);
}

/* ---- alias: dst = src + n (one array), same = p (twice the same
 * pointer, read and written in place), next = r + 1 (a pointer one
 * element after another into a read-only array) ---- */
struct al_env {
  const double *src;
  double *dst;
  double *p;
  double *same;
  const double *r;
  const double *next;
  double *flags;
  int64_t n;
};
static const struct pydron_env_slot al_slots[] = {
    SLOT(struct al_env, src, PYDRON_SLOT_POINTER),
    SLOT(struct al_env, dst, PYDRON_SLOT_POINTER),
    SLOT(struct al_env, p, PYDRON_SLOT_POINTER),
    SLOT(struct al_env, same, PYDRON_SLOT_POINTER),
    SLOT(struct al_env, r, PYDRON_SLOT_POINTER),
    SLOT(struct al_env, next, PYDRON_SLOT_POINTER),
    SLOT(struct al_env, flags, PYDRON_SLOT_POINTER),
    SLOT(struct al_env, n, PYDRON_SLOT_VALUE),
};
static const uint8_t al_kinds[] = {
    PYDRON_RANGE_READ, PYDRON_RANGE_WRITE, PYDRON_RANGE_READ,
    PYDRON_RANGE_WRITE, PYDRON_RANGE_READ, PYDRON_RANGE_READ,
    PYDRON_RANGE_WRITE};
static void al_chunk(int64_t lo, int64_t hi, const void *envp, void *p) {
  const struct al_env *e = envp;
  (void)p;
  /* The pointers must relate as on the master. */
  int ok = e->dst == e->src + e->n && e->same == e->p && e->next == e->r + 1;
  for (int64_t i = lo; i < hi; i++) {
    e->dst[i] = e->src[i] * 2;
    e->same[i] = e->p[i] + 0.25 * e->next[i] - e->r[i];
    e->flags[i] = ok;
  }
}
static void al_fp(int64_t lo, int64_t hi, const void *envp,
                  struct pydron_range *r) {
  const struct al_env *e = envp;
  size_t k = (size_t)(hi - lo) * 8;
  r[0] = wt_range(e->src + lo, k);
  r[1] = wt_range(e->dst + lo, k);
  r[2] = wt_range(e->p + lo, k);
  r[3] = wt_range(e->same + lo, k);
  r[4] = wt_range(e->r + lo, k);
  r[5] = wt_range(e->next + lo, k);
  r[6] = wt_range(e->flags + lo, k);
}

/* ---- table: out[i] = in[i] + table[(i * 7) % T] ---- */
#define T 16384 /* 128 KiB: kept by workers */
struct tb_env {
  const double *in;
  double *out;
  const double *table;
};
static const struct pydron_env_slot tb_slots[] = {
    SLOT(struct tb_env, in, PYDRON_SLOT_POINTER),
    SLOT(struct tb_env, out, PYDRON_SLOT_POINTER),
    SLOT(struct tb_env, table, PYDRON_SLOT_POINTER),
};
static const uint8_t tb_kinds[] = {PYDRON_RANGE_READ, PYDRON_RANGE_WRITE,
                                   PYDRON_RANGE_READ};
static void tb_chunk(int64_t lo, int64_t hi, const void *envp, void *p) {
  const struct tb_env *e = envp;
  (void)p;
  for (int64_t i = lo; i < hi; i++)
    e->out[i] = e->in[i] + e->table[(i * 7) % T];
}
static void tb_fp(int64_t lo, int64_t hi, const void *envp,
                  struct pydron_range *r) {
  const struct tb_env *e = envp;
  r[0] = wt_range(e->in + lo, (size_t)(hi - lo) * 8);
  r[1] = wt_range(e->out + lo, (size_t)(hi - lo) * 8);
  r[2] = wt_range(e->table, T * 8);
}

static struct pydron_loop loops[4];

__attribute__((constructor(101))) static void setup(void) {
  loops[0] = wt_loop("ship:columns", col_chunk, sizeof(struct col_env),
                     col_fp, rw, 2, col_slots, 4);
  loops[0].function = "columns";
  loops[1] = wt_loop("ship:strided", str_chunk, sizeof(struct str_env),
                     str_fp, w1, 1, str_slots, 2);
  loops[1].function = "strided";
  loops[2] = wt_loop("ship:alias", al_chunk, sizeof(struct al_env), al_fp,
                     al_kinds, 7, al_slots, 8);
  loops[2].function = "alias";
  loops[3] = wt_loop("ship:table", tb_chunk, sizeof(struct tb_env), tb_fp,
                     tb_kinds, 3, tb_slots, 3);
  loops[3].function = "table";
  for (int i = 0; i < 4; i++)
    loops[i].cost = 2000;
  rt_register("ship", loops, 4);
}

static void same(const double *a, const double *b, int64_t n,
                 const char *what) {
  CHECK(memcmp(a, b, (size_t)n * 8) == 0, "%s differs from sequential", what);
}

int main(void) {
  /* columns */
  double *in = malloc((size_t)(H * W) * 8), *out = malloc((size_t)(H * W) * 8);
  double *ref = malloc((size_t)(H * W) * 8);
  for (int64_t k = 0; k < H * W; k++) {
    in[k] = (double)(rt_hash((uint64_t)k) % 1000) / 7.0;
    out[k] = ref[k] = -1;
  }
  struct col_env ce = {in, out, H, W}, cref = {in, ref, H, W};
  call(&loops[0], W, &ce);
  col_chunk(0, W, &cref, NULL);
  same(out, ref, H * W, "columns");
  printf("columns ok\n");

  /* strided: odd elements hold values no chunk writes */
  int64_t n = 200000;
  double *a = malloc((size_t)(2 * n) * 8), *b = malloc((size_t)(2 * n) * 8);
  for (int64_t k = 0; k < 2 * n; k++)
    a[k] = b[k] = (double)k * -0.5;
  struct str_env se = {a, n}, sref = {b, n};
  for (int rep = 0; rep < 2; rep++) {
    call(&loops[1], n, &se);
    str_chunk(0, n, &sref, NULL);
    same(a, b, 2 * n, "strided");
  }
  printf("strided ok\n");

  /* alias */
  int64_t m = 100000;
  double *buf = malloc((size_t)(2 * m) * 8), *pp = malloc((size_t)m * 8);
  double *rr = malloc((size_t)(m + 1) * 8), *flags = malloc((size_t)m * 8);
  double *buf2 = malloc((size_t)(2 * m) * 8), *pp2 = malloc((size_t)m * 8);
  double *flags2 = malloc((size_t)m * 8);
  for (int64_t k = 0; k < 2 * m; k++)
    buf[k] = buf2[k] = (double)k;
  for (int64_t k = 0; k < m; k++)
    pp[k] = pp2[k] = (double)(k % 17);
  for (int64_t k = 0; k <= m; k++)
    rr[k] = (double)(k % 5);
  struct al_env ae = {buf, buf + m, pp, pp, rr, rr + 1, flags, m};
  struct al_env aref = {buf2, buf2 + m, pp2, pp2, rr, rr + 1, flags2, m};
  call(&loops[2], m, &ae);
  al_chunk(0, m, &aref, NULL);
  same(buf, buf2, 2 * m, "alias (adjacent halves)");
  same(pp, pp2, m, "alias (in place)");
  for (int64_t i = 0; i < m; i++)
    CHECK(flags[i] == 1, "iteration %lld saw pointers related otherwise",
          (long long)i);
  printf("alias ok\n");

  /* table */
  int64_t q = 300000;
  double *tin = malloc((size_t)q * 8), *tout = malloc((size_t)q * 8);
  double *table = malloc(T * 8);
  for (int64_t k = 0; k < q; k++)
    tin[k] = (double)k;
  for (int k = 0; k < T; k++)
    table[k] = k * 1000.0;
  struct tb_env te = {tin, tout, table};
  for (int c = 0; c < 5; c++) {
    if (c == 2)
      table[7] = -1; /* changed between two calls */
    if (c == 3)
      for (int k = 0; k < T; k++)
        table[k] += 0.5;
    call(&loops[3], q, &te);
    for (int64_t i = 0; i < q; i++)
      CHECK(tout[i] == tin[i] + table[(i * 7) % T],
            "call %d: out[%lld] = %a, expected %a (a stale table?)", c,
            (long long)i, tout[i], tin[i] + table[(i * 7) % T]);
  }
  printf("table ok\n");
  free(in), free(out), free(ref), free(a), free(b), free(buf), free(pp);
  free(flags), free(buf2), free(pp2), free(flags2), free(rr), free(tin);
  free(tout), free(table);
  return 0;
}
