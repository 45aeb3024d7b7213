// libFuzzer target for everything that reads bytes from the other side:
// the frame reader (fed in pieces of varying size), every message decoder,
// the worker's mapping of a decoded task (guard pages, rebasing, diff) and
// the master's check of a decoded result against its own record. Seeds are
// the valid and invalid frames proto_unit.c writes. Runs for 15 s.
// RUN: rm -rf %t.corpus && mkdir -p %t.corpus
// RUN: %clang -O1 -std=c11 -D_GNU_SOURCE -I%rt_include -I%src_root/runtime/src -I%S/../runtime/Inputs -I%S/Inputs %S/proto_unit.c %rt_link -o %t.seeds
// RUN: %t.seeds %t.corpus > /dev/null
// RUN: %clang -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -O1 -g -std=c11 -D_GNU_SOURCE -I%rt_include -I%src_root/runtime/src -I%S/Inputs -I%S/../runtime/Inputs %s %src_root/runtime/src/proto.c %src_root/runtime/src/ship.c %src_root/runtime/src/ship_worker.c %src_root/runtime/src/hash128.c %src_root/runtime/src/image.c -o %t.fuzz
// RUN: %t.fuzz -max_total_time=15 -rss_limit_mb=2048 -malloc_limit_mb=1500 -print_final_stats=1 %t.corpus 2>&1 | FileCheck %s
// CHECK: Done {{[0-9]+}} runs in {{[0-9]+}} second(s)
#include <stdint.h>
#include <string.h>

#include "proto.h"
#include "ship.h"
#include "workers_test.h"

/* The loop of proto_unit.c's tasks: same env layout. */
struct env {
  const double *in;
  double *out;
  const double *table;
  double *unused;
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

/* A record the master could hold: two intervals, one written. */
static struct ship_span rec_iv[] = {{0x10000, 0x10400, 0},
                                    {0x20000, 0x20800, 1}};
static struct ship_span rec_wr[] = {{0x20100, 0x20300, 1},
                                    {0x20400, 0x20800, 1}};

static void on_task(const uint8_t *p, size_t n) {
  struct proto_task t;
  char err[512];
  if (proto_get_task(p, n, &t, err, sizeof err) != 0)
    return;
  uint64_t reserve = 0;
  int statics = 0;
  for (uint32_t i = 0; i < t.nobjects; i++) {
    reserve += t.objects[i].end - t.objects[i].begin;
    statics |= t.objects[i].module != 0;
  }
  struct pydron_loop loop = wt_loop("fuzz:1", NULL, sizeof(struct env), NULL,
                                    kinds, 3, slots, 6);
  struct ship_mapping m;
  uint32_t code;
  int cached = 0;
  for (uint32_t i = 0; i < t.nintervals; i++)
    cached |= t.intervals[i].source == PROTO_IV_CACHED;
  /* Keep the address space a run reserves reasonable. */
  /* Tasks that name globals would write this fuzzer's own globals (a
   * master may: it runs the worker's program); the decoder and the
   * module checks ran all the same. */
  if (reserve <= (64u << 20) && !cached && !statics &&
      ship_map(&m, &t, &loop, NULL, &code, err, sizeof err) == 0) {
    for (uint32_t i = 0; i < m.nintervals; i++)
      if (m.intervals[i].write && m.intervals[i].len)
        m.intervals[i].local[m.intervals[i].len / 2] ^= 1;
    struct pbuf b = {0};
    ship_diff(&m, &b, err, sizeof err);
    struct proto_result r;
    if (b.len >= 4 && proto_get_result(b.p, b.len, &r, err, sizeof err) == 0)
      proto_free_result(&r);
    pbuf_free(&b);
    ship_unmap(&m);
  }
  proto_free_task(&t);
}

static void on_result(const uint8_t *p, size_t n) {
  struct proto_result r;
  char err[512];
  if (proto_get_result(p, n, &r, err, sizeof err) != 0)
    return;
  struct pydron_loop loop = wt_loop("fuzz:1", NULL, 0, NULL, kinds, 0, NULL,
                                    0);
  struct ship_task rec = {5, 0, 10, 2, rec_iv, 2, rec_wr, 0, 0};
  /* Checked only: applying would write to the fake addresses. */
  ship_check_result(&loop, &rec, &r, err, sizeof err);
  proto_free_result(&r);
}

static void decode(uint16_t type, const uint8_t *p, size_t n) {
  char err[512];
  switch (type) {
  case PROTO_HELLO: {
    struct proto_hello h;
    proto_get_hello(p, n, &h, err, sizeof err);
    break;
  }
  case PROTO_TASK:
    on_task(p, n);
    break;
  case PROTO_RESULT:
    on_result(p, n);
    break;
  case PROTO_ERROR: {
    static struct proto_error e;
    proto_get_error(p, n, &e, err, sizeof err);
    break;
  }
  case PROTO_HEARTBEAT: {
    uint64_t v;
    proto_get_heartbeat(p, n, &v, err, sizeof err);
    break;
  }
  default:
    break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* As a stream of frames, in pieces of 1 .. 64 bytes. */
  struct proto_reader r;
  memset(&r, 0, sizeof r);
  char err[512];
  size_t step = size ? (size_t)(data[size - 1] % 64) + 1 : 1, at = 0;
  while (at < size) {
    size_t k = size - at < step ? size - at : step;
    int done = 0;
    long used = proto_reader_feed(&r, data + at, k, &done, err, sizeof err);
    if (used < 0)
      break;
    at += (size_t)used;
    if (done) {
      decode(r.type, r.payload, r.length);
      proto_reader_next(&r);
    }
  }
  proto_reader_free(&r);
  /* As a bare payload of every type. */
  if (size > PROTO_HEADER_BYTES) {
    for (uint16_t t = PROTO_HELLO; t <= PROTO_HEARTBEAT; t++)
      decode(t, data + PROTO_HEADER_BYTES, size - PROTO_HEADER_BYTES);
  }
  return 0;
}
