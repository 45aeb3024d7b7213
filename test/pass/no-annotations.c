// A module without PYDRON_* annotations comes out bit-identical with and
// without the plugin, at every optimization level, as IR and as an object
// file, with and without debug info.
// The output file names differ, which does not matter for these formats.
// RUN: %clang_plain -O2 -S -emit-llvm %s -o %t.plain.ll
// RUN: %clang_pydron -O2 -S -emit-llvm %s -o %t.pydron.ll
// RUN: diff %t.plain.ll %t.pydron.ll
// RUN: %clang_plain -O1 -S -emit-llvm %s -o %t.plain1.ll
// RUN: %clang_pydron -O1 -S -emit-llvm %s -o %t.pydron1.ll
// RUN: diff %t.plain1.ll %t.pydron1.ll
// RUN: %clang_plain -O3 -g -S -emit-llvm %s -o %t.plain3.ll
// RUN: %clang_pydron -O3 -g -S -emit-llvm %s -o %t.pydron3.ll
// RUN: diff %t.plain3.ll %t.pydron3.ll
// RUN: %clang_plain -O2 -c %s -o %t.plain.o
// RUN: %clang_pydron -O2 -c %s -o %t.pydron.o
// RUN: cmp %t.plain.o %t.pydron.o
// RUN: %clang_plain -O0 -c %s -o %t.plain0.o
// RUN: %clang_pydron -O0 -c %s -o %t.pydron0.o
// RUN: cmp %t.plain0.o %t.pydron0.o
// (-flto bitcode: see xfail-no-annotations-bitcode.c.)
#include <math.h>
#include <pydron.h>

static double table[256];

double work(double *a, const double *b, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) {
    a[i] = sin(b[i]) * 2;
    s += a[i];
  }
  return s;
}

void fill(void) {
  for (int i = 0; i < 256; i++)
    table[i] = i * 0.5;
}

int main(void) {
  double a[100], b[100];
  fill();
  for (int i = 0; i < 100; i++)
    b[i] = table[i];
  return (int)work(a, b, 100);
}
