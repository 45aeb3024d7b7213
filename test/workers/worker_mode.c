// Worker mode of the user's own executable (PYDRON_WORKER set):
//  - it says hello first, serves until end of stream and exits 0; main,
//    user constructors and destructors never run;
//  - without PYDRON_WORKER_FD the protocol runs over stdin/stdout;
//  - in a chunk, the inherited protocol descriptor is closed (moved to a
//    high private number), fd 1 is stderr (a printf cannot corrupt the
//    stream) and nested loops run sequentially;
//  - a setuid program refuses worker mode (AT_SECURE).
// RUN: %clang_plain -O2 -I%S/../runtime/Inputs -I%S/Inputs %s %rt_link -o %t
// RUN: env PYDRON_WORKER=1 %t < /dev/null > %t.out 2> %t.err; echo "exit=$?" >> %t.err
// RUN: head -c 4 %t.out | FileCheck %s --check-prefix=HELLO
// RUN: FileCheck %s --check-prefix=QUIET < %t.err
// RUN: echo '{"workers": [{"type": "multicore", "cores": 2, "isolation": "process"}]}' > %t.conf
// RUN: env PYDRON_CONF=%t.conf %t > %t.run.out 2> %t.run.err
// RUN: FileCheck %s --check-prefix=OUT < %t.run.out
// RUN: FileCheck %s --check-prefix=OUTERR < %t.run.err
// RUN: cp %t %t.suid
// RUN: if [ "$(id -u)" = 0 ] && chown nobody %t.suid && chmod 4755 %t.suid && chmod o+rx %T; then env PYDRON_WORKER=1 %t.suid < /dev/null > %t.suid.out 2>&1; echo "exit=$?" >> %t.suid.out; else echo "cannot test setuid here (not root)" > %t.suid.out; fi
// RUN: FileCheck %s --check-prefix=SUID < %t.suid.out
// HELLO: PYDR
// QUIET-NOT: main ran
// QUIET-NOT: user constructor
// QUIET: exit=0
// OUT: main ran
// OUT-NOT: chunk says
// OUT: worker checks ok
// OUTERR: chunk says hello on stdout
// SUID: {{pydron: refusing worker mode \(PYDRON_WORKER is set\) in a setuid, setgid or otherwise privileged program \(AT_SECURE\)|cannot test setuid here}}
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "workers_test.h"

#define N 40000

struct env {
  int32_t *check;
};
static const struct pydron_env_slot slots[] = {
    SLOT(struct env, check, PYDRON_SLOT_POINTER),
};
static const uint8_t kinds[] = {PYDRON_RANGE_WRITE};
static struct pydron_loop loops[2];

static void inner_chunk(int64_t lo, int64_t hi, const void *envp, void *p) {
  (void)lo, (void)hi, (void)envp, (void)p;
}

static void chunk(int64_t lo, int64_t hi, const void *envp, void *p) {
  const struct env *e = envp;
  (void)p;
  struct stat s1, s2;
  int fd3_closed = fcntl(3, F_GETFD) == -1;
  int out_is_err = fstat(1, &s1) == 0 && fstat(2, &s2) == 0 &&
                   s1.st_dev == s2.st_dev && s1.st_ino == s2.st_ino;
  /* A nested loop: sequential in a worker. */
  int nested = pydron_parallel_for(&loops[1], 1000, NULL, NULL);
  if (lo == 0) {
    printf("chunk says hello on stdout\n");
    fflush(stdout);
  }
  for (int64_t i = lo; i < hi; i++)
    e->check[i] = (getpid() != e->check[i]) | fd3_closed << 1 |
                  out_is_err << 2 | (nested == 0) << 3;
}
static void fp(int64_t lo, int64_t hi, const void *envp,
               struct pydron_range *r) {
  const struct env *e = envp;
  r[0] = wt_range(e->check + lo, (size_t)(hi - lo) * 4);
}

__attribute__((constructor(101))) static void setup(void) {
  loops[0] = wt_loop("mode:1", chunk, sizeof(struct env), fp, kinds, 1, slots,
                     1);
  loops[0].cost = 5000;
  loops[1] = rt_loop("mode:inner", inner_chunk, 0, NULL, 0, 100000, 0);
  rt_register("mode", loops, 2);
}

__attribute__((constructor)) static void user_constructor(void) {
  fprintf(stderr, "user constructor\n");
}

int main(void) {
  printf("main ran\n");
  fflush(stdout);
  int32_t *check = malloc(N * sizeof *check);
  int32_t me = (int32_t)getpid();
  for (int i = 0; i < N; i++)
    check[i] = me;
  struct env e = {check};
  CHECK(pydron_parallel_for(&loops[0], N, &e, NULL), "not shipped");
  for (int i = 0; i < N; i++)
    CHECK(check[i] == 15, "iteration %d: checks %d (1: other process, 2: fd "
          "3 closed, 4: fd 1 is stderr, 8: nested loop sequential)", i,
          check[i]);
  printf("worker checks ok\n");
  free(check);
  return 0;
}
