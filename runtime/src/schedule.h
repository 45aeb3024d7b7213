/* schedule.h - how a loop's iterations are cut into chunks.
 * (Not sched.h: runtime/src is on the include path and must not shadow
 * the system's <sched.h>.) */
#ifndef PYDRON_SCHEDULE_H
#define PYDRON_SCHEDULE_H

#include <stdatomic.h>
#include <stdint.h>

#include "pydron_abi.h"

/* Guided chunks: a chunk is remaining / (SCHED_K * threads) iterations, but
 * never less than the current minimum chunk. */
#define SCHED_K 2
/* A chunk should hold at least this much work (amortizes claiming, timing
 * and the partial buffer). */
#define SCHED_CHUNK_NS 20000
/* Same, in instructions, while only the static estimate is known. */
#define SCHED_CHUNK_INSTR 20000
/* Loops estimated below this run sequentially: learned time ... */
#define SCHED_MIN_LOOP_NS 20000
/* ... or, before anything was learned, loop->cost * trip_count. */
#define SCHED_MIN_LOOP_INSTR 20000
/* Fixed chunks: at most this many per loop (more when a chain caps the
 * chunk size, below). */
#define SCHED_FIXED_MAX_CHUNKS 256
/* Loops with an in-order chain: a chunk stores at most this many bytes of
 * per-iteration values (at least one iteration per chunk), so the buffers
 * in flight stay small whatever the trip count. */
#define SCHED_CHAIN_VALUES_BYTES (1u << 20)

struct sched_cost;

/* One run of one loop. Filled by pydron_sched_plan, then shared by every
 * participating thread. */
struct pydron_sched {
  int tiny; /* PYDRON_TINY_CHUNKS: chunks of one iteration */
  int64_t n;         /* trip count */
  int threads;       /* participants the plan was made for */
  int fixed;         /* PYDRON_LOOP_FIXED_CHUNKS */
  int64_t block;     /* fixed: iterations per chunk */
  int64_t nchunks;   /* fixed: number of chunks */
  int64_t cap;       /* guided: largest useful minimum chunk */
  int64_t max_chunk; /* most iterations in one chunk; 0: no limit */
  _Atomic int64_t next;      /* guided: first unclaimed iteration;
                                fixed: next chunk number */
  _Atomic int64_t min_chunk; /* guided: learned while the loop runs */
  _Atomic uint64_t busy_ns;  /* time spent inside chunks so far */
  _Atomic int64_t done;      /* iterations finished so far */
  _Atomic int64_t chunks;    /* chunks finished so far */
  struct sched_cost *cost;   /* the loop's learned cost, or NULL */
};

/* Prepares a run of `loop` over n iterations for `threads` threads.
 * Returns 0 when the loop is too small to gain from running in parallel.
 * With PYDRON_LOOP_FIXED_CHUNKS the chunks (and this decision) depend only
 * on n and the descriptor, never on threads or timing. */
int pydron_sched_plan(struct pydron_sched *s, const struct pydron_loop *loop,
                      int64_t n, int threads);

/* The most iterations one chunk of this run can have (for buffers sized
 * before the run). */
int64_t pydron_sched_largest(const struct pydron_sched *s);

/* Claims the next chunk [lo, hi), in increasing iteration order. *index is
 * the chunk number for fixed chunks, -1 for guided ones. Returns 0 when
 * every iteration is claimed. Thread-safe. */
int pydron_sched_claim(struct pydron_sched *s, int64_t *lo, int64_t *hi,
                       int64_t *index);

/* The same with guided chunks of at least `scale` times the learned
 * minimum (up to cap): workers get bigger chunks than threads, so that a
 * round trip is amortized. Fixed chunks stay as they are. */
int pydron_sched_claim_scaled(struct pydron_sched *s, int64_t scale,
                              int64_t *lo, int64_t *hi, int64_t *index);

/* Reports a finished chunk of `iters` iterations that took `ns`. */
void pydron_sched_done(struct pydron_sched *s, int64_t iters, uint64_t ns);

/* After the run: remembers the loop's measured cost for its next call. */
void pydron_sched_finish(struct pydron_sched *s);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t pydron_sched_now(void);

#endif /* PYDRON_SCHEDULE_H */
