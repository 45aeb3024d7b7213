// Regression test (was a bug): coeff[i % 16] (or coeff[i & 15]) reads coeff[0..15] in every chunk.
// DESIGN.md §3: "A narrow zero-extended index such as coeff[i % 16] takes its
// footprint from the SCEV's unsigned range." Since the widened-index change
// (widenExtensions) the plugin rewrites zext(i4 {0,+,1}) into the wide
// recurrence {0,+,1} and records the condition n - 1 <= 15:
//  - with restrict, no condition is kept and print<pydron> shows the
//    per-iteration footprint [c + 8*i, c + 8*i + 8): a chunk [lo, hi) with
//    lo >= 16 would be shipped c[lo..hi) instead of c[0..15];
//  - without restrict the condition "the index arithmetic of read of 'c'
//    does not overflow" (n <= 16) guards the parallel path, so the loop only
//    ever runs in parallel for n <= 16, i.e. practically never.
// Expected: the footprint [c, c + 128) in every iteration, no condition.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: %clang_plain -O2 -g -Xclang -disable-llvm-passes -S -emit-llvm %s -o %t.ll
// RUN: %opt_pydron -passes='pydron-prepare,function(sroa,early-cse,instcombine,simplifycfg,loop-simplify,loop-rotate,indvars),print<pydron>' -disable-output %t.ll | FileCheck %s --check-prefix=PRINT
#include <pydron.h>

PYDRON_FUNCTIONAL double f(double);

PYDRON_SCHEDULE void coeff_restrict(double *restrict out, const double *restrict in,
                                    const double *restrict c, int n) {
  for (int i = 0; i < n; i++)
    out[i] = f(in[i] * c[i % 16]);
}
// PRINT-LABEL: in coeff_restrict at
// PRINT: access: read of 'c' [%[[C:[0-9]+]], (128 + %[[C]]))

PYDRON_SCHEDULE void coeff(double *out, const double *in, const double *c, long n) {
  // REMARK: narrow-index-footprint.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable; with a run-time check that 'in' and 'out', 'c' and 'out' do not overlap (restrict on the pointer parameters would remove it) [-Rpass=pydron]
  for (long i = 0; i < n; i++)
    out[i] = f(in[i] * c[i & 15]);
}
// PRINT-LABEL: in coeff at
// PRINT-NOT: run-time condition
// PRINT: run-time check: 'out' {{.*}} vs 'c' [%[[C:[0-9]+]], (128 + %[[C]]))
