// When the optimizer makes several versions of a source loop (here loop
// unswitching at -O3), every version is analyzed and outlined, and the one
// remark says so.
// RUN: %clang_pydron -O3 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s --implicit-check-not='remark: loop'
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s --check-prefix=O2 --implicit-check-not='remark: loop'
// RUN: %clang_pydron -O3 -S -emit-llvm %s -o - | FileCheck %s --check-prefix=IR
#include <pydron.h>

PYDRON_FUNCTIONAL double f(double);

PYDRON_SCHEDULE void unswitched(double *restrict a, const double *restrict b, int n, int mode) {
  // CHECK: loop-versions.c:[[@LINE+2]]:3: remark: loop parallelized (calls 'f'); shippable (the optimizer made 2 versions of this loop)
  // O2: loop-versions.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable{{$| \[}}
  for (int i = 0; i < n; i++) {
    if (mode)
      a[i] = f(b[i]);
    else
      a[i] = f(b[i]) + 1.0;
  }
}
// IR-LABEL: define {{.*}}void @unswitched(
// IR: call i32 @pydron_parallel_for(ptr nonnull @pydron.loop.[[A:[0-9.]+]],
// IR: call i32 @pydron_parallel_for(ptr nonnull @pydron.loop.[[B:[0-9.]+]],
// IR: define internal void @unswitched.pydron.chunk.
// IR: define internal void @unswitched.pydron.chunk.
