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
 * Faults (docs/configuration.md, "faults"): tasks are pure, so a chunk
 * whose worker is lost (remote.c) or stalled (its lease expired,
 * remote_rx.c) goes back to a retry queue and runs elsewhere: on another
 * worker, on the same slot once it is restarted, or here when no worker
 * is left. Attempt ids are unique for the process, so the late answer of
 * an attempt given up on is recognized and discarded. A chunk that
 * crashed on a worker (a fault, or a write outside its footprint) is
 * retried on another worker incarnation up to `chunk_retries` times; if
 * it crashes again the program stops with a message naming loop, chunk
 * range, signal and the likely causes. It is never rerun here: the
 * sequential code would not have crashed, so something is wrong (a
 * footprint the plugin under-estimated, which the guard pages around
 * shipped memory turn into a crash, or a bug that shows only in another
 * memory layout), and going on could hide wrong results.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chain.h"
#include "fold.h"
#include "observe.h"
#include "pool.h"
#include "remote.h"
#include "schedule.h"
#include "ship.h"

#define REMOTE_CHUNK_NS 1000000
/* The dispatcher looks again this often while it waits (restarts). */
#define DISPATCH_TICK_NS 50000000
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
static struct remote_set *report_set; /* the workers, once a loop used them */
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
  fprintf(stderr, "pydron: workers (processes and hosts):\n");
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
  if (report_set) {
    struct remote_set *set = report_set;
    pthread_mutex_lock(&set->lock);
    struct remote_faults f = set->faults;
    pthread_mutex_unlock(&set->lock);
    fprintf(stderr, "pydron:   faults: workers lost %llu, restarted %llu, "
                    "stalled %llu; chunks crashed %llu, rerun %llu; late "
                    "answers discarded %llu; master pauses %llu\n",
            (unsigned long long)f.lost, (unsigned long long)f.restarted,
            (unsigned long long)f.stalls, (unsigned long long)f.crashes,
            (unsigned long long)f.reruns,
            (unsigned long long)f.late_discarded,
            (unsigned long long)f.master_pauses);
  }
  funlockfile(stderr);
  pthread_mutex_unlock(&notes_lock);
}

/* ---- one run ------------------------------------------------------------- */

/* One chunk given to workers: in r->sent while a worker has it, in
 * r->retry while it waits to be run again, in neither while the receiver
 * applies its result (so that a worker lost meanwhile cannot hand it out
 * twice). */
struct flight {
  struct flight *next;
  int64_t lo, hi, seq, index;
  void *chain_buf;
  int worker, gen;   /* where its current attempt went (worker index) */
  uint64_t attempt;
  struct ship_task rec; /* the current attempt (valid when attempt != 0) */
  int crashes;          /* times it crashed on a worker */
  int crash_worker, crash_gen; /* the last crash: never retried there */
  char *crash_text;     /* what the first crash said */
  char crashed_on[160]; /* where it first crashed */
  int local;            /* a worker could not run it (not a crash): here */
};

struct part {
  int64_t lo;
  unsigned char *buf;
};

struct remote_run {
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
  pthread_mutex_t parts_lock;
  /* Held while the dispatcher copies the master's memory into a task and
   * while the receiver writes a result into it: footprint hulls of
   * different chunks may overlap (column writes), and although a chunk
   * never uses bytes another chunk writes, copying them while they are
   * written would be a data race. (Local runners still write while
   * tasks are built; those bytes are never used by the task either.) */
  pthread_mutex_t mem;
  /* Under set->lock: */
  struct flight *sent;                 /* attempts on workers */
  struct flight *retry, *retry_tail;   /* to run again, oldest first */
  int64_t pending;                     /* flights not yet completed */
  int claimed_all;                     /* the schedule gave its last chunk */
  uint64_t chain_moves; /* chunks completed in a chain run: wakes the
                           dispatcher waiting for room in the window */
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
static void complete(struct remote_run *r, int64_t lo, int64_t hi, int64_t seq,
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
      pthread_mutex_lock(&r->parts_lock);
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
      pthread_mutex_unlock(&r->parts_lock);
    }
  }
  pydron_sched_done(&r->sched, hi - lo, ns);
  if (pydron_observe_on())
    pydron_observe_chunk(loop, track, lo, hi, t_end - ns, t_end);
  if (r->has_chain) {
    pydron_chain_complete(&r->chain, seq, track);
    pthread_mutex_lock(&r->set->lock);
    r->chain_moves++;
    pthread_cond_broadcast(&r->set->cond);
    pthread_mutex_unlock(&r->set->lock);
  }
}

/* Runs [lo, hi) here. */
static void run_local(struct remote_run *r, int64_t lo, int64_t hi, int64_t seq,
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

/* Claims the next chunk: for a worker (remote) bigger than one run here,
 * so that its round trip is amortized. 1 with a chunk, 0 when all are
 * claimed, -1 when a chain's window is full and !wait (see
 * pydron_chain_claim). */
#define REMOTE_SCALE (REMOTE_CHUNK_NS / SCHED_CHUNK_NS)
static int claim(struct remote_run *r, int remote, int wait, int64_t *lo,
                 int64_t *hi, int64_t *seq, int64_t *index, void **chain_buf) {
  *seq = -1;
  *index = -1;
  *chain_buf = NULL;
  if (r->has_chain)
    return pydron_chain_claim(&r->chain, lo, hi, seq, chain_buf, wait);
  return pydron_sched_claim_scaled(&r->sched, remote ? REMOTE_SCALE : 1, lo,
                                   hi, index);
}

static int track_of(const struct remote_run *r, int worker) {
  return 1 + r->set->local_runners + worker;
}

/* ---- flights (set->lock held) ---------------------------------------------- */

static void push_retry(struct remote_run *r, struct flight *f) {
  if (f->attempt) {
    ship_task_free(&f->rec);
    f->attempt = 0;
  }
  f->next = NULL;
  if (r->retry_tail)
    r->retry_tail->next = f;
  else
    r->retry = f;
  r->retry_tail = f;
  r->set->faults.reruns++;
  pthread_cond_broadcast(&r->set->cond);
}

static struct flight *pop_retry(struct remote_run *r) {
  struct flight *f = r->retry;
  r->retry = f->next;
  if (!r->retry)
    r->retry_tail = NULL;
  f->next = NULL;
  return f;
}

/* Finds the flight of `attempt` on worker index `wi` and takes it out of
 * r->sent; NULL when there is none. */
static struct flight *take_sent(struct remote_run *r, int wi, uint64_t attempt) {
  for (struct flight **pp = &r->sent; *pp; pp = &(*pp)->next)
    if ((*pp)->worker == wi && (*pp)->attempt == attempt) {
      struct flight *f = *pp;
      *pp = f->next;
      f->next = NULL;
      return f;
    }
  return NULL;
}

static void flight_free(struct flight *f) {
  if (f->attempt)
    ship_task_free(&f->rec);
  free(f->crash_text);
  free(f);
}

/* The flight is over (its chunk completed). */
static void finish(struct remote_run *r, struct flight *f) {
  flight_free(f);
  r->pending--;
  pthread_cond_broadcast(&r->set->cond);
}

void remote_run_describe(const struct remote_run *r, char *out, size_t cap) {
  const struct pydron_loop *l = r->loop;
  snprintf(out, cap, "%s (%s at %s:%u)", lname(l),
           l->function ? l->function : "?", l->file ? l->file : "?", l->line);
}

void remote_run_take_back(struct remote_run *r, struct remote_worker *w,
                          int abandon) {
  int wi = w->index - 1;
  struct flight **pp = &r->sent;
  while (*pp) {
    struct flight *f = *pp;
    if (f->worker != wi || f->gen != w->gen) {
      pp = &f->next;
      continue;
    }
    *pp = f->next;
    if (abandon) {
      if (w->nabandoned == w->capabandoned) {
        size_t cap = w->capabandoned ? w->capabandoned * 2 : 16;
        uint64_t *a = realloc(w->abandoned, cap * sizeof *a);
        if (a) {
          w->abandoned = a;
          w->capabandoned = cap;
        }
      }
      /* Without room the late answer is taken for a stray one and the
       * worker is lost then: safe, only slower. */
      if (w->nabandoned < w->capabandoned)
        w->abandoned[w->nabandoned++] = f->attempt;
    } else {
      w->outstanding--;
    }
    push_retry(r, f);
  }
}

/* ---- what the receiver hands over ----------------------------------------- */

static void lost_locked(struct remote_run *r, struct remote_worker *w,
                        const char *why) {
  pthread_mutex_lock(&r->set->lock);
  pydron_remote_lost(r->set, w, why);
  pthread_mutex_unlock(&r->set->lock);
}

static void on_result(struct remote_run *r, struct remote_worker *w,
                      const uint8_t *p, size_t n, uint64_t t_end) {
  struct remote_set *set = r->set;
  char why[1024];
  struct proto_result res;
  if (proto_get_result(p, n, &res, why, sizeof why) != 0) {
    char msg[1100];
    snprintf(msg, sizeof msg, "it sent a result that does not decode (%s)",
             why);
    lost_locked(r, w, msg);
    return;
  }
  int wi = w->index - 1;
  pthread_mutex_lock(&set->lock);
  struct flight *f = take_sent(r, wi, res.attempt);
  if (f)
    w->outstanding--;
  pthread_mutex_unlock(&set->lock);
  if (!f) {
    snprintf(why, sizeof why, "it sent a result for attempt %llu, which is "
             "not in flight on it", (unsigned long long)res.attempt);
    proto_free_result(&res);
    lost_locked(r, w, why);
    return;
  }
  if (ship_check_result(r->loop, &f->rec, &res, why, sizeof why) != 0) {
    char msg[1100];
    snprintf(msg, sizeof msg, "it sent a result the master refuses: %s",
             why);
    proto_free_result(&res);
    pthread_mutex_lock(&set->lock);
    push_retry(r, f);
    pydron_remote_lost(set, w, msg);
    pthread_mutex_unlock(&set->lock);
    return;
  }
  pthread_mutex_lock(&r->mem);
  ship_apply_result(&f->rec, &res);
  pthread_mutex_unlock(&r->mem);
  r->bytes_in += n;
  w->bytes_in += n;
  complete(r, f->lo, f->hi, f->seq, f->index, f->chain_buf, res.buf,
           res.run_ns, track_of(r, wi), t_end);
  __atomic_add_fetch(&r->remote_chunks, 1, __ATOMIC_RELAXED);
  proto_free_result(&res);
  pthread_mutex_lock(&set->lock);
  finish(r, f);
  pthread_mutex_unlock(&set->lock);
}

/* The chunk crashed on w: retry it elsewhere, or stop the program. */
static void on_crash(struct remote_run *r, struct remote_worker *w,
                     struct flight *f, const struct proto_error *e) {
  struct remote_set *set = r->set;
  const struct pydron_loop *loop = r->loop;
  const char *what = e->code == PROTO_ERR_FAULT ? "crashed"
                                                : "wrote outside its "
                                                  "footprint";
  pthread_mutex_lock(&set->lock);
  set->faults.crashes++;
  f->crashes++;
  if (!f->crash_text) {
    f->crash_text = strdup(e->text);
    snprintf(f->crashed_on, sizeof f->crashed_on, "%s (pid %d)", w->label,
             (int)w->hello.pid);
  }
  /* An MPI rank is not replaced (Open MPI ends the job when one dies):
   * the first crash is final. */
  int retries = w->kind == REMOTE_MPI ? 0 : set->policy.chunk_retries;
  if (f->crashes > retries) {
    pthread_mutex_unlock(&set->lock);
    size_t cap = 2 * PROTO_MAX_ERROR_TEXT + 2000;
    char *msg = malloc(cap);
    if (!msg)
      die("a chunk crashed on a worker");
    int k = snprintf(msg, cap,
                     "loop %s (%s at %s:%u): chunk [%lld, %lld) %s on %s: %s",
                     lname(loop), loop->function ? loop->function : "?",
                     loop->file ? loop->file : "?", loop->line,
                     (long long)f->lo, (long long)f->hi, what,
                     f->crashed_on, f->crash_text ? f->crash_text : "?");
    if (f->crashes > 1 && k > 0 && (size_t)k < cap)
      k += snprintf(msg + k, cap - (size_t)k,
                    "\npydron: retried on %s (pid %d), it %s again: %s",
                    w->label, (int)w->hello.pid, what, e->text);
    if (k > 0 && (size_t)k < cap)
      snprintf(msg + k, cap - (size_t)k,
               "\npydron: stopping: the sequential loop would not have "
               "failed, so the results cannot be trusted. Likely causes: a "
               "footprint the plugin under-estimated (shipped memory is "
               "surrounded by guard pages, so a read or write outside it "
               "crashes instead of giving wrong data; the worker's message "
               "says so when that is what happened), or a bug in a function "
               "the loop calls that shows only with another memory layout "
               "(an uninitialized or out-of-bounds read). The chunk is never "
               "rerun on this process; PYDRON_DISABLE=1 runs the program "
               "without Pydron");
    die(msg);
  }
  fprintf(stderr, "pydron: loop %s: chunk [%lld, %lld) %s on %s (pid %d); "
                  "retrying it on another worker (\"chunk_retries\": %d)\n",
          lname(loop), (long long)f->lo, (long long)f->hi, what, w->label,
          (int)w->hello.pid, retries);
  f->crash_worker = w->index - 1;
  f->crash_gen = w->gen;
  push_retry(r, f);
  /* A worker whose chunk crashed ends itself; one that saw a write
   * outside the footprint may hold damaged kept data. Either way it is
   * not given more. */
  pydron_remote_lost(set, w, "its chunk failed");
  pthread_mutex_unlock(&set->lock);
}

static void on_error(struct remote_run *r, struct remote_worker *w,
                     const uint8_t *p, size_t n) {
  struct remote_set *set = r->set;
  char why[600];
  struct proto_error *e = malloc(sizeof *e);
  if (!e || proto_get_error(p, n, e, why, sizeof why) != 0) {
    free(e);
    lost_locked(r, w, "it sent an error message that does not decode");
    return;
  }
  int wi = w->index - 1;
  pthread_mutex_lock(&set->lock);
  struct flight *f = e->attempt ? take_sent(r, wi, e->attempt) : NULL;
  if (f)
    w->outstanding--;
  pthread_mutex_unlock(&set->lock);
  if (!f) {
    char msg[PROTO_MAX_ERROR_TEXT + 100];
    snprintf(msg, sizeof msg, "%s: %s",
             e->attempt ? "it reported an error for a task not in flight"
                        : "it gave up",
             e->text);
    free(e);
    lost_locked(r, w, msg);
    return;
  }
  if (e->code == PROTO_ERR_FAULT || e->code == PROTO_ERR_OUTSIDE) {
    on_crash(r, w, f, e);
    free(e);
    return;
  }
  if (e->code == PROTO_ERR_UNKNOWN_LOOP) {
    pthread_mutex_lock(&notes_lock);
    struct note *nt = note_for(r->loop);
    if (nt) {
      nt->unshippable = 1;
      snprintf(nt->why, sizeof nt->why, "the worker does not have it: %.100s",
               e->text);
    }
    pthread_mutex_unlock(&notes_lock);
  }
  free(e);
  /* Not the chunk's fault (the worker lacks the loop, memory, ...): it
   * runs here instead; the worker stays. */
  pthread_mutex_lock(&set->lock);
  f->local = 1;
  push_retry(r, f);
  pthread_mutex_unlock(&set->lock);
}

void remote_run_frame(struct remote_run *r, struct remote_worker *w,
                      uint16_t type, const uint8_t *p, size_t n,
                      uint64_t t_end) {
  (void)t_end;
  if (type == PROTO_RESULT)
    on_result(r, w, p, n, pydron_sched_now());
  else
    on_error(r, w, p, n);
}

/* ---- the dispatcher ------------------------------------------------------- */

/* A worker that may take f (NULL: a new chunk) now, or -1. set->lock. */
static int pick_worker(struct remote_run *r, const struct flight *f, int *rr) {
  struct remote_set *set = r->set;
  for (int k = 0; k < set->nworkers; k++) {
    int i = (*rr + k) % set->nworkers;
    struct remote_worker *w = &set->workers[i];
    if (pydron_remote_credits(w) <= 0)
      continue;
    if (f && f->crashes && f->crash_worker == i && f->crash_gen == w->gen)
      continue;
    *rr = i + 1;
    return i;
  }
  return -1;
}

/* Some worker takes tasks, or will soon (busy, or stalled and may answer
 * again). set->lock. */
static int any_usable(const struct remote_set *set) {
  for (int i = 0; i < set->nworkers; i++)
    if (set->workers[i].alive && !set->workers[i].stalled)
      return 1;
  return 0;
}

/* Some worker may yet run a crashed chunk elsewhere. set->lock. */
static int crash_hope(const struct remote_set *set, const struct flight *f) {
  for (int i = 0; i < set->nworkers; i++) {
    const struct remote_worker *w = &set->workers[i];
    if (w->alive && !(i == f->crash_worker && w->gen == f->crash_gen))
      return 1;
  }
  return pydron_remote_revivable(set);
}

/* Restarts lost workers whose back-off has passed (no lock held). */
static void revive_due(struct remote_run *r) {
  struct remote_set *set = r->set;
  uint64_t now = pydron_remote_now();
  for (int i = 0; i < set->nworkers; i++) {
    struct remote_worker *w = &set->workers[i];
    pthread_mutex_lock(&set->lock);
    int due = !w->alive && !w->given_up && now >= w->restart_after;
    pthread_mutex_unlock(&set->lock);
    if (due)
      pydron_remote_revive(set, w);
  }
}

/* No worker takes chunks now and none is being restarted: the policy says
 * whether the loop goes on here. set->lock held. */
static void no_workers_left(struct remote_run *r) {
  struct remote_set *set = r->set;
  if (set->policy.when_no_workers != PYDRON_NO_WORKERS_FAIL ||
      pydron_remote_revivable(set))
    return;
  for (int i = 0; i < set->nworkers; i++)
    if (set->workers[i].alive)
      return; /* stalled ones may answer again */
  fprintf(stderr, "pydron: loop %s: every worker is gone and none may be "
                  "restarted; stopping, as \"faults\": {\"when_no_workers\": "
                  "\"fail\"} asks\n", lname(r->loop));
  fflush(stderr);
  _exit(3);
}

static void timed_wait(struct remote_set *set) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t ns = (uint64_t)ts.tv_nsec + DISPATCH_TICK_NS;
  ts.tv_sec += (time_t)(ns / 1000000000u);
  ts.tv_nsec = (long)(ns % 1000000000u);
  pthread_cond_timedwait(&set->cond, &set->lock, &ts);
}

/* Sends f (claimed or retried) to worker wi; on any failure f is back in
 * the retry queue or run here. No lock held. */
static void ship(struct remote_run *r, struct flight *f, int wi, struct pbuf *out) {
  struct remote_set *set = r->set;
  struct remote_worker *wk = &set->workers[wi];
  char why[512];
  struct ship_task rec;
  pthread_mutex_lock(&set->lock);
  uint64_t attempt = ++set->next_attempt;
  int gen = wk->gen;
  pthread_mutex_unlock(&set->lock);
  pbuf_reset(out);
  pthread_mutex_lock(&r->mem);
  int built = ship_build_task(&r->plan, &wk->cache, f->lo, f->hi, attempt,
                              out, &rec, why, sizeof why);
  pthread_mutex_unlock(&r->mem);
  if (built != 0) {
    pydron_remote_note_local(r->loop, why);
    run_local(r, f->lo, f->hi, f->seq, f->index, f->chain_buf, 0);
    pthread_mutex_lock(&set->lock);
    finish(r, f);
    pthread_mutex_unlock(&set->lock);
    return;
  }
  pthread_mutex_lock(&set->lock);
  if (!wk->alive || wk->gen != gen) {
    /* Lost while the task was built. */
    ship_task_free(&rec);
    push_retry(r, f);
    pthread_mutex_unlock(&set->lock);
    return;
  }
  f->worker = wi;
  f->gen = gen;
  f->attempt = attempt;
  f->rec = rec;
  f->next = r->sent;
  r->sent = f;
  wk->outstanding++;
  pthread_mutex_unlock(&set->lock);
  r->bytes_out += out->len;
  r->bytes_kept += rec.bytes_cached;
  wk->bytes_out += out->len;
  wk->tasks++;
  int sent = pydron_remote_send(set, wk, gen, out->p, out->len);
  if (sent == REMOTE_SEND_GONE) {
    /* The worker closed its end (it died, maybe of a chunk that crashed:
     * its error frame is still to be read). The receiver loses it after
     * reading everything it sent, so the reason is not lost. */
    pydron_remote_peer_gone(set, wk, gen);
  } else if (sent != 0) {
    pthread_mutex_lock(&set->lock);
    if (wk->gen == gen)
      pydron_remote_lost(set, wk, "it takes no more tasks");
    pthread_mutex_unlock(&set->lock);
  }
}

static struct flight *new_flight(int64_t lo, int64_t hi, int64_t seq,
                                 int64_t index, void *chain_buf) {
  struct flight *f = calloc(1, sizeof *f);
  if (!f)
    die("out of memory for a chunk in flight");
  f->lo = lo;
  f->hi = hi;
  f->seq = seq;
  f->index = index;
  f->chain_buf = chain_buf;
  f->worker = -1;
  f->crash_worker = -1;
  return f;
}

/* The dispatcher (the loop's calling thread): retries first, then new
 * chunks, to workers with room; here when no worker is left; until every
 * chunk completed. */
static void dispatch(struct remote_run *r) {
  struct remote_set *set = r->set;
  struct pbuf out = {0};
  int rr = 0;
  for (;;) {
    revive_due(r);
    pthread_mutex_lock(&set->lock);
    if (r->retry) {
      struct flight *f = r->retry;
      int wi = f->local ? -1 : pick_worker(r, f, &rr);
      if (wi >= 0 || f->local) {
        pop_retry(r);
        pthread_mutex_unlock(&set->lock);
        if (wi >= 0) {
          ship(r, f, wi, &out);
        } else {
          run_local(r, f->lo, f->hi, f->seq, f->index, f->chain_buf, 0);
          pthread_mutex_lock(&set->lock);
          finish(r, f);
          pthread_mutex_unlock(&set->lock);
        }
        continue;
      }
      if (f->crashes) {
        if (!crash_hope(set, f)) {
          char msg[PROTO_MAX_ERROR_TEXT + 1000];
          snprintf(msg, sizeof msg,
                   "loop %s (%s at %s:%u): chunk [%lld, %lld) failed on %s: "
                   "%s\npydron: stopping: no other worker is left to retry "
                   "it on, and it is never rerun on this process (the "
                   "sequential loop would not have failed, so the results "
                   "cannot be trusted)",
                   lname(r->loop),
                   r->loop->function ? r->loop->function : "?",
                   r->loop->file ? r->loop->file : "?", r->loop->line,
                   (long long)f->lo, (long long)f->hi, f->crashed_on,
                   f->crash_text ? f->crash_text : "?");
          die(msg);
        }
        timed_wait(set);
        pthread_mutex_unlock(&set->lock);
        continue;
      }
      if (!any_usable(set)) {
        no_workers_left(r);
        pop_retry(r);
        pthread_mutex_unlock(&set->lock);
        run_local(r, f->lo, f->hi, f->seq, f->index, f->chain_buf, 0);
        pthread_mutex_lock(&set->lock);
        finish(r, f);
        pthread_mutex_unlock(&set->lock);
        continue;
      }
      timed_wait(set);
      pthread_mutex_unlock(&set->lock);
      continue;
    }
    if (!r->claimed_all) {
      int wi = pick_worker(r, NULL, &rr);
      int here = wi < 0 && !any_usable(set);
      if (here)
        no_workers_left(r);
      /* Every worker is full: with local cores of its own (not a worker
       * process), this thread runs a local-size chunk meanwhile. */
      if (wi < 0 && set->dispatcher_runs)
        here = 1;
      if (wi < 0 && !here) {
        timed_wait(set);
        pthread_mutex_unlock(&set->lock);
        continue;
      }
      uint64_t moves = r->chain_moves;
      pthread_mutex_unlock(&set->lock);
      int64_t lo, hi, seq, index;
      void *chain_buf;
      /* Never waiting for room in a chain's window: the chunk the chain
       * waits for may come back to the retry queue, and only this thread
       * runs retries. */
      int ok = claim(r, !here, 0, &lo, &hi, &seq, &index, &chain_buf);
      if (ok < 0) {
        pthread_mutex_lock(&set->lock);
        if (r->chain_moves == moves && !r->retry)
          timed_wait(set);
        pthread_mutex_unlock(&set->lock);
        continue;
      }
      if (!ok) {
        pthread_mutex_lock(&set->lock);
        r->claimed_all = 1;
        pthread_mutex_unlock(&set->lock);
        continue;
      }
      if (here) {
        run_local(r, lo, hi, seq, index, chain_buf, 0);
        continue;
      }
      struct flight *f = new_flight(lo, hi, seq, index, chain_buf);
      pthread_mutex_lock(&set->lock);
      r->pending++;
      pthread_mutex_unlock(&set->lock);
      ship(r, f, wi, &out);
      continue;
    }
    if (r->pending == 0) {
      pthread_mutex_unlock(&set->lock);
      break;
    }
    timed_wait(set);
    pthread_mutex_unlock(&set->lock);
  }
  pbuf_free(&out);
}

/* Pool job: index 0 dispatches, 1..local_runners run chunks here. */
static void rr_job(void *arg, int index) {
  struct remote_run *r = arg;
  if (index == 0) {
    dispatch(r);
    return;
  }
  if (index > r->set->local_runners)
    return;
  int64_t lo, hi, seq, idx;
  void *chain_buf;
  while (claim(r, 0, 1, &lo, &hi, &seq, &idx, &chain_buf) > 0)
    run_local(r, lo, hi, seq, idx, chain_buf, index);
}

static int by_lo(const void *a, const void *b) {
  const struct part *x = a, *y = b;
  return (x->lo > y->lo) - (x->lo < y->lo);
}

static void run_free(struct remote_run *r) {
  for (size_t i = 0; i < r->nparts; i++)
    free(r->parts[i].buf);
  free(r->parts);
  free(r->fixed_parts);
  pthread_mutex_destroy(&r->parts_lock);
  pthread_mutex_destroy(&r->mem);
  ship_plan_free(&r->plan);
  free(r);
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
  report_set = set;

  struct remote_run *r = calloc(1, sizeof *r);
  char why[512];
  if (!r) {
    pydron_remote_release(set);
    return 0;
  }
  r->loop = loop;
  r->env = env;
  r->result = result;
  r->set = set;
  pthread_mutex_init(&r->parts_lock, NULL);
  pthread_mutex_init(&r->mem, NULL);
  int remote_threads = 0;
  pthread_mutex_lock(&set->lock);
  for (int i = 0; i < set->nworkers; i++)
    if (set->workers[i].alive && !set->workers[i].stalled)
      remote_threads += set->workers[i].threads;
  pthread_mutex_unlock(&set->lock);
  int local_runners = set->local_runners;
  if (local_runners > pydron_pool_threads() - 1)
    local_runners = pydron_pool_threads() - 1;
  if (local_runners < 0)
    local_runners = 0;
  set->local_runners = local_runners;
  r->total_threads = remote_threads + local_runners + set->dispatcher_runs;
  if (r->total_threads < 1)
    r->total_threads = 1;
  if (!pydron_sched_plan(&r->sched, loop, trip_count, r->total_threads)) {
    run_free(r);
    pydron_remote_release(set);
    return 0; /* too small: the local path decides (and says so) */
  }
  if (ship_plan_init(&r->plan, loop, trip_count, env, why, sizeof why) != 0) {
    pydron_remote_note_local(loop, why);
    pthread_mutex_destroy(&r->parts_lock);
    pthread_mutex_destroy(&r->mem);
    free(r);
    pydron_remote_release(set);
    return 0;
  }
  r->stride = ((size_t)loop->partial_size + RR_ALIGN - 1) / RR_ALIGN *
              RR_ALIGN;
  if (!r->stride)
    r->stride = RR_ALIGN;
  int ok = 1;
  if (loop->chain)
    ok = r->has_chain = pydron_chain_init(&r->chain, loop, &r->sched,
                                          r->total_threads, env, result);
  else if (loop->partial_size && r->sched.fixed)
    ok = (r->fixed_parts = aligned_alloc(
              RR_ALIGN, (size_t)r->sched.nchunks * r->stride)) != NULL;
  if (!ok) {
    run_free(r);
    pydron_remote_release(set);
    return 0;
  }

  unsigned observe = pydron_observe_on();
  uint64_t t0 = pydron_sched_now();
  if (observe)
    pydron_observe_begin(loop, trip_count, r->total_threads, t0);
  char doing[600];
  remote_run_describe(r, doing, sizeof doing);
  pydron_remote_mpi_doing(doing);
  pydron_remote_rx_serve(set, r);
  int ran = local_runners > 0 ? pydron_pool_run(rr_job, r) : 0;
  if (!ran)
    dispatch(r); /* the pool is busy or not wanted: dispatch only */
  pydron_remote_rx_serve(set, NULL);
  pydron_remote_mpi_doing(NULL);
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

  run_free(r);
  pydron_remote_release(set);
  return 1;
}
