// With the default -ffp-contract=on, `s += a[i] * c` and
// `acc = acc * 0.9 + t` become llvm.fmuladd: an in-order chain, like a
// plain float sum.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s --implicit-check-not='remark: loop'
#include <pydron.h>

PYDRON_FUNCTIONAL double term(double);

PYDRON_SCHEDULE float dot_scaled(const float *a, int n) {
  float s = 0.0f;
  // CHECK: fmuladd-chain.c:[[@LINE+1]]:3: remark: loop parallelized, 1 value applied in iteration order; shippable
  for (int i = 0; i < n; i++)
    s += a[i] * 1.1f;
  return s;
}

PYDRON_SCHEDULE double damped(long n) {
  double acc = 1.0;
  // CHECK: fmuladd-chain.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'term'), 1 value applied in iteration order; shippable
  for (long i = 0; i < n; i++)
    acc = acc * 0.9 + term((double)i);
  return acc;
}
