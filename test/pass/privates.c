// Objects whose lifetime is one iteration are private to the chunk:
// scratch arrays declared in the body (fixed size or VLA), struct
// arguments and results passed by value, malloc/free pairs inside one
// iteration. Memory that outlives the iteration is not.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron -Rpass-analysis=pydron 2>&1 | FileCheck %s --implicit-check-not='remark: loop'
// RUN: %clang_plain -O2 -g -Xclang -disable-llvm-passes -S -emit-llvm %s -o %t.ll
// RUN: %opt_pydron -passes='pydron-prepare,function(sroa,early-cse,instcombine,simplifycfg,loop-simplify,loop-rotate,indvars),print<pydron>' -disable-output %t.ll | FileCheck %s --check-prefix=PRINT
#include <pydron.h>
#include <stdlib.h>

PYDRON_FUNCTIONAL double f(double);

typedef struct {
  double x, y, z;
} vec3;
typedef struct {
  double m[8];
} block;

PYDRON_FUNCTIONAL vec3 scale3(vec3 v, double s) {
  vec3 r = {v.x * s, v.y * s, v.z * s};
  return r;
}
PYDRON_FUNCTIONAL block twice(block b) {
  for (int k = 0; k < 8; k++)
    b.m[k] *= 2.0;
  return b;
}

double *escaped;

PYDRON_SCHEDULE void scratch(double *restrict out, const double *restrict in, int n, int m) {
  // CHECK: privates.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (int i = 0; i < n; i++) {
    double tmp[64];
    // CHECK: privates.c:[[@LINE+1]]:5: remark: loop runs inside the chunks of the parallel loop
    for (int k = 0; k < m; k++)
      tmp[k] = f(in[(long)i * m + k]);
    double s = 0;
    // CHECK: privates.c:[[@LINE+1]]:5: remark: loop runs inside the chunks of the parallel loop
    for (int k = 0; k < m; k++)
      s += tmp[m - 1 - k] * k;
    out[i] = s;
  }
}
// PRINT-LABEL: in scratch at
// PRINT-SAME: : parallel
// PRINT: private: 'tmp'

PYDRON_SCHEDULE void variable_length(double *restrict out, int n, int m) {
  // CHECK: privates.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (int i = 0; i < n; i++) {
    double t[m];
    // CHECK: privates.c:[[@LINE+1]]:5: remark: loop runs inside the chunks of the parallel loop
    for (int k = 0; k < m; k++)
      t[k] = f(k + i);
    out[i] = t[m - 1];
  }
}

PYDRON_SCHEDULE void structs(vec3 *restrict out, const vec3 *restrict in, int n) {
  // CHECK: privates.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'scale3'); shippable
  for (int i = 0; i < n; i++)
    out[i] = scale3(in[i], 2.0);
}

// A struct too big for registers: byval argument and sret result.
PYDRON_SCHEDULE void big_structs(block *restrict out, const block *restrict in, int n) {
  // CHECK: privates.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'twice'); shippable
  for (int i = 0; i < n; i++)
    out[i] = twice(in[i]);
}

PYDRON_SCHEDULE void malloc_free(double *restrict out, const double *restrict in, int n, int m) {
  // CHECK: privates.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (int i = 0; i < n; i++) {
    double *t = malloc(m * sizeof(double));
    // CHECK: privates.c:[[@LINE+1]]:5: remark: loop runs inside the chunks of the parallel loop
    for (int k = 0; k < m; k++)
      t[k] = f(in[k] + i);
    double s = 0;
    // CHECK: privates.c:[[@LINE+1]]:5: remark: loop runs inside the chunks of the parallel loop
    for (int k = 0; k < m; k++)
      s += t[k];
    out[i] = s;
    free(t);
  }
}

PYDRON_SCHEDULE void malloc_kept(double **restrict out, int n) {
  // CHECK: privates.c:[[@LINE+1]]:3: remark: loop not parallelized: call to 'malloc' allocates memory that outlives the iteration (only malloc/free pairs inside one iteration are private) at privates.c:[[@LINE+2]]:17
  for (int i = 0; i < n; i++) {
    double *t = malloc(8 * sizeof(double));
    t[0] = f(i);
    out[i] = t;
  }
}

PYDRON_SCHEDULE void free_outside(double **restrict ptrs, int n) {
  // CHECK: privates.c:[[@LINE+1]]:3: remark: loop not parallelized: call to 'free' releases memory allocated outside the iteration at privates.c:[[@LINE+2]]:5
  for (int i = 0; i < n; i++)
    free(ptrs[i]);
}

// Declared before the loop: shared by all iterations.
PYDRON_SCHEDULE void scratch_outside(double *restrict out, const double *restrict in, int n, int m) {
  double tmp[64];
  // CHECK: privates.c:[[@LINE+1]]:3: remark: loop not parallelized: write to 'tmp' writes the same bytes in different iterations
  for (int i = 0; i < n; i++) {
    // CHECK: privates.c:[[@LINE+1]]:5: remark: loop parallelized (calls 'f'); shippable
    for (int k = 0; k < m; k++)
      tmp[k] = f(in[(long)i * m + k]);
    double s = 0;
    // CHECK: privates.c:[[@LINE+1]]:5: remark: loop parallelized
    for (int k = 0; k < m; k++)
      s += tmp[m - 1 - k] * k;
    out[i] = s;
  }
}

// Its address escapes: not private.
PYDRON_SCHEDULE void scratch_escapes(double *restrict out, const double *restrict in, int n, int m) {
  // CHECK: privates.c:[[@LINE+1]]:3: remark: loop not parallelized:
  for (int i = 0; i < n; i++) {
    double tmp[64];
    escaped = tmp;
    // CHECK: privates.c:[[@LINE+1]]:5: remark: loop parallelized
    for (int k = 0; k < m; k++)
      tmp[k] = f(in[(long)i * m + k]);
    out[i] = tmp[m - 1];
  }
}
