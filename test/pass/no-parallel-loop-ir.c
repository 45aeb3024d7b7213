// A module whose schedule functions have no parallel loop gets no chunk
// function, no descriptor, no constructor and no call into the runtime.
// RUN: %clang_pydron -O2 -S -emit-llvm %s -o - | FileCheck %s --implicit-check-not=pydron_parallel_for --implicit-check-not=pydron.chunk --implicit-check-not=pydron.register --implicit-check-not=global_ctors --implicit-check-not=@pydron.loop
// CHECK: define {{.*}}@dependent(
// CHECK: define {{.*}}@io(
#include <pydron.h>
#include <stdio.h>

PYDRON_FUNCTIONAL double f(double);

PYDRON_SCHEDULE void dependent(double *a, int n) {
  for (int i = 1; i < n; i++)
    a[i] = f(a[i - 1]);
}

PYDRON_SCHEDULE void io(const double *a, int n) {
  for (int i = 0; i < n; i++)
    printf("%g\n", a[i]);
}
