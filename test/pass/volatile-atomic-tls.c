// Volatile and atomic accesses and thread-local variables are sync points.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron -Rpass-analysis=pydron 2>&1 | FileCheck %s --implicit-check-not=remark:
#include <pydron.h>
#include <stdatomic.h>

_Thread_local int tl_scale;
_Thread_local int tl_buffer[1024];

PYDRON_SCHEDULE void volatile_read(double *a, volatile double *v, int n) {
  // CHECK: volatile-atomic-tls.c:[[@LINE+1]]:3: remark: loop not parallelized: volatile read of 'v' is a sync point at volatile-atomic-tls.c:[[@LINE+2]]:12
  for (int i = 0; i < n; i++)
    a[i] = v[i];
}

PYDRON_SCHEDULE void volatile_write(volatile double *a, int n) {
  // CHECK: volatile-atomic-tls.c:[[@LINE+1]]:3: remark: loop not parallelized: volatile write to 'a' is a sync point at volatile-atomic-tls.c:[[@LINE+2]]:10
  for (int i = 0; i < n; i++)
    a[i] = 1.0;
}

PYDRON_SCHEDULE void atomic_rmw(_Atomic int *counter, const int *a, int n) {
  // CHECK: volatile-atomic-tls.c:[[@LINE+1]]:3: remark: loop not parallelized: atomic operation is a sync point at volatile-atomic-tls.c:[[@LINE+2]]:5
  for (int i = 0; i < n; i++)
    atomic_fetch_add(counter, a[i]);
}

PYDRON_SCHEDULE void atomic_read(_Atomic int *flag, int *a, int n) {
  // CHECK: volatile-atomic-tls.c:[[@LINE+1]]:3: remark: loop not parallelized: atomic read is a sync point at volatile-atomic-tls.c:[[@LINE+2]]:12
  for (int i = 0; i < n; i++)
    a[i] = atomic_load_explicit(flag, memory_order_acquire);
}

// Even a relaxed atomic store to a different element per iteration.
PYDRON_SCHEDULE void atomic_store_relaxed(_Atomic int *a, int n) {
  // CHECK: volatile-atomic-tls.c:[[@LINE+1]]:3: remark: loop not parallelized: atomic write is a sync point at volatile-atomic-tls.c:[[@LINE+2]]:5
  for (int i = 0; i < n; i++)
    atomic_store_explicit(&a[i], i, memory_order_relaxed);
}

PYDRON_SCHEDULE void fence(int *a, int n) {
  // CHECK: volatile-atomic-tls.c:[[@LINE+1]]:3: remark: loop not parallelized: atomic operation is a sync point at volatile-atomic-tls.c:[[@LINE+3]]:5
  for (int i = 0; i < n; i++) {
    a[i] = i;
    atomic_thread_fence(memory_order_seq_cst);
  }
}

PYDRON_SCHEDULE void thread_local_read(int *a, int n) {
  // CHECK: volatile-atomic-tls.c:[[@LINE+1]]:3: remark: loop not parallelized: it reads thread-local variable 'tl_scale' at volatile-atomic-tls.c:[[@LINE+2]]:12
  for (int i = 0; i < n; i++)
    a[i] = tl_scale * i;
}

PYDRON_SCHEDULE void thread_local_write(const int *a, int n) {
  // CHECK: volatile-atomic-tls.c:[[@LINE+1]]:3: remark: loop not parallelized: it writes thread-local variable 'tl_buffer' at volatile-atomic-tls.c:[[@LINE+2]]:18
  for (int i = 0; i < n; i++)
    tl_buffer[i] = a[i];
}
