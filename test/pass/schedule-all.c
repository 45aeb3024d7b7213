// -mllvm -pydron-schedule-all treats every defined function as a schedule
// function (testing). The plugin's options need -fplugin (as pydron-cc
// adds) so that clang knows them.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -mllvm -pydron-schedule-all -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s --implicit-check-not='remark: loop'
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | count 0
// RUN: %pydron_cc -O2 -g -c %s -o /dev/null -mllvm -pydron-schedule-all -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s --implicit-check-not='remark: loop'
#include <math.h>

void map(double *restrict out, const double *restrict in, long n) {
  // CHECK: schedule-all.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'sin'); shippable
  for (long i = 0; i < n; i++)
    out[i] = sin(in[i]);
}

void dependent(double *a, long n) {
  // CHECK: schedule-all.c:[[@LINE+1]]:3: remark: loop not parallelized: write to 'a' and read of 'a' may touch the same bytes in different iterations
  for (long i = 1; i < n; i++)
    a[i] = sin(a[i - 1]);
}
