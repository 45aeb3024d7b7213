// Integer recurrences that fold: add, sub, mul, and, or, xor, min/max (as
// select or intrinsic), possibly under a condition. Each chunk folds a
// partial from the identity; the runtime combines the partials in order.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron -Rpass-analysis=pydron 2>&1 | FileCheck %s --implicit-check-not=remark:
// RUN: %clang_plain -O2 -g -Xclang -disable-llvm-passes -S -emit-llvm %s -o %t.ll
// RUN: %opt_pydron -passes='default<O2>' -disable-output %t.ll -pass-remarks=pydron -pass-remarks-missed=pydron 2>&1 | FileCheck %s --check-prefix=OPT --implicit-check-not=remark:
#include <pydron.h>

PYDRON_FUNCTIONAL int g(int);
PYDRON_FUNCTIONAL double h(double);

PYDRON_SCHEDULE int int_sum(const int *a, int n) {
  int s = 0;
  // CHECK: fold-integer.c:[[@LINE+2]]:3: remark: loop parallelized (calls 'g'), 1 folded value; shippable
  // OPT: remark: {{.*}}fold-integer.c:[[@LINE+1]]:3: loop parallelized (calls 'g'), 1 folded value; shippable
  for (int i = 0; i < n; i++)
    s += g(a[i]);
  return s;
}

PYDRON_SCHEDULE long long_product(const long *a, int n) {
  long p = 1;
  // CHECK: fold-integer.c:[[@LINE+2]]:3: remark: loop parallelized, 1 folded value; shippable
  // OPT: remark: {{.*}}fold-integer.c:[[@LINE+1]]:3: loop parallelized, 1 folded value
  for (int i = 0; i < n; i++)
    p *= a[i];
  return p;
}

PYDRON_SCHEDULE unsigned bitwise(const unsigned *a, int n, unsigned *or_out,
                                 unsigned *xor_out) {
  unsigned andv = ~0u, orv = 0, xorv = 0;
  // CHECK: fold-integer.c:[[@LINE+2]]:3: remark: loop parallelized, 3 folded values; shippable
  // OPT: remark: {{.*}}fold-integer.c:[[@LINE+1]]:3: loop parallelized, 3 folded values
  for (int i = 0; i < n; i++) {
    andv &= a[i];
    orv |= a[i];
    xorv ^= a[i];
  }
  *or_out = orv;
  *xor_out = xorv;
  return andv;
}

PYDRON_SCHEDULE long subtract(const long *a, int n) {
  long s = 100;
  // CHECK: fold-integer.c:[[@LINE+2]]:3: remark: loop parallelized, 1 folded value; shippable
  // OPT: remark: {{.*}}fold-integer.c:[[@LINE+1]]:3: loop parallelized, 1 folded value
  for (int i = 0; i < n; i++)
    s -= a[i];
  return s;
}

PYDRON_SCHEDULE int max_select(const int *a, int n) {
  int m = -1000000;
  // CHECK: fold-integer.c:[[@LINE+2]]:3: remark: loop parallelized (calls 'g'), 1 folded value; shippable
  // OPT: remark: {{.*}}fold-integer.c:[[@LINE+1]]:3: loop parallelized (calls 'g'), 1 folded value
  for (int i = 0; i < n; i++) {
    int t = g(a[i]);
    m = t > m ? t : m;
  }
  return m;
}

PYDRON_SCHEDULE int min_if(const int *a, int n) {
  int m = 1 << 30;
  // CHECK: fold-integer.c:[[@LINE+2]]:3: remark: loop parallelized, 1 folded value; shippable
  // OPT: remark: {{.*}}fold-integer.c:[[@LINE+1]]:3: loop parallelized, 1 folded value
  for (int i = 0; i < n; i++)
    if (a[i] < m)
      m = a[i];
  return m;
}

PYDRON_SCHEDULE unsigned char max_bytes(const unsigned char *a, int n) {
  unsigned char m = 0;
  // CHECK: fold-integer.c:[[@LINE+2]]:3: remark: loop parallelized, 1 folded value; shippable
  // OPT: remark: {{.*}}fold-integer.c:[[@LINE+1]]:3: loop parallelized, 1 folded value
  for (int i = 0; i < n; i++)
    m = m > a[i] ? m : a[i];
  return m;
}

PYDRON_SCHEDULE short short_sum(const short *a, int n) {
  short s = 0;
  // CHECK: fold-integer.c:[[@LINE+2]]:3: remark: loop parallelized, 1 folded value; shippable
  // OPT: remark: {{.*}}fold-integer.c:[[@LINE+1]]:3: loop parallelized, 1 folded value
  for (int i = 0; i < n; i++)
    s += a[i];
  return s;
}

// Conditional updates: a phi between the old and the new value.
PYDRON_SCHEDULE int conditional_sum(const int *a, int n) {
  int s = 0;
  // CHECK: fold-integer.c:[[@LINE+2]]:3: remark: loop parallelized (calls 'g'), 1 folded value; shippable
  // OPT: remark: {{.*}}fold-integer.c:[[@LINE+1]]:3: loop parallelized (calls 'g'), 1 folded value
  for (int i = 0; i < n; i++)
    if (a[i] > 0)
      s += g(a[i]);
  return s;
}

PYDRON_SCHEDULE int count_if(const double *a, int n) {
  int c = 0;
  // CHECK: fold-integer.c:[[@LINE+2]]:3: remark: loop parallelized (calls 'h'), 1 folded value; shippable
  // OPT: remark: {{.*}}fold-integer.c:[[@LINE+1]]:3: loop parallelized (calls 'h'), 1 folded value
  for (int i = 0; i < n; i++)
    if (h(a[i]) > 0)
      c++;
  return c;
}

// A fold and a counter used after the loop: both are rebuilt.
PYDRON_SCHEDULE long sum_and_count(const long *a, long n, long *count) {
  long s = 0, i;
  // CHECK: fold-integer.c:[[@LINE+2]]:3: remark: loop parallelized, 1 folded value; shippable
  // OPT: remark: {{.*}}fold-integer.c:[[@LINE+1]]:3: loop parallelized, 1 folded value
  for (i = 0; i < n; i++)
    s += a[i] * a[i];
  *count = i;
  return s;
}
