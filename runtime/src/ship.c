/* ship.c - the master's side of shipping: plans, task frames, results.
 *
 * See ship.h for the model (objects, intervals, WRITE ranges). Rules:
 *  - ranges from the footprint function are coalesced when they overlap or
 *    touch, so two accesses (or two env slots) into the same bytes end up
 *    in the same interval and the same object: aliasing is kept;
 *  - an interval is written (diffed and sent back) when a WRITE range lies
 *    in it; the bytes it may write back are the WRITE ranges themselves;
 *  - a chunk whose footprint leaves the loop's objects, or whose memory
 *    cannot be read, is not shipped (the caller runs it locally);
 *  - read-only intervals of at least SHIP_CACHE_MIN_BYTES that were
 *    shipped once in this call are kept by the worker; later tasks name
 *    them by id, but only after the master hashed the current bytes and
 *    found them equal to what the worker holds. */
#include "ship.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *loop_name(const struct pydron_loop *loop) {
  return loop->id ? loop->id : "(unnamed)";
}

/* ---- the per-worker cache (master side) ----------------------------------- */

void ship_cache_init(struct ship_cache *c, uint64_t limit) {
  memset(c, 0, sizeof *c);
  c->limit = limit;
  c->next_id = 1;
}

void ship_cache_free(struct ship_cache *c) {
  free(c->e);
  free(c->drops);
  memset(c, 0, sizeof *c);
}

struct ship_cache_entry *ship_cache_find(struct ship_cache *c, uint64_t begin,
                                         uint64_t end) {
  for (size_t i = 0; i < c->n; i++)
    if (c->e[i].begin == begin && c->e[i].end == end)
      return &c->e[i];
  return NULL;
}

static int push_drop(struct ship_cache *c, uint64_t id) {
  if (c->ndrops == c->capdrops) {
    size_t cap = c->capdrops ? c->capdrops * 2 : 16;
    uint64_t *d = realloc(c->drops, cap * sizeof *d);
    if (!d)
      return -1;
    c->drops = d;
    c->capdrops = cap;
  }
  c->drops[c->ndrops++] = id;
  return 0;
}

void ship_cache_drop(struct ship_cache *c, struct ship_cache_entry *e) {
  /* If the drop cannot be recorded, the worker keeps the bytes until it
   * exits: only memory, never stale data (the id is never reused). */
  push_drop(c, e->id);
  c->bytes -= e->end - e->begin;
  *e = c->e[--c->n];
}

uint64_t ship_cache_add(struct ship_cache *c, uint64_t begin, uint64_t end,
                        struct pydron_hash hash) {
  uint64_t len = end - begin;
  if (len > c->limit)
    return 0;
  /* Evict least recently used entries, never one used by the task being
   * built (last_use == clock). */
  while (c->bytes + len > c->limit) {
    size_t victim = c->n;
    for (size_t i = 0; i < c->n; i++)
      if (c->e[i].last_use != c->clock &&
          (victim == c->n || c->e[i].last_use < c->e[victim].last_use))
        victim = i;
    if (victim == c->n)
      return 0;
    ship_cache_drop(c, &c->e[victim]);
  }
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 16;
    struct ship_cache_entry *e = realloc(c->e, cap * sizeof *e);
    if (!e)
      return 0;
    c->e = e;
    c->cap = cap;
  }
  struct ship_cache_entry *e = &c->e[c->n++];
  e->begin = begin;
  e->end = end;
  e->id = c->next_id++;
  e->hash = hash;
  e->last_use = c->clock;
  c->bytes += len;
  return e->id;
}

/* ---- descriptors -------------------------------------------------------- */

const char *ship_unshippable(const struct pydron_loop *loop) {
  if (!loop->footprint)
    return "no footprint function (local-only: the plugin could not bound "
           "every access)";
  if (loop->num_ranges && !loop->range_kinds)
    return "the descriptor has footprint ranges but no range kinds";
  if (loop->env_size && (!loop->num_slots || !loop->slots))
    return "the descriptor does not describe its env slots";
  for (uint32_t i = 0; i < loop->num_ranges; i++)
    if (loop->range_kinds[i] != PYDRON_RANGE_READ &&
        loop->range_kinds[i] != PYDRON_RANGE_WRITE)
      return "the descriptor has a footprint range of unknown kind";
  for (uint32_t i = 0; i < loop->num_slots; i++) {
    const struct pydron_env_slot *s = &loop->slots[i];
    if ((uint64_t)s->offset + s->size > loop->env_size)
      return "the descriptor has an env slot outside the env";
    if (s->kind != PYDRON_SLOT_VALUE && s->kind != PYDRON_SLOT_POINTER &&
        s->kind != PYDRON_SLOT_MASTER)
      return "the descriptor has an env slot of unknown kind";
    if (s->kind == PYDRON_SLOT_POINTER && s->size != sizeof(void *))
      return "the descriptor has a pointer slot that is not pointer-sized";
  }
  if (loop->num_slots > PROTO_MAX_SLOTS || loop->env_size > PROTO_MAX_ENV)
    return "the env is too big to ship";
  for (uint32_t i = 0; loop->range_slots && i < loop->num_ranges; i++) {
    int16_t k = loop->range_slots[i];
    if (k < -1 || k >= (int32_t)loop->num_slots ||
        (k >= 0 && loop->slots[k].kind != PYDRON_SLOT_POINTER))
      return "the descriptor names a range's pointer slot that is no "
             "pointer slot";
  }
  if (!loop->id || !loop->id[0] || strlen(loop->id) > PROTO_MAX_ID)
    return "the loop has no usable id";
  return NULL;
}

/* ---- plans -------------------------------------------------------------- */

static int span_by_begin(const void *a, const void *b) {
  const struct ship_span *x = a, *y = b;
  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  return (x->end > y->end) - (x->end < y->end);
}

/* Sorts spans[0..n) and merges those that overlap or touch (write: any).
 * Returns the new count. */
static uint32_t coalesce(struct ship_span *s, uint32_t n) {
  if (n == 0)
    return 0;
  qsort(s, n, sizeof *s, span_by_begin);
  uint32_t k = 0;
  for (uint32_t i = 1; i < n; i++) {
    if (s[i].begin <= s[k].end) {
      if (s[i].end > s[k].end)
        s[k].end = s[i].end;
      s[k].write |= s[i].write;
    } else {
      s[++k] = s[i];
    }
  }
  return k + 1;
}

/* Fills spans from p->ranges (just evaluated); only == WRITE ranges when
 * only_writes. Returns the count, or -1 with why for a reversed range. */
static int64_t collect(const struct ship_plan *p, struct ship_span *spans,
                       int only_writes, int64_t lo, int64_t hi, char *why,
                       size_t why_len) {
  const struct pydron_loop *loop = p->loop;
  uint32_t k = 0;
  for (uint32_t i = 0; i < loop->num_ranges; i++) {
    const struct pydron_range *r = &p->ranges[i];
    int write = loop->range_kinds[i] == PYDRON_RANGE_WRITE;
    if (r->end < r->begin) {
      snprintf(why, why_len, "footprint range %u of iterations [%lld, %lld) "
               "is reversed ([0x%llx, 0x%llx))", i, (long long)lo,
               (long long)hi, (unsigned long long)r->begin,
               (unsigned long long)r->end);
      return -1;
    }
    if (r->end == r->begin || (only_writes && !write))
      continue;
    spans[k].begin = r->begin;
    spans[k].end = r->end;
    spans[k].write = write;
    k++;
  }
  return k;
}

/* The object holding [begin, end), or -1. */
static int32_t find_object(const struct ship_plan *p, uint64_t begin,
                           uint64_t end) {
  uint32_t lo = 0, hi = p->nobjects;
  while (lo < hi) { /* first object with begin > `begin` */
    uint32_t mid = lo + (hi - lo) / 2;
    if (p->objects[mid].begin <= begin)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0)
    return -1;
  const struct proto_object *o = &p->objects[lo - 1];
  return end <= o->end ? (int32_t)(lo - 1) : -1;
}

/* The object a pointer slot holding v is rebased into when none of the
 * footprint's ranges is addressed through it (slot_hull): the nearest
 * within SHIP_SLOT_SLACK, or -1. */
static int32_t slot_object(const struct ship_plan *p, uint64_t v) {
  if (v == 0 || p->nobjects == 0)
    return -1;
  /* Inside an object; else the first one starting after v (a pointer to
   * an array's start whose first access is a little further on); else
   * the last one ending before it (a pointer one past an array). */
  int32_t after = -1, before = -1;
  uint64_t after_dist = (uint64_t)SHIP_SLOT_SLACK + 1, before_dist = after_dist;
  for (uint32_t i = 0; i < p->nobjects; i++) {
    const struct proto_object *o = &p->objects[i];
    if (v >= o->begin && v <= o->end)
      return (int32_t)i;
    if (v < o->begin && o->begin - v < after_dist) {
      after_dist = o->begin - v;
      after = (int32_t)i;
    } else if (v > o->end && v - o->end < before_dist) {
      before_dist = v - o->end;
      before = (int32_t)i;
    }
  }
  return after >= 0 ? after : before;
}

/* The hull of the ranges addressed through pointer slot `slot`, from the
 * descriptor's range_slots (ABI 4). Returns 1 with the hull, 0 when the
 * plugin names no range for it. One object per pointer: one rebasing
 * serves all its ranges, whereas the nearest object by address is wrong
 * when two arrays lie next to each other and a pointer sits between the
 * end of one and the first byte read of its own (a stencil's `in`, whose
 * first read is in[1]). */
static int slot_hull(const struct ship_plan *p, uint32_t slot, uint64_t *hb,
                     uint64_t *he) {
  const struct pydron_loop *loop = p->loop;
  if (!loop->range_slots)
    return 0;
  int found = 0;
  for (uint32_t r = 0; r < loop->num_ranges; r++) {
    const struct pydron_range *a = &p->ranges[r];
    if (loop->range_slots[r] != (int16_t)slot || a->end <= a->begin)
      continue;
    if (!found || a->begin < *hb)
      *hb = a->begin;
    if (!found || a->end > *he)
      *he = a->end;
    found = 1;
  }
  return found;
}

int ship_plan_init(struct ship_plan *p, const struct pydron_loop *loop,
                   int64_t n, const void *env, char *why, size_t why_len) {
  memset(p, 0, sizeof *p);
  p->loop = loop;
  p->env = env;
  p->n = n;
  const char *no = ship_unshippable(loop);
  if (no) {
    snprintf(why, why_len, "%s", no);
    return -1;
  }
  uint32_t nr = loop->num_ranges ? loop->num_ranges : 1;
  uint32_t ns = loop->num_slots ? loop->num_slots : 1;
  p->ranges = calloc(nr, sizeof *p->ranges);
  struct ship_span *spans = calloc(nr + ns, sizeof *spans);
  struct ship_span *hulls = calloc(ns, sizeof *hulls);
  p->slot_object = calloc(ns, sizeof *p->slot_object);
  if (!p->ranges || !spans || !hulls || !p->slot_object) {
    free(spans);
    free(hulls);
    snprintf(why, why_len, "out of memory planning the shipping");
    ship_plan_free(p);
    return -1;
  }
  loop->footprint(0, n, env, p->ranges);
  int64_t k = collect(p, spans, 0, 0, n, why, why_len);
  /* Each pointer's ranges become one object (their hull), so that one
   * rebasing serves all of them. */
  for (uint32_t i = 0; k >= 0 && i < loop->num_slots; i++) {
    hulls[i].write = 0;
    if (loop->slots[i].kind != PYDRON_SLOT_POINTER)
      continue;
    uint64_t hb = 0, he = 0;
    if (slot_hull(p, i, &hb, &he)) {
      hulls[i].begin = hb;
      hulls[i].end = he;
      hulls[i].write = 1; /* marks "has a hull" below */
      spans[k].begin = hb;
      spans[k].end = he;
      spans[k].write = 0;
      k++;
    }
  }
  if (k < 0) {
    free(spans);
    free(hulls);
    ship_plan_free(p);
    return -1;
  }
  uint32_t m = coalesce(spans, (uint32_t)k);
  p->objects = calloc(m ? m : 1, sizeof *p->objects);
  if (!p->objects) {
    free(spans);
    free(hulls);
    snprintf(why, why_len, "out of memory planning the shipping");
    ship_plan_free(p);
    return -1;
  }
  for (uint32_t i = 0; i < m; i++) {
    p->objects[i].begin = spans[i].begin;
    p->objects[i].end = spans[i].end;
    p->footprint_bytes += spans[i].end - spans[i].begin;
    if (spans[i].end - spans[i].begin > PROTO_MAX_OBJECT_BYTES) {
      snprintf(why, why_len, "the loop's footprint has a range of %llu "
               "bytes", (unsigned long long)(spans[i].end - spans[i].begin));
      free(spans);
      free(hulls);
      ship_plan_free(p);
      return -1;
    }
  }
  p->nobjects = m;
  free(spans);
  /* Objects in a module's static storage (globals): the worker puts them
   * into its own copy of that module. */
  for (uint32_t i = 0; i < m; i++) {
    struct image_module im;
    if (pydron_image_find(p->objects[i].begin, p->objects[i].end, &im) != 0)
      continue;
    uint32_t k = 0;
    while (k < p->nmodules && strcmp(p->modules[k].name, im.name) != 0)
      k++;
    if (k == p->nmodules) {
      if (k == PROTO_MAX_MODULES)
        continue; /* shipped as anonymous memory then */
      struct image_module *grown =
          realloc(p->modules, (k + 1) * sizeof *grown);
      if (!grown) {
        snprintf(why, why_len, "out of memory planning the shipping");
        free(hulls);
        ship_plan_free(p);
        return -1;
      }
      p->modules = grown;
      p->modules[k] = im;
      p->nmodules = k + 1;
    }
    p->objects[i].module = k + 1;
  }
  for (uint32_t i = 0; i < loop->num_slots; i++) {
    const struct pydron_env_slot *s = &loop->slots[i];
    p->slot_object[i] = -1;
    if (s->kind == PYDRON_SLOT_POINTER) {
      uintptr_t v;
      memcpy(&v, (const char *)env + s->offset, sizeof v);
      p->slot_object[i] = hulls[i].write
                              ? find_object(p, hulls[i].begin, hulls[i].end)
                              : slot_object(p, v);
    }
  }
  free(hulls);
  return 0;
}

void ship_plan_free(struct ship_plan *p) {
  free(p->modules);
  free(p->objects);
  free(p->slot_object);
  free(p->ranges);
  free(p->memo);
  memset(p, 0, sizeof *p);
}

static struct ship_memo *memo_get(struct ship_plan *p, uint64_t begin,
                                  uint64_t end) {
  for (size_t i = 0; i < p->nmemo; i++)
    if (p->memo[i].begin == begin && p->memo[i].end == end)
      return &p->memo[i];
  if (p->nmemo == p->capmemo) {
    size_t cap = p->capmemo ? p->capmemo * 2 : 16;
    struct ship_memo *m = realloc(p->memo, cap * sizeof *m);
    if (!m)
      return NULL;
    p->memo = m;
    p->capmemo = cap;
  }
  struct ship_memo *m = &p->memo[p->nmemo++];
  memset(m, 0, sizeof *m);
  m->begin = begin;
  m->end = end;
  return m;
}

/* 1 when every page of [begin, end) is mapped in this process. */
static int mapped(uint64_t begin, uint64_t end) {
  long page = sysconf(_SC_PAGESIZE);
  uint64_t a = begin & ~(uint64_t)(page - 1);
  /* msync validates the range against the process's mappings (ENOMEM for
   * a hole); with MS_ASYNC it does nothing else. */
  return msync((void *)(uintptr_t)a, end - a, MS_ASYNC) == 0 ||
         errno != ENOMEM;
}

/* ---- tasks -------------------------------------------------------------- */

void ship_task_free(struct ship_task *rec) {
  free(rec->intervals);
  free(rec->writes);
  memset(rec, 0, sizeof *rec);
}

size_t ship_result_buf_bytes(const struct pydron_loop *loop, int64_t lo,
                             int64_t hi) {
  if (loop->chain)
    return PYDRON_VALUES_OFFSET(loop) +
           (size_t)loop->value_size * (size_t)(hi - lo);
  return loop->partial_size;
}

struct iv_plan {
  uint8_t source;
  uint64_t id; /* CACHED: cache id; DATA: keep id or 0 */
  int added;   /* an entry was added to the cache for this interval */
};

int ship_build_task(struct ship_plan *p, struct ship_cache *cache,
                    int64_t lo, int64_t hi, uint64_t attempt,
                    struct pbuf *out, struct ship_task *rec, char *why,
                    size_t why_len) {
  const struct pydron_loop *loop = p->loop;
  uint32_t nr = loop->num_ranges;
  struct iv_plan *plan = NULL;
  memset(rec, 0, sizeof *rec);
  rec->attempt = attempt;
  rec->lo = lo;
  rec->hi = hi;
  rec->intervals = calloc(nr ? nr : 1, sizeof *rec->intervals);
  rec->writes = calloc(nr ? nr : 1, sizeof *rec->writes);
  plan = calloc(nr ? nr : 1, sizeof *plan);
  if (!rec->intervals || !rec->writes || !plan) {
    snprintf(why, why_len, "out of memory building a task");
    goto fail;
  }
  loop->footprint(lo, hi, p->env, p->ranges);
  int64_t k = collect(p, rec->intervals, 0, lo, hi, why, why_len);
  if (k < 0)
    goto fail;
  rec->nintervals = coalesce(rec->intervals, (uint32_t)k);
  k = collect(p, rec->writes, 1, lo, hi, why, why_len);
  rec->nwrites = coalesce(rec->writes, (uint32_t)k);

  /* Pass 1: where each interval's bytes come from. */
  if (cache)
    cache->clock++;
  for (uint32_t i = 0; i < rec->nintervals; i++) {
    const struct ship_span *s = &rec->intervals[i];
    if (find_object(p, s->begin, s->end) < 0) {
      snprintf(why, why_len, "the footprint of iterations [%lld, %lld) "
               "reaches [0x%llx, 0x%llx), outside the loop's footprint",
               (long long)lo, (long long)hi, (unsigned long long)s->begin,
               (unsigned long long)s->end);
      goto fail;
    }
    if (!mapped(s->begin, s->end)) {
      snprintf(why, why_len, "the footprint of iterations [%lld, %lld) "
               "holds unmapped memory ([0x%llx, 0x%llx))", (long long)lo,
               (long long)hi, (unsigned long long)s->begin,
               (unsigned long long)s->end);
      goto fail;
    }
    plan[i].source = PROTO_IV_DATA;
    uint32_t mod = p->objects[find_object(p, s->begin, s->end)].module;
    if (mod && !s->write &&
        pydron_image_segment(&p->modules[mod - 1], s->begin, s->end) == 0) {
      plan[i].source = PROTO_IV_IMAGE; /* the worker has these bytes */
      continue;
    }
    if (!cache || s->write || s->end - s->begin < SHIP_CACHE_MIN_BYTES)
      continue;
    struct ship_memo *memo = memo_get(p, s->begin, s->end);
    if (!memo)
      continue;
    struct ship_cache_entry *e = ship_cache_find(cache, s->begin, s->end);
    if (e || memo->seen) {
      if (!memo->hashed) {
        memo->hash = pydron_hash128((const void *)(uintptr_t)s->begin,
                                    s->end - s->begin);
        memo->hashed = 1;
      }
      if (e && pydron_hash_equal(e->hash, memo->hash)) {
        plan[i].source = PROTO_IV_CACHED;
        plan[i].id = e->id;
        rec->bytes_cached += s->end - s->begin;
        e->last_use = cache->clock;
      } else {
        if (e) /* stale: the bytes changed since the worker got them */
          ship_cache_drop(cache, e);
        plan[i].id = ship_cache_add(cache, s->begin, s->end, memo->hash);
        plan[i].added = plan[i].id != 0;
      }
    }
    memo->seen++;
  }

  /* Pass 2: the frame. */
  size_t start = proto_frame_begin(out, PROTO_TASK);
  size_t idlen = strlen(loop->id);
  pbuf_u64(out, attempt);
  pbuf_u16(out, (uint16_t)idlen);
  pbuf_put(out, loop->id, idlen);
  pbuf_u64(out, (uint64_t)lo);
  pbuf_u64(out, (uint64_t)hi);
  pbuf_u32(out, loop->env_size);
  pbuf_put(out, p->env, loop->env_size);
  pbuf_u32(out, loop->num_slots);
  for (uint32_t i = 0; i < loop->num_slots; i++)
    pbuf_u32(out, (uint32_t)p->slot_object[i]);
  size_t ndrops = cache ? cache->ndrops : 0;
  pbuf_u32(out, (uint32_t)ndrops);
  for (size_t i = 0; i < ndrops; i++)
    pbuf_u64(out, cache->drops[i]);
  pbuf_u32(out, p->nmodules);
  for (uint32_t i = 0; i < p->nmodules; i++) {
    pbuf_str(out, p->modules[i].name);
    pbuf_u64(out, p->modules[i].base);
  }
  pbuf_u32(out, p->nobjects);
  for (uint32_t i = 0; i < p->nobjects; i++) {
    pbuf_u64(out, p->objects[i].begin);
    pbuf_u64(out, p->objects[i].end);
    pbuf_u32(out, p->objects[i].module);
  }
  pbuf_u32(out, rec->nintervals);
  for (uint32_t i = 0; i < rec->nintervals; i++) {
    const struct ship_span *s = &rec->intervals[i];
    pbuf_u32(out, (uint32_t)find_object(p, s->begin, s->end));
    pbuf_u8(out, s->write ? PROTO_IV_WRITE : 0);
    pbuf_u8(out, plan[i].source);
    pbuf_u16(out, 0);
    pbuf_u64(out, s->begin);
    pbuf_u64(out, s->end);
    pbuf_u64(out, plan[i].id);
    if (plan[i].source == PROTO_IV_DATA)
      pbuf_put(out, (const void *)(uintptr_t)s->begin, s->end - s->begin);
  }
  if (proto_frame_end(out, start) != 0) {
    out->len = start;
    out->failed = 0;
    snprintf(why, why_len, "the task for iterations [%lld, %lld) does not "
             "fit in a frame (at most %u bytes)", (long long)lo,
             (long long)hi, PROTO_MAX_FRAME);
    for (uint32_t i = 0; i < rec->nintervals; i++)
      if (plan[i].added) {
        struct ship_cache_entry *e = ship_cache_find(
            cache, rec->intervals[i].begin, rec->intervals[i].end);
        if (e)
          ship_cache_drop(cache, e);
      }
    goto fail;
  }
  if (cache)
    cache->ndrops = 0;
  rec->bytes_out = out->len - start;
  free(plan);
  return 0;
fail:
  free(plan);
  ship_task_free(rec);
  return -1;
}

/* ---- results -------------------------------------------------------------- */

int ship_check_result(const struct pydron_loop *loop,
                      const struct ship_task *rec,
                      const struct proto_result *res, char *why,
                      size_t why_len) {
  size_t want = ship_result_buf_bytes(loop, rec->lo, rec->hi);
  if (res->buf_len != want) {
    snprintf(why, why_len, "loop %s, iterations [%lld, %lld): the result "
             "carries %u bytes of partials and chain values, expected %zu",
             loop_name(loop), (long long)rec->lo, (long long)rec->hi,
             res->buf_len, want);
    return -1;
  }
  for (uint32_t i = 0; i < res->nruns; i++) {
    const struct proto_run *r = &res->runs[i];
    const char *bad = NULL;
    uint64_t at = 0;
    if (r->interval >= rec->nintervals) {
      bad = "names an interval the task does not have";
    } else {
      const struct ship_span *s = &rec->intervals[r->interval];
      uint64_t len = s->end - s->begin;
      if (!s->write)
        bad = "writes into an interval that was shipped read-only";
      else if (r->offset > len || r->len > len - r->offset)
        bad = "lies outside its interval";
      else {
        at = s->begin + r->offset;
        /* Inside one WRITE range the master computed. */
        uint32_t lo = 0, hi = rec->nwrites;
        while (lo < hi) {
          uint32_t mid = lo + (hi - lo) / 2;
          if (rec->writes[mid].begin <= at)
            lo = mid + 1;
          else
            hi = mid;
        }
        if (lo == 0 || at + r->len > rec->writes[lo - 1].end)
          bad = "lies outside every range the chunk may write";
      }
    }
    if (bad) {
      char where[40] = "";
      if (at)
        snprintf(where, sizeof where, ", at 0x%llx", (unsigned long long)at);
      snprintf(why, why_len, "loop %s, iterations [%lld, %lld): written run "
               "%u (interval %u, offset %llu, %u bytes%s) %s",
               loop_name(loop), (long long)rec->lo, (long long)rec->hi, i,
               r->interval, (unsigned long long)r->offset, r->len, where,
               bad);
      return -1;
    }
  }
  return 0;
}

void ship_apply_result(const struct ship_task *rec,
                       const struct proto_result *res) {
  for (uint32_t i = 0; i < res->nruns; i++) {
    const struct proto_run *r = &res->runs[i];
    memcpy((void *)(uintptr_t)(rec->intervals[r->interval].begin + r->offset),
           r->data, r->len);
  }
}
