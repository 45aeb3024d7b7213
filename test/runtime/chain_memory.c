// A chain streams: 5e8 iterations with 8 bytes of values each (4 GB if
// they were all kept) run in bounded memory, because chunks hold at most
// 1 MiB of values and only a window of chunks may wait for the chain. Peak
// RSS (getrusage) must stay under 200 MB; the result is exact.
// RUN: %clang_plain -O2 -I%S/Inputs %s %rt_link -o %t
// RUN: %t
// RUN: env PYDRON_WORKERS=4 %t
#include <sys/resource.h>

#include "rt_test.h"

enum { N = 500000000 };

static void chunk(int64_t lo, int64_t hi, const void *env, void *buf) {
  const struct pydron_loop *loop = *(const struct pydron_loop *const *)env;
  int64_t *v = (int64_t *)((char *)buf + PYDRON_VALUES_OFFSET(loop));
  for (int64_t i = lo; i < hi; i++)
    v[i - lo] = i & 1023;
}

static int64_t calls, longest;

static void chain(int64_t lo, int64_t hi, const void *env, const void *values,
                  void *state) {
  (void)env;
  const int64_t *v = values;
  int64_t s;
  memcpy(&s, state, sizeof s);
  for (int64_t i = 0; i < hi - lo; i++)
    s += v[i];
  memcpy(state, &s, sizeof s);
  calls++;
  if (hi - lo > longest)
    longest = hi - lo;
}

int main(void) {
  static struct pydron_loop loop[1];
  loop[0] = rt_chain(rt_loop("chain_memory:0", chunk, 0, NULL, 0, 1, 0),
                     chain, 8, 8);
  rt_register("chain_memory", loop, 1);
  const struct pydron_loop *l = &loop[0];
  int64_t sum = 0;
  int ran = pydron_parallel_for(l, N, &l, &sum);
  if (!ran) { /* one thread: the sequential loop, as generated code does */
    CHECK(!rt_parallel_expected(), "declined");
    puts("ok (sequential)");
    return 0;
  }
  int64_t want = (int64_t)(N / 1024) * (1023 * 1024 / 2);
  for (int64_t i = (int64_t)(N / 1024) * 1024; i < N; i++)
    want += i & 1023;
  CHECK(sum == want, "sum %lld, want %lld", (long long)sum, (long long)want);
  CHECK(longest <= (1 << 20) / 8, "a chunk of %lld iterations",
        (long long)longest);
  struct rusage ru;
  CHECK(getrusage(RUSAGE_SELF, &ru) == 0, "getrusage");
  CHECK(ru.ru_maxrss < 200 * 1024, "peak RSS %ld KiB", ru.ru_maxrss);
  printf("ok: %lld chain calls, peak RSS %ld KiB\n", (long long)calls,
         ru.ru_maxrss);
  return 0;
}
