// The harness must fail when the Pydron program prints something else than
// the sequential one. This program prints PYDRON_WORKERS, which the harness
// sets only for the Pydron runs, so every Pydron run differs. The "Pydron"
// build is plain clang here (PYDRON_CC=%clang): this tests the harness alone,
// whatever state the plugin is in. The last RUN line repeats it with the real
// pydron-cc.
// RUN: env PYDRON_CC=%clang not %e2e %s > %t.stdout 2> %t.stderr
// RUN: FileCheck %s < %t.stderr
// RUN: not %e2e %s 2>&1 | FileCheck %s --check-prefix=REAL
// REAL: PYDRON_WORKERS=1: stdout differs from the sequential run
// REAL: +PYDRON_WORKERS=1
// CHECK: PYDRON_WORKERS=1: stdout differs from the sequential run
// CHECK: -PYDRON_WORKERS=(unset)
// CHECK: +PYDRON_WORKERS=1
// CHECK: PYDRON_WORKERS=2: stdout differs from the sequential run
// CHECK: PYDRON_WORKERS=4: stdout differs from the sequential run
// CHECK-NOT: exit status differs
#include <pydron.h>
#include <stdio.h>
#include <stdlib.h>

PYDRON_SCHEDULE void square_all(double *a, long n) {
  for (long i = 0; i < n; i++)
    a[i] = a[i] * a[i];
}

int main(void) {
  static double a[100000];
  for (long i = 0; i < 100000; i++)
    a[i] = (double)i / 7.0;
  square_all(a, 100000);
  const char *w = getenv("PYDRON_WORKERS");
  printf("a[99999]=%a\n", a[99999]);
  printf("PYDRON_WORKERS=%s\n", w ? w : "(unset)");
  return 0;
}
