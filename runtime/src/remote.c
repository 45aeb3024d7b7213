/* remote.c - the master's workers: configured, started lazily, lost,
 * restarted, ended at exit.
 *
 * A {"type": "multicore", "isolation": "process"} entry gives one local
 * worker process running `cores` task threads (PYDRON_WORKERS overrides
 * `cores`, as for threads); each {"type": "ssh"} entry one worker process
 * on that host (transport_ssh.h), with `cores` threads or one per core of
 * the host. One process with many threads rather than
 * many one-thread processes: it is what a remote host gets (DESIGN.md §4:
 * one worker process per host), so the local case tests exactly that
 * path; read-only data kept by a worker serves all its threads; and there
 * is one stream to read instead of N.
 *
 * Workers start on the first loop that is shipped (not at program start:
 * most programs never need them), all at once, and live until exit. A
 * host that cannot be reached is reported and the others are used. A
 * worker whose
 * hello does not match the master (protocol, ABI, build id, architecture,
 * CPU features) is refused with a message naming both sides, and loops
 * then run on threads. One loop uses the workers at a time; a second user
 * thread's loop runs on threads meanwhile.
 *
 * Faults ("faults" in pydron.conf, docs/configuration.md): a worker that
 * is lost (end of stream, a bad message, a write it does not take for a
 * lease) is ended and forgotten; its chunks are the run's to rerun
 * elsewhere (remote_sched.c). It is started again, as a new incarnation
 * with a new `gen`, up to `worker_restarts` times over the program's
 * life, with a growing back-off, so a master that was stopped long enough
 * for its workers' leases to expire (Ctrl-Z, a debugger) restarts them
 * when it resumes instead of failing. Workers are started with the lease,
 * and end themselves when the master sends nothing for that long.
 *
 * MPI: in rank 0 of an MPI job (mpirun, srun) every other rank is a
 * worker (worker_mpi.c), reached through the MPI bridge (mpi_bridge.h).
 * MPI is started when the program starts, since every rank waits for
 * rank 0 in MPI_Init, and ended at exit from an atexit handler registered
 * after it (Open MPI's own libraries would be unloaded before a
 * destructor could finalize). Open MPI 4.1 ends the whole job when a rank
 * dies, so a lost rank is not restarted: the program says which rank and
 * which loop, and stops at once, with the output written so far flushed.
 *
 * fork: the child forgets the parent's workers (closing its copies of the
 * streams) and starts its own when it needs them. exit: the streams are
 * closed (workers exit at end of stream) and the processes reaped. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cloud.h"
#include "config.h"
#include "hostid.h"
#include "pool.h"
#include "remote.h"
#include "mpi_bridge.h"
#include "transport_ssh.h"
#include "worker.h"

#define HELLO_TIMEOUT_MS 30000
/* Back-off before the n-th restart of a worker: n * this. */
#define RESTART_BACKOFF_NS 250000000ull

static struct {
  pthread_mutex_t lock; /* held by the loop using the workers */
  int started, failed;
  struct remote_set set;
} R = {.lock = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t cfg_once = PTHREAD_ONCE_INIT;
static const struct pydron_config *cfg_file; /* with workers to start */
static struct pydron_faults_conf cfg_faults;
static int cfg_mpi_size; /* rank 0 of an MPI job of this many ranks */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* 1 when entry e gives a worker process. */
static int gives_worker(const struct pydron_worker_conf *e) {
  return e->type == PYDRON_WORKER_SSH || e->type == PYDRON_WORKER_CLOUD ||
         (e->type == PYDRON_WORKER_MULTICORE &&
          e->u.multicore.isolation == PYDRON_ISOLATION_PROCESS);
}

static void cfg_init(void) {
  pydron_faults_defaults(&cfg_faults);
  if (pydron_worker_mode() || pydron_config_disabled_global())
    return;
  const struct pydron_config *cfg = pydron_config_global();
  if (!cfg)
    return;
  cfg_faults = cfg->faults;
  int mpi_entry = 0;
  for (size_t i = 0; i < cfg->nworkers; i++) {
    if (gives_worker(&cfg->workers[i]))
      cfg_file = cfg;
    mpi_entry |= cfg->workers[i].type == PYDRON_WORKER_MPI;
  }
  int rank, size;
  if (pydron_mpi_detect(&rank, &size) && rank == 0)
    cfg_mpi_size = size;
  else if (mpi_entry)
    fprintf(stderr, "pydron: the configuration has an \"mpi\" entry, but this "
                    "program was not started by mpirun or srun with more "
                    "than one rank; loops run on this machine\n");
}

int pydron_remote_configured(void) {
  pthread_once(&cfg_once, cfg_init);
  return cfg_file != NULL || cfg_mpi_size > 1;
}

uint64_t pydron_remote_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void forget_incarnation(struct remote_worker *w) {
  ship_cache_free(&w->cache);
  proto_reader_free(&w->reader);
  memset(&w->reader, 0, sizeof w->reader);
  free(w->abandoned);
  w->abandoned = NULL;
  w->nabandoned = w->capabandoned = 0;
  w->outstanding = 0;
}

static void atfork_child(void) {
  /* The parent's workers are not ours: close our copies of the streams so
   * that they still see end of stream when the parent exits. The
   * receiver thread does not exist here. */
  for (int i = 0; i < R.set.nworkers; i++) {
    struct remote_worker *w = &R.set.workers[i];
    if (w->fd >= 0)
      close(w->fd);
    forget_incarnation(w);
  }
  free(R.set.workers);
  if (R.set.rx_wake[0] >= 0) {
    close(R.set.rx_wake[0]);
    close(R.set.rx_wake[1]);
  }
  memset(&R.set, 0, sizeof R.set);
  R.started = 0;
  R.failed = 0;
  pthread_mutex_init(&R.lock, NULL);
}

static void install_atfork(void) {
  pthread_atfork(NULL, NULL, atfork_child);
}

/* Reads the worker's hello (or its refusal) within the timeout; fd is
 * still blocking here. */
static int read_hello(struct remote_set *set, struct remote_worker *w,
                      char *why, size_t why_len) {
  struct pollfd pfd = {w->fd, POLLIN, 0};
  int pr = poll(&pfd, 1, HELLO_TIMEOUT_MS);
  if (pr <= 0) {
    snprintf(why, why_len, "no hello within %d s", HELLO_TIMEOUT_MS / 1000);
    return -1;
  }
  char err[512];
  int got = proto_read_frame(w->fd, &w->reader, err, sizeof err);
  if (got != 1) {
    snprintf(why, why_len, "%s before its hello",
             got == 0 ? "it closed the connection" : err);
    return -1;
  }
  int r = -1;
  if (w->reader.type == PROTO_HELLO) {
    if (proto_get_hello(w->reader.payload, w->reader.length, &w->hello, err,
                        sizeof err) == 0)
      r = pydron_hostid_check(&set->me, &w->hello, why, why_len);
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

/* Takes the current incarnation's stream, process and transport out of w
 * (which is then not alive and holds none), for stop_incarnation. Called
 * with the three locks of a stream held (see lock_stream). */
static void detach_incarnation(struct remote_worker *w, int *fd, pid_t *pid,
                               struct ssh_worker **ssh) {
  *fd = w->fd;
  *pid = w->pid;
  *ssh = w->ssh;
  w->fd = -1;
  w->pid = 0;
  w->ssh = NULL;
  w->alive = 0;
  forget_incarnation(w);
}

/* Nobody reads or writes w's stream while these three are held. */
static void lock_stream(struct remote_set *set, struct remote_worker *w) {
  pthread_mutex_lock(&set->rx_lock);
  pthread_mutex_lock(&w->wlock);
  pthread_mutex_lock(&set->lock);
}

static void unlock_stream(struct remote_set *set, struct remote_worker *w) {
  pthread_mutex_unlock(&set->lock);
  pthread_mutex_unlock(&w->wlock);
  pthread_mutex_unlock(&set->rx_lock);
}

/* Ends an incarnation's process and transport (no lock needed: the
 * slot is not alive, or the program ends). */
static void stop_incarnation(struct remote_worker *w, int fd, pid_t pid,
                             struct ssh_worker *ssh, int kill_now) {
  /* shutdown, not only close: the receiver may be in poll() on fd, which
   * keeps the socket open after close until the poll returns. */
  if (fd >= 0)
    shutdown(fd, SHUT_RDWR);
  if (w->kind == REMOTE_MPI) {
    if (fd >= 0)
      close(fd);
  } else if (w->kind == REMOTE_SSH || w->kind == REMOTE_CLOUD) {
    if (fd >= 0)
      close(fd);
    pydron_transport_ssh_stop(ssh, kill_now);
  } else if (fd >= 0 || pid > 0) {
    pydron_transport_pipe_stop(fd, pid, kill_now, NULL, 0);
  }
}

/* Starts a new incarnation of w (which has none). 0, or -1 (it could not
 * be started) or -2 (it was refused: its hello) with why. The slot is not
 * alive meanwhile, so no other thread touches it. */
static int start_incarnation(struct remote_set *set, struct remote_worker *w,
                             char *why, size_t why_len) {
  char lease[64];
  snprintf(lease, sizeof lease, "PYDRON_WORKER_LEASE_MS=%llu",
           (unsigned long long)(set->lease_ns / 1000000u));
  const char *env[] = {lease, NULL};
  int fd = -1;
  pid_t pid = 0;
  struct ssh_worker *ssh = NULL;
  int r;
  if (w->kind == REMOTE_MPI) {
    fd = pydron_mpi_worker_fd(w->mpi_rank, why, why_len);
    r = fd >= 0 ? 0 : -1;
  } else if (w->kind == REMOTE_CLOUD) {
    r = w->cloud_ssh ? pydron_transport_ssh_start(w->cloud_ssh, w->want_threads,
                                                  env, &fd, &ssh, why, why_len)
                     : -1;
    if (!w->cloud_ssh)
      snprintf(why, why_len, "its instance is not running yet");
  } else if (w->kind == REMOTE_SSH) {
    r = pydron_transport_ssh_start(&w->conf->u.ssh, w->want_threads, env, &fd,
                                   &ssh, why, why_len);
  } else {
    r = pydron_transport_pipe_start(w->want_threads, env, &fd, &pid, why,
                                    why_len);
  }
  if (r != 0)
    return -1;
  w->fd = fd;
  w->pid = pid;
  w->ssh = ssh;
  memset(&w->reader, 0, sizeof w->reader);
  if (read_hello(set, w, why, why_len) != 0) {
    stop_incarnation(w, w->fd, w->pid, w->ssh, 1);
    w->fd = -1;
    w->pid = 0;
    w->ssh = NULL;
    proto_reader_free(&w->reader);
    return -2;
  }
  if (ssh)
    pydron_transport_ssh_set_pid(ssh, w->hello.pid);
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  ship_cache_init(&w->cache, SHIP_CACHE_MAX_BYTES);
  pthread_mutex_lock(&set->lock);
  w->gen++;
  w->threads = (int)w->hello.threads;
  w->capacity = REMOTE_INFLIGHT_PER_THREAD * w->threads;
  w->outstanding = 0;
  w->stalled = 0;
  w->peer_gone = 0;
  w->last_heard = pydron_remote_now();
  w->alive = 1;
  pthread_cond_broadcast(&set->cond);
  pthread_mutex_unlock(&set->lock);
  pydron_remote_rx_wake(set);
  return 0;
}

/* The first start of every worker, in parallel: one thread each. */
struct first_start {
  struct remote_set *set;
  struct remote_worker *w;
  pthread_t tid;
  int started, result;
  char why[1024];
};

static void *first_start_main(void *arg) {
  struct first_start *fs = arg;
  fs->result = start_incarnation(fs->set, fs->w, fs->why, sizeof fs->why);
  return NULL;
}

static int start_workers(void) {
  struct remote_set *set = &R.set;
  const struct pydron_config *cfg = cfg_file;
  memset(&set->me, 0, sizeof set->me);
  pydron_hostid_fill(&set->me);
  set->me.pid = (uint32_t)getpid();
  set->policy = cfg_faults;
  set->lease_ns = (uint64_t)cfg_faults.lease_seconds * 1000000000u;
  set->heartbeat_ns = set->lease_ns / 4;
  set->rx_wake[0] = set->rx_wake[1] = -1;
  pthread_mutex_init(&set->rx_lock, NULL);
  pthread_mutex_init(&set->lock, NULL);
  pthread_cond_init(&set->cond, NULL);
  size_t n = 0, nentries = cfg ? cfg->nworkers : 0;
  for (size_t i = 0; i < nentries; i++)
    if (gives_worker(&cfg->workers[i]))
      n += cfg->workers[i].type == PYDRON_WORKER_CLOUD
               ? (size_t)cfg->workers[i].u.cloud.count
               : 1;
  if (cfg_mpi_size > 1)
    n += (size_t)cfg_mpi_size - 1;
  set->workers = calloc(n, sizeof *set->workers);
  struct first_start *fs = calloc(n, sizeof *fs);
  if (!set->workers || !fs) {
    free(fs);
    fprintf(stderr, "pydron: out of memory starting workers; loops run on "
                    "threads\n");
    return -1;
  }
  /* Local threads run chunks beside remote workers, unless the local
   * cores are themselves a worker process (isolation "process"). */
  int process = 0;
  for (size_t i = 0; i < nentries; i++)
    process |= cfg->workers[i].type == PYDRON_WORKER_MULTICORE &&
               gives_worker(&cfg->workers[i]);
  set->local_runners = process ? 0 : pydron_pool_threads() - 1;
  set->dispatcher_runs = !process;
  /* Testing and tuning: N local threads take chunks of shipped loops;
   * 0 keeps every chunk on the workers. */
  const char *lr = getenv("PYDRON_PROCESS_LOCAL");
  if (lr && *lr >= '0' && *lr <= '9') {
    set->local_runners = atoi(lr);
    set->dispatcher_runs = set->local_runners > 0 && !process;
  }
  for (int r = 1; r < cfg_mpi_size; r++) {
    struct remote_worker *w = &set->workers[set->nworkers++];
    w->index = set->nworkers;
    w->kind = REMOTE_MPI;
    w->mpi_rank = r;
    w->fd = -1;
    pthread_mutex_init(&w->wlock, NULL);
    snprintf(w->label, sizeof w->label, "MPI rank %d", r);
  }
  for (size_t i = 0; i < nentries; i++) {
    const struct pydron_worker_conf *e = &cfg->workers[i];
    if (!gives_worker(e))
      continue;
    struct remote_worker *w = &set->workers[set->nworkers++];
    w->index = set->nworkers;
    w->conf = e;
    w->fd = -1;
    pthread_mutex_init(&w->wlock, NULL);
    if (e->type == PYDRON_WORKER_CLOUD) {
      /* `count` instances: this slot and count - 1 more, started by the
       * cloud launcher when their instances run. */
      for (int k = 0; k < e->u.cloud.count; k++) {
        if (k > 0) {
          w = &set->workers[set->nworkers++];
          w->index = set->nworkers;
          w->conf = e;
          w->fd = -1;
          pthread_mutex_init(&w->wlock, NULL);
        }
        w->kind = REMOTE_CLOUD;
        w->want_threads = e->u.cloud.cores;
        w->starting = 1;
        snprintf(w->label, sizeof w->label, "cloud worker %d (instance %d of "
                 "%d)", w->index, k + 1, e->u.cloud.count);
      }
    } else if (e->type == PYDRON_WORKER_SSH) {
      w->kind = REMOTE_SSH;
      w->want_threads = e->u.ssh.cores;
      snprintf(w->label, sizeof w->label, "ssh worker %d (%s:%d)", w->index,
               e->u.ssh.hostname, e->u.ssh.port);
    } else {
      w->kind = REMOTE_PROCESS;
      w->want_threads = pydron_pool_threads();
      snprintf(w->label, sizeof w->label, "process worker %d", w->index);
    }
  }
  if (pydron_remote_rx_start(set) != 0) {
    free(fs);
    fprintf(stderr, "pydron: cannot start the thread that listens to "
                    "workers; loops run on threads\n");
    return -1;
  }
  for (int i = 0; i < set->nworkers; i++) {
    fs[i].set = set;
    fs[i].w = &set->workers[i];
    if (set->workers[i].kind == REMOTE_CLOUD) {
      fs[i].result = 1; /* the cloud launcher starts it */
      continue;
    }
    fs[i].started =
        n > 1 && pthread_create(&fs[i].tid, NULL, first_start_main, &fs[i]) ==
                     0;
    if (!fs[i].started)
      first_start_main(&fs[i]);
  }
  int alive = 0, launching = 0;
  for (int i = 0; i < set->nworkers; i++) {
    if (fs[i].started)
      pthread_join(fs[i].tid, NULL);
    alive += fs[i].result == 0;
  }
  /* Cloud entries: their instances start in the background. */
  for (size_t i = 0; i < nentries; i++) {
    const struct pydron_worker_conf *e = &cfg->workers[i];
    if (e->type != PYDRON_WORKER_CLOUD)
      continue;
    struct remote_worker **slots = calloc((size_t)e->u.cloud.count,
                                          sizeof *slots);
    int k = 0;
    for (int j = 0; slots && j < set->nworkers; j++)
      if (set->workers[j].conf == e)
        slots[k++] = &set->workers[j];
    char why[1024];
    if (slots && pydron_cloud_launch(set, e, slots, k, why, sizeof why) == 0) {
      launching += k;
    } else {
      for (int j = 0; j < k; j++)
        pydron_remote_give_up(set, slots[j], slots ? why : "out of memory");
    }
    free(slots);
  }
  for (int i = 0; i < set->nworkers; i++) {
    struct remote_worker *w = &set->workers[i];
    if (fs[i].result == 0 || fs[i].result == 1)
      continue;
    /* A refusal (another build, architecture, CPU) or a host that cannot
     * be reached at all is not tried again: the run goes on with the
     * others. */
    w->given_up = 1;
    fprintf(stderr, "pydron: %s %s: %s; %s\n", w->label,
            fs[i].result == -2 ? "refused" : "cannot be started", fs[i].why,
            alive ? "the run goes on without it" : "loops run on threads");
  }
  free(fs);
  if (!alive && launching)
    return 0; /* loops run here until the instances answer */
  if (!alive && set->policy.when_no_workers == PYDRON_NO_WORKERS_FAIL) {
    fprintf(stderr, "pydron: no worker could be started; stopping, as "
                    "\"faults\": {\"when_no_workers\": \"fail\"} asks\n");
    fflush(stderr);
    _exit(3);
  }
  return alive ? 0 : -1;
}

int pydron_remote_start_slot(struct remote_set *set, struct remote_worker *w,
                             char *why, size_t why_len) {
  int r = start_incarnation(set, w, why, why_len);
  if (r == 0) {
    pthread_mutex_lock(&set->lock);
    w->starting = 0;
    pthread_cond_broadcast(&set->cond);
    pthread_mutex_unlock(&set->lock);
  }
  return r;
}

/* Marks w gone for good during the run (set->lock held). */
static void give_up_locked(struct remote_worker *w) {
  if (!w->given_up && w->kind == REMOTE_CLOUD)
    pydron_cloud_release(w);
  w->given_up = 1;
}

void pydron_remote_give_up(struct remote_set *set, struct remote_worker *w,
                           const char *why) {
  pthread_mutex_lock(&set->lock);
  int was = w->starting || !w->given_up;
  w->starting = 0;
  give_up_locked(w);
  pthread_cond_broadcast(&set->cond);
  pthread_mutex_unlock(&set->lock);
  if (was)
    fprintf(stderr, "pydron: %s cannot be started: %s; the run goes on "
                    "without it\n", w->label, why);
}

int pydron_remote_revivable(const struct remote_set *set) {
  for (int i = 0; i < set->nworkers; i++) {
    const struct remote_worker *w = &set->workers[i];
    if (!w->alive && !w->given_up &&
        (w->starting || w->restarts < set->policy.worker_restarts))
      return 1;
  }
  return 0;
}

struct restart {
  struct remote_set *set;
  struct remote_worker *w;
};

/* A restart, on its own thread: the slot is marked `starting`, so nobody
 * else starts it, and not alive, so nobody else uses it. */
static void *restart_main(void *arg) {
  struct restart *rs = arg;
  struct remote_set *set = rs->set;
  struct remote_worker *w = rs->w;
  free(rs);
  /* Close the lost incarnation's stream. */
  int fd;
  pid_t pid;
  struct ssh_worker *ssh;
  lock_stream(set, w);
  detach_incarnation(w, &fd, &pid, &ssh);
  unlock_stream(set, w);
  stop_incarnation(w, fd, pid, ssh, 1);

  char why[1024];
  int started = start_incarnation(set, w, why, sizeof why);
  pthread_mutex_lock(&set->lock);
  w->starting = 0;
  if (started != 0) {
    if (started == -2) /* a refusal does not go away by trying again */
      give_up_locked(w);
    w->restart_after = pydron_remote_now() +
                       RESTART_BACKOFF_NS * (uint64_t)(w->restarts + 1);
    fprintf(stderr, "pydron: cannot restart %s: %s\n", w->label, why);
  } else {
    fprintf(stderr, "pydron: %s restarted (pid %d; restart %d of %d)\n",
            w->label, (int)w->hello.pid, w->restarts,
            set->policy.worker_restarts);
  }
  pthread_cond_broadcast(&set->cond);
  pthread_mutex_unlock(&set->lock);
  return NULL;
}

int pydron_remote_revive(struct remote_set *set, struct remote_worker *w) {
  uint64_t now = pydron_remote_now();
  pthread_mutex_lock(&set->lock);
  if (w->alive || w->starting || w->given_up) {
    int r = w->alive ? 1 : w->starting ? 0 : -1;
    pthread_mutex_unlock(&set->lock);
    return r;
  }
  if (w->kind == REMOTE_MPI || w->restarts >= set->policy.worker_restarts) {
    give_up_locked(w);
    if (w->kind != REMOTE_MPI)
      fprintf(stderr, "pydron: %s is not restarted again (\"faults\": "
                      "{\"worker_restarts\": %d} used up)\n", w->label,
              set->policy.worker_restarts);
    pthread_mutex_unlock(&set->lock);
    return -1;
  }
  if (now < w->restart_after) {
    pthread_mutex_unlock(&set->lock);
    return 0;
  }
  struct restart *rs = malloc(sizeof *rs);
  if (!rs) {
    pthread_mutex_unlock(&set->lock);
    return 0;
  }
  rs->set = set;
  rs->w = w;
  w->starting = 1;
  w->restarts++;
  set->faults.restarted++;
  if (pydron_start_detached(restart_main, rs, NULL) != 0) {
    free(rs);
    w->starting = 0;
    w->restarts--;
    set->faults.restarted--;
  }
  pthread_mutex_unlock(&set->lock);
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
  if (R.failed) {
    pthread_mutex_unlock(&R.lock);
    return NULL;
  }
  int alive = 0;
  for (int i = 0; i < R.set.nworkers; i++)
    alive += pydron_remote_revive(&R.set, &R.set.workers[i]) == 1;
  if (!alive) {
    /* A worker being restarted right now is worth a short wait: a loop
     * run entirely on threads would not use it at all. */
    /* Instances take minutes: loops do not wait for them, unless
     * PYDRON_WAIT_WORKERS=S asks to wait up to S seconds for every
     * worker being started (testing, and runs that want the cloud from
     * the first loop on). */
    const char *ws = getenv("PYDRON_WAIT_WORKERS");
    long wait_s = ws && *ws >= '0' && *ws <= '9' ? strtol(ws, NULL, 10) : 0;
    int ticks = wait_s > 0 ? (int)(wait_s > 3600 ? 3600 : wait_s) * 20 : 40;
    pthread_mutex_lock(&R.set.lock);
    for (int t = 0; t < ticks && !alive; t++) {
      int starting = 0;
      for (int i = 0; i < R.set.nworkers; i++) {
        alive += R.set.workers[i].alive;
        starting += R.set.workers[i].starting &&
                    (wait_s > 0 || R.set.workers[i].kind != REMOTE_CLOUD);
      }
      if (alive || !starting)
        break;
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += 50000000;
      if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
      }
      pthread_cond_timedwait(&R.set.cond, &R.set.lock, &ts);
    }
    pthread_mutex_unlock(&R.set.lock);
  }
  if (!alive) {
    if (R.set.policy.when_no_workers == PYDRON_NO_WORKERS_FAIL &&
        !pydron_remote_revivable(&R.set)) {
      fprintf(stderr, "pydron: every worker is gone and none may be "
                      "restarted; stopping, as \"faults\": "
                      "{\"when_no_workers\": \"fail\"} asks\n");
      fflush(stderr);
      _exit(3);
    }
    pthread_mutex_unlock(&R.lock);
    return NULL;
  }
  return &R.set;
}

void pydron_remote_release(struct remote_set *set) {
  (void)set;
  pthread_mutex_unlock(&R.lock);
}

void pydron_remote_lost(struct remote_set *set, struct remote_worker *w,
                        const char *why) {
  if (!w->alive)
    return;
  w->alive = 0;
  w->stalled = 0;
  set->faults.lost++;
  w->restart_after = pydron_remote_now() +
                     RESTART_BACKOFF_NS * (uint64_t)w->restarts;
  if (w->kind == REMOTE_MPI && !set->closing) {
    char loop[600] = "";
    if (set->run)
      remote_run_describe(set->run, loop, sizeof loop);
    const char *mpi = pydron_mpi_error();
    fflush(stdout);
    fprintf(stderr, "pydron: %s is gone (%s%s%s)%s%s; Open MPI ends the whole "
                    "job when a rank dies, so this program stops now (its "
                    "output so far is complete)\n", w->label, why,
            mpi ? "; " : "", mpi ? mpi : "", loop[0] ? " during loop " : "",
            loop);
    fflush(stderr);
    _exit(75);
  }
  fprintf(stderr, "pydron: %s (pid %d) is lost: %s; its chunks run "
                  "elsewhere\n", w->label, (int)w->hello.pid, why);
  /* The descriptor stays open until the worker is restarted or the
   * program ends (other threads may still be about to use it); shutting
   * it down makes their reads and writes fail at once. */
  if (w->fd >= 0)
    shutdown(w->fd, SHUT_RDWR);
  if (w->pid > 0)
    kill(w->pid, SIGKILL); /* a remote one is killed when it is restarted,
                              or at exit, through its transport */
  if (set->run)
    remote_run_take_back(set->run, w, 0);
  w->outstanding = 0;
  w->nabandoned = 0;
  pthread_cond_broadcast(&set->cond);
}

int pydron_remote_send_locked(struct remote_set *set,
                              struct remote_worker *w, int gen,
                              const void *buf, size_t len, int may_skip) {
  const uint8_t *p = buf;
  size_t total = len;
  uint64_t progress = pydron_remote_now();
  while (len > 0) {
    pthread_mutex_lock(&set->lock);
    int ok = w->alive && w->gen == gen;
    int fd = w->fd;
    pthread_mutex_unlock(&set->lock);
    if (!ok)
      return REMOTE_SEND_LOST;
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      p += n;
      len -= (size_t)n;
      progress = pydron_remote_now();
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
      return REMOTE_SEND_GONE;
    if (may_skip && len == total)
      return 1; /* nothing written: the stream is still whole */
    if (pydron_remote_now() - progress > set->lease_ns)
      return REMOTE_SEND_STUCK; /* stopped, or cut off */
    struct pollfd pfd = {fd, POLLOUT, 0};
    poll(&pfd, 1, 100);
  }
  return 0;
}

void pydron_remote_peer_gone(struct remote_set *set, struct remote_worker *w,
                             int gen) {
  pthread_mutex_lock(&set->lock);
  if (w->alive && w->gen == gen && !w->peer_gone) {
    w->peer_gone = 1;
    if (w->fd >= 0)
      shutdown(w->fd, SHUT_WR);
    pthread_cond_broadcast(&set->cond);
  }
  pthread_mutex_unlock(&set->lock);
  pydron_remote_rx_wake(set);
}

int pydron_remote_send(struct remote_set *set, struct remote_worker *w,
                       int gen, const void *buf, size_t len) {
  pthread_mutex_lock(&w->wlock);
  int r = pydron_remote_send_locked(set, w, gen, buf, len, 0);
  pthread_mutex_unlock(&w->wlock);
  return r;
}

/* Ends one worker at exit (a thread each: remote ones may take a round
 * trip or two). */
static void *shutdown_one(void *arg) {
  struct remote_worker *w = arg;
  struct remote_set *set = &R.set;
  int fd = -1;
  pid_t pid = 0;
  struct ssh_worker *ssh = NULL;
  lock_stream(set, w);
  int healthy = w->alive && !w->stalled, starting = w->starting;
  int stalled = w->alive && w->stalled;
  if (!starting)
    detach_incarnation(w, &fd, &pid, &ssh);
  w->given_up = 1;
  unlock_stream(set, w);
  /* A stalled one may sit behind a cut link: one brief try (2). */
  if (!starting)
    stop_incarnation(w, fd, pid, ssh, healthy ? 0 : stalled ? 2 : 1);
  return NULL;
}

__attribute__((destructor)) static void remote_shutdown(void) {
  if (pydron_worker_mode() || !R.started || R.failed)
    return;
  if (pthread_mutex_trylock(&R.lock) != 0)
    return; /* a loop runs: its workers see end of stream when we exit */
  struct remote_set *set = &R.set;
  pthread_mutex_lock(&set->lock);
  set->closing = 1;
  pthread_mutex_unlock(&set->lock);
  pthread_t *tids = calloc((size_t)set->nworkers, sizeof *tids);
  char *made = calloc((size_t)set->nworkers, 1);
  for (int i = 0; i < set->nworkers; i++) {
    if (tids && made && set->nworkers > 1 &&
        pthread_create(&tids[i], NULL, shutdown_one, &set->workers[i]) == 0)
      made[i] = 1;
    else
      shutdown_one(&set->workers[i]);
  }
  for (int i = 0; i < set->nworkers; i++)
    if (made && made[i])
      pthread_join(tids[i], NULL);
  free(tids);
  free(made);
  R.failed = 1; /* loops run by later destructors stay local */
  pthread_mutex_unlock(&R.lock);
}

/* ---- MPI: started with the program, ended before libmpi unloads ---------- */

/* When a rank dies, Open MPI 4.1 ends the whole job: mpirun sends the
 * other ranks SIGTERM, usually before this rank's bridge has noticed
 * anything. The handler says what this rank was doing (mpirun names the
 * rank that died); the output written so far stays as it is. */
static char mpi_doing[512];

void pydron_remote_mpi_doing(const char *loop_text) {
  if (cfg_mpi_size <= 1)
    return;
  if (loop_text)
    snprintf(mpi_doing, sizeof mpi_doing, " during loop %s", loop_text);
  else
    mpi_doing[0] = 0;
}

static void mpi_sigterm(int sig) {
  (void)sig;
  static const char head[] = "pydron: MPI rank 0 stopped by the MPI launcher "
                             "(SIGTERM)";
  static const char tail[] = ": a rank died or the job was cancelled (mpirun "
                             "names the rank); Open MPI ends the whole job "
                             "when a rank dies\n";
  ssize_t n = write(2, head, sizeof head - 1);
  n = write(2, mpi_doing, strnlen(mpi_doing, sizeof mpi_doing));
  n = write(2, tail, sizeof tail - 1);
  (void)n;
  _exit(143);
}

static void remote_mpi_exit(void) {
  remote_shutdown(); /* end of stream to every worker rank in use */
  pydron_mpi_finish();
}

__attribute__((constructor)) static void remote_mpi_at_start(void) {
  if (!pydron_remote_configured() || cfg_mpi_size <= 1)
    return;
  char why[512];
  if (pydron_mpi_start(why, sizeof why) != 0) {
    /* The other ranks wait for this one in MPI_Init: end the job. */
    fprintf(stderr, "pydron: MPI rank 0: %s; stopping\n", why);
    exit(70);
  }
  atexit(remote_mpi_exit);
  /* The workers now, not at the first shipped loop: they wait for this
   * rank's heartbeats and end themselves after a lease without them. */
  struct remote_set *set = pydron_remote_acquire();
  if (set)
    pydron_remote_release(set);
  struct sigaction old;
  if (sigaction(SIGTERM, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
    signal(SIGTERM, mpi_sigterm);
}
