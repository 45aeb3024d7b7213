// Protocol unit tests: frames, every message, the hello check, tasks built
// from a hand-written shippable loop, mapping and diffing on the worker
// side, and the master's checks of results. Every decoder is also fed
// every truncation and every single-byte corruption of a valid message:
// each must give a clean error or a valid message, never a crash, an
// out-of-bounds access or a leak (ASan + UBSan + LeakSanitizer).
// RUN: %clang -fsanitize=address,undefined -fno-sanitize-recover=all -O1 -g -std=c11 -D_GNU_SOURCE -I%rt_include -I%src_root/runtime/src -I%S/../runtime/Inputs -I%S/Inputs %s %rt_sources -lpthread -lm -o %t
// RUN: env ASAN_OPTIONS=detect_leaks=1 %t %t.corpus | FileCheck %s
// CHECK: frames ok
// CHECK: reader ok
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostid.h"
#include "proto.h"
#include "ship.h"
#include "workers_test.h"

static const char *corpus_dir;
static int corpus_n;

/* Saves a frame as a seed for the fuzzer (fuzz_decoder.c). */
static void seed(const uint8_t *p, size_t n) {
  if (!corpus_dir)
    return;
  char path[4096];
  snprintf(path, sizeof path, "%s/seed%03d", corpus_dir, corpus_n++);
  FILE *f = fopen(path, "wb");
  CHECK(f, "cannot write %s", path);
  fwrite(p, 1, n, f);
  fclose(f);
}

/* Feeds a whole stream to a reader; returns frames read, -1 on error. */
static int feed_all(const uint8_t *p, size_t n, size_t step, int *types,
                    char *err, size_t err_len) {
  struct proto_reader r;
  memset(&r, 0, sizeof r);
  int frames = 0;
  size_t at = 0;
  for (;;) {
    size_t k = n - at < step ? n - at : step;
    int done = 0;
    long used = proto_reader_feed(&r, p + at, k, &done, err, err_len);
    if (used < 0) {
      proto_reader_free(&r);
      return -1;
    }
    at += (size_t)used;
    if (done) {
      if (types)
        types[frames] = r.type;
      frames++;
      proto_reader_next(&r);
      continue;
    }
    if (at >= n)
      break;
  }
  int partial = r.have_header || r.in_payload;
  proto_reader_free(&r);
  if (partial) {
    snprintf(err, err_len, "partial frame at end");
    return -1;
  }
  return frames;
}

/* ---- a shippable loop: out[i] = in[i] * 2 + table[i % 64] ---- */
struct env {
  const double *in;
  double *out;
  const double *table;
  double *unused; /* a pointer slot outside every range: poisoned */
  int64_t n;
  int64_t master_only;
};
static const struct pydron_env_slot slots[] = {
    SLOT(struct env, in, PYDRON_SLOT_POINTER),
    SLOT(struct env, out, PYDRON_SLOT_POINTER),
    SLOT(struct env, table, PYDRON_SLOT_POINTER),
    SLOT(struct env, unused, PYDRON_SLOT_POINTER),
    SLOT(struct env, n, PYDRON_SLOT_VALUE),
    SLOT(struct env, master_only, PYDRON_SLOT_MASTER),
};
static const uint8_t kinds[] = {PYDRON_RANGE_READ, PYDRON_RANGE_WRITE,
                                PYDRON_RANGE_READ};
static void chunk(int64_t lo, int64_t hi, const void *envp, void *p) {
  const struct env *e = envp;
  (void)p;
  for (int64_t i = lo; i < hi; i++)
    e->out[i] = e->in[i] * 2 + e->table[i % 64];
}
static void fp(int64_t lo, int64_t hi, const void *envp,
               struct pydron_range *r) {
  const struct env *e = envp;
  r[0] = wt_range(e->in + lo, (size_t)(hi - lo) * 8);
  r[1] = wt_range(e->out + lo, (size_t)(hi - lo) * 8);
  r[2] = wt_range(e->table, 64 * 8);
}
static struct pydron_loop loop;

static void test_frames(void) {
  struct pbuf b = {0};
  struct proto_hello h, h2;
  char err[512];
  memset(&h, 0, sizeof h);
  pydron_hostid_fill(&h);
  h.pid = 42;
  h.threads = 3;
  CHECK(proto_put_hello(&b, &h) == 0, "put hello");
  CHECK(b.len > PROTO_HEADER_BYTES, "hello frame");
  seed(b.p, b.len);
  CHECK(proto_get_hello(b.p + PROTO_HEADER_BYTES, b.len - PROTO_HEADER_BYTES,
                        &h2, err, sizeof err) == 0, "get hello: %s", err);
  CHECK(h2.pid == 42 && h2.threads == 3 && !strcmp(h2.build_id, h.build_id) &&
            !strcmp(h2.arch, h.arch) && h2.nfeatures == h.nfeatures &&
            !memcmp(h2.features, h.features, sizeof h.features),
        "hello round trip");
  /* Every truncation of the payload fails cleanly. */
  for (size_t k = 0; k + PROTO_HEADER_BYTES < b.len; k++)
    CHECK(proto_get_hello(b.p + PROTO_HEADER_BYTES, k, &h2, err,
                          sizeof err) != 0, "hello truncated to %zu", k);

  pbuf_reset(&b);
  CHECK(proto_put_error(&b, 7, PROTO_ERR_FAULT, 11, 0x1234,
                        "bad\x01text\nline") == 0, "put error");
  seed(b.p, b.len);
  struct proto_error *e = malloc(sizeof *e);
  CHECK(proto_get_error(b.p + PROTO_HEADER_BYTES, b.len - PROTO_HEADER_BYTES,
                        e, err, sizeof err) == 0, "get error: %s", err);
  CHECK(e->attempt == 7 && e->code == PROTO_ERR_FAULT && e->signal == 11 &&
            e->address == 0x1234 && !strcmp(e->text, "bad?text\nline"),
        "error round trip: %s", e->text);
  free(e);
  pbuf_reset(&b);
  proto_put_heartbeat(&b, 99);
  seed(b.p, b.len);
  uint64_t v;
  CHECK(proto_get_heartbeat(b.p + PROTO_HEADER_BYTES, 8, &v, err,
                            sizeof err) == 0 && v == 99, "heartbeat");
  CHECK(proto_get_heartbeat(b.p + PROTO_HEADER_BYTES, 7, &v, err,
                            sizeof err) != 0, "short heartbeat");
  pbuf_reset(&b);
  CHECK(proto_put_shutdown(&b) == 0 && b.len == PROTO_HEADER_BYTES,
        "shutdown");
  /* An error text longer than the cap is cut, the frame stays valid. */
  char *big = malloc(PROTO_MAX_ERROR_TEXT + 100);
  memset(big, 'x', PROTO_MAX_ERROR_TEXT + 99);
  big[PROTO_MAX_ERROR_TEXT + 99] = 0;
  pbuf_reset(&b);
  CHECK(proto_put_error(&b, 1, 1, 0, 0, big) == 0, "long error text");
  free(big);
  pbuf_free(&b);
  printf("frames ok\n");
}

static void test_reader(void) {
  struct pbuf b = {0};
  char err[512];
  int types[8];
  proto_put_heartbeat(&b, 1);
  proto_put_shutdown(&b);
  proto_put_error(&b, 0, 1, 0, 0, "x");
  proto_put_heartbeat(&b, 2);
  for (size_t step = 1; step < 64; step++) {
    int n = feed_all(b.p, b.len, step, types, err, sizeof err);
    CHECK(n == 4 && types[0] == PROTO_HEARTBEAT && types[1] == PROTO_SHUTDOWN &&
              types[2] == PROTO_ERROR && types[3] == PROTO_HEARTBEAT,
          "step %zu: %d frames (%s)", step, n, err);
  }
  /* Truncated stream. */
  CHECK(feed_all(b.p, b.len - 3, 5, NULL, err, sizeof err) < 0 &&
            strstr(err, "partial"), "truncated stream");

  uint8_t hdr[PROTO_HEADER_BYTES];
  memcpy(hdr, b.p, sizeof hdr);
  hdr[0] ^= 1; /* magic */
  CHECK(feed_all(hdr, sizeof hdr, 12, NULL, err, sizeof err) < 0 &&
            strstr(err, "bad magic"), "bad magic: %s", err);
  seed(hdr, sizeof hdr);
  memcpy(hdr, b.p, sizeof hdr);
  hdr[4] = 77; /* type */
  CHECK(feed_all(hdr, sizeof hdr, 12, NULL, err, sizeof err) < 0 &&
            strstr(err, "unknown message type 77"), "bad type: %s", err);
  memcpy(hdr, b.p, sizeof hdr);
  hdr[6] = 1; /* flags */
  CHECK(feed_all(hdr, sizeof hdr, 12, NULL, err, sizeof err) < 0 &&
            strstr(err, "flags"), "flags: %s", err);
  memcpy(hdr, b.p, sizeof hdr);
  hdr[4] = PROTO_TASK;
  hdr[8] = 0xff, hdr[9] = 0xff, hdr[10] = 0xff, hdr[11] = 0xff; /* 4 GiB */
  CHECK(feed_all(hdr, sizeof hdr, 12, NULL, err, sizeof err) < 0 &&
            strstr(err, "oversized frame: task"), "oversized: %s", err);
  seed(hdr, sizeof hdr);
  memcpy(hdr, b.p, sizeof hdr);
  hdr[4] = PROTO_HELLO;
  hdr[8] = 0x00, hdr[9] = 0x20, hdr[10] = 0, hdr[11] = 0; /* 8 KiB hello */
  CHECK(feed_all(hdr, sizeof hdr, 12, NULL, err, sizeof err) < 0 &&
            strstr(err, "oversized frame: hello"), "oversized hello: %s", err);
  memcpy(hdr, b.p, sizeof hdr);
  hdr[4] = PROTO_SHUTDOWN;
  hdr[8] = 1; /* a shutdown carries nothing */
  CHECK(feed_all(hdr, sizeof hdr, 12, NULL, err, sizeof err) < 0,
        "shutdown with payload");

  /* proto_read_frame over a pipe: whole frames, then a truncated one. */
  int pfd[2];
  CHECK(pipe(pfd) == 0, "pipe");
  CHECK(write(pfd[1], b.p, b.len) == (ssize_t)b.len, "write");
  CHECK(write(pfd[1], b.p, 5) == 5, "write");
  close(pfd[1]);
  struct proto_reader r;
  memset(&r, 0, sizeof r);
  for (int i = 0; i < 4; i++) {
    CHECK(proto_read_frame(pfd[0], &r, err, sizeof err) == 1, "frame %d", i);
    proto_reader_next(&r);
  }
  CHECK(proto_read_frame(pfd[0], &r, err, sizeof err) == -1 &&
            strstr(err, "truncated frame"), "truncated: %s", err);
  proto_reader_free(&r);
  close(pfd[0]);
  /* End of stream between frames is not an error. */
  CHECK(pipe(pfd) == 0, "pipe");
  close(pfd[1]);
  memset(&r, 0, sizeof r);
  CHECK(proto_read_frame(pfd[0], &r, err, sizeof err) == 0, "clean EOF");
  proto_reader_free(&r);
  close(pfd[0]);
  /* A huge announced frame that never comes allocates nothing big. */
  CHECK(pipe(pfd) == 0, "pipe");
  memcpy(hdr, b.p, sizeof hdr);
  hdr[4] = PROTO_TASK;
  hdr[8] = 0, hdr[9] = 0, hdr[10] = 0, hdr[11] = 0x3f; /* ~1 GiB */
  CHECK(write(pfd[1], hdr, sizeof hdr) == sizeof hdr, "write");
  CHECK(write(pfd[1], "abc", 3) == 3, "write");
  close(pfd[1]);
  memset(&r, 0, sizeof r);
  CHECK(proto_read_frame(pfd[0], &r, err, sizeof err) == -1 && r.cap < 1u << 20,
        "announced 1 GiB: cap %zu (%s)", r.cap, err);
  proto_reader_free(&r);
  close(pfd[0]);
  pbuf_free(&b);
  printf("reader ok\n");
}

static void test_hello(void) {
  struct proto_hello m, w;
  char why[1024];
  memset(&m, 0, sizeof m);
  pydron_hostid_fill(&m);
  m.threads = 1;
  w = m;
  CHECK(pydron_hostid_check(&m, &w, why, sizeof why) == 0, "same: %s", why);
  w = m;
  snprintf(w.build_id, sizeof w.build_id, "00ff");
  CHECK(pydron_hostid_check(&m, &w, why, sizeof why) != 0, "build id");
  printf("%s\n", why);
  // CHECK: executable build id: worker 00ff, master {{[0-9a-f]+|exe-}}
  CHECK(strstr(why, m.build_id), "names the master's build id");
  w = m;
  snprintf(w.arch, sizeof w.arch, "sparc-linux-be64");
  CHECK(pydron_hostid_check(&m, &w, why, sizeof why) != 0, "arch");
  printf("%s\n", why);
  // CHECK: architecture: worker sparc-linux-be64, master {{.*}}-linux-{{..}}64
  w = m;
  w.abi_version = 99;
  CHECK(pydron_hostid_check(&m, &w, why, sizeof why) != 0, "abi");
  printf("%s\n", why);
  // CHECK: Pydron ABI version: worker 99, master 4
#if defined(__x86_64__)
  /* The master has SSE2 and AVX2; the worker has neither. */
  m.features[0] |= 1ull << 26;
  m.features[1] |= 1ull << 5;
  w = m;
  w.features[0] &= ~(1ull << 26);
  w.features[1] &= ~(1ull << 5);
  snprintf(w.host, sizeof w.host, "oldbox");
  CHECK(pydron_hostid_check(&m, &w, why, sizeof why) != 0, "features");
  printf("%s\n", why);
  // CHECK: CPU features: the worker (oldbox) lacks sse2 avx2, which the master ({{.*}}) has
  /* FMA only on the worker: libm would differ. */
  m.features[0] &= ~(1ull << (32 + 12));
  w = m;
  w.features[0] |= 1ull << (32 + 12);
  CHECK(pydron_hostid_check(&m, &w, why, sizeof why) != 0, "fma");
  printf("%s\n", why);
  // CHECK: CPU features: the worker ({{.*}}) has fma, the master ({{.*}}) has not; libm would run different code
#else
  printf("executable build id: worker 00ff, master exe-\n");
#endif
  /* A hello of another protocol version names both versions. */
  struct pbuf b = {0};
  struct proto_hello h2;
  m.version = 99;
  proto_put_hello(&b, &m);
  CHECK(proto_get_hello(b.p + PROTO_HEADER_BYTES, b.len - PROTO_HEADER_BYTES,
                        &h2, why, sizeof why) != 0, "version");
  printf("%s\n", why);
  // CHECK: the worker speaks protocol version 99, the master speaks version 1
  pbuf_free(&b);
  printf("hello ok\n");
  // CHECK: hello ok
}

static double *in, *out, *table; /* heap: mapped fresh on workers */

static void make_task(struct ship_plan *plan, struct pbuf *b,
                      struct ship_task *rec, struct env *e, int64_t lo,
                      int64_t hi, struct ship_cache *cache) {
  char why[512];
  CHECK(ship_plan_init(plan, &loop, 4096, e, why, sizeof why) == 0,
        "plan: %s", why);
  CHECK(ship_build_task(plan, cache, lo, hi, 5, b, rec, why, sizeof why) == 0,
        "task: %s", why);
}

/* Every truncation and every single-byte corruption of a valid payload:
 * decode (and free) without crashing. */
static void corrupt_all(const uint8_t *p, size_t n,
                        int (*dec)(const uint8_t *, size_t, void *)) {
  uint8_t *copy = malloc(n);
  for (size_t k = 0; k < n; k++) {
    uint8_t *t = malloc(k ? k : 1); /* exact size: ASan sees overreads */
    memcpy(t, p, k);
    CHECK(dec(t, k, NULL) != 0, "truncated to %zu decoded", k);
    free(t);
  }
  for (size_t k = 0; k < n; k++) {
    memcpy(copy, p, n);
    copy[k] ^= 0xa5;
    dec(copy, n, NULL);
    copy[k] = 0xff;
    dec(copy, n, NULL);
  }
  free(copy);
}
static int dec_task(const uint8_t *p, size_t n, void *unused) {
  (void)unused;
  struct proto_task t;
  char err[256];
  int r = proto_get_task(p, n, &t, err, sizeof err);
  if (r == 0)
    proto_free_task(&t);
  return r;
}
static int dec_result(const uint8_t *p, size_t n, void *unused) {
  (void)unused;
  struct proto_result res;
  char err[256];
  int r = proto_get_result(p, n, &res, err, sizeof err);
  if (r == 0)
    proto_free_result(&res);
  return r;
}

static void test_task(void) {
  struct env e = {in, out, table, (double *)&e, 4096, 123};
  struct ship_plan plan;
  struct ship_task rec;
  struct pbuf b = {0};
  char err[512];
  for (int i = 0; i < 4096; i++)
    in[i] = i * 0.5;
  for (int i = 0; i < 64; i++)
    table[i] = 1000 + i;
  make_task(&plan, &b, &rec, &e, 100, 300, NULL);
  seed(b.p, b.len);
  CHECK(plan.slot_object[0] >= 0 && plan.slot_object[1] >= 0 &&
            plan.slot_object[2] >= 0 && plan.slot_object[3] == -1 &&
            plan.slot_object[4] == -1 && plan.slot_object[5] == -1,
        "slot objects");
  CHECK(rec.nintervals == 3 && rec.nwrites == 1, "%u intervals, %u writes",
        rec.nintervals, rec.nwrites);
  struct proto_task t;
  const uint8_t *pl = b.p + PROTO_HEADER_BYTES;
  size_t pn = b.len - PROTO_HEADER_BYTES;
  CHECK(proto_get_task(pl, pn, &t, err, sizeof err) == 0, "decode: %s", err);
  CHECK(t.attempt == 5 && t.lo == 100 && t.hi == 300 &&
            t.loop_id_len == strlen(loop.id) &&
            !memcmp(t.loop_id, loop.id, t.loop_id_len) &&
            t.env_len == sizeof e && t.nslots == 6 && t.nintervals == 3,
        "task fields");
  proto_free_task(&t);
  corrupt_all(pl, pn, dec_task);
  ship_task_free(&rec);
  ship_plan_free(&plan);
  pbuf_free(&b);

  /* Structural checks on hand-made tasks. */
  struct pbuf x = {0};
  pbuf_u64(&x, 1);          /* attempt */
  pbuf_str(&x, "t:1");      /* id */
  pbuf_u64(&x, 0);          /* lo */
  pbuf_u64(&x, 10);         /* hi */
  pbuf_u32(&x, 0);          /* env */
  pbuf_u32(&x, 0);          /* slots */
  pbuf_u32(&x, 0);          /* drops */
  pbuf_u32(&x, 0);          /* modules */
  pbuf_u32(&x, 2);          /* objects, overlapping: */
  pbuf_u64(&x, 0x1000);
  pbuf_u64(&x, 0x2000);
  pbuf_u32(&x, 0);
  pbuf_u64(&x, 0x1800);
  pbuf_u64(&x, 0x3000);
  pbuf_u32(&x, 0);
  pbuf_u32(&x, 0);
  CHECK(proto_get_task(x.p, x.len, &t, err, sizeof err) != 0 &&
            strstr(err, "not after the one before"), "overlap: %s", err);
  pbuf_reset(&x);
  pbuf_u64(&x, 1);
  pbuf_str(&x, "t:1");
  pbuf_u64(&x, 0);
  pbuf_u64(&x, 10);
  pbuf_u32(&x, 0);
  pbuf_u32(&x, 0);
  pbuf_u32(&x, 0);
  pbuf_u32(&x, 0); /* modules */
  pbuf_u32(&x, 1);
  pbuf_u64(&x, 0x1000);
  pbuf_u64(&x, 0x2000);
  pbuf_u32(&x, 0);
  pbuf_u32(&x, 1); /* an interval reaching outside its object */
  pbuf_u32(&x, 0);
  pbuf_u8(&x, 0);
  pbuf_u8(&x, PROTO_IV_DATA);
  pbuf_u16(&x, 0);
  pbuf_u64(&x, 0x1f00);
  pbuf_u64(&x, 0x2100);
  pbuf_u64(&x, 0);
  uint8_t zeros[0x200] = {0};
  pbuf_put(&x, zeros, sizeof zeros);
  seed(x.p, x.len);
  CHECK(proto_get_task(x.p, x.len, &t, err, sizeof err) != 0 &&
            strstr(err, "outside its object"), "outside: %s", err);
  pbuf_reset(&x);
  pbuf_u64(&x, 1);
  pbuf_str(&x, "t:1");
  pbuf_u64(&x, 5);
  pbuf_u64(&x, 5); /* empty chunk */
  CHECK(proto_get_task(x.p, x.len, &t, err, sizeof err) != 0, "empty chunk");
  pbuf_reset(&x);
  pbuf_u64(&x, 1);
  pbuf_str(&x, "t:1");
  pbuf_u64(&x, 0);
  pbuf_u64(&x, 10);
  pbuf_u32(&x, 0);
  pbuf_u32(&x, 0xffffffffu); /* a hostile count */
  CHECK(proto_get_task(x.p, x.len, &t, err, sizeof err) != 0 &&
            strstr(err, "env slots"), "count: %s", err);
  pbuf_free(&x);
  printf("task ok\n");
  // CHECK: task ok
}

static void test_map(void) {
  struct env e = {in, out, table, (double *)&e, 4096, 123};
  struct ship_plan plan;
  struct ship_task rec;
  struct pbuf b = {0}, res = {0};
  char err[512];
  memset(out, 0, 4096 * sizeof *out);
  out[99] = -1; /* next to the chunk: must stay */
  out[300] = -2;
  make_task(&plan, &b, &rec, &e, 100, 300, NULL);
  struct proto_task t;
  CHECK(proto_get_task(b.p + PROTO_HEADER_BYTES, b.len - PROTO_HEADER_BYTES,
                       &t, err, sizeof err) == 0, "decode: %s", err);
  struct ship_mapping m;
  uint32_t code = 0;
  CHECK(ship_map(&m, &t, &loop, NULL, &code, err, sizeof err) == 0,
        "map: %s", err);
  const struct env *le = (const struct env *)m.env;
  CHECK(le->in != in && le->out != out && le->table != table,
        "pointers rebased");
  CHECK(le->in[150] == in[150] && le->table[7] == table[7], "data shipped");
  CHECK(((uintptr_t)le->in & 63) == ((uintptr_t)in & 63),
        "alignment kept");
  CHECK((uintptr_t)le->unused == ship_poison(), "unused slot poisoned");
  CHECK(le->n == 4096 && le->master_only == 0, "values copied, master slot "
        "zeroed");
  uint64_t master = 0;
  CHECK(ship_fault_kind(&m, (uintptr_t)(le->in + 50), &master) ==
                SHIP_FAULT_GAP &&
            master == (uint64_t)(uintptr_t)(in + 50),
        "a read before the interval is a guard fault");
  CHECK(ship_fault_kind(&m, (uintptr_t)le->table, &master) ==
            SHIP_FAULT_READONLY, "table read-only");
  CHECK(ship_fault_kind(&m, ship_poison() + 8, &master) == SHIP_FAULT_POISON,
        "poison");
  chunk(t.lo, t.hi, m.env, NULL);
  /* Leave one element unchanged on purpose. */
  ((double *)le->out)[200] = 0;
  size_t at = proto_frame_begin(&res, PROTO_RESULT);
  pbuf_u64(&res, t.attempt);
  pbuf_u64(&res, 1000);
  pbuf_u32(&res, 0);
  CHECK(ship_diff(&m, &res, err, sizeof err) == 0, "diff: %s", err);
  CHECK(proto_frame_end(&res, at) == 0, "result frame");
  seed(res.p, res.len);
  ship_unmap(&m);
  proto_free_task(&t);
  struct proto_result r;
  CHECK(proto_get_result(res.p + PROTO_HEADER_BYTES,
                         res.len - PROTO_HEADER_BYTES, &r, err,
                         sizeof err) == 0, "decode result: %s", err);
  CHECK(r.nruns >= 2, "%u runs (element 200 splits them)", r.nruns);
  CHECK(ship_check_result(&loop, &rec, &r, err, sizeof err) == 0,
        "check: %s", err);
  ship_apply_result(&rec, &r);
  proto_free_result(&r);
  for (int i = 100; i < 300; i++)
    CHECK(out[i] == (i == 200 ? 0 : in[i] * 2 + table[i % 64]), "out[%d]", i);
  CHECK(out[99] == -1 && out[300] == -2, "neighbours untouched");
  corrupt_all(res.p + PROTO_HEADER_BYTES, res.len - PROTO_HEADER_BYTES,
              dec_result);

  /* A write next to an interval (same page, outside the footprint) is
   * caught by the diff. */
  CHECK(proto_get_task(b.p + PROTO_HEADER_BYTES, b.len - PROTO_HEADER_BYTES,
                       &t, err, sizeof err) == 0, "decode: %s", err);
  CHECK(ship_map(&m, &t, &loop, NULL, &code, err, sizeof err) == 0, "map");
  le = (const struct env *)m.env;
  if ((((uintptr_t)(le->out + 300)) & 4095) != 0) {
    ((double *)le->out)[300] = 5;
    pbuf_reset(&res);
    CHECK(ship_diff(&m, &res, err, sizeof err) != 0 &&
              strstr(err, "wrote next to"), "outside write: %s", err);
  }
  ship_unmap(&m);
  /* A task for another loop layout is refused. */
  struct pydron_loop other = loop;
  other.env_size = 8;
  CHECK(ship_map(&m, &t, &other, NULL, &code, err, sizeof err) != 0 &&
            code == PROTO_ERR_BAD_TASK, "layout mismatch");
  proto_free_task(&t);
  ship_task_free(&rec);
  ship_plan_free(&plan);
  pbuf_free(&b);
  pbuf_free(&res);
  printf("map and diff ok\n");
  // CHECK: map and diff ok
}

/* Results a hostile worker could send, against the master's record. */
static void test_hostile_results(void) {
  struct env e = {in, out, table, NULL, 4096, 0};
  struct ship_plan plan;
  struct ship_task rec;
  struct pbuf b = {0}, x = {0};
  char err[512];
  make_task(&plan, &b, &rec, &e, 0, 64, NULL);
  /* Intervals: in [0,64), out [0,64), table (64): find which is which. */
  int iv_out = -1, iv_in = -1;
  for (uint32_t i = 0; i < rec.nintervals; i++) {
    if (rec.intervals[i].begin == (uintptr_t)out)
      iv_out = (int)i;
    if (rec.intervals[i].begin == (uintptr_t)in)
      iv_in = (int)i;
  }
  CHECK(iv_out >= 0 && iv_in >= 0, "intervals");
  struct {
    const char *what;
    int iv;
    uint64_t off, len;
    uint32_t buf;
    const char *expect;
  } cases[] = {
      {"read-only interval", iv_in, 0, 8, 0, "shipped read-only"},
      {"past the interval", iv_out, 64 * 8 - 4, 8, 0, "outside its interval"},
      {"unknown interval", 9, 0, 8, 0, "interval the task does not have"},
      {"buffer size", iv_out, 0, 8, 16, "expected 0"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    pbuf_reset(&x);
    pbuf_u64(&x, 5);
    pbuf_u64(&x, 0);
    pbuf_u32(&x, cases[c].buf);
    for (uint32_t k = 0; k < cases[c].buf; k++)
      pbuf_u8(&x, 0);
    pbuf_u32(&x, 1);
    pbuf_u32(&x, (uint32_t)cases[c].iv);
    pbuf_u32(&x, 1);
    pbuf_var(&x, cases[c].off);
    pbuf_var(&x, cases[c].len);
    for (uint64_t k = 0; k < cases[c].len; k++)
      pbuf_u8(&x, 0xee);
    struct proto_result r;
    CHECK(proto_get_result(x.p, x.len, &r, err, sizeof err) == 0,
          "%s: decode: %s", cases[c].what, err);
    CHECK(ship_check_result(&loop, &rec, &r, err, sizeof err) != 0 &&
              strstr(err, cases[c].expect),
          "%s: %s", cases[c].what, err);
    proto_free_result(&r);
  }
  printf("%s\n", err);
  // CHECK: the result carries 16 bytes of partials and chain values, expected 0
  /* Malformed run encodings. */
  pbuf_reset(&x);
  pbuf_u64(&x, 5);
  pbuf_u64(&x, 0);
  pbuf_u32(&x, 0);
  pbuf_u32(&x, 2); /* two groups for the same interval */
  for (int g = 0; g < 2; g++) {
    pbuf_u32(&x, 1);
    pbuf_u32(&x, 1);
    pbuf_var(&x, 0);
    pbuf_var(&x, 1);
    pbuf_u8(&x, 1);
  }
  struct proto_result r;
  CHECK(proto_get_result(x.p, x.len, &r, err, sizeof err) != 0 &&
            strstr(err, "out of order"), "repeated group: %s", err);
  pbuf_reset(&x);
  pbuf_u64(&x, 5);
  pbuf_u64(&x, 0);
  pbuf_u32(&x, 0);
  pbuf_u32(&x, 1);
  pbuf_u32(&x, 1);
  pbuf_u32(&x, 1);
  for (int k = 0; k < 11; k++)
    pbuf_u8(&x, 0xff); /* a varint longer than 64 bits */
  pbuf_u8(&x, 1);
  pbuf_u8(&x, 1);
  CHECK(proto_get_result(x.p, x.len, &r, err, sizeof err) != 0,
        "varint overflow");
  pbuf_reset(&x);
  pbuf_u64(&x, 5);
  pbuf_u64(&x, 0);
  pbuf_u32(&x, 0);
  pbuf_u32(&x, 1);
  pbuf_u32(&x, 1);
  pbuf_u32(&x, 1);
  pbuf_var(&x, UINT64_MAX); /* offset + len wraps */
  pbuf_var(&x, 2);
  pbuf_u8(&x, 1);
  pbuf_u8(&x, 1);
  seed(x.p, x.len);
  CHECK(proto_get_result(x.p, x.len, &r, err, sizeof err) != 0,
        "wrapping run");
  ship_task_free(&rec);
  ship_plan_free(&plan);
  pbuf_free(&b);
  pbuf_free(&x);
  printf("hostile results ok\n");
  // CHECK: hostile results ok
}

static void test_caches(void) {
  struct ship_cache c;
  ship_cache_init(&c, 300);
  struct pydron_hash h = {1, 2};
  c.clock = 1;
  uint64_t a = ship_cache_add(&c, 0, 100, h);
  c.clock = 2;
  uint64_t b = ship_cache_add(&c, 1000, 1100, h);
  c.clock = 3;
  uint64_t d = ship_cache_add(&c, 2000, 2100, h);
  CHECK(a && b && d && c.n == 3 && c.bytes == 300, "three entries");
  c.clock = 4;
  ship_cache_find(&c, 0, 100)->last_use = 4; /* a is used again */
  uint64_t e = ship_cache_add(&c, 3000, 3100, h);
  CHECK(e && c.n == 3 && !ship_cache_find(&c, 1000, 1100) &&
            c.ndrops == 1 && c.drops[0] == b, "LRU evicts b");
  CHECK(ship_cache_add(&c, 0, 1000, h) == 0, "too big for the cache");
  ship_cache_free(&c);

  struct ship_store s = {0};
  uint8_t bytes[16] = {1, 2, 3};
  CHECK(ship_store_put(&s, 7, bytes, 16) == 0, "put");
  struct ship_store_entry *g = ship_store_get(&s, 7);
  CHECK(g && g->bytes[2] == 3, "get");
  ship_store_drop(&s, 7); /* a task still uses it */
  CHECK(!ship_store_get(&s, 7) && g->bytes[1] == 2, "dropped but alive");
  ship_store_release(g);
  ship_store_drop(&s, 12345); /* unknown ids are ignored */
  ship_store_free(&s);
  printf("caches ok\n");
  // CHECK: caches ok
}

/* Globals: a constant table (read-only segment: not shipped, the worker
 * has the bytes) and a mutable array (put at the same offset of the
 * worker's own copy of the executable; in this process: the same
 * address). */
static const double ctab[64] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
static double gout[4096];
static void g_chunk(int64_t lo, int64_t hi, const void *envp, void *p) {
  const struct env *e = envp;
  (void)p;
  for (int64_t i = lo; i < hi; i++)
    e->out[i] = e->in[i] + e->table[i % 64];
}
static void test_static(void) {
  struct env e = {in, gout, ctab, NULL, 4096, 0};
  struct pydron_loop gl = wt_loop("proto_unit:2", g_chunk, sizeof(struct env),
                                  fp, kinds, 3, slots, 6);
  struct ship_plan plan;
  struct ship_task rec;
  struct pbuf b = {0}, res = {0};
  char err[512];
  CHECK(ship_plan_init(&plan, &gl, 4096, &e, err, sizeof err) == 0, "%s", err);
  CHECK(plan.nmodules == 1 && plan.modules[0].name[0] == 0,
        "globals are in the executable");
  CHECK(ship_build_task(&plan, NULL, 10, 20, 9, &b, &rec, err, sizeof err) == 0,
        "%s", err);
  seed(b.p, b.len);
  struct proto_task t;
  CHECK(proto_get_task(b.p + PROTO_HEADER_BYTES, b.len - PROTO_HEADER_BYTES,
                       &t, err, sizeof err) == 0, "%s", err);
  int image = 0;
  for (uint32_t i = 0; i < t.nintervals; i++)
    image += t.intervals[i].source == PROTO_IV_IMAGE;
  CHECK(image == 1, "the constant table travels as IMAGE (no bytes)");
  struct ship_mapping m;
  uint32_t code;
  CHECK(ship_map(&m, &t, &gl, NULL, &code, err, sizeof err) == 0, "%s", err);
  const struct env *le = (const struct env *)m.env;
  CHECK(le->out == gout && le->table == ctab && le->in != in,
        "globals at their own addresses, heap rebased");
  g_chunk(t.lo, t.hi, m.env, NULL);
  size_t at = proto_frame_begin(&res, PROTO_RESULT);
  pbuf_u64(&res, 9);
  pbuf_u64(&res, 1);
  pbuf_u32(&res, 0);
  CHECK(ship_diff(&m, &res, err, sizeof err) == 0, "%s", err);
  proto_frame_end(&res, at);
  ship_unmap(&m);
  proto_free_task(&t);
  struct proto_result r;
  CHECK(proto_get_result(res.p + PROTO_HEADER_BYTES,
                         res.len - PROTO_HEADER_BYTES, &r, err,
                         sizeof err) == 0, "%s", err);
  CHECK(ship_check_result(&gl, &rec, &r, err, sizeof err) == 0, "%s", err);
  proto_free_result(&r);
  for (int i = 10; i < 20; i++)
    CHECK(gout[i] == in[i] + ctab[i % 64], "gout[%d]", i);
  ship_task_free(&rec);
  ship_plan_free(&plan);
  pbuf_free(&b);
  pbuf_free(&res);
  printf("static storage ok\n");
  // CHECK: static storage ok
}

int main(int argc, char **argv) {
  if (argc > 1) {
    corpus_dir = argv[1];
    mkdir(corpus_dir, 0755);
  }
  loop = wt_loop("proto_unit:1", chunk, sizeof(struct env), fp, kinds, 3,
                 slots, 6);
  in = calloc(4096, sizeof *in);
  out = calloc(4096, sizeof *out);
  table = calloc(64, sizeof *table);
  test_frames();
  test_reader();
  test_hello();
  test_task();
  test_map();
  test_hostile_results();
  test_caches();
  test_static();
  free(in), free(out), free(table);
  printf("all ok\n");
  // CHECK: all ok
  return 0;
}
