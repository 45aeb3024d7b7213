/* obs_prog.c - a program with hand-written loop descriptors (what the
 * plugin would emit) for the observability tests. Each loop has its own
 * source location, so the report and the trace can be checked by it.
 *
 *   obs_prog report   parallel, too small, nested, under 2 iterations,
 *                     overlap check failed, a chain, a fixed-chunk loop
 *   obs_prog exit     the same, ending with exit(3) from inside a function
 *   obs_prog fork     a loop in the parent, another in a child that exits
 *   obs_prog trace    several runs of guided, fixed and chain loops
 *   obs_prog many     hundreds of small fixed-chunk runs (trace limit)
 *   obs_prog long     one loop of about 1.5 s (progress line)
 */
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rt_test.h"

static struct pydron_loop loops[9];
enum { SMOOTH, TINY, CHECKED, ONE, OUTER, INNER, CHAINED, FIXED, SLEEPY };

/* Work of about `ns` nanoseconds per iteration, folded into *s. */
static int64_t spin(int64_t i, int rounds) {
  uint64_t h = (uint64_t)i;
  for (int r = 0; r < rounds; r++)
    h = rt_hash(h);
  return (int64_t)(h & 0xff);
}

static void sum_chunk(int64_t lo, int64_t hi, const void *env, void *part) {
  int rounds = env ? *(const int *)env : 1;
  int64_t s;
  memcpy(&s, part, sizeof s);
  for (int64_t i = lo; i < hi; i++)
    s += spin(i, rounds);
  memcpy(part, &s, sizeof s);
}

static void inner_chunk(int64_t lo, int64_t hi, const void *env, void *part) {
  (void)env;
  (void)part;
  for (int64_t i = lo; i < hi; i++)
    (void)spin(i, 1);
}

static void outer_chunk(int64_t lo, int64_t hi, const void *env, void *part) {
  (void)env;
  (void)part;
  for (int64_t i = lo; i < hi; i++)
    if (!pydron_parallel_for(&loops[INNER], 1000, NULL, NULL))
      inner_chunk(0, 1000, NULL, NULL);
}

static void chained_chunk(int64_t lo, int64_t hi, const void *env,
                          void *buf) {
  (void)env;
  double *v = (double *)((char *)buf + PYDRON_VALUES_OFFSET(&loops[CHAINED]));
  for (int64_t i = lo; i < hi; i++)
    v[i - lo] = (double)spin(i, 4);
}

static void chained_chain(int64_t lo, int64_t hi, const void *env,
                          const void *values, void *state) {
  (void)env;
  const double *v = values;
  double acc;
  memcpy(&acc, state, sizeof acc);
  for (int64_t i = 0; i < hi - lo; i++)
    acc = acc * 0.5 + v[i];
  memcpy(state, &acc, sizeof acc);
}

static void sleep_chunk(int64_t lo, int64_t hi, const void *env, void *part) {
  (void)env;
  (void)part;
  for (int64_t i = lo; i < hi; i++) {
    struct timespec ts = {0, 1000000}; /* 1 ms */
    nanosleep(&ts, NULL);
  }
}

static const struct pydron_fold sum64 = {PYDRON_FOLD_ADD, PYDRON_TYPE_I64, 0};

static struct pydron_loop at(struct pydron_loop l, const char *function,
                             uint32_t line, uint32_t column) {
  l.file = "app.c";
  l.function = function;
  l.line = line;
  l.column = column;
  return l;
}

/* Runs `which` over n; the sequential loop when the runtime declines. */
static int64_t run(int which, int64_t n, int rounds) {
  int64_t s = 0;
  if (!pydron_parallel_for(&loops[which], n, &rounds, &s))
    loops[which].chunk(0, n, &rounds, &s);
  return s;
}

static double run_chain(int64_t n) {
  unsigned char buf[16 + (1 << 20)] __attribute__((aligned(16)));
  double acc = 0;
  if (!pydron_parallel_for(&loops[CHAINED], n, NULL, &acc))
    for (int64_t lo = 0; lo < n; lo += 1 << 17) {
      int64_t hi = n - lo < (1 << 17) ? n : lo + (1 << 17);
      chained_chunk(lo, hi, NULL, buf);
      chained_chain(lo, hi, NULL, buf + PYDRON_VALUES_OFFSET(&loops[CHAINED]),
                    &acc);
    }
  return acc;
}

static void the_loops(void) {
  for (int c = 0; c < 3; c++)
    run(SMOOTH, 400000, 40);
  for (int c = 0; c < 5; c++)
    run(TINY, 100, 1);
  /* The generated code's overlap check failed twice, passed twice. */
  pydron_loop_sequential(&loops[CHECKED], 5000, PYDRON_SEQ_CHECK_FAILED);
  run(CHECKED, 200000, 1);
  pydron_loop_sequential(&loops[CHECKED], 5000, PYDRON_SEQ_CHECK_FAILED);
  run(CHECKED, 200000, 1);
  run(ONE, 1, 1);
  if (!pydron_parallel_for(&loops[OUTER], 64, NULL, NULL))
    outer_chunk(0, 64, NULL, NULL);
  run_chain(300000);
  run(FIXED, 100000, 2);
}

static void leave(void) { exit(3); }

int main(int argc, char **argv) {
  CHECK(argc == 2, "usage: obs_prog MODE");
  const char *mode = argv[1];
  loops[SMOOTH] = at(rt_loop("app:0", sum_chunk, 8, &sum64, 1, 0, 0),
                     "smooth", 14, 5);
  loops[TINY] = at(rt_loop("app:1", sum_chunk, 8, &sum64, 1, 1, 0), "tiny",
                   30, 3);
  loops[CHECKED] = at(rt_loop("app:2", sum_chunk, 8, &sum64, 1, 0, 0),
                      "checked", 40, 3);
  loops[ONE] = at(rt_loop("app:3", sum_chunk, 8, &sum64, 1, 0, 0), "one", 50,
                  3);
  loops[OUTER] = at(rt_loop("app:4", outer_chunk, 0, NULL, 0, 0, 0), "outer",
                    60, 3);
  loops[INNER] = at(rt_loop("app:5", inner_chunk, 0, NULL, 0, 0, 0), "outer",
                    61, 5);
  loops[CHAINED] = at(rt_chain(rt_loop("app:6", chained_chunk, 0, NULL, 0, 0,
                                       0),
                               chained_chain, 8, 8),
                      "decay", 70, 3);
  loops[FIXED] = at(rt_loop("app:7", sum_chunk, 8, &sum64, 1, 0,
                            PYDRON_LOOP_FIXED_CHUNKS),
                    "fixed", 80, 3);
  loops[SLEEPY] = at(rt_loop("app:8", sleep_chunk, 0, NULL, 0, 0, 0),
                     "sleepy", 90, 3);
  rt_register("app", loops, 9);

  if (!strcmp(mode, "report")) {
    the_loops();
  } else if (!strcmp(mode, "exit")) {
    the_loops();
    leave();
  } else if (!strcmp(mode, "fork")) {
    run(SMOOTH, 400000, 8);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0) {
      run(FIXED, 100000, 2);
      exit(0);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
              WEXITSTATUS(status) == 0,
          "child failed");
    run(CHECKED, 200000, 1);
  } else if (!strcmp(mode, "trace")) {
    for (int c = 0; c < 3; c++) {
      run(SMOOTH, 300000 + c * 7, 8);
      run(FIXED, 100003, 2);
      run_chain(500000 + c);
    }
  } else if (!strcmp(mode, "many")) {
    for (int c = 0; c < 200; c++)
      run(FIXED, 256, 1);
  } else if (!strcmp(mode, "long")) {
    if (!pydron_parallel_for(&loops[SLEEPY], 3000, NULL, NULL))
      puts("declined");
  } else {
    CHECK(0, "unknown mode %s", mode);
  }
  puts("done");
  return 0;
}
