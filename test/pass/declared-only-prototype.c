// Regression test (was a bug): a PYDRON_FUNCTIONAL prototype whose definition is in another file,
// with PYDRON_READS on its input and PYDRON_WRITES on its output (the very
// example of pydron.h and DESIGN.md), is not parallelized:
//   call to PYDRON_FUNCTIONAL 'calibrate_row' is a sync point: its writes
//   through argument 1 have no known footprint (may write through parameter
//   #1 and no PYDRON_WRITES says how much; ...)
// CalleeSummary treats every pointer parameter of a declaration without
// PYDRON_WRITES as possibly written, unless the IR marks it readonly, and a
// C `const` does not. A parameter with PYDRON_READS and no PYDRON_WRITES
// should count as read-only (or the remark should say how to declare that).
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s
#include <pydron.h>

PYDRON_FUNCTIONAL void calibrate_row(const float *raw, const float *dark,
                                     float *out, int w)
    PYDRON_READS(#1, float, #4) PYDRON_READS(#2, float, #4)
    PYDRON_WRITES(#3, float, #4);

PYDRON_FUNCTIONAL void block(const double *in, double *out)
    PYDRON_READS(#1, double, 16) PYDRON_WRITES(#2, double, 16);

PYDRON_SCHEDULE void calibration_pipeline(const float *restrict raw,
                                          const float *restrict dark,
                                          float *restrict out, int rows, int w) {
  // CHECK: declared-only-prototype.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'calibrate_row')
  for (int i = 0; i < rows; i++)
    calibrate_row(raw + (long)i * w, dark, out + (long)i * w, w);
}

PYDRON_SCHEDULE void blocks(const double *restrict in, double *restrict out, int h) {
  // CHECK: declared-only-prototype.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'block'); shippable
  for (int i = 0; i < h; i++)
    block(in + 16L * i, out + 16L * i);
}
