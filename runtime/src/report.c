/* report.c - PYDRON_REPORT=1: one line per loop on stderr at exit.
 *
 * Counters live in a lock-free table keyed by the descriptor's address
 * (open addressing, never shrinks, like the scheduler's cost cache): a
 * declined loop called millions of times costs a few relaxed atomic adds
 * per call, and user threads never wait on each other. Loops that find the
 * table full are counted together and mentioned in the header.
 *
 * Format (docs/observability.md):
 *
 *   pydron: report (app, pid 4711): 2 loops, 1.234 s in parallel, ...
 *   pydron: location    function  calls  iterations  chunks  threads  ...
 *   pydron: app.c:14:5  smooth       10    10000000     412        4  ...
 *
 * Rows are sorted by wall time in parallel, longest first. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* program_invocation_short_name */
#endif
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "observe.h"

#define REPORT_SLOTS 4096
#define REPORT_PROBES 64

/* Sequential reasons, as counter indexes. */
enum {
  RR_CHECK_FAILED,
  RR_DISABLED,
  RR_ONE_THREAD,
  RR_TOO_SMALL,
  RR_NESTED,
  RR_BUSY,
  RR_FEW_ITERATIONS,
  RR_NO_MEMORY,
  RR_OTHER,
  RR_COUNT
};

static int reason_index(int reason) {
  switch (reason) {
  case PYDRON_OBSERVE_SEQ_CHECK_FAILED: return RR_CHECK_FAILED;
  case PYDRON_OBSERVE_SEQ_DISABLED: return RR_DISABLED;
  case PYDRON_OBSERVE_SEQ_ONE_THREAD: return RR_ONE_THREAD;
  case PYDRON_OBSERVE_SEQ_TOO_SMALL: return RR_TOO_SMALL;
  case PYDRON_OBSERVE_SEQ_NESTED: return RR_NESTED;
  case PYDRON_OBSERVE_SEQ_BUSY: return RR_BUSY;
  case PYDRON_OBSERVE_SEQ_FEW_ITERATIONS: return RR_FEW_ITERATIONS;
  case PYDRON_OBSERVE_SEQ_NO_MEMORY: return RR_NO_MEMORY;
  default: return RR_OTHER;
  }
}

static const int reason_of_index[RR_COUNT] = {
    PYDRON_OBSERVE_SEQ_CHECK_FAILED, PYDRON_OBSERVE_SEQ_DISABLED,
    PYDRON_OBSERVE_SEQ_ONE_THREAD,   PYDRON_OBSERVE_SEQ_TOO_SMALL,
    PYDRON_OBSERVE_SEQ_NESTED,       PYDRON_OBSERVE_SEQ_BUSY,
    PYDRON_OBSERVE_SEQ_FEW_ITERATIONS, PYDRON_OBSERVE_SEQ_NO_MEMORY, 0};

struct report_entry {
  _Atomic(const struct pydron_loop *) loop;
  _Atomic uint64_t par_calls;
  _Atomic uint64_t iterations; /* parallel and sequential calls */
  _Atomic uint64_t chunks;
  _Atomic uint64_t wall_ns;     /* in parallel runs */
  _Atomic uint64_t busy_ns;     /* in chunks, all threads */
  _Atomic uint64_t capacity_ns; /* sum of wall * threads */
  _Atomic uint64_t max_threads;
  _Atomic uint64_t seq[RR_COUNT];
  _Atomic int other_reason; /* the last unknown reason seen */
};

static struct report_entry report_table[REPORT_SLOTS];
static _Atomic uint64_t report_unlisted; /* calls of loops not in the table */
static int report_forked; /* this is a forked child: quiet unless it ran loops */

static struct report_entry *report_lookup(const struct pydron_loop *loop) {
  uintptr_t h = (uintptr_t)loop;
  h ^= h >> 17;
  h *= 0x9e3779b97f4a7c15u;
  h ^= h >> 29;
  for (unsigned i = 0; i < REPORT_PROBES; i++) {
    struct report_entry *e = &report_table[(h + i) % REPORT_SLOTS];
    const struct pydron_loop *cur =
        atomic_load_explicit(&e->loop, memory_order_acquire);
    if (cur == loop)
      return e;
    if (!cur) {
      const struct pydron_loop *expected = NULL;
      if (atomic_compare_exchange_strong(&e->loop, &expected, loop) ||
          expected == loop)
        return e;
    }
  }
  atomic_fetch_add_explicit(&report_unlisted, 1, memory_order_relaxed);
  return NULL;
}

/* Adds without wrapping: trip counts may be as large as INT64_MAX. */
static void add_sat(_Atomic uint64_t *a, uint64_t v) {
  uint64_t cur = atomic_load_explicit(a, memory_order_relaxed), next;
  do
    next = cur > UINT64_MAX - v ? UINT64_MAX : cur + v;
  while (!atomic_compare_exchange_weak_explicit(a, &cur, next,
                                                memory_order_relaxed,
                                                memory_order_relaxed));
}

static void add(_Atomic uint64_t *a, uint64_t v) {
  atomic_fetch_add_explicit(a, v, memory_order_relaxed);
}

void pydron_report_loop(const struct pydron_loop *loop, int64_t trip_count,
                        int64_t chunks, int threads, uint64_t wall,
                        uint64_t busy) {
  struct report_entry *e = report_lookup(loop);
  if (!e)
    return;
  add(&e->par_calls, 1);
  add_sat(&e->iterations, trip_count > 0 ? (uint64_t)trip_count : 0);
  add(&e->chunks, chunks > 0 ? (uint64_t)chunks : 0);
  add(&e->wall_ns, wall);
  add(&e->busy_ns, busy);
  add(&e->capacity_ns, wall * (uint64_t)(threads > 0 ? threads : 1));
  uint64_t t = (uint64_t)(threads > 0 ? threads : 1);
  uint64_t cur = atomic_load_explicit(&e->max_threads, memory_order_relaxed);
  while (cur < t && !atomic_compare_exchange_weak_explicit(
                        &e->max_threads, &cur, t, memory_order_relaxed,
                        memory_order_relaxed))
    ;
}

void pydron_report_sequential(const struct pydron_loop *loop,
                              int64_t trip_count, int reason) {
  struct report_entry *e = report_lookup(loop);
  if (!e)
    return;
  int r = reason_index(reason);
  add(&e->seq[r], 1);
  if (r == RR_OTHER)
    atomic_store_explicit(&e->other_reason, reason, memory_order_relaxed);
  add_sat(&e->iterations, trip_count > 0 ? (uint64_t)trip_count : 0);
}

/* One row, every counter read once. */
struct report_row {
  const struct pydron_loop *loop;
  uint64_t par_calls, seq_calls, iterations, chunks, wall_ns, busy_ns,
      capacity_ns, max_threads;
  uint64_t seq[RR_COUNT];
  int other_reason;
};

static int row_order(const void *a, const void *b) {
  const struct report_row *x = a, *y = b;
  if (x->wall_ns != y->wall_ns)
    return x->wall_ns > y->wall_ns ? -1 : 1;
  uint64_t cx = x->par_calls + x->seq_calls, cy = y->par_calls + y->seq_calls;
  if (cx != cy)
    return cx > cy ? -1 : 1;
  int c = strcmp(x->loop->file ? x->loop->file : "",
                 y->loop->file ? y->loop->file : "");
  if (c)
    return c;
  if (x->loop->line != y->loop->line)
    return x->loop->line < y->loop->line ? -1 : 1;
  return (x->loop->column > y->loop->column) - (x->loop->column < y->loop->column);
}

static const char *reason_text(int index, int other, char *buf, size_t len) {
  if (index == RR_OTHER) {
    snprintf(buf, len, "reason %d", other);
    return buf;
  }
  return pydron_observe_reason_name(reason_of_index[index]);
}

/* "parallel", "sequential: too small", "parallel 8, sequential 2 (too
 * small 2)", "sequential: too small 3, nested 1". */
static void verdict(const struct report_row *r, char *out, size_t len) {
  int order[RR_COUNT], n = 0;
  for (int i = 0; i < RR_COUNT; i++)
    if (r->seq[i])
      order[n++] = i;
  for (int i = 1; i < n; i++) /* most frequent first; stable */
    for (int j = i; j > 0 && r->seq[order[j]] > r->seq[order[j - 1]]; j--) {
      int t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  char reasons[512] = "", tmp[32];
  size_t used = 0;
  for (int i = 0; i < n && used < sizeof reasons; i++) {
    const char *name = reason_text(order[i], r->other_reason, tmp, sizeof tmp);
    int w = (n > 1 || r->par_calls)
                ? snprintf(reasons + used, sizeof reasons - used, "%s%s %llu",
                           i ? ", " : "", name,
                           (unsigned long long)r->seq[order[i]])
                : snprintf(reasons + used, sizeof reasons - used, "%s", name);
    if (w < 0)
      break;
    used += (size_t)w;
  }
  if (!r->seq_calls)
    snprintf(out, len, "parallel");
  else if (!r->par_calls)
    snprintf(out, len, "sequential: %s", reasons);
  else
    snprintf(out, len, "parallel %llu, sequential %llu (%s)",
             (unsigned long long)r->par_calls,
             (unsigned long long)r->seq_calls, reasons);
}

static void efficiency(uint64_t busy, uint64_t capacity, char *out,
                       size_t len) {
  if (!capacity)
    snprintf(out, len, "-");
  else
    snprintf(out, len, "%.0f%%", 100.0 * (double)busy / (double)capacity);
}

#define COLS 9
static const char *const col_head[COLS] = {
    "location", "function", "calls", "iterations", "chunks",
    "threads",  "wall s",   "eff",   "verdict"};
/* Left-aligned columns: location, function, verdict. */
static const int col_left[COLS] = {1, 1, 0, 0, 0, 0, 0, 0, 1};

static void row_cells(const struct report_row *r, char cells[COLS][512]) {
  const struct pydron_loop *l = r->loop;
  snprintf(cells[0], 512, "%s:%u:%u", l->file ? l->file : "?", l->line,
           l->column);
  snprintf(cells[1], 512, "%s", l->function ? l->function : "?");
  snprintf(cells[2], 512, "%llu",
           (unsigned long long)(r->par_calls + r->seq_calls));
  snprintf(cells[3], 512, "%llu", (unsigned long long)r->iterations);
  snprintf(cells[4], 512, "%llu", (unsigned long long)r->chunks);
  if (r->max_threads)
    snprintf(cells[5], 512, "%llu", (unsigned long long)r->max_threads);
  else
    snprintf(cells[5], 512, "-");
  snprintf(cells[6], 512, "%.3f", (double)r->wall_ns / 1e9);
  efficiency(r->busy_ns, r->capacity_ns, cells[7], 512);
  verdict(r, cells[8], 512);
}

static void print_row(char cells[COLS][512], const int width[COLS]) {
  char line[COLS * 520];
  size_t used = 0;
  used += (size_t)snprintf(line, sizeof line, "pydron:");
  for (int c = 0; c < COLS; c++) {
    int w = c == COLS - 1 ? 0 : width[c]; /* no trailing blanks */
    int n = col_left[c] ? snprintf(line + used, sizeof line - used, " %-*s",
                                   w, cells[c])
                        : snprintf(line + used, sizeof line - used, " %*s", w,
                                   cells[c]);
    if (n < 0 || (size_t)n >= sizeof line - used)
      break;
    used += (size_t)n;
    if (c < COLS - 1 && used < sizeof line - 1)
      line[used++] = ' '; /* two blanks between columns */
  }
  line[used < sizeof line ? used : sizeof line - 1] = 0;
  fprintf(stderr, "%s\n", line);
}

void pydron_report_print(void) {
  size_t n = 0;
  for (size_t i = 0; i < REPORT_SLOTS; i++)
    if (atomic_load(&report_table[i].loop))
      n++;
  struct report_row *rows = calloc(n ? n : 1, sizeof *rows);
  char(*cells)[COLS][512] = calloc(n + 1, sizeof *cells);
  if (!rows || !cells) {
    fprintf(stderr, "pydron: report: out of memory\n");
    free(rows);
    free(cells);
    return;
  }
  size_t k = 0;
  uint64_t wall = 0, busy = 0, capacity = 0;
  for (size_t i = 0; i < REPORT_SLOTS && k < n; i++) {
    struct report_entry *e = &report_table[i];
    struct report_row *r = &rows[k];
    r->loop = atomic_load(&e->loop);
    if (!r->loop)
      continue;
    r->par_calls = atomic_load(&e->par_calls);
    r->iterations = atomic_load(&e->iterations);
    r->chunks = atomic_load(&e->chunks);
    r->wall_ns = atomic_load(&e->wall_ns);
    r->busy_ns = atomic_load(&e->busy_ns);
    r->capacity_ns = atomic_load(&e->capacity_ns);
    r->max_threads = atomic_load(&e->max_threads);
    for (int j = 0; j < RR_COUNT; j++) {
      r->seq[j] = atomic_load(&e->seq[j]);
      r->seq_calls += r->seq[j];
    }
    r->other_reason = atomic_load(&e->other_reason);
    wall += r->wall_ns;
    busy += r->busy_ns;
    capacity += r->capacity_ns;
    k++;
  }
  n = k;
  if (report_forked && !n && !atomic_load(&report_unlisted)) {
    free(rows);
    free(cells);
    return;
  }
  qsort(rows, n, sizeof *rows, row_order);

  char eff[16];
  efficiency(busy, capacity, eff, sizeof eff);
  flockfile(stderr);
  fprintf(stderr,
          "pydron: report (%s, pid %ld): %zu loop%s, %.3f s in parallel, "
          "efficiency %s",
          program_invocation_short_name, (long)getpid(), n, n == 1 ? "" : "s",
          (double)wall / 1e9, eff);
  uint64_t unlisted = atomic_load(&report_unlisted);
  if (unlisted)
    fprintf(stderr, " (%llu calls of further loops not counted)",
            (unsigned long long)unlisted);
  fputc('\n', stderr);
  if (n) {
    int width[COLS];
    for (int c = 0; c < COLS; c++) {
      snprintf(cells[0][c], 512, "%s", col_head[c]);
      width[c] = (int)strlen(col_head[c]);
    }
    for (size_t i = 0; i < n; i++) {
      row_cells(&rows[i], cells[i + 1]);
      for (int c = 0; c < COLS; c++) {
        int w = (int)strlen(cells[i + 1][c]);
        if (w > width[c])
          width[c] = w;
      }
    }
    for (size_t i = 0; i <= n; i++)
      print_row(cells[i], width);
  }
  funlockfile(stderr);
  free(rows);
  free(cells);
}

/* A forked child reports its own loops, not its parent's (the child has
 * one thread: nothing else touches the table now). */
void pydron_report_after_fork(void) {
  memset(report_table, 0, sizeof report_table);
  atomic_store(&report_unlisted, 0);
  report_forked = 1;
}
