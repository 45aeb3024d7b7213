// Schedule functions compiled without optimization say why nothing is
// parallelized, once per source loop: at -O0, and with optnone at -O2.
// RUN: %clang_pydron -O0 -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron -Rpass-analysis=pydron 2>&1 | FileCheck %s --check-prefix=O0 --implicit-check-not=remark:
// RUN: %clang_pydron -O2 -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron -Rpass-analysis=pydron 2>&1 | FileCheck %s --check-prefix=O2 --implicit-check-not='remark: loop'
// At -O0 nothing is outlined.
// RUN: %clang_pydron -O0 -S -emit-llvm %s -o - | FileCheck %s --check-prefix=IR0
// IR0-NOT: pydron_parallel_for
// IR0-NOT: pydron.chunk
// IR0-NOT: pydron.register
#include <pydron.h>

PYDRON_FUNCTIONAL double f(double);

// optnone is reported by pydron-prepare, before the other verdicts.
__attribute__((optnone)) PYDRON_SCHEDULE void unoptimized(double *a, int n) {
  // O0: optnone.c:[[@LINE+2]]:3: remark: loop not parallelized: the function is compiled without optimization (-O0 or optnone); compile with -O1 or higher
  // O2: optnone.c:[[@LINE+1]]:3: remark: loop not parallelized: the function is compiled without optimization (-O0 or optnone); compile with -O1 or higher
  for (int i = 0; i < n; i++)
    a[i] = f(a[i]);
}

PYDRON_SCHEDULE void nest(double *a, int n) {
  // O0: optnone.c:[[@LINE+2]]:3: remark: loop not parallelized: the function is compiled without optimization (-O0 or optnone); compile with -O1 or higher
  // O2: optnone.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (int i = 0; i < n; i++)
    // O0: optnone.c:[[@LINE+2]]:5: remark: loop not parallelized: the function is compiled without optimization (-O0 or optnone); compile with -O1 or higher
    // O2: optnone.c:[[@LINE+1]]:5: remark: loop runs inside the chunks of the parallel loop at line [[@LINE-2]]
    for (int j = 0; j < n; j++)
      a[(long)i * n + j] = f(a[(long)i * n + j]);
}

// Functions that are not schedule functions get no remark at -O0.
void plain(double *a, int n) {
  for (int i = 0; i < n; i++)
    a[i] = f(a[i]);
}
