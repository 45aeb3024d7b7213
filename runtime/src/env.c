/* env.c - reads PYDRON_DISABLE and PYDRON_WORKERS.
 *
 * Kept apart from the pool so the configuration module can be wired in
 * without touching thread code. Bad input is a usage error: a clear message
 * and exit status 2, never a silent fallback that would hide a typo. */
#include "env.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static int env_disabled;
static int env_workers;
static int env_tiny_chunks;

static void env_usage_error(const char *name, const char *value,
                            const char *what) {
  fprintf(stderr, "pydron: %s=%s %s\n", name, value, what);
  fflush(stderr);
  exit(2);
}

static void env_load(void) {
  const char *v = getenv("PYDRON_DISABLE");
  if (v && *v) {
    if (strcmp(v, "1") == 0)
      env_disabled = 1;
    else if (strcmp(v, "0") != 0)
      env_usage_error("PYDRON_DISABLE", v, "must be 0 or 1");
  }

  /* Testing: parallelize every loop of two or more iterations, in chunks
   * of one iteration (the most parallel schedule there is). */
  v = getenv("PYDRON_TINY_CHUNKS");
  if (v && *v) {
    if (strcmp(v, "1") == 0)
      env_tiny_chunks = 1;
    else if (strcmp(v, "0") != 0)
      env_usage_error("PYDRON_TINY_CHUNKS", v, "must be 0 or 1");
  }

  v = getenv("PYDRON_WORKERS");
  if (v && *v) {
    /* strtol alone accepts "  4", "+4" and stops at "4x"; be strict. */
    char *end;
    errno = 0;
    long n = (*v >= '0' && *v <= '9') ? strtol(v, &end, 10) : -1;
    if (n <= 0 || *end != '\0')
      env_usage_error("PYDRON_WORKERS", v, "is not a positive integer");
    if (errno == ERANGE || n > PYDRON_MAX_THREADS) {
      char msg[64];
      snprintf(msg, sizeof msg, "is too large (at most %d)",
               PYDRON_MAX_THREADS);
      env_usage_error("PYDRON_WORKERS", v, msg);
    }
    env_workers = (int)n;
  }
}

int pydron_parse_long(const char *s, long lo, long hi, long *out) {
  char *end;
  if (!s || *s < '0' || *s > '9')
    return -1;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (*end || errno || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

int pydron_env_disabled(void) {
  pthread_once(&env_once, env_load);
  return env_disabled;
}

int pydron_env_tiny_chunks(void) {
  pthread_once(&env_once, env_load);
  return env_tiny_chunks;
}

int pydron_env_workers(void) {
  pthread_once(&env_once, env_load);
  return env_workers;
}

/* Fail before main, not at the first parallel loop minutes later. */
__attribute__((constructor)) static void env_check_at_start(void) {
  pthread_once(&env_once, env_load);
}
