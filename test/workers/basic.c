// Hand-written shippable loops on a process worker: every iteration runs
// exactly once, writes come back, folds and an in-order chain give the
// same bits as with threads, and chunks really ran in another process.
// RUN: %clang_plain -O2 -I%S/../runtime/Inputs -I%S/Inputs %s %rt_link -o %t
// RUN: echo '{"workers": [{"type": "multicore", "cores": 2, "isolation": "process"}]}' > %t.conf
// RUN: env PYDRON_WORKERS=2 %t threads > %t.threads
// RUN: env PYDRON_CONF=%t.conf %t process > %t.process
// RUN: env PYDRON_CONF=%t.conf PYDRON_WORKERS=1 %t process > %t.process1
// RUN: env PYDRON_CONF=%t.conf PYDRON_WORKERS=3 %t process > %t.process3
// RUN: env PYDRON_CONF=%t.conf PYDRON_WORKERS=3 PYDRON_PROCESS_LOCAL=2 %t mixed > %t.mixed
// RUN: env PYDRON_WORKERS=2 PYDRON_TINY_CHUNKS=1 %t threads 3000 > %t.threads3000
// RUN: env PYDRON_CONF=%t.conf PYDRON_TINY_CHUNKS=1 %t process 3000 > %t.tiny
// RUN: diff %t.threads %t.process
// RUN: diff %t.threads %t.process1
// RUN: diff %t.threads %t.process3
// RUN: diff %t.threads %t.mixed
// RUN: diff %t.threads3000 %t.tiny
// RUN: FileCheck %s < %t.process
// RUN: env PYDRON_CONF=%t.conf PYDRON_REPORT=1 %t process 2>&1 >/dev/null | FileCheck %s --check-prefix=REPORT
// CHECK: map ok
// CHECK: folds {{[0-9a-f]+}} {{[0-9a-f]+}} {{.*}}
// CHECK: chain {{.*}}
// CHECK: local-only ok
// REPORT: pydron: workers (processes and hosts):
// REPORT-DAG: basic.c:{{[0-9]+}}  test  calls 3  chunks on workers {{[1-9][0-9]*}}
// REPORT-DAG: ran on threads: no footprint function (local-only
#include <math.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <unistd.h>

#include "workers_test.h"

static int64_t N = 200000;

/* ---- map: out[i] = f(in[i]); count[i]++; who[i] = getpid() ---- */
struct map_env {
  const double *in;
  double *out;
  uint32_t *count;
  int32_t *who;
  int64_t n;
};
static const struct pydron_env_slot map_slots[] = {
    SLOT(struct map_env, in, PYDRON_SLOT_POINTER),
    SLOT(struct map_env, out, PYDRON_SLOT_POINTER),
    SLOT(struct map_env, count, PYDRON_SLOT_POINTER),
    SLOT(struct map_env, who, PYDRON_SLOT_POINTER),
    SLOT(struct map_env, n, PYDRON_SLOT_VALUE),
};
static const uint8_t map_kinds[] = {PYDRON_RANGE_READ, PYDRON_RANGE_WRITE,
                                    PYDRON_RANGE_WRITE, PYDRON_RANGE_WRITE};
static void map_chunk(int64_t lo, int64_t hi, const void *envp, void *p) {
  const struct map_env *e = envp;
  (void)p;
  int32_t me = (int32_t)getpid();
  for (int64_t i = lo; i < hi; i++) {
    e->out[i] = sqrt(e->in[i]) * 3.0 + (double)i;
    e->count[i]++;
    e->who[i] = me;
  }
}
static void map_fp(int64_t lo, int64_t hi, const void *envp,
                   struct pydron_range *r) {
  const struct map_env *e = envp;
  r[0] = wt_range(e->in + lo, (size_t)(hi - lo) * sizeof *e->in);
  r[1] = wt_range(e->out + lo, (size_t)(hi - lo) * sizeof *e->out);
  r[2] = wt_range(e->count + lo, (size_t)(hi - lo) * sizeof *e->count);
  r[3] = wt_range(e->who + lo, (size_t)(hi - lo) * sizeof *e->who);
}

/* ---- folds: wrapping sum, xor, fixed-chunk float sum, float max ---- */
struct fold_env {
  const double *in;
};
static const struct pydron_env_slot fold_slots[] = {
    SLOT(struct fold_env, in, PYDRON_SLOT_POINTER),
};
static const uint8_t fold_kinds[] = {PYDRON_RANGE_READ};
static const struct pydron_fold folds[] = {
    {PYDRON_FOLD_ADD, PYDRON_TYPE_I64, 0},
    {PYDRON_FOLD_XOR, PYDRON_TYPE_I64, 8},
    {PYDRON_FOLD_ADD, PYDRON_TYPE_F64, 16},
    {PYDRON_FOLD_SEL_GT, PYDRON_TYPE_F64, 24},
    {PYDRON_FOLD_ADD, PYDRON_TYPE_I64, 32}, /* iterations run */
};
static void fold_chunk(int64_t lo, int64_t hi, const void *envp, void *p) {
  const struct fold_env *e = envp;
  uint64_t sum, x, cnt;
  double fs, mx;
  memcpy(&sum, (char *)p + 0, 8);
  memcpy(&x, (char *)p + 8, 8);
  memcpy(&fs, (char *)p + 16, 8);
  memcpy(&mx, (char *)p + 24, 8);
  memcpy(&cnt, (char *)p + 32, 8);
  for (int64_t i = lo; i < hi; i++) {
    uint64_t h = rt_hash((uint64_t)i);
    sum += h * 0x9e3779b97f4a7c15u;
    x ^= h;
    fs += e->in[i] / 7.0;
    double t = sin(e->in[i]);
    mx = t > mx ? t : mx;
    cnt++;
  }
  memcpy((char *)p + 0, &sum, 8);
  memcpy((char *)p + 8, &x, 8);
  memcpy((char *)p + 16, &fs, 8);
  memcpy((char *)p + 24, &mx, 8);
  memcpy((char *)p + 32, &cnt, 8);
}
static void fold_fp(int64_t lo, int64_t hi, const void *envp,
                    struct pydron_range *r) {
  const struct fold_env *e = envp;
  r[0] = wt_range(e->in + lo, (size_t)(hi - lo) * sizeof *e->in);
}

/* ---- chain: acc = acc * 0.5 + v[i], v[i] = in[i] * in[i] ---- */
static void chain_chunk(int64_t lo, int64_t hi, const void *envp, void *p) {
  const struct fold_env *e = envp;
  double *v = (double *)((char *)p + 0); /* partial_size 0: values at 0 */
  for (int64_t i = lo; i < hi; i++)
    v[i - lo] = e->in[i] * e->in[i];
}
static void chain_apply(int64_t lo, int64_t hi, const void *envp,
                        const void *values, void *state) {
  (void)envp;
  const double *v = values;
  double acc;
  memcpy(&acc, state, 8);
  for (int64_t i = lo; i < hi; i++)
    acc = acc * 0.5 + v[i - lo];
  memcpy(state, &acc, 8);
}

/* ---- a local-only loop (no footprint): runs on threads ---- */
static void local_chunk(int64_t lo, int64_t hi, const void *envp, void *p) {
  const struct map_env *e = envp;
  (void)p;
  for (int64_t i = lo; i < hi; i++)
    e->count[i] += 10;
}

static struct pydron_loop loops[5];

__attribute__((constructor(101))) static void setup(void) {
  loops[0] = wt_loop("basic:map", map_chunk, sizeof(struct map_env), map_fp,
                     map_kinds, 4, map_slots, 5);
  loops[0].cost = 100;
  loops[1] = wt_loop("basic:fold", fold_chunk, sizeof(struct fold_env),
                     fold_fp, fold_kinds, 1, fold_slots, 1);
  loops[1].partial_size = 40;
  loops[1].folds = folds;
  loops[1].num_folds = 5;
  loops[1].cost = 100;
  loops[1].flags |= PYDRON_LOOP_FIXED_CHUNKS;
  loops[2] = wt_loop("basic:chain", chain_chunk, sizeof(struct fold_env),
                     fold_fp, fold_kinds, 1, fold_slots, 1);
  loops[2] = rt_chain(loops[2], chain_apply, 8, 8);
  loops[2].cost = 100;
  loops[3] = rt_loop("basic:local", local_chunk, 0, NULL, 0, 100, 0);
  loops[3].env_size = sizeof(struct map_env);
  loops[3].file = __FILE__;
  loops[3].line = __LINE__;
  rt_register("basic", loops, 4);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "threads";
  int remote = strcmp(mode, "threads") != 0;
  if (argc > 2)
    N = atoll(argv[2]);
  double *in = malloc(N * sizeof *in), *out = calloc(N, sizeof *out);
  uint32_t *count = calloc(N, sizeof *count);
  int32_t *who = calloc(N, sizeof *who);
  for (int64_t i = 0; i < N; i++)
    in[i] = (double)(rt_hash((uint64_t)i) % 100000) / 10.0;
  int32_t me = (int32_t)getpid();

  struct map_env me_env = {in, out, count, who, N};
  for (int call = 0; call < 3; call++) {
    memset(count, 0, N * sizeof *count);
    int ran = pydron_parallel_for(&loops[0], N, &me_env, NULL);
    if (!ran) /* the generated code's sequential loop */
      map_chunk(0, N, &me_env, NULL);
    CHECK(ran || !remote, "map did not run in parallel");
    int64_t remote_its = 0;
    for (int64_t i = 0; i < N; i++) {
      CHECK(count[i] == 1, "iteration %lld ran %u times", (long long)i,
            count[i]);
      CHECK(out[i] == sqrt(in[i]) * 3.0 + (double)i, "out[%lld] wrong",
            (long long)i);
      remote_its += who[i] != me;
    }
    if (remote && strcmp(mode, "mixed") != 0)
      CHECK(remote_its == N, "only %lld of %lld iterations ran on the worker",
            (long long)remote_its, (long long)N);
    if (!remote)
      CHECK(remote_its == 0, "threads mode ran elsewhere");
  }
  printf("map ok\n");

  struct fold_env fe = {in};
  unsigned char res[40];
  uint64_t zero = 0;
  double ninf = -INFINITY, fz = 0.0;
  memcpy(res + 0, &zero, 8);
  memcpy(res + 8, &zero, 8);
  memcpy(res + 16, &fz, 8);
  memcpy(res + 24, &ninf, 8);
  memcpy(res + 32, &zero, 8);
  if (!pydron_parallel_for(&loops[1], N, &fe, res)) {
    CHECK(!remote, "fold declined");
    fold_chunk(0, N, &fe, res);
  }
  uint64_t sum, x, cnt;
  double fs, mx;
  memcpy(&sum, res, 8);
  memcpy(&x, res + 8, 8);
  memcpy(&fs, res + 16, 8);
  memcpy(&mx, res + 24, 8);
  memcpy(&cnt, res + 32, 8);
  CHECK(cnt == N, "fold counted %llu iterations", (unsigned long long)cnt);
  printf("folds %016llx %016llx %a %a\n", (unsigned long long)sum,
         (unsigned long long)x, fs, mx);

  double state = 1.0;
  double expect = 1.0;
  for (int64_t i = 0; i < N; i++)
    expect = expect * 0.5 + in[i] * in[i];
  if (!pydron_parallel_for(&loops[2], N, &fe, &state)) {
    CHECK(!remote, "chain declined");
    state = expect;
  }
  CHECK(memcmp(&state, &expect, 8) == 0, "chain %a, sequential %a", state,
        expect);
  printf("chain %a\n", state);

  memset(count, 0, N * sizeof *count);
  if (pydron_parallel_for(&loops[3], N, &me_env, NULL) != 1)
    local_chunk(0, N, &me_env, NULL);
  for (int64_t i = 0; i < N; i++)
    CHECK(count[i] == 10, "local-only iteration %lld: %u", (long long)i,
          count[i]);
  printf("local-only ok\n");
  free(in);
  free(out);
  free(count);
  free(who);
  return 0;
}
