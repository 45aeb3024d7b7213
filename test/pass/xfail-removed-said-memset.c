// XFAIL: *
// BUG: when a schedule function has a loop the optimizer deleted and another
// loop it replaced by memset, both are reported as "replaced by
// memset/memcpy": the plugin only compares the number of memory intrinsics
// in the whole function before and after, not which loop a new memset came
// from. The dead loop should say "removed". Conversely, a loop of memcpy
// calls that loop-idiom merges into one memmove keeps the count unchanged
// and is reported as "removed" instead of "replaced by memset/memcpy".
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass-missed=pydron 2>&1 | FileCheck %s
#include <pydron.h>

PYDRON_SCHEDULE int two_loops(double *a, const int *b, int n) {
  int s = 0;
  // CHECK: xfail-removed-said-memset.c:[[@LINE+1]]:3: remark: loop not parallelized: the optimizer removed it
  for (int i = 0; i < n; i++)
    s += b[i];
  // CHECK: xfail-removed-said-memset.c:[[@LINE+1]]:3: remark: loop not parallelized: the optimizer replaced it by memset/memcpy
  for (int i = 0; i < n; i++)
    a[i] = 0.0;
  return 0;
}

PYDRON_SCHEDULE void shift_blocks(double *restrict out, int h) {
  // CHECK: xfail-removed-said-memset.c:[[@LINE+1]]:3: remark: loop not parallelized: the optimizer replaced it by memset/memcpy
  for (int i = 0; i < h; i++)
    __builtin_memcpy(out + 8L * i, out + 8L * i + 8, 8 * sizeof(double));
}
