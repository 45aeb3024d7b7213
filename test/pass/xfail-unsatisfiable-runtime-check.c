// XFAIL: *
// BUG: loops whose iterations clearly depend on each other are reported as
// "loop parallelized ... with a run-time check that ... do not overlap
// between iterations". The run-time conditions the slot test makes up
// contradict each other (e.g. 8*m - 1 >= 0 and -8*m >= 0), so the parallel
// path can never run: at -O2 the optimizer even folds the check to false and
// deletes the call to pydron_parallel_for. The result is correct, but the
// verdict the user reads is wrong. These must be "not parallelized" with the
// dependence as the reason.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s --implicit-check-not='remark: loop parallelized'
#include <pydron.h>

PYDRON_FUNCTIONAL double f(double);

// Row i reads row i-1: a[i][j] = f(a[i-1][j]).
PYDRON_SCHEDULE void rows_depend(double *a, int n, int m) {
  // CHECK: xfail-unsatisfiable-runtime-check.c:[[@LINE+1]]:3: remark: loop not parallelized: write to 'a' and read of 'a' may touch the same bytes in different iterations
  for (int i = 1; i < n; i++)
    // CHECK: xfail-unsatisfiable-runtime-check.c:[[@LINE+1]]:5: remark: loop parallelized
    for (int j = 0; j < m; j++)
      a[(long)i * m + j] = f(a[(long)(i - 1) * m + j]);
}

// Gauss-Seidel sweep.
PYDRON_SCHEDULE void seidel(double *a, int n) {
  // CHECK: xfail-unsatisfiable-runtime-check.c:[[@LINE+1]]:3: remark: loop not parallelized:
  for (int i = 1; i < n; i++)
    for (int j = 1; j < n; j++)
      a[i * n + j] = f(a[i * n + j - 1] + a[(i - 1) * n + j]);
}

PYDRON_FUNCTIONAL void row_op(const double *in, double *out, int w) {
  for (int j = 0; j < w; j++)
    out[j] = in[j] * 0.5 + 1.0;
}

// Each call writes the row the next call reads.
PYDRON_SCHEDULE void shift_rows(double *a, int h, int w) {
  // CHECK: xfail-unsatisfiable-runtime-check.c:[[@LINE+1]]:3: remark: loop not parallelized:
  for (int i = 0; i < h; i++)
    row_op(a + (long)i * w, a + (long)(i + 1) * w, w);
}

// The callee writes 2*w elements, the rows are w apart: consecutive calls
// overlap.
PYDRON_FUNCTIONAL void widen(const double *in, double *out, int n)
    PYDRON_READS(#1, double, #3) PYDRON_WRITES(#2, double, 2 * #3);
void widen(const double *in, double *out, int n) {
  for (int k = 0; k < n; k++) {
    out[2 * k] = in[k];
    out[2 * k + 1] = -in[k];
  }
}

PYDRON_SCHEDULE void widen_rows(const double *restrict in, double *restrict out,
                                int h, int w) {
  // CHECK: xfail-unsatisfiable-runtime-check.c:[[@LINE+1]]:3: remark: loop not parallelized: 'widen' writing through argument 2 ('out') writes the same bytes in different iterations
  for (int i = 0; i < h; i++)
    widen(in + (long)i * w, out + (long)i * w, w);
}

// Same with the rows only w/2 apart.
PYDRON_SCHEDULE void half_stride(const double *restrict in, double *restrict out,
                                 int h, int w) {
  // CHECK: xfail-unsatisfiable-runtime-check.c:[[@LINE+1]]:3: remark: loop not parallelized:
  for (int i = 0; i < h; i++)
    row_op(in + (long)i * w, out + (long)i * (w / 2), w);
}
