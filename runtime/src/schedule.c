/* schedule.c - chunking: guided dynamic chunks, fixed chunks, learned cost.
 *
 * Guided: threads claim chunks from an atomic counter in increasing
 * iteration order; big chunks first, shrinking as the loop drains
 * (remaining / (K * threads)), so threads finish together without paying a
 * claim per iteration. Every chunk is timed; the minimum chunk is set so a
 * chunk holds about SCHED_CHUNK_NS of work, and the measured time per
 * iteration is kept per loop (a small lock-free cache keyed by the
 * descriptor's address), so the next call knows whether the loop is worth
 * running in parallel at all. Before anything is measured, loop->cost
 * (instructions per iteration, the plugin's estimate) stands in.
 *
 * Fixed (loops with a reassociated float fold): chunk boundaries come from
 * the trip count and the descriptor alone, so the fold tree, and the
 * result, is the same with any thread count and any timing.
 *
 * Loops with an in-order chain (loop->chain) also cap every chunk at
 * SCHED_CHAIN_VALUES_BYTES of per-iteration values (a function of
 * value_size only, so fixed boundaries stay independent of threads). */
#include "schedule.h"
#include "env.h"

#include <string.h>
#include <time.h>

/* The cost cache: open addressing, never shrinks. A full cache only means
 * that further loops are not learned. Stale entries (a dlclose'd library's
 * descriptor address reused) can only mislead the heuristics once. */
#define COST_SLOTS 1024
#define COST_PROBES 16
/* A loop judged too small is still run in parallel now and then, in case
 * its cost per iteration changed (it may depend on loop invariants): at
 * the COST_FIRST_PROBE-th declined call, then at doubling intervals up to
 * one in COST_MAX_INTERVAL. */
#define COST_FIRST_PROBE 64
#define COST_MAX_INTERVAL 4096

struct sched_cost {
  _Atomic(const struct pydron_loop *) loop;
  _Atomic uint64_t ps_per_iter; /* learned picoseconds per iteration, 0 */
  _Atomic uint64_t declines;    /* calls judged too small */
  _Atomic uint64_t next_probe;  /* decline count of the next probe, 0 */
};

static struct sched_cost cost_cache[COST_SLOTS];

static struct sched_cost *cost_lookup(const struct pydron_loop *loop) {
  uintptr_t h = (uintptr_t)loop;
  h ^= h >> 17;
  h *= 0x9e3779b97f4a7c15u;
  for (unsigned i = 0; i < COST_PROBES; i++) {
    struct sched_cost *e = &cost_cache[(h + i) % COST_SLOTS];
    const struct pydron_loop *cur = atomic_load(&e->loop);
    if (cur == loop)
      return e;
    if (!cur) {
      const struct pydron_loop *expected = NULL;
      if (atomic_compare_exchange_strong(&e->loop, &expected, loop) ||
          expected == loop)
        return e;
    }
  }
  return NULL;
}

uint64_t pydron_sched_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int64_t ceil_div(int64_t a, int64_t b) { return a / b + (a % b != 0); }

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

/* Iterations holding `target` units of work at `per_iter` units each
 * (rounded up, at least 1). */
static int64_t iters_for(double target, double per_iter) {
  double n = target / per_iter;
  if (!(n < 9.0e18))
    return INT64_MAX;
  int64_t k = (int64_t)n;
  return k < n ? k + 1 : k > 0 ? k : 1;
}

/* Called for a loop that looks too small: decline, except for the
 * occasional probe. */
static int decline_or_probe(struct sched_cost *e) {
  if (!e)
    return 1;
  uint64_t d = atomic_fetch_add_explicit(&e->declines, 1,
                                         memory_order_relaxed) + 1;
  uint64_t at = atomic_load_explicit(&e->next_probe, memory_order_relaxed);
  if (!at)
    at = COST_FIRST_PROBE;
  if (d < at)
    return 1;
  uint64_t step = d < COST_MAX_INTERVAL ? d : COST_MAX_INTERVAL;
  atomic_store_explicit(&e->next_probe, d + step, memory_order_relaxed);
  return 0;
}

int pydron_sched_plan(struct pydron_sched *s, const struct pydron_loop *loop,
                      int64_t n, int threads) {
  memset(s, 0, sizeof *s);
  s->n = n;
  s->threads = threads > 0 ? threads : 1;
  s->fixed = (loop->flags & PYDRON_LOOP_FIXED_CHUNKS) != 0;
  double static_instr = (double)n * (double)loop->cost;
  if (loop->chain && loop->value_size)
    s->max_chunk = loop->value_size >= SCHED_CHAIN_VALUES_BYTES
                       ? 1
                       : SCHED_CHAIN_VALUES_BYTES / loop->value_size;

  s->tiny = pydron_env_tiny_chunks();
  if (s->fixed) {
    /* Only n and the descriptor's constants: the decision and the
     * boundaries repeat in every run and with every thread count. */
    if (loop->cost && static_instr < SCHED_MIN_LOOP_INSTR && !s->tiny)
      return 0;
    int64_t block = ceil_div(n, SCHED_FIXED_MAX_CHUNKS);
    if (s->tiny) {
      s->block = block;
      s->nchunks = ceil_div(n, block);
      s->cost = cost_lookup(loop);
      return 1;
    }
    if (loop->cost)
      block = clamp64(iters_for(SCHED_CHUNK_INSTR, (double)loop->cost), block,
                      n);
    if (s->max_chunk && block > s->max_chunk)
      block = s->max_chunk;
    s->block = block;
    s->nchunks = ceil_div(n, block);
    s->cost = cost_lookup(loop); /* learned only for reporting */
    return 1;
  }

  s->cost = cost_lookup(loop);
  uint64_t ps = s->cost ? atomic_load_explicit(&s->cost->ps_per_iter,
                                               memory_order_relaxed)
                        : 0;
  int small = ps ? (double)n * (double)ps < SCHED_MIN_LOOP_NS * 1000.0
                 : loop->cost && static_instr < SCHED_MIN_LOOP_INSTR;
  if (small && !s->tiny && decline_or_probe(s->cost))
    return 0;

  /* Never let the minimum chunk make the guided schedule coarser than its
   * first chunk: with a cost guess that is too low that would serialize
   * the loop. */
  s->cap = ceil_div(n, (int64_t)SCHED_K * s->threads);
  if (s->max_chunk && s->cap > s->max_chunk)
    s->cap = s->max_chunk;
  int64_t min_chunk = 1;
  if (ps)
    min_chunk = iters_for(SCHED_CHUNK_NS * 1000.0, (double)ps);
  else if (loop->cost)
    min_chunk = iters_for(SCHED_CHUNK_INSTR, (double)loop->cost);
  atomic_init(&s->min_chunk, clamp64(min_chunk, 1, s->cap));
  return 1;
}

int pydron_sched_claim_scaled(struct pydron_sched *s, int64_t scale,
                              int64_t *lo, int64_t *hi, int64_t *index) {
  if (s->fixed) {
    int64_t i = atomic_fetch_add_explicit(&s->next, 1, memory_order_relaxed);
    if (i >= s->nchunks)
      return 0;
    *lo = i * s->block;
    *hi = s->n - *lo < s->block ? s->n : *lo + s->block;
    *index = i;
    return 1;
  }

  /* The chunk size depends on where the chunk starts, so start and size
   * are claimed together with one compare-and-swap. */
  int64_t cur = atomic_load_explicit(&s->next, memory_order_relaxed);
  int64_t size;
  do {
    if (cur >= s->n)
      return 0;
    int64_t rest = s->n - cur;
    /* min_chunk never exceeds cap, so scale 1 leaves it as it is. */
    int64_t min_chunk =
        atomic_load_explicit(&s->min_chunk, memory_order_relaxed);
    min_chunk = min_chunk > s->cap / scale ? s->cap : min_chunk * scale;
    size = rest / ((int64_t)SCHED_K * s->threads);
    if (size < min_chunk)
      size = min_chunk;
    if (s->tiny)
      size = 1;
    if (s->max_chunk && size > s->max_chunk)
      size = s->max_chunk;
    if (size > rest)
      size = rest;
  } while (!atomic_compare_exchange_weak_explicit(
      &s->next, &cur, cur + size, memory_order_relaxed, memory_order_relaxed));
  *lo = cur;
  *hi = cur + size;
  *index = -1;
  return 1;
}

int pydron_sched_claim(struct pydron_sched *s, int64_t *lo, int64_t *hi,
                       int64_t *index) {
  return pydron_sched_claim_scaled(s, 1, lo, hi, index);
}

int64_t pydron_sched_largest(const struct pydron_sched *s) {
  if (s->fixed)
    return s->block;
  /* A guided chunk is at most max(rest / (K * threads), min_chunk), and
   * min_chunk never exceeds cap. */
  int64_t first = s->n / ((int64_t)SCHED_K * s->threads);
  int64_t most = first > s->cap ? first : s->cap;
  if (s->max_chunk && most > s->max_chunk)
    most = s->max_chunk;
  return most < s->n ? most : s->n;
}

void pydron_sched_done(struct pydron_sched *s, int64_t iters, uint64_t ns) {
  atomic_fetch_add_explicit(&s->chunks, 1, memory_order_relaxed);
  uint64_t busy = atomic_fetch_add_explicit(&s->busy_ns, ns,
                                            memory_order_relaxed) + ns;
  int64_t done = atomic_fetch_add_explicit(&s->done, iters,
                                           memory_order_relaxed) + iters;
  if (s->fixed || busy == 0)
    return;
  double ns_per_iter = (double)busy / (double)done;
  atomic_store_explicit(&s->min_chunk,
                        clamp64(iters_for(SCHED_CHUNK_NS, ns_per_iter), 1,
                                s->cap),
                        memory_order_relaxed);
}

void pydron_sched_finish(struct pydron_sched *s) {
  int64_t done = atomic_load(&s->done);
  uint64_t busy = atomic_load(&s->busy_ns);
  if (!s->cost || done <= 0)
    return;
  double ps = (double)busy * 1000.0 / (double)done;
  atomic_store_explicit(&s->cost->ps_per_iter, ps < 1.0 ? 1 : (uint64_t)ps,
                        memory_order_relaxed);
}
