/* registry.c - pydron_register_module(): checks and remembers every module.
 *
 * The plugin emits a constructor per translation unit that calls
 * pydron_register_module(); those constructors run before main for the
 * executable and at any time for dlopen'd libraries (from any thread), so
 * the list is guarded by a mutex. Descriptors are checked once here, so a
 * plugin/runtime mismatch stops the program at load time with a message
 * instead of crashing in the middle of a loop. Remote workers look loops up
 * by id (the same in every copy of the same binary). */
#include "registry.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct pydron_module **reg_modules;
static size_t reg_count, reg_cap;
static pthread_once_t reg_atfork_once = PTHREAD_ONCE_INIT;

/* A fork while another thread holds reg_lock would leave it locked forever
 * in the child; take it around fork so the child gets a consistent list. */
static void reg_prepare(void) { pthread_mutex_lock(&reg_lock); }
static void reg_release(void) { pthread_mutex_unlock(&reg_lock); }
static void reg_install_atfork(void) {
  pthread_atfork(reg_prepare, reg_release, reg_release);
}

static const char *name_or(const char *s, const char *fallback) {
  return s ? s : fallback;
}

static void reg_fail_loop(const struct pydron_module *m, uint32_t i,
                          const struct pydron_loop *loop, const char *what) {
  if (loop)
    fprintf(stderr, "pydron: module %s, loop %s (%s at %s:%u:%u): %s\n",
            name_or(m->id, "(unnamed)"), name_or(loop->id, "(unnamed)"),
            name_or(loop->function, "?"), name_or(loop->file, "?"),
            loop->line, loop->column, what);
  else
    fprintf(stderr, "pydron: module %s, loop %u: %s\n",
            name_or(m->id, "(unnamed)"), i, what);
  abort();
}

/* Everything the runtime relies on later, checked once at load time. */
static void reg_check(const struct pydron_module *m) {
  if (m->abi_version != PYDRON_ABI_VERSION) {
    fprintf(stderr,
            "pydron: module %s was built for Pydron ABI version %u, but this "
            "runtime (libpydron_rt) implements ABI version %u; rebuild it "
            "with the matching plugin and runtime\n",
            name_or(m->id, "(unnamed)"), m->abi_version, PYDRON_ABI_VERSION);
    abort();
  }
  if (m->num_loops && !m->loops)
    reg_fail_loop(m, 0, NULL, "module lists loops but has no loop table");
  for (uint32_t i = 0; i < m->num_loops; i++) {
    const struct pydron_loop *loop = m->loops[i];
    char why[160];
    if (!loop)
      reg_fail_loop(m, i, NULL, "loop descriptor is NULL");
    if (loop->abi_version != PYDRON_ABI_VERSION) {
      snprintf(why, sizeof why,
               "loop descriptor has ABI version %u, runtime implements %u",
               loop->abi_version, PYDRON_ABI_VERSION);
      reg_fail_loop(m, i, loop, why);
    }
    if (!loop->chunk)
      reg_fail_loop(m, i, loop, "loop has no chunk function");
    if (pydron_fold_validate(loop, why, sizeof why) != 0)
      reg_fail_loop(m, i, loop, why);
    if (!loop->chain && (loop->value_size || loop->state_size)) {
      snprintf(why, sizeof why,
               "loop has %u-byte chain values and %u-byte chain state but no "
               "chain function", loop->value_size, loop->state_size);
      reg_fail_loop(m, i, loop, why);
    }
  }
}

__attribute__((visibility("default"))) void
pydron_register_module(const struct pydron_module *module) {
  if (!module) {
    fprintf(stderr, "pydron: pydron_register_module called with NULL\n");
    abort();
  }
  reg_check(module);
  pthread_once(&reg_atfork_once, reg_install_atfork);

  pthread_mutex_lock(&reg_lock);
  for (size_t i = 0; i < reg_count; i++) {
    if (reg_modules[i] == module) { /* registered twice: harmless */
      pthread_mutex_unlock(&reg_lock);
      return;
    }
  }
  if (reg_count == reg_cap) {
    size_t cap = reg_cap ? reg_cap * 2 : 16;
    const struct pydron_module **grown =
        realloc(reg_modules, cap * sizeof *grown);
    if (!grown) {
      fprintf(stderr, "pydron: out of memory registering module %s\n",
              name_or(module->id, "(unnamed)"));
      abort();
    }
    reg_modules = grown;
    reg_cap = cap;
  }
  reg_modules[reg_count++] = module;
  pthread_mutex_unlock(&reg_lock);
}

const struct pydron_loop *pydron_registry_find_loop(const char *loop_id) {
  const struct pydron_loop *found = NULL;
  pthread_mutex_lock(&reg_lock);
  for (size_t i = 0; i < reg_count && !found; i++) {
    const struct pydron_module *m = reg_modules[i];
    for (uint32_t j = 0; j < m->num_loops; j++) {
      if (m->loops[j]->id && strcmp(m->loops[j]->id, loop_id) == 0) {
        found = m->loops[j];
        break;
      }
    }
  }
  pthread_mutex_unlock(&reg_lock);
  return found;
}

void pydron_registry_foreach(void (*fn)(const struct pydron_module *, void *),
                             void *arg) {
  pthread_mutex_lock(&reg_lock);
  for (size_t i = 0; i < reg_count; i++)
    fn(reg_modules[i], arg);
  pthread_mutex_unlock(&reg_lock);
}

size_t pydron_registry_count(void) {
  pthread_mutex_lock(&reg_lock);
  size_t n = reg_count;
  pthread_mutex_unlock(&reg_lock);
  return n;
}

/* Frees the list at exit or when the runtime is unloaded. A module
 * registered after this (a library loaded during exit) starts a new list. */
__attribute__((destructor)) static void reg_free(void) {
  pthread_mutex_lock(&reg_lock);
  free(reg_modules);
  reg_modules = NULL;
  reg_count = reg_cap = 0;
  pthread_mutex_unlock(&reg_lock);
}
