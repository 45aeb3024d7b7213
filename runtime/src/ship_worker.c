/* ship_worker.c - the worker's side of shipping: kept bytes, mapping a
 * task's memory with guard pages, rebasing the env, diffing writes.
 *
 * Layout of one object (a coalesced range of the loop's footprint on the
 * master) in the worker:
 *
 *   [guard page][ ... PROT_NONE ... [interval] ... [interval] ... ][guard]
 *                ^ reservation start + (master begin % page size)
 *
 * The object keeps its offset inside a page (so alignment is as on the
 * master) and every interval keeps its offset inside the object (so one
 * rebased pointer reaches every interval of its object, and pointers that
 * alias on the master alias here). Only the pages holding intervals are
 * accessible: a read outside the footprint faults, unless it stays inside
 * an interval's first or last page (there it reads zeros, and a write
 * there is caught by ship_diff). Pages holding only read-only intervals
 * are read-only. */
#include "ship.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t page_size(void) {
  static size_t page; /* any thread may set it: relaxed atomics */
  size_t p = __atomic_load_n(&page, __ATOMIC_RELAXED);
  if (!p) {
    p = (size_t)sysconf(_SC_PAGESIZE);
    __atomic_store_n(&page, p, __ATOMIC_RELAXED);
  }
  return p;
}

/* ---- kept bytes ------------------------------------------------------------ */

struct ship_store_entry *ship_store_get(struct ship_store *s, uint64_t id) {
  for (size_t i = 0; i < s->n; i++)
    if (s->e[i]->id == id) {
      __atomic_add_fetch(&s->e[i]->refs, 1, __ATOMIC_RELAXED);
      return s->e[i];
    }
  return NULL;
}

void ship_store_release(struct ship_store_entry *e) {
  if (e && __atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0) {
    free(e->bytes);
    free(e);
  }
}

void ship_store_drop(struct ship_store *s, uint64_t id) {
  for (size_t i = 0; i < s->n; i++)
    if (s->e[i]->id == id) {
      struct ship_store_entry *e = s->e[i];
      s->bytes -= e->len;
      s->e[i] = s->e[--s->n];
      ship_store_release(e);
      return;
    }
}

int ship_store_put(struct ship_store *s, uint64_t id, const uint8_t *bytes,
                   uint64_t len) {
  ship_store_drop(s, id); /* a master never reuses ids; be safe anyway */
  if (s->bytes + len > 2 * SHIP_CACHE_MAX_BYTES)
    return -1; /* more than any master asks for */
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    struct ship_store_entry **e = realloc(s->e, cap * sizeof *e);
    if (!e)
      return -1;
    s->e = e;
    s->cap = cap;
  }
  struct ship_store_entry *e = calloc(1, sizeof *e);
  uint8_t *copy = malloc(len ? len : 1);
  if (!e || !copy) {
    free(e);
    free(copy);
    return -1;
  }
  memcpy(copy, bytes, len);
  e->id = id;
  e->bytes = copy;
  e->len = len;
  e->refs = 1;
  s->e[s->n++] = e;
  s->bytes += len;
  return 0;
}

void ship_store_free(struct ship_store *s) {
  for (size_t i = 0; i < s->n; i++)
    ship_store_release(s->e[i]);
  free(s->e);
  memset(s, 0, sizeof *s);
}

/* ---- poison ---------------------------------------------------------------- */

#define POISON_BYTES (1ull << 30)
static uint8_t *poison_base;
static pthread_once_t poison_once = PTHREAD_ONCE_INIT;

static void poison_init(void) {
  void *p = mmap(NULL, POISON_BYTES, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p != MAP_FAILED)
    poison_base = p;
}

uintptr_t ship_poison(void) {
  pthread_once(&poison_once, poison_init);
  /* Without the reservation: an address no user program maps (the top of
   * the lower half minus a little, non-canonical neighbours fault). */
  return poison_base ? (uintptr_t)poison_base + POISON_BYTES / 2
                     : (uintptr_t)0x7ff0dead0000ull;
}

/* ---- static storage: one task at a time per byte ----------------------------
 *
 * Anonymous memory is mapped fresh for every task, so tasks running at
 * the same time on this worker's threads never see each other's bytes.
 * Static storage (a global) exists once per process: a task that writes
 * part of it must have those bytes to itself from copy-in to diff, and
 * no other task may copy its (master) bytes over them meanwhile. Tasks
 * take all their static intervals at once (no deadlock), shared for
 * reading (within one loop call the master's bytes of a read-only range
 * do not change, so concurrent copies write the same values), exclusive
 * for writing. Chunks of one loop write disjoint bytes, so they only wait
 * for each other when their footprint hulls overlap. */

struct rl_entry {
  uintptr_t lo, hi;
  int write;
  const void *owner;
};
static pthread_mutex_t rl_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rl_cond = PTHREAD_COND_INITIALIZER;
static struct rl_entry *rl;
static size_t rl_n, rl_cap;

static int rl_conflict(uintptr_t lo, uintptr_t hi, int write,
                       const void *owner) {
  for (size_t i = 0; i < rl_n; i++)
    if (rl[i].owner != owner && lo < rl[i].hi && rl[i].lo < hi &&
        (write || rl[i].write))
      return 1;
  return 0;
}

static int rl_acquire(const struct ship_mapping *m) {
  pthread_mutex_lock(&rl_lock);
  for (;;) {
    int busy = 0;
    for (uint32_t i = 0; i < m->nintervals && !busy; i++) {
      const struct ship_local_interval *li = &m->intervals[i];
      if (li->is_static && !li->image && li->len)
        busy = rl_conflict((uintptr_t)li->local,
                           (uintptr_t)li->local + li->len, li->write, m);
    }
    if (!busy)
      break;
    pthread_cond_wait(&rl_cond, &rl_lock);
  }
  for (uint32_t i = 0; i < m->nintervals; i++) {
    const struct ship_local_interval *li = &m->intervals[i];
    if (!li->is_static || li->image || !li->len)
      continue;
    if (rl_n == rl_cap) {
      size_t cap = rl_cap ? rl_cap * 2 : 64;
      struct rl_entry *e = realloc(rl, cap * sizeof *e);
      if (!e) {
        for (size_t k = 0; k < rl_n;) /* undo this task's entries */
          if (rl[k].owner == m)
            rl[k] = rl[--rl_n];
          else
            k++;
        pthread_mutex_unlock(&rl_lock);
        return -1;
      }
      rl = e;
      rl_cap = cap;
    }
    rl[rl_n].lo = (uintptr_t)li->local;
    rl[rl_n].hi = (uintptr_t)li->local + li->len;
    rl[rl_n].write = li->write;
    rl[rl_n].owner = m;
    rl_n++;
  }
  pthread_mutex_unlock(&rl_lock);
  return 0;
}

static void rl_release(const struct ship_mapping *m) {
  pthread_mutex_lock(&rl_lock);
  for (size_t k = 0; k < rl_n;)
    if (rl[k].owner == m)
      rl[k] = rl[--rl_n];
    else
      k++;
  pthread_cond_broadcast(&rl_cond);
  pthread_mutex_unlock(&rl_lock);
}

/* ---- mapping ---------------------------------------------------------------- */

void ship_unmap(struct ship_mapping *m) {
  if (m->locked)
    rl_release(m);
  if (m->objects)
    for (uint32_t i = 0; i < m->nobjects; i++)
      if (m->objects[i].base)
        munmap(m->objects[i].base, m->objects[i].size);
  free(m->objects);
  free(m->intervals);
  free(m->env);
  memset(m, 0, sizeof *m);
}

static int fail(uint32_t *code, uint32_t c, char *why, size_t why_len,
                const char *msg, struct ship_mapping *m) {
  *code = c;
  snprintf(why, why_len, "%s", msg);
  ship_unmap(m);
  return -1;
}

int ship_map(struct ship_mapping *m, const struct proto_task *t,
             const struct pydron_loop *loop,
             struct ship_store_entry *const *cached, uint32_t *code,
             char *why, size_t why_len) {
  size_t page = page_size();
  memset(m, 0, sizeof *m);
  if (t->env_len != loop->env_size || t->nslots != loop->num_slots)
    return fail(code, PROTO_ERR_BAD_TASK, why, why_len,
                "the task's env does not match the loop's env layout", m);
  for (uint32_t i = 0; i < t->nslots; i++)
    if (t->slot_object[i] >= 0 && loop->slots[i].kind != PYDRON_SLOT_POINTER)
      return fail(code, PROTO_ERR_BAD_TASK, why, why_len,
                  "the task rebases an env slot that is not a pointer", m);
  m->objects = calloc(t->nobjects ? t->nobjects : 1, sizeof *m->objects);
  m->intervals = calloc(t->nintervals ? t->nintervals : 1,
                        sizeof *m->intervals);
  m->env = malloc(loop->env_size ? loop->env_size : 1);
  if (!m->objects || !m->intervals || !m->env)
    return fail(code, PROTO_ERR_NO_MEMORY, why, why_len,
                "out of memory mapping a task", m);
  m->nobjects = t->nobjects;
  m->nintervals = t->nintervals;

  struct image_module *mods = NULL;
  if (t->nmodules) {
    mods = calloc(t->nmodules, sizeof *mods);
    if (!mods)
      return fail(code, PROTO_ERR_NO_MEMORY, why, why_len,
                  "out of memory mapping a task", m);
  }
  for (uint32_t i = 0; i < t->nmodules; i++) {
    char name[PROTO_MAX_MODULE_NAME + 1];
    memcpy(name, t->modules[i].name, t->modules[i].name_len);
    name[t->modules[i].name_len] = 0;
    if (pydron_image_by_name(name, &mods[i]) != 0) {
      free(mods);
      snprintf(why, why_len, "this worker has not loaded %s, which holds "
               "shipped globals", name[0] ? name : "the executable");
      *code = PROTO_ERR_BAD_TASK;
      ship_unmap(m);
      return -1;
    }
  }
  for (uint32_t i = 0; i < t->nobjects; i++) {
    const struct proto_object *o = &t->objects[i];
    struct ship_local_object *lo = &m->objects[i];
    uint64_t off = o->begin % page, len = o->end - o->begin;
    if (o->module) {
      /* A global: at the same offset in this process's copy. */
      const struct image_module *im = &mods[o->module - 1];
      uintptr_t at = (uintptr_t)(o->begin - t->modules[o->module - 1].base) +
                     im->base;
      if (at < im->lo || at > im->hi || len > im->hi - at) {
        free(mods);
        return fail(code, PROTO_ERR_BAD_TASK, why, why_len,
                    "a shipped global lies outside this worker's copy of "
                    "its module", m);
      }
      lo->begin = (uint8_t *)at;
      lo->master_begin = o->begin;
      lo->len = len;
      continue;
    }
    size_t size = (size_t)((off + len + page - 1) / page * page) + 2 * page;
    void *base = mmap(NULL, size, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED)
      return fail(code, PROTO_ERR_NO_MEMORY, why, why_len,
                  "cannot reserve address space for a shipped object", m);
    lo->base = base;
    lo->size = size;
    lo->begin = (uint8_t *)base + page + off;
    lo->master_begin = o->begin;
    lo->len = len;
  }

  /* Where every interval goes; static ones must fit a segment. */
  for (uint32_t i = 0; i < t->nintervals; i++) {
    const struct proto_interval *iv = &t->intervals[i];
    struct ship_local_interval *li = &m->intervals[i];
    const struct ship_local_object *lo = &m->objects[iv->object];
    li->local = lo->begin + (iv->begin - lo->master_begin);
    li->len = iv->end - iv->begin;
    li->write = (iv->flags & PROTO_IV_WRITE) != 0;
    uint32_t mod = t->objects[iv->object].module;
    if (!mod)
      continue;
    int seg = pydron_image_segment(&mods[mod - 1], (uintptr_t)li->local,
                                   (uintptr_t)li->local + li->len);
    if (seg != (iv->source == PROTO_IV_IMAGE ? 0 : 1)) {
      free(mods);
      return fail(code, PROTO_ERR_BAD_TASK, why, why_len,
                  "a shipped global does not fit one segment of its module "
                  "as the master said", m);
    }
    li->is_static = 1;
    li->image = iv->source == PROTO_IV_IMAGE;
  }
  free(mods);
  if (rl_acquire(m) != 0)
    return fail(code, PROTO_ERR_NO_MEMORY, why, why_len,
                "out of memory locking shipped globals", m);
  m->locked = 1;

  for (uint32_t i = 0; i < t->nintervals; i++) {
    const struct proto_interval *iv = &t->intervals[i];
    struct ship_local_interval *li = &m->intervals[i];
    if (iv->source == PROTO_IV_IMAGE)
      continue; /* the same bytes are here already */
    if (!t->objects[iv->object].module) {
      /* Our own mapping (a module's image is writable already). */
      uintptr_t a = (uintptr_t)li->local & ~(uintptr_t)(page - 1);
      uintptr_t b = ((uintptr_t)li->local + li->len + page - 1) &
                    ~(uintptr_t)(page - 1);
      if (mprotect((void *)a, b - a, PROT_READ | PROT_WRITE) != 0)
        return fail(code, PROTO_ERR_NO_MEMORY, why, why_len,
                    "cannot map a shipped interval", m);
    }
    const uint8_t *src = iv->data;
    if (iv->source == PROTO_IV_CACHED) {
      const struct ship_store_entry *e = cached ? cached[i] : NULL;
      if (!e || e->len != li->len)
        return fail(code, PROTO_ERR_BAD_TASK, why, why_len,
                    "the task names kept bytes this worker does not hold "
                    "(or of another size)", m);
      src = e->bytes;
    }
    memcpy(li->local, src, li->len);
    if (li->write)
      li->pristine = src; /* the task's own bytes, kept until it ends */
  }
  /* Read-only intervals: their pages become read-only, unless a written
   * interval shares the page. */
  for (uint32_t i = 0; i < t->nintervals; i++) {
    struct ship_local_interval *li = &m->intervals[i];
    if (li->write || t->objects[t->intervals[i].object].module)
      continue;
    uintptr_t a = (uintptr_t)li->local & ~(uintptr_t)(page - 1);
    uintptr_t b = ((uintptr_t)li->local + li->len + page - 1) &
                  ~(uintptr_t)(page - 1);
    /* Another interval can share only the first or the last page. */
    uintptr_t first = a, last = b - page;
    int keep_first = 0, keep_last = 0;
    for (uint32_t j = 0; j < t->nintervals; j++) {
      const struct ship_local_interval *w = &m->intervals[j];
      if (!w->write || w->is_static)
        continue;
      uintptr_t wa = (uintptr_t)w->local & ~(uintptr_t)(page - 1);
      uintptr_t wl = ((uintptr_t)w->local + w->len - 1) &
                     ~(uintptr_t)(page - 1);
      if (wa <= first && first <= wl)
        keep_first = 1;
      if (wa <= last && last <= wl)
        keep_last = 1;
    }
    if (keep_first)
      a += page;
    if (keep_last && b > a)
      b -= page;
    if (a < b)
      mprotect((void *)a, b - a, PROT_READ);
  }

  /* The env: values copied, pointers rebased or poisoned, master-only
   * slots zeroed. */
  memcpy(m->env, t->env, loop->env_size);
  uintptr_t poison = ship_poison();
  for (uint32_t i = 0; i < loop->num_slots; i++) {
    const struct pydron_env_slot *s = &loop->slots[i];
    uint8_t *at = m->env + s->offset;
    if (s->kind == PYDRON_SLOT_MASTER) {
      memset(at, 0, s->size);
    } else if (s->kind == PYDRON_SLOT_POINTER) {
      uintptr_t v;
      memcpy(&v, at, sizeof v);
      int32_t o = t->slot_object[i];
      if (o >= 0)
        v = (uintptr_t)m->objects[o].begin + (v - m->objects[o].master_begin);
      else if (v != 0)
        v = poison;
      memcpy(at, &v, sizeof v);
    }
  }
  return 0;
}

/* ---- diff ---------------------------------------------------------------- */

static inline uint64_t ld64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* Nonzero when some byte of x is zero. */
static inline uint64_t has_zero_byte(uint64_t x) {
  return (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
}

static void put_run(struct pbuf *out, uint64_t *at, uint64_t off,
                    const uint8_t *data, uint64_t len, uint32_t *nruns) {
  while (len > 0) { /* runs carry at most 2^30 bytes */
    uint64_t n = len > 0x40000000u ? 0x40000000u : len;
    pbuf_var(out, off - *at);
    pbuf_var(out, n);
    pbuf_put(out, data, (size_t)n);
    off += n;
    data += n;
    len -= n;
    *at = off;
    (*nruns)++;
  }
}

static void patch32(struct pbuf *b, size_t at, uint32_t v) {
  if (b->failed)
    return;
  for (int s = 0; s < 4; s++)
    b->p[at + (size_t)s] = (uint8_t)(v >> (8 * s));
}

/* 1 when bytes [a, b) are all zero. */
static int all_zero(const uint8_t *a, const uint8_t *b) {
  for (; a < b; a++)
    if (*a)
      return 0;
  return 1;
}

int ship_diff(const struct ship_mapping *m, struct pbuf *out, char *why,
              size_t why_len) {
  size_t page = page_size();
  size_t count_at = out->len;
  uint32_t ngroups = 0;
  pbuf_u32(out, 0);
  for (uint32_t i = 0; i < m->nintervals; i++) {
    const struct ship_local_interval *li = &m->intervals[i];
    /* Bytes next to the interval, inside its pages and no other
     * interval's: must still be the zeros the mapping started with. */
    const uint8_t *pa = (const uint8_t *)((uintptr_t)li->local &
                                          ~(uintptr_t)(page - 1));
    const uint8_t *pb = (const uint8_t *)(((uintptr_t)li->local + li->len +
                                           page - 1) & ~(uintptr_t)(page - 1));
    const uint8_t *left = pa, *right = pb;
    for (uint32_t j = 0; j < m->nintervals; j++) {
      const struct ship_local_interval *o = &m->intervals[j];
      if (j == i)
        continue;
      const uint8_t *oe = o->local + o->len;
      if (oe <= li->local && oe > left)
        left = oe;
      if (o->local >= li->local + li->len && o->local < right)
        right = o->local;
    }
    if (!li->is_static &&
        (!all_zero(left, li->local) || !all_zero(li->local + li->len, right))) {
      snprintf(why, why_len, "the chunk wrote next to shipped interval %u "
               "(inside its pages, outside the footprint)", i);
      return -1;
    }
    if (!li->write)
      continue;
    const uint8_t *a = li->local, *b = li->pristine;
    uint64_t n = li->len, k = 0, at = 0;
    size_t group_at = out->len;
    uint32_t nruns = 0;
    pbuf_u32(out, i);
    pbuf_u32(out, 0);
    while (k < n) {
      while (k + 8 <= n && ld64(a + k) == ld64(b + k))
        k += 8;
      while (k < n && a[k] == b[k])
        k++;
      if (k >= n)
        break;
      uint64_t start = k;
      for (;;) {
        while (k + 8 <= n && !has_zero_byte(ld64(a + k) ^ ld64(b + k)))
          k += 8;
        if (k < n && a[k] != b[k]) {
          k++;
          continue;
        }
        break;
      }
      put_run(out, &at, start, a + start, k - start, &nruns);
    }
    if (nruns) {
      patch32(out, group_at + 4, nruns);
      ngroups++;
    } else if (!out->failed) {
      out->len = group_at; /* nothing changed in this interval */
    }
  }
  patch32(out, count_at, ngroups);
  return 0;
}

int ship_fault_kind(const struct ship_mapping *m, uintptr_t addr,
                    uint64_t *master) {
  if (poison_base && addr >= (uintptr_t)poison_base &&
      addr < (uintptr_t)poison_base + POISON_BYTES)
    return SHIP_FAULT_POISON;
  if (!m || !m->objects)
    return SHIP_FAULT_OTHER;
  for (uint32_t i = 0; i < m->nobjects; i++) {
    const struct ship_local_object *o = &m->objects[i];
    if (addr < (uintptr_t)o->base || addr >= (uintptr_t)o->base + o->size)
      continue;
    *master = o->master_begin + (addr - (uintptr_t)o->begin);
    for (uint32_t j = 0; j < m->nintervals; j++) {
      const struct ship_local_interval *li = &m->intervals[j];
      if (!li->write && addr >= (uintptr_t)li->local &&
          addr < (uintptr_t)li->local + li->len)
        return SHIP_FAULT_READONLY;
    }
    return SHIP_FAULT_GAP;
  }
  return SHIP_FAULT_OTHER;
}
