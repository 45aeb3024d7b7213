// Floating-point sums. Without reassoc the additions must happen in
// iteration order: the independent part runs in parallel and the chain is
// applied in order. With -ffast-math the sum folds over fixed chunks.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron -Rpass-analysis=pydron 2>&1 | FileCheck %s --check-prefix=STRICT --implicit-check-not=remark:
// RUN: %clang_pydron -O2 -g -ffast-math -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron -Rpass-analysis=pydron 2>&1 | FileCheck %s --check-prefix=FAST --implicit-check-not=remark:
// RUN: %clang_pydron -O2 -g -ffast-math -S -emit-llvm %s -o - | FileCheck %s --check-prefix=IR
// RUN: %clang_pydron -O2 -g -S -emit-llvm %s -o - | FileCheck %s --check-prefix=CHAIN
#include <pydron.h>

PYDRON_FUNCTIONAL double term(double);

PYDRON_SCHEDULE double sum_terms(const double *a, long n) {
  double s = 0.0;
  // STRICT: float-sum.c:[[@LINE+2]]:3: remark: loop parallelized (calls 'term'), 1 value applied in iteration order; shippable
  // FAST: float-sum.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'term'), 1 folded value; shippable
  for (long i = 0; i < n; i++)
    s += term(a[i]);
  return s;
}

PYDRON_SCHEDULE float sum_floats(const float *a, int n) {
  float s = 0.0f;
  // STRICT: float-sum.c:[[@LINE+2]]:3: remark: loop parallelized, 1 value applied in iteration order; shippable
  // FAST: float-sum.c:[[@LINE+1]]:3: remark: loop parallelized, 1 folded value; shippable
  for (int i = 0; i < n; i++)
    s += a[i];
  return s;
}

PYDRON_SCHEDULE double product(const double *a, int n) {
  double p = 1.0;
  // STRICT: float-sum.c:[[@LINE+2]]:3: remark: loop parallelized, 1 value applied in iteration order; shippable
  // FAST: float-sum.c:[[@LINE+1]]:3: remark: loop parallelized, 1 folded value; shippable
  for (int i = 0; i < n; i++)
    p *= a[i];
  return p;
}

// A float fold with reassoc runs over fixed chunks (flag 2 in the
// descriptor), so its result does not depend on the number of threads.
// IR: @pydron.folds.[[T:[0-9]+]] = private constant [1 x { i16, i16, i32 }]
// IR: @pydron.loop.[[T]] = private constant %pydron.loop { i32 {{[0-9]+}}, i32 3,
// IR: define internal void @sum_terms.pydron.chunk.[[T]](i64 %{{.*}}, i64 %{{.*}}, ptr %{{.*}}, ptr %{{.*}})

// In order: a chunk function and a chain function that replays the
// additions.
// CHAIN: @pydron.loop.[[T:[0-9]+]] = private constant %pydron.loop
// CHAIN: define internal void @sum_terms.pydron.chunk.[[T]](
// CHAIN: define internal void @sum_terms.pydron.chain.[[T]](
