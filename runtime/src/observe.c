/* observe.c - what is switched on, and the hooks that dispatch to it.
 *
 * PYDRON_REPORT=1      a per-loop summary on stderr at exit (report.c)
 * PYDRON_TRACE=FILE    a Chrome trace-event JSON file at exit (trace.c)
 * a terminal on stderr a progress line for loops longer than a second
 *                      (progress.c); PYDRON_PROGRESS=0 turns it off
 *
 * The variables are read once, by a constructor, so a bad value stops the
 * program before main (status 2, like PYDRON_WORKERS). What is on ends up
 * in pydron_observe_mask, which every hook (and parallel_for.c, before it
 * takes timestamps for them) tests with one relaxed load: with everything
 * off a hook costs that load.
 *
 * At exit (an atexit handler, so after main returns or calls exit, before
 * the runtime's destructors stop the pool) the progress line is cleared,
 * the report printed and the trace written. A forked child that reaches
 * exit() reports only its own loops, and only if it ran any.
 *
 * In worker mode (PYDRON_WORKER set) nothing is switched on: the master
 * reports. */
#include "observe.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Atomic unsigned pydron_observe_mask;

static void observe_usage_error(const char *name, const char *value,
                                const char *what) {
  fprintf(stderr, "pydron: %s=%s %s\n", name, value, what);
  fflush(stderr);
  exit(2);
}

/* "0", "1" or unset/empty (dflt). */
static int observe_bool(const char *name, int dflt) {
  const char *v = getenv(name);
  if (!v || !*v)
    return dflt;
  if (strcmp(v, "1") == 0)
    return 1;
  if (strcmp(v, "0") == 0)
    return 0;
  observe_usage_error(name, v, "must be 0 or 1");
  return 0;
}

static void observe_at_exit(void) {
  unsigned mask = pydron_observe_on();
  if (mask & PYDRON_OBSERVE_PROGRESS)
    pydron_progress_stop();
  if (mask & PYDRON_OBSERVE_REPORT)
    pydron_report_print();
  if (mask & PYDRON_OBSERVE_TRACE)
    pydron_trace_write();
}

static void observe_after_fork(void) {
  unsigned mask = pydron_observe_on();
  if (mask & PYDRON_OBSERVE_PROGRESS)
    pydron_progress_after_fork();
  if (mask & PYDRON_OBSERVE_REPORT)
    pydron_report_after_fork();
  if (mask & PYDRON_OBSERVE_TRACE)
    pydron_trace_after_fork();
}

__attribute__((constructor)) static void observe_init(void) {
  if (getenv("PYDRON_WORKER"))
    return;
  unsigned mask = 0;
  if (observe_bool("PYDRON_REPORT", 0))
    mask |= PYDRON_OBSERVE_REPORT;
  const char *trace = getenv("PYDRON_TRACE");
  if (trace && *trace) {
    if (pydron_trace_open(trace) != 0)
      exit(2); /* trace.c said why */
    mask |= PYDRON_OBSERVE_TRACE;
  }
  if (observe_bool("PYDRON_PROGRESS", 1) && isatty(STDERR_FILENO))
    mask |= PYDRON_OBSERVE_PROGRESS;
  if (!mask)
    return;
  atexit(observe_at_exit);
  pthread_atfork(NULL, NULL, observe_after_fork);
  atomic_store(&pydron_observe_mask, mask);
}

const char *pydron_observe_reason_name(int reason) {
  switch (reason) {
  case PYDRON_OBSERVE_SEQ_CHECK_FAILED: return "overlap check failed";
  case PYDRON_OBSERVE_SEQ_DISABLED: return "PYDRON_DISABLE=1";
  case PYDRON_OBSERVE_SEQ_ONE_THREAD: return "one thread";
  case PYDRON_OBSERVE_SEQ_TOO_SMALL: return "too small";
  case PYDRON_OBSERVE_SEQ_NESTED: return "nested";
  case PYDRON_OBSERVE_SEQ_BUSY: return "pool busy";
  case PYDRON_OBSERVE_SEQ_FEW_ITERATIONS: return "under 2 iterations";
  case PYDRON_OBSERVE_SEQ_NO_MEMORY: return "out of memory";
  default: return NULL;
  }
}

void pydron_observe_begin(const struct pydron_loop *loop, int64_t trip_count,
                          int threads, uint64_t t0) {
  (void)threads;
  if (pydron_observe_on() & PYDRON_OBSERVE_PROGRESS)
    pydron_progress_begin(loop, trip_count, t0);
}

void pydron_observe_chunk(const struct pydron_loop *loop, int thread,
                          int64_t lo, int64_t hi, uint64_t t0, uint64_t t1) {
  unsigned mask = pydron_observe_on();
  if (mask & PYDRON_OBSERVE_TRACE)
    pydron_trace_event(PYDRON_TRACE_CHUNK, loop, thread, lo, hi, t0, t1, 0, 0);
  if (mask & PYDRON_OBSERVE_PROGRESS)
    pydron_progress_chunk(loop, hi - lo);
}

void pydron_observe_chain(const struct pydron_loop *loop, int thread,
                          int64_t lo, int64_t hi, uint64_t t0, uint64_t t1) {
  if (pydron_observe_on() & PYDRON_OBSERVE_TRACE)
    pydron_trace_event(PYDRON_TRACE_CHAIN, loop, thread, lo, hi, t0, t1, 0, 0);
}

void pydron_observe_end(const struct pydron_loop *loop, int64_t trip_count,
                        int64_t chunks, int threads, uint64_t t0, uint64_t t1,
                        uint64_t busy) {
  unsigned mask = pydron_observe_on();
  if (mask & PYDRON_OBSERVE_PROGRESS)
    pydron_progress_end(loop);
  if (mask & PYDRON_OBSERVE_REPORT)
    pydron_report_loop(loop, trip_count, chunks, threads, t1 - t0, busy);
  if (mask & PYDRON_OBSERVE_TRACE)
    pydron_trace_event(PYDRON_TRACE_LOOP, loop, 0, 0, trip_count, t0, t1,
                       chunks, threads);
}

void pydron_observe_cancel(const struct pydron_loop *loop) {
  if (pydron_observe_on() & PYDRON_OBSERVE_PROGRESS)
    pydron_progress_end(loop);
}

void pydron_observe_sequential(const struct pydron_loop *loop,
                               int64_t trip_count, int reason) {
  if (pydron_observe_on() & PYDRON_OBSERVE_REPORT)
    pydron_report_sequential(loop, trip_count, reason);
}

/* The ABI entry generated code calls when it takes the sequential path on
 * its own (a run-time overlap check failed). */
__attribute__((visibility("default"))) void
pydron_loop_sequential(const struct pydron_loop *loop, int64_t trip_count,
                       uint32_t reason) {
  if (loop && pydron_observe_on())
    pydron_observe_sequential(loop, trip_count, (int)reason);
}
