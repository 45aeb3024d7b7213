/* For asan-sees-chunks.test: a parallelized loop with an off-by-one write. */
#include <pydron.h>
#include <stdio.h>
#include <stdlib.h>

PYDRON_FUNCTIONAL static int g(int x) { return x * 3 + 1; }

PYDRON_SCHEDULE void fill(int *restrict a, int n) {
  for (int i = 0; i <= n; i++) /* one past the end */
    a[i] = g(i);
}

int main(int argc, char **argv) {
  (void)argv;
  int n = 100000 + argc;
  int *a = malloc(sizeof(int) * n);
  fill(a, n);
  long s = 0;
  for (int i = 0; i < n; i++)
    s += a[i];
  printf("%ld\n", s);
  free(a);
  return 0;
}
