/* pool.c - the persistent thread pool that runs chunks on this machine.
 *
 * Workers start lazily on the first parallel loop and live until exit. One
 * job owns the pool at a time; a second user thread that finds it busy is
 * told so at once (pydron_pool_run returns 0) and runs its loop
 * sequentially: simple, never blocks one user thread on another's loop, and
 * the pool is already using every core. A job is published by bumping a
 * generation counter; idle workers spin on it for ~20 microseconds (loops
 * often come back to back) and then sleep on a futex, so an idle pool costs
 * nothing. Per thread, the pool keeps only a flag saying "inside a job".
 *
 * Fork: the child has only the forking thread, so the pool is reset there
 * and restarts lazily. Exit: a destructor stops and joins the workers (also
 * when the shared library is unloaded). No signal handlers are installed and
 * no thread names are relied on, so OpenMP and other pools coexist. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity, pthread_setname_np, syscall */
#endif
#include "pool.h"
#include "config.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "env.h"

/* How long an idle thread spins before it sleeps: about the shortest loop
 * worth running in parallel, so that loops separated by a little serial
 * code find the workers awake (a futex wake-up costs 5-50 us per thread).
 * Measured on 16 cores: 5 to 50 us differ little, 20 us was a bit ahead. */
#ifndef POOL_SPIN_NS
#define POOL_SPIN_NS 20000
#endif
/* Chunks may use big stack arrays; give workers at least a main thread's
 * usual stack (musl's default is only 128 KiB). */
#define POOL_MIN_STACK (8u << 20)

/* A 32-bit word threads wait on: spin, then futex. `sleepers` lets the
 * waker skip the system call while everyone is still spinning. */
struct pool_word {
  _Atomic uint32_t value;
  _Atomic uint32_t sleepers;
};

static struct {
  pthread_mutex_t lock; /* held by the job that owns the pool */
  int started;          /* workers were started (in this process) */
  int shut_down;        /* exit began: run no more jobs */
  int nworkers;         /* threads besides the caller */
  pthread_t *tids;
  uint32_t start_gen;   /* generation the workers were started at */
  int stop;             /* tells workers to exit at the next generation */
  pydron_pool_job job;  /* the current job, valid while it owns the pool */
  void *arg;
  struct pool_word gen;     /* bumped to publish a job (or stop) */
  struct pool_word pending; /* workers still inside the current job */
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER};

static _Thread_local int pool_in_job; /* this thread is running a job */
static int pool_cpus;                 /* CPUs we may run on, at load time */
static cpu_set_t pool_affinity;       /* ... and which ones */
static int pool_have_affinity;
static pthread_once_t pool_threads_once = PTHREAD_ONCE_INIT;
static int pool_nthreads;
static pthread_once_t pool_atfork_once = PTHREAD_ONCE_INIT;
static _Thread_local int pool_fork_locked;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Returns once w->value != old (with acquire ordering). */
static void word_wait(struct pool_word *w, uint32_t old) {
  uint64_t deadline = now_ns() + POOL_SPIN_NS;
  do {
    for (int i = 0; i < 16; i++) {
      if (atomic_load_explicit(&w->value, memory_order_acquire) != old)
        return;
      cpu_relax();
    }
  } while (now_ns() < deadline);
  while (atomic_load_explicit(&w->value, memory_order_acquire) == old) {
    /* seq_cst pairs with word_wake: either the waker sees us counted, or
     * the kernel sees the new value and does not put us to sleep. */
    atomic_fetch_add(&w->sleepers, 1);
    syscall(SYS_futex, (uint32_t *)&w->value, FUTEX_WAIT_PRIVATE, old, NULL,
            NULL, 0);
    atomic_fetch_sub_explicit(&w->sleepers, 1, memory_order_relaxed);
  }
}

/* Call after changing w->value (with a seq_cst operation). */
static void word_wake(struct pool_word *w) {
  if (atomic_load(&w->sleepers))
    syscall(SYS_futex, (uint32_t *)&w->value, FUTEX_WAKE_PRIVATE, INT32_MAX,
            NULL, NULL, 0);
}

static int count_cpus(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    return CPU_COUNT(&set);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

/* The affinity mask is read at load time, from the thread that loads us,
 * so a user thread pinned to one CPU later neither shrinks the pool nor
 * pins the workers it happens to start. */
__attribute__((constructor)) static void pool_count_cpus(void) {
  if (sched_getaffinity(0, sizeof pool_affinity, &pool_affinity) == 0 &&
      CPU_COUNT(&pool_affinity) > 0) {
    pool_have_affinity = 1;
    pool_cpus = CPU_COUNT(&pool_affinity);
  } else {
    pool_cpus = count_cpus();
  }
}

static void pool_threads_init(void) {
  /* Order of precedence (config.h): PYDRON_WORKERS, then the configured
   * local cores, then every CPU we may run on. */
  int n = pydron_config_threads_global();
  if (n <= 0)
    n = pool_cpus > 0 ? pool_cpus : count_cpus();
  if (n > PYDRON_MAX_THREADS)
    n = PYDRON_MAX_THREADS;
  pool_nthreads = n;
}

void pydron_block_async_signals(sigset_t *old) {
  sigset_t all;
  sigfillset(&all);
  int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS};
  for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
    sigdelset(&all, faults[i]);
  pthread_sigmask(SIG_SETMASK, &all, old);
}

int pydron_start_detached(void *(*fn)(void *), void *arg, pthread_t *tid) {
  sigset_t old;
  pydron_block_async_signals(&old);
  pthread_t t;
  int err = pthread_create(&t, NULL, fn, arg);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (err)
    return err;
  pthread_detach(t);
  if (tid)
    *tid = t;
  return 0;
}

int pydron_pool_threads(void) {
  pthread_once(&pool_threads_once, pool_threads_init);
  return pool_nthreads;
}

static void *worker_main(void *arg) {
  int index = (int)(intptr_t)arg;
  uint32_t seen = pool.start_gen;
  pool_in_job = 1; /* a worker runs nothing but jobs */
  /* Not the mask of whichever user thread started the pool. Failure (the
   * CPUs went offline since) just keeps the inherited mask. */
  if (pool_have_affinity)
    pthread_setaffinity_np(pthread_self(), sizeof pool_affinity,
                           &pool_affinity);
  for (;;) {
    word_wait(&pool.gen, seen);
    seen = atomic_load_explicit(&pool.gen.value, memory_order_acquire);
    if (pool.stop)
      return NULL;
    pool.job(pool.arg, index);
    if (atomic_fetch_sub(&pool.pending.value, 1) == 1)
      word_wake(&pool.pending);
  }
}

/* Called with pool.lock held. Starts as many workers as it can; a failure
 * is reported once and the pool runs with fewer threads. */
static void pool_start(void) {
  int want = pydron_pool_threads() - 1;
  pool.started = 1;
  pool.nworkers = 0;
  pool.stop = 0;
  pool.start_gen = atomic_load(&pool.gen.value);
  if (want <= 0)
    return;
  pool.tids = calloc((size_t)want, sizeof *pool.tids);
  if (!pool.tids) {
    fprintf(stderr, "pydron: out of memory starting %d worker threads; "
                    "loops run sequentially\n", want);
    return;
  }

  pthread_attr_t attr;
  size_t stack = 0;
  pthread_attr_init(&attr);
  if (pthread_attr_getstacksize(&attr, &stack) == 0 && stack < POOL_MIN_STACK)
    pthread_attr_setstacksize(&attr, POOL_MIN_STACK);

  /* Workers inherit the mask (pool.h): no asynchronous signal lands in a
   * chunk. */
  sigset_t old;
  pydron_block_async_signals(&old);

  for (int i = 0; i < want; i++) {
    int err = pthread_create(&pool.tids[i], &attr, worker_main,
                             (void *)(intptr_t)(i + 1));
    if (err) {
      fprintf(stderr, "pydron: cannot start worker thread %d of %d (%s); "
                      "running with %d threads\n", i + 1, want, strerror(err),
              i + 1);
      break;
    }
    char name[32]; /* the kernel keeps 15 characters */
    snprintf(name, sizeof name, "pydron-%d", i + 1);
    name[15] = 0;
    pthread_setname_np(pool.tids[i], name); /* for debuggers only */
    pool.nworkers++;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
}

/* Called with pool.lock held: stops and joins the workers. */
static void pool_stop(void) {
  if (pool.nworkers > 0) {
    pool.stop = 1;
    atomic_fetch_add(&pool.gen.value, 1);
    word_wake(&pool.gen);
    for (int i = 0; i < pool.nworkers; i++)
      pthread_join(pool.tids[i], NULL);
  }
  free(pool.tids);
  pool.tids = NULL;
  pool.nworkers = 0;
  pool.started = 0;
}

/* Fork: wait until no job runs, so the child never inherits a half-done
 * loop; a fork from inside a job (not something a chunk may do) skips this. */
static void pool_fork_prepare(void) {
  if (!pool_in_job) {
    pthread_mutex_lock(&pool.lock);
    pool_fork_locked = 1;
  }
}

static void pool_fork_parent(void) {
  if (pool_fork_locked) {
    pool_fork_locked = 0;
    pthread_mutex_unlock(&pool.lock);
  }
}

/* The workers do not exist in the child (libc reclaims their stacks):
 * forget them and start afresh on the child's first parallel loop. */
static void pool_fork_child(void) {
  free(pool.tids);
  pool.tids = NULL;
  pool.nworkers = 0;
  pool.started = 0;
  pool.stop = 0;
  pool.job = NULL;
  atomic_store(&pool.gen.sleepers, 0);
  atomic_store(&pool.pending.value, 0);
  atomic_store(&pool.pending.sleepers, 0);
  pool_fork_locked = 0;
  pthread_mutex_init(&pool.lock, NULL);
}

static void pool_install_atfork(void) {
  pthread_atfork(pool_fork_prepare, pool_fork_parent, pool_fork_child);
}

int pydron_pool_run(pydron_pool_job job, void *arg) {
  if (pool_in_job)
    return 0;
  pthread_once(&pool_atfork_once, pool_install_atfork);
  if (pthread_mutex_trylock(&pool.lock) != 0)
    return 0; /* another thread's loop owns the pool */
  if (pool.shut_down) {
    pthread_mutex_unlock(&pool.lock);
    return 0;
  }
  if (!pool.started)
    pool_start();

  int nworkers = pool.nworkers;
  pool.job = job;
  pool.arg = arg;
  atomic_store_explicit(&pool.pending.value, (uint32_t)nworkers,
                        memory_order_relaxed);
  if (nworkers > 0) {
    atomic_fetch_add(&pool.gen.value, 1); /* publishes job, arg, pending */
    word_wake(&pool.gen);
  }

  pool_in_job = 1;
  job(arg, 0);
  pool_in_job = 0;

  for (uint32_t left; (left = atomic_load_explicit(
                           &pool.pending.value, memory_order_acquire)) != 0;)
    word_wait(&pool.pending, left);
  pool.job = NULL;
  pool.arg = NULL;
  pthread_mutex_unlock(&pool.lock);
  return nworkers + 1;
}

/* At exit (or when libpydron_rt.so is unloaded): wait for a loop another
 * thread is running, then stop and join the workers. Loops started later
 * (by other destructors) run sequentially. exit() called from inside a
 * job cannot wait for its own loop: it leaves the pool alone. */
__attribute__((destructor)) static void pool_shutdown(void) {
  if (pool_in_job)
    return;
  pthread_mutex_lock(&pool.lock);
  pool.shut_down = 1;
  if (pool.started)
    pool_stop();
  pthread_mutex_unlock(&pool.lock);
}
