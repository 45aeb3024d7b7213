/* observe.h - what the runtime tells the observability code (report.c,
 * trace.c, progress.c) about the loops it runs.
 *
 * parallel_for.c calls these hooks; each is cheap when PYDRON_REPORT,
 * PYDRON_TRACE and the progress line are all off. Times are
 * CLOCK_MONOTONIC nanoseconds. */
#ifndef PYDRON_OBSERVE_H
#define PYDRON_OBSERVE_H

#include <stdint.h>

#include "pydron_abi.h"

/* Why a loop that has a descriptor ran sequentially. The first values are
 * those of enum pydron_sequential_reason (reported by generated code). */
enum pydron_observe_seq {
  PYDRON_OBSERVE_SEQ_CHECK_FAILED = PYDRON_SEQ_CHECK_FAILED,
  PYDRON_OBSERVE_SEQ_DISABLED = 16, /* PYDRON_DISABLE=1 */
  PYDRON_OBSERVE_SEQ_ONE_THREAD,    /* one thread configured */
  PYDRON_OBSERVE_SEQ_TOO_SMALL,     /* too little work to gain */
  PYDRON_OBSERVE_SEQ_NESTED,        /* reached from inside a chunk */
  PYDRON_OBSERVE_SEQ_BUSY,          /* another user thread owns the pool */
  PYDRON_OBSERVE_SEQ_FEW_ITERATIONS /* trip count < 2 */
};

/* A loop starts running in parallel on `threads` threads. */
void pydron_observe_begin(const struct pydron_loop *loop, int64_t trip_count,
                          int threads, uint64_t t0);
/* Thread `thread` (0 = the calling thread) ran iterations [lo, hi). */
void pydron_observe_chunk(const struct pydron_loop *loop, int thread,
                          int64_t lo, int64_t hi, uint64_t t0, uint64_t t1);
/* The loop finished: `chunks` chunks, `busy` nanoseconds spent in chunks
 * (all threads together). */
void pydron_observe_end(const struct pydron_loop *loop, int64_t trip_count,
                        int64_t chunks, int threads, uint64_t t0, uint64_t t1,
                        uint64_t busy);
/* The loop ran sequentially (reason: enum pydron_observe_seq). */
void pydron_observe_sequential(const struct pydron_loop *loop,
                               int64_t trip_count, int reason);

#endif /* PYDRON_OBSERVE_H */
