// Loop-carried memory dependences: a[i] = f(a[i-1]), histograms, scatters,
// strided accesses that overlap, a scalar written in every iteration. And
// their independent neighbours.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron -Rpass-analysis=pydron 2>&1 | FileCheck %s --implicit-check-not=remark:
#include <pydron.h>

PYDRON_FUNCTIONAL double f(double);
double G[4096], H[4096];
double last;

PYDRON_SCHEDULE void previous_element(double *a, int n) {
  // CHECK: dependences.c:[[@LINE+1]]:3: remark: loop not parallelized: write to 'a' and read of 'a' may touch the same bytes in different iterations at dependences.c:[[@LINE+2]]:14
  for (int i = 1; i < n; i++)
    a[i] = f(a[i - 1]);
}

// restrict does not help: the dependence is on one pointer.
PYDRON_SCHEDULE void previous_element_restrict(double *restrict a, int n) {
  // CHECK: dependences.c:[[@LINE+1]]:3: remark: loop not parallelized: write to 'a' and read of 'a' may touch the same bytes in different iterations
  for (int i = 1; i < n; i++)
    a[i] = f(a[i - 1]);
}

PYDRON_SCHEDULE void next_element(double *a, int n) {
  // CHECK: dependences.c:[[@LINE+1]]:3: remark: loop not parallelized: write to 'a' and read of 'a' may touch the same bytes in different iterations
  for (int i = 0; i < n; i++)
    a[i] = f(a[i + 1]);
}

PYDRON_SCHEDULE void histogram(int *restrict hist, const int *restrict idx, int n) {
  // CHECK: dependences.c:[[@LINE+1]]:3: remark: loop not parallelized: write to 'hist' has an address that is not affine in the loop counter (an address that is not an affine function of the loop counter) at dependences.c:[[@LINE+2]]:
  for (int i = 0; i < n; i++)
    hist[idx[i]]++;
}

PYDRON_SCHEDULE void scatter(double *restrict out, const int *restrict idx,
                             const double *restrict v, int n) {
  // CHECK: dependences.c:[[@LINE+1]]:3: remark: loop not parallelized: write to 'out' has an address that is not affine in the loop counter
  for (int i = 0; i < n; i++)
    out[idx[i]] = f(v[i]);
}

// A gather only reads through the index: parallel. (Whether it is
// shippable depends on how the plugin bounds v[idx[i]]; not checked.)
PYDRON_SCHEDULE void gather(double *restrict out, const int *restrict idx,
                            const double *restrict v, int n) {
  // CHECK: dependences.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f');
  for (int i = 0; i < n; i++)
    out[i] = f(v[idx[i]]);
}

PYDRON_SCHEDULE void strided_overlap(double *a, int n) {
  // CHECK: dependences.c:[[@LINE+1]]:3: remark: loop not parallelized: write to 'a' and read of 'a' may touch the same bytes in different iterations
  for (int i = 0; i < n; i++)
    a[2 * i] = f(a[2 * i + 2]);
}

PYDRON_SCHEDULE void strided_disjoint(double *a, int n) {
  // CHECK: dependences.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (int i = 0; i < n; i++)
    a[2 * i + 1] = f(a[2 * i]);
}

// Reads the upper half, writes the lower half.
PYDRON_SCHEDULE void halves(double *a, int n) {
  // CHECK: dependences.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (int i = 0; i < n; i++)
    a[i] = f(a[i + n]);
}

PYDRON_SCHEDULE void in_place(double *a, int n) {
  // CHECK: dependences.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (int i = 0; i < n; i++)
    a[i] = f(a[i]);
}

PYDRON_SCHEDULE void scalar_written(const double *a, int n) {
  // CHECK: dependences.c:[[@LINE+1]]:3: remark: loop not parallelized: write to 'last' writes the same bytes in different iterations
  for (int i = 0; i < n; i++)
    last = f(a[i]);
}

// Distinct globals never overlap; the same global does.
PYDRON_SCHEDULE void globals(int n) {
  // CHECK: dependences.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (int i = 0; i < n; i++)
    G[i] = f(H[i]);
}

PYDRON_SCHEDULE void same_global(int n) {
  // CHECK: dependences.c:[[@LINE+1]]:3: remark: loop not parallelized:
  for (int i = 1; i < n; i++)
    G[i] = f(G[i - 1]);
}

// Two writes to the same element in one iteration are fine.
PYDRON_SCHEDULE void twice(double *a, int n) {
  // CHECK: dependences.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'f'); shippable
  for (int i = 0; i < n; i++) {
    a[i] = f(a[i]);
    a[i] = f(a[i] + 1.0);
  }
}
