// Regression test (was a bug): when the optimizer made two versions of a source loop, both are
// outlined with their own descriptor (@pydron.loop.1 and @pydron.loop.1.7),
// but Outliner::run fetches the descriptor back by name
// (getNamedGlobal("pydron.loop." + Tag)), so the registration table lists
// @pydron.loop.1 twice and the second version's descriptor is never
// registered. Both descriptors also carry the same loop identity string
// ("file#hash:1"): a remote worker looking the loop up by id would run the
// wrong chunk function with the wrong env layout. Expected: both
// descriptors in the table, with distinct identities.
// RUN: %clang_pydron -O3 -S -emit-llvm %s -o %t.ll
// RUN: FileCheck %s < %t.ll
// The ids the descriptors point to are all different:
// RUN: grep -o '^@pydron.loop[.0-9]* = private constant %%pydron.loop { i32 [0-9]*, i32 [0-9]*, ptr @pydron.id[.0-9]*' %t.ll | sed 's/.*ptr //' | sort | uniq -d | count 0
// CHECK: @pydron.loop.[[A:[0-9]+]] = private constant %pydron.loop
// CHECK: @pydron.loop.[[B:[0-9]+\.[0-9]+]] = private constant %pydron.loop
// CHECK: @pydron.loops.table = private constant [2 x ptr] [ptr @pydron.loop.[[A]], ptr @pydron.loop.[[B]]]
#include <pydron.h>

PYDRON_FUNCTIONAL double f(double);

PYDRON_SCHEDULE void unswitched(double *restrict a, const double *restrict b, int n, int mode) {
  for (int i = 0; i < n; i++) {
    if (mode)
      a[i] = f(b[i]);
    else
      a[i] = f(b[i]) + 1.0;
  }
}
