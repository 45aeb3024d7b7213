/* workers_test.h - helpers for the process-worker tests: hand-written loop
 * descriptors with footprint functions and env slots (what the plugin
 * emits for shippable loops), registered from a constructor so that the
 * worker process (which never runs main) has them too. */
#ifndef WORKERS_TEST_H
#define WORKERS_TEST_H

#include <stddef.h>
#include <unistd.h>

#include "rt_test.h"

/* Slot table entries. */
#define SLOT(type, field, kind)                                                \
  { (uint32_t)offsetof(type, field),                                           \
    (uint16_t)sizeof(((type *)0)->field), (uint16_t)(kind) }

/* A shippable descriptor: rt_loop plus footprint, range kinds and slots. */
#define wt_loop(...) wt_loop_at(__FILE__, __LINE__, __VA_ARGS__)
static inline struct pydron_loop
wt_loop_at(const char *file, uint32_t line, const char *id, pydron_chunk_fn fn,
        uint32_t env_size,
        pydron_footprint_fn fp, const uint8_t *kinds, uint32_t num_ranges,
        const struct pydron_env_slot *slots, uint32_t num_slots) {
  struct pydron_loop l = rt_loop(id, fn, 0, NULL, 0, 0, PYDRON_LOOP_SHIPPABLE);
  l.env_size = env_size;
  l.footprint = fp;
  l.range_kinds = kinds;
  l.num_ranges = num_ranges;
  l.slots = slots;
  l.num_slots = num_slots;
  l.file = file;
  l.line = line;
  return l;
}

static inline struct pydron_range wt_range(const void *begin, size_t bytes) {
  struct pydron_range r = {(uintptr_t)begin, (uintptr_t)begin + bytes};
  return r;
}

/* The master's pid, set by main; chunks compare getpid() with it. */
static pid_t wt_master_pid;

#endif /* WORKERS_TEST_H */
