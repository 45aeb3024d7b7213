// An in-order chain over 3e8 iterations runs in bounded memory: keeping
// every per-iteration value (8 bytes each) would take 2.4 GB; the chunks
// run at most a window ahead of the chain.
// RUN: %pydron_cc -O2 %s -o %t -Rpass=pydron 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: %clang_plain -O2 %s -o %t.seq
// RUN: %t.seq > %t.expected
// RUN: env PYDRON_WORKERS=2 /usr/bin/time -f "maxrss %M" %t > %t.out 2> %t.rss
// RUN: cmp %t.out %t.expected
// RUN: %python -c "import sys; kb = int(open(sys.argv[1]).read().split('maxrss')[1].split()[0]); print('maxrss', 'ok' if kb < 200000 else kb)" %t.rss | FileCheck %s
// REMARK: remark: loop parallelized (calls 'step'), 1 value applied in iteration order
// CHECK: maxrss ok
#include <pydron.h>
#include <stdio.h>

PYDRON_FUNCTIONAL static double step(long i) {
  return (double)(i % 7) * 0.25 + 1e-3;
}

PYDRON_SCHEDULE double run(long n) {
  double s = 0.0;
  for (long i = 0; i < n; i++)
    s += step(i);
  return s;
}

int main(void) {
  printf("%a\n", run(300000000L));
  return 0;
}
