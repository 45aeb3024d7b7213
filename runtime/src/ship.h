/* ship.h - shipping a chunk's memory to a worker and its writes back.
 *
 * Master side (ship.c): per call of a loop, a plan: the loop's whole
 * footprint coalesced into *objects* (disjoint address ranges; slots that
 * point into the same object stay aliased on the worker, because one
 * object is one mapping there with one offset), and for each env pointer
 * slot the object it is rebased into. Per chunk, the footprint coalesced
 * into *intervals* (what is shipped), the WRITE ranges coalesced (what may
 * be written back), and the task frame. A result is applied only after
 * every run of it was checked against the WRITE ranges the master
 * computed itself; addresses never come from the worker.
 *
 * Worker side (ship_worker.c): each object becomes a PROT_NONE
 * reservation (plus a guard page at each end); each interval is made
 * accessible inside it at the same offset (read-only intervals read-only)
 * and filled; env pointer slots are rebased, unmapped ones poisoned;
 * after the chunk, written intervals are diffed against the shipped-in
 * copy and only changed byte runs go back.
 *
 * Caches (cache.c): the master keeps per worker which read-only intervals
 * the worker holds, with a content hash; the worker keeps the bytes. */
#ifndef PYDRON_SHIP_H
#define PYDRON_SHIP_H

#include <stddef.h>
#include <stdint.h>

#include "hash128.h"
#include "image.h"
#include "proto.h"
#include "pydron_abi.h"

/* Read-only intervals at least this big may be kept by workers. */
#define SHIP_CACHE_MIN_BYTES (64u << 10)
/* What a worker may keep, per worker (the master evicts LRU). */
#define SHIP_CACHE_MAX_BYTES (256ull << 20)
/* A pointer slot just outside an object (a base pointer of a loop that
 * starts at i = 1, ...) is still rebased into it, up to this far away. */
#define SHIP_SLOT_SLACK (64u << 10)

/* ---- master: the per-worker cache of what the worker holds ------------ */

struct ship_cache_entry {
  uint64_t begin, end, id;
  struct pydron_hash hash;
  uint64_t last_use;
};

struct ship_cache {
  struct ship_cache_entry *e;
  size_t n, cap;
  uint64_t bytes, limit, next_id, clock;
  uint64_t *drops; /* ids to tell the worker to forget in the next task */
  size_t ndrops, capdrops;
};

void ship_cache_init(struct ship_cache *c, uint64_t limit);
void ship_cache_free(struct ship_cache *c);
/* The entry for exactly [begin, end), or NULL. */
struct ship_cache_entry *ship_cache_find(struct ship_cache *c, uint64_t begin,
                                         uint64_t end);
/* Forgets an entry (the worker is told in the next task). */
void ship_cache_drop(struct ship_cache *c, struct ship_cache_entry *e);
/* Records that the worker keeps [begin, end) with this hash under the
 * returned id (evicting least recently used entries first); 0 when it
 * does not fit at all. */
uint64_t ship_cache_add(struct ship_cache *c, uint64_t begin, uint64_t end,
                        struct pydron_hash hash);

/* ---- master: plans and tasks --------------------------------------------- */

/* Content hashes computed during one call (a table read by every chunk is
 * hashed once per call, not once per chunk). */
struct ship_memo {
  uint64_t begin, end;
  struct pydron_hash hash;
  uint32_t seen;   /* tasks that shipped it so far */
  int hashed;
};

struct ship_plan {
  const struct pydron_loop *loop;
  const void *env;
  int64_t n;
  uint32_t nobjects;
  struct proto_object *objects;
  int32_t *slot_object; /* loop->num_slots entries */
  struct pydron_range *ranges; /* scratch: loop->num_ranges */
  struct ship_memo *memo;
  size_t nmemo, capmemo;
  uint64_t footprint_bytes; /* of the whole loop, for chunk sizing */
  uint32_t nmodules;        /* modules holding objects (static storage) */
  struct image_module *modules;
};

/* Why a loop cannot be shipped (NULL: it can): no footprint function, no
 * env layout, a malformed descriptor. Cheap; no footprint is evaluated. */
const char *ship_unshippable(const struct pydron_loop *loop);

/* Evaluates the whole loop's footprint. Returns 0, or -1 with why (the
 * loop then runs locally). */
int ship_plan_init(struct ship_plan *p, const struct pydron_loop *loop,
                   int64_t n, const void *env, char *why, size_t why_len);
void ship_plan_free(struct ship_plan *p);

struct ship_span {
  uint64_t begin, end;
  int write;
};

/* The master's record of one chunk in flight. */
struct ship_task {
  uint64_t attempt;
  int64_t lo, hi;
  uint32_t nintervals;
  struct ship_span *intervals; /* as shipped, in order */
  uint32_t nwrites;
  struct ship_span *writes;    /* WRITE ranges, coalesced, sorted */
  uint64_t bytes_out;          /* frame size */
  uint64_t bytes_cached;       /* interval bytes the worker already held */
};

/* Appends the task frame for chunk [lo, hi) to out and fills rec. Returns
 * 0, or -1 with why (out is then restored; run the chunk locally). */
int ship_build_task(struct ship_plan *p, struct ship_cache *cache,
                    int64_t lo, int64_t hi, uint64_t attempt,
                    struct pbuf *out, struct ship_task *rec, char *why,
                    size_t why_len);
void ship_task_free(struct ship_task *rec);

/* Bytes of the partials/values buffer a result must carry for [lo, hi). */
size_t ship_result_buf_bytes(const struct pydron_loop *loop, int64_t lo,
                             int64_t hi);

/* Checks every run of res against rec (interval exists and was written,
 * run inside it and inside one WRITE range) and the buffer size. 0, or -1
 * with why; nothing is written either way. */
int ship_check_result(const struct pydron_loop *loop,
                      const struct ship_task *rec,
                      const struct proto_result *res, char *why,
                      size_t why_len);
/* Copies the runs of a checked result into the master's memory. */
void ship_apply_result(const struct ship_task *rec,
                       const struct proto_result *res);

/* ---- worker: the kept bytes --------------------------------------------- */

struct ship_store_entry {
  uint64_t id;
  uint8_t *bytes;
  uint64_t len;
  int refs; /* the table's own reference, plus tasks using it */
};

struct ship_store {
  struct ship_store_entry **e;
  size_t n, cap;
  uint64_t bytes;
};

/* Called by the worker's reader thread only, in frame order. */
struct ship_store_entry *ship_store_get(struct ship_store *s, uint64_t id);
int ship_store_put(struct ship_store *s, uint64_t id, const uint8_t *bytes,
                   uint64_t len);
void ship_store_drop(struct ship_store *s, uint64_t id);
/* Any thread: a task is done with an entry it got from ship_store_get. */
void ship_store_release(struct ship_store_entry *e);
void ship_store_free(struct ship_store *s);

/* ---- worker: mapping a task ------------------------------------------------ */

struct ship_local_object {
  uint8_t *base; /* the reservation; NULL for static storage */
  size_t size;
  uint8_t *begin;        /* where the object's first byte is */
  uint64_t master_begin; /* ... and where it is on the master */
  uint64_t len;
};

struct ship_local_interval {
  uint8_t *local;
  uint64_t len;
  const uint8_t *pristine; /* written intervals: the shipped-in bytes (in
                              the task's payload, which outlives the
                              mapping) */
  int write;
  int is_static; /* in the worker's own static storage (a global) */
  int image;     /* ... in read-only static data: not copied, not locked */
};

struct ship_mapping {
  uint32_t nobjects;
  struct ship_local_object *objects;
  uint32_t nintervals;
  struct ship_local_interval *intervals;
  uint8_t *env; /* rebased env (loop->env_size bytes) */
  int locked;   /* holds static storage (see ship_worker.c) */
};

/* Maps every object and interval of t for loop, fills them (from the task
 * or from `cached`, which holds for each interval the store entry of a
 * CACHED interval) and rebases the env. The task's payload must outlive
 * the mapping (written intervals are diffed against it). Returns 0, or -1 with why (code
 * in *code: PROTO_ERR_BAD_TASK, PROTO_ERR_NO_MEMORY); *m is then freed. */
int ship_map(struct ship_mapping *m, const struct proto_task *t,
             const struct pydron_loop *loop,
             struct ship_store_entry *const *cached, uint32_t *code,
             char *why, size_t why_len);
/* Appends the run groups of a RESULT (proto.c: u32 ngroups, then per
 * written interval with changes: u32 interval, u32 nruns, runs) with the
 * changed bytes of written intervals to out. Returns 0, or -1 with why when the chunk wrote bytes next to an
 * interval (inside its pages but outside every interval). */
int ship_diff(const struct ship_mapping *m, struct pbuf *out, char *why,
              size_t why_len);
void ship_unmap(struct ship_mapping *m);

/* The worker's poison address for pointer slots outside every object:
 * the middle of a 1 GiB PROT_NONE reservation made once. */
uintptr_t ship_poison(void);

/* What a faulting address was, for the message (async-signal-safe). */
enum ship_fault {
  SHIP_FAULT_OTHER = 0,    /* not in this task's memory */
  SHIP_FAULT_GAP = 1,      /* in an object, outside the shipped intervals
                              (or its guard pages): an under-estimated
                              footprint */
  SHIP_FAULT_POISON = 2,   /* through a pointer slot outside every object */
  SHIP_FAULT_READONLY = 3, /* a write into a READ-only interval */
};
/* Classifies addr for mapping m (may be NULL); *master gets the master's
 * address of the same byte for GAP and READONLY. */
int ship_fault_kind(const struct ship_mapping *m, uintptr_t addr,
                    uint64_t *master);

#endif /* PYDRON_SHIP_H */
