// Nested loops, both ways: an outer parallel loop runs its inner loops
// inside its chunks; when the outer loop is not parallel the inner ones
// are tried in turn.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron -Rpass-analysis=pydron 2>&1 | FileCheck %s --implicit-check-not=remark:
// RUN: %clang_pydron -O2 -g -S -emit-llvm %s -o - | FileCheck %s --check-prefix=IR
#include <pydron.h>

PYDRON_FUNCTIONAL double f(double);

PYDRON_SCHEDULE void rows(double *restrict a, const double *restrict b, int n,
                          int m) {
  // CHECK: nested.c:[[@LINE+2]]:3: remark: loop parallelized (calls 'f'); shippable
  // CHECK: nested.c:[[@LINE+2]]:5: remark: loop runs inside the chunks of the parallel loop at line [[@LINE+1]]
  for (int i = 0; i < n; i++)
    for (int j = 0; j < m; j++)
      a[(long)i * m + j] = f(b[(long)i * m + j]);
}

// Time steps (outer, sequential) over a parallel sweep (inner).
PYDRON_SCHEDULE void time_steps(double *a, int steps, int m) {
  // CHECK: nested.c:[[@LINE+1]]:3: remark: loop not parallelized: write to 'a'
  for (int t = 0; t < steps; t++) {
    a[0] = f(a[m - 1]);
    // CHECK: nested.c:[[@LINE+1]]:5: remark: loop parallelized (calls 'f'); shippable
    for (int j = 1; j < m; j++)
      a[j] = f((double)j) + t;
  }
}

// An outer reduction that does not fold as a whole: the inner loop folds.
PYDRON_SCHEDULE long nested_sum(const long *a, int n, int m) {
  long s = 0;
  // CHECK: nested.c:[[@LINE+2]]:3: remark: loop not parallelized: 's' is carried from one iteration to the next
  // CHECK: nested.c:[[@LINE+2]]:5: remark: loop parallelized, 1 folded value; shippable
  for (int i = 0; i < n; i++)
    for (int j = 0; j < m; j++)
      s += a[(long)i * m + j];
  return s;
}

// Matrix product: the outer loop, with two loops inside its chunks.
PYDRON_SCHEDULE void matmul(double *restrict c, const double *restrict a,
                            const double *restrict b, long n) {
  // CHECK: nested.c:[[@LINE+3]]:3: remark: loop parallelized; shippable
  // CHECK: nested.c:[[@LINE+3]]:5: remark: loop runs inside the chunks of the parallel loop at line [[@LINE+2]]
  // CHECK: nested.c:[[@LINE+5]]:7: remark: loop runs inside the chunks of the parallel loop at line [[@LINE+1]]
  for (long i = 0; i < n; i++)
    for (long j = 0; j < n; j++) {
      double s = 0;
      // The inner k loop is inside the chunks too.
      for (long k = 0; k < n; k++)
        s += a[i * n + k] * b[k * n + j];
      c[i * n + j] = s;
    }
}

// Only the outer loop is outlined; the inner loops run inside its chunk.
// IR-LABEL: define {{.*}}void @matmul(
// IR: call i32 @pydron_parallel_for(ptr nonnull @pydron.loop.[[MM:[0-9]+]],
// IR-NOT: call i32 @pydron_parallel_for
// IR: define internal void @matmul.pydron.chunk.[[MM]](
// IR-NOT: call i32 @pydron_parallel_for
// IR: ret void
