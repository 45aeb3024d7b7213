// Several inductions in one loop, pointer increments, counting down,
// strides: every induction starts each chunk at its value for the chunk's
// first iteration.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron -Rpass-analysis=pydron 2>&1 | FileCheck %s --implicit-check-not='remark: loop'
// RUN: %clang_plain -O2 -g -Xclang -disable-llvm-passes -S -emit-llvm %s -o %t.ll
// RUN: %opt_pydron -passes='pydron-prepare,function(sroa,early-cse,instcombine,simplifycfg,loop-simplify,loop-rotate,indvars),print<pydron>' -disable-output %t.ll | FileCheck %s --check-prefix=PRINT
#include <pydron.h>

PYDRON_FUNCTIONAL double f(double);
PYDRON_FUNCTIONAL void row_op(const double *in, double *out, int w) {
  for (int j = 0; j < w; j++)
    out[j] = in[j] + 1.0;
}

// for (i = 0, p = b; i < n; i++, p += n): a counter and a pointer.
PYDRON_SCHEDULE void counter_and_pointer(double *restrict a, const double *restrict b, int n) {
  int i;
  const double *p;
  // CHECK: inductions.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (i = 0, p = b; i < n; i++, p += n)
    a[i] = f(p[0]);
}
// PRINT-LABEL: in counter_and_pointer at
// PRINT: parallel, shippable
// PRINT-DAG: induction: 'i' start i{{32|64}} 0 step 1
// PRINT-DAG: induction: 'p' start ptr %{{.*}} step (8 * (sext i32 %{{.*}} to i64))

PYDRON_SCHEDULE void pointer_walk(double *a, double *end) {
  // CHECK: inductions.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (double *p = a; p != end; p++)
    *p = f(*p);
}
// PRINT-LABEL: in pointer_walk at
// PRINT: parallel, shippable
// PRINT: induction: 'p' start ptr %{{.*}} step 8

// Two pointers advanced by a row length, rows passed to a functional callee.
PYDRON_SCHEDULE void row_pointers(const double *restrict in, double *restrict out, int h, int w) {
  const double *ip = in;
  double *op = out;
  // CHECK: inductions.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'row_op'); shippable
  for (int i = 0; i < h; i++, ip += w, op += w)
    row_op(ip, op, w);
}
// PRINT-LABEL: in row_pointers at
// PRINT: parallel, shippable
// PRINT-DAG: induction: 'ip' start ptr %{{.*}} step (8 * (sext i32 %{{.*}} to i64))
// PRINT-DAG: induction: 'op' start ptr %{{.*}} step (8 * (sext i32 %{{.*}} to i64))

PYDRON_SCHEDULE void up_and_down(double *restrict a, int n) {
  // CHECK: inductions.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (int i = 0, j = n - 1; i < n; i++, j--)
    a[i] = f((double)j);
}
// PRINT-LABEL: in up_and_down at
// PRINT-DAG: induction: 'j' start {{.*}} step -1

PYDRON_SCHEDULE void count_down(double *a, int n) {
  // CHECK: inductions.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (int i = n - 1; i >= 0; i--)
    a[i] = f(a[i]);
}

PYDRON_SCHEDULE void step_three(double *a, int n) {
  // CHECK: inductions.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (int i = 0; i < n; i += 3)
    a[i] = f(a[i]);
}

PYDRON_SCHEDULE void not_equal(double *a, int n) {
  // CHECK: inductions.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (int i = 0; i != n; i++)
    a[i] = f(a[i]);
}

PYDRON_SCHEDULE void from_lo_to_hi(double *a, long lo, long hi) {
  // CHECK: inductions.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (long i = lo; i < hi; i++)
    a[i] = f(a[i]);
}

// An 8-bit counter wraps around: still an induction.
PYDRON_SCHEDULE void byte_counter(double *restrict a, const double *restrict table, int n) {
  unsigned char k = 0;
  // CHECK: inductions.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (int i = 0; i < n; i++, k++)
    a[i] = f(table[k]);
}
