/* config_start.c - the configuration at program start, and what the pool
 * asks of it.
 *
 * A broken pydron.conf must stop the program before main runs: failing at
 * the first parallel loop, minutes into a run and after output was written,
 * is worse than not starting. So a constructor loads the configuration; on
 * error it prints the message and exits with status 2 (the shell's "usage
 * error" status, distinct from whatever the program itself returns).
 *
 * Precedence, highest first (docs/configuration.md says the same):
 *   PYDRON_DISABLE=1  every loop runs sequentially; the file is not even
 *                     read, so this also gets a program past a broken file
 *   PYDRON_WORKERS=N  N local threads, whatever the file says (the file is
 *                     still read and checked)
 *   the file         its multicore entry's "cores"
 *   the default      every local core
 *
 * In worker mode (PYDRON_WORKER set: the program was started by a master to
 * run chunks) nothing is loaded; the master decides.
 *
 * Constructors of other objects may run before this one and reach a
 * parallel loop (a C++ static initializer calling a schedule function), so
 * the accessors load on first use too; pthread_once makes the two paths one.
 * This object is separate from config.c so that pydron-config, which links
 * the loader from the static library but references nothing here, does not
 * get the constructor: it must report a broken file, not die of it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "env.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct pydron_config config;
static int loaded;   /* `config` holds a configuration */
static int disabled; /* PYDRON_DISABLE=1 */
static int threads;  /* the answer of pydron_config_threads_global */

static void die(const struct pydron_config_error *err) {
  fprintf(stderr, "pydron: %s\n", err->text);
  fprintf(stderr,
          "pydron: stopping before main; fix the configuration "
          "(`pydron-config` shows which file is used and why), or set "
          "PYDRON_DISABLE=1 to run without Pydron\n");
  exit(2);
}

/* The environment comes from env.c, which owns PYDRON_DISABLE and
 * PYDRON_WORKERS (and exits with status 2 on a bad value). */
static void load_once(void) {
  struct pydron_config_error err;

  if (getenv("PYDRON_WORKER"))
    return;
  disabled = pydron_env_disabled();
  if (disabled) {
    threads = 1;
    return;
  }
  if (pydron_config_load(&config, &err) != 0)
    die(&err);
  loaded = 1;
  threads = pydron_config_effective_threads(&config, 0, pydron_env_workers());
}

__attribute__((constructor)) static void pydron_config_at_start(void) {
  pthread_once(&once, load_once);
}

int pydron_config_threads_global(void) {
  pthread_once(&once, load_once);
  return threads;
}

int pydron_config_disabled_global(void) {
  pthread_once(&once, load_once);
  return disabled;
}

const struct pydron_config *pydron_config_global(void) {
  pthread_once(&once, load_once);
  return loaded ? &config : NULL;
}
