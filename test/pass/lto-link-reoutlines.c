// Regression test (was a bug): linking -flto bitcode with the plugin loaded (what pydron-cc does:
// clang forwards -fpass-plugin to the LTO backend) runs the plugin again
// on code it already transformed. The sequential fallback loop still carries
// its pydron.loop.id tag and !pydron.loops is still in the module, so it is
// re-tagged, re-analyzed and outlined again: full LTO gives
// map.pydron.chunk.1, .1.1 and .1.6, ThinLTO .1 and .1.1, all registered,
// with duplicate remarks at link time ("fully unrolled by the optimizer"
// for the stale tags). Expected: the link adds nothing - one chunk per
// source loop, no remark.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %pydron_cc -O2 -g -flto -c %s -o %t/full.bc
// RUN: %pydron_cc -O2 -flto -fuse-ld=lld %t/full.bc -o %t/full.exe -Rpass=pydron -Rpass-missed=pydron 2>&1 | count 0
// RUN: llvm-nm %t/full.exe | grep -c 'map.pydron.chunk' | FileCheck %s --check-prefix=ONE
// RUN: %pydron_cc -O2 -g -flto=thin -c %s -o %t/thin.bc
// RUN: %pydron_cc -O2 -flto=thin -fuse-ld=lld %t/thin.bc -o %t/thin.exe -Rpass=pydron -Rpass-missed=pydron 2>&1 | count 0
// RUN: llvm-nm %t/thin.exe | grep -c 'map.pydron.chunk' | FileCheck %s --check-prefix=ONE
// ONE: {{^}}1{{$}}
#include <pydron.h>
#include <stdio.h>

PYDRON_FUNCTIONAL static double f(double x) { return x * 0.5 + 1.0; }

PYDRON_SCHEDULE void map(double *restrict out, const double *restrict in, long n) {
  for (long i = 0; i < n; i++)
    out[i] = f(in[i]);
}

static double in[1000], out[1000];

int main(void) {
  for (long i = 0; i < 1000; i++)
    in[i] = (double)(i % 97);
  map(out, in, 1000);
  printf("%g\n", out[999]);
  return 0;
}
