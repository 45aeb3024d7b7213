// print<pydron>: the analysis, printed instead of remarks: per source loop
// the verdict, the trip count, inductions, folds, in-order values, private
// objects, accesses with their per-iteration footprints, run-time checks
// and the dependence evidence. Nothing is transformed.
// RUN: %clang_plain -O2 -g -Xclang -disable-llvm-passes -S -emit-llvm %s -o %t.ll
// RUN: %opt_pydron -passes='pydron-prepare,function(sroa,early-cse,instcombine,simplifycfg,loop-simplify,loop-rotate,indvars),print<pydron>' -S %t.ll -o %t.out.ll | FileCheck %s
// RUN: FileCheck %s --check-prefix=UNCHANGED < %t.out.ll
// UNCHANGED-NOT: pydron_parallel_for
// UNCHANGED-NOT: pydron.chunk
// UNCHANGED-NOT: llvm.global_ctors
#include <pydron.h>

PYDRON_FUNCTIONAL double f(double);

// CHECK: loop [[L1:[0-9]+]] in map at {{.*}}print-pydron.c:[[@LINE+4]]:3: parallel, shippable
// CHECK-NEXT: trip count: (zext i32 %{{[0-9]+}} to i64)
// CHECK-NEXT: induction: 'i' start i64 0 step 1
PYDRON_SCHEDULE void map(double *restrict out, const double *restrict in, int n) {
  for (int i = 0; i < n; i++)
    out[i] = f(in[i]);
}
// CHECK-NEXT: access: read of 'in' [{%[[IN:[0-9]+]],+,8}<{{.*}}>, {(8 + %[[IN]]),+,8}<{{.*}}>)
// CHECK-NEXT: access: write to 'out' [{%[[OUT:[0-9]+]],+,8}<{{.*}}>, {(8 + %[[OUT]]),+,8}<{{.*}}>)
// CHECK-NEXT: evidence: write to 'out' vs read of 'in': disjoint
// CHECK-NEXT: evidence: write to 'out' vs write to 'out': disjoint

// CHECK-NEXT: loop {{[0-9]+}} in sum at {{.*}}print-pydron.c:[[@LINE+4]]:3: parallel, shippable
// CHECK: fold: 's' op 1 type 4
PYDRON_SCHEDULE long sum(const long *a, long n) {
  long s = 0;
  for (long i = 0; i < n; i++)
    s += a[i];
  return s;
}

// CHECK: loop {{[0-9]+}} in ordered at {{.*}}print-pydron.c:[[@LINE+5]]:3: parallel, shippable
// CHECK: in order: 's'
// CHECK: chain: {{[0-9]+}} instructions, {{[0-9]+}} values per iteration
PYDRON_SCHEDULE double ordered(const double *a, long n) {
  double s = 0;
  for (long i = 0; i < n; i++)
    s += f(a[i]);
  return s;
}

// CHECK: loop [[SCR:[0-9]+]] in scratch at {{.*}}print-pydron.c:[[@LINE+4]]:3: parallel, shippable
// CHECK: private: 't'
// CHECK: loop {{[0-9]+}} in scratch at {{.*}}print-pydron.c:[[@LINE+4]]:5: inside parallel loop [[SCR]]
PYDRON_SCHEDULE void scratch(double *restrict out, int n, int m) {
  for (int i = 0; i < n; i++) {
    double t[64];
    for (int k = 0; k < m; k++)
      t[k] = f(k + i);
    out[i] = t[m - 1];
  }
}

// CHECK: loop {{[0-9]+}} in check at {{.*}}print-pydron.c:[[@LINE+4]]:3: parallel, shippable
// CHECK: run-time check: 'out' [{{.*}}) vs 'in' [{{.*}})
// CHECK: evidence: write to 'out' vs read of 'in': checked at run time
PYDRON_SCHEDULE void check(double *out, const double *in, int n) {
  for (int i = 0; i < n; i++)
    out[i] = f(in[i]);
}

// CHECK: loop {{[0-9]+}} in dependent at {{.*}}print-pydron.c:[[@LINE+3]]:3: not parallel: Dependence: write to 'a' and read of 'a' may touch the same bytes in different iterations at print-pydron.c:[[@LINE+4]]:14
// CHECK: evidence: write to 'a' and read of 'a' may touch the same bytes in different iterations
PYDRON_SCHEDULE void dependent(double *a, int n) {
  for (int i = 1; i < n; i++)
    a[i] = f(a[i - 1]);
}

// CHECK: loop {{[0-9]+}} in io at {{.*}}print-pydron.c:[[@LINE+3]]:3: not parallel: SyncPoint: call to 'opaque' is a sync point
void opaque(double);
PYDRON_SCHEDULE void io(const double *a, int n) {
  for (int i = 0; i < n; i++)
    opaque(a[i]);
}
