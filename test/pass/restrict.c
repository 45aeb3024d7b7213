// Pointer parameters without restrict may overlap: the parallel path is
// guarded by a run-time check on the footprints, with the sequential loop
// as the fallback. restrict removes the check.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s --implicit-check-not='remark: loop'
// RUN: %clang_pydron -O2 -S -emit-llvm %s -o - | FileCheck %s --check-prefix=IR
// RUN: %clang_plain -O2 -g -Xclang -disable-llvm-passes -S -emit-llvm %s -o %t.ll
// RUN: %opt_pydron -passes='pydron-prepare,function(sroa,early-cse,instcombine,simplifycfg,loop-simplify,loop-rotate,indvars),print<pydron>' -disable-output %t.ll | FileCheck %s --check-prefix=PRINT
#include <pydron.h>

PYDRON_FUNCTIONAL double f(double);

PYDRON_SCHEDULE void may_overlap(double *out, const double *in, int n) {
  // CHECK: restrict.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable; with a run-time check that {{'in' and 'out'|'out' and 'in'}} do not overlap (restrict on the pointer parameters would remove it)
  for (int i = 0; i < n; i++)
    out[i] = f(in[i]);
}
// PRINT-LABEL: in may_overlap at
// PRINT: run-time check: 'out' [%[[OUT:[0-9]+]], ({{.*}} + %[[OUT]])) vs 'in' [%[[IN:[0-9]+]], ({{.*}} + %[[IN]]))
// PRINT: evidence: write to 'out' vs read of 'in': checked at run time

// The check compares the two byte ranges and falls back to the loop.
// IR-LABEL: define {{.*}}void @may_overlap(
// IR-DAG: icmp ule ptr
// IR-DAG: icmp ule ptr
// IR: br i1 %{{.*}}, label %[[DISPATCH:[0-9]+]], label %[[SEQ:[0-9]+]]
// IR: call i32 @pydron_parallel_for(
// IR-LABEL: define {{.*}}void @no_overlap(
// IR-NOT: icmp ule ptr
// IR: call i32 @pydron_parallel_for(
// IR-LABEL: define {{.*}}void @three(

PYDRON_SCHEDULE void no_overlap(double *restrict out, const double *restrict in, int n) {
  // CHECK: restrict.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable{{$| \[}}
  for (int i = 0; i < n; i++)
    out[i] = f(in[i]);
}
// PRINT-LABEL: in no_overlap at
// PRINT-NOT: run-time check
// PRINT: evidence: write to 'out' vs read of 'in': disjoint

PYDRON_SCHEDULE void three(double *out, const double *a, const double *b, int n) {
  // CHECK: restrict.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable; with a run-time check that {{'a' and 'out', 'b' and 'out'|'out' and 'a', 'out' and 'b'}} do not overlap
  for (int i = 0; i < n; i++)
    out[i] = f(a[i]) + b[i];
}

// Only the written pointer needs restrict for the check to go.
PYDRON_SCHEDULE void out_restrict(double *restrict out, const double *a, const double *b, int n) {
  // CHECK: restrict.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable{{$| \[}}
  for (int i = 0; i < n; i++)
    out[i] = f(a[i]) + b[i];
}

// Two outputs.
PYDRON_SCHEDULE void two_outputs(double *x, double *y, const double *in, int n) {
  // CHECK: restrict.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable; with a run-time check that
  for (int i = 0; i < n; i++) {
    x[i] = f(in[i]);
    y[i] = f(in[i] + 1.0);
  }
}

// Reads and writes of the same parameter at different places of the
// same array need no check.
PYDRON_SCHEDULE void same_array(double *a, int n) {
  // CHECK: restrict.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable{{$| \[}}
  for (int i = 0; i < n; i++)
    a[i] = f(a[n + i]);
}
