// XFAIL: *
// BUG (quality): the outer loop of a 3-deep nest over a cube with a
// symbolic side n writes the disjoint slabs a[i*n*n .. (i+1)*n*n), but the
// plugin says "write to 'a' has an address that is not affine in the loop
// counter": bounding the middle loop's recurrence (step 8*n, of unknown
// sign) gives an smin/smax of its first and last values, which affineIn()
// does not accept. Only the middle loop is parallelized. Expected: the outer
// loop parallel (with at most a run-time check on n).
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron -Rpass-analysis=pydron 2>&1 | FileCheck %s
#include <pydron.h>

PYDRON_FUNCTIONAL double f(double);

PYDRON_SCHEDULE void cube(double *restrict a, const double *restrict b, long n) {
  // CHECK: xfail-outer-of-three.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f')
  for (long i = 0; i < n; i++)
    for (long j = 0; j < n; j++)
      for (long k = 0; k < n; k++)
        a[(i * n + j) * n + k] = f(b[(i * n + j) * n + k]);
}
