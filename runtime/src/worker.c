/* worker.c - worker mode: the user's own executable, started by a master
 * with PYDRON_WORKER=1, serves chunks and never runs main.
 *
 * Two constructors:
 *  - worker_early (priority 101, the earliest a program may use; the
 *    plugin's registration constructors share it): moves the protocol to
 *    private descriptors (PYDRON_WORKER_FD=N, or stdin/stdout when unset)
 *    dup'ed to high numbers, closes the originals, points fd 1 at stderr
 *    (so that a printf in a constructor or chunk cannot corrupt the
 *    stream), and refuses to run in setuid/setgid programs (AT_SECURE);
 *  - worker_serve (priority 102: after every registration constructor of
 *    the executable, before the user's own constructors): says hello,
 *    serves tasks on PYDRON_WORKER_THREADS threads until end of stream
 *    or SHUTDOWN, and _exit()s; main, user constructors and destructors
 *    never run.
 *
 * In an MPI job, every rank but 0 becomes a worker the same way, its
 * stream coming from the MPI bridge (worker_mpi.c); it finalizes MPI
 * before it exits.
 *
 * The reader (the constructor's thread) decodes frames in order: cache
 * drops and kept bytes are handled there, so the master's view of what
 * this worker holds is always exact. Task threads map the memory
 * (ship_worker.c), run the chunk, diff, and send the result; frames are
 * written under a spin lock that the fault handler can take too.
 *
 * The master's lease: a master that sends nothing for
 * PYDRON_WORKER_LEASE_MS (it sends heartbeats several times per lease) is
 * gone or stopped, and a watchdog thread ends the worker, so that nothing
 * is left running when end of stream never comes (a cut link, a master
 * stopped for good). Bytes count, not frames: a big task arriving slowly
 * is not silence.
 *
 * A fault in a chunk (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) is fatal
 * to the worker: the handler (on an alternate stack) says which task,
 * signal and address, and whether the address was a guard page of the
 * shipped memory (an under-estimated footprint), as an ERROR frame and on
 * stderr, then _exits. Continuing after a fault inside user code is not
 * safe (it may hold locks). */
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

#include "cloud.h"
#include "env.h"
#include "fold.h"
#include "hostid.h"
#include "mpi_bridge.h"
#include "proto.h"
#include "pydron_abi.h"
#include "registry.h"
#include "ship.h"
#include "worker.h"

/* Private descriptors start here. */
#define WORKER_FD_BASE 500
#define WORKER_ALT_STACK (64u << 10)
#define WORKER_STACK (8u << 20)

static int worker_mode;
static int mpi_worker; /* an MPI rank: its stream is the MPI bridge's */
static int in_fd = -1, out_fd = -1;
static atomic_flag write_lock = ATOMIC_FLAG_INIT;

int pydron_worker_mode(void) { return worker_mode; }

static void say(const char *s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(2, s, n);
    if (w <= 0)
      return;
    s += w;
    n -= (size_t)w;
  }
}

/* ---- early: descriptors ------------------------------------------------ */

__attribute__((constructor(101))) static void worker_early(void) {
  /* The cloud reaper is this program too (cloud_reaper.c). */
  const char *reaper = getenv("PYDRON_REAPER");
  if (reaper && *reaper && !getauxval(AT_SECURE))
    pydron_cloud_reaper_main();
  const char *w = getenv("PYDRON_WORKER");
  long fd = -1;
  if (!w || !*w) {
    /* An MPI rank other than 0 is a worker too (worker_mpi.c). */
    char why[512];
    int mfd = -1;
    int r = getauxval(AT_SECURE) ? 0
                                 : pydron_worker_mpi_setup(&mfd, why,
                                                           sizeof why);
    if (r == 0)
      return;
    if (r < 0) {
      say("pydron: MPI worker rank: ");
      say(why);
      say("\n");
      _exit(126);
    }
    mpi_worker = 1;
    fd = mfd;
  } else if (getauxval(AT_SECURE)) {
    say("pydron: refusing worker mode (PYDRON_WORKER is set) in a setuid, "
        "setgid or otherwise privileged program (AT_SECURE)\n");
    _exit(126);
  }
  worker_mode = 1;
  const char *fds = getenv("PYDRON_WORKER_FD");
  if (!mpi_worker && fds && pydron_parse_long(fds, 0, 1 << 20, &fd) != 0) {
    say("pydron: worker: PYDRON_WORKER_FD is not a descriptor number\n");
    _exit(126);
  }
  int in = fd >= 0 ? (int)fd : 0, out = fd >= 0 ? (int)fd : 1;
  in_fd = fcntl(in, F_DUPFD_CLOEXEC, WORKER_FD_BASE);
  out_fd = in == out ? in_fd : fcntl(out, F_DUPFD_CLOEXEC, WORKER_FD_BASE);
  if (in_fd < 0 || out_fd < 0) {
    say("pydron: worker: the protocol descriptors are not open\n");
    _exit(126);
  }
  if (fd >= 0) {
    close((int)fd);
  } else {
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0 && null != 0) {
      dup2(null, 0);
      close(null);
    }
  }
  dup2(2, 1); /* stdout is stderr from now on */
  /* Loops reached from inside a chunk run sequentially (env.c reads this
   * on first use; nothing has used it yet). */
  setenv("PYDRON_DISABLE", "1", 1);
  signal(SIGPIPE, SIG_IGN);
}

/* ---- frames out --------------------------------------------------------- */

static void lock_out(void) {
  while (atomic_flag_test_and_set_explicit(&write_lock, memory_order_acquire))
    sched_yield();
}
static void unlock_out(void) {
  atomic_flag_clear_explicit(&write_lock, memory_order_release);
}

/* Sends b's frames; a failure means the master is gone. */
static void send_frames(const struct pbuf *b) {
  if (b->failed)
    return;
  lock_out();
  int r = proto_write_all(out_fd, b->p, b->len);
  unlock_out();
  if (r != 0)
    _exit(0); /* nobody listens any more */
}

static void send_error(uint64_t attempt, uint32_t code, const char *text) {
  struct pbuf b = {0};
  proto_put_error(&b, attempt, code, 0, 0, text);
  send_frames(&b);
  pbuf_free(&b);
}

/* ---- tasks ------------------------------------------------------------- */

struct wtask {
  struct wtask *next;
  uint8_t *payload;
  struct proto_task t;
  const struct pydron_loop *loop;
  struct ship_store_entry **cached; /* per interval, or NULL */
};

static struct {
  pthread_mutex_t lock;
  pthread_cond_t ready, idle;
  struct wtask *head, *tail;
  int queued, running, stopping;
} q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
       PTHREAD_COND_INITIALIZER, NULL, NULL, 0, 0, 0};

static struct ship_store store; /* reader thread only */

static void wtask_free(struct wtask *wt) {
  if (wt->cached)
    for (uint32_t i = 0; i < wt->t.nintervals; i++)
      ship_store_release(wt->cached[i]);
  free(wt->cached);
  proto_free_task(&wt->t);
  free(wt->payload);
  free(wt);
}

/* What the fault handler needs about the task this thread runs. */
struct current {
  const struct wtask *task;
  const struct ship_mapping *m;
};
static _Thread_local struct current cur;
static _Thread_local volatile sig_atomic_t in_chunk;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void run_task(struct wtask *wt) {
  const struct pydron_loop *loop = wt->loop;
  struct proto_task *t = &wt->t;
  struct ship_mapping m;
  char why[512];
  uint32_t code = 0;
  if (ship_map(&m, t, loop, wt->cached, &code, why, sizeof why) != 0) {
    char text[700];
    snprintf(text, sizeof text, "loop %s, iterations [%lld, %lld): %s",
             loop->id, (long long)t->lo, (long long)t->hi, why);
    send_error(t->attempt, code, text);
    return;
  }
  /* The cached bytes are in the mapping now. */
  if (wt->cached) {
    for (uint32_t i = 0; i < t->nintervals; i++) {
      ship_store_release(wt->cached[i]);
      wt->cached[i] = NULL;
    }
  }
  size_t bytes = ship_result_buf_bytes(loop, t->lo, t->hi);
  /* Partials are 16-byte aligned, as on the master. */
  void *buf = aligned_alloc(16, (bytes + 15) / 16 * 16 + 16);
  if (!buf) {
    ship_unmap(&m);
    send_error(t->attempt, PROTO_ERR_NO_MEMORY,
               "out of memory for the chunk's partials");
    return;
  }
  memset(buf, 0, bytes);
  if (loop->partial_size)
    pydron_fold_identity(loop, buf);

  cur.task = wt;
  cur.m = &m;
  in_chunk = 1;
  uint64_t t0 = now_ns();
  loop->chunk(t->lo, t->hi, m.env, loop->partial_size || loop->chain ? buf
                                                                      : NULL);
  uint64_t t1 = now_ns();
  in_chunk = 0;

  struct pbuf b = {0};
  size_t start = proto_frame_begin(&b, PROTO_RESULT);
  pbuf_u64(&b, t->attempt);
  pbuf_u64(&b, t1 - t0);
  pbuf_u32(&b, (uint32_t)bytes);
  pbuf_put(&b, buf, bytes);
  int diff = ship_diff(&m, &b, why, sizeof why);
  cur.task = NULL;
  cur.m = NULL;
  ship_unmap(&m);
  free(buf);
  if (diff != 0) {
    char text[700];
    snprintf(text, sizeof text, "loop %s, iterations [%lld, %lld): %s",
             loop->id, (long long)t->lo, (long long)t->hi, why);
    send_error(t->attempt, PROTO_ERR_OUTSIDE, text);
  } else if (proto_frame_end(&b, start) != 0) {
    send_error(t->attempt, PROTO_ERR_NO_MEMORY,
               "the chunk's result does not fit in a frame");
  } else {
    send_frames(&b);
  }
  pbuf_free(&b);
}

/* ---- the fault handler ------------------------------------------------- */

struct sbuf {
  char *p;
  size_t n, cap;
};
static void s_str(struct sbuf *s, const char *t) {
  while (*t && s->n + 1 < s->cap)
    s->p[s->n++] = *t++;
  s->p[s->n] = 0;
}
static void s_u64(struct sbuf *s, uint64_t v, int hex) {
  char tmp[24];
  int k = 0;
  do {
    tmp[k++] = "0123456789abcdef"[hex ? v % 16 : v % 10];
    v = hex ? v / 16 : v / 10;
  } while (v);
  if (hex)
    s_str(s, "0x");
  while (k > 0 && s->n + 1 < s->cap)
    s->p[s->n++] = tmp[--k];
  s->p[s->n] = 0;
}
static void s_i64(struct sbuf *s, int64_t v) {
  if (v < 0) {
    s_str(s, "-");
    s_u64(s, (uint64_t)0 - (uint64_t)v, 0);
  } else {
    s_u64(s, (uint64_t)v, 0);
  }
}
static const char *sig_name(int sig) {
  switch (sig) {
  case SIGSEGV: return "SIGSEGV";
  case SIGBUS: return "SIGBUS";
  case SIGFPE: return "SIGFPE";
  case SIGILL: return "SIGILL";
  case SIGABRT: return "SIGABRT";
  default: return "a signal";
  }
}
static void put_le(uint8_t *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static void fault_handler(int sig, siginfo_t *si, void *ctx) {
  (void)ctx;
  const struct wtask *wt = cur.task;
  if (!wt || !in_chunk) {
    /* Not in a chunk: the runtime itself crashed. Die of the signal. */
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  static _Thread_local char text[1024];
  struct sbuf s = {text, 0, sizeof text};
  uintptr_t addr = (uintptr_t)si->si_addr;
  uint64_t master = 0;
  int kind = sig == SIGSEGV || sig == SIGBUS
                 ? ship_fault_kind(cur.m, addr, &master)
                 : SHIP_FAULT_OTHER;
  s_str(&s, "loop ");
  s_str(&s, wt->loop->id);
  s_str(&s, " (");
  s_str(&s, wt->loop->function ? wt->loop->function : "?");
  s_str(&s, " at ");
  s_str(&s, wt->loop->file ? wt->loop->file : "?");
  s_str(&s, ":");
  s_u64(&s, wt->loop->line, 0);
  s_str(&s, "), iterations [");
  s_i64(&s, wt->t.lo);
  s_str(&s, ", ");
  s_i64(&s, wt->t.hi);
  s_str(&s, "): ");
  s_str(&s, sig_name(sig));
  s_str(&s, " at ");
  s_u64(&s, addr, 1);
  switch (kind) {
  case SHIP_FAULT_GAP:
    s_str(&s, " (master address ");
    s_u64(&s, master, 1);
    s_str(&s, "): outside the shipped intervals, in a guard page: the "
              "loop's footprint under-estimates what the chunk reads or "
              "writes (a bug in Pydron's footprint analysis)");
    break;
  case SHIP_FAULT_POISON:
    s_str(&s, ": through an env pointer that points into no shipped "
              "object (a bug in Pydron's footprint analysis)");
    break;
  case SHIP_FAULT_READONLY:
    s_str(&s, " (master address ");
    s_u64(&s, master, 1);
    s_str(&s, "): a write into memory the footprint says is only read (a "
              "bug in Pydron's footprint analysis)");
    break;
  default:
    s_str(&s, ": the chunk crashed on the worker");
    break;
  }
  /* The ERROR frame, by hand: no allocation here. */
  static _Thread_local uint8_t frame[PROTO_HEADER_BYTES + 28 + sizeof text];
  size_t len = 28 + s.n;
  put_le(frame, PROTO_MAGIC, 4);
  put_le(frame + 4, PROTO_ERROR, 2);
  put_le(frame + 6, 0, 2);
  put_le(frame + 8, len, 4);
  uint8_t *p = frame + PROTO_HEADER_BYTES;
  put_le(p, wt->t.attempt, 8);
  put_le(p + 8, PROTO_ERR_FAULT, 4);
  put_le(p + 12, (uint64_t)sig, 4);
  put_le(p + 16, kind == SHIP_FAULT_GAP || kind == SHIP_FAULT_READONLY
                     ? master
                     : addr,
         8);
  put_le(p + 24, s.n, 4);
  memcpy(p + 28, text, s.n);
  say("pydron: worker: ");
  say(text);
  say("\n");
  while (atomic_flag_test_and_set_explicit(&write_lock, memory_order_acquire))
    ;
  proto_write_all(out_fd, frame, PROTO_HEADER_BYTES + len);
  _exit(70);
}

static void install_fault_handler(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fault_handler;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigfillset(&sa.sa_mask);
  int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    sigaction(sigs[i], &sa, NULL);
}

static void *task_thread(void *arg) {
  (void)arg;
  stack_t ss;
  ss.ss_sp = malloc(WORKER_ALT_STACK);
  ss.ss_size = WORKER_ALT_STACK;
  ss.ss_flags = 0;
  if (ss.ss_sp)
    sigaltstack(&ss, NULL);
  for (;;) {
    pthread_mutex_lock(&q.lock);
    while (!q.head && !q.stopping)
      pthread_cond_wait(&q.ready, &q.lock);
    struct wtask *wt = q.head;
    if (!wt) {
      pthread_mutex_unlock(&q.lock);
      return NULL;
    }
    q.head = wt->next;
    if (!q.head)
      q.tail = NULL;
    q.queued--;
    q.running++;
    pthread_mutex_unlock(&q.lock);

    run_task(wt);
    wtask_free(wt);

    pthread_mutex_lock(&q.lock);
    q.running--;
    if (!q.head && !q.running)
      pthread_cond_broadcast(&q.idle);
    pthread_mutex_unlock(&q.lock);
  }
}

/* ---- the master's lease ------------------------------------------------ */

static const uint64_t *lease_bytes; /* the reader's byte count */
static uint64_t lease_ns;

static void *lease_watchdog(void *arg) {
  (void)arg;
  uint64_t seen = __atomic_load_n(lease_bytes, __ATOMIC_RELAXED);
  uint64_t heard = now_ns(), last_tick = heard;
  for (;;) {
    struct timespec tick = {0, 200 * 1000 * 1000};
    nanosleep(&tick, NULL);
    uint64_t now = now_ns(), b = __atomic_load_n(lease_bytes,
                                                  __ATOMIC_RELAXED);
    /* This thread did not run for half a lease: this worker was stopped
     * (SIGSTOP, a debugger) or starved, not the master. What the master
     * sent meanwhile waits unread: a fresh lease lets the reader get to
     * it. */
    int paused = now - last_tick > lease_ns / 2;
    last_tick = now;
    if (b != seen || paused) {
      seen = b;
      heard = now;
    } else if (now - heard > lease_ns) {
      char text[160];
      snprintf(text, sizeof text, "pydron: worker %d: the master sent "
               "nothing for %.1f s (its lease): it is gone or stopped; "
               "exiting\n", (int)getpid(), (now - heard) / 1e9);
      say(text);
      _exit(0);
    }
  }
  return NULL;
}

/* Starts the watchdog when the master gave a lease. 0, or -1. */
static int start_lease(const struct proto_reader *r) {
  long ms = 0;
  const char *v = getenv("PYDRON_WORKER_LEASE_MS");
  if (!v)
    return 0;
  if (pydron_parse_long(v, 100, 3600L * 1000, &ms) != 0) {
    say("pydron: worker: PYDRON_WORKER_LEASE_MS is not a number of "
        "milliseconds (100 to 3600000)\n");
    return -1;
  }
  lease_ns = (uint64_t)ms * 1000000u;
  lease_bytes = &r->bytes_read;
  pthread_t tid;
  if (pthread_create(&tid, NULL, lease_watchdog, NULL) != 0)
    return -1;
  pthread_detach(tid);
  return 0;
}

/* ---- the reader -------------------------------------------------------- */

static uint64_t peek_attempt(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  if (n >= 8)
    for (int i = 0; i < 8; i++)
      v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* A decoded task: cache bookkeeping in frame order, then queue it. */
static void accept_task(uint8_t *payload, size_t n) {
  char why[512];
  struct wtask *wt = calloc(1, sizeof *wt);
  if (!wt) {
    send_error(peek_attempt(payload, n), PROTO_ERR_NO_MEMORY,
               "out of memory receiving a task");
    free(payload);
    return;
  }
  wt->payload = payload;
  if (proto_get_task(payload, n, &wt->t, why, sizeof why) != 0) {
    char text[600];
    snprintf(text, sizeof text, "cannot decode a task: %s", why);
    send_error(peek_attempt(payload, n), PROTO_ERR_PROTOCOL, text);
    wtask_free(wt);
    return;
  }
  struct proto_task *t = &wt->t;
  for (uint32_t i = 0; i < t->ndrops; i++)
    ship_store_drop(&store, t->drops[i]);
  int bad = 0;
  for (uint32_t i = 0; i < t->nintervals; i++) {
    const struct proto_interval *iv = &t->intervals[i];
    if (iv->source == PROTO_IV_CACHED) {
      if (!wt->cached)
        wt->cached = calloc(t->nintervals, sizeof *wt->cached);
      if (!wt->cached || !(wt->cached[i] = ship_store_get(&store,
                                                          iv->cache_id)))
        bad = 1;
    } else if (iv->keep_id) {
      /* Cannot keep it: a later task naming it fails (BAD_TASK). */
      ship_store_put(&store, iv->keep_id, iv->data, iv->end - iv->begin);
    }
  }
  char id[PROTO_MAX_ID + 1];
  memcpy(id, t->loop_id, t->loop_id_len);
  id[t->loop_id_len] = 0;
  wt->loop = pydron_registry_find_loop(id);
  if (!wt->loop) {
    char text[PROTO_MAX_ID + 200];
    snprintf(text, sizeof text, "no loop %s in this worker (it has %zu "
             "registered modules)", id, pydron_registry_count());
    send_error(t->attempt, PROTO_ERR_UNKNOWN_LOOP, text);
    wtask_free(wt);
    return;
  }
  if (bad) {
    send_error(t->attempt, PROTO_ERR_BAD_TASK,
               "the task names kept bytes this worker does not hold");
    wtask_free(wt);
    return;
  }
  pthread_mutex_lock(&q.lock);
  if (q.tail)
    q.tail->next = wt;
  else
    q.head = wt;
  q.tail = wt;
  q.queued++;
  pthread_cond_signal(&q.ready);
  pthread_mutex_unlock(&q.lock);
}

/* 1 when the runtime is part of the main executable (the executable's
 * registration constructors then ran before worker_serve). The first
 * object dl_iterate_phdr reports is the main program. */
static int in_main_cb(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  uintptr_t at = (uintptr_t)arg;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uintptr_t a = info->dlpi_addr + ph->p_vaddr;
    if (ph->p_type == PT_LOAD && at >= a && at < a + ph->p_memsz)
      return 2;
  }
  return 1;
}
static int runtime_in_executable(void) {
  return dl_iterate_phdr(in_main_cb, (void *)(uintptr_t)&worker_mode) == 2;
}

static int serve(void) {
  long threads = 0;
  const char *tv = getenv("PYDRON_WORKER_THREADS");
  if (!tv || pydron_parse_long(tv, 1, 4096, &threads) != 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    threads = n > 0 ? n : 1;
  }
  struct proto_hello h;
  memset(&h, 0, sizeof h);
  pydron_hostid_fill(&h);
  h.pid = (uint32_t)getpid();
  h.threads = (uint32_t)threads;
  struct pbuf b = {0};
  proto_put_hello(&b, &h);
  send_frames(&b);
  pbuf_free(&b);

  if (!runtime_in_executable()) {
    send_error(0, PROTO_ERR_REFUSED,
               "the Pydron runtime is a shared library here "
               "(libpydron_rt.so): its constructors run before the "
               "executable registers its loops, so worker mode needs the "
               "runtime linked statically (libpydron_rt.a, as pydron-cc "
               "does)");
    return 3;
  }
  install_fault_handler();
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, WORKER_STACK);
  for (long i = 0; i < threads; i++) {
    pthread_t tid;
    if (pthread_create(&tid, &attr, task_thread, NULL) != 0) {
      if (i == 0) {
        send_error(0, PROTO_ERR_REFUSED, "cannot start a task thread");
        return 3;
      }
      break;
    }
    pthread_detach(tid);
  }
  pthread_attr_destroy(&attr);

  static struct proto_reader r; /* static: the watchdog reads bytes_read */
  char err[512];
  int status = 0;
  if (start_lease(&r) != 0) {
    send_error(0, PROTO_ERR_REFUSED, "cannot start the lease watchdog");
    return 3;
  }
  for (;;) {
    /* The master's heartbeats are answered below; it learns from them
     * that this worker lives, even while every task thread is busy. */
    int got = proto_read_frame(in_fd, &r, err, sizeof err);
    if (got == 0)
      break; /* the master closed the stream: nobody wants results */
    if (got < 0) {
      char text[600];
      snprintf(text, sizeof text, "worker: %s", err);
      send_error(0, PROTO_ERR_PROTOCOL, text);
      status = 3;
      break;
    }
    uint16_t type = r.type;
    if (type == PROTO_TASK) {
      size_t n = r.length;
      accept_task(proto_reader_take(&r), n);
      continue;
    }
    if (type == PROTO_HEARTBEAT) {
      uint64_t v;
      if (proto_get_heartbeat(r.payload, r.length, &v, err, sizeof err) == 0) {
        struct pbuf hb = {0};
        proto_put_heartbeat(&hb, v);
        send_frames(&hb);
        pbuf_free(&hb);
        proto_reader_next(&r);
        continue;
      }
    } else if (type == PROTO_SHUTDOWN) {
      /* Finish what was sent, then go. */
      pthread_mutex_lock(&q.lock);
      while (q.head || q.running)
        pthread_cond_wait(&q.idle, &q.lock);
      pthread_mutex_unlock(&q.lock);
      break;
    } else {
      snprintf(err, sizeof err, "unexpected %s message from the master",
               proto_type_name(type));
    }
    char text[600];
    snprintf(text, sizeof text, "worker: %s", err);
    send_error(0, PROTO_ERR_PROTOCOL, text);
    status = 3;
    break;
  }
  /* r is not freed: the lease watchdog still reads its byte count, and
   * the process ends now anyway. */
  return status;
}

__attribute__((constructor(102))) static void worker_serve(void) {
  if (!worker_mode)
    return;
  int status = serve();
  if (mpi_worker) {
    /* An MPI process must finalize, or mpirun fails the whole job. */
    close(in_fd);
    pydron_mpi_finish();
  }
  _exit(status);
}
