// A chunk that crashes once on a worker (not the chunk's fault: say a
// machine's memory error) is retried on another worker and the program
// completes with the right results; the master never runs it itself.
// The chunk crashes when it can remove a flag file (so exactly once, in
// whichever worker gets there first), a stand-in for a transient fault.
// RUN: %clang_plain -O2 -I%S/../runtime/Inputs -I%S/Inputs %s %rt_link -o %t
// RUN: echo '{"workers": [{"type": "multicore", "cores": 2, "isolation": "process"}]}' > %t.conf
// RUN: rm -f %t.flag && touch %t.flag
// RUN: env PYDRON_CONF=%t.conf PYDRON_REPORT=1 CRASH_FLAG=%t.flag %t 2>&1 | FileCheck %s
// CHECK: pydron: worker: loop once:add ({{.*}}), iterations [{{[0-9]+}}, {{[0-9]+}}): SIGSEGV
// CHECK: pydron: loop once:add: chunk [{{[0-9]+}}, {{[0-9]+}}) crashed on process worker 1 (pid {{[0-9]+}}); retrying it on another worker ("chunk_retries": 1)
// CHECK: pydron: process worker 1 restarted
// CHECK: faults: workers lost 1, restarted 1, stalled 0; chunks crashed 1, rerun {{[1-9][0-9]*}}
// CHECK: done
// The flag is gone: the crash really happened (in a worker).
// RUN: test ! -e %t.flag
#include <signal.h>
#include <stdio.h>

#include "workers_test.h"

#define N 100000

struct env {
  const double *in;
  double *out;
};
static const struct pydron_env_slot slots[] = {
    SLOT(struct env, in, PYDRON_SLOT_POINTER),
    SLOT(struct env, out, PYDRON_SLOT_POINTER),
};
static const uint8_t rw[] = {PYDRON_RANGE_READ, PYDRON_RANGE_WRITE};

static void chunk(int64_t lo, int64_t hi, const void *envp, void *p) {
  const struct env *e = envp;
  (void)p;
  const char *flag = getenv("CRASH_FLAG");
  if (lo > 0 && flag && getenv("PYDRON_WORKER") && unlink(flag) == 0)
    raise(SIGSEGV);
  for (int64_t i = lo; i < hi; i++)
    e->out[i] = e->in[i] + 1;
}
static void fp(int64_t lo, int64_t hi, const void *envp,
               struct pydron_range *r) {
  const struct env *e = envp;
  r[0] = wt_range(e->in + lo, (size_t)(hi - lo) * 8);
  r[1] = wt_range(e->out + lo, (size_t)(hi - lo) * 8);
}

static struct pydron_loop loop;

__attribute__((constructor(101))) static void setup(void) {
  loop = wt_loop("once:add", chunk, sizeof(struct env), fp, rw, 2, slots, 2);
  loop.function = "add";
  loop.cost = 1000;
  rt_register("once", &loop, 1);
}

int main(void) {
  double *in = malloc(N * sizeof *in), *out = malloc(N * sizeof *out);
  for (int i = 0; i < N; i++) {
    in[i] = i;
    out[i] = -1;
  }
  struct env e = {in, out};
  if (!pydron_parallel_for(&loop, N, &e, NULL))
    loop.chunk(0, N, &e, NULL);
  for (int i = 0; i < N; i++)
    CHECK(out[i] == in[i] + 1, "out[%d]", i);
  printf("done\n");
  free(in);
  free(out);
  return 0;
}
