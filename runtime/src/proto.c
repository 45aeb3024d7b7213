/* proto.c - frames and messages of the master <-> worker protocol.
 *
 * Layout of every payload (all integers little-endian; "str" is u16 length
 * and that many bytes, no NUL):
 *
 *   HELLO     u32 version, u32 abi_version, u32 pid, u32 threads,
 *             str build_id, str arch, str host, u32 n, u64 features[n]
 *   TASK      u64 attempt, str loop_id, i64 lo, i64 hi,
 *             u32 env_len, env bytes,
 *             u32 nslots, i32 slot_object[nslots],
 *             u32 ndrops, u64 drop[ndrops],
 *             u32 nmodules, {str name, u64 base}[nmodules],
 *             u32 nobjects, {u64 begin, u64 end, u32 module}[nobjects],
 *             u32 nintervals, per interval:
 *               u32 object, u8 flags, u8 source, u16 0, u64 begin, u64 end,
 *               source DATA:   u64 keep_id, (end - begin) bytes
 *               source CACHED: u64 cache_id
 *               source IMAGE:  u64 0 (no bytes: read-only static data)
 *   RESULT    u64 attempt, u64 run_ns, u32 buf_len, buf bytes,
 *             u32 ngroups, per group (intervals in increasing order):
 *               u32 interval, u32 nruns, per run:
 *                 var gap (from the end of the run before, or from the
 *                 interval's start), var len (>= 1), len bytes
 *             ("var" is unsigned LEB128: changed bytes are often short
 *             runs, e.g. the low byte of each counter of an array)
 *   ERROR     u64 attempt, u32 code, u32 signal, u64 address,
 *             u32 text_len, text bytes
 *   HEARTBEAT u64 value
 *   SHUTDOWN  (empty)
 *
 * The decoders read through a cursor that fails (sticky) on the first
 * read past the end; counts are checked against what the remaining bytes
 * can hold before anything is allocated, so a hostile count cannot make
 * the decoder allocate more than the frame's own size. */
#include "proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- little-endian helpers ------------------------------------------- */

static void le16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void le32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static void le64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static uint16_t rd16(const uint8_t *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}
static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) {
  return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* ---- pbuf --------------------------------------------------------------- */

void pbuf_free(struct pbuf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
  b->failed = 0;
}

void pbuf_reset(struct pbuf *b) {
  b->len = 0;
  b->failed = 0;
}

uint8_t *pbuf_grow(struct pbuf *b, size_t n) {
  if (b->failed)
    return NULL;
  if (n > SIZE_MAX / 2 - b->len) {
    b->failed = 1;
    return NULL;
  }
  if (b->cap - b->len < n) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n)
      cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
      b->failed = 1;
      return NULL;
    }
    b->p = p;
    b->cap = cap;
  }
  uint8_t *at = b->p + b->len;
  b->len += n;
  return at;
}

void pbuf_put(struct pbuf *b, const void *p, size_t n) {
  uint8_t *at = pbuf_grow(b, n);
  if (at && n)
    memcpy(at, p, n);
}
void pbuf_u8(struct pbuf *b, uint8_t v) { pbuf_put(b, &v, 1); }
void pbuf_u16(struct pbuf *b, uint16_t v) {
  uint8_t *at = pbuf_grow(b, 2);
  if (at)
    le16(at, v);
}
void pbuf_u32(struct pbuf *b, uint32_t v) {
  uint8_t *at = pbuf_grow(b, 4);
  if (at)
    le32(at, v);
}
void pbuf_u64(struct pbuf *b, uint64_t v) {
  uint8_t *at = pbuf_grow(b, 8);
  if (at)
    le64(at, v);
}
void pbuf_str(struct pbuf *b, const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n > 65535)
    n = 65535;
  pbuf_u16(b, (uint16_t)n);
  pbuf_put(b, s, n);
}

/* ---- frames ------------------------------------------------------------- */

uint32_t proto_max_payload(uint16_t type) {
  switch (type) {
  case PROTO_HELLO: return PROTO_MAX_HELLO;
  case PROTO_TASK: return PROTO_MAX_FRAME;
  case PROTO_RESULT: return PROTO_MAX_FRAME;
  case PROTO_ERROR: return 28 + PROTO_MAX_ERROR_TEXT;
  case PROTO_HEARTBEAT: return 8;
  case PROTO_SHUTDOWN: return 0;
  default: return 0;
  }
}

const char *proto_type_name(unsigned type) {
  switch (type) {
  case PROTO_HELLO: return "hello";
  case PROTO_TASK: return "task";
  case PROTO_RESULT: return "result";
  case PROTO_ERROR: return "error";
  case PROTO_HEARTBEAT: return "heartbeat";
  case PROTO_SHUTDOWN: return "shutdown";
  default: return "unknown";
  }
}

static int known_type(unsigned type) {
  return type >= PROTO_HELLO && type <= PROTO_SHUTDOWN;
}

size_t proto_frame_begin(struct pbuf *b, uint16_t type) {
  size_t start = b->len;
  uint8_t *h = pbuf_grow(b, PROTO_HEADER_BYTES);
  if (h) {
    le32(h, PROTO_MAGIC);
    le16(h + 4, type);
    le16(h + 6, 0);
    le32(h + 8, 0);
  }
  return start;
}

int proto_frame_end(struct pbuf *b, size_t start) {
  if (b->failed || b->len < start + PROTO_HEADER_BYTES)
    return -1;
  size_t payload = b->len - start - PROTO_HEADER_BYTES;
  uint16_t type = rd16(b->p + start + 4);
  if (payload > proto_max_payload(type))
    return -1;
  le32(b->p + start + 8, (uint32_t)payload);
  return 0;
}

static void set_err(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t err_len, const char *fmt, ...) {
  if (!err || !err_len)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, err_len, fmt, ap);
  va_end(ap);
}

long proto_reader_feed(struct proto_reader *r, const uint8_t *data, size_t n,
                       int *done, char *err, size_t err_len) {
  size_t used = 0;
  *done = 0;
  while (used < n || (r->in_payload && r->have == r->length)) {
    if (!r->in_payload) {
      size_t take = PROTO_HEADER_BYTES - r->have_header;
      if (take > n - used)
        take = n - used;
      memcpy(r->header + r->have_header, data + used, take);
      r->have_header += take;
      used += take;
      if (r->have_header < PROTO_HEADER_BYTES)
        break;
      uint32_t magic = rd32(r->header);
      uint16_t type = rd16(r->header + 4), flags = rd16(r->header + 6);
      uint32_t length = rd32(r->header + 8);
      if (magic != PROTO_MAGIC) {
        set_err(err, err_len, "corrupt frame: bad magic 0x%08x (expected "
                "0x%08x): the stream is not the Pydron protocol or lost "
                "its framing", magic, PROTO_MAGIC);
        return -1;
      }
      if (!known_type(type)) {
        set_err(err, err_len, "corrupt frame: unknown message type %u",
                type);
        return -1;
      }
      if (flags != 0) {
        set_err(err, err_len, "corrupt frame: %s with flags 0x%x (must be "
                "0)", proto_type_name(type), flags);
        return -1;
      }
      if (length > proto_max_payload(type)) {
        set_err(err, err_len, "oversized frame: %s of %u bytes (at most %u)",
                proto_type_name(type), length, proto_max_payload(type));
        return -1;
      }
      r->type = type;
      r->length = length;
      r->have = 0;
      r->in_payload = 1;
    }
    if (r->have < r->length) {
      size_t want = r->length - r->have;
      size_t take = want < n - used ? want : n - used;
      if (take == 0)
        break;
      if (r->cap < r->have + take) {
        /* Grow with what arrived, never to the announced length at once. */
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->have + take)
          cap *= 2;
        if (cap > r->length)
          cap = r->length;
        uint8_t *p = realloc(r->payload, cap);
        if (!p) {
          set_err(err, err_len, "out of memory reading a %s of %u bytes",
                  proto_type_name(r->type), r->length);
          return -1;
        }
        r->payload = p;
        r->cap = cap;
      }
      memcpy(r->payload + r->have, data + used, take);
      r->have += take;
      used += take;
    }
    if (r->have == r->length) {
      *done = 1;
      return (long)used;
    }
  }
  return (long)used;
}

void proto_reader_next(struct proto_reader *r) {
  r->have_header = 0;
  r->in_payload = 0;
  r->have = 0;
  r->length = 0;
  r->type = 0;
  /* Big buffers are not kept: one huge task should not pin its memory. */
  if (r->cap > (64u << 20)) {
    free(r->payload);
    r->payload = NULL;
    r->cap = 0;
  }
}

uint8_t *proto_reader_take(struct proto_reader *r) {
  uint8_t *p = r->payload;
  r->payload = NULL;
  r->cap = 0;
  proto_reader_next(r);
  return p;
}

void proto_reader_free(struct proto_reader *r) {
  free(r->payload);
  memset(r, 0, sizeof *r);
}

int proto_read_frame(int fd, struct proto_reader *r, char *err,
                     size_t err_len) {
  int done = 0;
  /* An empty frame completes without bytes. */
  if (r->in_payload && r->have == r->length)
    return 1;
  for (;;) {
    uint8_t tmp[65536];
    uint8_t *dst;
    size_t room;
    /* Read the payload straight into its buffer when we know its size. */
    if (r->in_payload) {
      size_t want = r->length - r->have;
      if (r->cap < r->length) {
        size_t cap = r->cap ? r->cap * 2 : 65536;
        if (cap < r->have + (want < 65536 ? want : 65536))
          cap = r->have + (want < 65536 ? want : 65536);
        if (cap > r->length)
          cap = r->length;
        uint8_t *p = realloc(r->payload, cap);
        if (!p) {
          set_err(err, err_len, "out of memory reading a %s of %u bytes",
                  proto_type_name(r->type), r->length);
          return -1;
        }
        r->payload = p;
        r->cap = cap;
      }
      dst = r->payload + r->have;
      room = r->cap - r->have;
      if (room > want)
        room = want;
    } else {
      dst = tmp;
      room = PROTO_HEADER_BYTES - r->have_header;
    }
    ssize_t got = read(fd, dst, room);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return 2; /* non-blocking: the rest of the frame is not here yet */
    if (got < 0) {
      set_err(err, err_len, "read error: %s", strerror(errno));
      return -1;
    }
    if (got == 0) {
      if (!r->in_payload && r->have_header == 0)
        return 0;
      set_err(err, err_len, "truncated frame: the stream ended inside a %s "
              "(%zu of %u payload bytes, %zu of %u header bytes)",
              r->in_payload ? proto_type_name(r->type) : "frame header",
              r->have, r->length, r->in_payload ? (size_t)PROTO_HEADER_BYTES
                                                : r->have_header,
              PROTO_HEADER_BYTES);
      return -1;
    }
    __atomic_add_fetch(&r->bytes_read, (uint64_t)got, __ATOMIC_RELAXED);
    if (r->in_payload) {
      r->have += (size_t)got;
      if (r->have == r->length)
        return 1;
      continue;
    }
    if (proto_reader_feed(r, dst, (size_t)got, &done, err, err_len) < 0)
      return -1;
    if (done)
      return 1;
  }
}

int proto_write_all(int fd, const void *buf, size_t n) {
  const uint8_t *p = buf;
  int plain = 0; /* not a socket: write() */
  while (n > 0) {
    ssize_t w = plain ? write(fd, p, n) : send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == ENOTSOCK && !plain) {
      plain = 1;
      continue;
    }
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      if (w == 0)
        errno = EIO;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* ---- encoders ----------------------------------------------------------- */

int proto_put_hello(struct pbuf *b, const struct proto_hello *h) {
  size_t at = proto_frame_begin(b, PROTO_HELLO);
  pbuf_u32(b, h->version);
  pbuf_u32(b, h->abi_version);
  pbuf_u32(b, h->pid);
  pbuf_u32(b, h->threads);
  pbuf_str(b, h->build_id);
  pbuf_str(b, h->arch);
  pbuf_str(b, h->host);
  uint32_t n = h->nfeatures > PROTO_MAX_FEATURES ? PROTO_MAX_FEATURES
                                                 : h->nfeatures;
  pbuf_u32(b, n);
  for (uint32_t i = 0; i < n; i++)
    pbuf_u64(b, h->features[i]);
  return proto_frame_end(b, at);
}

int proto_put_error(struct pbuf *b, uint64_t attempt, uint32_t code,
                    uint32_t signal, uint64_t address, const char *text) {
  size_t at = proto_frame_begin(b, PROTO_ERROR);
  size_t n = text ? strlen(text) : 0;
  if (n > PROTO_MAX_ERROR_TEXT)
    n = PROTO_MAX_ERROR_TEXT;
  pbuf_u64(b, attempt);
  pbuf_u32(b, code);
  pbuf_u32(b, signal);
  pbuf_u64(b, address);
  pbuf_u32(b, (uint32_t)n);
  pbuf_put(b, text, n);
  return proto_frame_end(b, at);
}

int proto_put_heartbeat(struct pbuf *b, uint64_t value) {
  size_t at = proto_frame_begin(b, PROTO_HEARTBEAT);
  pbuf_u64(b, value);
  return proto_frame_end(b, at);
}

int proto_put_shutdown(struct pbuf *b) {
  return proto_frame_end(b, proto_frame_begin(b, PROTO_SHUTDOWN));
}

/* ---- decoders ----------------------------------------------------------- */

struct cur {
  const uint8_t *p;
  size_t n, at;
  int bad;
};

static const uint8_t *take(struct cur *c, size_t k) {
  if (!c->bad && k == 0) /* also for an empty payload (p may be NULL) */
    return c->p ? c->p + c->at : (const uint8_t *)"";
  if (c->bad || k > c->n - c->at) {
    c->bad = 1;
    return NULL;
  }
  const uint8_t *p = c->p + c->at;
  c->at += k;
  return p;
}
static uint8_t g8(struct cur *c) {
  const uint8_t *p = take(c, 1);
  return p ? p[0] : 0;
}
static uint16_t g16(struct cur *c) {
  const uint8_t *p = take(c, 2);
  return p ? rd16(p) : 0;
}
static uint32_t g32(struct cur *c) {
  const uint8_t *p = take(c, 4);
  return p ? rd32(p) : 0;
}
static uint64_t g64(struct cur *c) {
  const uint8_t *p = take(c, 8);
  return p ? rd64(p) : 0;
}
static size_t left(const struct cur *c) { return c->bad ? 0 : c->n - c->at; }

/* A str into a fixed buffer: must fit, and hold no NUL. */
static int gstr(struct cur *c, char *out, size_t cap, const char *what,
                char *err, size_t err_len) {
  uint16_t n = g16(c);
  const uint8_t *p = take(c, n);
  if (!p) {
    set_err(err, err_len, "truncated: %s", what);
    return -1;
  }
  if (n >= cap || memchr(p, 0, n)) {
    set_err(err, err_len, "bad %s: %u bytes%s", what, n,
            n >= cap ? " (too long)" : " holding a NUL byte");
    return -1;
  }
  memcpy(out, p, n);
  out[n] = 0;
  return 0;
}

int proto_get_hello(const uint8_t *p, size_t n, struct proto_hello *out,
                    char *err, size_t err_len) {
  struct cur c = {p, n, 0, 0};
  memset(out, 0, sizeof *out);
  out->version = g32(&c);
  if (c.bad) {
    set_err(err, err_len, "truncated hello: %zu bytes", n);
    return -1;
  }
  if (out->version != PROTO_VERSION) {
    set_err(err, err_len, "the worker speaks protocol version %u, the "
            "master speaks version %u", out->version, PROTO_VERSION);
    return -1;
  }
  out->abi_version = g32(&c);
  out->pid = g32(&c);
  out->threads = g32(&c);
  if (c.bad) {
    set_err(err, err_len, "truncated hello: %zu bytes", n);
    return -1;
  }
  if (gstr(&c, out->build_id, sizeof out->build_id, "hello build id", err,
           err_len) ||
      gstr(&c, out->arch, sizeof out->arch, "hello architecture", err,
           err_len) ||
      gstr(&c, out->host, sizeof out->host, "hello host name", err, err_len))
    return -1;
  out->nfeatures = g32(&c);
  if (c.bad || out->nfeatures > PROTO_MAX_FEATURES ||
      left(&c) != 8u * out->nfeatures) {
    set_err(err, err_len, "bad hello: %u CPU feature words in %zu bytes "
            "(at most %u)", out->nfeatures, left(&c), PROTO_MAX_FEATURES);
    return -1;
  }
  for (uint32_t i = 0; i < out->nfeatures; i++)
    out->features[i] = g64(&c);
  if (out->threads == 0 || out->threads > 65536) {
    set_err(err, err_len, "bad hello: %u threads", out->threads);
    return -1;
  }
  return 0;
}

void proto_free_task(struct proto_task *t) {
  free(t->modules);
  free(t->slot_object);
  free(t->objects);
  free(t->intervals);
  free(t->drops);
  memset(t, 0, sizeof *t);
}

int proto_get_task(const uint8_t *p, size_t n, struct proto_task *t,
                   char *err, size_t err_len) {
  struct cur c = {p, n, 0, 0};
  memset(t, 0, sizeof *t);
  t->attempt = g64(&c);
  t->loop_id_len = g16(&c);
  t->loop_id = (const char *)take(&c, t->loop_id_len);
  t->lo = (int64_t)g64(&c);
  t->hi = (int64_t)g64(&c);
  t->env_len = g32(&c);
  if (c.bad) {
    set_err(err, err_len, "truncated task header (%zu bytes)", n);
    return -1;
  }
  if (t->attempt == 0 || t->loop_id_len == 0 ||
      t->loop_id_len > PROTO_MAX_ID || memchr(t->loop_id, 0, t->loop_id_len)) {
    set_err(err, err_len, "bad task: attempt %llu, loop id of %u bytes",
            (unsigned long long)t->attempt, t->loop_id_len);
    return -1;
  }
  if (t->lo < 0 || t->hi <= t->lo) {
    set_err(err, err_len, "bad task: chunk [%lld, %lld)", (long long)t->lo,
            (long long)t->hi);
    return -1;
  }
  if (t->env_len > PROTO_MAX_ENV || t->env_len > left(&c)) {
    set_err(err, err_len, "bad task: env of %u bytes (%zu left, at most %u)",
            t->env_len, left(&c), PROTO_MAX_ENV);
    return -1;
  }
  t->env = take(&c, t->env_len);

  t->nslots = g32(&c);
  if (c.bad || t->nslots > PROTO_MAX_SLOTS || 4ull * t->nslots > left(&c)) {
    set_err(err, err_len, "bad task: %u env slots", t->nslots);
    return -1;
  }
  if (t->nslots) {
    t->slot_object = malloc(sizeof *t->slot_object * t->nslots);
    if (!t->slot_object)
      goto nomem;
  }
  for (uint32_t i = 0; i < t->nslots; i++)
    t->slot_object[i] = (int32_t)g32(&c);

  t->ndrops = g32(&c);
  if (c.bad || t->ndrops > PROTO_MAX_DROPS || 8ull * t->ndrops > left(&c)) {
    set_err(err, err_len, "bad task: %u cache drops", t->ndrops);
    goto fail;
  }
  if (t->ndrops) {
    t->drops = malloc(sizeof *t->drops * t->ndrops);
    if (!t->drops)
      goto nomem;
  }
  for (uint32_t i = 0; i < t->ndrops; i++)
    t->drops[i] = g64(&c);

  t->nmodules = g32(&c);
  if (c.bad || t->nmodules > PROTO_MAX_MODULES ||
      10ull * t->nmodules > left(&c)) {
    set_err(err, err_len, "bad task: %u modules", t->nmodules);
    goto fail;
  }
  if (t->nmodules) {
    t->modules = calloc(t->nmodules, sizeof *t->modules);
    if (!t->modules)
      goto nomem;
  }
  for (uint32_t i = 0; i < t->nmodules; i++) {
    struct proto_module *m = &t->modules[i];
    m->name_len = g16(&c);
    m->name = (const char *)take(&c, m->name_len);
    m->base = g64(&c);
    if (c.bad || m->name_len > PROTO_MAX_MODULE_NAME ||
        memchr(m->name, 0, m->name_len)) {
      set_err(err, err_len, "bad task: module %u is truncated or has a bad "
              "name", i);
      goto fail;
    }
  }

  t->nobjects = g32(&c);
  if (c.bad || t->nobjects > PROTO_MAX_OBJECTS ||
      20ull * t->nobjects > left(&c)) {
    set_err(err, err_len, "bad task: %u objects", t->nobjects);
    goto fail;
  }
  if (t->nobjects) {
    t->objects = malloc(sizeof *t->objects * t->nobjects);
    if (!t->objects)
      goto nomem;
  }
  for (uint32_t i = 0; i < t->nobjects; i++) {
    struct proto_object *o = &t->objects[i];
    o->begin = g64(&c);
    o->end = g64(&c);
    o->module = g32(&c);
    if (o->module > t->nmodules) {
      set_err(err, err_len, "bad task: object %u names module %u of %u", i,
              o->module, t->nmodules);
      goto fail;
    }
    if (o->end <= o->begin || o->end - o->begin > PROTO_MAX_OBJECT_BYTES ||
        (i > 0 && o->begin < t->objects[i - 1].end)) {
      set_err(err, err_len, "bad task: object %u [0x%llx, 0x%llx) is empty, "
              "too big, or not after the one before", i,
              (unsigned long long)o->begin, (unsigned long long)o->end);
      goto fail;
    }
  }
  for (uint32_t i = 0; i < t->nslots; i++)
    if (t->slot_object[i] < -1 || t->slot_object[i] >= (int64_t)t->nobjects) {
      set_err(err, err_len, "bad task: slot %u rebased into object %d of %u",
              i, t->slot_object[i], t->nobjects);
      goto fail;
    }

  t->nintervals = g32(&c);
  /* An interval takes at least 32 bytes. */
  if (c.bad || t->nintervals > PROTO_MAX_INTERVALS ||
      32ull * t->nintervals > left(&c)) {
    set_err(err, err_len, "bad task: %u intervals", t->nintervals);
    goto fail;
  }
  if (t->nintervals) {
    t->intervals = calloc(t->nintervals, sizeof *t->intervals);
    if (!t->intervals)
      goto nomem;
  }
  for (uint32_t i = 0; i < t->nintervals; i++) {
    struct proto_interval *iv = &t->intervals[i];
    iv->object = g32(&c);
    iv->flags = g8(&c);
    iv->source = g8(&c);
    uint16_t pad = g16(&c);
    iv->begin = g64(&c);
    iv->end = g64(&c);
    if (c.bad) {
      set_err(err, err_len, "truncated task: interval %u", i);
      goto fail;
    }
    if (pad || (iv->flags & ~PROTO_IV_WRITE) ||
        (iv->source != PROTO_IV_DATA && iv->source != PROTO_IV_CACHED &&
         iv->source != PROTO_IV_IMAGE) ||
        iv->object >= t->nobjects || iv->end <= iv->begin ||
        iv->begin < t->objects[iv->object].begin ||
        iv->end > t->objects[iv->object].end ||
        (i > 0 && iv->begin < t->intervals[i - 1].end)) {
      set_err(err, err_len, "bad task: interval %u [0x%llx, 0x%llx) (object "
              "%u, flags %u, source %u) is empty, outside its object, not "
              "after the one before, or has unknown flags", i,
              (unsigned long long)iv->begin, (unsigned long long)iv->end,
              iv->object, iv->flags, iv->source);
      goto fail;
    }
    if (iv->source == PROTO_IV_DATA) {
      iv->keep_id = g64(&c);
      uint64_t len = iv->end - iv->begin;
      if (c.bad || len > left(&c)) {
        set_err(err, err_len, "truncated task: interval %u announces %llu "
                "bytes, %zu left", i, (unsigned long long)len, left(&c));
        goto fail;
      }
      if (iv->keep_id && (iv->flags & PROTO_IV_WRITE)) {
        set_err(err, err_len, "bad task: interval %u is written and cannot "
                "be kept in the cache", i);
        goto fail;
      }
      iv->data = take(&c, (size_t)len);
    } else if (iv->source == PROTO_IV_IMAGE) {
      uint64_t zero = g64(&c);
      if (c.bad || zero || (iv->flags & PROTO_IV_WRITE) ||
          t->objects[iv->object].module == 0) {
        set_err(err, err_len, "bad task: interval %u of the executable's "
                "read-only data is written, outside a module, or "
                "truncated", i);
        goto fail;
      }
    } else {
      iv->cache_id = g64(&c);
      if (c.bad || iv->cache_id == 0) {
        set_err(err, err_len, "bad task: interval %u names cache id 0 or is "
                "truncated", i);
        goto fail;
      }
    }
  }
  if (c.bad || left(&c) != 0) {
    set_err(err, err_len, "bad task: %zu bytes after the last interval",
            left(&c));
    goto fail;
  }
  return 0;
nomem:
  set_err(err, err_len, "out of memory decoding a task");
fail:
  proto_free_task(t);
  return -1;
}

void proto_free_result(struct proto_result *r) {
  free(r->runs);
  memset(r, 0, sizeof *r);
}

/* Unsigned LEB128, at most 64 bits. */
static uint64_t gvar(struct cur *c) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t b = g8(c);
    if (c->bad)
      return 0;
    if (shift == 63 && b > 1) {
      c->bad = 1;
      return 0;
    }
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      return v;
  }
  c->bad = 1;
  return 0;
}

void pbuf_var(struct pbuf *b, uint64_t v) {
  uint8_t tmp[10];
  int n = 0;
  do {
    tmp[n] = (uint8_t)(v & 0x7f);
    v >>= 7;
    if (v)
      tmp[n] |= 0x80;
    n++;
  } while (v);
  pbuf_put(b, tmp, (size_t)n);
}

int proto_get_result(const uint8_t *p, size_t n, struct proto_result *r,
                     char *err, size_t err_len) {
  struct cur c = {p, n, 0, 0};
  memset(r, 0, sizeof *r);
  r->attempt = g64(&c);
  r->run_ns = g64(&c);
  r->buf_len = g32(&c);
  if (c.bad || r->buf_len > left(&c)) {
    set_err(err, err_len, "truncated result: %zu bytes", n);
    return -1;
  }
  r->buf = take(&c, r->buf_len);
  uint32_t ngroups = g32(&c);
  if (c.bad || 8ull * ngroups > left(&c)) {
    set_err(err, err_len, "bad result: %u run groups in %zu bytes", ngroups,
            left(&c));
    return -1;
  }
  /* A run takes at least 3 bytes: bounds the array before it exists. */
  size_t cap = left(&c) / 3 + 1, have = 0;
  r->runs = malloc(sizeof *r->runs * (cap < 64 ? cap : 64));
  size_t alloc = cap < 64 ? cap : 64;
  if (!r->runs) {
    set_err(err, err_len, "out of memory decoding a result");
    return -1;
  }
  int64_t prev_iv = -1;
  for (uint32_t g = 0; g < ngroups; g++) {
    uint32_t iv = g32(&c), nr = g32(&c);
    if (c.bad || (int64_t)iv <= prev_iv || nr == 0 ||
        nr > left(&c) / 3) {
      set_err(err, err_len, "bad result: run group %u (interval %u, %u "
              "runs) is truncated, empty or out of order", g, iv, nr);
      goto fail;
    }
    prev_iv = iv;
    uint64_t at = 0;
    for (uint32_t k = 0; k < nr; k++) {
      uint64_t gap = gvar(&c), len = gvar(&c);
      if (c.bad || len == 0 || len > left(&c) || len > UINT32_MAX ||
          gap > UINT64_MAX - at || at + gap > UINT64_MAX - len) {
        set_err(err, err_len, "bad result: run %u of interval %u is empty, "
                "truncated or overflows", k, iv);
        goto fail;
      }
      if (have == alloc) {
        size_t grow = alloc * 2 < cap ? alloc * 2 : cap;
        struct proto_run *more = realloc(r->runs, sizeof *more * grow);
        if (!more) {
          set_err(err, err_len, "out of memory decoding a result");
          goto fail;
        }
        r->runs = more;
        alloc = grow;
      }
      struct proto_run *run = &r->runs[have++];
      run->interval = iv;
      run->offset = at + gap;
      run->len = (uint32_t)len;
      run->data = take(&c, (size_t)len);
      at = run->offset + len;
    }
  }
  r->nruns = (uint32_t)have;
  if (left(&c) != 0) {
    set_err(err, err_len, "bad result: %zu bytes after the last run",
            left(&c));
    goto fail;
  }
  return 0;
fail:
  proto_free_result(r);
  return -1;
}

int proto_get_error(const uint8_t *p, size_t n, struct proto_error *e,
                    char *err, size_t err_len) {
  struct cur c = {p, n, 0, 0};
  memset(e, 0, sizeof *e);
  e->attempt = g64(&c);
  e->code = g32(&c);
  e->signal = g32(&c);
  e->address = g64(&c);
  uint32_t len = g32(&c);
  const uint8_t *text = c.bad || len > PROTO_MAX_ERROR_TEXT ? NULL
                                                            : take(&c, len);
  if (!text || left(&c) != 0) {
    set_err(err, err_len, "bad error message (%zu bytes)", n);
    return -1;
  }
  memcpy(e->text, text, len);
  e->text[len] = 0;
  /* Shown to people: no control characters but newline and tab. */
  for (uint32_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)e->text[i];
    if ((ch < 32 && ch != '\n' && ch != '\t') || ch == 127)
      e->text[i] = '?';
  }
  return 0;
}

int proto_get_heartbeat(const uint8_t *p, size_t n, uint64_t *value,
                        char *err, size_t err_len) {
  if (n != 8) {
    set_err(err, err_len, "bad heartbeat: %zu bytes", n);
    return -1;
  }
  *value = rd64(p);
  return 0;
}
