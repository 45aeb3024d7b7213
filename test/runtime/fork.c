// fork(): the child gets a working runtime (the pool restarts there on
// demand), also when another thread of the parent is running parallel
// loops at the moment of the fork.
// RUN: %clang_plain -O2 -I%S/Inputs %s %rt_link -o %t
// RUN: env PYDRON_WORKERS=2 %t
// RUN: env PYDRON_WORKERS=4 %t
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_test.h"

static struct pydron_loop loops[1];
static atomic_int stop;

static void chunk(int64_t lo, int64_t hi, const void *env, void *partial) {
  (void)env;
  int64_t s;
  memcpy(&s, partial, sizeof s);
  for (int64_t i = lo; i < hi; i++)
    s += (int64_t)(rt_hash((uint64_t)i) & 0xffff);
  memcpy(partial, &s, sizeof s);
}

/* Runs the loop; returns 0 when the parallel result is right. */
static int check_loop(int64_t n) {
  int64_t s = 0, want = 0;
  for (int64_t i = 0; i < n; i++)
    want += (int64_t)(rt_hash((uint64_t)i) & 0xffff);
  if (pydron_parallel_for(&loops[0], n, NULL, &s) != 1)
    return 2;
  return s == want ? 0 : 3;
}

static void *busy(void *arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    int64_t s = 0;
    pydron_parallel_for(&loops[0], 200000, NULL, &s);
  }
  return NULL;
}

/* Forks; the child runs loops and exits with 0 when they were right. */
static void fork_and_check(const char *when) {
  pid_t pid = fork();
  CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    alarm(20); /* a deadlocked child fails instead of hanging the test */
    int rc = 0;
    for (int i = 0; i < 5 && !rc; i++)
      rc = check_loop(300000);
    _exit(rc);
  }
  int status;
  CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "%s: child failed (status 0x%x)", when, status);
}

static const struct pydron_fold sum = {PYDRON_FOLD_ADD, PYDRON_TYPE_I64, 0};

int main(void) {
  loops[0] = rt_loop("fork:0", chunk, 8, &sum, 1, 0, 0);
  rt_register("fork", loops, 1);

  fork_and_check("before the pool started");
  CHECK(check_loop(300000) == 0, "parent");
  fork_and_check("after the pool started");

  pthread_t t;
  CHECK(pthread_create(&t, NULL, busy, NULL) == 0, "pthread_create");
  for (int i = 0; i < 20; i++)
    fork_and_check("while another thread runs loops");
  atomic_store(&stop, 1);
  pthread_join(t, NULL);
  CHECK(check_loop(300000) == 0, "parent afterwards");
  puts("ok");
  return 0;
}
