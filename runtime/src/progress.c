/* progress.c - a progress line on stderr for long parallel loops.
 *
 * Only when stderr is a terminal (checked at start, and again before every
 * update, in case the program redirected it) and PYDRON_PROGRESS is not 0.
 * A loop that has run for PROGRESS_AFTER_NS gets one line, rewritten in
 * place every PROGRESS_EVERY_NS and erased when the loop ends:
 *
 *   pydron: app.c:14 loop 63% (6.3M/10M iterations) 2.1 s
 *
 * The line is drawn by a small thread of its own, started on the first
 * parallel loop: the threads running chunks cannot do it, since guided
 * scheduling gives the first chunks about half the loop's work each. The
 * thread polls (see progress_main); starting and ending a loop costs a
 * mutex round trip and never wakes it. Iterations are
 * counted when chunks finish (a relaxed atomic add, from the chunk hook).
 * One loop is shown at a time: the first to start while none is shown. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "observe.h"
#include "pool.h"

#define PROGRESS_AFTER_NS 1000000000u
#define PROGRESS_EVERY_NS 200000000u

static pthread_mutex_t progress_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t progress_wake;
static pthread_once_t progress_cond_once = PTHREAD_ONCE_INIT;
static int progress_started, progress_stopping, progress_failed;
static pthread_t progress_thread;
/* The loop shown (under the lock; the atomic copy is for the chunk hook). */
static const struct pydron_loop *progress_loop;
static _Atomic(const struct pydron_loop *) progress_loop_seen;
static _Atomic int64_t progress_done;
static int64_t progress_total;
static uint64_t progress_t0;
static int progress_shown; /* a line is on the terminal */

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The condition variable (for the timed waits, and to stop the thread)
 * uses CLOCK_MONOTONIC, like our timestamps. */
static void progress_cond_init(void) {
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
  pthread_cond_init(&progress_wake, &a);
  pthread_condattr_destroy(&a);
}

static void write_all(const char *s, size_t len) {
  while (len) {
    ssize_t n = write(STDERR_FILENO, s, len);
    if (n <= 0)
      return; /* EINTR included: a progress line is not worth a retry */
    s += n;
    len -= (size_t)n;
  }
}

/* 950, 6.3K, 10M, 1.2G: the value to two significant digits at most. */
static void human(int64_t v, char *out, size_t len) {
  static const char units[] = "KMGTPE";
  if (v < 1000) {
    snprintf(out, len, "%lld", (long long)v);
    return;
  }
  double d = (double)v;
  int u = -1;
  while (d >= 999.95 && u < 5) {
    d /= 1000.0;
    u++;
  }
  if (d < 9.95)
    snprintf(out, len, "%.1f%c", d, units[u]);
  else
    snprintf(out, len, "%.0f%c", d, units[u]);
}

/* Called with the lock held. */
static void progress_draw(uint64_t now) {
  if (!isatty(STDERR_FILENO))
    return;
  char done[24], total[24], line[512];
  int64_t d = atomic_load_explicit(&progress_done, memory_order_relaxed);
  if (d > progress_total)
    d = progress_total;
  human(d, done, sizeof done);
  human(progress_total, total, sizeof total);
  double pct = progress_total ? 100.0 * (double)d / (double)progress_total : 0;
  const struct pydron_loop *l = progress_loop;
  const char *file = l->file ? l->file : "?";
  const char *slash = strrchr(file, '/');
  int n = snprintf(line, sizeof line,
                   "\rpydron: %s:%u loop %d%% (%s/%s iterations) %.1f s",
                   slash ? slash + 1 : file, l->line, (int)pct, done, total,
                   (double)(now - progress_t0) / 1e9);
  if (n < 0)
    return;
  size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
  /* Never wider than the terminal: a wrapped line cannot be redrawn. */
  struct winsize ws;
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 &&
      len > (size_t)ws.ws_col)
    len = ws.ws_col; /* the \r takes no column */
  write_all(line, len);
  write_all("\033[K", 3); /* erase what a longer line left */
  progress_shown = 1;
}

/* Called with the lock held. */
static void progress_erase(void) {
  if (progress_shown && isatty(STDERR_FILENO))
    write_all("\r\033[K", 4);
  progress_shown = 0;
}

/* Polls: begin and end never wake the thread, so a program running many
 * short loops pays no wake-up per loop; the price is a thread that wakes
 * five times a second once the first parallel loop ran, and a first line
 * up to PROGRESS_EVERY_NS after the one-second mark. */
static void *progress_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&progress_lock);
  while (!progress_stopping) {
    uint64_t now = now_ns(), next = now + PROGRESS_EVERY_NS;
    if (progress_loop) {
      if (now - progress_t0 >= PROGRESS_AFTER_NS)
        progress_draw(now);
      else if (progress_t0 + PROGRESS_AFTER_NS < next)
        next = progress_t0 + PROGRESS_AFTER_NS;
    }
    struct timespec ts = {(time_t)(next / 1000000000u),
                          (long)(next % 1000000000u)};
    pthread_cond_timedwait(&progress_wake, &progress_lock, &ts);
  }
  pthread_mutex_unlock(&progress_lock);
  return NULL;
}

/* Called with the lock held. Asynchronous signals stay with the user's
 * threads, as for the pool's workers. */
static void progress_start(void) {
  sigset_t old;
  pydron_block_async_signals(&old);
  if (pthread_create(&progress_thread, NULL, progress_main, NULL) == 0)
    progress_started = 1;
  else
    progress_failed = 1; /* no progress line, nothing else changes */
  pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void pydron_progress_begin(const struct pydron_loop *loop, int64_t trip_count,
                           uint64_t t0) {
  pthread_once(&progress_cond_once, progress_cond_init);
  pthread_mutex_lock(&progress_lock);
  if (!progress_loop && !progress_stopping) {
    if (!progress_started && !progress_failed)
      progress_start();
    progress_loop = loop;
    atomic_store_explicit(&progress_done, 0, memory_order_relaxed);
    atomic_store_explicit(&progress_loop_seen, loop, memory_order_relaxed);
    progress_total = trip_count;
    progress_t0 = t0;
  }
  pthread_mutex_unlock(&progress_lock);
}

void pydron_progress_chunk(const struct pydron_loop *loop, int64_t iters) {
  if (atomic_load_explicit(&progress_loop_seen, memory_order_relaxed) == loop)
    atomic_fetch_add_explicit(&progress_done, iters, memory_order_relaxed);
}

void pydron_progress_end(const struct pydron_loop *loop) {
  pthread_mutex_lock(&progress_lock);
  if (progress_loop == loop) {
    progress_erase();
    progress_loop = NULL;
    atomic_store_explicit(&progress_loop_seen, NULL, memory_order_relaxed);
  }
  pthread_mutex_unlock(&progress_lock);
}

/* At exit: erase the line, stop and join the thread. */
void pydron_progress_stop(void) {
  pthread_once(&progress_cond_once, progress_cond_init);
  pthread_mutex_lock(&progress_lock);
  progress_stopping = 1;
  progress_erase();
  int started = progress_started;
  progress_started = 0;
  pthread_cond_signal(&progress_wake);
  pthread_mutex_unlock(&progress_lock);
  if (started)
    pthread_join(progress_thread, NULL);
}

/* In a forked child the thread does not exist; it starts again on the
 * child's first loop. The parent's line, if any, is the parent's. */
void pydron_progress_after_fork(void) {
  pthread_mutex_init(&progress_lock, NULL);
  progress_cond_init();
  progress_started = 0;
  progress_failed = 0;
  progress_loop = NULL;
  progress_shown = 0;
  atomic_store(&progress_loop_seen, NULL);
}
