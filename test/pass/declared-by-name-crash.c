// BUG (crash): naming a parameter in PYDRON_READS/PYDRON_WRITES on a
// prototype whose definition is elsewhere makes clang crash (SIGSEGV in
// clang::BackendConsumer::getBestLocationFromDebugLoc). pydron-prepare
// reports the unresolvable name with a DiagnosticInfoOptimizationFailure
// whose code region is &F->getEntryBlock() of a *declaration*, which has no
// blocks. opt prints the intended warning; clang dies. Expected: the
// warning, with and without -g, and the compilation succeeds.
// RUN: %clang_pydron -O2 -c %s -o %t.o 2>&1 | FileCheck %s
// RUN: %clang_pydron -O2 -g -c %s -o %t.o 2>&1 | FileCheck %s
// CHECK: warning: PYDRON_READS on 'row_op' ignored: parameter names of this function are not known to the plugin (a declaration, or no -g); name the parameter by position, e.g. '#1'
// CHECK: warning: PYDRON_WRITES on 'row_op' ignored: parameter names of this function are not known to the plugin
#include <pydron.h>

PYDRON_FUNCTIONAL void row_op(const double *in, double *out, int n)
    PYDRON_READS(in, double, n) PYDRON_WRITES(out, double, n);

PYDRON_SCHEDULE void rows(const double *restrict in, double *restrict out, int h, int w) {
  for (int i = 0; i < h; i++)
    row_op(in + (long)i * w, out + (long)i * w, w);
}
