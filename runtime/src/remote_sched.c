/* remote_sched.c - one loop on the workers, with local threads alongside.
 *
 * Roles during one run:
 *  - the dispatcher (the calling thread) claims chunks and ships them to
 *    a worker that has room: each worker gets REMOTE_INFLIGHT_PER_THREAD
 *    chunks per task thread in flight, so its threads never wait for the
 *    next message; it runs a chunk itself only when no worker is left or
 *    a chunk cannot be shipped;
 *  - the receiver (a thread of the run) reads results, checks and applies
 *    their writes, files partials, feeds the in-order chain, and reruns
 *    locally whatever a lost worker had in flight (tasks are pure);
 *  - local runners (pool threads, PYDRON_PROCESS_LOCAL of them; none by
 *    default with process isolation, whose cores are in the worker) claim
 *    and run chunks as in parallel_for.c.
 * All of them claim from the same schedule (schedule.h), so every
 * iteration runs exactly once. Remote chunks are bigger than local ones:
 * they should hold about REMOTE_CHUNK_NS of work (learned per loop from
 * the chunks' own times, which workers report), so that the round trip
 * and the shipping are amortized, yet the schedule still makes at least
 * SCHED_K chunks per thread. Fixed-chunk loops keep their fixed chunks
 * (their float folds must not depend on who ran what), and loops with a
 * chain claim through chain.c, which keeps its window bounded.
 *
 * Partials are folded in iteration order at the end, as in
 * parallel_for.c; chain values go into the chain's buffers and the chain
 * runs in order as they arrive.
 *
 * Faults: a worker that dies, closes the stream or sends anything invalid
 * is dropped and its chunks in flight rerun here; a chunk that crashed
 * on a worker (its footprint is wrong: guard page, poison pointer, write
 * outside its intervals) stops the program with a message naming loop,
 * chunk and signal, because the sequential code would not have crashed
 * and going on could hide wrong results. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain.h"
#include "fold.h"
#include "observe.h"
#include "pool.h"
#include "remote.h"
#include "schedule.h"
#include "ship.h"

#define REMOTE_CHUNK_NS 1000000
#define REMOTE_INFLIGHT_PER_THREAD 2
#define RR_ALIGN 16

/* ---- the report: what ran where, and why not remotely ---------------------- */

#define NOTE_SLOTS 256
struct note {
  const struct pydron_loop *loop;
  char why[160];   /* local-only: why */
  uint64_t calls, remote_chunks, local_chunks, bytes_out, bytes_in,
      bytes_kept;
  int unshippable; /* a worker did not know the loop: never ship it again */
};
static struct note notes[NOTE_SLOTS];
static int nnotes, notes_full;
static pthread_mutex_t notes_lock = PTHREAD_MUTEX_INITIALIZER;

/* Called with notes_lock held. */
static struct note *note_for(const struct pydron_loop *loop) {
  for (int i = 0; i < nnotes; i++)
    if (notes[i].loop == loop)
      return &notes[i];
  if (nnotes == NOTE_SLOTS) {
    notes_full = 1;
    return NULL;
  }
  struct note *n = &notes[nnotes++];
  memset(n, 0, sizeof *n);
  n->loop = loop;
  return n;
}

void pydron_remote_note_local(const struct pydron_loop *loop,
                              const char *why) {
  pthread_mutex_lock(&notes_lock);
  struct note *n = note_for(loop);
  if (n) {
    n->calls++;
    if (!n->why[0])
      snprintf(n->why, sizeof n->why, "%s", why);
  }
  pthread_mutex_unlock(&notes_lock);
}

static int loop_marked_unshippable(const struct pydron_loop *loop) {
  int r = 0;
  pthread_mutex_lock(&notes_lock);
  for (int i = 0; i < nnotes; i++)
    if (notes[i].loop == loop)
      r = notes[i].unshippable;
  pthread_mutex_unlock(&notes_lock);
  return r;
}

__attribute__((destructor)) static void remote_report(void) {
  if (!(pydron_observe_on() & PYDRON_OBSERVE_REPORT) || nnotes == 0)
    return;
  pthread_mutex_lock(&notes_lock);
  flockfile(stderr);
  fprintf(stderr, "pydron: process workers:\n");
  for (int i = 0; i < nnotes; i++) {
    const struct note *n = &notes[i];
    const struct pydron_loop *l = n->loop;
    fprintf(stderr, "pydron:   %s:%u  %s  calls %llu  ",
            l->file ? l->file : "?", l->line, l->function ? l->function : "?",
            (unsigned long long)n->calls);
    if (n->remote_chunks)
      fprintf(stderr, "chunks on workers %llu, here %llu, shipped %.1f MB "
                      "out, %.1f MB back, %.1f MB reused from workers' "
                      "caches",
              (unsigned long long)n->remote_chunks,
              (unsigned long long)n->local_chunks, n->bytes_out / 1e6,
              n->bytes_in / 1e6, n->bytes_kept / 1e6);
    if (n->why[0])
      fprintf(stderr, "%sran on threads: %s", n->remote_chunks ? "; " : "",
              n->why);
    fputc('\n', stderr);
  }
  if (notes_full)
    fprintf(stderr, "pydron:   (more loops not listed)\n");
  funlockfile(stderr);
  pthread_mutex_unlock(&notes_lock);
}

/* ---- one run ------------------------------------------------------------- */

struct flight {
  int used;
  int worker;
  struct ship_task rec;
  int64_t seq, index;
  void *chain_buf;
};

struct part {
  int64_t lo;
  unsigned char *buf;
};

struct rrun {
  const struct pydron_loop *loop;
  const void *env;
  void *result;
  struct remote_set *set;
  struct ship_plan plan;
  struct pydron_sched sched;
  struct pydron_chain chain;
  int has_chain, total_threads;
  size_t stride;
  unsigned char *fixed_parts;
  struct part *parts;
  size_t nparts, capparts;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  /* Held while the dispatcher copies the master's memory into a task and
   * while the receiver writes a result into it: footprint hulls of
   * different chunks may overlap (column writes), and although a chunk
   * never uses bytes another chunk writes, copying them while they are
   * written would be a data race. (Local runners still write while
   * tasks are built; those bytes are never used by the task either.) */
  pthread_mutex_t mem;
  struct flight *flights;
  size_t nflights;
  int *credits;
  int inflight;
  uint64_t next_attempt;
  int64_t remote_chunks, local_chunks;
  uint64_t bytes_out, bytes_in, bytes_kept;
};

static const char *lname(const struct pydron_loop *l) {
  return l->id ? l->id : "(unnamed)";
}

static void die(const char *msg) {
  fprintf(stderr, "pydron: %s\n", msg);
  fflush(stderr);
  abort();
}

/* A finished chunk: its partials/values (src) go where the fold or the
 * chain expects them. Any thread. */
static void complete(struct rrun *r, int64_t lo, int64_t hi, int64_t seq,
                     int64_t index, void *chain_buf, const void *src,
                     uint64_t ns, int track, uint64_t t_end) {
  const struct pydron_loop *loop = r->loop;
  if (r->has_chain) {
    size_t bytes = ship_result_buf_bytes(loop, lo, hi);
    if (src != chain_buf)
      memcpy(chain_buf, src, bytes);
  } else if (loop->partial_size) {
    if (index >= 0) {
      memcpy(r->fixed_parts + (size_t)index * r->stride, src,
             loop->partial_size);
    } else {
      unsigned char *copy = aligned_alloc(RR_ALIGN, r->stride);
      if (!copy)
        die("out of memory keeping a chunk's partial results");
      memcpy(copy, src, loop->partial_size);
      pthread_mutex_lock(&r->lock);
      if (r->nparts == r->capparts) {
        size_t cap = r->capparts ? r->capparts * 2 : 64;
        struct part *p = realloc(r->parts, cap * sizeof *p);
        if (!p)
          die("out of memory keeping a chunk's partial results");
        r->parts = p;
        r->capparts = cap;
      }
      r->parts[r->nparts].lo = lo;
      r->parts[r->nparts].buf = copy;
      r->nparts++;
      pthread_mutex_unlock(&r->lock);
    }
  }
  pydron_sched_done(&r->sched, hi - lo, ns);
  if (pydron_observe_on())
    pydron_observe_chunk(loop, track, lo, hi, t_end - ns, t_end);
  if (r->has_chain)
    pydron_chain_complete(&r->chain, seq, track);
}

/* Runs [lo, hi) here. */
static void run_local(struct rrun *r, int64_t lo, int64_t hi, int64_t seq,
                      int64_t index, void *chain_buf, int track) {
  const struct pydron_loop *loop = r->loop;
  unsigned char tmp[256] __attribute__((aligned(RR_ALIGN)));
  void *buf = NULL, *heap = NULL;
  if (r->has_chain) {
    buf = chain_buf;
  } else if (loop->partial_size) {
    if (r->stride <= sizeof tmp) {
      buf = tmp;
    } else {
      buf = heap = aligned_alloc(RR_ALIGN, r->stride);
      if (!buf)
        die("out of memory for a chunk's partial results");
    }
  }
  if (buf && loop->partial_size)
    pydron_fold_identity(loop, buf);
  uint64_t t0 = pydron_sched_now();
  loop->chunk(lo, hi, r->env, buf);
  uint64_t t1 = pydron_sched_now();
  complete(r, lo, hi, seq, index, chain_buf, buf, t1 - t0, track, t1);
  free(heap);
  __atomic_add_fetch(&r->local_chunks, 1, __ATOMIC_RELAXED);
}

/* Claims the next chunk for a worker: bigger than a local one. */
static int claim_remote(struct rrun *r, int64_t *lo, int64_t *hi,
                        int64_t *seq, int64_t *index, void **chain_buf) {
  struct pydron_sched *s = &r->sched;
  *seq = -1;
  *index = -1;
  *chain_buf = NULL;
  if (r->has_chain)
    return pydron_chain_claim(&r->chain, lo, hi, seq, chain_buf);
  if (s->fixed)
    return pydron_sched_claim(s, lo, hi, index);
  int64_t cur = atomic_load_explicit(&s->next, memory_order_relaxed), size;
  do {
    if (cur >= s->n)
      return 0;
    int64_t rest = s->n - cur;
    int64_t min_chunk =
        atomic_load_explicit(&s->min_chunk, memory_order_relaxed);
    int64_t scale = REMOTE_CHUNK_NS / SCHED_CHUNK_NS;
    int64_t want = min_chunk > INT64_MAX / scale ? INT64_MAX
                                                 : min_chunk * scale;
    if (want > s->cap)
      want = s->cap;
    size = rest / ((int64_t)SCHED_K * s->threads);
    if (size < want)
      size = want;
    if (s->tiny)
      size = 1;
    if (s->max_chunk && size > s->max_chunk)
      size = s->max_chunk;
    if (size < 1)
      size = 1;
    if (size > rest)
      size = rest;
  } while (!atomic_compare_exchange_weak_explicit(
      &s->next, &cur, cur + size, memory_order_relaxed,
      memory_order_relaxed));
  *lo = cur;
  *hi = cur + size;
  return 1;
}

static int claim_local(struct rrun *r, int64_t *lo, int64_t *hi, int64_t *seq,
                       int64_t *index, void **chain_buf) {
  *seq = -1;
  *index = -1;
  *chain_buf = NULL;
  if (r->has_chain)
    return pydron_chain_claim(&r->chain, lo, hi, seq, chain_buf);
  return pydron_sched_claim(&r->sched, lo, hi, index);
}

static struct flight *find_flight(struct rrun *r, int worker,
                                  uint64_t attempt) {
  for (size_t i = 0; i < r->nflights; i++)
    if (r->flights[i].used && r->flights[i].worker == worker &&
        r->flights[i].rec.attempt == attempt)
      return &r->flights[i];
  return NULL;
}

/* Called with r->lock held: the flight is over. */
static void retire(struct rrun *r, struct flight *f, int give_credit) {
  if (give_credit)
    r->credits[f->worker]++;
  ship_task_free(&f->rec);
  f->used = 0;
  r->inflight--;
  pthread_cond_broadcast(&r->cond);
}

static int track_of(const struct rrun *r, int worker) {
  return 1 + r->set->local_runners + worker;
}

/* Reruns here every chunk the worker had in flight (it is gone). */
static void rerun_lost(struct rrun *r, int worker) {
  for (;;) {
    pthread_mutex_lock(&r->lock);
    struct flight *f = NULL;
    for (size_t i = 0; i < r->nflights && !f; i++)
      if (r->flights[i].used && r->flights[i].worker == worker)
        f = &r->flights[i];
    if (!f) {
      pthread_mutex_unlock(&r->lock);
      return;
    }
    struct flight copy = *f;
    f->rec.intervals = NULL; /* keep the record's arrays with the copy */
    f->rec.writes = NULL;
    retire(r, f, 0);
    pthread_mutex_unlock(&r->lock);
    run_local(r, copy.rec.lo, copy.rec.hi, copy.seq, copy.index,
              copy.chain_buf, 0);
    ship_task_free(&copy.rec);
  }
}

static void lose(struct rrun *r, struct remote_worker *w, const char *why) {
  pthread_mutex_lock(&r->lock);
  pydron_remote_drop(w, why);
  pthread_cond_broadcast(&r->cond);
  pthread_mutex_unlock(&r->lock);
  rerun_lost(r, w->index - 1);
}

static void on_result(struct rrun *r, struct remote_worker *w,
                      const uint8_t *p, size_t n, uint64_t t_end) {
  char why[1024];
  struct proto_result res;
  if (proto_get_result(p, n, &res, why, sizeof why) != 0) {
    char msg[1100];
    snprintf(msg, sizeof msg, "sent a result that does not decode (%s)", why);
    lose(r, w, msg);
    return;
  }
  int widx = w->index - 1;
  pthread_mutex_lock(&r->lock);
  struct flight *f = find_flight(r, widx, res.attempt);
  pthread_mutex_unlock(&r->lock);
  if (!f) {
    snprintf(why, sizeof why, "sent a result for attempt %llu, which is not "
             "in flight on it", (unsigned long long)res.attempt);
    proto_free_result(&res);
    lose(r, w, why);
    return;
  }
  if (ship_check_result(r->loop, &f->rec, &res, why, sizeof why) != 0) {
    char msg[1100];
    snprintf(msg, sizeof msg, "sent a result the master refuses: %s", why);
    proto_free_result(&res);
    lose(r, w, msg);
    return;
  }
  pthread_mutex_lock(&r->mem);
  ship_apply_result(&f->rec, &res);
  pthread_mutex_unlock(&r->mem);
  r->bytes_in += n;
  w->bytes_in += n;
  complete(r, f->rec.lo, f->rec.hi, f->seq, f->index, f->chain_buf, res.buf,
           res.run_ns, track_of(r, widx), t_end);
  __atomic_add_fetch(&r->remote_chunks, 1, __ATOMIC_RELAXED);
  proto_free_result(&res);
  pthread_mutex_lock(&r->lock);
  retire(r, f, 1);
  pthread_mutex_unlock(&r->lock);
}

static void on_error(struct rrun *r, struct remote_worker *w,
                     const uint8_t *p, size_t n) {
  char why[600];
  struct proto_error *e = malloc(sizeof *e);
  if (!e || proto_get_error(p, n, e, why, sizeof why) != 0) {
    free(e);
    lose(r, w, "sent an error message that does not decode");
    return;
  }
  int widx = w->index - 1;
  pthread_mutex_lock(&r->lock);
  struct flight *f = e->attempt ? find_flight(r, widx, e->attempt) : NULL;
  pthread_mutex_unlock(&r->lock);
  if (!f) {
    char msg[PROTO_MAX_ERROR_TEXT + 100];
    snprintf(msg, sizeof msg, "%s: %s",
             e->attempt ? "reported an error for a task not in flight"
                        : "gave up",
             e->text);
    free(e);
    lose(r, w, msg);
    return;
  }
  const struct pydron_loop *loop = r->loop;
  if (e->code == PROTO_ERR_FAULT || e->code == PROTO_ERR_OUTSIDE) {
    char *msg = malloc(PROTO_MAX_ERROR_TEXT + 600);
    if (msg)
      snprintf(msg, PROTO_MAX_ERROR_TEXT + 600,
               "loop %s (%s at %s:%u) failed on process worker %d: chunk "
               "[%lld, %lld) %s: %s\npydron: stopping: the sequential loop "
               "would not have failed, so the loop's footprint is wrong and "
               "its results cannot be trusted",
               lname(loop), loop->function ? loop->function : "?",
               loop->file ? loop->file : "?", loop->line, w->index,
               (long long)f->rec.lo, (long long)f->rec.hi,
               e->code == PROTO_ERR_FAULT ? "crashed" : "wrote outside its "
                                                        "footprint",
               e->text);
    die(msg ? msg : "a chunk crashed on a worker");
  }
  if (e->code == PROTO_ERR_UNKNOWN_LOOP) {
    pthread_mutex_lock(&notes_lock);
    struct note *nt = note_for(loop);
    if (nt) {
      nt->unshippable = 1;
      snprintf(nt->why, sizeof nt->why, "the worker does not have it: %.100s",
               e->text);
    }
    pthread_mutex_unlock(&notes_lock);
  }
  free(e);
  /* The chunk runs here instead; the worker stays. */
  pthread_mutex_lock(&r->lock);
  struct flight copy = *f;
  f->rec.intervals = NULL;
  f->rec.writes = NULL;
  retire(r, f, 1);
  pthread_mutex_unlock(&r->lock);
  run_local(r, copy.rec.lo, copy.rec.hi, copy.seq, copy.index, copy.chain_buf,
            0);
  ship_task_free(&copy.rec);
}

/* Reads and handles one frame of worker w. */
static void receive_one(struct rrun *r, struct remote_worker *w) {
  char err[512];
  int got = proto_read_frame(w->fd, &w->reader, err, sizeof err);
  if (got <= 0) {
    char msg[600];
    snprintf(msg, sizeof msg, "%s",
             got == 0 ? "closed the connection" : err);
    lose(r, w, msg);
    return;
  }
  uint64_t t_end = pydron_sched_now();
  const uint8_t *p = w->reader.payload;
  size_t n = w->reader.length;
  switch (w->reader.type) {
  case PROTO_RESULT:
    on_result(r, w, p, n, t_end);
    break;
  case PROTO_ERROR:
    on_error(r, w, p, n);
    break;
  case PROTO_HEARTBEAT:
    break;
  default:
    snprintf(err, sizeof err, "sent an unexpected %s message",
             proto_type_name(w->reader.type));
    lose(r, w, err);
    break;
  }
  proto_reader_next(&w->reader);
}

/* ---- the receiver thread ---------------------------------------------------
 *
 * One thread for the life of the process (starting a thread costs more
 * than a whole round trip to a worker): idle between loops, it serves the
 * run in rx.run until the dispatcher writes a byte to rx.stop. */
static struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int started;
  int stop[2];
  struct rrun *run; /* the run to serve; NULL once it is over */
} rx = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, {-1, -1},
        NULL};
static pthread_once_t rx_atfork_once = PTHREAD_ONCE_INIT;

static void serve_run(struct rrun *r) {
  struct remote_set *set = r->set;
  struct pollfd *pfd = calloc((size_t)set->nworkers + 1, sizeof *pfd);
  int *who = calloc((size_t)set->nworkers + 1, sizeof *who);
  if (!pfd || !who)
    die("out of memory in the receiver");
  for (;;) {
    int k = 0;
    pfd[k].fd = rx.stop[0];
    pfd[k].events = POLLIN;
    who[k++] = -1;
    for (int i = 0; i < set->nworkers; i++)
      if (set->workers[i].alive) {
        pfd[k].fd = set->workers[i].fd;
        pfd[k].events = POLLIN;
        who[k++] = i;
      }
    int pr = poll(pfd, (nfds_t)k, -1);
    if (pr < 0 && errno == EINTR)
      continue;
    if (pr < 0)
      die("poll failed in the receiver");
    for (int i = 1; i < k; i++)
      if (pfd[i].revents)
        receive_one(r, &set->workers[who[i]]);
    if (pfd[0].revents) {
      char c;
      if (read(rx.stop[0], &c, 1) != 1)
        die("cannot read the receiver's stop byte");
      break;
    }
  }
  free(pfd);
  free(who);
}

static void *receiver_main(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&rx.lock);
    while (!rx.run)
      pthread_cond_wait(&rx.cond, &rx.lock);
    struct rrun *r = rx.run;
    pthread_mutex_unlock(&rx.lock);
    serve_run(r);
    pthread_mutex_lock(&rx.lock);
    rx.run = NULL;
    pthread_cond_broadcast(&rx.cond);
    pthread_mutex_unlock(&rx.lock);
  }
  return NULL;
}

/* The child of a fork has no receiver thread. */
static void rx_atfork_child(void) {
  if (rx.stop[0] >= 0) {
    close(rx.stop[0]);
    close(rx.stop[1]);
  }
  rx.stop[0] = rx.stop[1] = -1;
  rx.started = 0;
  rx.run = NULL;
  pthread_mutex_init(&rx.lock, NULL);
  pthread_cond_init(&rx.cond, NULL);
}
static void rx_install_atfork(void) {
  pthread_atfork(NULL, NULL, rx_atfork_child);
}

/* Hands the run to the receiver (started on first use). 0 or -1. */
static int rx_begin(struct rrun *r) {
  pthread_once(&rx_atfork_once, rx_install_atfork);
  pthread_mutex_lock(&rx.lock);
  if (!rx.started) {
    if (pipe2(rx.stop, O_CLOEXEC) != 0) {
      pthread_mutex_unlock(&rx.lock);
      return -1;
    }
    /* Asynchronous signals go to the user's threads, not to this one. */
    sigset_t all, old;
    sigfillset(&all);
    int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS};
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
      sigdelset(&all, faults[i]);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t tid;
    int err = pthread_create(&tid, NULL, receiver_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err) {
      close(rx.stop[0]);
      close(rx.stop[1]);
      rx.stop[0] = rx.stop[1] = -1;
      pthread_mutex_unlock(&rx.lock);
      return -1;
    }
    pthread_detach(tid);
    pthread_setname_np(tid, "pydron-rx");
    rx.started = 1;
  }
  rx.run = r;
  pthread_cond_broadcast(&rx.cond);
  pthread_mutex_unlock(&rx.lock);
  return 0;
}

/* Stops serving r; returns once the receiver let go of it. */
static void rx_end(void) {
  if (write(rx.stop[1], "x", 1) != 1)
    die("cannot stop the receiver");
  pthread_mutex_lock(&rx.lock);
  while (rx.run)
    pthread_cond_wait(&rx.cond, &rx.lock);
  pthread_mutex_unlock(&rx.lock);
}

/* The dispatcher: ship chunks while workers have room. */
static void dispatch(struct rrun *r) {
  struct remote_set *set = r->set;
  struct pbuf out = {0};
  char why[512];
  int rr = 0;
  for (;;) {
    int w = -1;
    pthread_mutex_lock(&r->lock);
    for (;;) {
      int alive = 0;
      for (int k = 0; k < set->nworkers; k++) {
        int i = (rr + k) % set->nworkers;
        if (!set->workers[i].alive)
          continue;
        alive++;
        if (r->credits[i] > 0) {
          w = i;
          break;
        }
      }
      if (w >= 0 || !alive)
        break;
      pthread_cond_wait(&r->cond, &r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    rr = w >= 0 ? w + 1 : rr;

    int64_t lo, hi, seq, index;
    void *chain_buf;
    int ok = w >= 0 ? claim_remote(r, &lo, &hi, &seq, &index, &chain_buf)
                    : claim_local(r, &lo, &hi, &seq, &index, &chain_buf);
    if (!ok)
      break;
    if (w < 0) {
      run_local(r, lo, hi, seq, index, chain_buf, 0);
      continue;
    }
    struct remote_worker *wk = &set->workers[w];
    struct ship_task rec;
    pbuf_reset(&out);
    uint64_t attempt = ++r->next_attempt;
    pthread_mutex_lock(&r->mem);
    int built = ship_build_task(&r->plan, &wk->cache, lo, hi, attempt, &out,
                                &rec, why, sizeof why);
    pthread_mutex_unlock(&r->mem);
    if (built != 0) {
      pydron_remote_note_local(r->loop, why);
      run_local(r, lo, hi, seq, index, chain_buf, 0);
      continue;
    }
    pthread_mutex_lock(&r->lock);
    if (!wk->alive) {
      /* Lost while the task was built: the receiver already reran what
       * that worker had; this chunk runs here. */
      pthread_mutex_unlock(&r->lock);
      ship_task_free(&rec);
      run_local(r, lo, hi, seq, index, chain_buf, 0);
      continue;
    }
    struct flight *f = NULL;
    for (size_t i = 0; i < r->nflights && !f; i++)
      if (!r->flights[i].used)
        f = &r->flights[i];
    /* There is always a free flight: credits never exceed them. */
    f->used = 1;
    f->worker = w;
    f->rec = rec;
    f->seq = seq;
    f->index = index;
    f->chain_buf = chain_buf;
    r->credits[w]--;
    r->inflight++;
    pthread_mutex_unlock(&r->lock);
    r->bytes_out += out.len;
    r->bytes_kept += rec.bytes_cached;
    wk->bytes_out += out.len;
    wk->tasks++;
    /* A failed write means the worker is gone: the receiver sees its end
     * of stream (or the shutdown) and reruns what it had. */
    if (proto_write_all(wk->fd, out.p, out.len) != 0) {
      pthread_mutex_lock(&r->lock);
      pthread_cond_broadcast(&r->cond);
      pthread_mutex_unlock(&r->lock);
    }
  }
  pbuf_free(&out);
  pthread_mutex_lock(&r->lock);
  while (r->inflight > 0)
    pthread_cond_wait(&r->cond, &r->lock);
  pthread_mutex_unlock(&r->lock);
}

/* Pool job: index 0 dispatches, 1..local_runners run chunks here. */
static void rr_job(void *arg, int index) {
  struct rrun *r = arg;
  if (index == 0) {
    dispatch(r);
    return;
  }
  if (index > r->set->local_runners)
    return;
  int64_t lo, hi, seq, idx;
  void *chain_buf;
  while (claim_local(r, &lo, &hi, &seq, &idx, &chain_buf))
    run_local(r, lo, hi, seq, idx, chain_buf, index);
}

static int by_lo(const void *a, const void *b) {
  const struct part *x = a, *y = b;
  return (x->lo > y->lo) - (x->lo < y->lo);
}

int pydron_remote_parallel_for(const struct pydron_loop *loop,
                               int64_t trip_count, const void *env,
                               void *result) {
  if (!pydron_remote_configured())
    return 0;
  const char *no = ship_unshippable(loop);
  if (no) {
    pydron_remote_note_local(loop, no);
    return 0;
  }
  if (loop_marked_unshippable(loop)) {
    pydron_remote_note_local(loop, "the worker does not have it");
    return 0;
  }
  struct remote_set *set = pydron_remote_acquire();
  if (!set)
    return 0; /* not available, or another thread's loop has them */

  struct rrun *r = calloc(1, sizeof *r);
  char why[512];
  if (!r) {
    pydron_remote_release(set);
    return 0;
  }
  r->loop = loop;
  r->env = env;
  r->result = result;
  r->set = set;
  int remote_threads = 0;
  for (int i = 0; i < set->nworkers; i++)
    if (set->workers[i].alive)
      remote_threads += set->workers[i].threads;
  int local_runners = set->local_runners;
  if (local_runners > pydron_pool_threads() - 1)
    local_runners = pydron_pool_threads() - 1;
  if (local_runners < 0)
    local_runners = 0;
  set->local_runners = local_runners;
  r->total_threads = remote_threads + local_runners;
  if (!pydron_sched_plan(&r->sched, loop, trip_count, r->total_threads)) {
    free(r);
    pydron_remote_release(set);
    return 0; /* too small: the local path decides (and says so) */
  }
  if (ship_plan_init(&r->plan, loop, trip_count, env, why, sizeof why) != 0) {
    pydron_remote_note_local(loop, why);
    free(r);
    pydron_remote_release(set);
    return 0;
  }
  r->stride = ((size_t)loop->partial_size + RR_ALIGN - 1) / RR_ALIGN *
              RR_ALIGN;
  if (!r->stride)
    r->stride = RR_ALIGN;
  r->credits = calloc((size_t)set->nworkers, sizeof *r->credits);
  size_t nflights = 0;
  for (int i = 0; i < set->nworkers; i++)
    if (set->workers[i].alive) {
      r->credits[i] = REMOTE_INFLIGHT_PER_THREAD * set->workers[i].threads;
      nflights += (size_t)r->credits[i];
    }
  r->flights = calloc(nflights ? nflights : 1, sizeof *r->flights);
  r->nflights = nflights;
  int ok = r->credits && r->flights;
  if (ok && loop->chain)
    ok = r->has_chain = pydron_chain_init(&r->chain, loop, &r->sched,
                                          r->total_threads, env, result);
  else if (ok && loop->partial_size && r->sched.fixed)
    ok = (r->fixed_parts = aligned_alloc(
              RR_ALIGN, (size_t)r->sched.nchunks * r->stride)) != NULL;
  if (!ok) {
    free(r->credits);
    free(r->flights);
    ship_plan_free(&r->plan);
    free(r);
    pydron_remote_release(set);
    return 0;
  }
  pthread_mutex_init(&r->lock, NULL);
  pthread_mutex_init(&r->mem, NULL);
  pthread_cond_init(&r->cond, NULL);

  if (ok && rx_begin(r) != 0) {
    fprintf(stderr, "pydron: cannot start the receiver thread of shipped "
                    "loops; loop %s runs on threads\n", lname(loop));
    if (r->has_chain)
      pydron_chain_destroy(&r->chain);
    ok = 0;
  }
  if (!ok) {
    free(r->fixed_parts);
    free(r->credits);
    free(r->flights);
    ship_plan_free(&r->plan);
    pthread_mutex_destroy(&r->lock);
    pthread_mutex_destroy(&r->mem);
    pthread_cond_destroy(&r->cond);
    free(r);
    pydron_remote_release(set);
    return 0;
  }
  unsigned observe = pydron_observe_on();
  uint64_t t0 = pydron_sched_now();
  if (observe)
    pydron_observe_begin(loop, trip_count, r->total_threads, t0);
  int ran = local_runners > 0 ? pydron_pool_run(rr_job, r) : 0;
  if (!ran)
    dispatch(r); /* the pool is busy or not wanted: dispatch only */
  rx_end();
  pydron_sched_finish(&r->sched);
  uint64_t busy = atomic_load(&r->sched.busy_ns);

  if (r->has_chain) {
    busy += r->chain.chain_ns;
    pydron_chain_destroy(&r->chain);
  } else if (loop->partial_size) {
    if (r->fixed_parts) {
      for (int64_t i = 0; i < r->sched.nchunks; i++)
        pydron_fold_combine(loop, result, r->fixed_parts + (size_t)i *
                                                               r->stride);
    } else {
      qsort(r->parts, r->nparts, sizeof *r->parts, by_lo);
      for (size_t i = 0; i < r->nparts; i++)
        pydron_fold_combine(loop, result, r->parts[i].buf);
    }
  }
  if (observe)
    pydron_observe_end(loop, trip_count, atomic_load(&r->sched.chunks),
                       r->total_threads, t0, pydron_sched_now(), busy);

  pthread_mutex_lock(&notes_lock);
  struct note *nt = note_for(loop);
  if (nt) {
    nt->calls++;
    nt->remote_chunks += (uint64_t)r->remote_chunks;
    nt->local_chunks += (uint64_t)r->local_chunks;
    nt->bytes_out += r->bytes_out;
    nt->bytes_in += r->bytes_in;
    nt->bytes_kept += r->bytes_kept;
  }
  pthread_mutex_unlock(&notes_lock);

  for (size_t i = 0; i < r->nparts; i++)
    free(r->parts[i].buf);
  free(r->parts);
  free(r->fixed_parts);
  free(r->credits);
  for (size_t i = 0; i < r->nflights; i++)
    if (r->flights[i].used)
      ship_task_free(&r->flights[i].rec);
  free(r->flights);
  pthread_mutex_destroy(&r->lock);
  pthread_mutex_destroy(&r->mem);
  pthread_cond_destroy(&r->cond);
  ship_plan_free(&r->plan);
  free(r);
  pydron_remote_release(set);
  return 1;
}
