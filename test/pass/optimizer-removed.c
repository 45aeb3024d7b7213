// Every source loop of a schedule function gets one verdict, also when the
// optimizer fully unrolled it, replaced it by memset/memcpy, or removed it.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron -Rpass-analysis=pydron 2>&1 | FileCheck %s --implicit-check-not=remark:
// RUN: %clang_pydron -O2 -c %s -o /dev/null -fsave-optimization-record -foptimization-record-file=%t.yaml
// RUN: FileCheck %s --check-prefix=YAML < %t.yaml
#include <pydron.h>

PYDRON_FUNCTIONAL double f(double);

PYDRON_SCHEDULE void four(double *a) {
  // CHECK: optimizer-removed.c:[[@LINE+1]]:3: remark: loop not parallelized: the optimizer fully unrolled it (too few iterations to gain from running in parallel)
  for (int i = 0; i < 4; i++)
    a[i] = f(a[i]);
}

PYDRON_SCHEDULE void zero(double *a, int n) {
  // CHECK: optimizer-removed.c:[[@LINE+1]]:3: remark: loop not parallelized: the optimizer replaced it by memset/memcpy
  for (int i = 0; i < n; i++)
    a[i] = 0.0;
}

PYDRON_SCHEDULE void copy(double *restrict a, const double *restrict b, int n) {
  // CHECK: optimizer-removed.c:[[@LINE+1]]:3: remark: loop not parallelized: the optimizer replaced it by memset/memcpy
  for (int i = 0; i < n; i++)
    a[i] = b[i];
}

PYDRON_SCHEDULE int dead(const int *a, int n) {
  int s = 0;
  // CHECK: optimizer-removed.c:[[@LINE+1]]:3: remark: loop not parallelized: the optimizer removed it (its result was not needed, or was computed at compile time)
  for (int i = 0; i < n; i++)
    s += a[i];
  return 0;
}

PYDRON_SCHEDULE int closed_form(int n) {
  int s = 0;
  // CHECK: optimizer-removed.c:[[@LINE+1]]:3: remark: loop not parallelized: the optimizer removed it
  for (int i = 0; i < n; i++)
    s += i;
  return s;
}

// A memset loop next to a loop that stays.
PYDRON_SCHEDULE void clear_then_fill(double *a, int n) {
  // CHECK: optimizer-removed.c:[[@LINE+1]]:3: remark: loop not parallelized: the optimizer replaced it by memset/memcpy
  for (int i = 0; i < n; i++)
    a[i] = 0.0;
  // CHECK: optimizer-removed.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (int i = 0; i < n; i++)
    a[i] = f(a[i] + i);
}

// Partial unrolling and vectorization happen after the pydron pass: the
// loop is still there when it decides.
PYDRON_SCHEDULE void thousand(double *a) {
  // CHECK: optimizer-removed.c:[[@LINE+1]]:3: remark: loop parallelized; shippable
  for (int i = 0; i < 1000; i++)
    a[i] = a[i] * 2.0 + 1.0;
}

// YAML: Pass: pydron
// YAML-NEXT: Name: FullyUnrolled
// YAML-NEXT: DebugLoc: { File: '{{.*}}optimizer-removed.c', Line: {{[0-9]+}},
// YAML: Function: four
// YAML: Pass: pydron
// YAML-NEXT: Name: ReplacedByIdiom
// YAML-NEXT: DebugLoc:
// YAML: Function: zero
// YAML: Pass: pydron
// YAML-NEXT: Name: ReplacedByIdiom
// YAML-NEXT: DebugLoc:
// YAML: Function: copy
// YAML: Pass: pydron
// YAML-NEXT: Name: RemovedByOptimizer
// YAML-NEXT: DebugLoc:
// YAML: Function: dead
// YAML: Pass: pydron
// YAML-NEXT: Name: RemovedByOptimizer
// YAML-NEXT: DebugLoc:
// YAML: Function: closed_form
// YAML: Pass: pydron
// YAML-NEXT: Name: ReplacedByIdiom
// YAML-NEXT: DebugLoc:
// YAML: Function: clear_then_fill
// YAML: --- !Passed
// YAML-NEXT: Pass: pydron
// YAML-NEXT: Name: Parallelized
// YAML-NEXT: DebugLoc:
// YAML: Function: clear_then_fill
