/* chain.h - running a loop with an in-order chain (loop->chain != NULL).
 *
 * Chunks run in parallel and store per-iteration values; the chain applies
 * them to the carried state strictly in iteration order, one chunk at a
 * time, as chunks complete (DESIGN.md §3 "Recurrences"). The run keeps a
 * window of W = PYDRON_CHAIN_WINDOW_PER_THREAD * threads chunk buffers:
 * a chunk can only be claimed while fewer than W chunks are claimed but
 * not yet chained, so the memory in flight is W buffers of at most
 * SCHED_CHAIN_VALUES_BYTES of values each, whatever the trip count.
 *
 * Who chains: the thread that completes the oldest unchained chunk (the
 * one the chain waits for) becomes the chainer and applies every chunk
 * that is ready, in order; a thread that completes a later chunk just
 * leaves its buffer behind and claims the next chunk. A flag under the
 * run's mutex makes sure only one thread chains at a time. Folds in the
 * same loop are combined into `result` by the chainer too, in chunk order
 * (left to right, as parallel_for.c does for loops without a chain). */
#ifndef PYDRON_CHAIN_H
#define PYDRON_CHAIN_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "pydron_abi.h"
#include "schedule.h"

/* Chunks in flight (claimed, not yet chained) per participating thread. */
#define PYDRON_CHAIN_WINDOW_PER_THREAD 4

struct chain_slot {
  int64_t lo, hi;
  int done; /* the chunk finished; its buffer waits for the chain */
};

/* One run of one loop with a chain. Shared by the participating threads. */
struct pydron_chain {
  const struct pydron_loop *loop;
  const void *env;
  void *result;
  struct pydron_sched *sched;
  pthread_mutex_t lock;
  pthread_cond_t advanced; /* the chain moved on: the window has room */
  int64_t window;          /* W */
  int64_t claimed;         /* chunks claimed so far (the next sequence) */
  int64_t chained;         /* chunks chained so far */
  int chaining;            /* a thread is applying the chain */
  int waiting;             /* threads waiting for room in the window */
  uint64_t chain_ns;       /* time spent in the chain function (written by
                              the chainer only; read after the run) */
  size_t slot_bytes;       /* one chunk's buffer, 16-byte multiple */
  unsigned char *arena;    /* window * slot_bytes, 16-byte aligned */
  void *arena_block;       /* what to give back (chain.c's cache) */
  struct chain_slot *slots;
};

/* Prepares a run over the plan in `sched` (made for `threads` threads).
 * Returns 0 when the buffers cannot be had: the loop then runs
 * sequentially, nothing has run yet. */
int pydron_chain_init(struct pydron_chain *c, const struct pydron_loop *loop,
                      struct pydron_sched *sched, int threads,
                      const void *env, void *result);

/* Claims the next chunk [lo, hi) in iteration order. *buf is the chunk's
 * buffer (partials, then values at PYDRON_VALUES_OFFSET); *seq identifies
 * the chunk for pydron_chain_complete. Returns 1 with a chunk, 0 when
 * every iteration is claimed. While the window is full it waits for the
 * chain to move on, or, when !wait, returns -1 at once: a thread that must
 * stay free to run a chunk again (the dispatcher of a remote run, which
 * retries the chunks of lost workers) does not wait here. */
int pydron_chain_claim(struct pydron_chain *c, int64_t *lo, int64_t *hi,
                       int64_t *seq, void **buf, int wait);

/* The chunk `seq` finished. If the chain was waiting for it, this thread
 * (pool index `thread`, for the observability hooks) applies the chain to
 * it and to every later chunk already finished, in order. */
void pydron_chain_complete(struct pydron_chain *c, int64_t seq, int thread);

/* After every participant returned: every chunk has been chained. Frees
 * the run's buffers (keeping one arena for the next run). */
void pydron_chain_destroy(struct pydron_chain *c);

#endif /* PYDRON_CHAIN_H */
