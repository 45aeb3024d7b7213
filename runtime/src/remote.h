/* remote.h - the master's side of remote execution: its workers
 * (remote.c), how they are started (transport_pipe.c) and how a loop runs
 * on them together with local threads (remote_sched.c). */
#ifndef PYDRON_REMOTE_H
#define PYDRON_REMOTE_H

#include <stdint.h>
#include <sys/types.h>

#include "proto.h"
#include "pydron_abi.h"
#include "ship.h"

/* One worker process as the master sees it. */
struct remote_worker {
  int index;       /* 1, 2, ... for messages */
  int fd;          /* the protocol stream, -1 when gone */
  pid_t pid;       /* local process workers; 0 otherwise */
  int threads;     /* from its hello */
  int alive;
  struct proto_hello hello;
  struct ship_cache cache;   /* what it keeps (read-only intervals) */
  struct proto_reader reader;
  uint64_t tasks, bytes_out, bytes_in; /* totals, for the report */
};

/* The workers of this process. One loop uses them at a time. */
struct remote_set {
  int nworkers;
  struct remote_worker *workers;
  int local_runners; /* local threads besides the dispatcher that also run
                        chunks of shipped loops (0 for process isolation) */
};

/* Takes the workers for one loop: starts them on first use. Returns NULL
 * (without waiting) when remote execution is not configured, failed, or
 * another thread's loop holds the workers. */
struct remote_set *pydron_remote_acquire(void);
void pydron_remote_release(struct remote_set *set);

/* 1 when the configuration asks for process workers (cheap; does not
 * start them). */
int pydron_remote_configured(void);

/* A worker is unusable: says why once on stderr, ends the process and
 * forgets it. Its tasks in flight are the caller's to rerun. */
void pydron_remote_drop(struct remote_worker *w, const char *why);

/* ---- transport_pipe.c: local worker processes ---------------------------- */

/* Starts this executable in worker mode with `threads` task threads,
 * connected over a socketpair. Returns 0 with *fd and *pid, or -1 with
 * why. */
int pydron_transport_pipe_start(int threads, int *fd, pid_t *pid, char *why,
                                size_t why_len);
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
