/* trace.c - PYDRON_TRACE=FILE: a Chrome trace-event JSON file at exit.
 *
 * Every thread that runs chunks records into its own buffer (blocks of
 * events, found through a thread-local pointer): no lock on the hot path,
 * only one relaxed atomic add on the global event count, which stops
 * recording at TRACE_MAX_EVENTS (the file then says how many were lost).
 * A block publishes its events with a release store of its count, so the
 * writer at exit sees every complete event even if some thread is still
 * running a loop. Buffers outlive their threads (user threads may exit
 * before the program does) and are left for the process's end: a thread
 * still running at exit may still be appending to one.
 *
 * The file (docs/observability.md): {"traceEvents": [...], ...}, one
 * track (tid) per thread: 0 the main thread, N pool worker N, 4097 and up
 * other user threads that called loops; per chunk a complete event ("X",
 * cat "chunk") with the iteration range; per chain application one (cat
 * "chain"); per parallel run of a loop one on the calling thread's track
 * (cat "loop") enclosing its chunks there. Times are microseconds since
 * the program started.
 *
 * The file is opened when the program starts, so a path that cannot be
 * written stops it before main instead of after the run; it is written at
 * exit. A forked child that reaches exit() writes FILE.PID instead, and
 * only if it recorded anything itself. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* program_invocation_short_name */
#endif
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "env.h"
#include "observe.h"

/* Events recorded at most (PYDRON_TRACE_MAX_EVENTS overrides): about
 * 60 MB of buffers and 250 MB of JSON. */
#define TRACE_MAX_EVENTS 1000000
#define TRACE_MAX_EVENTS_LIMIT 100000000
#define TRACE_BLOCK 1024
/* Tracks of user threads other than main start here (pool workers are
 * numbered 1 .. PYDRON_MAX_THREADS - 1). */
#define TRACE_USER_TID (PYDRON_MAX_THREADS + 1)

struct trace_ev {
  const struct pydron_loop *loop;
  int64_t lo, hi, chunks;
  uint64_t t0, t1;
  int32_t kind, threads;
};

struct trace_block {
  _Atomic(struct trace_block *) next;
  _Atomic uint32_t count;
  struct trace_ev ev[TRACE_BLOCK];
};

struct trace_thread {
  struct trace_thread *next; /* the list of every buffer, under trace_lock */
  int tid;
  char name[40];
  struct trace_block *head, *tail;
};

static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
static struct trace_thread *trace_threads;
static int trace_user_threads;
static _Thread_local struct trace_thread *trace_self;
static _Atomic uint64_t trace_recorded, trace_dropped;
static _Atomic uint64_t trace_full_at; /* when the first event was dropped */
static uint64_t trace_origin;
static uint64_t trace_max = TRACE_MAX_EVENTS;
static char *trace_path; /* absolute */
static FILE *trace_fp;   /* opened at start */
static int trace_forked;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int pydron_trace_open(const char *path) {
  trace_origin = now_ns();
  const char *max = getenv("PYDRON_TRACE_MAX_EVENTS");
  if (max && *max) {
    char *end;
    errno = 0;
    long long v = (*max >= '0' && *max <= '9') ? strtoll(max, &end, 10) : -1;
    if (v <= 0 || *end || errno || v > TRACE_MAX_EVENTS_LIMIT) {
      fprintf(stderr, "pydron: PYDRON_TRACE_MAX_EVENTS=%s is not an integer "
                      "from 1 to %d\n", max, TRACE_MAX_EVENTS_LIMIT);
      return -1;
    }
    trace_max = (uint64_t)v;
  }
  if (path[0] == '/') {
    trace_path = strdup(path);
  } else {
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd)) {
      size_t len = strlen(cwd) + strlen(path) + 2;
      trace_path = malloc(len);
      if (trace_path)
        snprintf(trace_path, len, "%s/%s", cwd, path);
    } else {
      trace_path = strdup(path);
    }
  }
  trace_fp = fopen(path, "we"); /* not inherited by programs it execs */
  if (!trace_fp || !trace_path) {
    fprintf(stderr, "pydron: PYDRON_TRACE=%s: cannot open for writing: %s\n",
            path, trace_fp ? "out of memory" : strerror(errno));
    return -1;
  }
  return 0;
}

static struct trace_block *trace_new_block(void) {
  struct trace_block *b = malloc(sizeof *b);
  if (b) {
    atomic_init(&b->next, NULL);
    atomic_init(&b->count, 0);
  }
  return b;
}

/* This thread's buffer, made on its first event. */
static struct trace_thread *trace_register(int thread) {
  struct trace_thread *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  t->head = t->tail = trace_new_block();
  if (!t->head) {
    free(t);
    return NULL;
  }
  pthread_mutex_lock(&trace_lock);
  if (thread > 0) {
    t->tid = thread;
    snprintf(t->name, sizeof t->name, "pydron worker %d", thread);
  } else if ((pid_t)syscall(SYS_gettid) == getpid()) {
    t->tid = 0;
    snprintf(t->name, sizeof t->name, "main");
  } else {
    t->tid = TRACE_USER_TID + trace_user_threads;
    snprintf(t->name, sizeof t->name, "user thread %d",
             ++trace_user_threads);
  }
  t->next = trace_threads;
  trace_threads = t;
  pthread_mutex_unlock(&trace_lock);
  trace_self = t;
  return t;
}

static void trace_drop(uint64_t t) {
  if (atomic_fetch_add_explicit(&trace_dropped, 1, memory_order_relaxed) == 0)
    atomic_store_explicit(&trace_full_at, t, memory_order_relaxed);
}

void pydron_trace_event(int kind, const struct pydron_loop *loop, int thread,
                        int64_t lo, int64_t hi, uint64_t t0, uint64_t t1,
                        int64_t chunks, int threads) {
  if (atomic_fetch_add_explicit(&trace_recorded, 1, memory_order_relaxed) >=
      trace_max) {
    trace_drop(t0);
    return;
  }
  struct trace_thread *t = trace_self;
  if (!t && !(t = trace_register(thread))) {
    trace_drop(t0);
    return;
  }
  struct trace_block *b = t->tail;
  uint32_t n = atomic_load_explicit(&b->count, memory_order_relaxed);
  if (n == TRACE_BLOCK) {
    struct trace_block *nb = trace_new_block();
    if (!nb) {
      trace_drop(t0);
      return;
    }
    atomic_store_explicit(&b->next, nb, memory_order_release);
    t->tail = b = nb;
    n = 0;
  }
  b->ev[n] = (struct trace_ev){loop, lo, hi, chunks, t0, t1, kind, threads};
  atomic_store_explicit(&b->count, n + 1, memory_order_release);
}

/* Writes s as a JSON string: escapes, and U+FFFD for bytes that are not
 * UTF-8 (file names are bytes). */
static void json_string(FILE *f, const char *s) {
  const unsigned char *p = (const unsigned char *)(s ? s : "?");
  fputc('"', f);
  while (*p) {
    unsigned c = *p;
    if (c == '"' || c == '\\') {
      fputc('\\', f);
      fputc((int)c, f);
      p++;
    } else if (c < 0x20 || c == 0x7f) {
      fprintf(f, "\\u%04x", c);
      p++;
    } else if (c < 0x80) {
      fputc((int)c, f);
      p++;
    } else {
      /* A well-formed UTF-8 sequence (no overlongs, no surrogates)? */
      int len = c >= 0xc2 && c <= 0xdf   ? 2
                : c >= 0xe0 && c <= 0xef ? 3
                : c >= 0xf0 && c <= 0xf4 ? 4
                                         : 0;
      int ok = len > 0;
      for (int i = 1; ok && i < len; i++)
        ok = (p[i] & 0xc0) == 0x80;
      if (ok && len == 3 && ((c == 0xe0 && p[1] < 0xa0) ||
                             (c == 0xed && p[1] >= 0xa0)))
        ok = 0;
      if (ok && len == 4 && ((c == 0xf0 && p[1] < 0x90) ||
                             (c == 0xf4 && p[1] >= 0x90)))
        ok = 0;
      if (ok) {
        fwrite(p, 1, (size_t)len, f);
        p += len;
      } else {
        fputs("\\ufffd", f);
        p++;
      }
    }
  }
  fputc('"', f);
}

static double trace_us(uint64_t t) {
  return ((double)(int64_t)(t - trace_origin)) / 1000.0;
}

static void trace_write_event(FILE *f, int pid, int tid,
                              const struct trace_ev *e) {
  const struct pydron_loop *l = e->loop;
  static const char *const cat[] = {"?", "chunk", "chain", "loop"};
  int kind = e->kind >= PYDRON_TRACE_CHUNK && e->kind <= PYDRON_TRACE_LOOP
                 ? e->kind
                 : 0;
  char where[4096], name[4200];
  snprintf(where, sizeof where, "%s:%u", l->file ? l->file : "?", l->line);
  /* "file:line" for chunks, "chain file:line", "loop file:line" */
  if (kind == PYDRON_TRACE_CHUNK)
    snprintf(name, sizeof name, "%s", where);
  else
    snprintf(name, sizeof name, "%s %s", cat[kind], where);
  fprintf(f, ",\n{\"ph\":\"X\",\"pid\":%d,\"tid\":%d,\"ts\":%.3f,"
             "\"dur\":%.3f,\"cat\":\"%s\",\"name\":",
          pid, tid, trace_us(e->t0), (double)(e->t1 - e->t0) / 1000.0,
          cat[kind]);
  json_string(f, name);
  fputs(",\"args\":{\"loop\":", f);
  json_string(f, where);
  fputs(",\"function\":", f);
  json_string(f, l->function);
  if (kind == PYDRON_TRACE_LOOP)
    fprintf(f, ",\"iterations\":%lld,\"chunks\":%lld,\"threads\":%d}}",
            (long long)e->hi, (long long)e->chunks, e->threads);
  else
    fprintf(f, ",\"lo\":%lld,\"hi\":%lld}}", (long long)e->lo,
            (long long)e->hi);
}

static int tid_order(const void *a, const void *b) {
  const struct trace_thread *x = *(struct trace_thread *const *)a;
  const struct trace_thread *y = *(struct trace_thread *const *)b;
  return (x->tid > y->tid) - (x->tid < y->tid);
}

void pydron_trace_write(void) {
  FILE *f = trace_fp;
  char *path = trace_path;
  uint64_t recorded = atomic_load(&trace_recorded);
  if (trace_forked) {
    if (!recorded)
      return;
    size_t len = strlen(trace_path) + 24;
    path = malloc(len);
    if (!path)
      return;
    snprintf(path, len, "%s.%ld", trace_path, (long)getpid());
    f = fopen(path, "w");
    if (!f) {
      fprintf(stderr, "pydron: cannot write trace %s: %s\n", path,
              strerror(errno));
      free(path);
      return;
    }
  }
  if (!f)
    return;

  pthread_mutex_lock(&trace_lock);
  size_t n = 0;
  for (struct trace_thread *t = trace_threads; t; t = t->next)
    n++;
  struct trace_thread **order = calloc(n ? n : 1, sizeof *order);
  if (order) {
    n = 0;
    for (struct trace_thread *t = trace_threads; t; t = t->next)
      order[n++] = t;
    qsort(order, n, sizeof *order, tid_order);
  } else {
    n = 0;
  }
  pthread_mutex_unlock(&trace_lock);

  int pid = (int)getpid();
  uint64_t written = 0, dropped = atomic_load(&trace_dropped);
  fputs("{\"traceEvents\":[", f);
  fprintf(f, "\n{\"ph\":\"M\",\"pid\":%d,\"tid\":0,\"name\":\"process_name\","
             "\"args\":{\"name\":",
          pid);
  {
    char name[300];
    snprintf(name, sizeof name, "pydron: %s", program_invocation_short_name);
    json_string(f, name);
  }
  fputs("}}", f);
  for (size_t i = 0; i < n; i++) {
    struct trace_thread *t = order[i];
    if (i == 0 || order[i - 1]->tid != t->tid) {
      fprintf(f, ",\n{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":"
                 "\"thread_name\",\"args\":{\"name\":\"%s\"}}",
              pid, t->tid, t->name);
      fprintf(f, ",\n{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":"
                 "\"thread_sort_index\",\"args\":{\"sort_index\":%d}}",
              pid, t->tid, t->tid);
    }
    for (struct trace_block *b = t->head; b;
         b = atomic_load_explicit(&b->next, memory_order_acquire)) {
      uint32_t count = atomic_load_explicit(&b->count, memory_order_acquire);
      for (uint32_t j = 0; j < count; j++) {
        trace_write_event(f, pid, t->tid, &b->ev[j]);
        written++;
      }
    }
  }
  if (dropped)
    fprintf(f, ",\n{\"ph\":\"i\",\"s\":\"g\",\"pid\":%d,\"tid\":0,\"ts\":%.3f,"
               "\"name\":\"pydron: trace full after %llu events, %llu more "
               "not recorded\"}",
            pid, trace_us(atomic_load(&trace_full_at)),
            (unsigned long long)trace_max, (unsigned long long)dropped);
  fprintf(f, "\n],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":{"
             "\"generator\":\"libpydron_rt\",\"events\":%llu,"
             "\"max_events\":%llu,\"dropped_events\":%llu}}\n",
          (unsigned long long)written, (unsigned long long)trace_max,
          (unsigned long long)dropped);
  free(order);

  int failed = ferror(f);
  if (fclose(f) != 0)
    failed = 1;
  if (f == trace_fp)
    trace_fp = NULL;
  if (failed)
    fprintf(stderr, "pydron: writing the trace %s failed: %s\n", path,
            strerror(errno));
  else if (dropped)
    fprintf(stderr, "pydron: trace %s: stopped recording after %llu events "
                    "(%llu more not recorded; PYDRON_TRACE_MAX_EVENTS raises "
                    "the limit)\n",
            path, (unsigned long long)trace_max, (unsigned long long)dropped);
  if (path != trace_path)
    free(path);
}

/* In a forked child: forget the parent's events (their threads do not
 * exist here); the child's own go to FILE.PID. */
void pydron_trace_after_fork(void) {
  trace_forked = 1;
  trace_fp = NULL; /* the parent's stream: not ours to write or close */
  trace_threads = NULL;
  trace_self = NULL;
  trace_user_threads = 0;
  atomic_store(&trace_recorded, 0);
  atomic_store(&trace_dropped, 0);
  pthread_mutex_init(&trace_lock, NULL);
}
