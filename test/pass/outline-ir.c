// The transformation: a parallelized loop calls pydron_parallel_for with its
// descriptor, its chunk function is @<fn>.pydron.chunk.<N>, the module gets a
// pydron.register constructor in llvm.global_ctors, and the original loop
// stays as the sequential path.
// RUN: %clang_pydron -O2 -S -emit-llvm %s -o - | FileCheck %s
// Also through opt's default pipeline.
// RUN: %clang_plain -O2 -Xclang -disable-llvm-passes -S -emit-llvm %s -o %t.ll
// RUN: %opt_pydron -passes='default<O2>' -S %t.ll -o - | FileCheck %s
#include <pydron.h>

PYDRON_FUNCTIONAL double f(double);

// CHECK-DAG: @pydron.loop.[[MAP:[0-9]+]] = private constant %pydron.loop { i32 [[ABI:[0-9]+]], i32 1, {{.*}}ptr @map.pydron.chunk.[[MAP]],
// CHECK-DAG: @pydron.loop.[[SUM:[0-9]+]] = private constant %pydron.loop { i32 [[ABI]], i32 1, {{.*}}ptr @sum.pydron.chunk.[[SUM]],
// CHECK-DAG: @pydron.loops.table = private constant [2 x ptr]
// CHECK-DAG: @pydron.module = private constant { i32, i32, ptr, ptr } { i32 [[ABI]], i32 2, ptr @pydron.module.id, ptr @pydron.loops.table }
// CHECK-DAG: @llvm.global_ctors = appending global [1 x { i32, ptr, ptr }] [{ i32, ptr, ptr } { i32 101, ptr @pydron.register, ptr null }]

// CHECK-LABEL: define {{.*}}void @map(
// CHECK: call i32 @pydron_parallel_for(ptr nonnull @pydron.loop.[[MAP]], i64 %{{.*}}, ptr nonnull %{{.*}}, ptr nonnull %{{.*}})
// The sequential loop is still there and still calls f.
// CHECK: call double @f(
PYDRON_SCHEDULE void map(double *restrict out, const double *restrict in, long n) {
  for (long i = 0; i < n; i++)
    out[i] = f(in[i]);
}

// A fold: the start value goes into the result buffer, the folded value
// comes back from it.
// CHECK-LABEL: define {{.*}}i64 @sum(
// CHECK: store i64 0, ptr [[RES:%[a-z0-9.]+]]
// CHECK: call i32 @pydron_parallel_for(ptr nonnull @pydron.loop.[[SUM]], i64 %{{.*}}, ptr nonnull %{{.*}}, ptr nonnull [[RES]])
// CHECK: load i64, ptr [[RES]]
PYDRON_SCHEDULE long sum(const long *a, long n) {
  long s = 0;
  for (long i = 0; i < n; i++)
    s += a[i] * 3;
  return s;
}

// Not a schedule function: untouched.
// CHECK-LABEL: define {{.*}}void @plain(
// CHECK-NOT: pydron_parallel_for
// CHECK: ret void
void plain(double *restrict out, const double *restrict in, long n) {
  for (long i = 0; i < n; i++)
    out[i] = f(in[i]);
}

// The chunk functions: (lo, hi, env, partial), internal.
// CHECK: define internal void @map.pydron.chunk.[[MAP]](i64 %{{[a-z0-9]+}}, i64 %{{[a-z0-9]+}}, ptr %{{[a-z0-9]+}}, ptr %{{[a-z0-9]+}})
// CHECK: call double @f(
// CHECK-DAG: declare i32 @pydron_parallel_for(ptr, i64, ptr, ptr)
// CHECK-DAG: define internal void @sum.pydron.chunk.[[SUM]](i64 %{{[a-z0-9]+}}, i64 %{{[a-z0-9]+}}, ptr %{{[a-z0-9]+}}, ptr %{{[a-z0-9]+}})
// CHECK: define internal void @pydron.register()
// CHECK-NOT: define
// CHECK: call void @pydron_register_module(ptr nonnull @pydron.module)
// CHECK-NEXT: ret void
