// Where purity comes from: PYDRON_FUNCTIONAL definitions and declarations,
// __attribute__((const)) and pure functions, libm, read-only string
// functions. Functions that write through a pointer (frexp) or have hidden
// state (rand) are sync points.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron -Rpass-analysis=pydron 2>&1 | FileCheck %s --implicit-check-not='remark: loop'
// RUN: %clang_pydron -O2 -g -ffast-math -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>&1 | FileCheck %s --check-prefix=FAST
#include <math.h>
#include <pydron.h>
#include <stdlib.h>
#include <string.h>

PYDRON_FUNCTIONAL double square_plus_one(double x) { return x * x + 1.0; }
PYDRON_FUNCTIONAL double external_f(double x); // defined elsewhere
__attribute__((const)) double const_f(double);
__attribute__((pure)) double pure_f(const double *);

PYDRON_SCHEDULE void functional_definition(double *a, int n) {
  // CHECK: purity.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'square_plus_one'); shippable
  for (int i = 0; i < n; i++)
    a[i] = square_plus_one(a[i]);
}

PYDRON_SCHEDULE void functional_declaration(double *a, int n) {
  // CHECK: purity.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'external_f'); shippable
  for (int i = 0; i < n; i++)
    a[i] = external_f(a[i]);
}

PYDRON_SCHEDULE void const_attribute(double *a, int n) {
  // CHECK: purity.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'const_f'); shippable
  for (int i = 0; i < n; i++)
    a[i] = const_f(a[i]);
}

// A pure function may read anything: fine when the loop writes only memory
// nothing else can reach (a restrict parameter); not shippable.
PYDRON_SCHEDULE void pure_attribute(double *restrict a, const double *b, int n) {
  // CHECK: purity.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'pure_f'); local-only: 'pure_f' has no known footprint ('pure_f' may read any memory)
  for (int i = 0; i < n; i++)
    a[i] = pure_f(b + i);
}

PYDRON_SCHEDULE void pure_attribute_aliased(double *a, const double *b, int n) {
  // CHECK: purity.c:[[@LINE+1]]:3: remark: loop not parallelized: 'pure_f' may read any memory; the loop writes memory it may read
  for (int i = 0; i < n; i++)
    a[i] = pure_f(b + i);
}

PYDRON_SCHEDULE void libm(double *a, int n) {
  // CHECK: purity.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'sin', 'exp', 'pow'); shippable
  for (int i = 0; i < n; i++)
    a[i] = sin(a[i]) + exp(a[i]) + pow(a[i], 1.5);
}

PYDRON_SCHEDULE void libm_float(float *a, int n) {
  // CHECK: purity.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'sinf', 'expf', 'log1pf'); shippable
  for (int i = 0; i < n; i++)
    a[i] = sinf(a[i]) + expf(a[i]) + log1pf(a[i]);
}

// With -ffast-math libm calls may become intrinsics; still parallel.
PYDRON_SCHEDULE void libm_sqrt(double *a, int n) {
  // CHECK: purity.c:[[@LINE+2]]:3: remark: loop parallelized{{.*}}; shippable
  // FAST: purity.c:[[@LINE+1]]:3: remark: loop parallelized{{.*}}; shippable
  for (int i = 0; i < n; i++)
    a[i] = sqrt(a[i]) + fabs(a[i]);
}

PYDRON_SCHEDULE void string_lengths(size_t *restrict out,
                                    const char *const *names, int n) {
  // CHECK: purity.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'strlen'); local-only: 'strlen' reading through a value has no known footprint ('strlen' reads a string of unknown length)
  for (int i = 0; i < n; i++)
    out[i] = strlen(names[i]);
}

PYDRON_SCHEDULE void compare(int *restrict out, const char *const *names,
                             const char *key, int n) {
  // CHECK: purity.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'strcmp'); local-only
  for (int i = 0; i < n; i++)
    out[i] = strcmp(names[i], key) == 0;
}

// frexp writes its exponent through a pointer: a sync point.
PYDRON_SCHEDULE void writes_through_pointer(double *restrict a, int *restrict e, int n) {
  // CHECK: purity.c:[[@LINE+1]]:3: remark: loop not parallelized: call to 'frexp' is a sync point
  for (int i = 0; i < n; i++)
    a[i] = frexp(a[i], &e[i]);
}

PYDRON_SCHEDULE void hidden_state(int *a, int n) {
  // CHECK: purity.c:[[@LINE+1]]:3: remark: loop not parallelized: call to 'rand' is a sync point
  for (int i = 0; i < n; i++)
    a[i] = rand();
}
