/* pydron-config - what configuration would a Pydron program use here?
 *
 *   pydron-config               the search, the file, every worker with its
 *                               defaults, the environment's effect
 *   pydron-config --check FILE  validate FILE: exit 0, or 1 with the error
 *
 * It uses the runtime's own loader (config.c, schema.c), so its verdict is
 * the one a program would reach at start. Secrets are printed as "***".
 * Exit status: 0 fine, 1 the configuration is invalid, 2 bad usage (or a bad
 * PYDRON_DISABLE / PYDRON_WORKERS, which the runtime's env.c refuses at
 * start, as in every Pydron program).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "env.h"

#ifndef PYDRON_VERSION
#define PYDRON_VERSION "unknown"
#endif

static void usage(FILE *fp) {
  fprintf(fp,
          "usage: pydron-config [--check FILE | --help | --version]\n"
          "Shows which configuration a Pydron program started here would "
          "use.\n"
          "\n"
          "  (no option)    the places searched and why each was skipped, "
          "the file used,\n"
          "                 every worker with its defaults filled in (secrets "
          "masked),\n"
          "                 and the effect of PYDRON_DISABLE and "
          "PYDRON_WORKERS\n"
          "  --check FILE   validate FILE; exit 0 when it is usable, 1 with "
          "the error\n"
          "  --help         this text\n"
          "  --version      the version\n"
          "\n"
          "Search order: $PYDRON_CONF, ./pydron.conf, ~/pydron.conf, "
          "/etc/pydron.conf.\n"
          "Exit status: 0 usable, 1 invalid configuration, 2 bad usage or a bad\n"
          "PYDRON_DISABLE / PYDRON_WORKERS.\n");
}

/* Errors go to stderr; stdout is flushed first so that with 2>&1 they
 * appear after what was printed before them. */
static void report(const struct pydron_config_error *err) {
  fflush(stdout);
  fprintf(stderr, "pydron-config: %s\n", err->text);
}

static void print_workers(const struct pydron_config *cfg) {
  for (size_t i = 0; i < cfg->nworkers; i++) {
    printf("  workers[%zu]: ", i);
    pydron_config_dump_worker(stdout, &cfg->workers[i]);
  }
  for (int i = 0; i < cfg->nnotes; i++)
    printf("  note: %s\n", cfg->notes[i].text);
  printf("Faults: ");
  pydron_config_dump_faults(stdout, &cfg->faults);
}

static int check(const char *path) {
  struct pydron_config cfg;
  struct pydron_config_error err;
  memset(&cfg, 0, sizeof cfg);
  int r = pydron_config_load_file(path, &cfg, &err);
  if (r == 0) {
    printf("%s: valid\n", path);
    print_workers(&cfg);
  } else {
    report(&err);
  }
  pydron_config_free(&cfg);
  return r == 0 ? 0 : 1;
}

static void print_candidate(const struct pydron_config_candidate *c) {
  printf("  %-17s ", c->origin);
  switch (c->status) {
  case PYDRON_CANDIDATE_UNSET:
    printf("not set\n");
    break;
  case PYDRON_CANDIDATE_NO_HOME:
    printf("skipped: no home directory (HOME is unset and the user has no "
           "passwd entry)\n");
    break;
  case PYDRON_CANDIDATE_MISSING:
    printf("%s: not found\n", c->path);
    break;
  case PYDRON_CANDIDATE_USED:
    printf("%s: used\n", c->path);
    break;
  case PYDRON_CANDIDATE_FAILED:
    printf("%s: cannot be used (see the error below)\n",
           c->path[0] ? c->path : "(empty)");
    break;
  case PYDRON_CANDIDATE_NOT_REACHED:
    printf("not looked at (an earlier place decided)\n");
    break;
  }
}

static void print_threads(const struct pydron_config *cfg, int disabled,
                          int env_workers) {
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  int n = pydron_config_effective_threads(cfg, disabled, env_workers);
  printf("Local threads: ");
  if (disabled) {
    printf("1: PYDRON_DISABLE=1 runs every loop sequentially, and programs "
           "do not read the configuration file\n");
    return;
  }
  if (env_workers > 0) {
    printf("%d (PYDRON_WORKERS=%d overrides the file)\n", n, env_workers);
    return;
  }
  for (size_t i = 0; i < cfg->nworkers; i++) {
    const struct pydron_worker_conf *w = &cfg->workers[i];
    if (w->type != PYDRON_WORKER_MULTICORE)
      continue;
    if (cfg->implicit)
      printf("every core, %ld here (no configuration file)\n", online);
    else if (n > 0)
      printf("%d (workers[%zu].cores in %s)\n", n, i, cfg->file);
    else
      printf("every core, %ld here (workers[%zu] in %s has no \"cores\")\n",
             online, i, cfg->file);
    return;
  }
  printf("1 (%s has no \"multicore\" entry: only the calling thread works "
         "on this machine)\n",
         cfg->file);
}

/* The environment is read by the runtime's env.c, as in a program: a bad
 * PYDRON_DISABLE or PYDRON_WORKERS ends this tool too, with env.c's message
 * and status 2, before main. */
static int show(void) {
  struct pydron_config cfg;
  struct pydron_config_error err;
  int disabled = pydron_env_disabled(), env_workers = pydron_env_workers();
  const char *v;

  int r = pydron_config_load(&cfg, &err);
  printf("Configuration search (the first place that exists is used):\n");
  for (int i = 0; i < cfg.ntried; i++)
    print_candidate(&cfg.tried[i]);

  /* A valid file naming workers this version cannot run is still shown:
   * the entries say what the file meant, then the error says why not. */
  if (r != 0 && err.kind == PYDRON_CONFIG_ERR_NOT_AVAILABLE) {
    printf("File: %s\nWorkers:\n", cfg.file);
    print_workers(&cfg);
  } else if (r == 0 && cfg.implicit) {
    printf("File: none: every local core is used, as if the file were "
           "{\"workers\": [{\"type\": \"multicore\"}]}\nWorkers:\n");
    print_workers(&cfg);
  } else if (r == 0) {
    printf("File: %s\nWorkers:\n", cfg.file);
    print_workers(&cfg);
  } else if (cfg.file) {
    printf("File: %s (invalid: see the error below)\n", cfg.file);
  }

  printf("Environment:\n");
  v = getenv("PYDRON_DISABLE");
  printf("  PYDRON_DISABLE    %s%s%s\n", v ? "\"" : "not set", v ? v : "",
         v ? (disabled ? "\": Pydron is off" : "\"") : "");
  v = getenv("PYDRON_WORKERS");
  printf("  PYDRON_WORKERS    %s%s%s\n", v ? "\"" : "not set", v ? v : "",
         v ? (env_workers ? "\": overrides the file's cores" : "\"") : "");
  if (r == 0)
    print_threads(&cfg, disabled, env_workers);

  if (r != 0) {
    report(&err);
    if (disabled) {
      fflush(stdout);
      fprintf(stderr, "pydron-config: (programs would run anyway: "
                      "PYDRON_DISABLE=1 keeps them from reading the file)\n");
    }
  }
  pydron_config_free(&cfg);
  return r == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc == 1)
    return show();
  if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
                    strcmp(argv[1], "-h") == 0)) {
    usage(stdout);
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    printf("pydron-config %s (Pydron for C)\n", PYDRON_VERSION);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "--check") == 0)
    return check(argv[2]);
  if (argc == 2 && strncmp(argv[1], "--check=", 8) == 0 && argv[1][8])
    return check(argv[1] + 8);
  if (argc == 2 && strcmp(argv[1], "--check") == 0)
    fprintf(stderr, "pydron-config: --check needs a FILE\n");
  else if (strcmp(argv[1], "--check") == 0 && argc > 3)
    fprintf(stderr, "pydron-config: unexpected argument '%s' (--check takes "
                    "one FILE)\n", argv[3]);
  else
    fprintf(stderr, "pydron-config: unexpected argument '%s'\n", argv[1]);
  usage(stderr);
  return 2;
}
