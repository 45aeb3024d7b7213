// Values computed in the loop and used after it: counters and expressions
// of them are rebuilt from the trip count, folded values come from the
// partials, and a value computed in every iteration is kept from the last
// iteration (the runtime keeps the last chunk's).
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron -Rpass-analysis=pydron 2>&1 | FileCheck %s --implicit-check-not=remark:
// RUN: %clang_pydron -O2 -S -emit-llvm %s -o - | FileCheck %s --check-prefix=IR
#include <pydron.h>

PYDRON_FUNCTIONAL double f(double);

PYDRON_SCHEDULE double last_value(const double *a, int n) {
  double x = 0;
  // CHECK: live-out.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'), 1 value of the last iteration kept; shippable
  for (int i = 0; i < n; i++)
    x = f(a[i]);
  return x;
}

PYDRON_SCHEDULE double last_element(double *restrict out, const double *restrict a, int n) {
  double t = 0;
  // CHECK: live-out.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'), 1 value of the last iteration kept; shippable
  for (int i = 0; i < n; i++) {
    t = f(a[i]);
    out[i] = t;
  }
  return t;
}

PYDRON_SCHEDULE int counter(double *restrict a, int n) {
  int i;
  // CHECK: live-out.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (i = 0; i < n; i++)
    a[i] = f(a[i]);
  return i;
}

PYDRON_SCHEDULE long counter_expression(double *restrict a, long n) {
  long k = 0;
  // CHECK: live-out.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (long i = 0; i < n; i++) {
    a[i] = f(a[i]);
    k = 3 * i + 7;
  }
  return k;
}

// After the parallel path, the counter comes from the trip count and the
// sum from the result buffer, in the block that joins the sequential exit.
// IR-LABEL: define {{.*}}i64 @sum_and_last(
// IR: [[RAN:%.*]] = call i32 @pydron_parallel_for(ptr nonnull @pydron.loop.[[T:[0-9]+]],
// IR: load i64, ptr
// IR: ret i64
PYDRON_SCHEDULE long sum_and_last(const long *a, long n, long *last) {
  long s = 0, i;
  // CHECK: live-out.c:[[@LINE+1]]:3: remark: loop parallelized, 1 folded value; shippable
  for (i = 0; i < n; i++)
    s += a[i];
  *last = i;
  return s;
}

// A value updated only in some iterations is carried from one iteration
// to the next: in order, when the chain allows it.
PYDRON_SCHEDULE int last_positive_index(const double *a, int n) {
  int k = -1;
  // CHECK: live-out.c:[[@LINE+1]]:3: remark: loop parallelized, 1 value applied in iteration order; shippable
  for (int i = 0; i < n; i++)
    if (a[i] > 0)
      k = i;
  return k;
}

// The same with a call in the conditional update: the chain would need
// the call, which is not allowed in it.
PYDRON_SCHEDULE double last_positive_value(const double *a, int n) {
  double x = -1;
  // CHECK: live-out.c:[[@LINE+1]]:3: remark: loop not parallelized: 'x' is carried from one iteration to the next (it is replaced by another value under a condition) and it is updated under a condition that the optimizer did not turn into a select
  for (int i = 0; i < n; i++)
    if (a[i] > 0)
      x = f(a[i]);
  return x;
}
