/* remote.c - the master's workers: configured, started lazily, checked,
 * ended at exit.
 *
 * A {"type": "multicore", "isolation": "process"} entry gives one local
 * worker process running `cores` task threads (PYDRON_WORKERS overrides
 * `cores`, as for threads). One process with many threads rather than
 * many one-thread processes: it is what a remote host gets (DESIGN.md §4:
 * one worker process per host), so the local case tests exactly that
 * path; read-only data kept by a worker serves all its threads; and there
 * is one stream to read instead of N.
 *
 * Workers start on the first loop that is shipped (not at program start:
 * most programs never need them) and live until exit. A worker whose
 * hello does not match the master (protocol, ABI, build id, architecture,
 * CPU features) is refused with a message naming both sides, and loops
 * then run on threads. One loop uses the workers at a time; a second user
 * thread's loop runs on threads meanwhile.
 *
 * fork: the child forgets the parent's workers (closing its copies of the
 * streams) and starts its own when it needs them. exit: the streams are
 * closed (workers exit at end of stream) and the processes reaped. */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "hostid.h"
#include "pool.h"
#include "remote.h"
#include "worker.h"

#define HELLO_TIMEOUT_MS 30000

static struct {
  pthread_mutex_t lock; /* held by the loop using the workers */
  int started, failed;
  struct remote_set set;
  struct proto_hello me;
} R = {.lock = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t cfg_once = PTHREAD_ONCE_INIT;
static int cfg_process;   /* process isolation configured */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void cfg_init(void) {
  if (pydron_worker_mode() || pydron_config_disabled_global())
    return;
  const struct pydron_config *cfg = pydron_config_global();
  if (!cfg)
    return;
  for (size_t i = 0; i < cfg->nworkers; i++)
    if (cfg->workers[i].type == PYDRON_WORKER_MULTICORE &&
        cfg->workers[i].u.multicore.isolation == PYDRON_ISOLATION_PROCESS)
      cfg_process = 1;
}

int pydron_remote_configured(void) {
  pthread_once(&cfg_once, cfg_init);
  return cfg_process;
}

static void atfork_child(void) {
  /* The parent's workers are not ours: close our copies of the streams so
   * that they still see end of stream when the parent exits. */
  for (int i = 0; i < R.set.nworkers; i++) {
    struct remote_worker *w = &R.set.workers[i];
    if (w->fd >= 0)
      close(w->fd);
    ship_cache_free(&w->cache);
    proto_reader_free(&w->reader);
  }
  free(R.set.workers);
  memset(&R.set, 0, sizeof R.set);
  R.started = 0;
  R.failed = 0;
  pthread_mutex_init(&R.lock, NULL);
}

static void install_atfork(void) {
  pthread_atfork(NULL, NULL, atfork_child);
}

/* Reads the worker's hello (or its refusal) within the timeout. */
static int read_hello(struct remote_worker *w, char *why, size_t why_len) {
  struct pollfd pfd = {w->fd, POLLIN, 0};
  int pr = poll(&pfd, 1, HELLO_TIMEOUT_MS);
  if (pr <= 0) {
    snprintf(why, why_len, "no hello within %d s", HELLO_TIMEOUT_MS / 1000);
    return -1;
  }
  char err[512];
  int got = proto_read_frame(w->fd, &w->reader, err, sizeof err);
  if (got <= 0) {
    snprintf(why, why_len, "%s before its hello",
             got == 0 ? "it closed the connection" : err);
    return -1;
  }
  int r = -1;
  if (w->reader.type == PROTO_HELLO) {
    if (proto_get_hello(w->reader.payload, w->reader.length, &w->hello, err,
                        sizeof err) == 0)
      r = pydron_hostid_check(&R.me, &w->hello, why, why_len);
    else
      snprintf(why, why_len, "bad hello: %s", err);
  } else if (w->reader.type == PROTO_ERROR) {
    struct proto_error *e = malloc(sizeof *e);
    if (e && proto_get_error(w->reader.payload, w->reader.length, e, err,
                             sizeof err) == 0)
      snprintf(why, why_len, "it refused: %s", e->text);
    else
      snprintf(why, why_len, "it sent a bad error message instead of its "
               "hello");
    free(e);
  } else {
    snprintf(why, why_len, "it sent a %s before its hello (the master "
             "expects a hello first)", proto_type_name(w->reader.type));
  }
  proto_reader_next(&w->reader);
  return r;
}

static int start_workers(void) {
  char why[1024];
  memset(&R.me, 0, sizeof R.me);
  pydron_hostid_fill(&R.me);
  R.me.pid = (uint32_t)getpid();
  int threads = pydron_pool_threads();
  R.set.workers = calloc(1, sizeof *R.set.workers);
  if (!R.set.workers) {
    fprintf(stderr, "pydron: out of memory starting a process worker; loops "
                    "run on threads\n");
    return -1;
  }
  R.set.nworkers = 1;
  R.set.local_runners = 0;
  const char *lr = getenv("PYDRON_PROCESS_LOCAL");
  if (lr && *lr >= '0' && *lr <= '9')
    R.set.local_runners = atoi(lr);
  struct remote_worker *w = &R.set.workers[0];
  w->index = 1;
  w->fd = -1;
  ship_cache_init(&w->cache, SHIP_CACHE_MAX_BYTES);
  if (pydron_transport_pipe_start(threads, &w->fd, &w->pid, why,
                                  sizeof why) != 0) {
    fprintf(stderr, "pydron: cannot start a process worker (%s); loops run "
                    "on threads\n", why);
    return -1;
  }
  if (read_hello(w, why, sizeof why) != 0) {
    char status[128];
    pydron_transport_pipe_stop(w->fd, w->pid, 1, status, sizeof status);
    w->fd = -1;
    w->pid = 0;
    fprintf(stderr, "pydron: process worker refused: %s; loops run on "
                    "threads\n", why);
    return -1;
  }
  w->threads = (int)w->hello.threads;
  w->alive = 1;
  return 0;
}

struct remote_set *pydron_remote_acquire(void) {
  if (!pydron_remote_configured())
    return NULL;
  pthread_once(&atfork_once, install_atfork);
  if (pthread_mutex_trylock(&R.lock) != 0)
    return NULL;
  if (!R.started && !R.failed) {
    R.started = 1;
    if (start_workers() != 0)
      R.failed = 1;
  }
  int alive = 0;
  for (int i = 0; i < R.set.nworkers; i++)
    alive += R.set.workers[i].alive;
  if (R.failed || !alive) {
    pthread_mutex_unlock(&R.lock);
    return NULL;
  }
  return &R.set;
}

void pydron_remote_release(struct remote_set *set) {
  /* Workers that died during the loop: close and reap them now that no
   * thread uses their descriptors. */
  for (int i = 0; i < set->nworkers; i++) {
    struct remote_worker *w = &set->workers[i];
    if (!w->alive && w->fd >= 0) {
      pydron_transport_pipe_stop(w->fd, w->pid, 1, NULL, 0);
      w->fd = -1;
      w->pid = 0;
    }
  }
  pthread_mutex_unlock(&R.lock);
}

void pydron_remote_drop(struct remote_worker *w, const char *why) {
  if (!w->alive)
    return;
  w->alive = 0;
  fprintf(stderr, "pydron: process worker %d (pid %d): %s; its chunks run "
                  "on this process's threads\n", w->index, (int)w->pid, why);
  /* The descriptor stays open until the loop ends (another thread may be
   * writing to it); shutting it down makes such writes fail at once. */
  if (w->fd >= 0)
    shutdown(w->fd, SHUT_RDWR);
  if (w->pid > 0)
    kill(w->pid, SIGKILL);
}

__attribute__((destructor)) static void remote_shutdown(void) {
  if (pydron_worker_mode() || !R.started)
    return;
  if (pthread_mutex_trylock(&R.lock) != 0)
    return; /* a loop runs: its workers see end of stream when we exit */
  for (int i = 0; i < R.set.nworkers; i++) {
    struct remote_worker *w = &R.set.workers[i];
    if (w->fd >= 0 || w->pid > 0)
      pydron_transport_pipe_stop(w->fd, w->pid, !w->alive, NULL, 0);
    w->fd = -1;
    w->pid = 0;
    w->alive = 0;
    ship_cache_free(&w->cache);
    proto_reader_free(&w->reader);
  }
  free(R.set.workers);
  memset(&R.set, 0, sizeof R.set);
  R.failed = 1; /* loops run by later destructors stay local */
  pthread_mutex_unlock(&R.lock);
}
