// Workers get the process's CPU mask from load time, not the mask of the
// (pinned) user thread whose loop happened to start the pool; PYDRON_WORKERS
// unset means one thread per CPU of that mask.
// RUN: %clang_plain -O2 -I%S/Inputs %s %rt_link -o %t
// RUN: %t
// RUN: env PYDRON_WORKERS=3 %t
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

#include "rt_test.h"

int pydron_pool_threads(void); /* internal, linked from the static library */

static atomic_int widest, chunks;

static void chunk(int64_t lo, int64_t hi, const void *env, void *partial) {
  (void)env; (void)partial;
  cpu_set_t set;
  CHECK(sched_getaffinity(0, sizeof set, &set) == 0, "sched_getaffinity");
  int n = CPU_COUNT(&set), w = atomic_load(&widest);
  while (n > w && !atomic_compare_exchange_weak(&widest, &w, n))
    ;
  atomic_fetch_add(&chunks, 1);
  usleep((useconds_t)(300 * (hi - lo))); /* slow enough for every thread */
}

int main(void) {
  cpu_set_t all;
  CHECK(sched_getaffinity(0, sizeof all, &all) == 0, "sched_getaffinity");
  int cpus = CPU_COUNT(&all);
  int want = rt_workers() ? rt_workers() : cpus;
  CHECK(pydron_pool_threads() == want, "%d threads, want %d",
        pydron_pool_threads(), want);
  if (cpus < 2 || want < 2) {
    puts("ok (one CPU: nothing to check)");
    return 0;
  }
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &all)) {
      CPU_SET(c, &one);
      break;
    }
  CHECK(pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0,
        "pin the main thread");

  static struct pydron_loop loop[1];
  loop[0] = rt_loop("affinity:0", chunk, 0, NULL, 0, 0, 0);
  rt_register("affinity", loop, 1);
  CHECK(pydron_parallel_for(&loop[0], 200, NULL, NULL) == 1, "declined");
  CHECK(atomic_load(&widest) == cpus,
        "widest worker mask has %d CPUs, the process %d (%d chunks)",
        atomic_load(&widest), cpus, atomic_load(&chunks));
  puts("ok");
  return 0;
}
