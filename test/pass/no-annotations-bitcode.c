// Regression test (was a bug): with -flto, the bitcode of a module without any PYDRON_* annotation
// is not bit-identical with and without the plugin: the METADATA_KIND block
// gains the kind "pydron.body". The pydron pass calls dropBodyTags() on
// every function of every module, and Instruction::setMetadata("pydron.body",
// nullptr) registers the kind name in the context even though it sets
// nothing. (Textual IR and object files are identical: no-annotations.c.)
// Both compilations write to the same file name, so that the module names
// match.
// RUN: rm -rf %t && mkdir -p %t/plain %t/pydron
// RUN: %clang_plain -O2 -flto -c %s -o %t/plain/m.bc
// RUN: %clang_pydron -O2 -flto -c %s -o %t/pydron/m.bc
// RUN: cmp %t/plain/m.bc %t/pydron/m.bc
#include <math.h>

double work(double *a, const double *b, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) {
    a[i] = sin(b[i]) * 2;
    s += a[i];
  }
  return s;
}
