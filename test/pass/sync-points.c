// Calls that are not known to be pure are sync points: I/O, calls to
// functions that are neither PYDRON_FUNCTIONAL nor free of side effects,
// indirect calls. The remark names the call and quotes its own location.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron -Rpass-analysis=pydron 2>&1 | FileCheck %s --implicit-check-not=remark: --implicit-check-not=warning:
// Without -g the remarks still have locations, and name parameters by
// position.
// RUN: %clang_pydron -O2 -c %s -o /dev/null -Rpass-missed=pydron 2>&1 | FileCheck %s --check-prefix=NODBG
#include <pydron.h>
#include <stdio.h>
#include <stdlib.h>

void opaque(double *p);
double opaque_value(double);
PYDRON_FUNCTIONAL double pure_f(double);

PYDRON_SCHEDULE void calls_printf(const double *a, int n) {
  // CHECK: sync-points.c:[[@LINE+2]]:3: remark: loop not parallelized: call to 'printf' is a sync point (not PYDRON_FUNCTIONAL, and not known to be free of side effects) at sync-points.c:[[@LINE+3]]:5
  // NODBG: sync-points.c:[[@LINE+1]]:3: remark: loop not parallelized: call to 'printf' is a sync point {{.*}} at sync-points.c:[[@LINE+2]]:5
  for (int i = 0; i < n; i++)
    printf("%f\n", a[i]);
}

PYDRON_SCHEDULE void calls_opaque_value(double *a, int n) {
  // CHECK: sync-points.c:[[@LINE+1]]:3: remark: loop not parallelized: call to 'opaque_value' is a sync point {{.*}} at sync-points.c:[[@LINE+2]]:12
  for (int i = 0; i < n; i++)
    a[i] = opaque_value(a[i]);
}

PYDRON_SCHEDULE void calls_opaque_pointer(double *a, int n) {
  // CHECK: sync-points.c:[[@LINE+1]]:3: remark: loop not parallelized: call to 'opaque' is a sync point {{.*}} at sync-points.c:[[@LINE+2]]:5
  for (int i = 0; i < n; i++)
    opaque(&a[i]);
}

PYDRON_SCHEDULE void calls_indirect(double *a, int n, double (*fp)(double)) {
  // CHECK: sync-points.c:[[@LINE+1]]:3: remark: loop not parallelized: an indirect call is a sync point (its callee is not known to be functional) at sync-points.c:[[@LINE+2]]:12
  for (int i = 0; i < n; i++)
    a[i] = fp(a[i]);
}

PYDRON_SCHEDULE void calls_rand(int *a, int n) {
  // CHECK: sync-points.c:[[@LINE+1]]:3: remark: loop not parallelized: call to 'rand' is a sync point
  for (int i = 0; i < n; i++)
    a[i] = rand();
}

// A sync point after a pure call: the first offending instruction counts.
PYDRON_SCHEDULE void pure_then_printf(double *restrict a, int n) {
  // CHECK: sync-points.c:[[@LINE+1]]:3: remark: loop not parallelized: call to 'puts' is a sync point {{.*}} at sync-points.c:[[@LINE+4]]:7
  for (int i = 0; i < n; i++) {
    a[i] = pure_f(a[i]);
    if (a[i] < 0)
      puts("negative");
  }
}

