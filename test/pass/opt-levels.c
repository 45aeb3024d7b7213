// The plugin runs at every optimization level from -O1 up, through clang
// and through opt's default pipelines.
// RUN: %clang_pydron -O1 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s --implicit-check-not='remark: loop'
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s --implicit-check-not='remark: loop'
// RUN: %clang_pydron -O3 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s --implicit-check-not='remark: loop'
// RUN: %clang_pydron -Os -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s --implicit-check-not='remark: loop'
// RUN: %clang_plain -O0 -g -Xclang -disable-O0-optnone -S -emit-llvm %s -o %t.ll
// RUN: %opt_pydron -passes='default<O1>' -disable-output -pass-remarks=pydron -pass-remarks-missed=pydron %t.ll 2>&1 | FileCheck %s --check-prefix=OPT
// RUN: %opt_pydron -passes='default<O3>' -disable-output -pass-remarks=pydron -pass-remarks-missed=pydron %t.ll 2>&1 | FileCheck %s --check-prefix=OPT
// At -Oz loops are not rotated, and the plugin says so.
// RUN: %clang_pydron -Oz -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s --check-prefix=OZ --implicit-check-not='remark: loop'
#include <pydron.h>

PYDRON_FUNCTIONAL double f(double);

PYDRON_SCHEDULE void map(double *restrict out, const double *restrict in, long n) {
  // CHECK: opt-levels.c:[[@LINE+3]]:3: remark: loop parallelized (calls 'f'); shippable
  // OPT: remark: {{.*}}opt-levels.c:[[@LINE+2]]:3: loop parallelized (calls 'f'); shippable
  // OZ: opt-levels.c:[[@LINE+1]]:3: remark: loop not parallelized: the loop's exit test is not at its end (the optimizer did not rotate it)
  for (long i = 0; i < n; i++)
    out[i] = f(in[i]);
}

PYDRON_SCHEDULE void dependent(double *a, long n) {
  // CHECK: opt-levels.c:[[@LINE+3]]:3: remark: loop not parallelized: write to 'a' and read of 'a' may touch the same bytes in different iterations
  // OPT: remark: {{.*}}opt-levels.c:[[@LINE+2]]:3: loop not parallelized: write to 'a' and read of 'a' may touch the same bytes in different iterations
  // OZ: opt-levels.c:[[@LINE+1]]:3: remark: loop not parallelized:
  for (long i = 1; i < n; i++)
    a[i] = f(a[i - 1]);
}
