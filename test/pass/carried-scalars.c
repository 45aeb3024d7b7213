// Values carried across iterations that cannot be folded. When the chain of
// instructions updating them has no memory access, call or branch, the
// independent part runs in parallel and the chain is applied in iteration
// order ("applied in iteration order"); otherwise the loop stays
// sequential and the remark names the variable and what is in the way.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron -Rpass-analysis=pydron 2>&1 | FileCheck %s --implicit-check-not=remark:
#include <pydron.h>

PYDRON_FUNCTIONAL int g(int);
PYDRON_FUNCTIONAL double h(double);

// Two different operations: x * 3 + g(...).
PYDRON_SCHEDULE int affine(const int *a, int n) {
  int x = 1;
  // CHECK: carried-scalars.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'g'), 1 value applied in iteration order; shippable
  for (int i = 0; i < n; i++)
    x = x * 3 + g(a[i]);
  return x;
}

PYDRON_SCHEDULE int divide(const int *a, int n) {
  int x = 1000000;
  // CHECK: carried-scalars.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'g'), 1 value applied in iteration order; shippable
  for (int i = 0; i < n; i++)
    x = x / g(a[i]);
  return x;
}

PYDRON_SCHEDULE long reverse_subtract(const long *a, int n) {
  long s = 100;
  // CHECK: carried-scalars.c:[[@LINE+1]]:3: remark: loop parallelized, 1 value applied in iteration order; shippable
  for (int i = 0; i < n; i++)
    s = a[i] - s;
  return s;
}

// A running sum that is stored: every iteration needs the previous ones.
PYDRON_SCHEDULE void prefix_sum(const int *restrict a, int *restrict b, int n) {
  int s = 0;
  // CHECK: carried-scalars.c:[[@LINE+1]]:3: remark: loop not parallelized: 's' is carried from one iteration to the next {{.*}}and it feeds a memory access, which would have to run in iteration order at carried-scalars.c:[[@LINE+3]]:10
  for (int i = 0; i < n; i++) {
    s += a[i];
    b[i] = s;
  }
}

PYDRON_SCHEDULE void previous_value(const int *restrict a, int *restrict b, int n) {
  int prev = 0;
  // CHECK: carried-scalars.c:[[@LINE+1]]:3: remark: loop not parallelized: 'prev' is carried from one iteration to the next {{.*}}and it feeds a memory access, which would have to run in iteration order
  for (int i = 0; i < n; i++) {
    b[i] = a[i] + prev;
    prev = a[i];
  }
}

PYDRON_SCHEDULE int argmax(const int *a, int n) {
  int m = a[0], idx = 0;
  // CHECK: carried-scalars.c:[[@LINE+1]]:3: remark: loop parallelized, 2 values applied in iteration order; shippable
  for (int i = 0; i < n; i++)
    if (a[i] > m) {
      m = a[i];
      idx = i;
    }
  return idx;
}

PYDRON_SCHEDULE int reset(const int *a, int n) {
  int s = 0;
  // CHECK: carried-scalars.c:[[@LINE+1]]:3: remark: loop parallelized, 1 value applied in iteration order; shippable
  for (int i = 0; i < n; i++)
    s = a[i] < 0 ? 0 : s + a[i];
  return s;
}

// s feeds t: both are applied in order.
PYDRON_SCHEDULE int sum_of_sums(const int *a, int n) {
  int s = 0, t = 0;
  // CHECK: carried-scalars.c:[[@LINE+1]]:3: remark: loop parallelized, 2 values applied in iteration order; shippable
  for (int i = 0; i < n; i++) {
    s += a[i];
    t += s;
  }
  return t;
}

// The running sum decides a store.
PYDRON_SCHEDULE int sum_decides(const int *a, int *restrict b, int n) {
  int s = 0;
  // CHECK: carried-scalars.c:[[@LINE+1]]:3: remark: loop not parallelized: 's' is carried from one iteration to the next {{.*}}and it decides the loop's control flow
  for (int i = 0; i < n; i++) {
    s += a[i];
    if (s > 100)
      b[i] = 1;
  }
  return s;
}

// m > t ? m : t takes t when it is NaN: not a fold of ordered comparisons,
// but fine in order.
PYDRON_SCHEDULE double float_max_nan(const double *a, int n) {
  double m = -1e300;
  // CHECK: carried-scalars.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'h'), 1 value applied in iteration order; shippable
  for (int i = 0; i < n; i++) {
    double t = h(a[i]);
    m = m > t ? m : t;
  }
  return m;
}

// The ordered float max/min of the other form folds.
PYDRON_SCHEDULE double float_min(const double *a, int n) {
  double m = 1e300;
  // CHECK: carried-scalars.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'h'), 1 folded value; shippable
  for (int i = 0; i < n; i++) {
    double t = h(a[i]);
    m = t < m ? t : m;
  }
  return m;
}

PYDRON_SCHEDULE double float_max(const double *a, int n) {
  double m = -1e300;
  // CHECK: carried-scalars.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'h'), 1 folded value; shippable
  for (int i = 0; i < n; i++) {
    double t = h(a[i]);
    m = t > m ? t : m;
  }
  return m;
}
