// BUG (wrong results): out[i] = f(v[idx[i]]) with an int index and out, v
// without restrict. The hull of the indirect read is [v - 2^34, v + 2^34)
// (the signed range of the index), and the run-time overlap check compares
// it with the written range as unsigned 64-bit addresses. When v is below
// 16 GiB - a global in a non-PIE executable, a 32-bit address space - the
// lower bound wraps around to the top of the address space, the check
// "out_end <= v_begin" succeeds, and the loop runs in parallel although
// out == v: iteration i reads v[i + 1] that iteration i + 1 overwrites.
// The parallel program prints a different (and varying) checksum.
// Expected: the same output as the sequential build, every time. A fix:
// compare hulls without wrapping (clamp, or use the pointer's own range),
// or do not check unknown-extent reads at run time.
// REQUIRES: x86_64
// RUN: rm -rf %t && mkdir -p %t
// RUN: %clang_plain -O2 -no-pie %s -o %t/seq
// RUN: %pydron_cc -O2 -no-pie %s -o %t/par
// RUN: %t/seq > %t/expected
// RUN: for k in 1 2 3 4 5 6 7 8; do env PYDRON_WORKERS=2 %t/par > %t/got && cmp %t/expected %t/got || exit 1; done
#include <pydron.h>
#include <stdio.h>

PYDRON_FUNCTIONAL double f(double x) { return x * 0.5 + 1.0; }

PYDRON_SCHEDULE void gather(double *out, const int *idx, const double *v, int n) {
  for (int i = 0; i < n; i++)
    out[i] = f(v[idx[i]]);
}

#define N 2000000
double G[N + 1];
int idx[N];

int main(void) {
  for (int i = 0; i < N; i++) {
    idx[i] = i + 1;
    G[i] = i;
  }
  G[N] = N;
  gather(G, idx, G, N);
  double s = 0;
  for (int i = 0; i < N; i++)
    s += G[i] * (i % 5);
  printf("%.17g\n", s);
  return 0;
}
