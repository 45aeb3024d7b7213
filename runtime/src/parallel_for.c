/* parallel_for.c - pydron_parallel_for(): runs one loop on the local pool.
 *
 * Decides whether a loop runs in parallel at all, hands the chunks to the
 * pool, gives every chunk its own partial buffer starting at the folds'
 * identities, and folds the partials into the caller's result in iteration
 * order once every chunk is done. Loops with an in-order chain run through
 * chain.c instead, which folds and chains as chunks complete. Returning 0 is
 * always safe: the caller then runs its original sequential loop, and
 * `result` is untouched.
 *
 * Every outcome is told to the observability hooks (observe.h): begin,
 * chunk (and chain) and end around a parallel run, sequential with the
 * reason wherever 0 is returned. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "env.h"
#include "fold.h"
#include "observe.h"
#include "pool.h"
#include "pydron_abi.h"
#include "remote.h"
#include "schedule.h"

/* Partial buffers are 16-byte aligned, like malloc's, whatever their
 * folds' offsets. Guided chunks keep, per thread, records of
 * { int64_t lo; pad; partial } in a growing buffer; they are sorted by lo
 * at the end. Fixed chunks have their chunk number, so an array suffices. */
#define PF_ALIGN 16
#define PF_HEADER 16

/* One per participating thread, padded so threads do not share lines. */
struct pf_slot {
  unsigned char *buf;
  size_t used, cap; /* bytes */
  char pad[64 - sizeof(unsigned char *) - 2 * sizeof(size_t)];
};

struct pf_run {
  const struct pydron_loop *loop;
  const void *env;
  struct pydron_sched sched;
  size_t stride;              /* bytes of one partial, rounded up */
  unsigned char *fixed_parts; /* fixed chunks: nchunks partials */
  struct pf_slot *slots;      /* guided chunks: one per thread */
  struct pydron_chain *chain; /* loops with an in-order chain, or NULL */
};

/* Set while this thread runs chunks: a loop reached from inside a chunk
 * runs sequentially (the pool is busy with the outer loop anyway). */
static _Thread_local int pf_in_chunk;

static void *pf_slot_push(const struct pydron_loop *loop, struct pf_slot *slot,
                          int64_t lo, size_t stride) {
  size_t need = PF_HEADER + stride;
  if (slot->cap - slot->used < need) {
    size_t cap = slot->cap ? slot->cap * 2 : 8 * need;
    unsigned char *grown = realloc(slot->buf, cap);
    if (!grown) {
      fprintf(stderr, "pydron: out of memory (%zu bytes) for the partial "
                      "results of loop %s\n", cap,
              loop->id ? loop->id : "(unnamed)");
      abort(); /* chunks already ran: there is no sequential way back */
    }
    slot->buf = grown;
    slot->cap = cap;
  }
  unsigned char *rec = slot->buf + slot->used;
  slot->used += need;
  memcpy(rec, &lo, sizeof lo);
  return rec + PF_HEADER;
}

/* Runs one chunk: times it, tells the scheduler and the hooks. */
static void pf_run_chunk(struct pf_run *r, int index, int64_t lo, int64_t hi,
                         void *partial) {
  const struct pydron_loop *loop = r->loop;
  uint64_t t0 = pydron_sched_now();
  loop->chunk(lo, hi, r->env, partial);
  uint64_t t1 = pydron_sched_now();
  pydron_sched_done(&r->sched, hi - lo, t1 - t0);
  if (pydron_observe_on())
    pydron_observe_chunk(loop, index, lo, hi, t0, t1);
}

/* The job every participating thread runs: claim, run, time, repeat. */
static void pf_participate(void *arg, int index) {
  struct pf_run *r = arg;
  const struct pydron_loop *loop = r->loop;
  int64_t lo, hi, chunk;
  int was_in_chunk = pf_in_chunk;
  pf_in_chunk = 1; /* also while chaining: the chain is user code too */
  if (r->chain) {
    void *buf;
    while (pydron_chain_claim(r->chain, &lo, &hi, &chunk, &buf, 1) > 0) {
      if (loop->partial_size)
        pydron_fold_identity(loop, buf);
      pf_run_chunk(r, index, lo, hi, buf);
      pydron_chain_complete(r->chain, chunk, index);
    }
    pf_in_chunk = was_in_chunk;
    return;
  }
  while (pydron_sched_claim(&r->sched, &lo, &hi, &chunk)) {
    void *partial = NULL;
    if (loop->partial_size) {
      partial = r->fixed_parts
                    ? r->fixed_parts + (size_t)chunk * r->stride
                    : pf_slot_push(loop, &r->slots[index], lo, r->stride);
      pydron_fold_identity(loop, partial);
    }
    pf_run_chunk(r, index, lo, hi, partial);
  }
  pf_in_chunk = was_in_chunk;
}

static int pf_by_start(const void *a, const void *b) {
  int64_t x, y;
  memcpy(&x, *(unsigned char *const *)a, sizeof x);
  memcpy(&y, *(unsigned char *const *)b, sizeof y);
  return (x > y) - (x < y);
}

/* Folds every partial into result, left to right in iteration order. */
static void pf_fold(struct pf_run *r, void *result, int threads) {
  const struct pydron_loop *loop = r->loop;
  if (r->fixed_parts) {
    for (int64_t i = 0; i < r->sched.nchunks; i++)
      pydron_fold_combine(loop, result, r->fixed_parts + (size_t)i * r->stride);
    return;
  }
  size_t rec = PF_HEADER + r->stride, count = 0;
  for (int t = 0; t < threads; t++)
    count += r->slots[t].used / rec;
  unsigned char **order = malloc((count ? count : 1) * sizeof *order);
  if (!order) {
    fprintf(stderr, "pydron: out of memory folding the partial results of "
                    "loop %s\n", loop->id ? loop->id : "(unnamed)");
    abort();
  }
  size_t k = 0;
  for (int t = 0; t < threads; t++)
    for (size_t off = 0; off < r->slots[t].used; off += rec)
      order[k++] = r->slots[t].buf + off;
  qsort(order, count, sizeof *order, pf_by_start);
  for (size_t i = 0; i < count; i++)
    pydron_fold_combine(loop, result, order[i] + PF_HEADER);
  free(order);
}

static void pf_free(struct pf_run *r, int threads) {
  if (r->slots)
    for (int t = 0; t < threads; t++)
      free(r->slots[t].buf);
  free(r->slots);
  free(r->fixed_parts);
}

/* Returns 0 (run it sequentially), telling the hooks why. */
static int pf_decline(const struct pydron_loop *loop, int64_t trip_count,
                      int reason) {
  if (pydron_observe_on())
    pydron_observe_sequential(loop, trip_count, reason);
  return 0;
}

__attribute__((visibility("default"))) int
pydron_parallel_for(const struct pydron_loop *loop, int64_t trip_count,
                    const void *env, void *result) {
  if (!loop)
    return 0;
  if (trip_count < 2)
    return pf_decline(loop, trip_count, PYDRON_OBSERVE_SEQ_FEW_ITERATIONS);
  if (pf_in_chunk)
    return pf_decline(loop, trip_count, PYDRON_OBSERVE_SEQ_NESTED);
  if (pydron_env_disabled())
    return pf_decline(loop, trip_count, PYDRON_OBSERVE_SEQ_DISABLED);
  /* Registration checked registered loops; this catches the rest. */
  if (loop->abi_version != PYDRON_ABI_VERSION || !loop->chunk ||
      ((loop->partial_size || (loop->chain && loop->state_size)) &&
       !result)) {
    fprintf(stderr, "pydron: loop %s: ABI version %u (runtime implements "
                    "%u), %s chunk function, %u-byte partials, %u-byte chain "
                    "state, %s result\n",
            loop->id ? loop->id : "(unnamed)", loop->abi_version,
            PYDRON_ABI_VERSION, loop->chunk ? "a" : "no", loop->partial_size,
            loop->chain ? loop->state_size : 0, result ? "a" : "no");
    abort();
  }
  /* ---- process workers (remote_sched.c, docs/remote-workers.md) ----
   * With "isolation": "process" configured, shippable loops run on the
   * workers; 0 means not taken (not configured, local-only, too small,
   * workers busy): go on locally. */
  if (pydron_remote_parallel_for(loop, trip_count, env, result))
    return 1;
  /* ---- end of process workers ---- */
  int fixed = (loop->flags & PYDRON_LOOP_FIXED_CHUNKS) != 0;
  int threads = pydron_pool_threads();
  /* Fixed chunks still run chunked on one thread: their float folds must
   * give the same result with every thread count. */
  if (threads < 2 && !fixed)
    return pf_decline(loop, trip_count, PYDRON_OBSERVE_SEQ_ONE_THREAD);

  struct pf_run r;
  struct pydron_chain chain;
  memset(&r, 0, sizeof r);
  r.loop = loop;
  r.env = env;
  if (!pydron_sched_plan(&r.sched, loop, trip_count, threads))
    return pf_decline(loop, trip_count, PYDRON_OBSERVE_SEQ_TOO_SMALL);
  r.stride = ((size_t)loop->partial_size + PF_ALIGN - 1) / PF_ALIGN * PF_ALIGN;
  /* Allocation failures here still have the sequential way out. */
  if (loop->chain) {
    if (!pydron_chain_init(&chain, loop, &r.sched, threads, env, result))
      return pf_decline(loop, trip_count, PYDRON_OBSERVE_SEQ_NO_MEMORY);
    r.chain = &chain;
  } else if (loop->partial_size) {
    if (fixed)
      r.fixed_parts = aligned_alloc(PF_ALIGN, (size_t)r.sched.nchunks * r.stride);
    else
      r.slots = calloc((size_t)threads, sizeof *r.slots);
    if (!r.fixed_parts && !r.slots)
      return pf_decline(loop, trip_count, PYDRON_OBSERVE_SEQ_NO_MEMORY);
  }

  unsigned observe = pydron_observe_on();
  uint64_t t0 = observe ? pydron_sched_now() : 0;
  if (observe)
    pydron_observe_begin(loop, trip_count, threads, t0);
  int ran = threads < 2 ? 0 : pydron_pool_run(pf_participate, &r);
  if (!ran) {
    if (!fixed) { /* the pool is busy with another thread's loop */
      if (r.chain)
        pydron_chain_destroy(r.chain);
      pf_free(&r, threads);
      if (observe)
        pydron_observe_cancel(loop);
      return pf_decline(loop, trip_count, PYDRON_OBSERVE_SEQ_BUSY);
    }
    pf_participate(&r, 0);
    ran = 1;
  }
  pydron_sched_finish(&r.sched);
  /* Busy: time in chunks, and in the chain, which is useful work too. */
  uint64_t busy = atomic_load(&r.sched.busy_ns);
  if (r.chain) {
    busy += r.chain->chain_ns;
    pydron_chain_destroy(r.chain);
  } else if (loop->partial_size) {
    pf_fold(&r, result, threads);
  }
  pf_free(&r, threads);
  if (observe)
    pydron_observe_end(loop, trip_count, atomic_load(&r.sched.chunks), ran,
                       t0, pydron_sched_now(), busy);
  return 1;
}
