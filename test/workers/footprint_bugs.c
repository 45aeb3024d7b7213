// A footprint that is wrong must fail loudly on process workers, naming
// loop, chunk and signal, never give silently wrong data:
//  - under:    the footprint covers half of what the chunk reads: the
//              read lands in a guard page of the shipped object;
//  - poison:   the chunk uses an env pointer that points into no range of
//              the footprint: it was poisoned;
//  - readonly: the chunk writes memory its footprint says it only reads;
//  - nextto:   the chunk writes one element past its WRITE range (inside
//              the same page): the worker's diff sees it.
// With threads the same (buggy) descriptors run fine: the memory is there.
// RUN: %clang_plain -O2 -I%S/../runtime/Inputs -I%S/Inputs %s %rt_link -o %t
// RUN: echo '{"workers": [{"type": "multicore", "cores": 1, "isolation": "process"}]}' > %t.conf
// RUN: env PYDRON_WORKERS=2 %t under | FileCheck %s --check-prefix=THREADS
// RUN: env PYDRON_WORKERS=2 %t readonly | FileCheck %s --check-prefix=THREADS
// RUN: env PYDRON_CONF=%t.conf %t ok | FileCheck %s --check-prefix=THREADS
// RUN: env PYDRON_CONF=%t.conf not --crash %t under 2>&1 | FileCheck %s --check-prefix=UNDER
// RUN: env PYDRON_CONF=%t.conf not --crash %t poison 2>&1 | FileCheck %s --check-prefix=POISON
// RUN: env PYDRON_CONF=%t.conf not --crash %t readonly 2>&1 | FileCheck %s --check-prefix=READONLY
// RUN: env PYDRON_CONF=%t.conf not --crash %t nextto 2>&1 | FileCheck %s --check-prefix=NEXTTO
// THREADS: done
// UNDER: pydron: worker: loop fp:under (under at {{.*}}footprint_bugs.c:{{[0-9]+}}), iterations [0, {{[0-9]+}}): SIGSEGV at 0x{{[0-9a-f]+}} (master address 0x{{[0-9a-f]+}}): outside the shipped intervals, in a guard page: the loop's footprint under-estimates what the chunk reads or writes
// UNDER: pydron: loop fp:under: chunk [0, {{[0-9]+}}) crashed on process worker 1 (pid {{[0-9]+}}); retrying it on another worker ("chunk_retries": 1)
// UNDER: pydron: process worker 1 restarted
// UNDER: pydron: loop fp:under (under at {{.*}}footprint_bugs.c:{{[0-9]+}}): chunk [0, {{[0-9]+}}) crashed on process worker 1 (pid [[PID1:[0-9]+]]): {{.*}}SIGSEGV {{.*}} in a guard page
// UNDER-NEXT: pydron: retried on process worker 1 (pid {{[0-9]+}}), it crashed again: {{.*}}SIGSEGV
// UNDER-NEXT: pydron: stopping: the sequential loop would not have failed, so the results cannot be trusted. Likely causes: a footprint the plugin under-estimated {{.*}} The chunk is never rerun on this process
// UNDER-NOT: done
// POISON: chunk [{{[0-9]+}}, {{[0-9]+}}) crashed on process worker 1 (pid {{[0-9]+}}): {{.*}}SIGSEGV at 0x{{[0-9a-f]+}}: through an env pointer that points into no shipped object
// POISON: it crashed again
// POISON-NOT: done
// READONLY: chunk [{{[0-9]+}}, {{[0-9]+}}) crashed on process worker 1 (pid {{[0-9]+}}): {{.*}}SIGSEGV {{.*}}: a write into memory the footprint says is only read
// READONLY-NOT: done
// NEXTTO: pydron: loop fp:nextto (nextto at {{.*}}): chunk [{{[0-9]+}}, {{[0-9]+}}) wrote outside its footprint on process worker 1 (pid {{[0-9]+}}): loop fp:nextto, iterations [{{[0-9]+}}, {{[0-9]+}}): the chunk wrote next to shipped interval
// NEXTTO: it wrote outside its footprint again
// NEXTTO-NOT: done
// With "chunk_retries": 0 the first crash stops the program.
// RUN: echo '{"workers": [{"type": "multicore", "cores": 1, "isolation": "process"}], "faults": {"chunk_retries": 0}}' > %t.noretry.conf
// RUN: env PYDRON_CONF=%t.noretry.conf not --crash %t under 2>&1 | FileCheck %s --check-prefix=NORETRY
// NORETRY-NOT: retrying
// NORETRY: chunk [0, {{[0-9]+}}) crashed on process worker 1 (pid {{[0-9]+}}): {{.*}}SIGSEGV
// NORETRY-NEXT: pydron: stopping:
#include "workers_test.h"

#define N 100000

struct env {
  const double *in;
  double *out;
  const double *aux; /* used only by the poison case */
};
static const struct pydron_env_slot slots[] = {
    SLOT(struct env, in, PYDRON_SLOT_POINTER),
    SLOT(struct env, out, PYDRON_SLOT_POINTER),
    SLOT(struct env, aux, PYDRON_SLOT_POINTER),
};
static const uint8_t rw[] = {PYDRON_RANGE_READ, PYDRON_RANGE_WRITE};
static const uint8_t rr[] = {PYDRON_RANGE_READ, PYDRON_RANGE_READ};

static void chunk(int64_t lo, int64_t hi, const void *envp, void *p) {
  const struct env *e = envp;
  (void)p;
  for (int64_t i = lo; i < hi; i++)
    e->out[i] = e->in[i] + 1;
}
static void chunk_aux(int64_t lo, int64_t hi, const void *envp, void *p) {
  const struct env *e = envp;
  (void)p;
  for (int64_t i = lo; i < hi; i++)
    e->out[i] = e->in[i] + e->aux[i % 8];
}
static void chunk_past(int64_t lo, int64_t hi, const void *envp, void *p) {
  const struct env *e = envp;
  (void)p;
  for (int64_t i = lo; i < hi; i++)
    e->out[i] = e->in[i] + 1;
  if (hi < N)
    e->out[hi] = 12345; /* one past the chunk: another chunk's element */
}
static void fp_ok(int64_t lo, int64_t hi, const void *envp,
                  struct pydron_range *r) {
  const struct env *e = envp;
  r[0] = wt_range(e->in + lo, (size_t)(hi - lo) * 8);
  r[1] = wt_range(e->out + lo, (size_t)(hi - lo) * 8);
}
static void fp_under(int64_t lo, int64_t hi, const void *envp,
                     struct pydron_range *r) {
  const struct env *e = envp;
  r[0] = wt_range(e->in + lo, (size_t)(hi - lo) / 2 * 8);
  r[1] = wt_range(e->out + lo, (size_t)(hi - lo) * 8);
}

static struct pydron_loop loops[5];

__attribute__((constructor(101))) static void setup(void) {
  loops[0] = wt_loop("fp:ok", chunk, sizeof(struct env), fp_ok, rw, 2, slots,
                     3);
  loops[0].function = "ok";
  loops[1] = wt_loop("fp:under", chunk, sizeof(struct env), fp_under, rw, 2,
                     slots, 3);
  loops[1].function = "under";
  loops[2] = wt_loop("fp:poison", chunk_aux, sizeof(struct env), fp_ok, rw, 2,
                     slots, 3);
  loops[2].function = "poison";
  loops[3] = wt_loop("fp:readonly", chunk, sizeof(struct env), fp_ok, rr, 2,
                     slots, 3);
  loops[3].function = "readonly";
  loops[4] = wt_loop("fp:nextto", chunk_past, sizeof(struct env), fp_ok, rw,
                     2, slots, 3);
  loops[4].function = "nextto";
  for (int i = 0; i < 5; i++)
    loops[i].cost = 1000;
  rt_register("fp", loops, 5);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "ok";
  int k = !strcmp(mode, "under")      ? 1
          : !strcmp(mode, "poison")   ? 2
          : !strcmp(mode, "readonly") ? 3
          : !strcmp(mode, "nextto")   ? 4
                                      : 0;
  double *in = malloc(N * sizeof *in), *out = malloc(N * sizeof *out);
  static double aux[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  for (int i = 0; i < N; i++)
    in[i] = i;
  struct env e = {in, out, aux};
  if (!pydron_parallel_for(&loops[k], N, &e, NULL))
    loops[k].chunk(0, N, &e, NULL);
  for (int i = 0; i < N; i++)
    CHECK(out[i] == in[i] + 1 || (k == 4 && out[i] == 12345), "out[%d]", i);
  printf("done\n");
  free(in);
  free(out);
  return 0;
}
