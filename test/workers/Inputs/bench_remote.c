/* bench_remote.c - the figures in docs/remote-workers.md.
 *
 *   clang-19 -O2 -Iruntime/include -Itest/runtime/Inputs \
 *     -Itest/workers/Inputs test/workers/Inputs/bench_remote.c \
 *     build/lib/libpydron_rt.a -ljansson -lssh2 -lcrypto -lcurl -lpthread -lm -o bench_remote
 *   ./bench_remote roundtrip|ship|coarse     (threads, as configured)
 *   PYDRON_CONF=process.conf ./bench_remote ...   (process workers)
 *
 * roundtrip: a loop of two empty iterations, called again and again
 *            (PYDRON_TINY_CHUNKS=1 makes every iteration its own chunk):
 *            the cost of one call, i.e. chunks out and results back;
 *            and a loop of 20000 empty one-iteration chunks: chunks per
 *            second through one worker.
 * ship:      out[i] = in[i] + 1 over 64 MiB in and 64 MiB out: MB/s of
 *            shipped data (task bytes out plus result bytes back).
 * coarse:    a compute-bound kernel (a few thousand flops per iteration,
 *            little data): wall time, threads vs process workers. */
#include <math.h>
#include <time.h>

#include "workers_test.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct env {
  const double *in;
  double *out;
  int64_t n;
};
static const struct pydron_env_slot slots[] = {
    SLOT(struct env, in, PYDRON_SLOT_POINTER),
    SLOT(struct env, out, PYDRON_SLOT_POINTER),
    SLOT(struct env, n, PYDRON_SLOT_VALUE),
};
static const uint8_t rw[] = {PYDRON_RANGE_READ, PYDRON_RANGE_WRITE};

static void empty_chunk(int64_t lo, int64_t hi, const void *e, void *p) {
  (void)lo, (void)hi, (void)e, (void)p;
}
static void empty_fp(int64_t lo, int64_t hi, const void *e,
                     struct pydron_range *r) {
  (void)lo, (void)hi, (void)e, (void)r;
}
static void add_chunk(int64_t lo, int64_t hi, const void *envp, void *p) {
  const struct env *e = envp;
  (void)p;
  for (int64_t i = lo; i < hi; i++)
    e->out[i] = e->in[i] + 1;
}
static void add_fp(int64_t lo, int64_t hi, const void *envp,
                   struct pydron_range *r) {
  const struct env *e = envp;
  r[0] = wt_range(e->in + lo, (size_t)(hi - lo) * 8);
  r[1] = wt_range(e->out + lo, (size_t)(hi - lo) * 8);
}
static void coarse_chunk(int64_t lo, int64_t hi, const void *envp, void *p) {
  const struct env *e = envp;
  (void)p;
  for (int64_t i = lo; i < hi; i++) {
    double x = e->in[i], acc = 0;
    for (int k = 0; k < 2000; k++)
      acc += sin(x + k * 1e-3) * 0.5;
    e->out[i] = acc;
  }
}

static struct pydron_loop loops[3];

__attribute__((constructor(101))) static void setup(void) {
  loops[0] = wt_loop("bench:empty", empty_chunk, 0, empty_fp, NULL, 0, NULL,
                     0);
  loops[0].cost = 1000000; /* never "too small" */
  loops[1] = wt_loop("bench:add", add_chunk, sizeof(struct env), add_fp, rw,
                     2, slots, 3);
  loops[1].cost = 100;
  loops[2] = wt_loop("bench:coarse", coarse_chunk, sizeof(struct env),
                     add_fp, rw, 2, slots, 3);
  loops[2].cost = 40000;
  rt_register("bench", loops, 3);
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "roundtrip";
  if (!strcmp(what, "roundtrip")) {
    pydron_parallel_for(&loops[0], 2, NULL, NULL); /* start workers */
    int calls = 2000;
    double t0 = now();
    for (int i = 0; i < calls; i++)
      CHECK(pydron_parallel_for(&loops[0], 2, NULL, NULL), "declined");
    double t1 = now();
    printf("call of 2 one-iteration chunks: %.1f us\n",
           (t1 - t0) / calls * 1e6);
    t0 = now();
    CHECK(pydron_parallel_for(&loops[0], 20000, NULL, NULL), "declined");
    t1 = now();
    printf("20000 one-iteration chunks: %.0f chunks/s (%.1f us each)\n",
           20000 / (t1 - t0), (t1 - t0) / 20000 * 1e6);
  } else {
    int coarse = !strcmp(what, "coarse");
    int64_t n = coarse ? 20000 : (64 << 20) / 8;
    double *in = malloc((size_t)n * 8), *out = malloc((size_t)n * 8);
    for (int64_t i = 0; i < n; i++)
      in[i] = (double)i * 1e-6, out[i] = 0;
    struct env e = {in, out, n};
    const struct pydron_loop *l = &loops[coarse ? 2 : 1];
    double best = 1e9;
    for (int rep = 0; rep < 5; rep++) {
      double t0 = now();
      if (!pydron_parallel_for(l, n, &e, NULL))
        l->chunk(0, n, &e, NULL);
      double t = now() - t0;
      best = t < best ? t : best;
      in[rep] += 1; /* new values every call */
    }
    if (coarse)
      printf("coarse kernel, %lld iterations: %.3f s\n", (long long)n, best);
    else
      printf("64 MiB in + 64 MiB out: %.3f s, %.0f MB/s of data\n", best,
             2.0 * n * 8 / best / 1e6);
    free(in);
    free(out);
  }
  return 0;
}
