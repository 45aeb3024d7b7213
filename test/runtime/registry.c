// The registry: modules registered from several threads at once, twice, and
// from a shared library dlopen'd (by another thread) while loops run; loops
// are found by id; the shared runtime library works like the static one.
// RUN: %clang_plain -O2 -I%S/Inputs -I%src_root/runtime/src %s %rt_link -o %t
// RUN: env PYDRON_WORKERS=3 %t
// RUN: %clang_plain -O2 -fPIC -shared -I%S/Inputs -DBUILD_SO %s -o %t.so
// RUN: %clang_plain -O2 -I%S/Inputs -DSHARED_MAIN %s -L%rt_lib -lpydron_rt -Wl,-rpath,%rt_lib -lpthread -ldl -o %t.shared
// RUN: env PYDRON_WORKERS=2 %t.shared %t.so
#include <pthread.h>

#include "rt_test.h"

static void chunk(int64_t lo, int64_t hi, const void *env, void *partial) {
  (void)env;
  int64_t s;
  memcpy(&s, partial, sizeof s);
  for (int64_t i = lo; i < hi; i++)
    s += i;
  memcpy(partial, &s, sizeof s);
}

static const struct pydron_fold sum = {PYDRON_FOLD_ADD, PYDRON_TYPE_I64, 0};

#if defined(BUILD_SO)
/* What the plugin emits in a shared library: constant descriptors and a
 * constructor that registers them. */
static const struct pydron_loop so_loop = {
    PYDRON_ABI_VERSION, 0, "lib.c#1:0", "lib_sum", "lib.c", 3, 5, chunk, 0,
    8, 1, &sum, NULL, 0, 0, 0};
static const struct pydron_loop *const so_loops[] = {&so_loop};
static const struct pydron_module so_module = {PYDRON_ABI_VERSION, 1,
                                               "lib.c#1", so_loops};
__attribute__((constructor)) static void so_register(void) {
  pydron_register_module(&so_module);
}
int64_t lib_sum(int64_t n, int *ran) {
  int64_t s = 0;
  *ran = pydron_parallel_for(&so_loop, n, NULL, &s);
  if (!*ran)
    for (int64_t i = 0; i < n; i++)
      s += i;
  return s;
}

#elif defined(SHARED_MAIN)
#include <dlfcn.h>
#include <stdatomic.h>

static struct pydron_loop loops[1];
static atomic_int loaded;
static void *handle;

static void *load(void *path) {
  handle = dlopen(path, RTLD_NOW);
  CHECK(handle, "dlopen: %s", dlerror());
  atomic_store(&loaded, 1);
  return NULL;
}

int main(int argc, char **argv) {
  CHECK(argc == 2, "usage: registry LIB.so");
  loops[0] = rt_loop("main.c#2:0", chunk, 8, &sum, 1, 0, 0);
  rt_register("main.c#2", loops, 1);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, load, argv[1]) == 0, "pthread_create");
  int runs = 0, parallel = 0;
  while (!atomic_load(&loaded) || runs < 20) {
    int64_t s = 0, n = 500000;
    /* The body is cheap: once measured, the loop may be declined. */
    int ran = pydron_parallel_for(&loops[0], n, NULL, &s);
    if (!ran)
      s = n * (n - 1) / 2;
    CHECK(s == n * (n - 1) / 2, "main loop: %lld", (long long)s);
    CHECK(ran || runs > 0, "first main loop declined");
    parallel += ran;
    runs++;
  }
  pthread_join(t, NULL);
  int64_t (*lib_sum)(int64_t, int *) =
      (int64_t(*)(int64_t, int *))dlsym(handle, "lib_sum");
  CHECK(lib_sum, "dlsym: %s", dlerror());
  int ran;
  int64_t n = 1000000, s = lib_sum(n, &ran);
  CHECK(ran == 1 && s == n * (n - 1) / 2, "library loop: ran %d, %lld", ran,
        (long long)s);
  printf("ok after %d loops (%d parallel)\n", runs, parallel);
  return 0;
}

#else
#include "registry.h"

enum { THREADS = 4, PER_THREAD = 50 };
static struct pydron_loop tloops[THREADS][PER_THREAD];
static char ids[THREADS][PER_THREAD][32];
static const struct pydron_loop *ttables[THREADS][PER_THREAD][1];
static struct pydron_module tmodules[THREADS][PER_THREAD];

static void *register_many(void *arg) {
  int t = (int)(intptr_t)arg;
  for (int i = 0; i < PER_THREAD; i++) {
    snprintf(ids[t][i], sizeof ids[t][i], "t%d.c:%d", t, i);
    tloops[t][i] = rt_loop(ids[t][i], chunk, 8, &sum, 1, 0, 0);
    ttables[t][i][0] = &tloops[t][i];
    tmodules[t][i] = (struct pydron_module){PYDRON_ABI_VERSION, 1, "t.c",
                                            ttables[t][i]};
    pydron_register_module(&tmodules[t][i]);
    pydron_register_module(&tmodules[t][i]); /* twice: ignored */
  }
  return NULL;
}

int main(void) {
  pthread_t tids[THREADS];
  for (int t = 0; t < THREADS; t++)
    CHECK(pthread_create(&tids[t], NULL, register_many, (void *)(intptr_t)t) ==
              0, "pthread_create");
  for (int t = 0; t < THREADS; t++)
    pthread_join(tids[t], NULL);
  CHECK(pydron_registry_count() == THREADS * PER_THREAD, "%zu modules",
        pydron_registry_count());
  for (int t = 0; t < THREADS; t++)
    for (int i = 0; i < PER_THREAD; i++)
      CHECK(pydron_registry_find_loop(ids[t][i]) == &tloops[t][i],
            "loop %s not found", ids[t][i]);
  CHECK(pydron_registry_find_loop("nope:0") == NULL, "found a missing loop");
  /* A registered loop runs. */
  int64_t s = 0, n = 100000;
  CHECK(pydron_parallel_for(&tloops[1][2], n, NULL, &s) == 1 &&
            s == n * (n - 1) / 2, "loop result %lld", (long long)s);
  puts("ok");
  return 0;
}
#endif
