// -flto: the pydron pass runs in the pre-link pipeline of each translation
// unit, so the bitcode already holds the chunk functions, the call to
// pydron_parallel_for and the constructor; the verdicts are those of a
// normal -O2 build. The LTO link (lld, here without the plugin) keeps them.
// (Linking with the plugin loaded: xfail-lto-link-reoutlines.c.)
// RUN: rm -rf %t && mkdir -p %t
// RUN: %clang_pydron -O2 -g -flto -c %s -o %t/lto.bc -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s --check-prefix=REMARK --implicit-check-not='remark: loop'
// RUN: llvm-dis %t/lto.bc -o - | FileCheck %s --check-prefix=BC
// RUN: %clang_pydron -O2 -g -flto=thin -c %s -o %t/thin.bc -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s --check-prefix=REMARK --implicit-check-not='remark: loop'
// RUN: llvm-dis %t/thin.bc -o - | FileCheck %s --check-prefix=BC
// RUN: %clang -O2 -flto -fuse-ld=lld %t/lto.bc %rt_link -o %t/lto.exe
// RUN: llvm-nm %t/lto.exe | FileCheck %s --check-prefix=EXE
// RUN: %clang -O2 -flto=thin -fuse-ld=lld %t/thin.bc %rt_link -o %t/thin.exe
// RUN: llvm-nm %t/thin.exe | FileCheck %s --check-prefix=EXE
// RUN: %t/lto.exe | FileCheck %s --check-prefix=OUT
// RUN: env PYDRON_WORKERS=2 %t/thin.exe | FileCheck %s --check-prefix=OUT
#include <pydron.h>
#include <stdio.h>

PYDRON_FUNCTIONAL static double f(double x) { return x * 0.5 + 1.0; }

PYDRON_SCHEDULE void map(double *restrict out, const double *restrict in, long n) {
  // REMARK: lto.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (long i = 0; i < n; i++)
    out[i] = f(in[i]);
}

PYDRON_SCHEDULE void dependent(double *a, long n) {
  // REMARK: lto.c:[[@LINE+1]]:3: remark: loop not parallelized: write to 'a' and read of 'a' may touch the same bytes in different iterations
  for (long i = 1; i < n; i++)
    a[i] = f(a[i - 1]);
}

// BC-DAG: @llvm.global_ctors = appending global [1 x { i32, ptr, ptr }] [{ i32, ptr, ptr } { i32 101, ptr @pydron.register, ptr null }]
// BC-DAG: call i32 @pydron_parallel_for(ptr {{(nonnull )?}}@pydron.loop.[[N:[0-9]+]],
// BC-DAG: define internal void @map.pydron.chunk.[[N]](
// EXE-DAG: pydron_parallel_for
// EXE-DAG: map.pydron.chunk.
// EXE-DAG: pydron_register_module

static double in[100000], out[100000];

int main(void) {
  for (long i = 0; i < 100000; i++)
    in[i] = (double)(i % 97);
  map(out, in, 100000);
  dependent(out, 1000);
  double s = 0;
  for (long i = 0; i < 100000; i++)
    s += out[i];
  // The same checksum as the sequential program (clang without the plugin).
  printf("%.17g\n", s);
  return 0;
}
// OUT: {{^}}2477343{{$}}
