// Regression test (was a bug): with -fassociative-math (without -ffast-math, so -ffp-contract=on),
// `s += a[i] * b[i]` becomes `s = llvm.fmuladd(a[i], b[i], s)` carrying the
// reassoc flag. The user allowed re-association, so this is a float ADD
// fold (the chunk body is unchanged, only the start value and the combine
// differ), but the matcher does not know llvm.fmuladd, and the loop is
// only "parallelized, 1 value applied in iteration order": correct, but the
// additions run on one thread instead of being folded per chunk.
// RUN: %clang_pydron -O2 -g -fassociative-math -fno-signed-zeros -fno-trapping-math -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s
#include <pydron.h>

PYDRON_SCHEDULE double dot(const double *a, const double *b, long n) {
  double sum = 0.0;
  // CHECK: fmuladd-reassoc.c:[[@LINE+1]]:3: remark: loop parallelized, 1 folded value
  for (long i = 0; i < n; i++)
    sum += a[i] * b[i];
  return sum;
}
