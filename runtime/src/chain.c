/* chain.c - in-order chains: a window of chunk buffers, claimed in
 * iteration order, chained in iteration order (see chain.h).
 *
 * Everything that orders chunks happens under one mutex per run: claiming
 * (so that sequence numbers follow iteration order for guided chunks too),
 * marking a chunk finished, and handing over the chainer role. The chunk
 * itself and the chain function run outside the lock. A chunk takes tens of
 * microseconds or more (the scheduler sizes it so), so a lock round trip
 * per chunk costs nothing measurable.
 *
 * Slot k % W holds chunk k. Chunk k + W can only be claimed once chunk k is
 * chained, so a slot is never reused while its buffer is still needed, and
 * the oldest unchained chunk is always claimed, running or finished: the
 * thread that finishes it becomes the chainer, so the chain always makes
 * progress and the window always drains.
 *
 * The buffers of a run are one arena of W slots; the last arena is kept for
 * the next run (a loop called again and again would otherwise fault its
 * pages in on every call), and freed at exit. */
#include "chain.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "observe.h"

#define CHAIN_ALIGN 16
/* The arena of one run never needs more than this for W to reach its
 * target; beyond it the window shrinks (to no less than threads + 1). */
#define CHAIN_MAX_ARENA ((size_t)256 << 20)

/* The cached arena: a block whose first CHAIN_ALIGN bytes hold its size. */
static _Atomic(void *) chain_cache;

static void *arena_get(size_t bytes) {
  void *p = atomic_exchange(&chain_cache, NULL);
  if (p) {
    size_t have;
    memcpy(&have, p, sizeof have);
    if (have >= bytes)
      return p;
    free(p);
  }
  if (bytes > SIZE_MAX - CHAIN_ALIGN)
    return NULL;
  p = aligned_alloc(CHAIN_ALIGN, CHAIN_ALIGN + bytes);
  if (p)
    memcpy(p, &bytes, sizeof bytes);
  return p;
}

static void arena_put(void *p) { free(atomic_exchange(&chain_cache, p)); }

__attribute__((destructor)) static void chain_free_cache(void) {
  free(atomic_exchange(&chain_cache, NULL));
}

int pydron_chain_init(struct pydron_chain *c, const struct pydron_loop *loop,
                      struct pydron_sched *sched, int threads,
                      const void *env, void *result) {
  memset(c, 0, sizeof *c);
  c->loop = loop;
  c->env = env;
  c->result = result;
  c->sched = sched;

  /* Partials, padding to PYDRON_VALUES_OFFSET, then the values of the
   * largest chunk this run can claim (at most SCHED_CHAIN_VALUES_BYTES, or
   * one iteration's values when those are bigger). */
  uint64_t largest = (uint64_t)pydron_sched_largest(sched);
  uint64_t bytes = PYDRON_VALUES_OFFSET(loop) + largest * loop->value_size;
  bytes = (bytes + CHAIN_ALIGN - 1) / CHAIN_ALIGN * CHAIN_ALIGN;
  if (bytes == 0)
    bytes = CHAIN_ALIGN;
  if (bytes > CHAIN_MAX_ARENA)
    return 0; /* one iteration's values alone: not worth it */
  c->slot_bytes = (size_t)bytes;

  if (threads < 1)
    threads = 1;
  int64_t w = (int64_t)PYDRON_CHAIN_WINDOW_PER_THREAD * threads;
  int64_t fits = (int64_t)(CHAIN_MAX_ARENA / c->slot_bytes);
  if (w > fits)
    w = fits > threads + 1 ? fits : threads + 1;
  if (sched->fixed && w > sched->nchunks)
    w = sched->nchunks;
  if (w < 1)
    w = 1;
  c->window = w;

  c->slots = calloc((size_t)w, sizeof *c->slots);
  c->arena_block = c->slots ? arena_get((size_t)w * c->slot_bytes) : NULL;
  if (!c->arena_block) {
    free(c->slots);
    return 0;
  }
  c->arena = (unsigned char *)c->arena_block + CHAIN_ALIGN;
  pthread_mutex_init(&c->lock, NULL);
  pthread_cond_init(&c->advanced, NULL);
  return 1;
}

int pydron_chain_claim(struct pydron_chain *c, int64_t *lo, int64_t *hi,
                       int64_t *seq, void **buf, int wait) {
  int64_t index;
  pthread_mutex_lock(&c->lock);
  /* The oldest unchained chunk is claimed, so someone will chain it and
   * signal: this wait always ends, provided the thread that would run
   * that chunk again after a failure never waits here (!wait). */
  while (c->claimed - c->chained >= c->window) {
    if (!wait) {
      pthread_mutex_unlock(&c->lock);
      return -1;
    }
    c->waiting++;
    pthread_cond_wait(&c->advanced, &c->lock);
    c->waiting--;
  }
  if (!pydron_sched_claim(c->sched, lo, hi, &index)) {
    pthread_mutex_unlock(&c->lock);
    return 0;
  }
  int64_t k = c->claimed++;
  struct chain_slot *slot = &c->slots[k % c->window];
  slot->lo = *lo;
  slot->hi = *hi;
  slot->done = 0;
  pthread_mutex_unlock(&c->lock);
  *seq = k;
  *buf = c->arena + (size_t)(k % c->window) * c->slot_bytes;
  return 1;
}

void pydron_chain_complete(struct pydron_chain *c, int64_t seq, int thread) {
  const struct pydron_loop *loop = c->loop;
  void *state = (char *)c->result + PYDRON_STATE_OFFSET(loop);
  pthread_mutex_lock(&c->lock);
  c->slots[seq % c->window].done = 1;
  if (c->chaining || seq != c->chained) {
    /* The chainer, or whoever finishes chunk `chained`, takes it from
     * here; the mutex publishes this chunk's buffer to that thread. */
    pthread_mutex_unlock(&c->lock);
    return;
  }
  c->chaining = 1;
  for (;;) {
    int64_t k = c->chained;
    struct chain_slot *slot = &c->slots[k % c->window];
    if (k >= c->claimed || !slot->done)
      break;
    int64_t lo = slot->lo, hi = slot->hi;
    pthread_mutex_unlock(&c->lock);

    unsigned char *buf = c->arena + (size_t)(k % c->window) * c->slot_bytes;
    if (loop->partial_size)
      pydron_fold_combine(loop, c->result, buf);
    uint64_t t0 = pydron_sched_now();
    loop->chain(lo, hi, c->env, buf + PYDRON_VALUES_OFFSET(loop), state);
    uint64_t t1 = pydron_sched_now();
    c->chain_ns += t1 - t0;
    if (pydron_observe_on())
      pydron_observe_chain(loop, thread, lo, hi, t0, t1);

    pthread_mutex_lock(&c->lock);
    slot->done = 0;
    c->chained = k + 1;
    if (c->waiting)
      pthread_cond_broadcast(&c->advanced);
  }
  c->chaining = 0;
  pthread_mutex_unlock(&c->lock);
}

void pydron_chain_destroy(struct pydron_chain *c) {
  if (c->claimed != c->chained) {
    /* Cannot happen: every claimed chunk is completed before its thread
     * returns, and the last completion chains what is left. */
    fprintf(stderr, "pydron: loop %s: %lld of %lld chunks were not chained\n",
            c->loop->id ? c->loop->id : "(unnamed)",
            (long long)(c->claimed - c->chained), (long long)c->claimed);
    abort();
  }
  pthread_cond_destroy(&c->advanced);
  pthread_mutex_destroy(&c->lock);
  arena_put(c->arena_block);
  free(c->slots);
}
