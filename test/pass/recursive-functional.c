// BUG (quality): a recursive PYDRON_FUNCTIONAL function is a sync point
// ("call to PYDRON_FUNCTIONAL 'fib' is a sync point: it calls 'fib', and it
// is recursive"), even when it touches no memory at all. Its summary is
// empty whatever the recursion; nothing in the contract forbids recursion.
// Expected: parallel.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s
#include <pydron.h>

PYDRON_FUNCTIONAL int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

PYDRON_SCHEDULE void fibs(int *restrict a, int n) {
  // CHECK: recursive-functional.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'fib')
  for (int i = 0; i < n; i++)
    a[i] = fib(a[i]);
}
