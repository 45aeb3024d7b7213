// A PYDRON_WRITES smaller than what the definition writes is a contract
// violation the plugin can see: a warning, and the larger footprint is
// used, so calls 8 doubles apart that each write 16 are not parallel.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s --implicit-check-not='remark: loop'
// CHECK: declared-footprint-checked.c:[[@LINE+11]]:3: remark: loop not parallelized: 'block' writing through argument 2 ('out') writes the same bytes in different iterations
// CHECK: declared-footprint-checked.c:[[@LINE+5]]:1: warning: functional function 'block' writes through parameter #2 outside the footprint its PYDRON_WRITES declares ({{.*}}it writes bytes [0, 128), declared [0, 64)); the plugin uses the larger footprint [-Wpass-failed=pydron]
#include <pydron.h>

PYDRON_FUNCTIONAL void block(const double *in, double *out)
    PYDRON_READS(#1, double, 8) PYDRON_WRITES(#2, double, 8);
void block(const double *in, double *out) {
  for (int k = 0; k < 16; k++)
    out[k] = in[k] + 1.0;
}
PYDRON_SCHEDULE void blocks(const double *restrict in, double *restrict out, int h) {
  for (int i = 0; i < h; i++)
    block(in + 8L * i, out + 8L * i);
}
