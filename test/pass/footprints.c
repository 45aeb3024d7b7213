// Footprints: what one iteration touches, as a function of the iteration.
// Unit stride, strides, 2-D rows and columns, rows passed to functional
// callees (also through a callee calling a callee), memset/memcpy in the
// body, a narrow index (coeff[i % 16]) and a byte-sized index.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron -Rpass-analysis=pydron 2>&1 | FileCheck %s --implicit-check-not='remark: loop'
// RUN: %clang_plain -O2 -g -Xclang -disable-llvm-passes -S -emit-llvm %s -o %t.ll
// RUN: %opt_pydron -passes='pydron-prepare,function(sroa,early-cse,instcombine,simplifycfg,loop-simplify,loop-rotate,indvars),print<pydron>' -disable-output %t.ll | FileCheck %s --check-prefix=PRINT
#include <pydron.h>
#include <string.h>

PYDRON_FUNCTIONAL double f(double);
PYDRON_FUNCTIONAL void row(const double *in, double *out, int w) {
  for (int j = 0; j < w; j++)
    out[j] = in[j] * 2.0;
}
PYDRON_FUNCTIONAL void two_rows(const double *in, double *out, int w) {
  row(in, out, w);
  row(in + w, out + w, w);
}

PYDRON_SCHEDULE void unit_stride(double *restrict a, const double *restrict b, long n) {
  // CHECK: footprints.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (long i = 0; i < n; i++)
    a[i] = f(b[i]);
}
// PRINT-LABEL: in unit_stride at
// PRINT: access: read of 'b' [{%[[B:[0-9]+]],+,8}<{{.*}}>, {(8 + %[[B]]),+,8}<{{.*}}>)
// PRINT: access: write to 'a' [{%[[A:[0-9]+]],+,8}<{{.*}}>, {(8 + %[[A]]),+,8}<{{.*}}>)

PYDRON_SCHEDULE void stride_two(double *a, long n) {
  // CHECK: footprints.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (long i = 0; i < n; i++)
    a[2 * i] = f(a[2 * i + 1]);
}
// PRINT-LABEL: in stride_two at
// PRINT: access: read of 'a' [{(8 + %[[A:[0-9]+]]),+,16}<{{.*}}>, {(16 + %[[A]]),+,16}<{{.*}}>)
// PRINT: access: write to 'a' [{%[[A]],+,16}<{{.*}}>, {(8 + %[[A]]),+,16}<{{.*}}>)
// PRINT: evidence: write to 'a' vs read of 'a': disjoint

// The outer loop over rows: each iteration writes one row.
PYDRON_SCHEDULE void rows(double *restrict out, const double *restrict in, long h, long w) {
  // CHECK: footprints.c:[[@LINE+2]]:3: remark: loop parallelized (calls 'f'); shippable
  // CHECK: footprints.c:[[@LINE+2]]:5: remark: loop runs inside the chunks of the parallel loop
  for (long i = 0; i < h; i++)
    for (long j = 0; j < w; j++)
      out[i * w + j] = f(in[i * w + j]);
}

// The outer loop over columns: column j writes out[i*w + j] for every i.
// Different columns never meet, though their hulls overlap.
PYDRON_SCHEDULE void columns(double *restrict out, const double *restrict in, long h, long w) {
  // CHECK: footprints.c:[[@LINE+2]]:3: remark: loop parallelized (calls 'f'); shippable
  // CHECK: footprints.c:[[@LINE+2]]:5: remark: loop runs inside the chunks of the parallel loop
  for (long j = 0; j < w; j++)
    for (long i = 0; i < h; i++)
      out[i * w + j] = f(in[i * w + j]);
}

PYDRON_SCHEDULE void columns_int(double *restrict out, const double *restrict in, int h, int w) {
  // CHECK: footprints.c:[[@LINE+2]]:3: remark: loop parallelized (calls 'f'); shippable
  // CHECK: footprints.c:[[@LINE+2]]:5: remark: loop runs inside the chunks of the parallel loop
  for (int j = 0; j < w; j++)
    for (int i = 0; i < h; i++)
      out[i * w + j] = f(in[i * w + j]);
}

// In place, down each column: still one column per iteration.
PYDRON_SCHEDULE void columns_in_place(double *out, long h, long w) {
  // CHECK: footprints.c:[[@LINE+2]]:3: remark: loop parallelized (calls 'f'); shippable
  // CHECK: footprints.c:[[@LINE+2]]:5: remark: loop runs inside the chunks of the parallel loop
  for (long j = 0; j < w; j++)
    for (long i = 1; i < h; i++)
      out[i * w + j] = f(out[(i - 1) * w + j]);
}

// Column j reads column j + 1, which iteration j + 1 writes.
PYDRON_SCHEDULE void columns_neighbour(double *out, long h, long w) {
  // CHECK: footprints.c:[[@LINE+2]]:3: remark: loop not parallelized:
  // CHECK: footprints.c:[[@LINE+2]]:5: remark: loop parallelized (calls 'f')
  for (long j = 0; j + 1 < w; j++)
    for (long i = 0; i < h; i++)
      out[i * w + j] = f(out[i * w + j + 1]);
}

// The column count is not the row length: parallel only when n <= w,
// checked at run time.
PYDRON_SCHEDULE void columns_unrelated(double *restrict out, const double *restrict in, long n, long h, long w) {
  // CHECK: footprints.c:[[@LINE+2]]:3: remark: loop parallelized (calls 'f'); shippable; with a run-time check that write to 'out' keep to their own columns
  // CHECK: footprints.c:[[@LINE+2]]:5: remark: loop runs inside the chunks of the parallel loop
  for (long j = 0; j < n; j++)
    for (long i = 0; i < h; i++)
      out[i * w + j] = f(in[j]) + i;
}
// PRINT-LABEL: in columns_unrelated at
// PRINT: run-time condition: {{.*}} >= 0 (write to 'out' keep to their own columns)

// Rows passed to a functional callee: its footprint is inferred from its
// definition.
PYDRON_SCHEDULE void callee_rows(const double *restrict in, double *restrict out, int h, int w) {
  // CHECK: footprints.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'row'); shippable
  for (int i = 0; i < h; i++)
    row(in + (long)i * w, out + (long)i * w, w);
}
// PRINT-LABEL: in callee_rows at
// PRINT: access: 'row' reading through argument 1 ('in')
// PRINT: access: 'row' writing through argument 2 ('out')

// A callee calling a functional callee twice: two rows per call.
PYDRON_SCHEDULE void callee_of_callee(const double *restrict in, double *restrict out, int h, int w) {
  // CHECK: footprints.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'two_rows'); shippable
  for (int i = 0; i < h; i++)
    two_rows(in + 2L * i * w, out + 2L * i * w, w);
}

// Two rows of 8 written per call, calls 8 apart: they overlap.
PYDRON_SCHEDULE void callee_of_callee_overlap(const double *restrict in, double *restrict out, int h) {
  // CHECK: footprints.c:[[@LINE+1]]:3: remark: loop not parallelized: 'two_rows' writing through argument 2 ('out') writes the same bytes in different iterations
  for (int i = 0; i < h; i++)
    two_rows(in + 16L * i, out + 8L * i, 8);
}
// PRINT-LABEL: in callee_of_callee_overlap at
// PRINT: access: 'two_rows' writing through argument 2 ('out') [{%[[O:[0-9]+]],+,64}<{{.*}}>, {(128 + %[[O]]),+,64}<{{.*}}>)

// Constant blocks: 16 doubles per call, 16 apart.
PYDRON_SCHEDULE void callee_blocks(const double *restrict in, double *restrict out, int h) {
  // CHECK: footprints.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'row'); shippable{{$| \[}}
  for (int i = 0; i < h; i++)
    row(in + 16L * i, out + 16L * i, 16);
}

PYDRON_SCHEDULE void memset_rows(double *restrict out, int h, int w) {
  // CHECK: footprints.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (int i = 0; i < h; i++) {
    memset(out + (long)i * w, 0, w * sizeof(double));
    out[(long)i * w] = f(i);
  }
}
// PRINT-LABEL: in memset_rows at
// PRINT: access: memset of 'out'

PYDRON_SCHEDULE void memcpy_rows(double *restrict out, const double *restrict in, int h, int w) {
  // CHECK: footprints.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (int i = 0; i < h; i++) {
    memcpy(out + (long)i * w, in + (long)i * w, w * sizeof(double));
    out[(long)i * w] = f(out[(long)i * w]);
  }
}
// PRINT-LABEL: in memcpy_rows at
// PRINT-DAG: access: memcpy of 'out'
// PRINT-DAG: access: memcpy from 'in'

PYDRON_SCHEDULE void memcpy_blocks_overlap(double *restrict out, const double *restrict in, int h) {
  // CHECK: footprints.c:[[@LINE+1]]:3: remark: loop not parallelized: memcpy of 'out' writes the same bytes in different iterations
  for (int i = 0; i < h; i++) {
    memcpy(out + 8L * i, in + 16L * i, 16 * sizeof(double));
    out[8L * i] = f(out[8L * i]);
  }
}

// A byte-sized index reads at most 256 elements.
PYDRON_SCHEDULE void byte_index(double *out, const unsigned char *k, const double *c, long n) {
  // CHECK: footprints.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable; with a run-time check that
  for (long i = 0; i < n; i++)
    out[i] = f(c[k[i]]);
}
// PRINT-LABEL: in byte_index at
// PRINT: run-time check: 'out' [%[[O:[0-9]+]], ({{.*}} + %[[O]])) vs 'c' [%[[C:[0-9]+]], (2048 + %[[C]]))
