/* remote.h - the master's side of remote execution: its workers and their
 * lives (remote.c), how they are started (transport_pipe.c), the thread
 * that listens to them (remote_rx.c) and how a loop runs on them together
 * with local threads (remote_sched.c).
 *
 * Locks, always taken in this order (never the other way round):
 *   R.lock in remote.c     the loop that uses the workers (one at a time)
 *   set->rx_lock           the receiver handles frames or checks leases;
 *                          held to close or replace a worker's stream
 *   w->wlock               one writer at a time on a worker's stream
 *   set->lock              workers' state, the current run's flights
 */
#ifndef PYDRON_REMOTE_H
#define PYDRON_REMOTE_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "proto.h"
#include "pydron_abi.h"
#include "ship.h"

/* Chunks in flight per worker thread, so its threads never wait for the
 * next message. */
#define REMOTE_INFLIGHT_PER_THREAD 2

struct remote_run; /* remote_sched.c: one loop on the workers */
struct ssh_worker; /* transport_ssh.h */

enum remote_kind {
  REMOTE_PROCESS, /* a local worker process (isolation "process") */
  REMOTE_SSH,     /* a worker on another host, over SSH */
  REMOTE_MPI,     /* another rank of this MPI job (mpi_bridge.h) */
  REMOTE_CLOUD,   /* an EC2 instance Pydron started (cloud.h), over SSH */
};

/* One worker as the master sees it: a slot that lives as long as the
 * process, holding one incarnation (a started worker) at a time. */
struct remote_worker {
  int index; /* 1, 2, ... for messages */
  enum remote_kind kind;
  const struct pydron_worker_conf *conf; /* its pydron.conf entry */
  char label[160];                       /* "process worker 1" */
  int want_threads;                      /* asked for at start */
  int mpi_rank;                          /* REMOTE_MPI: its rank */
  struct pydron_ssh_conf *cloud_ssh;     /* REMOTE_CLOUD: set once its
                                            instance runs (cloud.c) */
  char cloud_instance[32];               /* REMOTE_CLOUD: its instance id,
                                            once it runs ("" before) */

  /* The incarnation. `gen` grows at every start; a frame or a flight of an
   * older incarnation is never taken for one of this. */
  int gen;
  int fd; /* the master's end of the stream (non-blocking), -1 when none */
  pid_t pid; /* local process workers; 0 otherwise */
  struct ssh_worker *ssh; /* ssh workers: the transport */
  int alive; /* started, hello checked, stream open */
  int stalled; /* lease expired: gets no tasks until it is heard from */
  int peer_gone; /* a write found the worker gone: no more tasks; the
                    receiver reads what it sent before (an error frame
                    may explain why) and then loses it at end of stream */
  int threads; /* from its hello */
  struct proto_hello hello;
  struct ship_cache cache; /* what it keeps (read-only intervals) */
  struct proto_reader reader;
  uint64_t last_heard; /* ns (monotonic): last bytes from it */

  /* Tasks sent and not yet answered: in flight for the current run, or
   * abandoned when its lease expired (their late answers are discarded,
   * but they still occupy the worker). */
  int capacity; /* REMOTE_INFLIGHT_PER_THREAD * threads */
  int outstanding;
  uint64_t *abandoned;
  size_t nabandoned, capabandoned;

  int restarts;           /* restarts used (faults.worker_restarts) */
  uint64_t restart_after; /* ns: no restart before (back-off) */
  int starting;           /* a thread is starting it (remote.c) */
  int given_up;           /* no restart left, or refused: gone for good */

  pthread_mutex_t wlock;
  uint64_t tasks, bytes_out, bytes_in; /* totals, for the report */
};

/* Fault counters for the report. */
struct remote_faults {
  uint64_t lost, restarted, stalls, late_discarded, crashes, reruns,
      master_pauses;
};

/* The workers of this process. One loop uses them at a time. */
struct remote_set {
  int nworkers;
  struct remote_worker *workers;
  int local_runners; /* local threads besides the dispatcher that also run
                        chunks of shipped loops (0 for process isolation) */
  int dispatcher_runs; /* the dispatcher runs chunks while workers are full
                          (not with process isolation: its cores are the
                          worker's) */
  struct pydron_faults_conf policy;
  int closing; /* the program ends: workers going away is expected */
  uint64_t lease_ns, heartbeat_ns;
  struct proto_hello me;

  pthread_mutex_t rx_lock;
  struct remote_run *run; /* the run the receiver serves (rx_lock) */
  int rx_started;
  int rx_wake[2]; /* a byte here wakes the receiver */

  pthread_mutex_t lock;
  pthread_cond_t cond; /* broadcast when workers or flights change */
  uint64_t next_attempt;
  struct remote_faults faults;
};

/* ---- remote.c: the workers' lives ---------------------------------------- */

/* Takes the workers for one loop: starts them on first use, restarts lost
 * ones whose back-off has passed. Returns NULL (without waiting) when
 * remote execution is not configured, failed, every worker is gone, or
 * another thread's loop holds the workers. */
struct remote_set *pydron_remote_acquire(void);
void pydron_remote_release(struct remote_set *set);

/* MPI rank 0: what the program is doing, for the message when the
 * launcher stops the job (NULL: no loop). */
void pydron_remote_mpi_doing(const char *loop_text);

/* 1 when the configuration asks for process workers (cheap; does not
 * start them). */
int pydron_remote_configured(void);

/* The worker is lost (end of stream, I/O error, bad message, a write that
 * cannot finish): says why once on stderr, ends its process and forgets
 * the incarnation; the current run's flights on it are to be rerun.
 * Called with set->lock held. */
void pydron_remote_lost(struct remote_set *set, struct remote_worker *w,
                        const char *why);

/* Starts a lost worker again, in the background, when its restarts and
 * back-off allow it (a host may take seconds to answer; the loop goes on
 * meanwhile). No lock held. Returns 1 when it is alive, 0 when it is (or
 * will be) started, -1 when it is gone for good. */
int pydron_remote_revive(struct remote_set *set, struct remote_worker *w);

/* Starts slot w (marked starting) now: the cloud launcher calls it once
 * the slot's instance runs. 0 when it runs; -1 (could not start: may be
 * tried again) or -2 (refused) with why; the slot stays starting. */
int pydron_remote_start_slot(struct remote_set *set, struct remote_worker *w,
                             char *why, size_t why_len);
/* Slot w (starting) will not run: says why, once. */
void pydron_remote_give_up(struct remote_set *set, struct remote_worker *w,
                           const char *why);

/* 1 when some lost worker may still be restarted (now or after its
 * back-off). Called with set->lock held. */
int pydron_remote_revivable(const struct remote_set *set);

/* Writes one whole frame sequence to worker w of incarnation gen. 0, or
 * REMOTE_SEND_GONE (the worker closed its end: see
 * pydron_remote_peer_gone), REMOTE_SEND_STUCK (it took no byte for a
 * lease: the caller declares it lost) or REMOTE_SEND_LOST (it is lost
 * already). No lock held. */
#define REMOTE_SEND_GONE (-1)
#define REMOTE_SEND_STUCK (-2)
#define REMOTE_SEND_LOST (-3)
int pydron_remote_send(struct remote_set *set, struct remote_worker *w,
                       int gen, const void *buf, size_t len);

/* The same with w->wlock held. With may_skip, returns 1 (nothing sent)
 * when the stream takes no byte at once. */
int pydron_remote_send_locked(struct remote_set *set,
                              struct remote_worker *w, int gen,
                              const void *buf, size_t len, int may_skip);

/* A write found worker w of incarnation gen gone: it gets no more tasks,
 * its sending side is shut, and the receiver loses it once it has read
 * everything the worker sent. No lock held. */
void pydron_remote_peer_gone(struct remote_set *set, struct remote_worker *w,
                             int gen);

/* A worker is started and answered: tasks it may take now. Called with
 * set->lock held. */
static inline int pydron_remote_credits(const struct remote_worker *w) {
  if (!w->alive || w->stalled || w->peer_gone)
    return 0;
  return w->capacity - w->outstanding;
}

/* ---- remote_rx.c: the receiver --------------------------------------------
 *
 * One thread for the life of the process, started with the workers: it
 * reads every worker's frames (handing those of a loop to the run it
 * serves), sends heartbeats, and gives up on workers that are silent for
 * a lease. */
int pydron_remote_rx_start(struct remote_set *set);
/* Serve `run` (NULL: no run) from now on; returns when the receiver no
 * longer touches the previous one. */
void pydron_remote_rx_serve(struct remote_set *set, struct remote_run *run);
/* Wakes the receiver (a worker was started: poll it too). */
void pydron_remote_rx_wake(struct remote_set *set);
/* Monotonic nanoseconds. */
uint64_t pydron_remote_now(void);

/* ---- remote_sched.c: called by the receiver ------------------------------ */

/* A RESULT or ERROR frame of worker w for the run (no lock held). */
void remote_run_frame(struct remote_run *run, struct remote_worker *w,
                      uint16_t type, const uint8_t *p, size_t n,
                      uint64_t t_end);
/* The loop the run is about ("id (function at file:line)"), for messages. */
void remote_run_describe(const struct remote_run *run, char *out, size_t cap);
/* Worker w's flights go back to be run elsewhere. With `abandon` their
 * attempts are remembered in w->abandoned (the worker still holds them).
 * Called with set->lock held. */
void remote_run_take_back(struct remote_run *run, struct remote_worker *w,
                          int abandon);

/* ---- transport_pipe.c: local worker processes ---------------------------- */

/* Starts this executable in worker mode with `threads` task threads and
 * the given "NAME=value" variables (NULL-terminated), connected over a
 * socketpair. Returns 0 with *fd (blocking) and *pid, or -1 with why. */
int pydron_transport_pipe_start(int threads, const char *const *env, int *fd,
                                pid_t *pid, char *why, size_t why_len);
/* Ends a local worker: closes fd (the worker sees end of stream and
 * exits), waits for it a little, then kills it. Fills status text when
 * it died of a signal or with a non-zero status. */
void pydron_transport_pipe_stop(int fd, pid_t pid, int kill_now, char *status,
                                size_t status_len);

/* ---- remote_sched.c ---------------------------------------------------- */

/* Runs `loop` on the workers (and on local runners). Returns 1 when the
 * loop ran (result final), 0 when it was not taken (not configured, not
 * shippable, workers busy or unavailable, too small): the caller then
 * runs it locally, `result` untouched. */
int pydron_remote_parallel_for(const struct pydron_loop *loop,
                               int64_t trip_count, const void *env,
                               void *result);

/* A loop with process workers configured ran locally: for the report. */
void pydron_remote_note_local(const struct pydron_loop *loop,
                              const char *why);

#endif /* PYDRON_REMOTE_H */
