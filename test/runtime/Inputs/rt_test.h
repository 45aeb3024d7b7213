/* rt_test.h - helpers for the runtime's C unit tests: hand-written loop
 * descriptors (what the plugin would emit) and checks that exit loudly. */
#ifndef RT_TEST_H
#define RT_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pydron_abi.h"

#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__,        \
              #cond);                                                          \
      fprintf(stderr, __VA_ARGS__);                                            \
      fputc('\n', stderr);                                                     \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

/* A loop descriptor as the plugin emits it (ABI 2: no chain; rt_chain adds
 * one). */
static inline struct pydron_loop rt_loop(const char *id, pydron_chunk_fn fn,
                                         uint32_t partial_size,
                                         const struct pydron_fold *folds,
                                         uint32_t num_folds, uint64_t cost,
                                         uint32_t flags) {
  struct pydron_loop l;
  memset(&l, 0, sizeof l);
  l.abi_version = PYDRON_ABI_VERSION;
  l.flags = flags;
  l.id = id;
  l.function = "test";
  l.file = __FILE__;
  l.line = 1;
  l.column = 1;
  l.chunk = fn;
  l.partial_size = partial_size;
  l.num_folds = num_folds;
  l.folds = folds;
  l.cost = cost;
  l.chain = NULL;
  l.value_size = 0;
  l.state_size = 0;
  return l;
}

/* Gives a descriptor an in-order chain: `value_size` bytes per iteration
 * stored by the chunk at PYDRON_VALUES_OFFSET(loop) of its buffer, and
 * `state_size` bytes of carried state at PYDRON_STATE_OFFSET(loop) of the
 * caller's result. */
static inline struct pydron_loop rt_chain(struct pydron_loop l,
                                          pydron_chain_fn chain,
                                          uint32_t value_size,
                                          uint32_t state_size) {
  l.chain = chain;
  l.value_size = value_size;
  l.state_size = state_size;
  return l;
}

/* Registers loops[0 .. n-1] as one module, as the plugin's constructor
 * does. The module lives for the rest of the program (kept reachable here,
 * as the plugin's constant tables are, so valgrind sees no leak). */
static struct rt_module_mem {
  struct pydron_module m;
  const struct pydron_loop *table[64];
} rt_modules[16];
static int rt_num_modules;

static inline void rt_register(const char *id, const struct pydron_loop *loops,
                               uint32_t n) {
  CHECK(n <= 64 && rt_num_modules < 16, "too many loops or modules");
  struct rt_module_mem *mem = &rt_modules[rt_num_modules++];
  const struct pydron_loop **table = mem->table;
  struct pydron_module *m = &mem->m;
  for (uint32_t i = 0; i < n; i++)
    table[i] = &loops[i];
  m->abi_version = PYDRON_ABI_VERSION;
  m->num_loops = n;
  m->id = id;
  m->loops = table;
  pydron_register_module(m);
}

/* PYDRON_WORKERS as the test was started with (0: unset). */
static inline int rt_workers(void) {
  const char *v = getenv("PYDRON_WORKERS");
  return v ? atoi(v) : 0;
}

/* 1 when a plain (not fixed-chunk) loop can run in parallel here. */
static inline int rt_parallel_expected(void) {
  int w = rt_workers();
  return w ? w > 1 : 1; /* the lit machines have at least 2 CPUs */
}

/* A 64-bit mix of i (splitmix64), for test data without arrays. */
static inline uint64_t rt_hash(uint64_t i) {
  uint64_t z = i + 0x9e3779b97f4a7c15u;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

#endif /* RT_TEST_H */
