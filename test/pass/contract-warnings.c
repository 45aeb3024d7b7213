// The functional contract, checked where the plugin can: a functional
// definition that writes a global or calls something with side effects is
// a warning (-Wpass-failed=pydron) at the function, and its calls are sync
// points; so are calls to functions calling such a function. Reading a
// global that the module writes elsewhere is a warning too.
// RUN: %clang_pydron -O2 -g -c %s -o /dev/null -Rpass=pydron -Rpass-missed=pydron 2>%t.err
// RUN: FileCheck %s --implicit-check-not='remark: loop' < %t.err
// RUN: FileCheck %s --check-prefix=WARN --implicit-check-not=warning: < %t.err
// RUN: %clang_pydron -O2 -c %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=NODBG --implicit-check-not=warning:
// RUN: %clang_pydron -O2 -c %s -o /dev/null -Wno-pass-failed 2>&1 | count 0
// RUN: not %clang_pydron -O2 -c %s -o /dev/null -Werror=pass-failed 2>&1 | FileCheck %s --check-prefix=WERROR
// Warnings come from the pydron pass, after all remarks.
#include <pydron.h>
#include <stdio.h>

int counter;
double table[64];
double gscale = 2.0;

// WARN-DAG: contract-warnings.c:[[@LINE+3]]:1: warning: functional function 'bumps' writes global 'counter' [-Wpass-failed=pydron]
// WARN-DAG: contract-warnings.c:[[@LINE+2]]:1: warning: functional function 'bumps' reads global 'counter', which 'bumps' writes; the functional contract wants the globals it reads unchanged while loops run (fine if every write happens before) [-Wpass-failed=pydron]
// NODBG-DAG: contract-warnings.c:[[@LINE+1]]:{{[0-9]+}}: warning: functional function 'bumps' writes global 'counter' [-Wpass-failed=pydron]
PYDRON_FUNCTIONAL double bumps(double x) {
  counter++;
  return x;
}
// WERROR: error: functional function 'bumps' writes global 'counter' [-Werror,-Wpass-failed=pydron]

// WARN-DAG: contract-warnings.c:[[@LINE+2]]:1: warning: functional function 'prints' calls 'printf', which may have side effects [-Wpass-failed=pydron]
// NODBG-DAG: contract-warnings.c:[[@LINE+1]]:{{[0-9]+}}: warning: functional function 'prints' calls 'printf', which may have side effects
PYDRON_FUNCTIONAL double prints(double x) {
  printf("%f\n", x);
  return x;
}

// WARN-DAG: contract-warnings.c:[[@LINE+2]]:1: warning: functional function 'via_bumps' reads global 'counter', which 'bumps' writes
// NODBG-DAG: warning: functional function 'via_bumps' reads global 'counter', which 'bumps' writes
PYDRON_FUNCTIONAL double via_bumps(double x) { return bumps(x) + 1.0; }

// WARN-DAG: contract-warnings.c:[[@LINE+2]]:1: warning: functional function 'scaled' reads global 'gscale', which 'set_scale' writes
// NODBG-DAG: warning: functional function 'scaled' reads global 'gscale', which 'set_scale' writes
PYDRON_FUNCTIONAL double scaled(double x) { return x * gscale; }
void set_scale(double s) { gscale = s; }

// Reading a global nobody writes is fine.
static const double weights[4] = {0.1, 0.2, 0.3, 0.4};
PYDRON_FUNCTIONAL double weighted(int k) { return weights[k & 3]; }

PYDRON_SCHEDULE void call_bumps(double *restrict a, int n) {
  // CHECK: contract-warnings.c:[[@LINE+1]]:3: remark: loop not parallelized: call to PYDRON_FUNCTIONAL 'bumps' is a sync point: it writes global 'counter' at contract-warnings.c:[[@LINE+2]]:12
  for (int i = 0; i < n; i++)
    a[i] = bumps(a[i]);
}

PYDRON_SCHEDULE void call_prints(double *restrict a, int n) {
  // CHECK: contract-warnings.c:[[@LINE+1]]:3: remark: loop not parallelized: call to PYDRON_FUNCTIONAL 'prints' is a sync point: it calls 'printf', which may have side effects
  for (int i = 0; i < n; i++)
    a[i] = prints(a[i]);
}

PYDRON_SCHEDULE void call_via_bumps(double *restrict a, int n) {
  // CHECK: contract-warnings.c:[[@LINE+1]]:3: remark: loop not parallelized: call to PYDRON_FUNCTIONAL 'via_bumps' is a sync point: it calls 'bumps', and it writes global 'counter'
  for (int i = 0; i < n; i++)
    a[i] = via_bumps(a[i]);
}

// The contract holds "if every write happens before": the loop runs.
PYDRON_SCHEDULE void call_scaled(double *restrict a, int n) {
  // CHECK: contract-warnings.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'scaled')
  for (int i = 0; i < n; i++)
    a[i] = scaled(a[i]);
}

PYDRON_SCHEDULE void call_weighted(double *restrict a, int n) {
  // CHECK: contract-warnings.c:[[@LINE+1]]:3: remark: loop parallelized (calls 'weighted')
  for (int i = 0; i < n; i++)
    a[i] = weighted(i);
}

// A loop writing the global a functional callee reads.
PYDRON_SCHEDULE void writes_what_callee_reads(int n) {
  // CHECK: contract-warnings.c:[[@LINE+1]]:3: remark: loop not parallelized:
  for (int i = 0; i < n; i++)
    gscale = scaled(i);
}
