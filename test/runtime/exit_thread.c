// exit() while parallel loops are running: called by the main thread while
// another thread is in a loop, by a thread while main is in a loop, and from
// inside a chunk. The process exits with the status given, without a crash
// or a hang.
// RUN: %clang_plain -O2 -I%S/Inputs %s %rt_link -o %t
// RUN: env PYDRON_WORKERS=4 %t main
// RUN: env PYDRON_WORKERS=4 %t thread
// RUN: env PYDRON_WORKERS=4 %t chunk
// RUN: env PYDRON_WORKERS=2 %t main
// RUN: env PYDRON_WORKERS=2 %t thread
// RUN: env PYDRON_WORKERS=2 %t chunk
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "rt_test.h"

static struct pydron_loop loops[2];
static atomic_int running;
static atomic_llong exit_at = -1;

static void chunk(int64_t lo, int64_t hi, const void *env, void *partial) {
  (void)env;
  int64_t s;
  memcpy(&s, partial, sizeof s);
  for (int64_t i = lo; i < hi; i++) {
    s += i;
    if (i == atomic_load_explicit(&exit_at, memory_order_relaxed))
      exit(0);
  }
  memcpy(partial, &s, sizeof s);
}

static void loop_forever(void) {
  for (;;) {
    int64_t s = 0, n = 300000;
    if (!pydron_parallel_for(&loops[0], n, NULL, &s))
      for (int64_t i = 0; i < n; i++)
        s += i;
    CHECK(s == n * (n - 1) / 2, "wrong sum %lld", (long long)s);
    atomic_store(&running, 1);
  }
}

static void *looper(void *arg) {
  (void)arg;
  loop_forever();
  return NULL;
}

static void *exiter(void *arg) {
  (void)arg;
  while (!atomic_load(&running))
    ;
  usleep(20000);
  exit(0);
}

static const struct pydron_fold sum = {PYDRON_FOLD_ADD, PYDRON_TYPE_I64, 0};

int main(int argc, char **argv) {
  CHECK(argc == 2, "usage: exit_thread main|thread|chunk");
  alarm(30);
  loops[0] = rt_loop("exit:0", chunk, 8, &sum, 1, 0, 0);
  rt_register("exit", loops, 1);
  pthread_t t;
  if (!strcmp(argv[1], "main")) {
    CHECK(pthread_create(&t, NULL, looper, NULL) == 0, "pthread_create");
    while (!atomic_load(&running))
      ;
    usleep(20000);
    exit(0);
  }
  if (!strcmp(argv[1], "thread")) {
    CHECK(pthread_create(&t, NULL, exiter, NULL) == 0, "pthread_create");
    loop_forever();
  }
  /* chunk: one iteration somewhere in the middle calls exit(). */
  CHECK(pthread_create(&t, NULL, looper, NULL) == 0, "pthread_create");
  while (!atomic_load(&running))
    ;
  atomic_store(&exit_at, 123457);
  loop_forever();
}
