/* observe.h - what the runtime tells the observability code (report.c,
 * trace.c, progress.c) about the loops it runs.
 *
 * parallel_for.c calls these hooks; each is cheap when PYDRON_REPORT,
 * PYDRON_TRACE and the progress line are all off. Times are
 * CLOCK_MONOTONIC nanoseconds. */
#ifndef PYDRON_OBSERVE_H
#define PYDRON_OBSERVE_H

#include <stdatomic.h>
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
  PYDRON_OBSERVE_SEQ_FEW_ITERATIONS, /* trip count < 2 */
  PYDRON_OBSERVE_SEQ_NO_MEMORY,      /* no memory for the run's buffers */
};

/* PYDRON_REPORT, PYDRON_TRACE or the progress line is on (bits of
 * pydron_observe_mask, set once at start-up). Callers test this before
 * taking timestamps that only the hooks need; the hooks test it too. */
#define PYDRON_OBSERVE_REPORT 1u
#define PYDRON_OBSERVE_TRACE 2u
#define PYDRON_OBSERVE_PROGRESS 4u
extern _Atomic unsigned pydron_observe_mask;
static inline unsigned pydron_observe_on(void) {
  return atomic_load_explicit(&pydron_observe_mask, memory_order_relaxed);
}

/* A loop starts running in parallel on `threads` threads. */
void pydron_observe_begin(const struct pydron_loop *loop, int64_t trip_count,
                          int threads, uint64_t t0);
/* Thread `thread` (0 = the calling thread) ran iterations [lo, hi). */
void pydron_observe_chunk(const struct pydron_loop *loop, int thread,
                          int64_t lo, int64_t hi, uint64_t t0, uint64_t t1);
/* The loop finished: `chunks` chunks, `busy` nanoseconds spent in chunks
 * (all threads together) and in its chain, if it has one; `threads` the
 * threads that took part. */
void pydron_observe_end(const struct pydron_loop *loop, int64_t trip_count,
                        int64_t chunks, int threads, uint64_t t0, uint64_t t1,
                        uint64_t busy);
/* The loop ran sequentially (reason: enum pydron_observe_seq). */
void pydron_observe_sequential(const struct pydron_loop *loop,
                               int64_t trip_count, int reason);

/* Added with the in-order chains and for the cases begin cannot foresee: */

/* Thread `thread` applied the chain of iterations [lo, hi). */
void pydron_observe_chain(const struct pydron_loop *loop, int thread,
                          int64_t lo, int64_t hi, uint64_t t0, uint64_t t1);
/* A loop announced by pydron_observe_begin did not run after all (the
 * pool was busy); pydron_observe_sequential follows with the reason. */
void pydron_observe_cancel(const struct pydron_loop *loop);

/* ---- between the observability files (observe.c dispatches) ---------- */

/* "too small", "overlap check failed", ...; NULL for an unknown reason. */
const char *pydron_observe_reason_name(int reason);

/* report.c: counts per loop; prints the table (at exit). */
void pydron_report_loop(const struct pydron_loop *loop, int64_t trip_count,
                        int64_t chunks, int threads, uint64_t wall,
                        uint64_t busy);
void pydron_report_sequential(const struct pydron_loop *loop,
                              int64_t trip_count, int reason);
void pydron_report_print(void);
void pydron_report_after_fork(void);

/* trace.c: opens FILE at start (0, or -1 after printing why); records one
 * event on the calling thread's buffer; writes the file (at exit). */
enum { PYDRON_TRACE_CHUNK = 1, PYDRON_TRACE_CHAIN, PYDRON_TRACE_LOOP };
int pydron_trace_open(const char *path);
void pydron_trace_event(int kind, const struct pydron_loop *loop, int thread,
                        int64_t lo, int64_t hi, uint64_t t0, uint64_t t1,
                        int64_t chunks, int threads);
void pydron_trace_write(void);
void pydron_trace_after_fork(void);

/* progress.c: the loop shown on the progress line; stop erases the line
 * and ends the progress thread (at exit). */
void pydron_progress_begin(const struct pydron_loop *loop, int64_t trip_count,
                           uint64_t t0);
void pydron_progress_chunk(const struct pydron_loop *loop, int64_t iters);
void pydron_progress_end(const struct pydron_loop *loop);
void pydron_progress_stop(void);
void pydron_progress_after_fork(void);

#endif /* PYDRON_OBSERVE_H */
