// The master against broken and hostile workers: a worker that speaks
// another protocol version or build, sends garbage, oversized or truncated
// frames, messages out of order, results for attempts not in flight,
// writes outside what the chunk may write, or dies. Each is refused or
// dropped with a clear message, its chunks run on the master, results are
// right, and nothing crashes or leaks (ASan, UBSan, LeakSanitizer).
//
// The fake worker is this test's own executable: a constructor that runs
// before the runtime's worker constructors speaks the protocol itself on
// the worker's descriptor (FAKE=mode picks the misbehaviour).
// RUN: %clang -fsanitize=address,undefined -fno-sanitize-recover=all -O1 -g -std=c11 -D_GNU_SOURCE -I%rt_include -I%src_root/runtime/src -I%S/../runtime/Inputs -I%S/Inputs %s %rt_sources -lpthread -lm -o %t
// RUN: echo '{"workers": [{"type": "multicore", "cores": 2, "isolation": "process"}]}' > %t.conf
// RUN: env PYDRON_CONF=%t.conf %t 2>&1 | FileCheck %s --check-prefix=GOOD
// RUN: env PYDRON_CONF=%t.conf FAKE=badbuild %t 2>&1 | FileCheck %s --check-prefix=BADBUILD
// RUN: env PYDRON_CONF=%t.conf FAKE=badversion %t 2>&1 | FileCheck %s --check-prefix=BADVERSION
// RUN: env PYDRON_CONF=%t.conf FAKE=garbage %t 2>&1 | FileCheck %s --check-prefix=GARBAGE
// RUN: env PYDRON_CONF=%t.conf FAKE=nohello %t 2>&1 | FileCheck %s --check-prefix=NOHELLO
// RUN: env PYDRON_CONF=%t.conf FAKE=oversized %t 2>&1 | FileCheck %s --check-prefix=OVERSIZED
// RUN: env PYDRON_CONF=%t.conf FAKE=truncated %t 2>&1 | FileCheck %s --check-prefix=TRUNCATED
// RUN: env PYDRON_CONF=%t.conf FAKE=silent %t 2>&1 | FileCheck %s --check-prefix=SILENT
// RUN: env PYDRON_CONF=%t.conf FAKE=wild %t 2>&1 | FileCheck %s --check-prefix=WILD
// RUN: env PYDRON_CONF=%t.conf FAKE=outside %t 2>&1 | FileCheck %s --check-prefix=OUTSIDE
// RUN: env PYDRON_CONF=%t.conf FAKE=attempt %t 2>&1 | FileCheck %s --check-prefix=ATTEMPT
// RUN: env PYDRON_CONF=%t.conf FAKE=bufsize %t 2>&1 | FileCheck %s --check-prefix=BUFSIZE
// RUN: env PYDRON_CONF=%t.conf FAKE=corrupt %t 2>&1 | FileCheck %s --check-prefix=CORRUPT
// RUN: env PYDRON_CONF=%t.conf FAKE=hello2 %t 2>&1 | FileCheck %s --check-prefix=HELLO2
// RUN: env PYDRON_CONF=%t.conf FAKE=task %t 2>&1 | FileCheck %s --check-prefix=TASK
// RUN: env PYDRON_CONF=%t.conf FAKE=trunc %t 2>&1 | FileCheck %s --check-prefix=TRUNC
// RUN: env PYDRON_CONF=%t.conf FAKE=die %t 2>&1 | FileCheck %s --check-prefix=DIE
// RUN: env PYDRON_CONF=%t.conf FAKE=unknown PYDRON_REPORT=1 %t 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// GOOD-NOT: pydron:
// GOOD: results ok, 3 calls
// BADBUILD: pydron: process worker 1 refused: executable build id: worker 00ff, master {{[0-9a-f]+}} (the worker runs a different build of the program); loops run on threads
// BADBUILD: results ok
// BADVERSION: pydron: process worker 1 refused: bad hello: the worker speaks protocol version 99, the master speaks version 1; loops run on threads
// BADVERSION: results ok
// GARBAGE: pydron: process worker 1 refused: corrupt frame: bad magic {{.*}} before its hello; loops run on threads
// GARBAGE: results ok
// NOHELLO: pydron: process worker 1 refused: it sent a heartbeat before its hello (the master expects a hello first)
// NOHELLO: results ok
// OVERSIZED: pydron: process worker 1 refused: oversized frame: hello of 2147483648 bytes (at most 4096) before its hello
// OVERSIZED: results ok
// TRUNCATED: pydron: process worker 1 refused: truncated frame: the stream ended inside a hello
// TRUNCATED: results ok
// SILENT: pydron: process worker 1 refused: it closed the connection before its hello
// SILENT: results ok
// WILD: pydron: process worker 1 (pid {{[0-9]+}}) is lost: it sent a result the master refuses: loop hostile:map, iterations [{{[0-9]+}}, {{[0-9]+}}): written run 0 (interval {{[0-9]}}, offset 0, 8 bytes) writes into an interval that was shipped read-only; its chunks run elsewhere
// WILD: results ok
// OUTSIDE: it sent a result the master refuses: {{.*}} lies outside its interval
// OUTSIDE: results ok
// ATTEMPT: it sent a result for attempt {{[0-9]+}}, which is not in flight on it
// ATTEMPT: results ok
// BUFSIZE: it sent a result the master refuses: loop hostile:map, iterations [{{.*}}): the result carries 8 bytes of partials and chain values, expected 0
// BUFSIZE: results ok
// CORRUPT: process worker 1 (pid {{[0-9]+}}) is lost: corrupt frame: bad magic
// CORRUPT: results ok
// HELLO2: process worker 1 (pid {{[0-9]+}}) is lost: it sent an unexpected hello message
// HELLO2: results ok
// TASK: process worker 1 (pid {{[0-9]+}}) is lost: it sent an unexpected task message
// TASK: results ok
// TRUNC: process worker 1 (pid {{[0-9]+}}) is lost: truncated frame: the stream ended inside a result
// TRUNC: results ok
// DIE: process worker 1 (pid {{[0-9]+}}) is lost: {{it closed the connection|read error: Connection reset by peer|it takes no more tasks}}
// DIE: results ok
// UNKNOWN-DAG: results ok
// UNKNOWN-DAG: ran on threads: the worker does not have it: no loop hostile:map in this worker
#include <sys/socket.h>
#include <unistd.h>

#include "hostid.h"
#include "proto.h"
#include "workers_test.h"

#define N 50000

struct env {
  const double *in;
  double *out;
};
static const struct pydron_env_slot slots[] = {
    SLOT(struct env, in, PYDRON_SLOT_POINTER),
    SLOT(struct env, out, PYDRON_SLOT_POINTER),
};
static const uint8_t kinds[] = {PYDRON_RANGE_READ, PYDRON_RANGE_WRITE};
static void chunk(int64_t lo, int64_t hi, const void *envp, void *p) {
  const struct env *e = envp;
  (void)p;
  for (int64_t i = lo; i < hi; i++)
    e->out[i] = e->in[i] * 3 + 1;
}
static void fp(int64_t lo, int64_t hi, const void *envp,
               struct pydron_range *r) {
  const struct env *e = envp;
  r[0] = wt_range(e->in + lo, (size_t)(hi - lo) * 8);
  r[1] = wt_range(e->out + lo, (size_t)(hi - lo) * 8);
}
static struct pydron_loop loops[1];

/* ---- the fake worker ---- */

static void out_all(int fd, const void *p, size_t n) {
  if (proto_write_all(fd, p, n) != 0)
    _exit(0);
}

static void send_hello(int fd, uint32_t version, const char *build) {
  struct proto_hello h;
  struct pbuf b = {0};
  memset(&h, 0, sizeof h);
  pydron_hostid_fill(&h);
  h.version = version;
  h.pid = (uint32_t)getpid();
  h.threads = 2;
  if (build)
    snprintf(h.build_id, sizeof h.build_id, "%s", build);
  proto_put_hello(&b, &h);
  out_all(fd, b.p, b.len);
  pbuf_free(&b);
}

/* Waits for the master to close the stream. */
static void linger(int fd) {
  char buf[4096];
  while (read(fd, buf, sizeof buf) > 0)
    ;
  _exit(0);
}

static void fake_result(int fd, const char *mode, const struct proto_task *t) {
  struct pbuf b = {0};
  size_t at = proto_frame_begin(&b, PROTO_RESULT);
  pbuf_u64(&b, !strcmp(mode, "attempt") ? t->attempt + 1000 : t->attempt);
  pbuf_u64(&b, 1000);
  uint32_t bytes = !strcmp(mode, "bufsize") ? 8 : 0;
  pbuf_u32(&b, bytes);
  for (uint32_t i = 0; i < bytes; i++)
    pbuf_u8(&b, 0);
  uint32_t ro = 0, wr = 0;
  for (uint32_t i = 0; i < t->nintervals; i++) {
    if (t->intervals[i].flags & PROTO_IV_WRITE)
      wr = i;
    else
      ro = i;
  }
  pbuf_u32(&b, 1);
  pbuf_u32(&b, !strcmp(mode, "wild") ? ro : wr);
  pbuf_u32(&b, 1);
  pbuf_var(&b, !strcmp(mode, "outside")
                   ? t->intervals[wr].end - t->intervals[wr].begin - 4
                   : 0);
  pbuf_var(&b, 8);
  for (int i = 0; i < 8; i++)
    pbuf_u8(&b, 0xee); /* NaN-ish garbage: must never reach the master */
  proto_frame_end(&b, at);
  out_all(fd, b.p, !strcmp(mode, "trunc") ? b.len / 2 : b.len);
  pbuf_free(&b);
  if (!strcmp(mode, "trunc")) {
    /* End of stream after half a frame (reading on: exiting with unread
     * tasks would reset the connection instead). */
    shutdown(fd, SHUT_WR);
    linger(fd);
  }
}

__attribute__((constructor(100))) static void fake_worker(void) {
  const char *mode = getenv("FAKE");
  const char *fds = getenv("PYDRON_WORKER_FD");
  if (!getenv("PYDRON_WORKER") || !mode || !fds)
    return;
  int fd = atoi(fds);
  struct pbuf b = {0};
  if (!strcmp(mode, "badbuild")) {
    send_hello(fd, PROTO_VERSION, "00ff");
    linger(fd);
  } else if (!strcmp(mode, "badversion")) {
    send_hello(fd, 99, NULL);
    linger(fd);
  } else if (!strcmp(mode, "garbage")) {
    out_all(fd, "hello, I am not a worker\n", 25);
    linger(fd);
  } else if (!strcmp(mode, "nohello")) {
    proto_put_heartbeat(&b, 1);
    out_all(fd, b.p, b.len);
    linger(fd);
  } else if (!strcmp(mode, "oversized")) {
    uint8_t h[PROTO_HEADER_BYTES] = {'P', 'Y', 'D', 'R', PROTO_HELLO, 0, 0, 0,
                                     0, 0, 0, 0x80};
    out_all(fd, h, sizeof h);
    linger(fd);
  } else if (!strcmp(mode, "truncated")) {
    struct proto_hello h;
    memset(&h, 0, sizeof h);
    pydron_hostid_fill(&h);
    h.threads = 1;
    proto_put_hello(&b, &h);
    out_all(fd, b.p, b.len - 3);
    _exit(0);
  } else if (!strcmp(mode, "silent")) {
    _exit(0);
  }
  /* A proper hello; then misbehave on tasks. */
  send_hello(fd, PROTO_VERSION, NULL);
  struct proto_reader r;
  memset(&r, 0, sizeof r);
  char err[512];
  while (proto_read_frame(fd, &r, err, sizeof err) == 1) {
    if (r.type != PROTO_TASK) {
      proto_reader_next(&r);
      continue;
    }
    struct proto_task t;
    if (proto_get_task(r.payload, r.length, &t, err, sizeof err) != 0)
      _exit(3);
    pbuf_reset(&b);
    if (!strcmp(mode, "corrupt")) {
      out_all(fd, "\x01\x02\x03\x04garbage-garbage", 19);
    } else if (!strcmp(mode, "hello2")) {
      send_hello(fd, PROTO_VERSION, NULL);
    } else if (!strcmp(mode, "task")) {
      size_t at = proto_frame_begin(&b, PROTO_TASK);
      pbuf_put(&b, r.payload, r.length);
      proto_frame_end(&b, at);
      out_all(fd, b.p, b.len);
    } else if (!strcmp(mode, "die")) {
      _exit(0);
    } else if (!strcmp(mode, "unknown")) {
      proto_put_error(&b, t.attempt, PROTO_ERR_UNKNOWN_LOOP,
                      0, 0, "no loop hostile:map in this worker");
      out_all(fd, b.p, b.len);
    } else {
      fake_result(fd, mode, &t);
    }
    proto_free_task(&t);
    proto_reader_next(&r);
  }
  _exit(0);
}

__attribute__((constructor(101))) static void setup(void) {
  loops[0] = wt_loop("hostile:map", chunk, sizeof(struct env), fp, kinds, 2,
                     slots, 2);
  loops[0].cost = 200;
  rt_register("hostile", loops, 1);
}

int main(void) {
  double *in = malloc(N * sizeof *in), *out = malloc(N * sizeof *out);
  for (int i = 0; i < N; i++)
    in[i] = i * 0.25;
  struct env e = {in, out};
  int calls = 0;
  for (int call = 0; call < 3; call++) {
    for (int i = 0; i < N; i++)
      out[i] = -1;
    if (!pydron_parallel_for(&loops[0], N, &e, NULL))
      chunk(0, N, &e, NULL);
    else
      calls++;
    for (int i = 0; i < N; i++)
      CHECK(out[i] == in[i] * 3 + 1, "call %d: out[%d] = %a", call, i,
            out[i]);
  }
  printf("results ok, %d calls\n", calls);
  free(in);
  free(out);
  return 0;
}
