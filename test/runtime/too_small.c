// Loops too small to gain are declined so the sequential loop runs at full
// speed: first by the static estimate (cost * trip count), then by the cost
// learned when the loop ran; a declined loop is still probed now and then.
// RUN: %clang_plain -O2 -I%S/Inputs %s %rt_link -o %t
// RUN: env PYDRON_WORKERS=2 %t
// RUN: env PYDRON_WORKERS=4 %t
#include <stdatomic.h>

#include "rt_test.h"

static atomic_int calls;

static void chunk(int64_t lo, int64_t hi, const void *env, void *partial) {
  (void)lo; (void)hi; (void)env; (void)partial;
  atomic_fetch_add(&calls, 1);
}

int main(void) {
  static struct pydron_loop loops[4];
  /* 100 iterations of 10 instructions: 1000 < 20000. */
  loops[0] = rt_loop("small:static", chunk, 0, NULL, 0, 10, 0);
  loops[1] = rt_loop("small:fixed", chunk, 0, NULL, 0, 10,
                     PYDRON_LOOP_FIXED_CHUNKS);
  /* Cost unknown; the body is (nearly) empty. */
  loops[2] = rt_loop("small:learned", chunk, 0, NULL, 0, 0, 0);
  /* Claims to be expensive: runs in parallel although small. */
  loops[3] = rt_loop("small:big", chunk, 0, NULL, 0, 1000000, 0);
  rt_register("small", loops, 4);

  CHECK(pydron_parallel_for(&loops[0], 100, NULL, NULL) == 0,
        "static estimate: not declined");
  CHECK(atomic_load(&calls) == 0, "declined loop ran chunks");
  CHECK(pydron_parallel_for(&loops[0], 100000, NULL, NULL) == 1,
        "large trip count of the same loop declined");
  /* Fixed-chunk loops decide from the static estimate alone, every time. */
  for (int i = 0; i < 300; i++)
    CHECK(pydron_parallel_for(&loops[1], 100, NULL, NULL) == 0,
          "fixed-chunk small loop not declined at call %d", i);

  /* Unknown cost: the first call runs (and measures), the next decline. */
  CHECK(pydron_parallel_for(&loops[2], 1000, NULL, NULL) == 1,
        "unlearned loop declined");
  int declined = 0, probes = 0;
  for (int i = 0; i < 1000; i++) {
    if (pydron_parallel_for(&loops[2], 1000, NULL, NULL))
      probes++;
    else
      declined++;
  }
  CHECK(declined > 900, "learned small loop declined only %d times",
        declined);
  /* Probes at the 64th, 128th, 256th, 512th declined call... */
  CHECK(probes >= 2 && probes <= 10, "%d probes in 1000 calls", probes);

  CHECK(pydron_parallel_for(&loops[3], 100, NULL, NULL) == 1,
        "expensive loop declined");
  printf("ok: %d declined, %d probes\n", declined, probes);
  return 0;
}
