// Regression test (was a bug): volatile and atomic loads/stores inside a PYDRON_FUNCTIONAL
// definition are not noticed. CalleeSummary records every LoadInst and
// StoreInst as an ordinary access before its "it has atomic or volatile
// accesses" branch is reached (that branch only sees atomicrmw, cmpxchg and
// fences), so the same access that makes a loop body a sync point is
// accepted inside a functional callee: the loops below are reported
// "parallelized". Expected, as for atomic_add: the call is a sync point
// (and, ideally, a contract warning).
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s --implicit-check-not='remark: loop parallelized'
#include <pydron.h>

PYDRON_FUNCTIONAL double volatile_read(const double *p) {
  return *(const volatile double *)p;
}
PYDRON_FUNCTIONAL void volatile_write(double *p, double v) {
  *(volatile double *)p = v;
}
PYDRON_FUNCTIONAL void atomic_store(int *p, int v) {
  __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}
PYDRON_FUNCTIONAL int atomic_load(const int *p) {
  return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
PYDRON_FUNCTIONAL void atomic_add(int *p, int v) {
  __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}

PYDRON_SCHEDULE void s_volatile_read(double *restrict a, int n) {
  // CHECK: functional-volatile-atomic.c:[[@LINE+1]]:3: remark: loop not parallelized: call to PYDRON_FUNCTIONAL 'volatile_read' is a sync point
  for (int i = 0; i < n; i++)
    a[i] = volatile_read(&a[i]) * 2.0;
}
PYDRON_SCHEDULE void s_volatile_write(double *restrict a, int n) {
  // CHECK: functional-volatile-atomic.c:[[@LINE+1]]:3: remark: loop not parallelized: call to PYDRON_FUNCTIONAL 'volatile_write' is a sync point
  for (int i = 0; i < n; i++)
    volatile_write(&a[i], i);
}
PYDRON_SCHEDULE void s_atomic_store(int *restrict a, int n) {
  // CHECK: functional-volatile-atomic.c:[[@LINE+1]]:3: remark: loop not parallelized: call to PYDRON_FUNCTIONAL 'atomic_store' is a sync point
  for (int i = 0; i < n; i++)
    atomic_store(&a[i], i);
}
PYDRON_SCHEDULE void s_atomic_load(int *restrict a, const int *restrict b, int n) {
  // CHECK: functional-volatile-atomic.c:[[@LINE+1]]:3: remark: loop not parallelized: call to PYDRON_FUNCTIONAL 'atomic_load' is a sync point
  for (int i = 0; i < n; i++)
    a[i] = atomic_load(&b[i]);
}
// This one works already.
PYDRON_SCHEDULE void s_atomic_add(int *restrict a, int n) {
  // CHECK: functional-volatile-atomic.c:[[@LINE+1]]:3: remark: loop not parallelized: call to PYDRON_FUNCTIONAL 'atomic_add' is a sync point: it has atomic or volatile accesses
  for (int i = 0; i < n; i++)
    atomic_add(&a[i], i);
}
