// Regression test (was a bug): pydron-prepare is not idempotent. Running it twice - e.g.
// opt -passes='pydron-prepare,default<O2>' with the plugin loaded, where
// default<O2> runs pydron-prepare again at PipelineStart, or LTO links with
// the plugin - adds a second pydron.loop.id to every loop and a second
// !pydron.loops entry. Loops are found under their first id, so every source
// loop gets a second verdict: "the optimizer fully unrolled it". Expected:
// one verdict per loop; a second pydron-prepare should keep existing tags.
// RUN: %clang_plain -O0 -g -Xclang -disable-O0-optnone -S -emit-llvm %s -o %t.ll
// RUN: %opt_pydron -passes='pydron-prepare,default<O2>' -disable-output -pass-remarks=pydron -pass-remarks-missed=pydron %t.ll 2>&1 | FileCheck %s --implicit-check-not='remark:'
// RUN: %opt_pydron -passes='pydron-prepare,pydron-prepare,print<pydron>' -disable-output %t.ll | FileCheck %s --check-prefix=PRINT --implicit-check-not='loop 2 '
#include <pydron.h>

PYDRON_FUNCTIONAL double f(double);

PYDRON_SCHEDULE void map(double *restrict a, const double *restrict b, int n) {
  // CHECK: remark: {{.*}}prepare-twice.c:[[@LINE+2]]:3: loop parallelized (calls 'f'); shippable
  // PRINT: loop {{[0-9]+}} in map at {{.*}}prepare-twice.c:[[@LINE+1]]:3:
  for (int i = 0; i < n; i++)
    a[i] = f(b[i]);
}
