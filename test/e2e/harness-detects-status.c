// The harness must fail when only the exit status differs: this program
// prints the same in every build but exits with 3 when PYDRON_WORKERS is set
// (the harness sets it only for the Pydron runs). The Pydron build is plain
// clang here: this tests the harness alone.
// RUN: env PYDRON_CC=%clang not %e2e %s 2>&1 | FileCheck %s
// CHECK: PYDRON_WORKERS=1: exit status differs: sequential 0, Pydron 3
// CHECK: PYDRON_WORKERS=2: exit status differs: sequential 0, Pydron 3
// CHECK: PYDRON_WORKERS=4: exit status differs: sequential 0, Pydron 3
// CHECK-NOT: stdout differs
#include <pydron.h>
#include <stdio.h>
#include <stdlib.h>

PYDRON_SCHEDULE long sum_to(long n) {
  long s = 0;
  for (long i = 0; i < n; i++)
    s += i;
  return s;
}

int main(int argc, char **argv) {
  (void)argv;
  printf("%ld\n", sum_to(100000L + argc));
  return getenv("PYDRON_WORKERS") ? 3 : 0;
}
