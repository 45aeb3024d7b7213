// XFAIL: *
// BUG (quality): in a triangular nest the inner loop, which writes
// a[i*n + j] for distinct j, is rejected by the DependenceAnalysis second
// opinion ("DependenceAnalysis finds a possible dependence between write to
// 'a' and write to 'a'"): DA returns a non-'=' direction for the store
// against itself when the inner bound depends on the outer counter. The
// plugin's own footprint test already proves the iterations disjoint; DA is
// conservative here, not right. (The outer loop is independent too - rows
// never overlap since j <= i < n - but that needs the bound j <= i.)
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s
#include <pydron.h>

PYDRON_FUNCTIONAL double f(double);

PYDRON_SCHEDULE void lower_triangle(double *restrict a, long n) {
  for (long i = 0; i < n; i++)
    // CHECK: xfail-triangular-inner.c:[[@LINE+1]]:5: remark: loop parallelized (calls 'f')
    for (long j = 0; j <= i; j++)
      a[i * n + j] = f((double)(i + j));
}
