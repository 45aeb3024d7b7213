// PYDRON_READS / PYDRON_WRITES on a prototype whose definition comes later
// in the file: by position (#1) and, with -g, by name; counts that are a
// constant, a parameter, or a product. The declared extents replace what the
// plugin infers from the definition.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s --implicit-check-not='remark: loop' --implicit-check-not=warning:
// pydron-cc keeps parameter names, so names work without -g.
// RUN: %pydron_cc -O2 -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s --implicit-check-not='remark: loop' --implicit-check-not=warning:
// RUN: %clang_plain -O2 -g -Xclang -disable-llvm-passes -S -emit-llvm %s -o %t.ll
// RUN: %opt_pydron -passes='pydron-prepare,function(sroa,instcombine,simplifycfg,loop-simplify,loop-rotate,indvars),print<pydron>' -disable-output %t.ll | FileCheck %s --check-prefix=PRINT
#include <pydron.h>

PYDRON_FUNCTIONAL void block16(const double *in, double *out)
    PYDRON_READS(#1, double, 16) PYDRON_WRITES(#2, double, 16);
PYDRON_FUNCTIONAL void scale_row(const double *in, double *out, int n)
    PYDRON_READS(in, double, n) PYDRON_WRITES(out, double, n);
PYDRON_FUNCTIONAL void tile(const double *in, double *out, int r, int c)
    PYDRON_READS(#1, double, #3 * #4) PYDRON_WRITES(#2, double, r * c);
PYDRON_FUNCTIONAL void rgb_to_gray(const unsigned char *rgb, float *gray, int w)
    PYDRON_READS(#1, unsigned char, w * 3) PYDRON_WRITES(#2, float, w);

PYDRON_SCHEDULE void blocks(const double *restrict in, double *restrict out, int h) {
  // CHECK: declared-extents.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'block16'); shippable
  for (int i = 0; i < h; i++)
    block16(in + 16L * i, out + 16L * i);
}
// PRINT: in blocks at {{.*}}: parallel, shippable
// PRINT: access: 'block16' reading through argument 1 ('in') [{%{{.*}},+,128}<{{.*}}>, {(128 + %{{.*}}),+,128}
// PRINT: access: 'block16' writing through argument 2 ('out') [{%{{.*}},+,128}<{{.*}}>, {(128 + %{{.*}}),+,128}

// Without restrict: a run-time check that the two arrays do not overlap.
PYDRON_SCHEDULE void blocks_may_alias(const double *in, double *out, int h) {
  // CHECK: declared-extents.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'block16'); shippable; with a run-time check that 'in' and 'out' do not overlap (restrict on the pointer parameters would remove it)
  for (int i = 0; i < h; i++)
    block16(in + 16L * i, out + 16L * i);
}

PYDRON_SCHEDULE void rows(const double *restrict in, double *restrict out, int h, int w) {
  // CHECK: declared-extents.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'scale_row'); shippable
  for (int i = 0; i < h; i++)
    scale_row(in + (long)i * w, out + (long)i * w, w);
}

PYDRON_SCHEDULE void tiles(const double *restrict in, double *restrict out, int k, int r, int c) {
  // CHECK: declared-extents.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'tile'); shippable
  for (int i = 0; i < k; i++)
    tile(in + (long)i * r * c, out + (long)i * r * c, r, c);
}

PYDRON_SCHEDULE void image(const unsigned char *restrict rgb, float *restrict gray, long h, int w) {
  // CHECK: declared-extents.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'rgb_to_gray'); shippable
  for (long i = 0; i < h; i++)
    rgb_to_gray(rgb + i * w * 3, gray + i * w, w);
}

// Blocks 8 apart, 16 written: they overlap.
PYDRON_SCHEDULE void overlapping_blocks(const double *restrict in, double *restrict out, int h) {
  // CHECK: declared-extents.c:[[@LINE+1]]:3: remark: loop not parallelized: 'block16' writing through argument 2 ('out') writes the same bytes in different iterations
  for (int i = 0; i < h; i++)
    block16(in + 8L * i, out + 8L * i);
}

void block16(const double *in, double *out) {
  for (int k = 0; k < 16; k++)
    out[k] = in[k] + 1.0;
}
void scale_row(const double *in, double *out, int n) {
  for (int k = 0; k < n; k++)
    out[k] = in[k] * 2.0;
}
void tile(const double *in, double *out, int r, int c) {
  for (int k = 0; k < r * c; k++)
    out[k] = in[k] * 3.0;
}
void rgb_to_gray(const unsigned char *rgb, float *gray, int w) {
  for (int k = 0; k < w; k++)
    gray[k] = 0.299f * rgb[3 * k] + 0.587f * rgb[3 * k + 1] + 0.114f * rgb[3 * k + 2];
}
